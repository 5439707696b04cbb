package audio

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Defaults of Expect's zero fields.
const (
	// DefaultMinLevelDBFS is the quietest frame counted as sound: well
	// above digital silence and the hiss of a quiet line, well below
	// speech or a test tone.
	DefaultMinLevelDBFS = -50.0
	// DefaultMaxGap is the longest silence inside the audio not counted as
	// a dropout: up to two 20 ms RTP packets lost in a row are tolerated,
	// three are a dropout.
	DefaultMaxGap = 40 * time.Millisecond
)

// Analysis thresholds.
const (
	// toneShare is the share of a frame's power a tone must have for the
	// frame to hold it: more than half, so at most one tone wins a frame,
	// with room for noise 20 dB down (1%) and codec distortion.
	toneShare = 0.5
	// foregroundDB: sound frames this far or more below the loud frames
	// (the 90th percentile) are background, e.g. line noise between
	// tones, not "something else heard".
	foregroundDB = 15
	// freqShare is the share of the foreground frames an expected steady
	// tone (Expect.Freq) must hold.
	freqShare = 0.8
	// otherFrames consecutive loud frames holding no expected tone are
	// "something else heard"; shorter runs are edges and glitches.
	otherFrames = 3
	// dominantShare is the share of a block's power the strongest
	// frequency must have to be reported as Analysis.ToneHz.
	dominantShare = 0.3
	// Frame labels besides the index of an expected frequency.
	labSilence = -2 // quieter than MinLevelDBFS
	labOther   = -1 // sound holding no expected frequency
)

// Expect describes what a recording should contain. Its zero value expects
// any sound at all, without dropouts, on channel 0.
type Expect struct {
	// Signal, when set, is the tone sequence that should be found in
	// order: each element with Hz > 0 must be detected for at least half
	// its duration, in order. Repeats of the whole sequence are allowed
	// (a clip played several times), and the recording may start or end
	// part way through a repeat. Empty (or silence only): any audio.
	Signal Signal
	// Freq, when not zero, is a single steady tone expected throughout
	// (TonePlay's 1004 Hz): it must hold 80% of the loud frames.
	Freq float64
	// MinLevelDBFS is the quietest frame level counted as sound (zero:
	// DefaultMinLevelDBFS, -50).
	MinLevelDBFS float64
	// MaxGap is the longest silence inside the audio not counted as a
	// dropout (zero: DefaultMaxGap, 40 ms). Silence before the first sound
	// and after the last is lead-in and tail, not a dropout, and so are
	// the gaps designed into Signal (its silent parts, and the silence
	// between repeats): such a gap is a dropout only when it is more than
	// MaxGap longer than designed. Gaps are found as silent 10 ms frames,
	// so one shorter than 20 ms may go unseen.
	MaxGap time.Duration
	// Channel selects the channel of a stereo clip to analyse: 0 or 1, or
	// -1 for the channels mixed (Clip.Mono). The default 0 suits mono.
	Channel int
	// Pause is silence designed in between passes of Signal on top of the
	// signal's own: a leg of a call whose legs take turns playing a clip
	// hears every other play, so between two passes it hears the pause
	// of its own play (PlayRec, MutedPlayRec). Each pass boundary a gap
	// spans allows one Pause more.
	Pause time.Duration
}

// Analysis is what Analyze found in a recording, with OK and Reason as the
// verdict and the measurements behind it.
type Analysis struct {
	Duration   time.Duration // length of the clip
	LevelDBFS  float64       // RMS level over the frames with sound (over all samples when Silent), at least FloorDBFS
	Silent     bool          // no frame reached MinLevelDBFS
	ToneHz     float64       // dominant frequency over the sound (0 if none stands out), within ±5 Hz for a pure tone
	Dropouts   int           // silent gaps longer than MaxGap between sounds
	LongestGap time.Duration // longest silent gap between sounds, to the millisecond, not counting lead-in, tail and Signal's designed gaps
	SoundTime  time.Duration // time of the frames with sound
	Found      int           // Signal tones detected in order, counting across repeats
	Expected   int           // Signal tones expected: every tone from the first found to the last found, at least one pass
	SequenceOK bool          // the whole Signal was found in order at least once, no tone was missed between the first and last found, and nothing else was heard
	OK         bool          // not silent, no dropouts, and the expected Signal and Freq (when set) were found
	Reason     string        // why not OK, as one short phrase ("silent", "3 dropouts, longest 120 ms", "tone 1100 Hz missing", "heard 440 Hz, expected 1004 Hz"); empty when OK
}

