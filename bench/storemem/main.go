// Command storemem measures the memory of writing a run's measurements:
// the peak RSS while a store.Writer takes records and the extra RSS its
// Close costs (sealing the last parts and merging each table's parts
// into its final file).
//
// It writes -records call records with real-size values (uuid call ids,
// SIP Call-IDs, hang-up causes, every timestamp, both legs' RTP figures,
// the RTP check's and the audio check's verdicts), as a dial at -rate
// calls/s would: the writer's parts are sealed once per simulated second
// (Writer.Flush after every -rate records, as the writer's 1 s flush
// does), with one timeseries row and two sysstats rows per second. No
// wall-clock time is spent waiting: the run's length is its record count.
//
// Peak RSS is the kernel's VmHWM (/proc/self/status). Before Close the
// high-water mark is reset (writing 5 to /proc/self/clear_refs), so the
// peak read after Close is Close's own; where the kernel refuses the
// reset, a sampler reads VmRSS every millisecond during Close instead.
//
//	cd bench && go run ./storemem -records 100000 -rate 40
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchio/switchio/apps/audiocheck"
	"github.com/switchio/switchio/measure"
	"github.com/switchio/switchio/measure/store"
)

func main() {
	records := flag.Int("records", 100_000, "call records to write")
	rate := flag.Int("rate", 40, "records per simulated second: the parts are sealed after each second's records")
	partRows := flag.Int("part-rows", 0, "store.Options.PartRows (0: the default)")
	gogc := flag.Int("gogc", 400, "the collector's GOGC, as switchio dial sets it unless GOGC is set")
	dir := flag.String("dir", "", "run directory (default: a temporary directory, removed at the end)")
	flag.Parse()
	debug.SetGCPercent(*gogc)
	if err := run(*records, *rate, *partRows, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "storemem:", err)
		os.Exit(1)
	}
}

func run(records, rate, partRows int, dir string) error {
	if rate <= 0 {
		return fmt.Errorf("-rate %d: want > 0", rate)
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "storemem-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	verdicts := append(measure.RTPVerdicts(), audiocheck.Verdicts()...)
	start := status()
	w, err := store.Create(dir, store.Options{Verdicts: verdicts, FlushInterval: -1, PartRows: partRows, Overwrite: true})
	if err != nil {
		return err
	}
	g := newGen()
	began := time.Now()
	for i := range records {
		r := g.record(i)
		if err := w.WriteRecord(&r); err != nil {
			return err
		}
		if (i+1)%rate == 0 || i == records-1 {
			sec := i / rate
			if err := g.second(w, sec, rate); err != nil {
				return err
			}
			if err := w.Flush(); err != nil {
				return err
			}
		}
	}
	writing := time.Since(began)
	parts, _ := filepath.Glob(filepath.Join(dir, "cdr.part-*.parquet"))
	before := status()
	heapBefore := heapLive()

	reset := resetPeak()
	var sampled int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	if !reset {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					sampled = max(sampled, status().rss)
				}
			}
		}()
	}
	began = time.Now()
	err = w.Close()
	closing := time.Since(began)
	close(stop)
	wg.Wait()
	if err != nil {
		return err
	}
	after := status()
	closePeak := after.hwm
	if !reset {
		closePeak = max(sampled, after.rss)
	}
	st, err := os.Stat(filepath.Join(dir, store.CDRTable+".parquet"))
	if err != nil {
		return err
	}

	mb := func(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }
	fmt.Printf("records %d at %d/s (%d seconds, %d CDR parts), GOGC %d, written in %v\n",
		records, rate, (records+rate-1)/rate, len(parts), gcPercent(), writing.Round(time.Millisecond))
	fmt.Printf("RSS at start           %s\n", mb(start.rss))
	fmt.Printf("peak RSS while writing %s (VmHWM)\n", mb(before.hwm))
	fmt.Printf("RSS before Close       %s (Go live heap %s)\n", mb(before.rss), mb(heapBefore))
	how := "VmHWM after a reset"
	if !reset {
		how = "VmRSS sampled every ms"
	}
	fmt.Printf("peak RSS during Close  %s (%s), Close took %v\n", mb(closePeak), how, closing.Round(time.Millisecond))
	fmt.Printf("Close's extra RSS      %s (%.2f KB per record)\n",
		mb(closePeak-before.rss), float64(closePeak-before.rss)/1e3/float64(records))
	fmt.Printf("cdr.parquet            %s\n", mb(st.Size()))
	return nil
}

