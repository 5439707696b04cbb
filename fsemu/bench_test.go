package fsemu

import (
	"bufio"
	"context"
	"net"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// eslClient is a bare ESL connection for benchmarks.
type eslClient struct {
	c net.Conn
	r *wire.Reader
	w *bufio.Writer
}

func benchDial(b *testing.B, s *Server) *eslClient {
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		b.Fatal(err)
	}
	cl := &eslClient{c: c, r: wire.NewReader(bufio.NewReaderSize(c, 256<<10)), w: bufio.NewWriter(c)}
	cl.r.ReadFrame() // auth/request
	cl.cmd("auth " + s.Password())
	return cl
}

func (cl *eslClient) cmd(s string) *wire.Message {
	cl.w.WriteString(s + "\n\n")
	cl.w.Flush()
	for {
		m, err := cl.r.ReadMessage()
		if err != nil || !m.IsEvent() {
			return m
		}
	}
}

// BenchmarkCallSetup measures call set-ups per second over ESL on a
// two-server cluster: bgapi originate from fs1 to fs2, whose dialplan
// answers; the A leg runs &hangup() so each call is set up and torn down.
// Clients on both servers subscribe to all events with verbose_events on,
// so every event is built and serialised at full size.
func BenchmarkCallSetup(b *testing.B) {
	cfg := Config{MaxSessions: 1 << 20, SessionsPerSecond: 1 << 20, HeartbeatInterval: -1,
		VerboseEvents: true, Inbound: Inbound{Action: "answer"}}
	cl, err := StartCluster(context.Background(), 2, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	fs1, fs2 := cl.Server(0), cl.Server(1)
	c1 := benchDial(b, fs1)
	defer c1.c.Close()
	c1.cmd("event plain ALL")
	c2 := benchDial(b, fs2)
	defer c2.c.Close()
	c2.cmd("event plain ALL")
	go func() { // drain fs2's events
		for {
			if _, err := c2.r.ReadFrame(); err != nil {
				return
			}
		}
	}()
	var jobs, bytes atomic.Int64
	done := make(chan struct{})
	n := int64(b.N)
	go func() {
		defer close(done)
		for jobs.Load() < n {
			m, err := c1.r.ReadFrame()
			if err != nil {
				return
			}
			bytes.Add(int64(len(m.Body)))
			if m.IsEvent() && len(m.Body) > 26 && string(m.Body[:26]) == "Event-Name: BACKGROUND_JOB" {
				jobs.Add(1)
			}
		}
	}()
	dial := "sofia/external/1000@" + fs2.SIPAddr() + " &hangup()"
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		c1.w.WriteString("bgapi originate ")
		c1.w.WriteString(dial)
		c1.w.WriteString("\n\n")
		if i%64 == 63 {
			c1.w.Flush()
		}
		// keep the number of calls in flight bounded
		for int64(i)-jobs.Load() > 2000 {
			time.Sleep(100 * time.Microsecond)
		}
	}
	c1.w.Flush()
	<-done
	el := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "setups/s")
	// CPU time of the whole process (emulator and benchmark clients) per
	// call: on a shared machine this, not wall time, gives the capacity
	// of two dedicated cores (2e6/cpu-us/call set-ups per second).
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/call")
	b.ReportMetric(float64(bytes.Load())/float64(b.N), "eventbytes/call")
}

// BenchmarkHoldChannels holds 50,000 channels (25,000 answered, parked
// sofia calls between two servers) and reports heap bytes per channel.
func BenchmarkHoldChannels(b *testing.B) {
	const calls = 25000
	for i := 0; i < b.N; i++ {
		cfg := Config{MaxSessions: 1 << 20, SessionsPerSecond: 1 << 20, HeartbeatInterval: -1,
			Inbound: Inbound{Action: "answer"}}
		cl, err := StartCluster(context.Background(), 2, cfg)
		if err != nil {
			b.Fatal(err)
		}
		fs1, fs2 := cl.Server(0), cl.Server(1)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		dial := "sofia/external/1000@" + fs2.SIPAddr() + " &park()"
		for j := 0; j < calls; j++ {
			if out := apiText(fs1, "originate {origination_caller_id_number="+strconv.Itoa(j)+"}"+dial); out[0] != '+' {
				b.Fatalf("originate: %s", out)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		n := fs1.ChannelCount() + fs2.ChannelCount()
		if n != 2*calls {
			b.Fatalf("%d channels", n)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "bytes/channel")
		b.ReportMetric(float64(n), "channels")
		cl.Close()
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
