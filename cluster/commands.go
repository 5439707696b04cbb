package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/internal/fsquote"
)

// ErrBadArgument is returned when a value would break the command it is
// sent in (a line break, or an empty required value).
var ErrBadArgument = errors.New("cluster: argument cannot be sent safely")

// checkArgs rejects values that would break an ESL command line.
func checkArgs(args ...string) error {
	for _, a := range args {
		if strings.ContainsAny(a, "\r\n") {
			return fmt.Errorf("%w: %q contains a line break", ErrBadArgument, a)
		}
	}
	return nil
}

// QuoteArg quotes an api argument for FreeSWITCH's argument splitter: values
// with spaces or quotes are wrapped in single quotes with inner quotes and
// backslashes escaped (internal/fsquote states every context switchio
// quotes values for).
func QuoteArg(s string) string { return fsquote.Quote(fsquote.Arg, s) }

// command is one Session command, built and checked once, then either
// sent and waited for (the Session methods) or queued (Session.Queue). err
// holds a validation failure: nothing is sent.
type command struct {
	what string // for errors and logs: the api or application name
	// line is the bgapi command line; when app is set, the command is a
	// sendmsg execute of app with arg instead.
	line      string
	app, arg  string
	eventUUID string // Event-UUID of a sendmsg execute (ExecuteWait)
	err       error
}

// apiCmd builds "name uuid args..." for bgapi.
func (s *Session) apiCmd(name string, args ...string) command {
	if err := checkArgs(args...); err != nil {
		return command{what: name, err: err}
	}
	line := name + " " + s.uuid
	for _, a := range args {
		line += " " + a
	}
	return command{what: name, line: line}
}

// executeCmd builds a sendmsg execute of a dialplan application.
func executeCmd(app, arg string) command {
	if err := checkArgs(app, arg); err != nil {
		return command{what: app, err: err}
	}
	return command{what: app, app: app, arg: arg}
}

func badArg(what string, err error) command { return command{what: what, err: err} }

// send writes cmd on conn. A bgapi command returns its job (nil for a
// sendmsg) once the server acknowledged it.
func (s *Session) send(ctx context.Context, conn *esl.Conn, cmd command) (*esl.Job, error) {
	if cmd.app != "" {
		// event-lock: the application runs to its end before the
		// channel reads later messages. Without it a real FreeSWITCH
		// runs the next execute inside the running one (a playback's
		// loop parses the channel's messages: switch_ivr_play_file,
		// switch_ivr_parse_all_events), so a second Playback would
		// interrupt the first and the first would resume after it; with
		// it they play one after the other, as this package promises.
		return nil, conn.SendMsg(ctx, s.uuid, esl.SendMsg{Command: "execute", App: cmd.app, Arg: cmd.arg,
			EventUUID: cmd.eventUUID, EventLock: true})
	}
	return s.client.bgapi(ctx, conn, cmd.line, "")
}

// run sends cmd and waits for its outcome: a bgapi job's result (a -ERR
// reply is an error) or a sendmsg's reply. Called with an event handler's
// ctx it fails at once with ErrWouldBlock.
func (s *Session) run(ctx context.Context, cmd command) error {
	if cmd.err != nil {
		return cmd.err
	}
	if s.client.onLoop(ctx) {
		return fmt.Errorf("%s on %s: %w", cmd.what, s.uuid, ErrWouldBlock)
	}
	conn, err := s.client.waitConn(ctx)
	if err == nil {
		var job *esl.Job
		if job, err = s.send(ctx, conn, cmd); err == nil && job != nil {
			_, err = job.Wait(ctx)
		}
	}
	if err != nil {
		return fmt.Errorf("%s on %s: %w", cmd.what, s.uuid, goneError(err))
	}
	return nil
}

// runAll runs cmds in order, stopping at the first failure.
func (s *Session) runAll(ctx context.Context, cmds []command) error {
	for _, cmd := range cmds {
		if err := s.run(ctx, cmd); err != nil {
			return err
		}
	}
	return nil
}

