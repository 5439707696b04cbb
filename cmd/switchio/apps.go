package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/switchio/switchio/app"
	// Built-in apps register themselves in app.Default.
	_ "github.com/switchio/switchio/apps/cdr"
	_ "github.com/switchio/switchio/apps/tone"
)

func init() { subcommands = append(subcommands, newListAppsCmd) }

func newListAppsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list-apps",
		Short: "List the registered apps, grouped by package, with their parameters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			for _, g := range app.Default.ByPackage() {
				fmt.Fprintf(w, "%s:\n", g.Package)
				for _, i := range g.Apps {
					fmt.Fprintf(w, "  %s\n", i.Name)
					if i.Description != "" {
						fmt.Fprintf(w, "      %s\n", i.Description)
					}
					if len(i.Params) > 0 {
						var ps []string
						for _, p := range i.Params {
							ps = append(ps, p.Name+" ("+p.Type+")")
						}
						fmt.Fprintf(w, "      params: %s\n", strings.Join(ps, ", "))
					}
				}
			}
			return nil
		},
	}
}
