package audio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// chunk is one RIFF chunk of a hand-built WAV file.
type chunk struct {
	id   string
	body []byte
	size int64 // the size field; -1: len(body)
}

// riff builds a RIFF/WAVE file of chunks, padding odd bodies.
func riff(chunks ...chunk) []byte {
	var b []byte
	for _, c := range chunks {
		size := c.size
		if size < 0 {
			size = int64(len(c.body))
		}
		b = append(b, c.id...)
		b = binary.LittleEndian.AppendUint32(b, uint32(size))
		b = append(b, c.body...)
		if len(c.body)%2 == 1 && size == int64(len(c.body)) {
			b = append(b, 0)
		}
	}
	head := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(4+len(b)))...)
	return append(append(head, "WAVE"...), b...)
}

// fmtBody builds a 16-byte fmt chunk body.
func fmtBody(code, channels, rate, bits, blockAlign int) []byte {
	le := binary.LittleEndian
	b := le.AppendUint16(nil, uint16(code))
	b = le.AppendUint16(b, uint16(channels))
	b = le.AppendUint32(b, uint32(rate))
	b = le.AppendUint32(b, uint32(rate*blockAlign))
	b = le.AppendUint16(b, uint16(blockAlign))
	return le.AppendUint16(b, uint16(bits))
}

// extBody builds a 40-byte WAVE_FORMAT_EXTENSIBLE fmt chunk body whose
// subformat GUID starts with sub and has the standard tail.
func extBody(channels, rate, bits, validBits, sub int) []byte {
	le := binary.LittleEndian
	b := fmtBody(0xFFFE, channels, rate, bits, channels*bits/8)
	b = le.AppendUint16(b, 22)
	b = le.AppendUint16(b, uint16(validBits))
	b = le.AppendUint32(b, 3) // channel mask: front left and right
	b = le.AppendUint16(b, uint16(sub))
	return append(b, subformatTail...)
}

// pcm16 is 16-bit samples as little-endian bytes.
func pcm16(s ...int16) []byte {
	var b []byte
	for _, v := range s {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	return b
}

// g711Body is a G.711 fmt chunk body as real files have it: 18 bytes with
// cbSize 0.
func g711Body(code, channels int) []byte {
	return append(fmtBody(code, channels, 8000, 8, channels), 0, 0)
}

// golden reads a G.711 table from testdata: code byte -> sample.
func golden(t *testing.T, name string) [256]int16 {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var tab [256]int16
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		var code, v int64
		fields := strings.Fields(line)
		if code, err = strconv.ParseInt(fields[0], 16, 64); err == nil {
			v, err = strconv.ParseInt(fields[1], 10, 16)
		}
		if err != nil {
			t.Fatal(line, err)
		}
		tab[code] = int16(v)
		n++
	}
	if n != 256 {
		t.Fatalf("%s: %d entries", name, n)
	}
	return tab
}

// TestG711 decodes every code byte of mu-law and A-law files and checks
// them against an independent implementation (Python's audioop).
func TestG711(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for _, tc := range []struct {
		name, golden string
		fmt          []byte
	}{
		{"mu-law", "ulaw.golden", g711Body(7, 1)},
		{"A-law", "alaw.golden", g711Body(6, 1)},
		{"mu-law extensible", "ulaw.golden", extBody(1, 8000, 8, 8, 7)},
		{"A-law extensible", "alaw.golden", extBody(1, 8000, 8, 8, 6)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fact := chunk{"fact", binary.LittleEndian.AppendUint32(nil, 256), -1}
			c, err := DecodeWAV(riff(chunk{"fmt ", tc.fmt, -1}, fact, chunk{"data", all, -1}))
			if err != nil {
				t.Fatal(err)
			}
			want := golden(t, tc.golden)
			if c.Rate != 8000 || len(c.Channels) != 1 || !slices.Equal(c.Channels[0], want[:]) {
				t.Fatalf("rate %d, %d channels, samples %v\nwant %v", c.Rate, len(c.Channels), c.Channels, want)
			}
		})
	}
	// The values the brief names.
	for _, tc := range []struct {
		code byte
		tab  *[256]int16
		want int16
	}{{0xFF, &muLawTable, 0}, {0x7F, &muLawTable, 0}, {0x80, &muLawTable, 32124}, {0x00, &muLawTable, -32124},
		{0xD5, &aLawTable, 8}, {0x55, &aLawTable, -8}, {0xAA, &aLawTable, 32256}, {0x2A, &aLawTable, -32256}} {
		if got := tc.tab[tc.code]; got != tc.want {
			t.Errorf("code 0x%02x: %d, want %d", tc.code, got, tc.want)
		}
	}
}

