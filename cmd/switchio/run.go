package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/switchio/switchio/script"
)

// newRunCmd is switchio run FILE.star: a load test kept in one file. The
// file's options(...) set dial's flags; a flag given on the command line
// overrides the file's option, one by one; --dry-run prints the plan and
// where each option came from. The run itself, and its exit codes, are
// dial's.
func newRunCmd() *cobra.Command {
	dial := newDialCmd()
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "run FILE.star [HOSTS...]",
		Short: "Run a load test kept in a Starlark file: its options, apps and thresholds (flags override the file)",
		Long: `run reads a test file (docs/tests.md): options(servers, password_env, rate or
stages, arrivals, duration or duration_dist, limit, max_offered, apps,
thresholds, out, dest, seed, warmup, drain), and the apps it declares with
app(). Each option is the dial flag of its name; a flag given here wins over
the file. --dry-run prints every option, its value and where it came from
(the file's line, a flag or the default) and exits without connecting.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := script.LoadTest(args[0])
			if err != nil {
				return err
			}
			hosts, from, err := applyOptions(cmd.Flags(), opts, args[1:])
			if err != nil {
				return err
			}
			if dryRun {
				printPlan(cmd.OutOrStdout(), args[0], cmd.Flags(), hosts, from)
				return nil
			}
			return dial.RunE(cmd, hosts)
		},
	}
	cmd.Flags().AddFlagSet(dial.Flags())
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan (every option and where it came from) and exit without connecting")
	return cmd
}

// applyOptions sets the flags a test file's options name, unless the
// command line set them, and returns the hosts (HOSTS, else the file's
// servers) and where each option came from.
func applyOptions(flags *pflag.FlagSet, opts []script.Option, hosts []string) ([]string, map[string]string, error) {
	from := map[string]string{}
	for _, o := range opts {
		switch {
		case o.Flag == "":
			if len(hosts) > 0 {
				from[o.Name] = "command line"
				continue
			}
			hosts, from[o.Name] = o.Values, o.Pos
		case flags.Changed(o.Flag):
			from[o.Name] = "flag --" + o.Flag
		default:
			for _, v := range o.Values {
				if err := flags.Set(o.Flag, v); err != nil {
					return nil, nil, fmt.Errorf("%s: options: %s: %w", o.Pos, o.Name, err)
				}
			}
			from[o.Name] = o.Pos
		}
	}
	for _, name := range script.OptionNames() {
		if from[name] != "" {
			continue
		}
		if f := flags.Lookup(flagOf(name)); f != nil && f.Changed {
			from[name] = "flag --" + f.Name
		} else {
			from[name] = "default"
		}
	}
	if from["servers"] == "default" && len(hosts) > 0 {
		from["servers"] = "command line"
	}
	return hosts, from, nil
}

// flagOf is the flag that says where an option came from: its dial flag,
// or for servers (HOSTS) the --servers of the embedded emulator.
func flagOf(name string) string {
	if f := script.OptionFlag(name); f != "" {
		return f
	}
	return name
}

// printPlan prints every option, its value and where it came from; the
// password is never shown.
func printPlan(w io.Writer, file string, flags *pflag.FlagSet, hosts []string, from map[string]string) {
	fmt.Fprintf(w, "switchio run %s: the plan (nothing dialled)\n", file)
	for _, name := range script.OptionNames() {
		var val string
		switch name {
		case "servers":
			val = strings.Join(hosts, " ")
			if val == "" {
				val = "the embedded emulated servers"
			}
		case "password_env":
			val = "(not shown)"
		default:
			f := flags.Lookup(flagOf(name))
			if f == nil {
				continue
			}
			val = f.Value.String()
			if sv, ok := f.Value.(pflag.SliceValue); ok {
				val = strings.Join(sv.GetSlice(), " ")
			}
		}
		if val == "" {
			val = `""`
		}
		fmt.Fprintf(w, "  %-14s %-40s %s\n", name, val, from[name])
	}
}