// toneElem is one audible element of Expect.Signal.
type toneElem struct {
	f          int           // index into analyzer.freqs
	dur        time.Duration // how long it plays
	start, end time.Duration // when it plays within one pass of the signal
}

// detection is a stretch of frames holding one expected frequency: a
// candidate for one Signal tone.
type detection struct {
	f          int // index into analyzer.freqs
	start, end int // first frame and one past the last frame holding f
	frames     int // frames holding f
	elem       int // the Signal tone it was matched to, or -1
	slot       int // position of that tone in the repeated signal: pass*len(tones)+elem
}

// analyzer holds one Analyze run's frames and findings.
type analyzer struct {
	e      Expect
	x      []int16
	rate   int
	n, nf  int           // samples per frame, frames
	fd     time.Duration // duration of a frame
	ms     []float64     // mean square sample value per frame
	sound  []bool        // frame at or above MinLevelDBFS
	fg     []bool        // sound frame no more than foregroundDB below the loud frames
	lab    []int         // labSilence, labOther or the index of the frequency the frame holds
	freqs  []float64     // expected frequencies (Signal's tones and Freq)
	tones  []toneElem    // Signal's audible elements
	period time.Duration // one pass of the Signal
	// maxSilence is the longest silence between two tones of the Signal,
	// repeated (the silence between passes included).
	maxSilence time.Duration
	dets       []detection // detections taking part in the sequence, in time order
	// allowance is the designed silence (plus MaxGap) left between
	// detections allowFor-1 and allowFor, for designed.
	allowance time.Duration
	allowFor  int
}