// Execute runs a dialplan application on the channel and returns once the
// server has queued it (sendmsg's reply), without waiting for it to finish
// (see ExecuteWait).
func (s *Session) Execute(ctx context.Context, app, arg string) error {
	return s.run(ctx, executeCmd(app, arg))
}

// ExecuteWait runs an application and waits for its
// CHANNEL_EXECUTE_COMPLETE, returning that event (Application-Response holds
// the result). Executions stay ordered: the next starts after this one ends.
func (s *Session) ExecuteWait(ctx context.Context, app, arg string) (*Event, error) {
	return s.runToCompletion(ctx, executeCmd(app, arg), nil)
}

// runToCompletion sends an application and waits for its
// CHANNEL_EXECUTE_COMPLETE, matched by the Event-UUID it is sent with.
// seen, when set, is shown the session's events from the application's
// CHANNEL_EXECUTE to its completion, in order, on the event loop (events
// names what to subscribe for it).
func (s *Session) runToCompletion(ctx context.Context, cmd command, seen func(*Event), events ...string) (*Event, error) {
	if s.client.onLoop(ctx) {
		return nil, fmt.Errorf("%s on %s: %w", cmd.what, s.uuid, ErrWouldBlock)
	}
	if cmd.err != nil {
		return nil, cmd.err
	}
	key := "CHANNEL_EXECUTE_COMPLETE"
	if seen != nil {
		key = "" // every event
		events = append(events, "CHANNEL_EXECUTE")
	}
	if err := s.client.Subscribe(ctx, append(events, "CHANNEL_EXECUTE_COMPLETE")...); err != nil {
		return nil, err
	}
	cmd.eventUUID = uuid.NewString()
	started := false
	w, err := s.watch(key, func(ev *Event) bool {
		mine := ev.Get("Application-UUID") == cmd.eventUUID
		switch {
		case ev.Key == "CHANNEL_EXECUTE_COMPLETE" && mine:
			return true
		case ev.Key == "CHANNEL_EXECUTE" && mine:
			started = true
		case started && seen != nil:
			seen(ev)
		}
		return false
	})
	if err != nil {
		return nil, err
	}
	if err := s.run(ctx, cmd); err != nil {
		s.removeWaiter(w)
		return nil, err
	}
	return s.await(ctx, w)
}

func (s *Session) answerCmd() command { return s.apiCmd("uuid_answer") }

// Answer answers the channel (uuid_answer) and returns once CHANNEL_ANSWER
// arrived (at once if it already had).
func (s *Session) Answer(ctx context.Context) error {
	if s.client.onLoop(ctx) {
		return fmt.Errorf("uuid_answer on %s: %w", s.uuid, ErrWouldBlock)
	}
	if s.Answered() {
		return nil
	}
	w, err := s.watch("CHANNEL_ANSWER", nil)
	if err != nil {
		return err
	}
	if err := s.run(ctx, s.answerCmd()); err != nil {
		s.removeWaiter(w)
		return err
	}
	if s.Answered() {
		s.removeWaiter(w)
		return nil
	}
	_, err = s.await(ctx, w)
	return err
}

func (s *Session) hangupCmd(cause string) command {
	if cause == "" {
		cause = "NORMAL_CLEARING"
	}
	return s.apiCmd("uuid_kill", cause)
}

// Hangup hangs up the channel with cause ("" = NORMAL_CLEARING).
// It returns once the server ran the api command (a -ERR result is an
// error), not once its effect shows in the channel's events.
func (s *Session) Hangup(ctx context.Context, cause string) error {
	return s.run(ctx, s.hangupCmd(cause))
}

// Park parks the channel (uuid_park).
// It returns once the server ran the api command (a -ERR result is an
// error), not once its effect shows in the channel's events.
func (s *Session) Park(ctx context.Context) error { return s.run(ctx, s.apiCmd("uuid_park")) }

func (s *Session) schedHangupCmd(d time.Duration, cause string) command {
	if cause == "" {
		cause = "NORMAL_CLEARING"
	}
	if err := checkArgs(cause); err != nil {
		return badArg("sched_hangup", err)
	}
	return command{what: "sched_hangup", line: "sched_hangup +" + wholeSeconds(d) + " " + s.uuid + " " + cause}
}

