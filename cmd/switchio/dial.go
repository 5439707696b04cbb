package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchio/switchio/app"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/dialer/measured"
	"github.com/switchio/switchio/dialer/promexport"
	"github.com/switchio/switchio/dialer/web"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/measure/threshold"
	"github.com/switchio/switchio/originate"
	"github.com/switchio/switchio/report"
)

func init() { subcommands = append(subcommands, newDialCmd) }

// Exit codes of dial besides 0 and 1 (could not start).
const (
	// exitRunFailed: every server was lost, or no call was answered.
	exitRunFailed = 2
	// exitThreshold: a threshold broke (k6's code).
	exitThreshold = 99
	// exitInterrupted: stopped by Ctrl-C (128+SIGINT).
	exitInterrupted = 130
	// exitTerminated: stopped by SIGTERM (128+SIGTERM).
	exitTerminated = 143
)

type dialOpts struct {
	password       string
	profile        string
	gateway        string
	proxy          string
	dest           string
	rate           float64
	limit          int
	serverLimit    int
	maxOffered     uint64
	duration       time.Duration
	ramp           time.Duration
	apps           []string
	out            string
	json           bool
	cidName        string
	cidNum         string
	codec          string
	timeout        time.Duration
	headers        []string
	vars           []string
	perCall        []string
	setup          bool
	verboseEvents  bool
	serverHangup   bool
	appHeader      string
	servers        int
	verbose        bool
	statusInterval time.Duration
	drain          time.Duration
	serverTimeout  time.Duration
	force          bool
	serversSet     bool
	warmup         time.Duration
	metricsAddr    string
	metricsRemote  bool
	webAddr        string
	webRemote      bool
	thresholds     threshold.List
	arrivals       string
	durationDist   string
	seed           uint64
	stages         []string
	// changed tells whether a flag was given (nil: none was).
	changed func(name string) bool
}

