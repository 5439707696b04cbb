// Package rawsock reads and writes a connected socket with raw system
// calls on Linux, where the net package's Read and Write cost a
// controller at low load most of its CPU.
//
// Why: every read or write through package syscall enters the Go
// runtime's system-call path, and the first one after the process was
// idle wakes the runtime's monitor thread (sysmon), which then polls every
// 20 µs for the next millisecond before backing off. An event-socket
// client at 60 calls/s is idle between events most of the time, so each
// event paid for some fifty monitor wake-ups: 40% of the context switches
// of switchio dial (bench/, BenchmarkDialerRate). A non-blocking socket
// never blocks in read(2) or write(2), so these calls need none of that
// path: rawsock makes them with syscall.RawSyscall and waits for
// readiness through the connection's own poller (syscall.RawConn), which
// keeps deadlines and Close working as they do for the net.Conn.
//
// Elsewhere than Linux, and for connections that are not sockets, Wrap
// returns the connection unchanged.
package rawsock
