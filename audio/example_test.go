package audio_test

import (
	"bytes"
	"fmt"

	"github.com/switchio/switchio/audio"
)

// ExampleAnalyze checks two recordings of the test clip played twice: one
// clean, one where 120 ms of audio was lost. In a test the recording would
// come from audio.ReadWAV.
func ExampleAnalyze() {
	const rate = 8000
	clip := audio.TestSignal().Render(rate, -10).Channels[0]
	lead := make([]int16, rate/2) // half a second before the far end plays
	samples := append(append(lead, clip...), clip...)

	var wav bytes.Buffer
	if err := audio.EncodeWAV(&wav, &audio.Clip{Rate: rate, Channels: [][]int16{samples}}); err != nil {
		panic(err)
	}
	rec, err := audio.DecodeWAV(wav.Bytes())
	if err != nil {
		panic(err)
	}
	want := audio.Expect{Signal: audio.TestSignal()}
	a := audio.Analyze(rec, want)
	fmt.Printf("OK=%v found %d of %d tones at %.1f dBFS, %d dropouts\n", a.OK, a.Found, a.Expected, a.LevelDBFS, a.Dropouts)

	// Lose 120 ms in the middle of the second play's third tone.
	cut := rec.Channels[0][rate/2+rate*3/2+rate*53/100:][:rate*12/100]
	clear(cut)
	a = audio.Analyze(rec, want)
	fmt.Printf("OK=%v %s (sequence OK=%v)\n", a.OK, a.Reason, a.SequenceOK)
	// Output:
	// OK=true found 12 of 12 tones at -13.2 dBFS, 0 dropouts
	// OK=false 1 dropout of 120 ms (sequence OK=false)
}
