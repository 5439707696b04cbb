package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxWAVBytes is the largest WAV file DecodeWAV and ReadWAV accept (256 MiB,
// over 4 hours of 8 kHz 16-bit mono), so that a wrong path or a corrupt
// file cannot make a test allocate without bound.
const MaxWAVBytes = 256 << 20

// maxRate is the highest sample rate read or written: above any real audio
// (768 kHz is the highest in use), and low enough that every field of a
// WAV header derived from it fits.
const maxRate = 1_000_000

// Errors of DecodeWAV and ReadWAV. They are returned wrapped with detail;
// test them with errors.Is.
var (
	// ErrNotWAV means the input is not a RIFF/WAVE file at all (empty,
	// another format, or the RIFF header is cut short).
	ErrNotWAV = errors.New("not a RIFF/WAVE file")
	// ErrUnsupported means a WAV file in a format this package does not
	// decode: a format code other than PCM, A-law or mu-law, PCM other
	// than 8 or 16 bits, more than 2 channels, a sample rate over 1 MHz,
	// RIFX or RF64.
	ErrUnsupported = errors.New("unsupported WAV")
	// ErrMalformed means a WAV file whose structure is broken: no or too
	// short fmt chunk, data before fmt, no data chunk, impossible fields.
	ErrMalformed = errors.New("malformed WAV")
	// ErrTooLarge means a file over MaxWAVBytes.
	ErrTooLarge = errors.New("WAV file too large")
)

// WAV format codes (the fmt chunk's wFormatTag).
const (
	wavPCM        = 1
	wavFloat      = 3
	wavALaw       = 6
	wavMuLaw      = 7
	wavExtensible = 0xFFFE
)

// subformatTail is bytes 2..15 of the KSDATAFORMAT_SUBTYPE GUIDs
// (xxxxxxxx-0000-0010-8000-00aa00389b71 stored little-endian) whose first
// two bytes are a plain format code, as WAVE_FORMAT_EXTENSIBLE uses them.
var subformatTail = []byte{0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71}

// wavFormat is what DecodeWAV needs of a fmt chunk.
type wavFormat struct {
	code       int // wavPCM, wavALaw or wavMuLaw (extensible resolved)
	channels   int
	rate       int
	bits       int // bits per sample as stored (8 or 16)
	blockAlign int // bytes per frame (all channels)
}

// DecodeWAV decodes a RIFF/WAVE file held in b: PCM 16-bit (format 1, or
// WAVE_FORMAT_EXTENSIBLE with the PCM subformat), 8-bit unsigned PCM,
// G.711 mu-law (format 7) and A-law (format 6, both also as extensible
// subformats), any sample rate up to 1 MHz, 1 or 2 channels.
//
// It never panics on bad input. Errors wrap ErrNotWAV, ErrUnsupported,
// ErrMalformed or ErrTooLarge (over MaxWAVBytes) with detail. Chunks other
// than fmt and data are skipped, the RIFF size field is not trusted (writers
// that stream leave it wrong), and a data chunk claiming more bytes than
// present is cut to the whole frames present, so a recording whose writer
// died still decodes; a complete data chunk that is not a whole number of
// frames is an error.
func DecodeWAV(b []byte) (*Clip, error) {
	c, err := decodeWAV(b)
	if err != nil {
		return nil, fmt.Errorf("audio: %w", err)
	}
	return c, nil
}

// ReadWAV reads and decodes the WAV file at path (see DecodeWAV); its
// errors name the path. Files over MaxWAVBytes are refused before they are
// read.
func ReadWAV(path string) (*Clip, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audio: %w", err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		if fi.Size() > MaxWAVBytes {
			return nil, fmt.Errorf("audio: %s: %w (%d bytes, at most %d)", path, ErrTooLarge, fi.Size(), MaxWAVBytes)
		}
		buf.Grow(int(fi.Size()) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxWAVBytes+1)); err != nil {
		return nil, fmt.Errorf("audio: read %s: %w", path, err)
	}
	c, err := decodeWAV(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("audio: %s: %w", path, err)
	}
	return c, nil
}

