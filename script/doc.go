// Package script runs switchio apps written in Starlark (go.starlark.net),
// a dialect of Python: a telephony engineer writes an app in a .star file
// and loads it with switchio dial --app ./app.star, no Go and no build.
//
// A file declares one or more apps with app(), each with its parameters,
// verdicts and handlers by event name:
//
//	def answer_called(app, s, ev):
//	    if s.inbound:
//	        s.answer()
//
//	def media_ready(app, s, ev):
//	    if s.inbound:
//	        s.echo()
//	    else:
//	        s.playback("tone_stream://%%(251,0,%d)" % app.freq, loops = -1)
//
//	app(
//	    name = "TonePlay",
//	    description = "the called leg echoes, the caller plays a tone",
//	    params = {"freq": param(1004, "tone frequency, Hz")},
//	    on = {"CHANNEL_PARK": answer_called, "MEDIA_READY": media_ready},
//	    audio = "both",
//	)
//
// A script app is an app like the Go ones (cluster.App): the same events,
// correlation, app ids, weights and verdicts. Its handlers run on the
// server's event loop and only queue commands (Session.Queue): a session's
// methods return at once, so a script cannot stall the loop. MEDIA_READY is
// switchio's own event: once per leg, when it is answered and parked
// (appkit.OnMediaReady).
//
// Safety: a script reaches nothing but what the package hands it (no
// file, network or clock), each handler call has a step limit, and the
// module's values are frozen once loaded, so the handlers of many calls
// may run at once. A failing handler is counted, logged once per place
// with the script's file and line, and marks its call with the
// script_error verdict; the run goes on. A bad file (a syntax error, an
// unknown event, a bad declaration) is a one-line error with file:line
// before any call.
package script
