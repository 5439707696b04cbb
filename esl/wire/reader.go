package wire

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DefaultMaxFrameSize is the largest frame a Reader accepts unless told
// otherwise: 16 MiB, FreeSWITCH's MAX_CONTENT_LENGTH.
const DefaultMaxFrameSize = 16 << 20

// ErrFrameTooLarge is returned (wrapped in a *ProtocolError) when a frame's
// header block or Content-Length exceeds the reader's limit. The reader does
// not allocate for such a frame.
var ErrFrameTooLarge = errors.New("esl: frame exceeds size limit")

// ProtocolError reports a peer that broke the ESL framing rules. The stream
// cannot be resynchronised after it; the connection should be closed.
type ProtocolError struct {
	Msg string
	Err error // underlying cause, such as ErrFrameTooLarge; may be nil
}

func (e *ProtocolError) Error() string {
	if e.Err != nil {
		return "esl: protocol error: " + e.Msg + ": " + e.Err.Error()
	}
	return "esl: protocol error: " + e.Msg
}

func (e *ProtocolError) Unwrap() error { return e.Err }

// Reader reads ESL frames from a byte stream.
type Reader struct {
	br    *bufio.Reader
	max   int
	hdr   []byte // header-block scratch: lines joined by '\n', reused between frames
	body  []byte // body scratch for ReadFrame
	frame Message
}

// NewReader returns a Reader with a 64 KiB buffer and DefaultMaxFrameSize.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64<<10), max: DefaultMaxFrameSize}
}

// SetMaxFrameSize sets the largest frame (header block plus body, in bytes)
// the reader accepts; n <= 0 restores DefaultMaxFrameSize.
func (r *Reader) SetMaxFrameSize(n int) {
	if n <= 0 {
		n = DefaultMaxFrameSize
	}
	r.max = n
}

// MaxFrameSize reports the reader's frame limit.
func (r *Reader) MaxFrameSize() int { return r.max }

// Buffered reports how many bytes are read from the stream but not yet
// returned as frames.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// ReadMessage reads the next frame. The returned message owns its memory.
// At a clean end of stream between frames it returns io.EOF; a stream that
// ends inside a frame gives io.ErrUnexpectedEOF.
func (r *Reader) ReadMessage() (*Message, error) {
	m := &Message{}
	if err := r.read(m, false, true); err != nil {
		return nil, err
	}
	return m, nil
}

// ReadFrame is ReadMessage without copying: the message and its Body are
// valid only until the next call on the Reader. It serves hot paths that
// parse the body at once (events) and keep nothing of the frame.
func (r *Reader) ReadFrame() (*Message, error) {
	r.frame.Command = ""
	r.frame.Headers = r.frame.inline[:0]
	r.frame.Body = nil
	if err := r.read(&r.frame, false, false); err != nil {
		return nil, err
	}
	return &r.frame, nil
}

// ReadCommand reads a client command as a server does: the first line is the
// command (kept in Message.Command), the following lines are headers, and a
// Content-Length header introduces a body. Blank lines before a command are
// skipped.
func (r *Reader) ReadCommand() (*Message, error) {
	m := &Message{}
	if err := r.read(m, true, true); err != nil {
		return nil, err
	}
	return m, nil
}

// read fills m from the stream.
func (r *Reader) read(m *Message, command, own bool) error {
	r.hdr = r.hdr[:0]
	nlines := 0
	started := false
	for {
		line, err := r.readLine(started)
		if err != nil {
			if err == io.EOF && started {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		if len(line) == 0 {
			if !started {
				continue // leading blank lines between frames
			}
			break
		}
		started = true
		if len(r.hdr)+len(line)+1 > r.max {
			return &ProtocolError{Msg: "header block too large", Err: ErrFrameTooLarge}
		}
		// Lines are kept joined by '\n' (which no line contains), so the
		// block needs no side table and the limit counts line ends too.
		r.hdr = append(r.hdr, line...)
		r.hdr = append(r.hdr, '\n')
		nlines++
	}

	block := string(r.hdr) // the one allocation holding every name and value
	if command {
		i := strings.IndexByte(block, '\n')
		m.Command, block = block[:i], block[i+1:]
		nlines--
	}
	if cap(m.Headers)-len(m.Headers) < nlines {
		if nlines <= len(m.inline) {
			m.Headers = m.inline[:0]
		} else {
			m.Headers = make([]Header, 0, nlines)
		}
	}
	contentLength := -1
	for len(block) > 0 {
		i := strings.IndexByte(block, '\n')
		line := block[:i]
		block = block[i+1:]
		colon := strings.IndexByte(line, ':')
		if colon <= 0 {
			return &ProtocolError{Msg: fmt.Sprintf("malformed header line %q", clip(line))}
		}
		name, value := line[:colon], line[colon+1:]
		for len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
		m.Headers = append(m.Headers, Header{Name: name, Value: value})
		if len(name) == len("Content-Length") && equalFoldASCII(name, "Content-Length") {
			n, ok := parseLength(value)
			if !ok {
				return &ProtocolError{Msg: fmt.Sprintf("invalid Content-Length %q", clip(value))}
			}
			contentLength = n
		}
	}
	if contentLength <= 0 {
		return nil
	}
	if contentLength > r.max-len(r.hdr) {
		return &ProtocolError{Msg: fmt.Sprintf("Content-Length %d", contentLength), Err: ErrFrameTooLarge}
	}
	var body []byte
	if own {
		body = make([]byte, contentLength)
	} else {
		if cap(r.body) < contentLength {
			r.body = make([]byte, contentLength)
		}
		body = r.body[:contentLength]
	}
	if _, err := io.ReadFull(r.br, body); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	m.Body = body
	return nil
}

// readLine returns one line without its line ending; the slice is valid until
// the next read. Lines longer than the buffer are accumulated, bounded by the
// frame limit.
func (r *Reader) readLine(started bool) ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		acc := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			if len(acc) > r.max {
				return nil, &ProtocolError{Msg: "header line too long", Err: ErrFrameTooLarge}
			}
			line, err = r.br.ReadSlice('\n')
			acc = append(acc, line...)
		}
		line = acc
	}
	if err != nil {
		if err == io.EOF && (len(line) > 0 || started) {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	line = bytes.TrimRight(line, "\r")
	return line, nil
}

// maxLength is what parseLength reports for a length too big for any frame;
// it is far above every limit yet cannot overflow when added to an offset.
const maxLength = 1<<31 - 1

// parseLength parses a decimal Content-Length. Any run of digits is valid;
// values above maxLength saturate to it, so a huge length is reported as too
// large rather than malformed and never wraps around (on 32-bit platforms, a
// ten-digit length used to overflow int into a small or negative number).
func parseLength(s string) (int, bool) {
	s = trimSpace(s)
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if d := int(c - '0'); n > (maxLength-d)/10 {
			n = maxLength
		} else {
			n = n*10 + d
		}
	}
	return n, true
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
