package main

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/dialer/promexport"
	"github.com/switchio/switchio/dialer/web"
	"github.com/switchio/switchio/originate"
	"github.com/switchio/switchio/script"
)

type appArg struct {
	spec   string
	weight int
}

// parseAppArg splits NAME[/params][:WEIGHT]. What follows the last ':'
// is the weight unless it is part of a parameter (it holds '/', '=' or
// ',') or the whole argument is a valid app spec; a weight that is not a
// whole number from 0 to 2^31-1 is refused as such, not taken for part of
// the app's name.
func parseAppArg(reg *appkit.Registry, s string) (appArg, error) {
	a := appArg{spec: s, weight: 1}
	if _, _, _, ok := script.SplitFile(s); ok {
		return parseScriptArg(reg, s)
	}
	if err := script.NotAScript(s); err != nil {
		return a, err
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		ws := s[i+1:]
		w, err := strconv.Atoi(ws)
		switch {
		case err == nil && (w < 0 || w > math.MaxInt32):
			return a, fmt.Errorf("--app %s: weight %s: want a whole number from 0 to %d", s, ws, math.MaxInt32)
		case err == nil:
			a.spec, a.weight = s[:i], w
		case !strings.ContainsAny(ws, "/=,"):
			if _, err := reg.New(s); err != nil {
				return a, fmt.Errorf("--app %s: weight %q: want a whole number from 0 to %d", s, ws, math.MaxInt32)
			}
		}
	}
	if _, err := reg.New(a.spec); err != nil {
		return a, fmt.Errorf("--app %s: %w", s, err)
	}
	return a, nil
}

// parseScriptArg reads PATH.star[#Name][/params][:WEIGHT]: the script's
// apps are registered on reg and the spec names the chosen one.
func parseScriptArg(reg *appkit.Registry, s string) (appArg, error) {
	spec, ws, err := script.Resolve(reg, s)
	if err != nil {
		return appArg{}, fmt.Errorf("--app %s: %w", s, err)
	}
	a := appArg{spec: spec, weight: 1}
	if ws != "" {
		w, err := strconv.Atoi(ws)
		if err != nil || w < 0 || w > math.MaxInt32 {
			return a, fmt.Errorf("--app %s: weight %q: want a whole number from 0 to %d", s, ws, math.MaxInt32)
		}
		a.weight = w
	}
	if _, err := reg.New(a.spec); err != nil {
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
	if err := o.checkLimits(); err != nil {
		return cfg, nil, err
	}
	apps, err := o.appArgs()
	if err != nil {
		return cfg, nil, err
	}
	req, err := o.request(&cfg)
	if err != nil {
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

// checkLimits checks the flags of rates, limits, intervals and listening
// addresses.
func (o dialOpts) checkLimits() error {
	switch {
	case !(o.rate > 0) || o.rate > dialer.MaxRate:
		return fmt.Errorf("--rate %v: want a number of calls per second above 0 and at most %g", o.rate, dialer.MaxRate)
	case o.serverLimit < 0:
		return fmt.Errorf("--server-limit %d: cannot be negative (0: no per-server cap)", o.serverLimit)
	case o.timeout <= 0:
		return fmt.Errorf("--originate-timeout must be positive")
	case o.statusInterval <= 0:
		return fmt.Errorf("--status-interval must be positive")
	case o.serverTimeout <= 0:
		return fmt.Errorf("--server-timeout must be positive")
	}
	if o.metricsAddr != "" {
		if err := promexport.CheckAddr(o.metricsAddr, o.metricsRemote); err != nil {
			return fmt.Errorf("--metrics-addr: %w", err)
		}
	}
	if o.webAddr != "" {
		if err := web.CheckAddr(o.webAddr, o.webRemote); err != nil {
			return fmt.Errorf("--web: %w", err)
		}
	}
	if o.limit <= 0 {
		return fmt.Errorf("--limit must be positive")
	}
	if o.duration < 0 || o.ramp < 0 {
		return fmt.Errorf("--duration and --ramp cannot be negative")
	}
	return nil
}

// appArgs reads the --app flags (TonePlay when none is given).
func (o dialOpts) appArgs() ([]appArg, error) {
	specs := o.apps
	if len(specs) == 0 {
		specs = []string{"TonePlay"}
	}
	var apps []appArg
	total := 0
	for _, s := range specs {
		a, err := parseAppArg(o.registry(), s)
		if err != nil {
			return nil, err
		}
		total += a.weight
		apps = append(apps, a)
	}
	if total == 0 {
		return nil, fmt.Errorf("--app: every weight is 0")
	}
	return apps, nil
}

// request builds the originate template from the flags, with the
// per-call values (into cfg), and checks it renders before connecting
// anywhere.
func (o dialOpts) request(cfg *dialer.Config) (originate.Request, error) {
	req := originate.Request{Profile: o.profile, Gateway: o.gateway, Proxy: o.proxy,
		CallerIDName: o.cidName, CallerIDNumber: o.cidNum, Codec: o.codec, Timeout: o.timeout}
	// A bad --dest would fail every call at its originate: refuse it now
	// (empty, the dialer's default user).
	if o.dest != "" {
		if _, err := (&originate.Request{Dest: o.dest}).Target(); err != nil {
			return req, fmt.Errorf("--dest: %w", err)
		}
	}
	if strings.Contains(o.dest, "@") || o.gateway != "" {
		req.Dest = o.dest
	} else {
		cfg.DestUser = o.dest
	}
	for _, kv := range []struct {
		flag string
		list []string
		to   *[]originate.Var
	}{{"header", o.headers, &req.Headers}, {"var", o.vars, &req.Vars}} {
		for _, s := range kv.list {
			v, err := parseKV(kv.flag, s)
			if err != nil {
				return req, err
			}
			*kv.to = append(*kv.to, v)
		}
	}
	per, err := o.perCallValues()
	if err != nil {
		return req, err
	}
	cfg.PerCall = per
	probe := req.ForCall(0, cfg.PerCall...)
	if probe.Dest == "" {
		probe.Dest = "probe@127.0.0.1"
	}
	if _, err := probe.Command(); err != nil {
		return req, err
	}
	return req, nil
}

// perCallValues reads the --per-call FIELD=FILE flags.
func (o dialOpts) perCallValues() ([]originate.PerCall, error) {
	var out []originate.PerCall
	for _, p := range o.perCall {
		name, path, ok := strings.Cut(p, "=")
		if !ok {
			return nil, fmt.Errorf("--per-call %q: want FIELD=FILE", p)
		}
		field, err := originate.ParseField(name)
		if err != nil {
			return nil, fmt.Errorf("--per-call: %w", err)
		}
		values, err := readLines(path)
		if err != nil {
			return nil, fmt.Errorf("--per-call: %w", err)
		}
		out = append(out, originate.Cycle(field, values...))
	}
	return out, nil
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
