package main

import (
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/spf13/cobra"

	"github.com/switchio/switchio/app"
	"github.com/switchio/switchio/cluster"
)

func init() { subcommands = append(subcommands, newServeCmd) }

func newServeCmd() *cobra.Command {
	var (
		password string
		specs    []string
		appID    string
		verbose  bool
	)
	cmd := &cobra.Command{
		Use:   "serve HOST[:PORT]... --app NAME[/key=value,...]",
		Short: "Run registered apps on FreeSWITCH servers until interrupted",
		Long: `Connects to every server, loads the given apps (one instance per server)
under one app id, and runs them until Ctrl-C or SIGTERM. Apps of your own: build
your own binary that imports your app packages and calls app.Service (see the
examples in package app).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, hosts []string) error {
			if len(specs) == 0 {
				return fmt.Errorf("serve: at least one --app is required (see switchio list-apps)")
			}
			var loads []app.Loadable
			for _, spec := range specs {
				if _, err := app.Default.New(spec); err != nil {
					return err
				}
				spec := spec
				loads = append(loads, app.PerServer(func() cluster.App {
					a, _ := app.Default.New(spec)
					return a
				}))
			}
			level := slog.LevelInfo
			if verbose {
				level = slog.LevelDebug
			}
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			svc := &app.Service{
				Addrs:  normalizeHosts(hosts),
				Config: cluster.Config{Password: password, Logger: logger},
				Apps:   map[string][]app.Loadable{appID: loads},
				Ready: func(p *cluster.Pool) {
					logger.Info("serving", "servers", len(p.Clients()), "apps", specs, "app_id", appID)
				},
			}
			return svc.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&password, "password", "ClueCon", "event socket password")
	cmd.Flags().StringArrayVar(&specs, "app", nil, "app to run, NAME[/key=value,...] (repeatable)")
	cmd.Flags().StringVar(&appID, "app-id", cluster.DefaultAppID, "app id the apps are loaded under")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "debug logging")
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
