package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/measure/threshold"
)

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
	setupTimeout   time.Duration
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
	// registry is what --app names are looked up in (nil: the built-in
	// apps).
	reg *appkit.Registry
	// interactive runs a Starlark prompt over the run (shell.go).
	interactive bool
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

--setup (default on) reads each server's limits, "fsctl sps" (sessions
per second) and "fsctl max_sessions", and raises only those below what
the run needs: sps four times the rate (two legs per call, twice over for
bursts; the peak of a --stage profile, or a rate set live), max_sessions
two legs per call of --limit (or --server-limit) plus 100. A run within
the server's limits changes nothing. Raised limits are put back to the
values found when the run ends (normally, on Ctrl-C or SIGTERM, after a
failed set-up); a server that restarted during the run gets the raise
again. The summary (and summary.json's server_settings) says what was
found, needed, changed and put back; a server that could not be restored
gets the fs_cli command that does it. A raise has a side effect that
restoring does not undo: FreeSWITCH counts each second's sessions as its
sps limit minus what is left of it (switch_time.c), so its status (and
switchio's sysstats) reports a sessions-per-second peak of at least the
raise that no traffic made, until a restart or "fsctl sps_peak_reset"
(which also clears the real peak); the summary names it. The raise also
applies only from FreeSWITCH's next one-second tick, so set-up waits a
second after one. A refusal stops the run.

Set-up (connecting, subscribing, reading each server's SIP address, the
settings, the apps' set-up) waits at most --setup-timeout (default 10s)
for each step: a server that stops answering then (a stuck or overloaded
FreeSWITCH) ends the run with exit code 1 and one line naming it and the
command it left unanswered. Ctrl-C and SIGTERM stop set-up at once (130,
143).

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
unreachable server, bad password, refused setup, no reply within
--setup-timeout); 130 interrupted by
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
controller's heap is small, and this roughly halves its CPU at low rates.
Unless GOMAXPROCS is set, dial runs its Go code on one thread while it uses
under 0.7 of a core and on all of them above that, checked every second:
at low rates this spares it the wake-ups of idle threads, a quarter of its
CPU.`,
		RunE: func(cmd *cobra.Command, hosts []string) error {
			sig := make(chan os.Signal, 2)
			signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
			defer signal.Stop(sig)
			if ctx := cmd.Context(); ctx.Err() != nil && len(sig) == 0 {
				// A signal came before sig was listening (main's context
				// caught it): pass it on.
				sig <- signalOfCause(context.Cause(ctx))
			}
			o.serversSet = cmd.Flags().Changed("servers")
			code, err := runDial(context.WithoutCancel(cmd.Context()), o, hosts, cmd.OutOrStdout(), cmd.ErrOrStderr(), sig)
			if err != nil {
				return errors.New(oneLine(err))
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
	f.Float64Var(&o.rate, "rate", dialer.DefaultRate, "target calls per second over all servers (fractional allowed)")
	f.IntVar(&o.limit, "limit", dialer.DefaultLimit, "maximum concurrent calls over all servers")
	f.IntVar(&o.serverLimit, "server-limit", 0, "maximum concurrent calls per server (0: only --limit)")
	f.Uint64Var(&o.maxOffered, "max-offered", 200, "total calls to offer (0: until Ctrl-C)")
	durationFlag(f, &o.duration, "duration", 2*time.Second, "hold time from answer, e.g. 2s or 30 (seconds) (0: --limit/--rate + 5s)")
	durationFlag(f, &o.ramp, "ramp", 0, "ramp the rate up linearly from 0 over this long (0: none)")
	f.StringArrayVar(&o.apps, "app", nil, "app per call, NAME[/key=value,...][:WEIGHT] (repeatable; default TonePlay)")
	f.StringVar(&o.out, "out", "", "directory for measurements (cdr.parquet, timeseries.parquet, sysstats.parquet, calls.csv, summary.json); must be new or empty unless --force")
	f.BoolVar(&o.force, "force", false, "let --out overwrite the measurements of an earlier run")
	f.Var(&o.thresholds, "threshold", "pass/fail criterion on the run's figures, e.g. 'p99(local_setup_latency)<200ms' or 'asr>=0.99' (repeatable; docs/thresholds.md); a broken one exits 99")
	f.StringVar(&o.webAddr, "web", "", "serve a live view with controls (rate, limit, hold, weights, stop offering, hang up calls and keep offering, stop the run) at this address, e.g. 127.0.0.1:8089; loopback only unless --web-allow-remote; state changes need the token printed at start")
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
	f.BoolVar(&o.setup, "setup", true, "raise each server's fsctl sps and max_sessions where below what the run needs, and put them back at the end (a raise leaves a phantom sps peak in the server's status)")
	f.BoolVar(&o.verboseEvents, "verbose-events", false, "also send fsctl verbose_events true in setup")
	f.BoolVar(&o.serverHangup, "server-hangup", false, "leave the hold to the server's sched_hangup (whole seconds: up to 1 s short) instead of hanging up from switchio")
	f.Bool("controller-hangup", true, "")
	_ = f.MarkDeprecated("controller-hangup", "switchio hangs calls up itself by default; --server-hangup for the old behaviour")
	f.StringVar(&o.appHeader, "app-header", "", "value of the X-switchio_app header on every call (default: the app's name); to reach the apps of a far end running switchio serve, its app id (serve --app-id, \"default\" unless set)")
	f.IntVar(&o.servers, "servers", 2, "number of embedded emulated servers when no HOSTS are given")
	durationFlag(f, &o.statusInterval, "status-interval", 5*time.Second, "status line period when stderr is not a terminal")
	durationFlag(f, &o.drain, "drain", 0, "how long to wait for calls to end after offering stops or Ctrl-C, then hang them up (answered: abandoned, in set-up: failed); 0: until the calls should have ended (a call still ringing may take --originate-timeout, then its hold) plus the longest hold and 5s, 5s after Ctrl-C")
	durationFlag(f, &o.setupTimeout, "setup-timeout", 10*time.Second, "longest wait for a server's reply in each step of set-up (connect, subscribe, SIP address, settings, apps); a server silent that long ends the run with exit code 1")
	durationFlag(f, &o.serverTimeout, "server-timeout", 10*time.Second, "give up on a server unreachable this long (its calls recorded under SWITCHIO_SERVER_LOST); when all are, the run ends with exit code 2")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "log to stderr")
	f.StringVar(&o.arrivals, "arrivals", "fixed", "how calls are spaced at the rate: fixed (evenly) or poisson (exponential gaps at the mean rate)")
	f.StringVar(&o.durationDist, "duration-dist", "fixed", "hold-time distribution: fixed (--duration), exp:MEAN, uniform:MIN-MAX or lognormal:MEDIAN,SIGMA (e.g. exp:2m, uniform:30s-90s, lognormal:1m,0.5); clipped at 10x the mean")
	f.Uint64Var(&o.seed, "seed", 0, "seed of the arrival gaps and holds, to repeat a run (0: random, printed in the summary)")
	f.BoolVar(&o.interactive, "interactive", false, "a Starlark prompt with the running dial as o: o.rate = 80, o.stats(), o.stop(), help(); Ctrl-D stops the run (needs a terminal)")
	f.StringArrayVar(&o.stages, "stage", nil, "load profile stage DURATION:RATE: ramp linearly to RATE calls/s over DURATION (0: jump); repeatable, the run ends after the last; replaces --rate and --ramp")
	o.changed = f.Changed
	return cmd
}

// registry returns the registry --app names are looked up in.
func (o dialOpts) registry() *appkit.Registry {
	if o.reg != nil {
		return o.reg
	}
	return builtinApps()
}

// builtinApps returns a new registry of the built-in apps.
func builtinApps() *appkit.Registry { return apps.Builtin() }
