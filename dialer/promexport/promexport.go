// Package promexport exposes a running load test to Prometheus: the
// dialer's counters and gauges, read from its Stats and Summary at scrape
// time (the dialer stays the one place calls are counted), and a
// histogram of set-up latencies fed with the dialer's call records.
// docs/prometheus.md maps each metric to its name in docs/metrics.md.
//
// Wiring, in order: the exporter exists before the dialer, because its
// record hook goes into dialer.Config.OnCall; the dialer is attached once
// created; the endpoint is served on loopback unless remote access is
// allowed:
//
//	ex := promexport.New(promexport.Options{Runtime: true})
//	cfg.OnCall = ex.OnCall(run.Call) // run is a *loadtest.Run, or nil
//	d, err := dialer.New(ctx, pool, cfg)
//	...
//	ex.Attach(d)
//	srv, err := promexport.Serve(ctx, "127.0.0.1:9090", false, ex.Handler())
//	...
//	fmt.Println("metrics on http://" + srv.Addr() + promexport.Path)
//	// when ctx ends: srv.Wait()
package promexport

import (
	"net/http"
	"sync"
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/switchio/switchio/dialer"
)

// Namespace prefixes every metric of the exporter.
const Namespace = "switchio"

// Label names.
const (
	// LabelServer is the event socket address of the server that placed
	// the call (dialer.CallOutcome.Server, dialer.ServerStats.Addr).
	LabelServer = "server"
	// LabelCause is the hang-up cause, or the originate's -ERR cause, or
	// one of switchio's own (dialer.CauseSendError ...).
	LabelCause = "cause"
)

// DefaultSetupBuckets returns the default upper bounds, in seconds, of the set-up
// latency histogram: 1 ms to 60 s, about three per decade, which covers
// a loopback emulator as well as a saturated server or a slow far end.
func DefaultSetupBuckets() []float64 {
	return []float64{
		0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
		1, 2.5, 5, 10, 30, 60,
	}
}

// Source is what the exporter reads at scrape time; *dialer.Originator
// is one.
type Source interface {
	Stats() dialer.Stats
	Summary() summary.Run
}

// Options configure an Exporter.
type Options struct {
	// Runtime adds the Go runtime and process collectors (go_*,
	// process_*) to the exporter's registry.
	Runtime bool
	// SetupBuckets overrides DefaultSetupBuckets (seconds, increasing).
	SetupBuckets []float64
}

// Exporter is a load test's Prometheus registry: a collector reading the
// attached dialer at each scrape and the set-up latency histogram fed by
// Observe. It has its own registry, so nothing leaks into (or from)
// prometheus.DefaultRegisterer. Its methods are safe for concurrent use.
type Exporter struct {
	reg   *prometheus.Registry
	setup *prometheus.HistogramVec
	coll  *collector
}

// New returns an Exporter with nothing attached yet: until Attach, a
// scrape shows only the histogram (and the runtime metrics).
func New(opts Options) *Exporter {
	buckets := opts.SetupBuckets
	if len(buckets) == 0 {
		buckets = DefaultSetupBuckets()
	}
	e := &Exporter{
		reg: prometheus.NewRegistry(),
		setup: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace,
			Name:      "local_setup_latency_seconds",
			Help:      "Set-up latency of answered calls on the local clock, originate sent to answer seen (catalogue: local_setup_latency); observed when the call ends.",
			Buckets:   buckets,
		}, []string{LabelServer}),
		coll: newCollector(),
	}
	e.reg.MustRegister(e.setup, e.coll)
	if opts.Runtime {
		e.reg.MustRegister(collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return e
}

// Attach makes the exporter read src at each scrape. It also creates the
// histogram's series of every server of src, so they show (empty) from
// the first scrape. Attaching again replaces the source.
func (e *Exporter) Attach(src Source) {
	for _, s := range src.Stats().Servers {
		e.setup.WithLabelValues(s.Addr)
	}
	e.coll.attach(src)
}

// Observe records the set-up latency (r.Setup) of an answered call; other
// records are ignored. The dialer writes a record when the call ends, so
// the histogram trails switchio_answered_calls_total by the hold time.
func (e *Exporter) Observe(r dialer.CallOutcome) {
	if r.Answered.IsZero() {
		return
	}
	e.setup.WithLabelValues(r.Server).Observe(r.Setup.Seconds())
}

// OnCall returns a dialer.Config.OnCall hook that observes each record
// and hands it on to next (nil: to nothing), e.g. a loadtest.Run's Call.
func (e *Exporter) OnCall(next func(dialer.CallOutcome)) func(dialer.CallOutcome) {
	return func(r dialer.CallOutcome) {
		e.Observe(r)
		if next != nil {
			next(r)
		}
	}
}

// Registry returns the exporter's registry, to add collectors or gather
// without HTTP.
func (e *Exporter) Registry() *prometheus.Registry { return e.reg }

// Handler serves the registry in the Prometheus exposition formats (text,
// OpenMetrics and protobuf, by content negotiation). A failing collector
// does not fail the scrape: the other metrics are still served.
func (e *Exporter) Handler() http.Handler {
	return promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      e.reg,
		Timeout:       10 * time.Second,
	})
}

