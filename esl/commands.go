package esl

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// SendCommand sends a raw command line with optional headers and body and
// returns the reply frame (command/reply or api/response). A command/reply
// whose Reply-Text starts with "-ERR" yields the frame and a *CommandError.
// It is the escape hatch for commands without a dedicated method.
func (c *Conn) SendCommand(ctx context.Context, cmd string, headers []wire.Header, body []byte) (*wire.Message, error) {
	if err := validate(cmd, headers); err != nil {
		return nil, err
	}
	return c.sendCommand(ctx, "", cmd, headers, body, nil)
}

// validate refuses line breaks that would let a value inject commands.
func validate(cmd string, headers []wire.Header) error {
	if strings.ContainsAny(cmd, "\r\n") {
		return fmt.Errorf("esl: command line contains a line break: %q", redact(cmd))
	}
	for _, h := range headers {
		if h.Name == "" || strings.ContainsAny(h.Name, "\r\n:") || strings.ContainsAny(h.Value, "\r\n") {
			return fmt.Errorf("esl: %s: header %q contains a line break or colon", redact(cmd), h.Name)
		}
	}
	return nil
}

func (c *Conn) sendCommand(ctx context.Context, prefix, cmd string, headers []wire.Header, body []byte, onReply func(*wire.Message)) (*wire.Message, error) {
	m, err := c.request(ctx, prefix, cmd, headers, body, onReply)
	if err != nil {
		return nil, err
	}
	if m.ContentType() == wire.TypeCommandReply {
		if rt := m.ReplyText(); strings.HasPrefix(rt, "-") {
			return m, &CommandError{Command: redact(prefix + cmd), Reply: rt, Usage: strings.HasPrefix(rt, "-USAGE")}
		}
	}
	return m, nil
}

// command sends cmd and returns its Reply-Text.
func (c *Conn) command(ctx context.Context, cmd string) (string, error) {
	m, err := c.SendCommand(ctx, cmd, nil, nil)
	if err != nil {
		return "", err
	}
	return m.ReplyText(), nil
}

// API runs "api cmd" and returns the output. FreeSWITCH runs api commands
// in the connection's own thread: until it returns, no events and no other
// replies flow on this connection, so use BgAPI for anything slow
// (originate, long sofia commands). A body starting with "-ERR" or
// "-USAGE" is returned together with a *CommandError.
func (c *Conn) API(ctx context.Context, cmd string) (string, error) {
	if err := validate(cmd, nil); err != nil {
		return "", err
	}
	m, err := c.sendCommand(ctx, "api ", cmd, nil, nil, nil)
	if err != nil {
		return "", err
	}
	body := string(m.Body)
	return body, apiErr("api ", cmd, body)
}

// apiErr returns the *CommandError of an api body starting with "-ERR" or
// "-USAGE"; the command line is prefix+cmd, only built for the error.
func apiErr(prefix, cmd, body string) error {
	if strings.HasPrefix(body, "-ERR") || strings.HasPrefix(body, "-USAGE") {
		return &CommandError{Command: redact(prefix + cmd), Reply: strings.TrimRight(body, "\r\n"), Usage: strings.HasPrefix(body, "-USAGE")}
	}
	return nil
}

// Exit sends "exit", waits for "+OK bye" and then for the server to close
// the connection (bounded by ctx). Err() is ErrClosed afterwards.
func (c *Conn) Exit(ctx context.Context) error {
	c.mu.Lock()
	c.exiting = true
	c.mu.Unlock()
	_, err := c.SendCommand(ctx, "exit", nil, nil)
	if err != nil {
		if errors.Is(err, ErrClosed) {
			return nil
		}
		c.mu.Lock()
		c.exiting = false
		c.mu.Unlock()
		return err
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		c.Close()
		return ctx.Err()
	}
}

// Job is a background api command started by BgAPI. It completes when its
// BACKGROUND_JOB event arrives, or fails when the connection ends first.
type Job struct {
	UUID     string    // Job-UUID, chosen by the caller or by FreeSWITCH
	Command  string    // the api command line (without "bgapi ")
	Launched time.Time // when FreeSWITCH acknowledged the job

	once  sync.Once
	done  chan struct{}
	body  string
	err   error
	event *Event
}

