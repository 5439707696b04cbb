package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/switchio/switchio/report"
)

func newReportCmd() *cobra.Command {
	var (
		noPNG     bool
		maxPoints int
		out       string
		force     bool
	)
	cmd := &cobra.Command{
		Use:     "report DIR [DIR...] [-o OUT]",
		Aliases: []string{"plot"},
		Short:   "Write an HTML report and PNG charts of a measured run (dial --out DIR), or compare runs",
		Long: `Reads the run in DIR (switchio dial --out DIR; a killed run too) and writes
DIR/report.html, one self-contained page that opens offline: the run, its summary
(outcomes, failures by cause, asr, ner, acd, pdd, latency percentiles, servers)
and interactive charts over time and over the call index, and each chart as a PNG
in DIR/plots/ for tickets and chat. "plot" is an alias, for users of the original
switchio.

With -o OUT, and two runs or more (before and after a change, say), writes one
page comparing them to OUT/report.html (PNGs in OUT/plots/): the summary figures
side by side with their differences against the first run (absolute and relative,
better in green, worse in red), and every chart with each run's series overlaid,
time in seconds since each run's first offer. Runs are labelled by their
directory's base name. OUT must be empty or new, unless --force.`,
		Example: `  switchio report runs/before
  switchio report runs/before runs/after -o runs/before-vs-after`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := report.Options{NoPNG: noPNG, MaxPoints: maxPoints}
			var path string
			var err error
			switch {
			case out == "" && len(args) > 1:
				return errors.New("report: comparing runs needs -o OUT, the directory to write the comparison to")
			case out == "":
				path, err = report.Build(args[0], opts)
			default:
				if err := checkOut(out, force); err != nil {
					return err
				}
				path, err = report.Compare(args, out, opts)
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), path)
			return nil
		},
	}
	cmd.Flags().BoolVar(&noPNG, "no-png", false, "write report.html only, not the PNG charts in DIR/plots")
	cmd.Flags().IntVar(&maxPoints, "max-points", report.DefaultMaxPoints, "most points per chart series (long runs are reduced, keeping each bucket's min and max)")
	cmd.Flags().StringVarP(&out, "out", "o", "", "compare the runs: write the comparison's report.html and plots/ to this directory")
	cmd.Flags().BoolVar(&force, "force", false, "with -o, write into OUT even if it is not empty")
	return cmd
}

// checkOut refuses an OUT that is not a directory, or one that is not
// empty unless force.
func checkOut(out string, force bool) error {
	fi, err := os.Stat(out)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("report: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("report: %s is not a directory", out)
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if len(ents) > 0 && !force {
		return fmt.Errorf("report: %s is not empty (--force to write into it)", out)
	}
	return nil
}