// decodeWAV is DecodeWAV with errors not yet prefixed by the package name.
func decodeWAV(b []byte) (*Clip, error) {
	if len(b) > MaxWAVBytes {
		return nil, fmt.Errorf("%w (%d bytes, at most %d)", ErrTooLarge, len(b), MaxWAVBytes)
	}
	if len(b) >= 4 {
		switch string(b[:4]) {
		case "RIFX":
			return nil, fmt.Errorf("%w: big-endian RIFX", ErrUnsupported)
		case "RF64", "BW64":
			return nil, fmt.Errorf("%w: %s", ErrUnsupported, b[:4])
		}
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		if len(b) < 12 && len(b) > 0 && bytes.HasPrefix([]byte("RIFF"), b[:min(len(b), 4)]) {
			return nil, fmt.Errorf("%w: RIFF header cut short at %d bytes", ErrNotWAV, len(b))
		}
		return nil, ErrNotWAV
	}
	var f *wavFormat
	off := 12
	for off+8 <= len(b) {
		id := string(b[off : off+4])
		size := int64(binary.LittleEndian.Uint32(b[off+4:]))
		start := off + 8
		avail := int64(len(b) - start)
		body := b[start : start+int(min(size, avail))]
		switch id {
		case "fmt ":
			if f != nil {
				return nil, fmt.Errorf("%w: second fmt chunk", ErrMalformed)
			}
			var err error
			if f, err = parseFmt(body); err != nil {
				return nil, err
			}
		case "data":
			if f == nil {
				return nil, fmt.Errorf("%w: data chunk before fmt chunk", ErrMalformed)
			}
			return decodeData(f, body, size > avail)
		}
		next := int64(start) + size + size&1 // chunks are padded to even sizes
		if next > int64(len(b)) {
			break
		}
		off = int(next)
	}
	if f == nil {
		return nil, fmt.Errorf("%w: no fmt chunk", ErrMalformed)
	}
	return nil, fmt.Errorf("%w: no data chunk", ErrMalformed)
}

// parseFmt checks a fmt chunk's body and returns the format it describes.
func parseFmt(body []byte) (*wavFormat, error) {
	if len(body) < 16 {
		return nil, fmt.Errorf("%w: fmt chunk of %d bytes, need 16", ErrMalformed, len(body))
	}
	le := binary.LittleEndian
	f := &wavFormat{
		code:       int(le.Uint16(body[0:])),
		channels:   int(le.Uint16(body[2:])),
		blockAlign: int(le.Uint16(body[12:])),
		bits:       int(le.Uint16(body[14:])),
	}
	rate := le.Uint32(body[4:])
	if rate > maxRate {
		return nil, fmt.Errorf("%w: sample rate %d (at most %d)", ErrUnsupported, rate, maxRate)
	}
	f.rate = int(rate)
	if f.code == wavExtensible {
		if len(body) < 40 || le.Uint16(body[16:]) < 22 {
			return nil, fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE fmt chunk of %d bytes, need 40", ErrMalformed, len(body))
		}
		valid := int(le.Uint16(body[18:]))
		sub := body[24:40]
		if !bytes.Equal(sub[2:], subformatTail) {
			return nil, fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE subformat % x", ErrUnsupported, sub)
		}
		f.code = int(le.Uint16(sub))
		if valid > f.bits {
			return nil, fmt.Errorf("%w: %d valid bits in %d-bit samples", ErrMalformed, valid, f.bits)
		}
	}
	switch {
	case f.channels == 0:
		return nil, fmt.Errorf("%w: 0 channels", ErrMalformed)
	case f.channels > 2:
		return nil, fmt.Errorf("%w: %d channels (1 or 2 supported)", ErrUnsupported, f.channels)
	case f.rate == 0:
		return nil, fmt.Errorf("%w: sample rate 0", ErrMalformed)
	}
	switch f.code {
	case wavPCM:
		if f.bits != 8 && f.bits != 16 {
			return nil, fmt.Errorf("%w: %d-bit PCM (8 or 16 supported)", ErrUnsupported, f.bits)
		}
	case wavALaw, wavMuLaw:
		if f.bits != 8 {
			return nil, fmt.Errorf("%w: %d-bit G.711 (8 expected)", ErrMalformed, f.bits)
		}
	case wavFloat:
		return nil, fmt.Errorf("%w: IEEE float samples", ErrUnsupported)
	default:
		return nil, fmt.Errorf("%w: format 0x%04x", ErrUnsupported, f.code)
	}
	if want := f.channels * f.bits / 8; f.blockAlign != want {
		return nil, fmt.Errorf("%w: block align %d for %d channel(s) of %d bits, want %d", ErrMalformed, f.blockAlign, f.channels, f.bits, want)
	}
	return f, nil
}