func newDialCmd() *cobra.Command {
	var o dialOpts
	cmd := &cobra.Command{
		Use:   "dial [HOST[:PORT]...]",
		Short: "Auto-dialer: place paced, measured calls through FreeSWITCH servers",
		Long: `dial offers calls through every server at a precise rate (open-loop pacing
over the whole pool), within a concurrent call limit, each call held for
--duration after answer, and reports what the servers made of them.

Without HOSTS it starts an embedded two-server emulated FreeSWITCH cluster
(--servers to change) and places 200 TonePlay calls at 50 calls/s held 2 s:
a demo that finishes in a few seconds. With HOSTS (event socket addresses,
port 8021 by default) the same defaults apply; --max-offered 0 dials until
Ctrl-C.

By default each server calls itself: the destination is
<--dest user>@<its own SIP address>, read from "sofia status profile
<--profile>". --dest user@host sends every call there; --gateway dials
through a sofia gateway; --proxy routes the INVITE (fs_path).

Apps: --app NAME[/key=value,...][:WEIGHT], repeatable (default TonePlay).
Each call runs one app, picked by weighted round robin: --app TonePlay:3
--app Other:1 gives TonePlay three calls in four. See switchio list-apps.

Per-call values for campaigns: --per-call FIELD=FILE cycles the lines of
FILE into FIELD (dest, caller_id_name, caller_id_number, codec, gateway,
proxy, header:<Name>, var:<name>); a destination without "@" calls that
user at the server itself.

Real servers: each originate carries ignore_early_media=true, so a far end
that sends 183 with early media is not taken as answered; a call is
answered at its originating leg's CHANNEL_ANSWER, and one that never
answers is failed with its cause. The time to the first 180 or 183 is
kept per call (post-dial delay).

Hold time: switchio hangs each call up --duration after its answer
(uuid_kill, sent on its own path, never behind the originates), and a
server-side sched_hangup 2 s later guards against calls outliving
switchio. --server-hangup leaves the hold to the server alone: FreeSWITCH's
scheduler runs on whole seconds, so those calls are held up to a second
short. Durations take Go syntax (2s, 1m30s, 250ms) or a bare number of
seconds (30), as in switchio.

Traffic models: --arrivals poisson spaces the calls with exponential gaps
at the mean rate (drawn ahead on the schedule's clock: ramps, stages and
rate changes give a Poisson process of the varying rate) instead of evenly.
--duration-dist draws each call's hold: exp:MEAN, uniform:MIN-MAX, or
lognormal:MEDIAN,SIGMA (SIGMA the standard deviation of the hold's
logarithm; lognormal:1m,0.5 has a 1 m median and a 1m8s mean); holds are
clipped at 10x the mean. --stage DURATION:RATE (repeatable) is a load
profile, k6-style: each stage ramps the rate linearly from the previous
stage's target (0 first) to its own over its duration (0: a jump), and
the run ends after the last stage unless --max-offered (then only if
given) ends it first. --stage replaces --rate and --ramp (giving either
with it is an error; start with --stage 0:R to begin at R). Each stage's
start is in the report's changes. --seed N repeats a run's arrival gaps
and holds; by default the seed is random and printed in the summary.

Outcomes: every offered call is answered or failed; every answered call
is completed (held its time), dropped (ended early by the far end) or
abandoned (ended early by switchio: Ctrl-C, drain, a lost server). The
summary gives each, and how exactly completed calls were held (hold
error, from the A leg's billmsec).

--setup (default on) sends "fsctl sps" and "fsctl max_sessions" to each
server first; a refusal stops the run.

In a terminal a live view (offered, active, answered, failed, rates, ETA,
per-server backlog and saturation) is redrawn 4 times a second on stderr;
otherwise a status line goes to stderr every --status-interval. A server
that queues originates instead of setting calls up (set-up latency rising
with a backlog) is reported as saturated, with the rate it managed.

Ctrl-C (or SIGTERM) stops offering, hangs up this dialer's calls, waits
up to --drain for them to end, flushes measurements and prints the
summary; a second one records the calls still up as abandoned and stops
at once, even with a server unreachable. Every offered call gets one row.
A server unreachable for --server-timeout is given up (its calls recorded
under SWITCHIO_SERVER_LOST) and named in the summary.

Exit codes, first match wins: 1 the run could not start (bad flag,
unreachable server, bad password, refused setup); 130 interrupted by
Ctrl-C, 143 by SIGTERM; 2 the run failed (every server lost, or no call
answered); 99 a --threshold broke; 0 otherwise.

Measurements: every run is measured (one call-detail record per offered
call, the metric catalogue's figures in the summary: ASR, NER, ACD, PDD,
latency percentiles overall, per server and per app). --out DIR keeps
them: cdr.parquet, timeseries.parquet (per second), sysstats.parquet
(controller and servers), calls.csv and summary.json, written as they
come and kept on Ctrl-C, a lost server or a kill; --warmup leaves the
first calls out of the figures. At the end of the run report.html (charts,
offline) and plots/*.png are built there (switchio report DIR rebuilds
them). --json prints the summary as JSON on stdout.

Unless GOGC is set, dial runs the garbage collector at GOGC=400: the
controller's heap is small, and this roughly halves its CPU at low rates.`,
		RunE: func(cmd *cobra.Command, hosts []string) error {
			sig := make(chan os.Signal, 2)
			signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
			defer signal.Stop(sig)
			o.serversSet = cmd.Flags().Changed("servers")
			code, err := runDial(context.WithoutCancel(cmd.Context()), o, hosts, cmd.OutOrStdout(), cmd.ErrOrStderr(), sig)
			if err != nil {
				// One line: joined errors (one per server) are listed with "; ".
				return errors.New(strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; "))
			}
			if code != 0 {
				os.Exit(code)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.password, "password", "ClueCon", "event socket password")
	f.StringVar(&o.profile, "profile", "external", "sofia profile to dial through")
	f.StringVar(&o.gateway, "gateway", "", "sofia gateway to dial through (instead of a profile)")
	f.StringVar(&o.proxy, "proxy", "", "SIP proxy the INVITE goes through (fs_path)")
	f.StringVar(&o.dest, "dest", "switchio", "destination: user@host for every server, or a user that each server calls at its own SIP address")
	f.Float64Var(&o.rate, "rate", 50, "target calls per second over all servers (fractional allowed)")
	f.IntVar(&o.limit, "limit", 1000, "maximum concurrent calls over all servers")
	f.IntVar(&o.serverLimit, "server-limit", 0, "maximum concurrent calls per server (0: only --limit)")
	f.Uint64Var(&o.maxOffered, "max-offered", 200, "total calls to offer (0: until Ctrl-C)")
	durationFlag(f, &o.duration, "duration", 2*time.Second, "hold time from answer, e.g. 2s or 30 (seconds) (0: --limit/--rate + 5s)")
	durationFlag(f, &o.ramp, "ramp", 0, "ramp the rate up linearly from 0 over this long (0: none)")
	f.StringArrayVar(&o.apps, "app", nil, "app per call, NAME[/key=value,...][:WEIGHT] (repeatable; default TonePlay)")
	f.StringVar(&o.out, "out", "", "directory for measurements (cdr.parquet, timeseries.parquet, sysstats.parquet, calls.csv, summary.json); must be new or empty unless --force")
	f.BoolVar(&o.force, "force", false, "let --out overwrite the measurements of an earlier run")
	f.Var(&o.thresholds, "threshold", "pass/fail criterion on the run's figures, e.g. 'p99(call_setup_latency)<200ms' or 'asr>=0.99' (repeatable; docs/thresholds.md); a broken one exits 99")
	f.StringVar(&o.webAddr, "web", "", "serve a live view with controls (rate, limit, hold, weights, stop, hang up) at this address, e.g. 127.0.0.1:8089; loopback only unless --web-allow-remote; state changes need the token printed at start")
	f.BoolVar(&o.webRemote, "web-allow-remote", false, "let --web listen on a non-loopback address")
	f.StringVar(&o.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at this address (e.g. 127.0.0.1:9090; loopback only unless --metrics-allow-remote), path /metrics")
	f.BoolVar(&o.metricsRemote, "metrics-allow-remote", false, "let --metrics-addr listen on a non-loopback address")
	durationFlag(f, &o.warmup, "warmup", 0, "leave the calls offered during this first part of the run out of the summary's figures (reported apart)")
	f.BoolVar(&o.json, "json", false, "print the summary as JSON on stdout")
	f.StringVar(&o.cidName, "caller-id-name", "switchio", "caller id name")
	f.StringVar(&o.cidNum, "caller-id-number", "", "caller id number")
	f.StringVar(&o.codec, "codec", "", "codec to offer (absolute_codec_string), e.g. PCMU")
	durationFlag(f, &o.timeout, "originate-timeout", 60*time.Second, "ringing time before a call fails with NO_ANSWER")
	f.StringArrayVar(&o.headers, "header", nil, "SIP header Name=value added to each INVITE (repeatable)")
	f.StringArrayVar(&o.vars, "var", nil, "channel variable name=value set on each call (repeatable)")
	f.StringArrayVar(&o.perCall, "per-call", nil, "FIELD=FILE: cycle FILE's lines into FIELD per call (repeatable)")
	f.BoolVar(&o.setup, "setup", true, "apply load-test settings (fsctl sps, max_sessions) on each server first")
	f.BoolVar(&o.verboseEvents, "verbose-events", false, "also send fsctl verbose_events true in setup")
	f.BoolVar(&o.serverHangup, "server-hangup", false, "leave the hold to the server's sched_hangup (whole seconds: up to 1 s short) instead of hanging up from switchio")
	f.Bool("controller-hangup", true, "")
	_ = f.MarkDeprecated("controller-hangup", "switchio hangs calls up itself by default; --server-hangup for the old behaviour")
	f.StringVar(&o.appHeader, "app-header", "", "value of the X-switchio_app header on every call (default: the app's name)")
	f.IntVar(&o.servers, "servers", 2, "number of embedded emulated servers when no HOSTS are given")
	durationFlag(f, &o.statusInterval, "status-interval", 5*time.Second, "status line period when stderr is not a terminal")
	durationFlag(f, &o.drain, "drain", 0, "how long to wait for calls to end after offering stops or Ctrl-C, then hang them up as abandoned (0: twice the longest hold + 5s, 5s after Ctrl-C)")
	durationFlag(f, &o.serverTimeout, "server-timeout", 10*time.Second, "give up on a server unreachable this long (its calls recorded under SWITCHIO_SERVER_LOST); when all are, the run ends with exit code 2")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "log to stderr")
	f.StringVar(&o.arrivals, "arrivals", "fixed", "how calls are spaced at the rate: fixed (evenly) or poisson (exponential gaps at the mean rate)")
	f.StringVar(&o.durationDist, "duration-dist", "fixed", "hold-time distribution: fixed (--duration), exp:MEAN, uniform:MIN-MAX or lognormal:MEDIAN,SIGMA (e.g. exp:2m, uniform:30s-90s, lognormal:1m,0.5); clipped at 10x the mean")
	f.Uint64Var(&o.seed, "seed", 0, "seed of the arrival gaps and holds, to repeat a run (0: random, printed in the summary)")
	f.StringArrayVar(&o.stages, "stage", nil, "load profile stage DURATION:RATE: ramp linearly to RATE calls/s over DURATION (0: jump); repeatable, the run ends after the last; replaces --rate and --ramp")
	o.changed = f.Changed
	return cmd
}

type appArg struct {
	spec   string
	weight int
}

// parseAppArg splits NAME[/params][:WEIGHT].
func parseAppArg(s string) (appArg, error) {
	a := appArg{spec: s, weight: 1}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		if w, err := strconv.Atoi(s[i+1:]); err == nil {
			if w < 0 {
				return a, fmt.Errorf("--app %s: negative weight", s)
			}
			a.spec, a.weight = s[:i], w
		}
	}
	if _, err := app.Default.New(a.spec); err != nil {
		return a, fmt.Errorf("--app %s: %w", s, err)
	}
	return a, nil
}

func parseKV(flag, s string) (originate.Var, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return originate.Var{}, fmt.Errorf("--%s %q: want name=value", flag, s)
	}
	return originate.Var{Name: k, Value: v}, nil
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no values", path)
	}
	return out, nil
}

