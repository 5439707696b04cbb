// Package audiocheck records what call legs hear and checks the audio
// that arrived: the shared part of the call-testing apps that verify
// media (TonePlay/record=N, PlayRec, MutedPlayRec). Each checked call gets
// the verdicts Verdicts declares, audio_ok first.
//
// The server writes the recordings and the controller reads them, so
// both must see the same files: the same host, or a shared mount whose
// path on the controller is ReadDir. fsemu, in the same process, writes
// them where it is told.
package audiocheck

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchio/switchio/audio"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/measure"
)

// Verdict names written by a Recorder.
const (
	VerdictAudioOK    = "audio_ok"
	VerdictReason     = "audio_reason"
	VerdictToneHz     = "tone_hz"
	VerdictLevel      = "level_dbfs"
	VerdictDropouts   = "dropouts"
	VerdictLongestGap = "longest_gap_ms"
	VerdictSequence   = "sequence_ok"
	VerdictRecordings = "recordings"
)

// Verdicts are the columns a Recorder writes for each recorded call.
func Verdicts() []measure.VerdictSpec {
	return []measure.VerdictSpec{
		{Name: VerdictAudioOK, Kind: measure.KindBool, Check: true,
			Doc: "the expected audio arrived on every recorded leg: not silent, no dropouts, the expected tone or sequence"},
		{Name: VerdictReason, Kind: measure.KindString, Doc: "why audio_ok is false (leg: reason)"},
		{Name: VerdictToneHz, Kind: measure.KindFloat, Doc: "dominant frequency heard (first recorded leg), Hz"},
		{Name: VerdictLevel, Kind: measure.KindFloat, Doc: "quietest recorded leg's level over its sound, dBFS"},
		{Name: VerdictDropouts, Kind: measure.KindInt, Doc: "silent gaps longer than the allowed gap, all recorded legs"},
		{Name: VerdictLongestGap, Kind: measure.KindInt, Doc: "longest such gap, ms"},
		{Name: VerdictSequence, Kind: measure.KindBool, Doc: "the test signal's tones were heard in order (when one is expected)"},
		{Name: VerdictRecordings, Kind: measure.KindString, Doc: "the recordings kept (keep=true), space separated"},
		measure.UncheckedSpec(),
	}
}

// ReasonUnreadable is the media_unchecked reason of a call whose
// recordings this host could not read (a server elsewhere whose
// recording directory is not mounted here): not a media failure.
const ReasonUnreadable = "recordings not readable"

// Recorder records legs of some calls and checks them. Its zero value is
// not usable; set the fields, then call Setup from the app's Setup.
type Recorder struct {
	// Every records one call in Every (1: all); when 0, Period applies.
	Every int
	// Period records one call every Period (the first call, then the
	// first call Period or more after the last recorded one), as
	// switchio's PlayRec did with rec_period; 0 with Every 0: none.
	Period time.Duration
	// Now is the clock Period is measured on (nil: time.Now).
	Now func() time.Time
	// Dir is where the server writes recordings; ReadDir where the
	// controller reads the same files (default Dir).
	Dir, ReadDir string
	// Keep keeps the files (their paths are in the recordings verdict);
	// otherwise each is removed once checked.
	Keep bool
	// Expect is what each recorded leg should hear.
	Expect audio.Expect
	// ReadOnly records only what the leg hears (RECORD_READ_ONLY), not
	// what it sends too.
	ReadOnly bool
	// Stereo records what the leg hears on the left channel and what it
	// sends on the right (RECORD_STEREO), in step (a pre-buffer of one
	// frame); Expect.Channel says which one is checked.
	Stereo bool
	// OnInfo, when set, is told of each recorded call's files once
	// checked (PlayRec's RecInfo).
	OnInfo func(RecInfo)

	n    atomic.Uint64
	next atomic.Int64 // Period: the earliest time (ns) the next call is recorded
	sem  chan struct{}
	wg   sync.WaitGroup
	host string
}

// RecInfo names the recordings of one call, as switchio's PlayRec
// reported them: the server and the caller's and callee's files (either
// may be empty).
type RecInfo struct {
	Host, Caller, Callee string
}

// checkedCall gathers the results of one call's recorded legs. It is
// attached to the call (cluster.Call.SetValue), so the recordings of legs
// on different servers, seen by the app's instance on each, meet there.
type checkedCall struct {
	call *cluster.Call
	mu   sync.Mutex
	// recording maps the paths still recording to their leg names.
	recording map[string]string
	legs      int // recordings started
	results   []legResult
	info      RecInfo
}

// callKey attaches a call's checkedCall.
type callKey struct{}

func checkedOf(c *cluster.Call) *checkedCall {
	if c == nil {
		return nil
	}
	cc, _ := c.Value(callKey{}).(*checkedCall)
	return cc
}

type legResult struct {
	leg  string
	path string
	a    audio.Analysis
	err  error
	// unreadable: the file is not there (or not ours to read) on this
	// host, so nothing can be said of the audio.
	unreadable bool
}

// probeTimeout bounds Probe's round trip at set-up.
const probeTimeout = 2 * time.Second