// SchedHangup hangs the channel up after d with cause ("" =
// NORMAL_CLEARING), scheduled on the server so it happens even if the
// controller dies.
// It returns once the server ran the api command (a -ERR result is an
// error), not once its effect shows in the channel's events.
func (s *Session) SchedHangup(ctx context.Context, d time.Duration, cause string) error {
	return s.run(ctx, s.schedHangupCmd(d, cause))
}

// wholeSeconds rounds a delay up to whole seconds for sched_* commands; a
// delay already past is 0 (now).
func wholeSeconds(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}

func (s *Session) clearTasksCmd() command {
	return command{what: "sched_del", line: "sched_del " + s.uuid}
}

// ClearTasks removes the channel's scheduled tasks (sched_del).
// It returns once the server ran the api command (a -ERR result is an
// error), not once its effect shows in the channel's events.
func (s *Session) ClearTasks(ctx context.Context) error { return s.run(ctx, s.clearTasksCmd()) }

func checkDigits(digits string) error {
	if strings.ContainsAny(digits, " \t") || digits == "" {
		return fmt.Errorf("%w: DTMF digits %q", ErrBadArgument, digits)
	}
	return nil
}

func (s *Session) sendDTMFCmd(digits string, duration time.Duration) command {
	if err := checkDigits(digits); err != nil {
		return badArg("uuid_send_dtmf", err)
	}
	arg := digits
	if duration > 0 {
		arg += "@" + strconv.FormatInt(duration.Milliseconds(), 10)
	}
	return s.apiCmd("uuid_send_dtmf", arg)
}

// SendDTMF sends digits to the channel; duration 0 uses the server default.
// It returns once the server ran the api command (a -ERR result is an
// error), not once its effect shows in the channel's events.
func (s *Session) SendDTMF(ctx context.Context, digits string, duration time.Duration) error {
	return s.run(ctx, s.sendDTMFCmd(digits, duration))
}

func (s *Session) schedDTMFCmd(delay time.Duration, digits string) command {
	if err := checkDigits(digits); err != nil {
		return badArg("sched_api", err)
	}
	// the channel's uuid as the task group, as sched_hangup's, so that
	// ClearTasks cancels it too
	return command{what: "sched_api", line: "sched_api +" + wholeSeconds(delay) + " " + s.uuid + " uuid_send_dtmf " + s.uuid + " " + digits}
}

// SchedDTMF sends digits after delay, scheduled on the server; ClearTasks
// cancels it.
// It returns once the server ran the api command (a -ERR result is an
// error), not once its effect shows in the channel's events.
func (s *Session) SchedDTMF(ctx context.Context, delay time.Duration, digits string) error {
	return s.run(ctx, s.schedDTMFCmd(delay, digits))
}

// PlaybackOptions tune Playback.
type PlaybackOptions struct {
	// Params are file-string variables, e.g. {"loops": "-1"}.
	Params map[string]string
	// Start is the sample offset to start from.
	Start int
	// Endless uses endless_playback (repeat until broken).
	Endless bool
}

func playbackCmd(opts PlaybackOptions, files []string) command {
	if len(files) == 0 {
		return badArg("playback", fmt.Errorf("%w: no file to play", ErrBadArgument))
	}
	for _, f := range files {
		if f == "" || (len(files) > 1 && strings.Contains(f, "!")) {
			return badArg("playback", fmt.Errorf("%w: file %q (empty, or holding the file_string separator '!')", ErrBadArgument, f))
		}
	}
	arg := files[0]
	if len(files) > 1 {
		arg = "file_string://" + strings.Join(files, "!")
	}
	if len(opts.Params) > 0 {
		var kv []string
		for k, v := range opts.Params {
			if k == "" || strings.ContainsAny(k, "=,{} ") || strings.ContainsAny(v, ",{}") {
				return badArg("playback", fmt.Errorf("%w: playback parameter %q=%q would split the {...} block", ErrBadArgument, k, v))
			}
			kv = append(kv, k+"="+v)
		}
		sortStrings(kv)
		arg = "{" + strings.Join(kv, ",") + "}" + arg
	}
	if opts.Start > 0 {
		arg += "@@" + strconv.Itoa(opts.Start)
	}
	app := "playback"
	if opts.Endless {
		app = "endless_playback"
	}
	return executeCmd(app, arg)
}