// buildConfig validates the flags into a dialer configuration.
func buildConfig(o dialOpts) (dialer.Config, []appArg, error) {
	var cfg dialer.Config
	if !(o.rate > 0) || math.IsInf(o.rate, 0) {
		return cfg, nil, fmt.Errorf("--rate %v: want a positive number of calls per second", o.rate)
	}
	if o.serverLimit < 0 {
		return cfg, nil, fmt.Errorf("--server-limit %d: cannot be negative (0: no per-server cap)", o.serverLimit)
	}
	if o.timeout <= 0 {
		return cfg, nil, fmt.Errorf("--originate-timeout must be positive")
	}
	if o.statusInterval <= 0 {
		return cfg, nil, fmt.Errorf("--status-interval must be positive")
	}
	if o.serverTimeout <= 0 {
		return cfg, nil, fmt.Errorf("--server-timeout must be positive")
	}
	if o.metricsAddr != "" {
		if err := promexport.CheckAddr(o.metricsAddr, o.metricsRemote); err != nil {
			return cfg, nil, fmt.Errorf("--metrics-addr: %w", err)
		}
	}
	if o.webAddr != "" {
		if err := web.CheckAddr(o.webAddr, o.webRemote); err != nil {
			return cfg, nil, fmt.Errorf("--web: %w", err)
		}
	}
	if o.limit <= 0 {
		return cfg, nil, fmt.Errorf("--limit must be positive")
	}
	if o.duration < 0 || o.ramp < 0 {
		return cfg, nil, fmt.Errorf("--duration and --ramp cannot be negative")
	}
	specs := o.apps
	if len(specs) == 0 {
		specs = []string{"TonePlay"}
	}
	var apps []appArg
	total := 0
	for _, s := range specs {
		a, err := parseAppArg(s)
		if err != nil {
			return cfg, nil, err
		}
		total += a.weight
		apps = append(apps, a)
	}
	if total == 0 {
		return cfg, nil, fmt.Errorf("--app: every weight is 0")
	}
	req := originate.Request{Profile: o.profile, Gateway: o.gateway, Proxy: o.proxy,
		CallerIDName: o.cidName, CallerIDNumber: o.cidNum, Codec: o.codec, Timeout: o.timeout}
	if strings.Contains(o.dest, "@") || o.gateway != "" {
		req.Dest = o.dest
	} else {
		cfg.DestUser = o.dest
	}
	for _, h := range o.headers {
		v, err := parseKV("header", h)
		if err != nil {
			return cfg, nil, err
		}
		req.Headers = append(req.Headers, v)
	}
	for _, s := range o.vars {
		v, err := parseKV("var", s)
		if err != nil {
			return cfg, nil, err
		}
		req.Vars = append(req.Vars, v)
	}
	for _, p := range o.perCall {
		name, path, ok := strings.Cut(p, "=")
		if !ok {
			return cfg, nil, fmt.Errorf("--per-call %q: want FIELD=FILE", p)
		}
		field, err := originate.ParseField(name)
		if err != nil {
			return cfg, nil, fmt.Errorf("--per-call: %w", err)
		}
		values, err := readLines(path)
		if err != nil {
			return cfg, nil, fmt.Errorf("--per-call: %w", err)
		}
		cfg.PerCall = append(cfg.PerCall, originate.Cycle(field, values...))
	}
	// Check the template renders before connecting anywhere.
	probe := req.ForCall(0, cfg.PerCall...)
	if probe.Dest == "" {
		probe.Dest = "probe@127.0.0.1"
	}
	if _, err := probe.Command(); err != nil {
		return cfg, nil, err
	}
	cfg.Rate, cfg.Limit, cfg.ServerLimit = o.rate, o.limit, o.serverLimit
	cfg.MaxOffered, cfg.Duration, cfg.Ramp = o.maxOffered, o.duration, o.ramp
	if err := o.traffic(&cfg); err != nil {
		return cfg, nil, err
	}
	cfg.Request = req
	cfg.OriginateTimeout = o.timeout
	cfg.ServerTimeout = o.serverTimeout
	cfg.ServerHangup = o.serverHangup
	cfg.AppHeader = o.appHeader
	return cfg, apps, nil
}

