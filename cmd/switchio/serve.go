package main

import (
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/apps/cdr"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/internal/procs"
	"github.com/switchio/switchio/loadtest"
	"github.com/switchio/switchio/script"
)

func newServeCmd() *cobra.Command {
	var (
		password string
		specs    []string
		appID    string
		verbose  bool
		out      string
		force    bool
		guard    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "serve HOST[:PORT]... --app NAME[/key=value,...]",
		Short: "Run registered apps on FreeSWITCH servers until interrupted",
		Long: `Connects to every server, loads the given apps (one instance per server)
under one app id, and runs them until Ctrl-C or SIGTERM. --out DIR records every
call seen on the servers, whatever app handles it (the CDR app), and writes
cdr.parquet, calls.csv and summary.json there when stopped. Apps of your own: build
your own binary that imports your app packages and calls appkit.Service (see the
examples in package app).

A call reaches the apps when its X-switchio_app_id or X-switchio_app header names
--app-id, or when it names no app id at all (the default id is "default"). switchio
dial names its own per-run id in X-switchio_app_id, so a dial into these servers
names serve's id with --app-header: "switchio dial OTHER --dest USER@THIS-SIP-ADDRESS
--app-header default". Calls naming another id are left as the dialplan put them;
each is logged (the first of an id at info level, the others with -v).

Unless GOMAXPROCS is set, serve runs its Go code on one thread while it uses
under 0.7 of a core and on all of them above that, as dial does.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, hosts []string) error {
			if len(specs) == 0 && out == "" {
				return fmt.Errorf("serve: at least one --app (see switchio list-apps) or --out is required")
			}
			if err := checkOutDir(out, force); err != nil {
				return err
			}
			if guard < 0 || guard > 0 && guard < time.Second {
				return fmt.Errorf("serve: --park-guard %s: 0 (none) or at least 1s (the server's scheduler counts whole seconds)", guard)
			}
			// One processor while lightly loaded, all of them when not,
			// unless GOMAXPROCS is set (internal/procs), as dial.
			defer procs.Govern(cmd.Context())()
			var loads []appkit.Loadable
			var instances []cluster.App
			reg := apps.Builtin()
			if guard > 0 {
				// First, so it sees every park before the apps do.
				loads = append(loads, appkit.Shared(&appkit.ParkGuard{After: guard}))
			}
			for _, spec := range specs {
				spec, err := serveSpec(reg, spec)
				if err != nil {
					return err
				}
				a, err := reg.New(spec)
				if err != nil {
					return err
				}
				instances = append(instances, a)
				loads = append(loads, appkit.PerServer(func() cluster.App {
					a, _ := reg.New(spec)
					return a
				}))
			}
			if out != "" {
				// One recorder for every server, so a call with legs on
				// two of them is one record.
				loads = append(loads, appkit.Shared(&cdr.CDR{Dir: out, Force: force, Verdicts: loadtest.VerdictsOf(instances...)}))
			}
			level := slog.LevelInfo
			if verbose {
				level = slog.LevelDebug
			}
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			svc := &appkit.Service{
				Addrs:  normalizeHosts(hosts),
				Config: cluster.Config{Password: password, Logger: logger},
				Apps:   map[string][]appkit.Loadable{appID: loads},
				Ready: func(p *cluster.Pool) {
					// How a dialer reaches these apps: its own id is
					// read first, so it names serve's in X-switchio_app.
					logger.Info("serving", "servers", len(p.Clients()), "apps", specs, "app_id", appID,
						"dial_with", "--app-header "+appID)
				},
			}
			return svc.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&password, "password", "ClueCon", "event socket password")
	cmd.Flags().StringArrayVar(&specs, "app", nil, "app to run, NAME[/key=value,...] (repeatable)")
	cmd.Flags().StringVar(&appID, "app-id", cluster.DefaultAppID, "app id the apps are loaded under: they take the calls whose X-switchio_app_id or X-switchio_app names it (switchio dial --app-header ID), and those naming none when it is \"default\"")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "debug logging")
	cmd.Flags().StringVar(&out, "out", "", "record every call seen (all app ids) to this directory: cdr.parquet, calls.csv, summary.json (the CDR app)")
	cmd.Flags().BoolVar(&force, "force", false, "let --out overwrite an earlier run's files")
	cmd.Flags().DurationVar(&guard, "park-guard", appkit.DefaultParkGuard, "the server hangs up calls parked for the apps this long after their park, even if switchio is gone (sched_hangup; whole seconds; 0: none)")
	return cmd
}

// normalizeHosts adds the default event socket port to bare hosts (IPv6
// ones included: "::1" and "[::1]" become "[::1]:8021").
func normalizeHosts(hosts []string) []string {
	out := make([]string, len(hosts))
	for i, h := range hosts {
		if _, _, err := splitHostPort(h); err != nil {
			h = net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), "8021")
		}
		out[i] = h
	}
	return out
}

// serveSpec reads an --app of serve: a built-in app's spec, or a script's
// (PATH.star[#Name][/params]), registered on reg.
func serveSpec(reg *appkit.Registry, spec string) (string, error) {
	if _, _, _, ok := script.SplitFile(spec); ok {
		s, weight, err := script.Resolve(reg, spec)
		if err == nil && weight != "" {
			err = fmt.Errorf("a weight (:%s) means nothing to serve", weight)
		}
		if err != nil {
			return "", fmt.Errorf("--app %s: %w", spec, err)
		}
		return s, nil
	}
	return spec, script.NotAScript(spec)
}