// PlaybackResult is how a playback ended, from its PLAYBACK_STOP and
// CHANNEL_EXECUTE_COMPLETE.
type PlaybackResult struct {
	// Response is the application's result: "FILE PLAYED" (played to
	// its end or interrupted), "FILE NOT FOUND", "PLAYBACK ERROR" ...
	Response string
	// Status is the last PLAYBACK_STOP's Playback-Status: "done" (the
	// file's end) or "break" (uuid_break, a hang-up ...); "" when no file
	// started.
	Status string
	// Samples and Played are what was played (playback_samples,
	// playback_ms), 0 when unknown.
	Samples int64
	Played  time.Duration
}

// ErrPlaybackFailed wraps the result of a playback that played nothing
// (its Response is not "FILE PLAYED").
var ErrPlaybackFailed = errors.New("cluster: playback failed")

// Playback plays one or several files (or tone_stream:// / silence_stream://
// URLs) in order on the channel and waits until they have played: it
// returns at the playback's CHANNEL_EXECUTE_COMPLETE, with how it ended
// (a break ends it early: Status "break"). A file that cannot be played
// returns ErrPlaybackFailed with the result. It cannot be called from an
// event handler (ErrWouldBlock): handlers queue it with Queue().Playback,
// which returns at once. Endless plays (opts.Endless, loops=-1) return
// only when broken (BreakMedia) or at the hang-up (ErrHungUp).
func (s *Session) Playback(ctx context.Context, opts PlaybackOptions, files ...string) (PlaybackResult, error) {
	cmd := playbackCmd(opts, files)
	// The PLAYBACK_STOPs while it runs are its own (event-lock: nothing
	// else runs in between).
	var res PlaybackResult
	done, err := s.runToCompletion(ctx, cmd, func(ev *Event) {
		if ev.Key == "PLAYBACK_STOP" {
			res.Status = ev.Get("Playback-Status")
		}
	}, "PLAYBACK_STOP")
	if err != nil {
		return PlaybackResult{}, err
	}
	res.Response = done.Get("Application-Response")
	res.Samples, _ = strconv.ParseInt(done.Get("variable_playback_samples"), 10, 64)
	if ms, err := strconv.ParseInt(done.Get("variable_playback_ms"), 10, 64); err == nil {
		res.Played = time.Duration(ms) * time.Millisecond
	}
	if res.Response != "FILE PLAYED" {
		return res, fmt.Errorf("playback %s on %s: %w: %s", cmd.arg, s.uuid, ErrPlaybackFailed, res.Response)
	}
	return res, nil
}

// StartRecord records the channel to path (record_session).
// It returns once the server queued the application (the sendmsg
// reply), not once it ran (ExecuteWait waits for that).
func (s *Session) StartRecord(ctx context.Context, path string) error {
	return s.run(ctx, executeCmd("record_session", path))
}

// StopRecord stops a record_session to path.
// It returns once the server queued the application (the sendmsg
// reply), not once it ran (ExecuteWait waits for that).
func (s *Session) StopRecord(ctx context.Context, path string) error {
	return s.run(ctx, executeCmd("stop_record_session", path))
}

func (s *Session) recordCmd(action, path string, limit time.Duration) command {
	switch action {
	case "start", "stop", "mask", "unmask", "pause", "resume":
	default:
		return badArg("uuid_record", fmt.Errorf("%w: record action %q", ErrBadArgument, action))
	}
	args := []string{action, QuoteArg(path)}
	if limit > 0 {
		args = append(args, strconv.FormatInt(int64(limit/time.Second), 10))
	}
	return s.apiCmd("uuid_record", args...)
}