// Analyze checks a recording against what it should contain: whether it
// has sound, at what level, with dropouts or not, and (when e asks) whether
// it holds the expected tone sequence or steady tone.
//
// It works in frames of 10 ms (80 samples at 8 kHz): short enough that the
// gap left by one or two lost 20 ms packets silences whole frames (a gap
// is then timed to the millisecond from the samples at its edges), and
// long enough for Goertzel to tell apart tones 200 Hz apart (its
// resolution is 100 Hz). A frame has sound when its RMS level reaches MinLevelDBFS, and holds
// an expected tone when Goertzel power at that frequency is more than half
// of the frame's power; a tone within about ±40 Hz of the expected
// frequency still counts. Frames holding one frequency are gathered into
// detections (bridging gaps up to MaxGap) and aligned with the repeated
// Signal by dynamic programming, counting each missed tone and each
// unexpected detection as one error, so that a recording that starts or
// ends part way through the signal is not blamed for it.
//
// Analyze never fails: a nil or empty clip, or a channel the clip lacks,
// gives an Analysis that is not OK with the reason.
func Analyze(c *Clip, e Expect) Analysis {
	if e.MinLevelDBFS == 0 {
		e.MinLevelDBFS = DefaultMinLevelDBFS
	}
	if e.MaxGap <= 0 {
		e.MaxGap = DefaultMaxGap
	}
	r := Analysis{LevelDBFS: FloorDBFS}
	if c == nil {
		r.Silent, r.Reason = true, "empty"
		return r
	}
	r.Duration = c.Duration()
	var x []int16
	switch {
	case e.Channel == -1:
		x = c.Mono()
	case e.Channel >= 0 && e.Channel < len(c.Channels):
		x = c.Channels[e.Channel]
	default:
		r.Reason = fmt.Sprintf("no channel %d (clip has %d)", e.Channel, len(c.Channels))
		return r
	}
	if c.Rate <= 0 {
		r.Reason = fmt.Sprintf("invalid sample rate %d", c.Rate)
		return r
	}
	a := &analyzer{e: e, x: x, rate: c.Rate}
	a.n = max(1, int(math.Round(float64(c.Rate)/100)))
	a.nf = len(x) / a.n
	if len(x)%a.n >= (a.n+1)/2 {
		a.nf++ // a last frame of at least half the length counts
	}
	a.fd = samplesDur(a.n, c.Rate)
	a.expectations()
	r.Expected = len(a.tones)
	if a.nf == 0 {
		r.Silent, r.Reason = true, "empty"
		r.LevelDBFS = LevelDBFS(x)
		return r
	}

	soundFrames := a.levels()
	r.SoundTime = time.Duration(soundFrames) * a.fd
	if soundFrames == 0 {
		r.Silent, r.Reason = true, "silent"
		r.LevelDBFS = LevelDBFS(x)
		return r
	}
	var sum float64
	var count int
	for i, s := range a.sound {
		if s {
			k := len(a.frame(i))
			sum += a.ms[i] * float64(k)
			count += k
		}
	}
	r.LevelDBFS = msDBFS(sum / float64(count))
	a.foreground()
	a.label()

	var seqReason string
	if len(a.tones) > 0 {
		r.Found, r.Expected, r.SequenceOK, seqReason = a.sequence()
	}
	r.Dropouts, r.LongestGap = a.gaps()
	r.ToneHz = a.toneHz()

	var freqReason string
	if isTone(e.Freq) {
		freqReason = a.checkFreq(r.ToneHz)
	}
	switch {
	case r.Dropouts == 1:
		r.Reason = fmt.Sprintf("1 dropout of %d ms", r.LongestGap.Round(time.Millisecond).Milliseconds())
	case r.Dropouts > 1:
		r.Reason = fmt.Sprintf("%d dropouts, longest %d ms", r.Dropouts, r.LongestGap.Round(time.Millisecond).Milliseconds())
	case freqReason != "":
		r.Reason = freqReason
	case len(a.tones) > 0 && !r.SequenceOK:
		r.Reason = seqReason
	}
	r.OK = r.Reason == ""
	return r
}

// expectations collects the expected frequencies and Signal's audible
// elements with their place in one pass.
func (a *analyzer) expectations() {
	index := func(hz float64) int {
		if i := slices.Index(a.freqs, hz); i >= 0 {
			return i
		}
		a.freqs = append(a.freqs, hz)
		return len(a.freqs) - 1
	}
	var t time.Duration
	for _, tn := range a.e.Signal {
		d := max(tn.Dur, 0)
		if isTone(tn.Hz) && d > 0 {
			a.tones = append(a.tones, toneElem{f: index(tn.Hz), dur: d, start: t, end: t + d})
		}
		t += d
	}
	a.period = t
	for k, tn := range a.tones {
		if k > 0 {
			a.maxSilence = max(a.maxSilence, tn.start-a.tones[k-1].end)
		} else {
			a.maxSilence = t - a.tones[len(a.tones)-1].end + tn.start
		}
	}
	if isTone(a.e.Freq) {
		index(a.e.Freq)
	}
}

// frame returns frame i's samples (the last frame may be shorter).
func (a *analyzer) frame(i int) []int16 {
	return a.x[i*a.n : min((i+1)*a.n, len(a.x))]
}

// levels measures every frame's mean square and marks the frames with
// sound; it returns how many there are.
func (a *analyzer) levels() int {
	a.ms = make([]float64, a.nf)
	a.sound = make([]bool, a.nf)
	thr := dbfsMS(a.e.MinLevelDBFS)
	sound := 0
	for i := range a.nf {
		fr := a.frame(i)
		var sum float64
		for _, v := range fr {
			f := float64(v)
			sum += f * f
		}
		a.ms[i] = sum / float64(len(fr))
		if a.ms[i] > 0 && a.ms[i] >= thr {
			a.sound[i] = true
			sound++
		}
	}
	return sound
}

