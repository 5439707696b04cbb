package main

import (
	"fmt"
	"net"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/switchio/switchio/fsemu"
)

func init() { subcommands = append(subcommands, newEmulateCmd) }

func newEmulateCmd() *cobra.Command {
	var (
		listen   string
		password string
		servers  int
		sipBase  int
	)
	cmd := &cobra.Command{
		Use:   "emulate",
		Short: "Run emulated FreeSWITCH servers (ESL + simulated calls) until interrupted",
		Long: "emulate starts N emulated FreeSWITCH 1.10 servers on consecutive ESL ports, each with its own\n" +
			"SIP address on one in-process SIP network, so they can call each other. It prints one line\n" +
			"per server (ESL address, SIP address) and runs until Ctrl-C or SIGTERM.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if servers < 1 {
				return fmt.Errorf("--servers must be at least 1")
			}
			host, portStr, err := net.SplitHostPort(listen)
			if err != nil {
				return fmt.Errorf("--listen: %w", err)
			}
			port, err := strconv.Atoi(portStr)
			if err != nil {
				return fmt.Errorf("--listen: bad port %q", portStr)
			}
			ctx := cmd.Context()
			network := fsemu.NewNetwork()
			sipHost := host
			if sipHost == "" || sipHost == "0.0.0.0" || sipHost == "::" {
				sipHost = "127.0.0.1"
			}
			var started []*fsemu.Server
			defer func() {
				for _, s := range started {
					s.Close()
				}
			}()
			for i := 0; i < servers; i++ {
				esl := net.JoinHostPort(host, strconv.Itoa(port+i))
				if port == 0 {
					esl = net.JoinHostPort(host, "0")
				}
				s, err := fsemu.Start(ctx, fsemu.Config{
					ListenAddr:  esl,
					Password:    password,
					SIPAddr:     net.JoinHostPort(sipHost, strconv.Itoa(sipBase+2*i)),
					Network:     network,
					AllowRemote: true,
					Seed:        int64(i + 1),
				})
				if err != nil {
					return err
				}
				started = append(started, s)
				// FreeSWITCH's well-known default is shown; a chosen
				// password is a secret and is not printed.
				shown := "(as given)"
				if s.Password() == "ClueCon" {
					shown = "ClueCon"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "fs%d esl=%s sip=%s password=%s\n", i+1, s.Addr(), s.SIPAddr(), shown)
			}
			<-ctx.Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8021", "ESL address of the first server (the next ones use the following ports)")
	cmd.Flags().StringVar(&password, "password", "ClueCon", "ESL password")
	cmd.Flags().IntVar(&servers, "servers", 1, "number of servers")
	cmd.Flags().IntVar(&sipBase, "sip-port", 5080, "SIP port of the first server's external profile (then +2 per server)")
	return cmd
}