// decodeData decodes the data chunk's body in format f. truncated says the
// chunk claimed more bytes than the file holds: then a last partial frame
// is dropped rather than refused.
func decodeData(f *wavFormat, body []byte, truncated bool) (*Clip, error) {
	if rem := len(body) % f.blockAlign; rem != 0 {
		if !truncated {
			return nil, fmt.Errorf("%w: data chunk of %d bytes is not a whole number of %d-byte frames", ErrMalformed, len(body), f.blockAlign)
		}
		body = body[:len(body)-rem]
	}
	frames := len(body) / f.blockAlign
	c := &Clip{Rate: f.rate, Channels: make([][]int16, f.channels)}
	for ch := range c.Channels {
		c.Channels[ch] = make([]int16, frames)
	}
	if frames == 0 {
		return c, nil
	}
	bps := f.bits / 8
	for ch, out := range c.Channels {
		p := body[ch*bps:]
		switch {
		case f.code == wavPCM && f.bits == 16:
			for i := range out {
				out[i] = int16(binary.LittleEndian.Uint16(p[i*f.blockAlign:]))
			}
		case f.code == wavPCM: // 8-bit, unsigned with 128 as zero
			for i := range out {
				out[i] = (int16(p[i*f.blockAlign]) - 128) << 8
			}
		case f.code == wavMuLaw:
			for i := range out {
				out[i] = muLawTable[p[i*f.blockAlign]]
			}
		default: // wavALaw
			for i := range out {
				out[i] = aLawTable[p[i*f.blockAlign]]
			}
		}
	}
	return c, nil
}

// muLawTable and aLawTable map G.711 code bytes to 16-bit linear samples.
var muLawTable, aLawTable = g711Tables()

// g711Tables builds the G.711 expansion tables (ITU-T G.711; the same
// values as the classic Sun g711.c and Python's audioop).
func g711Tables() (mu, a [256]int16) {
	for i := range 256 {
		// mu-law: bits are inverted; sign, 3-bit exponent, 4-bit mantissa,
		// with a bias of 0x84.
		u := ^byte(i)
		m := ((int(u&0x0F) << 3) + 0x84) << (u >> 4 & 7)
		if u&0x80 != 0 {
			mu[i] = int16(0x84 - m)
		} else {
			mu[i] = int16(m - 0x84)
		}
		// A-law: even bits inverted (xor 0x55); sign set means positive.
		v := byte(i) ^ 0x55
		t := int(v&0x0F) << 4
		switch seg := int(v>>4) & 7; seg {
		case 0:
			t += 8
		default:
			t = (t + 0x108) << (seg - 1)
		}
		if v&0x80 != 0 {
			a[i] = int16(t)
		} else {
			a[i] = int16(-t)
		}
	}
	return mu, a
}

// EncodeWAV writes c to w as a 16-bit PCM WAV file, mono or stereo after
// len(c.Channels), so that rendered signals can be played by FreeSWITCH
// and recordings saved for later. It refuses clips DecodeWAV could not read
// back: other than 1 or 2 channels, channels of different lengths, a Rate
// outside 1 Hz..1 MHz, or a file over MaxWAVBytes.
func EncodeWAV(w io.Writer, c *Clip) error {
	if c == nil {
		return errors.New("audio: encode WAV: nil clip")
	}
	ch := len(c.Channels)
	if ch < 1 || ch > 2 {
		return fmt.Errorf("audio: encode WAV: %w: %d channels (1 or 2 supported)", ErrUnsupported, ch)
	}
	if c.Rate <= 0 || c.Rate > maxRate {
		return fmt.Errorf("audio: encode WAV: sample rate %d out of range 1..%d", c.Rate, maxRate)
	}
	frames := len(c.Channels[0])
	if ch == 2 && len(c.Channels[1]) != frames {
		return fmt.Errorf("audio: encode WAV: channels of %d and %d samples", frames, len(c.Channels[1]))
	}
	data := int64(frames) * int64(ch) * 2
	if 44+data > MaxWAVBytes {
		return fmt.Errorf("audio: encode WAV: %w (%d bytes, at most %d)", ErrTooLarge, 44+data, MaxWAVBytes)
	}
	le := binary.LittleEndian
	buf := make([]byte, 0, 32<<10)
	buf = append(buf, "RIFF"...)
	buf = le.AppendUint32(buf, uint32(36+data))
	buf = append(buf, "WAVEfmt "...)
	buf = le.AppendUint32(buf, 16)
	buf = le.AppendUint16(buf, wavPCM)
	buf = le.AppendUint16(buf, uint16(ch))
	buf = le.AppendUint32(buf, uint32(c.Rate))
	buf = le.AppendUint32(buf, uint32(c.Rate*ch*2))
	buf = le.AppendUint16(buf, uint16(ch*2))
	buf = le.AppendUint16(buf, 16)
	buf = append(buf, "data"...)
	buf = le.AppendUint32(buf, uint32(data))
	for i := range frames {
		for _, s := range c.Channels {
			buf = le.AppendUint16(buf, uint16(s[i]))
		}
		if len(buf) > cap(buf)-4 {
			if _, err := w.Write(buf); err != nil {
				return fmt.Errorf("audio: encode WAV: %w", err)
			}
			buf = buf[:0]
		}
	}
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("audio: encode WAV: %w", err)
	}
	return nil
}