// TestDecodeWAV decodes hand-built files with known bytes.
func TestDecodeWAV(t *testing.T) {
	big := make([]byte, 1000)
	for _, tc := range []struct {
		name string
		file []byte
		rate int
		want [][]int16
	}{
		{"1 MHz stereo", riff(chunk{"fmt ", fmtBody(1, 2, 1_000_000, 16, 4), -1}, chunk{"data", pcm16(1, 2), -1}),
			1_000_000, [][]int16{{1}, {2}}},
		{"16-bit mono", riff(chunk{"fmt ", fmtBody(1, 1, 8000, 16, 2), -1}, chunk{"data", pcm16(0, 1, -1, 32767, -32768), -1}),
			8000, [][]int16{{0, 1, -1, 32767, -32768}}},
		{"16-bit stereo", riff(chunk{"fmt ", fmtBody(1, 2, 16000, 16, 4), -1}, chunk{"data", pcm16(1, -1, 2, -2, 3, -3), -1}),
			16000, [][]int16{{1, 2, 3}, {-1, -2, -3}}},
		{"8-bit mono", riff(chunk{"fmt ", fmtBody(1, 1, 11025, 8, 1), -1}, chunk{"data", []byte{0x80, 0xFF, 0x00, 0x81, 0x7F}, -1}),
			11025, [][]int16{{0, 32512, -32768, 256, -256}}},
		{"8-bit stereo", riff(chunk{"fmt ", fmtBody(1, 2, 8000, 8, 2), -1}, chunk{"data", []byte{0x80, 0x90, 0x70, 0x80}, -1}),
			8000, [][]int16{{0, -4096}, {4096, 0}}},
		{"mu-law stereo", riff(chunk{"fmt ", g711Body(7, 2), -1}, chunk{"data", []byte{0xFF, 0x80, 0x00, 0x7F}, -1}),
			8000, [][]int16{{0, -32124}, {32124, 0}}},
		{"A-law mono", riff(chunk{"fmt ", g711Body(6, 1), -1}, chunk{"data", []byte{0xD5, 0x55}, -1}),
			8000, [][]int16{{8, -8}}},
		{"extensible 16-bit stereo", riff(chunk{"fmt ", extBody(2, 48000, 16, 16, 1), -1}, chunk{"data", pcm16(100, -100, 200, -200), -1}),
			48000, [][]int16{{100, 200}, {-100, -200}}},
		{"extensible 12 valid bits", riff(chunk{"fmt ", extBody(1, 8000, 16, 12, 1), -1}, chunk{"data", pcm16(16, -16), -1}),
			8000, [][]int16{{16, -16}}},
		{"chunks around", riff(chunk{"LIST", []byte("INFOabc"), -1}, chunk{"fmt ", fmtBody(1, 1, 8000, 16, 2), -1},
			chunk{"junk", []byte{1, 2, 3}, -1}, chunk{"data", pcm16(7), -1}, chunk{"LIST", []byte("x"), -1}),
			8000, [][]int16{{7}}},
		{"empty data", riff(chunk{"fmt ", fmtBody(1, 2, 8000, 16, 4), -1}, chunk{"data", nil, -1}),
			8000, [][]int16{{}, {}}},
		{"data cut short", riff(chunk{"fmt ", fmtBody(1, 1, 8000, 16, 2), -1}, chunk{"data", pcm16(5, 6, 7), 1000}),
			8000, [][]int16{{5, 6, 7}}},
		{"data cut mid-frame", riff(chunk{"fmt ", fmtBody(1, 2, 8000, 16, 4), -1}, chunk{"data", append(pcm16(5, 6, 7), 1), 0xFFFFFFFF}),
			8000, [][]int16{{5}, {6}}},
		{"odd 8-bit data padded", riff(chunk{"fmt ", fmtBody(1, 1, 8000, 8, 1), -1}, chunk{"data", []byte{0x81, 0x82, 0x83}, -1}),
			8000, [][]int16{{256, 512, 768}}},
		{"riff size wrong", func() []byte {
			b := riff(chunk{"fmt ", fmtBody(1, 1, 8000, 16, 2), -1}, chunk{"data", pcm16(9), -1})
			binary.LittleEndian.PutUint32(b[4:], 0)
			return b
		}(), 8000, [][]int16{{9}}},
		{"1000 silent 8-bit samples", riff(chunk{"fmt ", fmtBody(1, 1, 8000, 8, 1), -1}, chunk{"data", bytes.Repeat([]byte{0x80}, len(big)), -1}),
			8000, [][]int16{make([]int16, len(big))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := DecodeWAV(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if c.Rate != tc.rate || !slices.EqualFunc(c.Channels, tc.want, slices.Equal) {
				t.Fatalf("rate %d, %v; want %d, %v", c.Rate, c.Channels, tc.rate, tc.want)
			}
		})
	}
}

// TestDecodeWAVBad checks every kind of bad input gives the right error
// and no panic.
func TestDecodeWAVBad(t *testing.T) {
	pcmFmt := chunk{"fmt ", fmtBody(1, 1, 8000, 16, 2), -1}
	data := chunk{"data", pcm16(1, 2), -1}
	good := riff(pcmFmt, data)
	for _, tc := range []struct {
		name string
		file []byte
		want error
		msg  string
	}{
		{"empty", nil, ErrNotWAV, ""},
		{"RIFF only", []byte("RIFF"), ErrNotWAV, "cut short at 4 bytes"},
		{"header cut short", good[:10], ErrNotWAV, "cut short"},
		{"header only", good[:12], ErrMalformed, "no fmt chunk"},
		{"not RIFF", append([]byte("OggS"), good[4:]...), ErrNotWAV, ""},
		{"not WAVE", append(append([]byte(nil), good[:8]...), append([]byte("AVI "), good[12:]...)...), ErrNotWAV, ""},
		{"text", []byte("hello, world"), ErrNotWAV, ""},
		{"RIFX", append([]byte("RIFX"), good[4:]...), ErrUnsupported, "RIFX"},
		{"RF64", append([]byte("RF64"), good[4:]...), ErrUnsupported, "RF64"},
		{"fmt chunk too short", riff(chunk{"fmt ", fmtBody(1, 1, 8000, 16, 2)[:14], -1}, data), ErrMalformed, "fmt chunk of 14 bytes"},
		{"fmt chunk cut by the end", good[:12+8+10], ErrMalformed, "fmt chunk of 10 bytes"},
		{"chunk header cut", good[:12+8+16+4], ErrMalformed, "no data chunk"},
		{"data before fmt", riff(data, pcmFmt), ErrMalformed, "data chunk before fmt chunk"},
		{"data only", riff(data), ErrMalformed, "data chunk before fmt chunk"},
		{"no data", riff(pcmFmt, chunk{"LIST", []byte("abcd"), -1}), ErrMalformed, "no data chunk"},
		{"two fmt", riff(pcmFmt, pcmFmt, data), ErrMalformed, "second fmt"},
		{"3 channels", riff(chunk{"fmt ", fmtBody(1, 3, 8000, 16, 6), -1}, data), ErrUnsupported, "3 channels"},
		{"0 channels", riff(chunk{"fmt ", fmtBody(1, 0, 8000, 16, 0), -1}, data), ErrMalformed, "0 channels"},
		{"rate 0", riff(chunk{"fmt ", fmtBody(1, 1, 0, 16, 2), -1}, data), ErrMalformed, "sample rate 0"},
		{"rate 4 GHz", riff(chunk{"fmt ", fmtBody(1, 1, 0xFFFFFFFF, 16, 2), -1}, data), ErrUnsupported, "sample rate 4294967295"},
		{"rate 1.000001 MHz", riff(chunk{"fmt ", fmtBody(1, 1, 1_000_001, 16, 2), -1}, data), ErrUnsupported, "sample rate 1000001"},
		{"24-bit", riff(chunk{"fmt ", fmtBody(1, 1, 8000, 24, 3), -1}, chunk{"data", make([]byte, 6), -1}), ErrUnsupported, "24-bit PCM"},
		{"32-bit", riff(chunk{"fmt ", fmtBody(1, 1, 8000, 32, 4), -1}, data), ErrUnsupported, "32-bit PCM"},
		{"12-bit", riff(chunk{"fmt ", fmtBody(1, 1, 8000, 12, 2), -1}, data), ErrUnsupported, "12-bit PCM"},
		{"float", riff(chunk{"fmt ", fmtBody(3, 1, 8000, 32, 4), -1}, data), ErrUnsupported, "float"},
		{"GSM", riff(chunk{"fmt ", fmtBody(0x31, 1, 8000, 0, 65), -1}, data), ErrUnsupported, "format 0x0031"},
		{"16-bit mu-law", riff(chunk{"fmt ", fmtBody(7, 1, 8000, 16, 2), -1}, data), ErrMalformed, "16-bit G.711"},
		{"block align", riff(chunk{"fmt ", fmtBody(1, 2, 8000, 16, 2), -1}, data), ErrMalformed, "block align 2"},
		{"odd 16-bit data", riff(pcmFmt, chunk{"data", []byte{1, 2, 3}, -1}), ErrMalformed, "data chunk of 3 bytes"},
		{"odd stereo data", riff(chunk{"fmt ", fmtBody(1, 2, 8000, 16, 4), -1}, chunk{"data", make([]byte, 6), -1}), ErrMalformed, "6 bytes"},
		{"extensible too short", riff(chunk{"fmt ", extBody(1, 8000, 16, 16, 1)[:24], -1}, data), ErrMalformed, "EXTENSIBLE"},
		{"extensible float", riff(chunk{"fmt ", extBody(1, 8000, 32, 32, 3), -1}, data), ErrUnsupported, "float"},
		{"extensible GUID", riff(chunk{"fmt ", append(extBody(1, 8000, 16, 16, 1)[:39], 0), -1}, data), ErrUnsupported, "subformat"},
		{"extensible valid bits", riff(chunk{"fmt ", extBody(1, 8000, 16, 20, 1), -1}, data), ErrMalformed, "20 valid bits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := DecodeWAV(tc.file)
			if !errors.Is(err, tc.want) || c != nil {
				t.Fatalf("clip %v, error %v; want %v", c, err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "audio: ") {
				t.Fatalf("error %q, want it to say %q", err, tc.msg)
			}
		})
	}
}

// TestTooLarge checks files over MaxWAVBytes are refused, by ReadWAV before
// reading them.
func TestTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(riff(chunk{"fmt ", fmtBody(1, 1, 8000, 16, 2), -1}, chunk{"data", nil, MaxWAVBytes}))
	if err := f.Truncate(MaxWAVBytes + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	if _, err := ReadWAV(path); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), path) {
		t.Fatalf("ReadWAV: %v", err)
	}
	b := make([]byte, MaxWAVBytes+1) // untouched pages cost no memory
	copy(b, riff(chunk{"fmt ", fmtBody(1, 1, 8000, 16, 2), -1}, chunk{"data", nil, MaxWAVBytes}))
	if _, err := DecodeWAV(b); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("DecodeWAV: %v", err)
	}
}