// DefaultDir is where recordings go when Dir is empty.
func DefaultDir() string { return filepath.Join(os.TempDir(), "switchio-recordings") }

// Setup registers the recording events on the app's registrar. When it
// records, it probes whether this host reads what the server writes
// (Probe) and warns once, on the client's logger, when it does not: the
// calls' checks will then be null (media_unchecked), not failures.
func (r *Recorder) Setup(ctx context.Context, reg *cluster.Registrar) error {
	if r.Every < 0 {
		return fmt.Errorf("record: %d must be 0 (none), 1 (every call) or N (one call in N)", r.Every)
	}
	if r.Period < 0 {
		return fmt.Errorf("record period %s must be 0 (none) or more", r.Period)
	}
	if !r.Enabled() {
		return nil
	}
	if r.Dir == "" {
		r.Dir = DefaultDir()
	}
	if r.ReadDir == "" {
		r.ReadDir = r.Dir
	}
	if r.sem == nil {
		r.sem = make(chan struct{}, max(runtime.NumCPU()/2, 1))
	}
	r.host = reg.Client().Addr()
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	if !r.Probe(pctx, reg.Client()) {
		reg.Client().Logger().Warn("recordings not readable here: the server writes them in "+r.Dir+
			", which this host does not see; set readdir= to where that directory is mounted here. "+
			"Their checks will be null and counted as media not checked", "server", r.host)
	}
	cancel()
	reg.On("RECORD_STOP", r.stopped)
	reg.On("CHANNEL_DESTROY", func(ctx context.Context, ev *cluster.Event) {
		if ev.Session != nil {
			r.forget(ev.Session)
		}
	})
	return nil
}

// Enabled reports whether the Recorder records any call.
func (r *Recorder) Enabled() bool { return r.Every > 0 || r.Period > 0 }

// Pick reports whether the next call is one to record: one in Every, or
// else the first call Period or more after the last one picked.
func (r *Recorder) Pick() bool {
	if r.Every > 0 {
		return (r.n.Add(1)-1)%uint64(r.Every) == 0
	}
	if r.Period <= 0 {
		return false
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	t := now().UnixNano()
	for {
		next := r.next.Load()
		if next != 0 && t < next {
			return false
		}
		if r.next.CompareAndSwap(next, t+int64(r.Period)) {
			return true
		}
	}
}

// Probe tells whether this host can read what the server writes in Dir:
// it leaves a file in ReadDir and asks the server (file_exists, in
// mod_commands) whether it sees it in Dir. It returns false only when the
// server says it does not; an error or a server that cannot answer
// leaves it unknown (true).
func (r *Recorder) Probe(ctx context.Context, c *cluster.Client) bool {
	if err := os.MkdirAll(r.ReadDir, 0o755); err != nil {
		return true
	}
	f, err := os.CreateTemp(r.ReadDir, ".switchio-probe-*")
	if err != nil {
		return true
	}
	name := filepath.Base(f.Name())
	f.Close()
	defer os.Remove(f.Name())
	out, err := c.API(ctx, "file_exists "+filepath.Join(r.Dir, name))
	return err != nil || strings.TrimSpace(out) != "false"
}

// Start queues the recording of a leg of a picked call, named leg
// ("caller" or "callee") in the results. The call's audio verdicts are
// pending from now until every leg started is checked.
func (r *Recorder) Start(s *cluster.Session, leg string) error {
	c := s.Call()
	if c == nil {
		return fmt.Errorf("audiocheck: session %s has no call", s.UUID())
	}
	path := filepath.Join(r.Dir, s.UUID()+"-"+leg+".wav")
	q := s.Queue()
	if r.ReadOnly {
		if err := q.SetVar("RECORD_READ_ONLY", "true"); err != nil {
			return err
		}
	}
	if r.Stereo {
		if err := q.SetVar("RECORD_STEREO", "true"); err != nil {
			return err
		}
		// The media bug's default pre-buffer (25 frames) puts the stream
		// that flows first 500 ms behind the other for the whole
		// recording (switch_core_media_bug_read); one frame keeps the two
		// channels in step (seen on FreeSWITCH 1.10.12).
		if err := q.SetVar("RECORD_PRE_BUFFER_FRAMES", "1"); err != nil {
			return err
		}
	}
	if err := q.Record("start", path, 0); err != nil {
		return err
	}
	cc := c.LoadOrStoreValue(callKey{}, &checkedCall{call: c, recording: map[string]string{}, info: RecInfo{Host: r.host}}).(*checkedCall)
	cc.mu.Lock()
	cc.legs++
	cc.recording[path] = leg
	switch leg {
	case "caller":
		cc.info.Caller = path
	case "callee":
		cc.info.Callee = path
	}
	cc.mu.Unlock()
	for _, sp := range Verdicts() {
		measure.PendVerdict(c, sp.Name)
	}
	return nil
}

// stopped checks a finished recording, off the event loop.
func (r *Recorder) stopped(ctx context.Context, ev *cluster.Event) {
	cc := checkedOf(ev.Call())
	if cc == nil {
		return
	}
	path := ev.Get("Record-File-Path")
	cc.mu.Lock()
	leg, ok := cc.recording[path]
	delete(cc.recording, path)
	cc.mu.Unlock()
	if !ok {
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.sem <- struct{}{}
		res := r.check(leg, path)
		<-r.sem
		r.done(cc, res)
	}()
}

// check reads and analyses one recording.
func (r *Recorder) check(leg, path string) legResult {
	local := path
	if r.ReadDir != r.Dir {
		if rel, err := filepath.Rel(r.Dir, path); err == nil && !strings.HasPrefix(rel, "..") {
			local = filepath.Join(r.ReadDir, rel)
		}
	}
	res := legResult{leg: leg, path: local}
	clip, err := audio.ReadWAV(local)
	if err != nil {
		res.err = err
		res.unreadable = errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission)
		return res
	}
	res.a = audio.Analyze(clip, r.Expect)
	if !r.Keep {
		_ = os.Remove(local)
	}
	return res
}

