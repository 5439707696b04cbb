package promexport_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/measure/summary"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/goleak"

	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/dialer/dialtest"
	"github.com/switchio/switchio/dialer/promexport"
	"github.com/switchio/switchio/fsemu"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func ctxT(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// parse reads the text exposition format with legacy (strict) name
// validation, so every name and label is a classic Prometheus one.
func parse(t *testing.T, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("parsing the exposition: %v", err)
	}
	return fams
}

// scrape GETs url and parses it.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Close = true // no idle connection outlives the test
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return parse(t, resp.Body)
}

// scrapeHandler runs one scrape through h without a network.
func scrapeHandler(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, promexport.Path, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: status %d: %s", rec.Code, rec.Body)
	}
	return parse(t, rec.Body)
}

// key renders a sample's labels as "name=value,..." in name order.
func key(m *dto.Metric) string {
	var parts []string
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return 0
}

// samples returns a family's values by label key (histograms: their
// sample count); nil if the family is absent.
func samples(fams map[string]*dto.MetricFamily, name string) map[string]float64 {
	f := fams[name]
	if f == nil {
		return nil
	}
	out := map[string]float64{}
	for _, m := range f.GetMetric() {
		out[key(m)] = value(m)
	}
	return out
}

// family is what a test expects of one metric family.
type family struct {
	typ    dto.MetricType
	labels []string // label names of every sample
}

// catalogue is every family the dialer collector and the histogram
// expose, with their types and label names.
var catalogue = map[string]family{
	"switchio_offered_calls_total":                    {dto.MetricType_COUNTER, []string{"server"}},
	"switchio_answered_calls_total":                   {dto.MetricType_COUNTER, []string{"server"}},
	"switchio_failed_calls_total":                     {dto.MetricType_COUNTER, []string{"cause", "server"}},
	"switchio_completed_calls_total":                  {dto.MetricType_COUNTER, nil},
	"switchio_dropped_calls_total":                    {dto.MetricType_COUNTER, []string{"cause"}},
	"switchio_abandoned_calls_total":                  {dto.MetricType_COUNTER, nil},
	"switchio_asr_ratio":                              {dto.MetricType_GAUGE, nil},
	"switchio_active_calls":                           {dto.MetricType_GAUGE, []string{"server"}},
	"switchio_target_rate_calls_per_second":           {dto.MetricType_GAUGE, nil},
	"switchio_server_backlog_calls":                   {dto.MetricType_GAUGE, []string{"server"}},
	"switchio_server_saturated":                       {dto.MetricType_GAUGE, []string{"server"}},
	"switchio_server_saturated_rate_calls_per_second": {dto.MetricType_GAUGE, []string{"server"}},
	"switchio_server_down":                            {dto.MetricType_GAUGE, []string{"server"}},
	"switchio_server_lost":                            {dto.MetricType_GAUGE, []string{"server"}},
	"switchio_local_setup_latency_seconds":            {dto.MetricType_HISTOGRAM, []string{"server"}},
}

// checkFamilies checks the type, help and label names of every family in
// want that fams holds; present lists those that must be there.
func checkFamilies(t *testing.T, fams map[string]*dto.MetricFamily, present ...string) {
	t.Helper()
	for _, name := range present {
		if fams[name] == nil {
			t.Errorf("%s missing", name)
		}
	}
	for name, f := range fams {
		if !strings.HasPrefix(name, "switchio_") {
			continue
		}
		want, ok := catalogue[name]
		if !ok {
			t.Errorf("%s exposed but not in the catalogue of this test", name)
			continue
		}
		if f.GetType() != want.typ {
			t.Errorf("%s: type %v, want %v", name, f.GetType(), want.typ)
		}
		if f.GetHelp() == "" {
			t.Errorf("%s: no help", name)
		}
		for _, m := range f.GetMetric() {
			var got []string
			for _, l := range m.GetLabel() {
				got = append(got, l.GetName())
			}
			slices.Sort(got)
			if !slices.Equal(got, want.labels) {
				t.Errorf("%s{%s}: labels %v, want %v", name, key(m), got, want.labels)
			}
		}
	}
}

// fakeSource is a dialer in a chosen state.
type fakeSource struct {
	st dialer.Stats
	sm summary.Run
}

func (f fakeSource) Stats() dialer.Stats  { return f.st }
func (f fakeSource) Summary() summary.Run { return f.sm }