// gcPercent is the collector's GOGC setting.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// procStatus is the process's resident set size and its high-water
// mark, in bytes.
type procStatus struct{ rss, hwm int64 }

func status() procStatus {
	var s procStatus
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return s
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			s.rss = kb << 10
		case "VmHWM":
			s.hwm = kb << 10
		}
	}
	return s
}

// resetPeak resets VmHWM to the current RSS (Linux 4.0 and later).
func resetPeak() bool {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return false
	}
	s := status()
	return s.hwm <= s.rss+(1<<20)
}

// heapLive is the Go heap's live objects after a GC.
func heapLive() int64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// gen makes records with real-size, varied values.
type gen struct {
	t0    time.Time
	state uint64
	id    [16]byte
}

func newGen() *gen {
	return &gen{t0: time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC), state: 1}
}

// splitmix is the SplitMix64 generator.
func (g *gen) next() uint64 {
	g.state += 0x9e3779b97f4a7c15
	z := g.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// uuid is a random version 4 uuid, as FreeSWITCH's Unique-ID.
func (g *gen) uuid() string {
	binary.LittleEndian.PutUint64(g.id[:], g.next())
	binary.LittleEndian.PutUint64(g.id[8:], g.next())
	g.id[6] = g.id[6]&0x0f | 0x40
	g.id[8] = g.id[8]&0x3f | 0x80
	h := hex.EncodeToString(g.id[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func ptr[T any](v T) *T { return &v }

// jitter is a random duration below d.
func (g *gen) jitter(d time.Duration) time.Duration {
	return time.Duration(g.next() % uint64(d))
}

// record is call i: nine in ten answered and completed with both legs'
// RTP and verdicts, the others busy, unanswered or rejected.
func (g *gen) record(i int) measure.Record {
	at := g.t0.Add(time.Duration(i)*25*time.Millisecond + g.jitter(time.Millisecond)).Truncate(time.Microsecond)
	us := func(d time.Duration) time.Time { return at.Add(d).Truncate(time.Microsecond) }
	ring := 30*time.Millisecond + g.jitter(40*time.Millisecond)
	answer := ring + 500*time.Millisecond + g.jitter(200*time.Millisecond)
	hold := 120*time.Second + g.jitter(time.Second)
	r := measure.Record{
		CallID: g.uuid(), Seq: int64(i),
		Server: fmt.Sprintf("10.20.0.%d:8021", 11+i%2), CalleeServer: fmt.Sprintf("10.20.0.%d:8021", 12-i%2),
		App:         "TonePlay/freq=440,duration=120s",
		Destination: fmt.Sprintf("sofia/external/answer500@10.20.0.%d:5080", 12-i%2),
		Outcome:     "completed", HangupBy: "switchio", HangupCause: "NORMAL_CLEARING",
		SIPCallID:     g.uuid(),
		SIPTermStatus: "200", Q850Cause: ptr[int32](16),
		JobLaunch: at, CallerReqOriginate: us(40*time.Microsecond + g.jitter(20*time.Microsecond)),
		CallerCreate: us(900*time.Microsecond + g.jitter(time.Millisecond)), CallerOriginate: us(2*time.Millisecond + g.jitter(time.Millisecond)),
		CallerRinging: us(ring), CallerEarlyMedia: us(ring + 5*time.Millisecond),
		CallerAnswer: us(answer), CallerHangup: us(answer + hold),
		CalleeCreate: us(3*time.Millisecond + g.jitter(2*time.Millisecond)), CalleeAnswer: us(answer - g.jitter(time.Millisecond)),
		CalleeHangup: us(answer + hold + g.jitter(2*time.Millisecond)),
		LocalAnswer:  us(answer + g.jitter(500*time.Microsecond)), LocalHangup: us(answer + hold + time.Millisecond),
		FailedCalls: int64(i / 97), ActiveSessions: int64(4700 + g.next()%300), Erlangs: 4700 + float64(g.next()%30000)/100,
		HoldMs: 120000, BillSec: ptr(int64(hold / time.Second)), BillMsec: ptr(int64(hold / time.Millisecond)),
		ProgressSec: ptr[int64](0), ProgressMediaSec: ptr(int64(ring / time.Millisecond)),
		CallerRTP: g.rtp(hold), CalleeRTP: g.rtp(hold),
		Verdicts: map[string]measure.Value{
			measure.VerdictRTPOK: {Bool: ptr(true)}, measure.VerdictNoRTP: {String: ptr("")},
			audiocheck.VerdictAudioOK: {Bool: ptr(true)}, audiocheck.VerdictReason: {String: ptr("")},
			audiocheck.VerdictToneHz:   {Float: ptr(440 + float64(g.next()%200)/100 - 1)},
			audiocheck.VerdictLevel:    {Float: ptr(-12 - float64(g.next()%300)/100)},
			audiocheck.VerdictDropouts: {Int: ptr[int64](0)}, audiocheck.VerdictLongestGap: {Int: ptr(int64(g.next() % 40))},
		},
	}
	switch i % 20 {
	case 7:
		r.Outcome, r.HangupBy, r.HangupCause, r.SIPTermStatus, r.Q850Cause = "failed", "far_end", "USER_BUSY", "486", ptr[int32](17)
	case 13:
		r.Outcome, r.HangupBy, r.HangupCause, r.SIPTermStatus, r.Q850Cause = "failed", "far_end", "NO_ANSWER", "480", ptr[int32](19)
	default:
		return r
	}
	r.CallerAnswer, r.CallerHangup, r.CalleeAnswer, r.CalleeHangup = time.Time{}, us(ring+2*time.Second), time.Time{}, us(ring+2*time.Second)
	r.LocalAnswer, r.LocalHangup, r.CallerEarlyMedia = time.Time{}, us(ring+2*time.Second), time.Time{}
	r.CallerRTP, r.CalleeRTP, r.BillSec, r.BillMsec = nil, nil, ptr[int64](0), ptr[int64](0)
	r.Verdicts = map[string]measure.Value{
		measure.VerdictUnchecked: {String: ptr("call not answered")},
	}
	return r
}

// rtp is one leg's RTP figures for a call held hold (50 packets/s).
func (g *gen) rtp(hold time.Duration) *measure.RTP {
	pk := int64(hold/time.Second) * 50
	return &measure.RTP{
		InPackets: pk - int64(g.next()%3), OutPackets: pk, InSkipped: int64(g.next() % 2), InFlaws: int64(g.next() % 4),
		JitterMinMs: ptr(float64(g.next()%100) / 1000), JitterMaxMs: ptr(float64(g.next()%8000) / 1000),
		MOS: ptr(4.5 - float64(g.next()%20)/100), Quality: ptr(100 - float64(g.next()%300)/100),
	}
}

// second writes the time series row and the two system samples of
// second sec.
func (g *gen) second(w *store.Writer, sec, rate int) error {
	at := g.t0.Add(time.Duration(sec) * time.Second)
	s := measure.Second{
		Second: at, Offered: int64(rate), Answered: int64(rate * 9 / 10), Failed: int64(rate / 10),
		Completed: int64(rate * 9 / 10), Active: 4800, Erlangs: 4799.5,
		SetupP50Ms: ptr(510.5), SetupP90Ms: ptr(640.0), SetupP99Ms: ptr(702.0), SetupMaxMs: ptr(731.25),
		FailedByCause: map[string]int64{"USER_BUSY": int64(rate / 20), "NO_ANSWER": int64(rate / 20)},
	}
	if err := w.WriteSecond(&s); err != nil {
		return err
	}
	for _, st := range []measure.SysStat{{
		Time: at, Source: measure.SourceController,
		CPUPct: ptr(35.5), CPUUserPct: ptr(25.0), CPUSystemPct: ptr(10.5), CPUIdlePct: ptr(64.5), CPUIowaitPct: ptr(0.0),
		MemUsedBytes: ptr[int64](3 << 30), MemTotalBytes: ptr[int64](8 << 30),
		Load1: ptr(1.5), Load5: ptr(1.25), Load15: ptr(1.0), ProcCPUPct: ptr(12.0), ProcRSSBytes: ptr[int64](100 << 20),
	}, {
		Time: at, Source: "10.20.0.11:8021", ReplyMs: ptr(1.25), UptimeMs: ptr(int64(3600000 + sec*1000)),
		Sessions: ptr(int64(4800)), SessionsPeak: ptr[int64](5000), SessionsPerSec: ptr(int64(rate)),
		SessionsMax: ptr[int64](10000), IdleCPUPct: ptr(71.5), MinIdleCPUPct: ptr(60.0),
	}} {
		if err := w.WriteSysStat(&st); err != nil {
			return err
		}
	}
	return nil
}