// traffic validates the traffic model's flags into cfg: --arrivals,
// --duration-dist (which refuses a --duration given with a distribution),
// --seed and --stage (which replaces --rate and --ramp, refused with it,
// and leaves the run's end to the profile unless --max-offered is given).
func (o dialOpts) traffic(cfg *dialer.Config) error {
	changed := func(name string) bool { return o.changed != nil && o.changed(name) }
	arr, err := dialer.ParseArrivals(o.arrivals)
	if err != nil {
		return fmt.Errorf("--arrivals %q: want fixed or poisson", o.arrivals)
	}
	hd, err := dialer.ParseHoldDist(o.durationDist)
	if err != nil {
		return fmt.Errorf("--duration-dist: %w", err)
	}
	if hd.Kind != dialer.HoldFixed && changed("duration") {
		return fmt.Errorf("--duration-dist %s draws the hold times: --duration cannot be given with it", hd)
	}
	cfg.Arrivals, cfg.HoldDist, cfg.Seed = arr, hd, o.seed
	if len(o.stages) == 0 {
		return nil
	}
	for _, s := range o.stages {
		st, err := dialer.ParseStage(s)
		if err != nil {
			return fmt.Errorf("--stage: %w", err)
		}
		cfg.Stages = append(cfg.Stages, st)
	}
	if err := dialer.CheckStages(cfg.Stages); err != nil {
		return fmt.Errorf("--stage: %w", err)
	}
	switch {
	case changed("rate"):
		return errors.New("--stage sets the rate: --rate cannot be given with it (--stage 0:R first starts at R)")
	case o.ramp > 0:
		return errors.New("--stage ramps the rate: --ramp cannot be given with it")
	}
	cfg.Rate, cfg.Ramp = 0, 0
	if !changed("max-offered") {
		cfg.MaxOffered = 0 // the profile ends the run
	}
	return nil
}