func TestCollectorMapping(t *testing.T) {
	const a, b = "10.0.0.1:8021", "10.0.0.2:8021"
	src := fakeSource{
		st: dialer.Stats{Rate: 12.5, Servers: []dialer.ServerStats{
			{Addr: a, Active: 7, Backlog: 3, Saturated: true, SaturatedCPS: 41.5},
			{Addr: b, Down: true, Lost: true},
		}},
		sm: summary.Run{Offered: 40, Answered: 30, Failed: 10, Completed: 20, Dropped: 4, Abandoned: 6,
			FailedByCause:  map[string]uint64{"USER_BUSY": 6, dialer.CauseServerLost: 4},
			DroppedByCause: map[string]uint64{"NORMAL_CLEARING": 4},
			Servers: []summary.Server{
				{Addr: a, Offered: 25, Answered: 19, Failed: 6, FailedByCause: map[string]uint64{"USER_BUSY": 6}},
				{Addr: b, Offered: 15, Answered: 11, Failed: 4, FailedByCause: map[string]uint64{dialer.CauseServerLost: 4}},
			}},
	}
	sa, sb := "server="+a, "server="+b
	tests := []struct {
		name   string
		attach bool
		opts   promexport.Options
		want   map[string]map[string]float64 // nil inner map: family absent
	}{
		{
			name: "not attached", opts: promexport.Options{},
			want: map[string]map[string]float64{
				"switchio_offered_calls_total":         nil,
				"switchio_asr_ratio":                   nil,
				"switchio_local_setup_latency_seconds": nil,
				"go_goroutines":                        nil,
			},
		},
		{
			name: "attached", attach: true, opts: promexport.Options{Runtime: true},
			want: map[string]map[string]float64{
				"switchio_offered_calls_total":  {sa: 25, sb: 15},
				"switchio_answered_calls_total": {sa: 19, sb: 11},
				"switchio_failed_calls_total": {"cause=USER_BUSY," + sa: 6,
					"cause=" + dialer.CauseServerLost + "," + sb: 4},
				"switchio_completed_calls_total":                  {"": 20},
				"switchio_dropped_calls_total":                    {"cause=NORMAL_CLEARING": 4},
				"switchio_abandoned_calls_total":                  {"": 6},
				"switchio_asr_ratio":                              {"": 0.75},
				"switchio_active_calls":                           {sa: 7, sb: 0},
				"switchio_target_rate_calls_per_second":           {"": 12.5},
				"switchio_server_backlog_calls":                   {sa: 3, sb: 0},
				"switchio_server_saturated":                       {sa: 1, sb: 0},
				"switchio_server_saturated_rate_calls_per_second": {sa: 41.5, sb: 0},
				"switchio_server_down":                            {sa: 0, sb: 1},
				"switchio_server_lost":                            {sa: 0, sb: 1},
				// Attach creates every server's (empty) histogram.
				"switchio_local_setup_latency_seconds": {sa: 0, sb: 0},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := promexport.New(tt.opts)
			if tt.attach {
				ex.Attach(src)
			}
			fams := scrapeHandler(t, ex.Handler())
			checkFamilies(t, fams)
			for name, want := range tt.want {
				got := samples(fams, name)
				if want == nil {
					if got != nil {
						t.Errorf("%s = %v, want absent", name, got)
					}
					continue
				}
				if !maps.Equal(got, want) {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			if tt.opts.Runtime && fams["go_goroutines"] == nil {
				t.Error("runtime metrics asked for, go_goroutines missing")
			}
		})
	}
}

func TestObserve(t *testing.T) {
	const srv = "127.0.0.1:8021"
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	recs := []dialer.CallOutcome{
		{Server: srv, Outcome: dialer.Completed, Answered: at, Setup: 3 * time.Millisecond},
		{Server: srv, Outcome: dialer.Dropped, Answered: at, Setup: 2 * time.Second},
		{Server: srv, Outcome: dialer.Failed, Cause: "USER_BUSY"}, // not answered: not observed
	}
	ex := promexport.New(promexport.Options{})
	var passed int
	hook := ex.OnCall(func(dialer.CallOutcome) { passed++ })
	for _, r := range recs {
		hook(r)
	}
	if passed != len(recs) {
		t.Errorf("next got %d records, want %d", passed, len(recs))
	}
	ex.OnCall(nil)(recs[0]) // a nil next is allowed

	f := scrapeHandler(t, ex.Handler())["switchio_local_setup_latency_seconds"]
	if f == nil || len(f.GetMetric()) != 1 {
		t.Fatalf("histogram family %v, want one series", f)
	}
	h := f.GetMetric()[0].GetHistogram()
	if h.GetSampleCount() != 3 || math.Abs(h.GetSampleSum()-2.006) > 1e-9 {
		t.Errorf("count %d sum %v, want 3 and 2.006", h.GetSampleCount(), h.GetSampleSum())
	}
	var bounds []float64
	cum := map[float64]uint64{}
	for _, bk := range h.GetBucket() {
		bounds = append(bounds, bk.GetUpperBound())
		cum[bk.GetUpperBound()] = bk.GetCumulativeCount()
	}
	if want := append(promexport.DefaultSetupBuckets(), math.Inf(1)); !slices.Equal(bounds, want) {
		t.Errorf("buckets %v, want %v", bounds, want)
	}
	if cum[0.0025] != 0 || cum[0.005] != 2 || cum[1] != 2 || cum[2.5] != 3 {
		t.Errorf("cumulative counts %v", cum)
	}
}

// newDialer starts an n-server emulated cluster, a pool over it and an
// originator with TonePlay loaded.
func newDialer(t *testing.T, n int, cfg dialer.Config, emu fsemu.Config) *dialer.Originator {
	t.Helper()
	o, _, _ := dialtest.Originator(t, n, cfg, emu)
	return o
}

// TestDialScrape runs a short dial against two emulated servers, a share
// of whose calls are refused busy, and checks that a scrape of the
// endpoint says what the dialer's Summary says.
func TestDialScrape(t *testing.T) {
	ex := promexport.New(promexport.Options{Runtime: true})
	var records int
	cfg := dialer.Config{Rate: 200, Limit: 50, MaxOffered: 60, Duration: 100 * time.Millisecond,
		OnCall: ex.OnCall(func(dialer.CallOutcome) { records++ })}
	emu := fsemu.Config{Inbound: fsemu.Inbound{Failures: []fsemu.Failure{{Cause: "USER_BUSY", Share: 0.25}}}}
	o := newDialer(t, 2, cfg, emu)
	ex.Attach(o)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := promexport.Serve(ctx, "127.0.0.1:0", false, ex.Handler())
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + srv.Addr() + promexport.Path

	if err := o.Start(); err != nil {
		t.Fatal(err)
	}
	if err := o.Wait(ctxT(t, 30*time.Second)); err != nil {
		t.Fatalf("wait: %v (%+v)", err, o.Stats())
	}
	// Every call has ended; Flush hands their records to OnCall.
	if err := o.Flush(ctxT(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	fams := scrape(t, url)
	sm, st := o.Summary(), o.Stats()

	if sm.Offered != 60 || records != 60 {
		t.Fatalf("offered %d, records %d, want 60", sm.Offered, records)
	}
	if sm.Failed == 0 || sm.Answered == 0 {
		t.Fatalf("answered %d failed %d: want both (%v)", sm.Answered, sm.Failed, sm.FailedByCause)
	}
	// A by-cause family appears with its first call of a cause: no call
	// was dropped here.
	var present []string
	for name := range catalogue {
		if name != "switchio_dropped_calls_total" {
			present = append(present, name)
		}
	}
	checkFamilies(t, fams, present...)
	if fams["go_goroutines"] == nil || fams["process_start_time_seconds"] == nil {
		t.Error("runtime and process metrics missing")
	}

	want := map[string]map[string]float64{
		"switchio_offered_calls_total":          {},
		"switchio_answered_calls_total":         {},
		"switchio_failed_calls_total":           {},
		"switchio_dropped_calls_total":          {},
		"switchio_active_calls":                 {},
		"switchio_local_setup_latency_seconds":  {},
		"switchio_server_saturated":             {},
		"switchio_server_down":                  {},
		"switchio_server_lost":                  {},
		"switchio_completed_calls_total":        {"": float64(sm.Completed)},
		"switchio_abandoned_calls_total":        {"": float64(sm.Abandoned)},
		"switchio_asr_ratio":                    {"": float64(sm.Answered) / float64(sm.Offered)},
		"switchio_target_rate_calls_per_second": {"": sm.TargetRate},
	}
	for _, s := range sm.Servers {
		l := "server=" + s.Addr
		want["switchio_offered_calls_total"][l] = float64(s.Offered)
		want["switchio_answered_calls_total"][l] = float64(s.Answered)
		for cause, n := range s.FailedByCause {
			want["switchio_failed_calls_total"][fmt.Sprintf("cause=%s,%s", cause, l)] = float64(n)
		}
		want["switchio_local_setup_latency_seconds"][l] = float64(s.LocalSetupLatency.Count)
	}
	for cause, n := range sm.DroppedByCause {
		want["switchio_dropped_calls_total"]["cause="+cause] = float64(n)
	}
	for _, s := range st.Servers {
		l := "server=" + s.Addr
		want["switchio_active_calls"][l] = 0
		want["switchio_server_saturated"][l] = boolFloat(s.Saturated)
		want["switchio_server_down"][l] = 0
		want["switchio_server_lost"][l] = 0
	}
	for name, w := range want {
		if len(w) == 0 {
			w = nil // absent
		}
		if got := samples(fams, name); !maps.Equal(got, w) {
			t.Errorf("%s = %v, want %v", name, got, w)
		}
	}
	// Totals over the servers are the run's.
	for name, total := range map[string]uint64{
		"switchio_offered_calls_total":         sm.Offered,
		"switchio_answered_calls_total":        sm.Answered,
		"switchio_failed_calls_total":          sm.Failed,
		"switchio_local_setup_latency_seconds": sm.LocalSetupLatency.Count,
	} {
		var sum float64
		for _, v := range samples(fams, name) {
			sum += v
		}
		if sum != float64(total) {
			t.Errorf("%s sums to %v over the servers, want %d", name, sum, total)
		}
	}

	cancel()
	if err := srv.Wait(); err != nil {
		t.Errorf("server stopped with %v", err)
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestCheckAddr(t *testing.T) {
	tests := []struct {
		addr        string
		allowRemote bool
		wantErr     bool
		notLoopback bool // the error is ErrNotLoopback
	}{
		{addr: "127.0.0.1:9090"},
		{addr: "127.0.0.1:0"},
		{addr: "127.1.2.3:9090"},
		{addr: "localhost:9090"},
		{addr: "[::1]:9090"},
		{addr: "0.0.0.0:9090", wantErr: true, notLoopback: true},
		{addr: ":9090", wantErr: true, notLoopback: true},
		{addr: "[::]:9090", wantErr: true, notLoopback: true},
		{addr: "192.0.2.1:9090", wantErr: true, notLoopback: true},
		{addr: "metrics.example:9090", wantErr: true, notLoopback: true},
		{addr: "0.0.0.0:9090", allowRemote: true},
		{addr: ":0", allowRemote: true},
		{addr: "192.0.2.1:9090", allowRemote: true},
		{addr: "127.0.0.1", wantErr: true},
		{addr: "", wantErr: true},
		{addr: "[::1:9090", allowRemote: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q remote=%v", tt.addr, tt.allowRemote), func(t *testing.T) {
			err := promexport.CheckAddr(tt.addr, tt.allowRemote)
			if (err != nil) != tt.wantErr {
				t.Fatalf("CheckAddr = %v, want error %v", err, tt.wantErr)
			}
			if errors.Is(err, promexport.ErrNotLoopback) != tt.notLoopback {
				t.Fatalf("CheckAddr = %v, ErrNotLoopback %v", err, tt.notLoopback)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans lines", err)
			}
		})
	}
}

func TestServe(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })

	if _, err := promexport.Serve(context.Background(), "0.0.0.0:0", false, h); !errors.Is(err, promexport.ErrNotLoopback) {
		t.Fatalf("Serve on 0.0.0.0 without remote access: %v, want ErrNotLoopback", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := promexport.Serve(ctx, "127.0.0.1:0", false, h)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(srv.Addr(), ":0") {
		t.Fatalf("Addr %s: want the port picked", srv.Addr())
	}
	// Bound on return: the first request succeeds.
	for path, code := range map[string]int{promexport.Path: http.StatusOK, "/": http.StatusNotFound} {
		resp, err := http.Get("http://" + srv.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != code {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, code)
		}
	}
	// The Host header must be an IP literal, localhost or a given name,
	// so a rebound host name (DNS rebinding) cannot read the metrics.
	_, port, _ := net.SplitHostPort(srv.Addr())
	for _, tc := range []struct {
		host string
		code int
	}{
		{srv.Addr(), http.StatusOK},
		{"localhost:" + port, http.StatusOK},
		{"[::1]:" + port, http.StatusOK},
		{"10.1.2.3:9090", http.StatusOK}, // a pod scraped by its IP
		{"evil.example:" + port, http.StatusForbidden},
		{"evil.example", http.StatusForbidden},
		{"127.0.0.1.nip.io:" + port, http.StatusForbidden},
	} {
		req, err := http.NewRequest("GET", "http://"+srv.Addr()+promexport.Path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = tc.host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("Host %s: %d, want %d", tc.host, resp.StatusCode, tc.code)
		}
	}
	http.DefaultClient.CloseIdleConnections()

	cancel()
	if err := srv.Wait(); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	select {
	case <-srv.Done():
	default:
		t.Fatal("Done not closed after Wait")
	}
	if resp, err := http.Get("http://" + srv.Addr() + promexport.Path); err == nil {
		resp.Body.Close()
		t.Fatal("still serving after the context ended")
	}
}

// Serve answers the host names it is given, besides IP literals and
// localhost, and refuses others.
func TestServeNames(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := promexport.Serve(ctx, "127.0.0.1:0", false, h, "switchio.monitoring.svc")
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	for host, code := range map[string]int{
		"switchio.monitoring.svc:9090": http.StatusOK,
		"other.monitoring.svc:9090":    http.StatusForbidden,
	} {
		req, err := http.NewRequest("GET", "http://"+srv.Addr()+promexport.Path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != code {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, code)
		}
	}
	client.CloseIdleConnections()
	cancel()
	if err := srv.Wait(); err != nil {
		t.Fatal(err)
	}
}