// collector turns the attached dialer's Summary (counters, the ratio) and
// Stats (gauges) into constant metrics at scrape time.
type collector struct {
	mu  sync.Mutex
	src Source

	offered, answered, failed            *prometheus.Desc
	completed, dropped, abandoned        *prometheus.Desc
	asr                                  *prometheus.Desc
	active, targetRate, backlog          *prometheus.Desc
	saturated, saturatedRate, down, lost *prometheus.Desc
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", name), help, labels, nil)
}

func newCollector() *collector {
	return &collector{
		offered:   desc("offered_calls_total", "Calls offered (catalogue: offered), by server.", LabelServer),
		answered:  desc("answered_calls_total", "Calls whose A leg was answered; early media is not an answer (catalogue: answered), by server.", LabelServer),
		failed:    desc("failed_calls_total", "Calls that ended never answered (catalogue: failed), by server and cause.", LabelServer, LabelCause),
		completed: desc("completed_calls_total", "Answered calls held for their hold time (catalogue: completed)."),
		dropped:   desc("dropped_calls_total", "Answered calls ended early by the far end or the network (catalogue: dropped), by cause.", LabelCause),
		abandoned: desc("abandoned_calls_total", "Answered calls ended early by switchio: drain, interrupt, lost server (catalogue: abandoned)."),
		asr:       desc("asr_ratio", "Answered / offered over the run so far; calls still being set up count as offered (catalogue: asr)."),
		active:    desc("active_calls", "Calls offered and not yet ended, slots held (catalogue: active_calls), by server.", LabelServer),
		targetRate: desc("target_rate_calls_per_second",
			"Rate the dialer is asked to offer calls at, over the whole pool."),
		backlog: desc("server_backlog_calls", "Originates sent to the server without a result yet.", LabelServer),
		saturated: desc("server_saturated",
			"1 while the server queues originates (set-up latency growing with a growing backlog), else 0.", LabelServer),
		saturatedRate: desc("server_saturated_rate_calls_per_second",
			"Rate of originate results the server managed while saturated (0 if it never was).", LabelServer),
		down: desc("server_down", "1 while the connection to the server is lost, else 0.", LabelServer),
		lost: desc("server_lost", "1 once the server has been unreachable for the server timeout (its calls were given up), else 0.", LabelServer),
	}
}

func (c *collector) attach(src Source) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.src = src
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.offered, c.answered, c.failed, c.completed, c.dropped, c.abandoned, c.asr,
		c.active, c.targetRate, c.backlog, c.saturated, c.saturatedRate, c.down, c.lost,
	} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: one Summary and one Stats
// per scrape.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	src := c.src
	c.mu.Unlock()
	if src == nil {
		return
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}

	sm := src.Summary()
	for _, s := range sm.Servers {
		counter(c.offered, s.Offered, s.Addr)
		counter(c.answered, s.Answered, s.Addr)
		for cause, n := range s.FailedByCause {
			counter(c.failed, n, s.Addr, cause)
		}
	}
	counter(c.completed, sm.Completed)
	for cause, n := range sm.DroppedByCause {
		counter(c.dropped, n, cause)
	}
	counter(c.abandoned, sm.Abandoned)
	if sm.Offered > 0 {
		gauge(c.asr, float64(sm.Answered)/float64(sm.Offered))
	}

	st := src.Stats()
	gauge(c.targetRate, st.Rate)
	for _, s := range st.Servers {
		gauge(c.active, float64(s.Active), s.Addr)
		gauge(c.backlog, float64(s.Backlog), s.Addr)
		gauge(c.saturated, boolValue(s.Saturated), s.Addr)
		gauge(c.saturatedRate, s.SaturatedCPS, s.Addr)
		gauge(c.down, boolValue(s.Down), s.Addr)
		gauge(c.lost, boolValue(s.Lost), s.Addr)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