// foreground marks the sound frames within foregroundDB of the loud ones
// (the 90th percentile of the sound frames' levels).
func (a *analyzer) foreground() {
	var lv []float64
	for i, s := range a.sound {
		if s {
			lv = append(lv, a.ms[i])
		}
	}
	slices.Sort(lv)
	thr := lv[(len(lv)-1)*9/10] * math.Pow(10, -foregroundDB/10.0)
	a.fg = make([]bool, a.nf)
	for i, s := range a.sound {
		a.fg[i] = s && a.ms[i] >= thr
	}
}

// label marks each frame as silence, other sound, or holding one of the
// expected frequencies: the one whose Goertzel power is the largest share
// of the frame's power, if more than toneShare.
func (a *analyzer) label() {
	a.lab = make([]int, a.nf)
	cs := make([]float64, len(a.freqs))
	for k, f := range a.freqs {
		cs[k] = coeff(f, a.rate)
	}
	buf := make([]float64, a.n)
	for i := range a.nf {
		if !a.sound[i] {
			a.lab[i] = labSilence
			continue
		}
		a.lab[i] = labOther
		if len(cs) == 0 {
			continue
		}
		fr := a.frame(i)
		b := buf[:len(fr)]
		for j, v := range fr {
			b[j] = float64(v)
		}
		// share = |X(f)|² / (N/2 · Σx²): 1 for a pure tone at f.
		norm := 2 / (float64(len(fr)) * a.ms[i] * float64(len(fr)))
		best := toneShare
		for k := 0; k < len(cs); k += 2 {
			var p, q float64
			if k+1 < len(cs) {
				p, q = goertzelF2(b, cs[k], cs[k+1])
			} else {
				p = goertzelF(b, cs[k])
			}
			if s := p * norm; s > best {
				a.lab[i], best = k, s
			}
			if s := q * norm; s > best {
				a.lab[i], best = k+1, s
			}
		}
	}
}

// sequence finds Signal's tones in the recording. It gathers frames holding
// one frequency into detections, then aligns the detections with the
// endlessly repeated Signal, minimising errors (a Signal tone skipped
// between two matched ones, or a detection matched to nothing) and, among
// equal alignments, maximising matches. Tones skipped before the first
// match and after the last cost nothing: the recording may start or end
// mid-signal.
func (a *analyzer) sequence() (found, expected int, ok bool, reason string) {
	nt := len(a.tones)
	a.dets = a.plausible(a.detect())
	a.align()
	slots, extras := a.number()
	found = len(slots)
	if found == 0 {
		reason = "signal not heard"
		if len(extras) > 0 {
			reason = fmt.Sprintf("signal not heard (heard %s Hz)", hz(a.freqs[extras[0].f]))
		}
		return 0, nt, false, reason
	}
	first, last := slots[0], slots[found-1]
	expected = max(nt, last-first+1)
	missing := a.missing(slots)
	whole := a.whole(slots)
	otherAt, otherEnd := a.otherSound()
	ok = whole && len(missing) == 0 && len(extras) == 0 && otherAt < 0
	return found, expected, ok, a.sequenceReason(missing, extras, whole, otherAt, otherEnd)
}

// maxDetectionLen returns, per expected frequency, the longest detection
// before it is split, in frames: a little more than the longest Signal tone
// of that frequency, or the whole clip for a frequency expected only as
// Freq.
func (a *analyzer) maxDetectionLen() []int {
	maxLen := make([]int, len(a.freqs))
	for k := range maxLen {
		maxLen[k] = a.nf // a frequency expected only as Freq
	}
	for _, t := range a.tones {
		maxLen[t.f] = 0
	}
	for _, t := range a.tones {
		maxLen[t.f] = max(maxLen[t.f], int((t.dur+a.fd-1)/a.fd)+2)
	}
	return maxLen
}