func newJob(cmd string) *Job { return &Job{Command: cmd, done: make(chan struct{})} }

func (j *Job) complete(body string, err error, ev *Event) {
	j.once.Do(func() {
		j.body, j.err, j.event = body, err, ev
		close(j.done)
	})
}

func jobErr(cmd, body string) error { return apiErr("bgapi ", cmd, body) }

// Done is closed when the job has a result (or the connection ended).
func (j *Job) Done() <-chan struct{} { return j.done }

// Wait blocks until the job's result or ctx ends. It returns the api output
// (the BACKGROUND_JOB body); output starting with "-ERR" or "-USAGE" comes
// with a *CommandError. If the connection ends first the error wraps
// ErrClosed. ctx ending does not cancel the job.
func (j *Job) Wait(ctx context.Context) (string, error) {
	select {
	case <-j.done:
		return j.body, j.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Result returns the job's outcome without blocking; ok is false while the
// job is still running.
func (j *Job) Result() (body string, err error, ok bool) {
	select {
	case <-j.done:
		return j.body, j.err, true
	default:
		return "", nil, false
	}
}

// Event returns the BACKGROUND_JOB event that completed the job, or nil.
func (j *Job) Event() *Event {
	select {
	case <-j.done:
		return j.event
	default:
		return nil
	}
}

// BgAPI runs "bgapi cmd" and returns once FreeSWITCH has acknowledged it
// with its Job-UUID. The connection is subscribed to BACKGROUND_JOB first
// if it is not yet (see the package documentation).
func (c *Conn) BgAPI(ctx context.Context, cmd string) (*Job, error) {
	return c.bgapi(ctx, cmd, "")
}

// BgAPIWithJobUUID is BgAPI with a caller-chosen Job-UUID, so the caller
// can correlate the job before FreeSWITCH answers.
func (c *Conn) BgAPIWithJobUUID(ctx context.Context, cmd, jobUUID string) (*Job, error) {
	if jobUUID == "" || strings.ContainsAny(jobUUID, "\r\n") {
		return nil, fmt.Errorf("esl: invalid Job-UUID %q", jobUUID)
	}
	return c.bgapi(ctx, cmd, jobUUID)
}

// APIBackground runs cmd with bgapi and waits for its output: the result
// of API without blocking the connection while the command runs.
func (c *Conn) APIBackground(ctx context.Context, cmd string) (string, error) {
	j, err := c.BgAPI(ctx, cmd)
	if err != nil {
		return "", err
	}
	return j.Wait(ctx)
}

func (c *Conn) bgapi(ctx context.Context, cmd, jobUUID string) (*Job, error) {
	if err := c.ensureBgSub(ctx); err != nil {
		return nil, err
	}
	j := newJob(cmd)
	var hdr []wire.Header
	if jobUUID != "" {
		hdr = []wire.Header{{Name: "Job-UUID", Value: jobUUID}}
	}
	// Runs in the reader goroutine when the reply arrives, before any
	// later frame: the job is registered before its BACKGROUND_JOB can be
	// read, even if this caller has stopped waiting.
	onReply := func(m *wire.Message) {
		if m.ContentType() != wire.TypeCommandReply || !strings.HasPrefix(m.ReplyText(), "+OK") {
			return
		}
		id := m.Get("Job-UUID")
		if id == "" {
			id = strings.TrimSpace(strings.TrimPrefix(m.ReplyText(), "+OK Job-UUID:"))
		}
		j.UUID, j.Launched = id, time.Now()
		// Registered even if the connection is closing: finish runs
		// later in this same goroutine and fails every registered job.
		c.mu.Lock()
		c.jobs[id] = j
		c.mu.Unlock()
	}
	if err := validate(cmd, hdr); err != nil {
		return nil, err
	}
	if _, err := c.sendCommand(ctx, "bgapi ", cmd, hdr, nil, onReply); err != nil {
		return nil, err
	}
	return j, nil
}

// ensureBgSub subscribes BACKGROUND_JOB in the connection's current format
// unless it already is.
func (c *Conn) ensureBgSub(ctx context.Context) error {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	if c.bgSub {
		return nil
	}
	if _, err := c.command(ctx, "event "+c.format.String()+" BACKGROUND_JOB"); err != nil {
		return err
	}
	c.bgSub = true
	return nil
}

// eventWords builds the event-name list of event/nixevent: plain names in
// order, then "CUSTOM" followed by every subclass ("a::b" words).
func eventWords(events []string) (names []string, err error) {
	var subs []string
	custom := false
	for _, e := range events {
		for _, w := range strings.Fields(e) {
			switch {
			case strings.Contains(w, "::"):
				subs = append(subs, w)
			case strings.EqualFold(w, "CUSTOM"):
				custom = true
			default:
				names = append(names, w)
			}
		}
	}
	if custom || len(subs) > 0 {
		names = append(names, "CUSTOM")
		names = append(names, subs...)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("esl: no event names given")
	}
	return names, nil
}

func hasWord(names []string, ws ...string) bool {
	for _, n := range names {
		for _, w := range ws {
			if strings.EqualFold(n, w) || strings.EqualFold(n, "SWITCH_EVENT_"+w) {
				return true
			}
		}
	}
	return false
}

// Subscribe sends "event <format> <names>". events may be plain names
// ("CHANNEL_ANSWER", "ALL"), subclass words ("sofia::register") or
// "CUSTOM a::b c::d" strings; subclasses are gathered after one CUSTOM
// word as FreeSWITCH requires. The format applies to all events of the
// connection from now on (FreeSWITCH keeps one format per connection).
func (c *Conn) Subscribe(ctx context.Context, f wire.Format, events ...string) error {
	names, err := eventWords(events)
	if err != nil {
		return err
	}
	if f != wire.FormatPlain && f != wire.FormatJSON && f != wire.FormatXML {
		return fmt.Errorf("esl: invalid event format %d", int(f))
	}
	c.subMu.Lock()
	defer c.subMu.Unlock()
	if _, err := c.command(ctx, "event "+f.String()+" "+strings.Join(names, " ")); err != nil {
		return err
	}
	c.format = f
	if hasWord(names, "ALL", "BACKGROUND_JOB") {
		c.bgSub = true
		c.mu.Lock()
		c.userBgJobs = true
		c.mu.Unlock()
	}
	return nil
}

// Unsubscribe sends "nixevent <names>", with names as in Subscribe.
func (c *Conn) Unsubscribe(ctx context.Context, events ...string) error {
	names, err := eventWords(events)
	if err != nil {
		return err
	}
	c.subMu.Lock()
	defer c.subMu.Unlock()
	if _, err := c.command(ctx, "nixevent "+strings.Join(names, " ")); err != nil {
		return err
	}
	if hasWord(names, "ALL", "BACKGROUND_JOB") {
		c.clearBgSub()
	}
	return nil
}

func (c *Conn) clearBgSub() {
	c.bgSub = false
	c.mu.Lock()
	c.userBgJobs = false
	c.mu.Unlock()
}

// NoEvents sends "noevents": FreeSWITCH stops sending events (a later
// BgAPI resubscribes BACKGROUND_JOB).
func (c *Conn) NoEvents(ctx context.Context) error {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	if _, err := c.command(ctx, "noevents"); err != nil {
		return err
	}
	c.clearBgSub()
	return nil
}

// Filter sends "filter <header> <value>": once a filter exists, only events
// matching some filter are sent. Add "Event-Name BACKGROUND_JOB" if you
// filter and use BgAPI.
func (c *Conn) Filter(ctx context.Context, header, value string) error {
	_, err := c.command(ctx, "filter "+header+" "+value)
	return err
}

// FilterDelete sends "filter delete <header> [<value>]"; header "all"
// deletes every filter.
func (c *Conn) FilterDelete(ctx context.Context, header, value string) error {
	cmd := "filter delete " + header
	if value != "" {
		cmd += " " + value
	}
	_, err := c.command(ctx, cmd)
	return err
}

// MyEvents sends "myevents <uuid> <format>": only events of that channel
// are sent from now on. Note that FreeSWITCH then also drops BACKGROUND_JOB
// events of this (inbound) connection's jobs.
func (c *Conn) MyEvents(ctx context.Context, uuid string, f wire.Format) error {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	if _, err := c.command(ctx, "myevents "+uuid+" "+f.String()); err != nil {
		return err
	}
	c.format = f
	return nil
}

// Log sends "log <level>" (a number 0-7 or a name such as "debug");
// log lines then arrive on Logs().
func (c *Conn) Log(ctx context.Context, level string) error {
	cmd := "log"
	if level != "" {
		cmd += " " + level
	}
	_, err := c.command(ctx, cmd)
	return err
}

// NoLog sends "nolog".
func (c *Conn) NoLog(ctx context.Context) error {
	_, err := c.command(ctx, "nolog")
	return err
}

// SendEvent fires an event inside FreeSWITCH ("sendevent <name>") with the
// given headers (for CUSTOM, include Event-Subclass) and optional body. It
// returns the Event-UUID FreeSWITCH assigned.
func (c *Conn) SendEvent(ctx context.Context, name string, headers []wire.Header, body []byte) (string, error) {
	m, err := c.SendCommand(ctx, "sendevent "+name, headers, body)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(strings.TrimPrefix(m.ReplyText(), "+OK")), nil
}

// SendMsg is a message for a channel, sent with "sendmsg". Command is the
// call-command (execute, hangup, unicast, nomedia, xferext).
type SendMsg struct {
	Command     string        // call-command; "" means execute
	App, Arg    string        // execute-app-name and execute-app-arg
	Loops       int           // loops; 0 leaves FreeSWITCH's default (1), -1 repeats forever
	EventLock   bool          // event-lock: true: run to completion before later messages
	Async       bool          // async: true: do not wait for the channel's message queue
	EventUUID   string        // event-uuid: becomes Application-UUID of the EXECUTE events
	HangupCause string        // hangup-cause for Command "hangup"
	Headers     []wire.Header // extra headers, after the above
}

// headers lays the message out as FreeSWITCH's reference client does. An
// argument with line breaks travels as a text/plain body.
func (m SendMsg) headers() ([]wire.Header, []byte) {
	cmd := m.Command
	if cmd == "" {
		cmd = "execute"
	}
	h := []wire.Header{{Name: "call-command", Value: cmd}}
	var body []byte
	if m.App != "" {
		h = append(h, wire.Header{Name: "execute-app-name", Value: m.App})
	}
	if m.Arg != "" {
		if strings.ContainsAny(m.Arg, "\r\n") {
			body = []byte(m.Arg)
			h = append(h, wire.Header{Name: "content-type", Value: "text/plain"})
		} else {
			h = append(h, wire.Header{Name: "execute-app-arg", Value: m.Arg})
		}
	}
	if m.Loops != 0 {
		h = append(h, wire.Header{Name: "loops", Value: strconv.Itoa(m.Loops)})
	}
	if m.EventLock {
		h = append(h, wire.Header{Name: "event-lock", Value: "true"})
	}
	if m.Async {
		h = append(h, wire.Header{Name: "async", Value: "true"})
	}
	if m.EventUUID != "" {
		h = append(h, wire.Header{Name: "event-uuid", Value: m.EventUUID})
	}
	if m.HangupCause != "" {
		h = append(h, wire.Header{Name: "hangup-cause", Value: m.HangupCause})
	}
	h = append(h, m.Headers...)
	if body != nil {
		h = append(h, wire.Header{Name: "content-length", Value: strconv.Itoa(len(body))})
	}
	return h, body
}

// SendMsg sends "sendmsg <uuid>" with m's headers. The +OK only means the
// message was queued to the channel; the application's outcome arrives as
// CHANNEL_EXECUTE_COMPLETE. uuid may be "" on an outbound connection (its
// own channel).
func (c *Conn) SendMsg(ctx context.Context, uuid string, m SendMsg) error {
	cmd := "sendmsg"
	if uuid != "" {
		cmd += " " + uuid
	}
	h, body := m.headers()
	_, err := c.SendCommand(ctx, cmd, h, body)
	return err
}

// Execute runs a dialplan application on a channel: SendMsg with
// call-command execute.
func (c *Conn) Execute(ctx context.Context, uuid, app, arg string) error {
	return c.SendMsg(ctx, uuid, SendMsg{Command: "execute", App: app, Arg: arg})
}
