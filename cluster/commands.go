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
// backslashes escaped.
func QuoteArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " '\\\t") {
		return s
	}
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
	return b.String()
}

// do runs a command for the session. With an event handler's ctx it is
// queued on the session's sender and do returns at once (failures are
// logged and counted); otherwise it runs now and returns its error.
func (s *Session) do(ctx context.Context, what string, f func(ctx context.Context, conn *esl.Conn) error) error {
	c := s.client
	if onLoop(ctx) {
		c.enqueue(s.uuid, func(ctx context.Context) {
			if err := c.exec(ctx, f); err != nil {
				c.counters.flowErrors.Add(1)
				c.log.Warn("command failed", "cmd", what, "session", s.uuid, "err", err)
			}
		})
		return nil
	}
	if err := c.exec(ctx, f); err != nil {
		return fmt.Errorf("%s on %s: %w", what, s.uuid, err)
	}
	return nil
}

func (c *Client) exec(ctx context.Context, f func(ctx context.Context, conn *esl.Conn) error) error {
	conn, err := c.waitConn(ctx)
	if err != nil {
		return err
	}
	return f(ctx, conn)
}

// api runs "name uuid args..." as a background job; outside the loop it
// waits for the job's result so -ERR replies surface as errors.
func (s *Session) api(ctx context.Context, name string, args ...string) error {
	if err := checkArgs(args...); err != nil {
		return err
	}
	cmd := name + " " + s.uuid
	for _, a := range args {
		cmd += " " + a
	}
	return s.rawAPI(ctx, name, cmd)
}

// execute runs a dialplan application on the channel (sendmsg execute).
func (s *Session) execute(ctx context.Context, app, arg string, eventUUID string) error {
	if err := checkArgs(app, arg); err != nil {
		return err
	}
	return s.do(ctx, app, func(ctx context.Context, conn *esl.Conn) error {
		return conn.SendMsg(ctx, s.uuid, esl.SendMsg{Command: "execute", App: app, Arg: arg, EventUUID: eventUUID})
	})
}

// Execute runs a dialplan application on the channel without waiting for
// it to finish.
func (s *Session) Execute(ctx context.Context, app, arg string) error {
	return s.execute(ctx, app, arg, "")
}

// ExecuteWait runs an application and waits for its
// CHANNEL_EXECUTE_COMPLETE, returning that event (Application-Response holds
// the result). Executions stay ordered: the next starts after this one ends.
func (s *Session) ExecuteWait(ctx context.Context, app, arg string) (*Event, error) {
	if onLoop(ctx) {
		return nil, ErrOnLoop
	}
	if err := s.client.Subscribe(ctx, "CHANNEL_EXECUTE_COMPLETE"); err != nil {
		return nil, err
	}
	id := uuid.NewString()
	w, err := s.watch("CHANNEL_EXECUTE_COMPLETE", func(ev *Event) bool { return ev.Get("Application-UUID") == id })
	if err != nil {
		return nil, err
	}
	if err := s.execute(ctx, app, arg, id); err != nil {
		s.removeWaiter(w)
		return nil, err
	}
	return s.await(ctx, w)
}