// done adds a leg's result; the call's verdicts are written with its
// last leg's.
func (r *Recorder) done(cc *checkedCall, res legResult) {
	cc.mu.Lock()
	cc.results = append(cc.results, res)
	last := len(cc.results) == cc.legs
	cc.mu.Unlock()
	if last {
		r.finish(cc)
	}
}

// finish writes a call's verdicts once every leg still expected is in.
func (r *Recorder) finish(cc *checkedCall) {
	cc.call.SetValue(callKey{}, nil)
	if len(cc.results) == 0 {
		for _, sp := range Verdicts() {
			measure.DropVerdict(cc.call, sp.Name)
		}
		return
	}
	writeVerdicts(cc.call, cc.results, r.Keep, r.Expect.Signal != nil)
	if r.OnInfo != nil {
		r.OnInfo(cc.info)
	}
}

// writeVerdicts sets a call's audio verdicts from its legs' results.
func writeVerdicts(c *cluster.Call, results []legResult, keep, sequence bool) {
	for _, res := range results {
		if res.unreadable {
			// Nothing can be said of the audio: null verdicts, the
			// reason counted apart (media_unchecked).
			for _, sp := range Verdicts() {
				if sp.Name != measure.VerdictUnchecked {
					measure.DropVerdict(c, sp.Name)
				}
			}
			measure.SkipCheck(c, ReasonUnreadable)
			return
		}
	}
	measure.DropVerdict(c, measure.VerdictUnchecked)
	ok, seqOK := true, true
	var reasons, files []string
	dropouts, longest := 0, int64(0)
	level, tone := 0.0, 0.0
	for i, res := range results {
		files = append(files, res.path)
		if res.err != nil {
			ok, seqOK = false, false
			reasons = append(reasons, res.leg+": "+res.err.Error())
			continue
		}
		a := res.a
		if !a.OK {
			ok = false
			reasons = append(reasons, res.leg+": "+a.Reason)
		}
		seqOK = seqOK && a.SequenceOK
		dropouts += a.Dropouts
		longest = max(longest, a.LongestGap.Milliseconds())
		if i == 0 || a.LevelDBFS < level {
			level = a.LevelDBFS
		}
		if tone == 0 {
			tone = a.ToneHz
		}
	}
	_ = measure.SetVerdict(c, VerdictAudioOK, ok)
	_ = measure.SetVerdict(c, VerdictReason, strings.Join(reasons, "; "))
	_ = measure.SetVerdict(c, VerdictToneHz, round1(tone))
	_ = measure.SetVerdict(c, VerdictLevel, round1(level))
	_ = measure.SetVerdict(c, VerdictDropouts, dropouts)
	_ = measure.SetVerdict(c, VerdictLongestGap, longest)
	if sequence {
		_ = measure.SetVerdict(c, VerdictSequence, seqOK)
	} else {
		measure.DropVerdict(c, VerdictSequence)
	}
	if keep {
		_ = measure.SetVerdict(c, VerdictRecordings, strings.Join(files, " "))
	} else {
		measure.DropVerdict(c, VerdictRecordings)
	}
}

// round1 rounds to 0.1 (0 for a level of -Inf or NaN).
func round1(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return math.Round(f*10) / 10
}

// forget drops the recordings of a session destroyed without their
// RECORD_STOP (a lost connection); the call's verdicts are written from
// its other legs, or dropped.
func (r *Recorder) forget(s *cluster.Session) {
	cc := checkedOf(s.Call())
	if cc == nil {
		return
	}
	cc.mu.Lock()
	dropped := false
	for _, leg := range []string{"caller", "callee"} {
		path := filepath.Join(r.Dir, s.UUID()+"-"+leg+".wav")
		if _, ok := cc.recording[path]; ok {
			delete(cc.recording, path)
			cc.legs--
			dropped = true
		}
	}
	finished := dropped && len(cc.results) == cc.legs
	cc.mu.Unlock()
	if finished {
		r.finish(cc)
	}
}

// Wait waits for the checks in progress (an app's Teardown).
func (r *Recorder) Wait() { r.wg.Wait() }
