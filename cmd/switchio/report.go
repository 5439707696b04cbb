package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/switchio/switchio/report"
)

func init() { subcommands = append(subcommands, newReportCmd) }

func newReportCmd() *cobra.Command {
	var (
		noPNG     bool
		maxPoints int
	)
	cmd := &cobra.Command{
		Use:     "report DIR",
		Aliases: []string{"plot"},
		Short:   "Write an HTML report and PNG charts of a measured run (dial --out DIR)",
		Long: `Reads the run in DIR (switchio dial --out DIR; a killed run too) and writes
DIR/report.html, one self-contained page that opens offline: the run, its summary
(outcomes, failures by cause, asr, ner, acd, pdd, latency percentiles, servers)
and interactive charts over time and over the call index, and each chart as a PNG
in DIR/plots/ for tickets and chat. "plot" is an alias, for users of the original
switchio.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := report.Build(args[0], report.Options{NoPNG: noPNG, MaxPoints: maxPoints})
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), path)
			return nil
		},
	}
	cmd.Flags().BoolVar(&noPNG, "no-png", false, "write report.html only, not the PNG charts in DIR/plots")
	cmd.Flags().IntVar(&maxPoints, "max-points", report.DefaultMaxPoints, "most points per chart series (long runs are reduced, keeping each bucket's min and max)")
	return cmd
}