// Answer answers the channel (uuid_answer) and, outside the loop, returns
// once CHANNEL_ANSWER arrived.
func (s *Session) Answer(ctx context.Context) error {
	if onLoop(ctx) {
		return s.api(ctx, "uuid_answer")
	}
	if s.Answered() {
		return nil
	}
	w, err := s.watch("CHANNEL_ANSWER", nil)
	if err != nil {
		return err
	}
	if err := s.api(ctx, "uuid_answer"); err != nil {
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

// Hangup hangs up the channel with cause ("" = NORMAL_CLEARING).
func (s *Session) Hangup(ctx context.Context, cause string) error {
	if cause == "" {
		cause = "NORMAL_CLEARING"
	}
	return s.api(ctx, "uuid_kill", cause)
}

// Park parks the channel (uuid_park).
func (s *Session) Park(ctx context.Context) error { return s.api(ctx, "uuid_park") }

// SchedHangup hangs the channel up after d with cause ("" =
// NORMAL_CLEARING), scheduled on the server so it happens even if the
// controller dies.
func (s *Session) SchedHangup(ctx context.Context, d time.Duration, cause string) error {
	if cause == "" {
		cause = "NORMAL_CLEARING"
	}
	if err := checkArgs(cause); err != nil {
		return err
	}
	secs := wholeSeconds(d)
	cmd := "sched_hangup +" + secs + " " + s.uuid + " " + cause
	return s.rawAPI(ctx, "sched_hangup", cmd)
}

// rawAPI runs a full command line as a background job (counted in Jobs);
// outside the loop it waits for the job's result.
func (s *Session) rawAPI(ctx context.Context, what, cmd string) error {
	wait := !onLoop(ctx)
	return s.do(ctx, what, func(ctx context.Context, conn *esl.Conn) error {
		job, err := s.client.bgapi(ctx, conn, cmd, "")
		if err != nil {
			return err
		}
		if !wait {
			return nil
		}
		_, err = job.Wait(ctx)
		return err
	})
}

// wholeSeconds rounds a delay up to whole seconds for sched_* commands; a
// delay already past is 0 (now).
func wholeSeconds(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}

// ClearTasks removes the channel's scheduled tasks (sched_del).
func (s *Session) ClearTasks(ctx context.Context) error {
	return s.rawAPI(ctx, "sched_del", "sched_del "+s.uuid)
}

// SendDTMF sends digits to the channel; duration 0 uses the server default.
func (s *Session) SendDTMF(ctx context.Context, digits string, duration time.Duration) error {
	if strings.ContainsAny(digits, " \t") || digits == "" {
		return fmt.Errorf("%w: DTMF digits %q", ErrBadArgument, digits)
	}
	arg := digits
	if duration > 0 {
		arg += "@" + strconv.FormatInt(duration.Milliseconds(), 10)
	}
	return s.api(ctx, "uuid_send_dtmf", arg)
}

// SchedDTMF sends digits after delay, scheduled on the server; ClearTasks
// cancels it.
func (s *Session) SchedDTMF(ctx context.Context, delay time.Duration, digits string) error {
	if strings.ContainsAny(digits, " \t") || digits == "" {
		return fmt.Errorf("%w: DTMF digits %q", ErrBadArgument, digits)
	}
	secs := wholeSeconds(delay)
	// the channel's uuid as the task group, as sched_hangup's, so that
	// ClearTasks cancels it too
	return s.rawAPI(ctx, "sched_api", "sched_api +"+secs+" "+s.uuid+" uuid_send_dtmf "+s.uuid+" "+digits)
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

// Playback plays one or several files (or tone_stream:// / silence_stream://
// URLs) in order on the channel.
func (s *Session) Playback(ctx context.Context, opts PlaybackOptions, files ...string) error {
	if len(files) == 0 {
		return fmt.Errorf("%w: no file to play", ErrBadArgument)
	}
	for _, f := range files {
		if f == "" || (len(files) > 1 && strings.Contains(f, "!")) {
			return fmt.Errorf("%w: file %q (empty, or holding the file_string separator '!')", ErrBadArgument, f)
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
				return fmt.Errorf("%w: playback parameter %q=%q would split the {...} block", ErrBadArgument, k, v)
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
	return s.Execute(ctx, app, arg)
}

// StartRecord records the channel to path (record_session).
func (s *Session) StartRecord(ctx context.Context, path string) error {
	return s.Execute(ctx, "record_session", path)
}

// StopRecord stops a record_session to path.
func (s *Session) StopRecord(ctx context.Context, path string) error {
	return s.Execute(ctx, "stop_record_session", path)
}

// Record controls uuid_record: action is start, stop, mask or unmask;
// limit > 0 bounds a recording's length.
func (s *Session) Record(ctx context.Context, action, path string, limit time.Duration) error {
	switch action {
	case "start", "stop", "mask", "unmask", "pause", "resume":
	default:
		return fmt.Errorf("%w: record action %q", ErrBadArgument, action)
	}
	args := []string{action, QuoteArg(path)}
	if limit > 0 {
		args = append(args, strconv.FormatInt(int64(limit/time.Second), 10))
	}
	return s.api(ctx, "uuid_record", args...)
}

// Echo echoes the channel's audio back to it.
func (s *Session) Echo(ctx context.Context) error { return s.Execute(ctx, "echo", "") }

// BypassMedia takes the server out of (on) or back into (off) the media path
// (FreeSWITCH's "uuid_media [off] <uuid>": off comes before the uuid).
func (s *Session) BypassMedia(ctx context.Context, on bool) error {
	if on {
		return s.rawAPI(ctx, "uuid_media", "uuid_media off "+s.uuid)
	}
	return s.api(ctx, "uuid_media")
}

// StartAMD starts answering-machine detection (mod_avmd).
func (s *Session) StartAMD(ctx context.Context) error { return s.Execute(ctx, "avmd_start", "") }

// StopAMD stops answering-machine detection.
func (s *Session) StopAMD(ctx context.Context) error { return s.Execute(ctx, "avmd_stop", "") }

// Broadcast plays path (or "app::args") to the channel; leg is aleg, bleg
// or both ("" = aleg).
func (s *Session) Broadcast(ctx context.Context, path, leg string) error {
	if leg == "" {
		leg = "aleg"
	}
	return s.api(ctx, "uuid_broadcast", QuoteArg(path), leg)
}

// Bridge bridges the channel to a dial string (bridge application).
func (s *Session) Bridge(ctx context.Context, dialString string) error {
	return s.Execute(ctx, "bridge", dialString)
}

// BreakMedia stops what the channel is playing (uuid_break); all also
// flushes queued files.
func (s *Session) BreakMedia(ctx context.Context, all bool) error {
	if all {
		return s.api(ctx, "uuid_break", "all")
	}
	return s.api(ctx, "uuid_break")
}

// Mute mutes the audio the channel sends (direction write) or hears (read).
func (s *Session) Mute(ctx context.Context, direction string) error {
	if direction == "" {
		direction = "write"
	}
	return s.api(ctx, "uuid_audio", "start", direction, "mute", "1")
}

// Unmute undoes Mute.
func (s *Session) Unmute(ctx context.Context, direction string) error {
	if direction == "" {
		direction = "write"
	}
	return s.api(ctx, "uuid_audio", "start", direction, "mute", "0")
}

// Respond answers an inbound call with a SIP response ("486", "180" ...).
func (s *Session) Respond(ctx context.Context, response string) error {
	return s.Execute(ctx, "respond", response)
}

// Deflect sends a REFER to uri for an answered inbound call.
func (s *Session) Deflect(ctx context.Context, uri string) error {
	return s.Execute(ctx, "deflect", uri)
}

// Speak speaks text with a TTS engine and voice.
func (s *Session) Speak(ctx context.Context, engine, voice, text string) error {
	return s.Execute(ctx, "speak", engine+"|"+voice+"|"+text)
}

// GetVar reads a channel variable from the server ("" when unset). It
// waits for the answer, so it must not be called on the loop.
func (s *Session) GetVar(ctx context.Context, name string) (string, error) {
	if onLoop(ctx) {
		return "", ErrOnLoop
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

// SetVar sets a channel variable on the server.
func (s *Session) SetVar(ctx context.Context, name, value string) error {
	if strings.ContainsAny(name, " \t") || name == "" {
		return fmt.Errorf("%w: variable name %q", ErrBadArgument, name)
	}
	return s.api(ctx, "uuid_setvar", name, value)
}

// SetVars sets several channel variables at once (uuid_setvar_multi);
// values holding ';' are set one by one so the separator cannot split them.
func (s *Session) SetVars(ctx context.Context, vars map[string]string) error {
	var kv []string
	for k, v := range vars {
		if strings.ContainsAny(k, " \t;=") || k == "" {
			return fmt.Errorf("%w: variable name %q", ErrBadArgument, k)
		}
		if strings.Contains(v, ";") {
			if err := s.SetVar(ctx, k, v); err != nil {
				return err
			}
			continue
		}
		kv = append(kv, k+"="+v)
	}
	if len(kv) == 0 {
		return nil
	}
	sortStrings(kv)
	return s.api(ctx, "uuid_setvar_multi", strings.Join(kv, ";"))
}

// UnsetVar removes a channel variable.
func (s *Session) UnsetVar(ctx context.Context, name string) error {
	if strings.ContainsAny(name, " \t") || name == "" {
		return fmt.Errorf("%w: variable name %q", ErrBadArgument, name)
	}
	return s.api(ctx, "uuid_setvar", name)
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