// detect gathers the frames holding an expected frequency into detections,
// in time order: a detection goes on across gaps up to MaxGap in which its
// frequency is not held, and is split when it grows longer than
// maxDetectionLen.
func (a *analyzer) detect() []detection {
	bridge := int(a.e.MaxGap / a.fd)
	maxLen := a.maxDetectionLen()
	var dets []detection
	open := -1
	for i, l := range a.lab {
		if l < 0 {
			continue
		}
		if open >= 0 {
			d := &dets[open]
			if d.f == l && i-d.end <= bridge && i+1-d.start <= maxLen[l] {
				d.end, d.frames = i+1, d.frames+1
				continue
			}
		}
		dets = append(dets, detection{f: l, start: i, end: i + 1, frames: 1, elem: -1})
		open = len(dets) - 1
	}
	return dets
}

// plausible filters dets in place: a detection too short for any tone of
// its frequency is dropped when it is a glitch (under otherFrames) or cut
// by the clip's start or end.
func (a *analyzer) plausible(dets []detection) []detection {
	kept := dets[:0]
	for _, d := range dets {
		ok := d.frames >= otherFrames && d.start > 1 && d.end < a.nf-1
		for j := range a.tones {
			ok = ok || a.matches(&d, j)
		}
		if ok {
			kept = append(kept, d)
		}
	}
	return kept
}

// align matches the detections with the repeated Signal by dynamic
// programming over the last matched tone, setting each matched detection's
// elem (see sequence for what the alignment minimises).
func (a *analyzer) align() {
	nt := len(a.tones)
	// State s < nt: the last matched tone was s; s == nt: none matched yet.
	type score struct{ cost, matched int }
	const inf = math.MaxInt / 2
	better := func(x, y score) bool { return x.cost < y.cost || x.cost == y.cost && x.matched > y.matched }
	cur := make([]score, nt+1)
	next := make([]score, nt+1)
	for s := range cur {
		cur[s] = score{inf, 0}
	}
	cur[nt] = score{}
	back := make([]int32, len(a.dets)*(nt+1)) // previous state*2, +1 when the detection matched
	for i := range a.dets {
		d := &a.dets[i]
		for s := range next {
			next[s] = score{inf, 0}
		}
		for s, sc := range cur {
			if sc.cost == inf {
				continue
			}
			if x := (score{sc.cost + 1, sc.matched}); better(x, next[s]) {
				next[s], back[i*(nt+1)+s] = x, int32(2*s)
			}
			for j := range nt {
				if !a.matches(d, j) {
					continue
				}
				skip := 0
				if s < nt {
					skip = ((j-s-1)%nt + nt) % nt
				}
				if x := (score{sc.cost + skip, sc.matched + 1}); better(x, next[j]) {
					next[j], back[i*(nt+1)+j] = x, int32(2*s+1)
				}
			}
		}
		cur, next = next, cur
	}
	s := nt
	for k := range cur {
		if better(cur[k], cur[s]) {
			s = k
		}
	}
	for i := len(a.dets) - 1; i >= 0; i-- {
		b := back[i*(nt+1)+s]
		if b&1 == 1 {
			a.dets[i].elem = s
		}
		s = int(b >> 1)
	}
}

// number numbers the matched detections' slots in the repeated signal (a
// new pass starts when a tone does not come after the previous one). It
// returns the slots in time order, and the detections matched to nothing.
func (a *analyzer) number() (slots []int, extras []*detection) {
	nt := len(a.tones)
	pass, prev := 0, -1
	for i := range a.dets {
		d := &a.dets[i]
		if d.elem < 0 {
			extras = append(extras, d)
			continue
		}
		if prev >= 0 && d.elem <= prev {
			pass++
		}
		prev = d.elem
		d.slot = pass*nt + d.elem
		slots = append(slots, d.slot)
	}
	return slots, extras
}