// TestReadWAV reads files and checks errors name the path.
func TestReadWAV(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.wav")
	want := TestSignal().Render(8000, -10)
	var buf bytes.Buffer
	if err := EncodeWAV(&buf, want); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(good, buf.Bytes(), 0o644)
	c, err := ReadWAV(good)
	if err != nil || c.Rate != 8000 || !slices.Equal(c.Channels[0], want.Channels[0]) {
		t.Fatalf("%v", err)
	}
	bad := filepath.Join(dir, "bad.wav")
	os.WriteFile(bad, riff(chunk{"fmt ", fmtBody(1, 3, 8000, 16, 6), -1}), 0o644)
	if _, err := ReadWAV(bad); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad file: %v", err)
	}
	missing := filepath.Join(dir, "missing.wav")
	if _, err := ReadWAV(missing); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := ReadWAV(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("directory: %v", err)
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestEncodeWAV checks the exact bytes written and the refusals.
func TestEncodeWAV(t *testing.T) {
	var buf bytes.Buffer
	if err := EncodeWAV(&buf, &Clip{Rate: 8000, Channels: [][]int16{{1, -2}, {3, -32768}}}); err != nil {
		t.Fatal(err)
	}
	want := []byte("RIFF\x2c\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x02\x00\x40\x1f\x00\x00\x00\x7d\x00\x00\x04\x00\x10\x00" +
		"data\x08\x00\x00\x00\x01\x00\x03\x00\xfe\xff\x00\x80")
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("\n got % x\nwant % x", buf.Bytes(), want)
	}
	// Long enough to take several writes.
	long := TestSignal().Render(48000, -3)
	long.Channels = append(long.Channels, slices.Clone(long.Channels[0]))
	slices.Reverse(long.Channels[1])
	buf.Reset()
	if err := EncodeWAV(&buf, long); err != nil {
		t.Fatal(err)
	}
	c, err := DecodeWAV(buf.Bytes())
	if err != nil || c.Rate != 48000 || !slices.EqualFunc(c.Channels, long.Channels, slices.Equal) {
		t.Fatalf("round trip: %v", err)
	}
	for _, tc := range []struct {
		name string
		c    *Clip
		w    error
	}{
		{"nil", nil, nil},
		{"no channels", &Clip{Rate: 8000}, ErrUnsupported},
		{"3 channels", &Clip{Rate: 8000, Channels: make([][]int16, 3)}, ErrUnsupported},
		{"rate 0", &Clip{Channels: [][]int16{{1}}}, nil},
		{"rate too high", &Clip{Rate: 1_000_001, Channels: [][]int16{{1}}}, nil},
		{"uneven channels", &Clip{Rate: 8000, Channels: [][]int16{{1, 2}, {1}}}, nil},
		{"too large", &Clip{Rate: 8000, Channels: [][]int16{make([]int16, MaxWAVBytes/2)}}, ErrTooLarge},
	} {
		if err := EncodeWAV(&buf, tc.c); err == nil || tc.w != nil && !errors.Is(err, tc.w) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if err := EncodeWAV(failWriter{}, long); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("failing writer: %v", err)
	}
}