// Record controls uuid_record: action is start, stop, mask, unmask, pause
// or resume; limit > 0 bounds a recording's length.
// It returns once the server ran the api command (a -ERR result is an
// error), not once its effect shows in the channel's events.
func (s *Session) Record(ctx context.Context, action, path string, limit time.Duration) error {
	return s.run(ctx, s.recordCmd(action, path, limit))
}

// Echo echoes the channel's audio back to it.
// It returns once the server queued the application (the sendmsg
// reply), not once it ran (ExecuteWait waits for that).
func (s *Session) Echo(ctx context.Context) error { return s.run(ctx, executeCmd("echo", "")) }

func (s *Session) bypassMediaCmd(on bool) command {
	if on {
		return command{what: "uuid_media", line: "uuid_media off " + s.uuid}
	}
	return s.apiCmd("uuid_media")
}

// BypassMedia takes the server out of (on) or back into (off) the media path
// (FreeSWITCH's "uuid_media [off] <uuid>": off comes before the uuid).
// It returns once the server ran the api command (a -ERR result is an
// error), not once its effect shows in the channel's events.
func (s *Session) BypassMedia(ctx context.Context, on bool) error {
	return s.run(ctx, s.bypassMediaCmd(on))
}

// StartAMD starts answering-machine detection (mod_avmd).
// It returns once the server queued the application (the sendmsg
// reply), not once it ran (ExecuteWait waits for that).
func (s *Session) StartAMD(ctx context.Context) error {
	return s.run(ctx, executeCmd("avmd_start", ""))
}

// StopAMD stops answering-machine detection.
// It returns once the server queued the application (the sendmsg
// reply), not once it ran (ExecuteWait waits for that).
func (s *Session) StopAMD(ctx context.Context) error { return s.run(ctx, executeCmd("avmd_stop", "")) }

func (s *Session) broadcastCmd(path, leg string) command {
	if leg == "" {
		leg = "aleg"
	}
	return s.apiCmd("uuid_broadcast", QuoteArg(path), leg)
}

// Broadcast plays path (or "app::args") to the channel; leg is aleg, bleg
// or both ("" = aleg).
// It returns once the server ran the api command (a -ERR result is an
// error), not once its effect shows in the channel's events.
func (s *Session) Broadcast(ctx context.Context, path, leg string) error {
	return s.run(ctx, s.broadcastCmd(path, leg))
}

// Bridge bridges the channel to a dial string (bridge application).
// It returns once the server queued the application (the sendmsg
// reply), not once it ran (ExecuteWait waits for that).
func (s *Session) Bridge(ctx context.Context, dialString string) error {
	return s.run(ctx, executeCmd("bridge", dialString))
}

func (s *Session) breakMediaCmd(all bool) command {
	if all {
		return s.apiCmd("uuid_break", "all")
	}
	return s.apiCmd("uuid_break")
}

// BreakMedia stops what the channel is playing (uuid_break); all also
// flushes queued files.
// It returns once the server ran the api command (a -ERR result is an
// error), not once its effect shows in the channel's events.
func (s *Session) BreakMedia(ctx context.Context, all bool) error {
	return s.run(ctx, s.breakMediaCmd(all))
}

func (s *Session) muteCmd(direction, flag string) command {
	if direction == "" {
		direction = "write"
	}
	return s.apiCmd("uuid_audio", "start", direction, "mute", flag)
}

// Mute mutes the audio the channel sends (direction write) or hears (read).
// It returns once the server ran the api command (a -ERR result is an
// error), not once its effect shows in the channel's events.
func (s *Session) Mute(ctx context.Context, direction string) error {
	return s.run(ctx, s.muteCmd(direction, "1"))
}

// Unmute undoes Mute.
// It returns once the server ran the api command (a -ERR result is an
// error), not once its effect shows in the channel's events.
func (s *Session) Unmute(ctx context.Context, direction string) error {
	return s.run(ctx, s.muteCmd(direction, "0"))
}

// Respond answers an inbound call with a SIP response ("486", "180" ...).
// It returns once the server queued the application (the sendmsg
// reply), not once it ran (ExecuteWait waits for that).
func (s *Session) Respond(ctx context.Context, response string) error {
	return s.run(ctx, executeCmd("respond", response))
}