// missing returns the indices of the Signal tones missed between the first
// and last matched slot, and of those after the last needed to complete
// one pass from the first.
func (a *analyzer) missing(slots []int) []int {
	nt := len(a.tones)
	first, last := slots[0], slots[len(slots)-1]
	var missing []int
	for k := 1; k < len(slots); k++ {
		for sl := slots[k-1] + 1; sl < slots[k]; sl++ {
			missing = append(missing, sl%nt)
		}
	}
	for sl := last + 1; sl < first+nt; sl++ {
		missing = append(missing, sl%nt)
	}
	return missing
}

// whole reports whether the slots hold one whole pass of the Signal, from
// its first tone to its last.
func (a *analyzer) whole(slots []int) bool {
	nt := len(a.tones)
	for k := 0; k+nt <= len(slots); k++ {
		if slots[k]%nt == 0 && slots[k+nt-1] == slots[k]+nt-1 {
			return true
		}
	}
	return false
}

// otherSound finds the first run of otherFrames or more loud frames holding
// no expected tone: it returns the run's first frame and the frame after
// it (0 when the run lasts to the end), or -1 and 0 when there is none.
func (a *analyzer) otherSound() (at, end int) {
	at, end = -1, 0
	for i, run := 0, 0; i < a.nf && end == 0; i++ {
		switch {
		case a.fg[i] && a.lab[i] == labOther:
			if run++; run == otherFrames {
				at = i - run + 1
			}
		case at >= 0:
			end = i
		default:
			run = 0
		}
	}
	return at, end
}

// sequenceReason says why a sequence with matched tones is not OK, from
// the first fault found: missing tones, unexpected tones, other sound at
// otherAt (up to otherEnd, see otherSound), or the signal never heard
// whole. It returns "" when there is none.
func (a *analyzer) sequenceReason(missing []int, extras []*detection, whole bool, otherAt, otherEnd int) string {
	switch {
	case len(missing) > 0:
		return a.missingReason(missing, extras)
	case len(extras) > 0:
		d := extras[0]
		return fmt.Sprintf("unexpected %s Hz tone at %s", hz(a.freqs[d.f]), a.at(d.start))
	case otherAt >= 0:
		if otherEnd == 0 {
			otherEnd = a.nf
		}
		other := func(i int) bool { return i >= otherAt && i < otherEnd }
		if f, share := a.peak(a.block(other), 100, min(3900, float64(a.rate)/2-50)); share >= toneShare {
			return fmt.Sprintf("unexpected %s Hz tone at %s", hz(f), a.at(otherAt))
		}
		return "unexpected sound at " + a.at(otherAt)
	case !whole:
		return "signal never heard whole, from its first tone to its last"
	}
	return ""
}