// checkDistinct refuses a server named twice: its calls would be counted
// under two entries of one pool.
func checkDistinct(hosts []string) error {
	seen := map[string]bool{}
	for _, h := range hosts {
		if seen[h] {
			return fmt.Errorf("server %s is given twice", h)
		}
		seen[h] = true
	}
	return nil
}

// checkOutDir refuses to write into a directory holding anything unless
// force: the measurements of an earlier run would be overwritten.
func checkOutDir(dir string, force bool) error {
	if dir == "" || force {
		return nil
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("--out: %w", err)
	case len(entries) > 0:
		return fmt.Errorf("--out %s is not empty (an earlier run?): choose a new directory or add --force", dir)
	}
	return nil
}

// runDial runs the dialer until it is done or interrupted and returns the
// exit code; an error means the run could not start.
func runDial(ctx context.Context, o dialOpts, hosts []string, stdout, stderr io.Writer, sig <-chan os.Signal) (int, error) {
	cfg, apps, err := buildConfig(o)
	if err != nil {
		return 1, err
	}
	if len(hosts) > 0 && o.serversSet {
		return 1, fmt.Errorf("--servers sets the number of embedded emulated servers: it cannot be used with HOSTS")
	}
	hosts = normalizeHosts(hosts)
	if err := checkDistinct(hosts); err != nil {
		return 1, err
	}
	if err := checkOutDir(o.out, o.force); err != nil {
		return 1, err
	}
	if os.Getenv("GOGC") == "" {
		// The controller's heap is small (a few hundred bytes per call)
		// while it parses several KB of events per call: with the default
		// GOGC the collector runs every few MB and costs a third of the
		// CPU. A larger factor trades a few MB for that.
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	view := newLiveView(stderr, o.statusInterval)
	logger := slog.New(slog.NewTextHandler(view.Logs(), &slog.HandlerOptions{Level: level}))
	if len(hosts) == 0 {
		if o.servers < 1 {
			return 1, fmt.Errorf("--servers must be at least 1")
		}
		emu, err := fsemu.StartCluster(ctx, o.servers, fsemu.Config{Password: o.password})
		if err != nil {
			return 1, fmt.Errorf("start embedded servers: %w", err)
		}
		defer emu.Close()
		for _, s := range emu.Servers {
			hosts = append(hosts, s.Addr())
		}
		fmt.Fprintf(stderr, "switchio dial: no HOSTS given, dialing through %d embedded emulated servers (%s)\n",
			len(hosts), strings.Join(hosts, ", "))
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	pool, err := cluster.NewPool(cctx, hosts, cluster.Config{Password: o.password, Logger: logger})
	cancel()
	if err != nil {
		return 1, err
	}
	defer pool.Close()
	var instances []cluster.App
	for _, a := range apps {
		inst, _ := app.Default.New(a.spec)
		instances = append(instances, inst)
	}
	m, err := measured.Start(ctx, pool, measured.Options{Dir: o.out, Overwrite: o.force, Logger: logger,
		Verdicts: measured.VerdictsOf(instances...), Thresholds: o.thresholds})
	if err != nil {
		return 1, fmt.Errorf("--out: %w", err)
	}
	started := false
	defer func() {
		if !started {
			m.Abort()
		}
	}()

	var d *dialer.Originator
	downCh := make(chan string, 16)
	cfg.Logger = logger
	var prom *promexport.Exporter
	cfg.OnCall = m.Call
	if o.metricsAddr != "" {
		prom = promexport.New(promexport.Options{Runtime: true})
		cfg.OnCall = prom.OnCall(m.Call)
	}
	cfg.OnServerDown = func(addr string) {
		select {
		case downCh <- addr:
		default:
		}
	}
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	d, err = dialer.New(sctx, pool, cfg)
	if err != nil {
		return 1, err
	}
	if prom != nil {
		prom.Attach(d)
		pctx, pcancel := context.WithCancel(ctx)
		srv, err := promexport.Serve(pctx, o.metricsAddr, o.metricsRemote, prom.Handler())
		if err != nil {
			pcancel()
			return 1, fmt.Errorf("--metrics-addr: %w", err)
		}
		defer func() { pcancel(); _ = srv.Wait() }()
		fmt.Fprintf(stderr, "switchio dial: Prometheus metrics at http://%s%s\n", srv.Addr(), promexport.Path)
	}
	closed := false
	defer func() {
		if !closed {
			d.Close()
		}
	}()
	if o.setup {
		if err := d.Setup(sctx, dialer.Settings{VerboseEvents: o.verboseEvents}); err != nil {
			return 1, fmt.Errorf("setup (use --setup=false to skip): %w", err)
		}
	}
	for _, a := range apps {
		if _, err := d.LoadSpec(sctx, app.Default, a.spec, a.weight); err != nil {
			return 1, err
		}
	}
	for _, c := range pool.Clients() {
		if cmd, err := d.OriginateCommand(c.Addr()); err == nil {
			logger.Info("originate template", "server", c.Addr(), "cmd", cmd)
		}
	}
	if o.webAddr != "" {
		wctx, wcancel := context.WithCancel(ctx)
		srv, err := web.Serve(wctx, o.webAddr, o.webRemote, d)
		if err != nil {
			wcancel()
			return 1, fmt.Errorf("--web: %w", err)
		}
		defer func() { wcancel(); _ = srv.Wait() }()
		fmt.Fprintf(stderr, "switchio dial: live view at %s\n", srv.URL())
	}
	if err := d.Start(); err != nil {
		return 1, err
	}
	started = true
	m.SetWarmup(time.Now().Add(o.warmup))

	var interrupt os.Signal // the first signal, for the exit code
	var drainUntil time.Time
	abandon := func(cause string, wait time.Duration) {
		actx, acancel := context.WithTimeout(ctx, wait)
		if err := d.Abandon(actx, cause); err != nil {
			logger.Warn("hang-up", "err", err)
		}
		acancel()
	}
	t := time.NewTicker(view.period)
	defer t.Stop()
	closeWait := 5 * time.Second
loop:
	for {
		select {
		case s := <-sig:
			if interrupt != nil {
				view.note(fmt.Sprintf("second %v: recording the calls still up and stopping now", s))
				abandon(dialer.CauseInterrupted, 500*time.Millisecond)
				closeWait = 0
				break loop
			}
			interrupt = s
			view.note(fmt.Sprintf("%v: stopping, hanging up this dialer's calls (again to stop at once)", s))
			hctx, hcancel := context.WithTimeout(ctx, 2*time.Second)
			if err := d.Hupall(hctx); err != nil {
				logger.Warn("hupall", "err", err)
			}
			hcancel()
			_ = d.Flush(ctx)
			_ = m.Flush(d.Summary())
			drainUntil = time.Now().Add(o.interruptDrain())
		case addr := <-downCh:
			view.note("lost the connection to " + addr + " (reconnecting); measurements flushed")
			_ = d.Flush(ctx)
			_ = m.Flush(d.Summary())
		case <-t.C:
		}
		m.Tick(d)
		st := d.Stats()
		view.draw(st)
		if st.AllServersLost {
			view.note("every server unreachable for --server-timeout: stopping")
			abandon(dialer.CauseServerLost, 500*time.Millisecond)
			closeWait = 0
			break loop
		}
		if st.State != dialer.Originating {
			if st.Active == 0 {
				break loop
			}
			if drainUntil.IsZero() {
				drainUntil = time.Now().Add(o.endDrain(d.MaxHold()))
			}
			if time.Now().After(drainUntil) {
				view.note(fmt.Sprintf("%d calls still up after the drain time: hanging them up (abandoned)", st.Active))
				abandon(dialer.CauseDrainTimeout, 2*time.Second)
				break loop
			}
		}
	}
	view.finish(d.Stats())
	cctx, ccancel := context.WithTimeout(ctx, closeWait)
	closed = true
	if err := d.CloseContext(cctx); err != nil && closeWait > 0 {
		logger.Warn("close", "err", err)
	}
	ccancel()
	sm, err := m.Close(d)
	if err != nil {
		fmt.Fprintln(stderr, "switchio dial: writing measurements:", err)
	}
	if o.out != "" && closeWait > 0 {
		// Not after a second interrupt: the user wants out now (switchio
		// report DIR builds it later).
		if path, err := report.Build(o.out, report.Options{}); err != nil {
			fmt.Fprintln(stderr, "switchio dial: report:", err)
		} else {
			fmt.Fprintln(stderr, "switchio dial: report:", path)
		}
	}
	if o.json {
		b, _ := json.MarshalIndent(sm, "", "  ")
		fmt.Fprintln(stdout, string(b))
	} else {
		printSummary(stdout, sm, o.out)
	}
	return exitCodeOf(interrupt, sm), nil
}

// exitCodeOf is the exit code of a run that started, by precedence: an
// interrupted run (its figures are partial), then a failed run (every
// server lost, or calls offered and none answered), then a broken
// threshold, then success (docs/outcomes.md has the table).
func exitCodeOf(interrupt os.Signal, sm dialer.Summary) int {
	switch {
	case interrupt == syscall.SIGTERM:
		return exitTerminated
	case interrupt != nil:
		return exitInterrupted
	case sm.AllServersLost, sm.Offered > 0 && sm.Answered == 0:
		return exitRunFailed
	case !sm.Thresholds.Passed():
		return exitThreshold
	}
	return 0
}

// interruptDrain is how long calls may take to end after Ctrl-C.
func (o dialOpts) interruptDrain() time.Duration {
	if o.drain > 0 {
		return o.drain
	}
	return 5 * time.Second
}

// endDrain is how long calls may take to end once offering stopped: --drain
// when given, else twice the longest hold (--duration, or the clip of
// --duration-dist) plus 5 s.
func (o dialOpts) endDrain(hold time.Duration) time.Duration {
	if o.drain > 0 {
		return o.drain
	}
	return 2*hold + 5*time.Second
}

func printSummary(w io.Writer, sm dialer.Summary, out string) {
	fmt.Fprintf(w, "switchio dial: %d offered, %d answered, %d failed in %.2f s\n", sm.Offered, sm.Answered, sm.Failed, sm.DurationS)
	fmt.Fprintf(w, "answered: %d completed, %d dropped, %d abandoned\n", sm.Completed, sm.Dropped, sm.Abandoned)
	if h := sm.HoldErrorMs; h.Count > 0 {
		fmt.Fprintf(w, "hold error: p50 %.1f ms, p99 %.1f ms, max %.1f ms; %.2f%% within 50 ms, %d short\n",
			h.P50, h.P99, h.Max, 100*h.Within50ms, h.Short)
	}
	fmt.Fprintf(w, "rate: target %.2f cps, offered %.2f cps, achieved %.2f cps; peak active %d (limit %d), hold %.1f s\n",
		sm.TargetRate, sm.OfferedRate, sm.AchievedRate, sm.PeakActive, sm.Limit, sm.HoldS)
	fmt.Fprintf(w, "traffic: %s arrivals, holds %s; seed %d (--seed %d repeats them)\n", sm.Arrivals, sm.HoldDist, sm.Seed, sm.Seed)
	if sm.SetupMs.Count > 0 {
		fmt.Fprintf(w, "set-up latency: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
			sm.SetupMs.P50, sm.SetupMs.P90, sm.SetupMs.P99, sm.SetupMs.Max)
	}
	for _, c := range dialer.SortedCauses(sm.FailedByCause) {
		fmt.Fprintf(w, "failed: %s %d\n", c, sm.FailedByCause[c])
	}
	for _, c := range dialer.SortedCauses(sm.DroppedByCause) {
		fmt.Fprintf(w, "dropped: %s %d\n", c, sm.DroppedByCause[c])
	}
	for _, s := range sm.Servers {
		fmt.Fprintf(w, "server %s -> %s: %d offered, %d answered, %d failed, peak active %d, peak backlog %d, set-up p50 %.1f ms p99 %.1f ms\n",
			s.Addr, s.Dest, s.Offered, s.Answered, s.Failed, s.PeakActive, s.PeakBacklog, s.SetupMs.P50, s.SetupMs.P99)
		for _, c := range dialer.SortedCauses(s.FailedByCause) {
			fmt.Fprintf(w, "  failed: %s %d\n", c, s.FailedByCause[c])
		}
	}
	printVerdicts(w, sm.Metrics)
	if len(sm.Thresholds) > 0 {
		fmt.Fprint(w, "thresholds:\n", sm.Thresholds)
	}
	for _, l := range sm.LostServers {
		fmt.Fprintf(w, "lost: server %s unreachable from %.1f s, %d calls recorded under %s\n", l.Addr, l.AfterS, l.Calls, dialer.CauseServerLost)
	}
	for _, l := range sm.Saturation {
		fmt.Fprintln(w, "saturation:", l)
	}
	if out != "" {
		fmt.Fprintf(w, "measurements: %s (cdr.parquet, timeseries.parquet, sysstats.parquet, calls.csv, summary.json)\n", out)
	}
}
