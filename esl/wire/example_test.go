package wire_test

import (
	"bytes"
	"fmt"
	"io"

	"github.com/switchio/switchio/esl/wire"
)

// A Reader frames a byte stream: here a command reply and an event, as
// FreeSWITCH sends them, read back one frame at a time.
func ExampleReader() {
	ev := wire.NewEvent("CHANNEL_ANSWER")
	ev.Add("Unique-ID", "0f0f0f0f-0000-4000-8000-000000000001")
	ev.Add("Caller-Caller-ID-Name", "Alice & Bob") // URL-encoded on the wire
	var stream []byte
	stream = wire.AppendReply(stream, "+OK event listener enabled plain")
	stream = wire.AppendEventFrame(stream, wire.FormatPlain, ev)

	r := wire.NewReader(bytes.NewReader(stream))
	for {
		m, err := r.ReadMessage()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		if !m.IsEvent() {
			fmt.Println(m.ContentType(), m.ReplyText())
			continue
		}
		e, err := wire.ParseEvent(m.ContentType(), m.Body)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(m.ContentType(), e.Name(), e.UniqueID(), e.Get("Caller-Caller-ID-Name"))
	}
	// Output:
	// command/reply +OK event listener enabled plain
	// text/event-plain CHANNEL_ANSWER 0f0f0f0f-0000-4000-8000-000000000001 Alice & Bob
}

// ParseEvent decodes an event body in any of FreeSWITCH's three formats
// into the same Event.
func ExampleParseEvent() {
	ev := wire.NewEvent("BACKGROUND_JOB")
	ev.Add("Job-UUID", "7f4db78a-0000-4000-8000-000000000001")
	ev.Body = "+OK Job done\n"
	for _, f := range []wire.Format{wire.FormatPlain, wire.FormatJSON, wire.FormatXML} {
		body := ev.Append(nil, f)
		e, err := wire.ParseEvent(f.ContentType(), body)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %s %s %q\n", f.ContentType(), e.Name(), e.JobUUID(), e.Body)
	}
	// Output:
	// text/event-plain: BACKGROUND_JOB 7f4db78a-0000-4000-8000-000000000001 "+OK Job done\n"
	// text/event-json: BACKGROUND_JOB 7f4db78a-0000-4000-8000-000000000001 "+OK Job done\n"
	// text/event-xml: BACKGROUND_JOB 7f4db78a-0000-4000-8000-000000000001 "+OK Job done\n"
}

// AppendCommand encodes a command as a client sends it: the command line,
// its headers, and a body framed by Content-Length.
func ExampleAppendCommand() {
	cmd := wire.AppendCommand(nil, "sendmsg 0f0f0f0f-0000-4000-8000-000000000001", []wire.Header{
		{Name: "call-command", Value: "execute"},
		{Name: "execute-app-name", Value: "playback"},
	}, []byte("tone_stream://%(200,50,560)"))
	fmt.Print(string(cmd))
	// Output:
	// sendmsg 0f0f0f0f-0000-4000-8000-000000000001
	// call-command: execute
	// execute-app-name: playback
	// Content-Length: 27
	//
	// tone_stream://%(200,50,560)
}
