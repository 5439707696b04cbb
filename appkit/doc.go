// Package app builds on the cluster core to load and run call-control apps:
// a Registry of app types with parameters settable from text
// ("Name/key=value,..."), a Manager that loads apps over a pool of servers
// (one shared instance, or one per server), a Router that routes inbound
// calls by regular expression with guards, and a Service that runs them all
// until stopped — what "switchio serve" runs.
package appkit