// Deflect sends a REFER to uri for an answered inbound call.
// It returns once the server queued the application (the sendmsg
// reply), not once it ran (ExecuteWait waits for that).
func (s *Session) Deflect(ctx context.Context, uri string) error {
	return s.run(ctx, executeCmd("deflect", uri))
}

// Speak speaks text with a TTS engine and voice.
// It returns once the server queued the application (the sendmsg
// reply), not once it ran (ExecuteWait waits for that).
func (s *Session) Speak(ctx context.Context, engine, voice, text string) error {
	return s.run(ctx, executeCmd("speak", engine+"|"+voice+"|"+text))
}

// GetVar reads a channel variable from the server ("" when unset). It
// waits for the answer: called with an event handler's ctx it fails with
// ErrWouldBlock (there is no queued form).
func (s *Session) GetVar(ctx context.Context, name string) (string, error) {
	if s.client.onLoop(ctx) {
		return "", fmt.Errorf("uuid_getvar on %s: %w", s.uuid, ErrWouldBlock)
	}
	if err := checkArgs(name); err != nil {
		return "", err
	}
	if strings.ContainsAny(name, " \t") {
		return "", fmt.Errorf("%w: variable name %q", ErrBadArgument, name)
	}
	out, err := s.client.API(ctx, "uuid_getvar "+s.uuid+" "+name)
	if err != nil {
		return "", fmt.Errorf("uuid_getvar on %s: %w", s.uuid, err)
	}
	if out == "_undef_" {
		return "", nil
	}
	return out, nil
}

func (s *Session) setVarCmd(name, value string) command {
	if strings.ContainsAny(name, " \t") || name == "" {
		return badArg("uuid_setvar", fmt.Errorf("%w: variable name %q", ErrBadArgument, name))
	}
	return s.apiCmd("uuid_setvar", name, value)
}

// SetVar sets a channel variable on the server.
// It returns once the server ran the api command (a -ERR result is an
// error), not once its effect shows in the channel's events.
func (s *Session) SetVar(ctx context.Context, name, value string) error {
	return s.run(ctx, s.setVarCmd(name, value))
}

// setVarsCmds builds uuid_setvar_multi for vars, and one uuid_setvar per
// value holding ';' (the multi separator would split it).
func (s *Session) setVarsCmds(vars map[string]string) ([]command, error) {
	var cmds []command
	var kv []string
	for k, v := range vars {
		if strings.ContainsAny(k, " \t;=") || k == "" {
			return nil, fmt.Errorf("%w: variable name %q", ErrBadArgument, k)
		}
		if strings.Contains(v, ";") {
			cmds = append(cmds, s.setVarCmd(k, v))
			continue
		}
		kv = append(kv, k+"="+v)
	}
	sortStrings(kv)
	if len(kv) > 0 {
		cmds = append(cmds, s.apiCmd("uuid_setvar_multi", strings.Join(kv, ";")))
	}
	for _, c := range cmds {
		if c.err != nil {
			return nil, c.err
		}
	}
	return cmds, nil
}

// SetVars sets several channel variables at once (uuid_setvar_multi);
// values holding ';' are set one by one so the separator cannot split them.
// It returns once the server ran the api command (a -ERR result is an
// error), not once its effect shows in the channel's events.
func (s *Session) SetVars(ctx context.Context, vars map[string]string) error {
	cmds, err := s.setVarsCmds(vars)
	if err != nil {
		return err
	}
	return s.runAll(ctx, cmds)
}

func (s *Session) unsetVarCmd(name string) command {
	if strings.ContainsAny(name, " \t") || name == "" {
		return badArg("uuid_setvar", fmt.Errorf("%w: variable name %q", ErrBadArgument, name))
	}
	return s.apiCmd("uuid_setvar", name)
}

// UnsetVar removes a channel variable.
// It returns once the server ran the api command (a -ERR result is an
// error), not once its effect shows in the channel's events.
func (s *Session) UnsetVar(ctx context.Context, name string) error {
	return s.run(ctx, s.unsetVarCmd(name))
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