// FuzzDecodeWAV feeds DecodeWAV arbitrary bytes: it must not panic, and a
// clip it returns must be well formed, survive EncodeWAV and DecodeWAV
// unchanged, and be analysable.
func FuzzDecodeWAV(f *testing.F) {
	for _, seed := range [][]byte{
		riff(chunk{"fmt ", fmtBody(1, 1, 8000, 16, 2), -1}, chunk{"data", pcm16(0, 1000, -1000, 32767), -1}),
		riff(chunk{"fmt ", fmtBody(1, 2, 8000, 8, 2), -1}, chunk{"data", []byte{0x80, 0x90, 0x70}, 100}),
		riff(chunk{"fmt ", g711Body(7, 1), -1}, chunk{"fact", []byte{4, 0, 0, 0}, -1}, chunk{"data", []byte{0xFF, 0x80, 0x00}, -1}),
		riff(chunk{"fmt ", g711Body(6, 2), -1}, chunk{"data", []byte{0xD5, 0x55}, -1}),
		riff(chunk{"fmt ", extBody(2, 16000, 16, 16, 1), -1}, chunk{"data", pcm16(1, 2, 3, 4), -1}),
		riff(chunk{"LIST", []byte("INFOx"), -1}, chunk{"fmt ", fmtBody(1, 1, 1, 16, 2), -1}, chunk{"data", pcm16(1), 0xFFFFFFFF}),
		riff(chunk{"data", pcm16(1), -1}),
		[]byte("RIFF"),
		nil,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeWAV(b)
		if err != nil {
			if c != nil {
				t.Fatal("clip with error")
			}
			if !errors.Is(err, ErrNotWAV) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if c.Rate <= 0 || len(c.Channels) < 1 || len(c.Channels) > 2 || len(c.Channels) == 2 && len(c.Channels[0]) != len(c.Channels[1]) {
			t.Fatalf("bad clip: rate %d, %d channels", c.Rate, len(c.Channels))
		}
		var buf bytes.Buffer
		if err := EncodeWAV(&buf, c); err != nil {
			t.Fatal(err)
		}
		d, err := DecodeWAV(buf.Bytes())
		if err != nil || d.Rate != c.Rate || !slices.EqualFunc(c.Channels, d.Channels, slices.Equal) {
			t.Fatalf("round trip: %v", err)
		}
		_ = Analyze(c, Expect{Signal: TestSignal(), Freq: 1004, Channel: len(b)%3 - 1})
		_ = c.Mono()
		_ = c.Duration()
	})
}