// missingReason names the missing tones. A single missing tone that was
// heard elsewhere (an unmatched detection of its frequency) is out of
// order, or too short when that detection is.
func (a *analyzer) missingReason(missing []int, extras []*detection) string {
	if len(missing) == 1 {
		j := missing[0]
		name := hz(a.freqs[a.tones[j].f])
		for _, d := range extras {
			if d.f != a.tones[j].f {
				continue
			}
			if a.matches(d, j) {
				return "tone " + name + " Hz out of order"
			}
			return fmt.Sprintf("tone %s Hz too short (%d ms)", name, (time.Duration(d.frames) * a.fd).Milliseconds())
		}
		return "tone " + name + " Hz missing"
	}
	var names []string
	for _, j := range missing {
		if name := hz(a.freqs[a.tones[j].f]); !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	if len(names) > 4 {
		names = append(names[:4], "...")
	}
	return fmt.Sprintf("%d tones missing (%s Hz)", len(missing), strings.Join(names, ", "))
}

// matches reports whether detection d can be Signal tone j: same
// frequency, held for at least half the tone's duration.
func (a *analyzer) matches(d *detection, j int) bool {
	return a.tones[j].f == d.f && 2*time.Duration(d.frames)*a.fd >= a.tones[j].dur
}

// gaps counts the dropouts: silent gaps between the first and last sound
// longer than MaxGap, not counting gaps designed into the Signal. A gap is
// its silent frames plus the quiet samples that end the frame before it
// and start the frame after it, so it is timed to the millisecond, not to
// the frame.
func (a *analyzer) gaps() (dropouts int, longest time.Duration) {
	first, last := slices.Index(a.sound, true), len(a.sound)-1
	for !a.sound[last] {
		last--
	}
	quiet := int(math.Sqrt(dbfsMS(a.e.MinLevelDBFS)))
	isQuiet := func(v int16) bool { return int(v) <= quiet && int(v) >= -quiet }
	for i := first; i <= last; i++ {
		if a.sound[i] {
			continue
		}
		j := i
		for !a.sound[j] {
			j++
		}
		n := (j - i) * a.n
		for k := i*a.n - 1; k >= (i-1)*a.n && isQuiet(a.x[k]); k-- {
			n++
		}
		for k := j * a.n; k < min((j+1)*a.n, len(a.x)) && isQuiet(a.x[k]); k++ {
			n++
		}
		// To the nearest millisecond: a sample of the sound beside the gap
		// that happens to be near zero does not lengthen it.
		d := samplesDur(n, a.rate).Round(time.Millisecond)
		if !a.designed(i, j, d) {
			longest = max(longest, d)
			if d > a.e.MaxGap {
				dropouts++
			}
		}
		i = j
	}
	return dropouts, longest
}

// designed reports whether the silent frames [gs, ge) lasting d are a gap
// designed into the Signal. Between two matched tones the signal has a
// known silence; that plus MaxGap is an allowance the gaps between the two
// tones use up in order, and a gap that does not fit in what is left is not
// designed: so a loss inside a tone right after a pause is not excused by
// the pause, while noise splitting a pause in two is. Next to an
// unexpected tone (already a failure of the sequence) or to sound before
// the first or after the last detection, a gap is designed if it is no
// longer than the longest silence between two tones of the signal plus
// MaxGap. Gaps must be asked about in time order.
func (a *analyzer) designed(gs, ge int, d time.Duration) bool {
	if len(a.dets) == 0 {
		return false
	}
	k := sort.Search(len(a.dets), func(k int) bool { return a.dets[k].start >= ge })
	if k > 0 && a.dets[k-1].end > gs {
		return false // inside a detection
	}
	if k == 0 || k == len(a.dets) || a.dets[k-1].elem < 0 || a.dets[k].elem < 0 || a.dets[k].slot <= a.dets[k-1].slot {
		return d <= a.maxSilence+max(a.e.Pause, 0)+a.e.MaxGap
	}
	if a.allowFor != k {
		p, q := &a.dets[k-1], &a.dets[k]
		nt := len(a.tones)
		at := func(slot int) time.Duration { return time.Duration(slot/nt) * a.period }
		a.allowFor = k
		a.allowance = at(q.slot) + a.tones[q.elem].start - at(p.slot) - a.tones[p.elem].end + a.e.MaxGap
		a.allowance += time.Duration(q.slot/nt-p.slot/nt) * max(a.e.Pause, 0)
	}
	if d > a.allowance {
		return false
	}
	a.allowance -= d
	return true
}

// toneHz returns the dominant frequency. When the loud frames mostly hold
// expected frequencies it is the one held longest, measured near it;
// otherwise the strongest frequency between 100 and 3900 Hz of the longest
// stretch of loud frames, if it stands out (dominantShare).
func (a *analyzer) toneHz() float64 {
	fg := 0
	for _, f := range a.fg {
		if f {
			fg++
		}
	}
	if len(a.freqs) > 0 {
		counts := make([]int, len(a.freqs))
		held := 0
		for i, l := range a.lab {
			if l >= 0 && a.fg[i] {
				counts[l]++
				held++
			}
		}
		if held > 0 && 2*held >= fg {
			best := 0
			for k, c := range counts {
				if c > counts[best] {
					best = k
				}
			}
			hzv, _ := a.peak(a.block(func(i int) bool { return a.lab[i] == best }), a.freqs[best]-50, a.freqs[best]+50)
			return hzv
		}
	}
	hzv, share := a.peak(a.block(func(i int) bool { return a.fg[i] }), 100, min(3900, float64(a.rate)/2-50))
	if share < dominantShare {
		return 0
	}
	return hzv
}

// block returns the samples of the longest run of frames where in(frame)
// holds, without its edge frames and at most 250 ms from its middle: a
// steady stretch to measure a frequency on.
func (a *analyzer) block(in func(int) bool) []int16 {
	bs, be := 0, 0
	for i := 0; i < a.nf; {
		if !in(i) {
			i++
			continue
		}
		j := i
		for j < a.nf && in(j) {
			j++
		}
		if j-i > be-bs {
			bs, be = i, j
		}
		i = j
	}
	if be-bs > 4 {
		bs, be = bs+1, be-1
	}
	if maxFrames := 25; be-bs > maxFrames {
		bs = (bs + be - maxFrames) / 2
		be = bs + maxFrames
	}
	return a.x[bs*a.n : min(be*a.n, len(a.x))]
}

// peak returns the frequency in [lo, hi] with the most Goertzel power in
// x and that power's share of x's power (1 for a pure tone). It scans in
// 10 Hz steps over the first 100 ms (whose resolution, ±10 Hz, cannot miss
// a tone between two steps), then in 1 Hz steps within ±10 Hz over all of
// x, then interpolates the peak with a parabola.
func (a *analyzer) peak(x []int16, lo, hi float64) (hz, share float64) {
	lo = max(lo, 1)
	if len(x) == 0 || hi < lo {
		return 0, 0
	}
	pw := func(x []int16, f float64) float64 { return goertzel(x, coeff(f, a.rate)) }
	coarse := x[:min(len(x), max(a.rate/10, 1))]
	best, bp := lo, -1.0
	for k := 0; lo+10*float64(k) <= hi; k++ {
		if p := pw(coarse, lo+10*float64(k)); p > bp {
			best, bp = lo+10*float64(k), p
		}
	}
	c, bp := best, -1.0
	for k := -10; k <= 10; k++ {
		f := c + float64(k)
		if f < lo || f > hi {
			continue
		}
		if p := pw(x, f); p > bp {
			best, bp = f, p
		}
	}
	hz = best
	if pm, pp := pw(x, best-1), pw(x, best+1); pm-2*bp+pp < 0 {
		if d := 0.5 * (pm - pp) / (pm - 2*bp + pp); math.Abs(d) <= 1 {
			hz = best + d
		}
	}
	var sum float64
	for _, v := range x {
		sum += float64(v) * float64(v)
	}
	if sum == 0 {
		return hz, 0
	}
	return hz, 2 * pw(x, hz) / (float64(len(x)) * sum)
}

// checkFreq checks Expect.Freq: it must hold freqShare of the loud frames.
// It returns why not, or "".
func (a *analyzer) checkFreq(toneHz float64) string {
	fi := slices.Index(a.freqs, a.e.Freq)
	held, fg := 0, 0
	for i, f := range a.fg {
		if f {
			fg++
			if a.lab[i] == fi {
				held++
			}
		}
	}
	switch want := hz(a.e.Freq); {
	case float64(held) >= freqShare*float64(fg):
		return ""
	case toneHz > 0 && math.Abs(toneHz-a.e.Freq) > 25:
		return fmt.Sprintf("heard %s Hz, expected %s Hz", hz(toneHz), want)
	case held > 0:
		return fmt.Sprintf("%s Hz in only %d%% of the sound", want, 100*held/fg)
	default:
		return want + " Hz not heard"
	}
}

// at formats the time of frame i for a reason.
func (a *analyzer) at(i int) string {
	return strconv.FormatFloat((time.Duration(i)*a.fd).Seconds(), 'f', 2, 64) + " s"
}

// hz formats a frequency for a reason: whole Hz, or one decimal when the
// frequency has one.
func hz(f float64) string {
	return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64)
}
