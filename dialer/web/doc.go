// Package web is the dialer's live web view (switchio dial --web): a
// page, served while the run goes, that shows the live figures (state,
// offered, answered, failed, active, rates, each server's load,
// saturation and connection, the ETA), charts of the last minutes and
// the change log, and that changes the run: rate, limit, hold time and
// app weights, stop offering, hang up this dialer's calls and keep
// offering (POST /api/hangup, HangupCalls), and stop the run, hanging its
// calls up as dial's Ctrl-C does (POST /api/hupall, Hupall); both touch
// only this dialer's calls, never every call of the servers. Every change goes through the dialer's
// setters, so it is in its change log (Summary.Changes) with its time,
// as in the final report.
//
// The page polls a JSON snapshot (GET /api/stats) every second and draws
// its charts with the report's chart library (internal/uplot),
// served by the same server: it loads nothing from the network.
//
// # Security
//
// Anyone who can reach the server can drive the run, and any web page the
// user opens can send requests to a loopback address, so:
//
//   - The server listens on a loopback address unless allowRemote (see
//     CheckAddr).
//   - Every request's Host must name the server: its listen address, or
//     localhost, 127.0.0.1 or [::1] with its port (on a wildcard listen
//     address with allowRemote, any IP literal with its port). A host
//     name an attacker controls (DNS rebinding) is refused with 403.
//   - An Origin header, when present, must be the server's own
//     ("http://" + Host), or 403.
//   - Every request that changes the run is a POST carrying the server's
//     token (random, 256 bits, made at start and printed by the caller) in
//     the X-Switchio-Token header, never in a cookie (which a browser
//     would attach to a forged request). A custom header also makes a
//     cross-origin fetch need a CORS preflight, which the server never
//     grants.
//   - Request bodies are bounded (MaxBody); bad values (not a number,
//     NaN, negative, an unknown app id) get 400 and a one-line message.
//   - GET endpoints give the figures only: never the ESL password nor the
//     servers' originate commands.
//
// How the page gets the token: when the server listens on loopback, the
// page carries it in a <meta name="switchio-token"> tag. Only a page of
// the same origin can read that response (the same-origin policy), and
// the Host check stops a rebound host name from being that origin. When
// the server listens on another address, the page does not carry it
// (anyone on the network could read it): the user opens URL(), which
// passes the token in the URL's fragment (never sent to the server nor in
// a Referer), or pastes the token in the page; the page keeps it in
// memory only. The page is never framed (clickjacking) and its scripts
// come only from the server (Content-Security-Policy).
package web
