package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/switchio/switchio/apps"
)

func newListAppsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list-apps",
		Short: "List the registered apps, grouped by package, with their parameters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			for _, g := range apps.Builtin().ByPackage() {
				fmt.Fprintf(w, "%s:\n", g.Package)
				for _, i := range g.Apps {
					fmt.Fprintf(w, "  %s\n", i.Name)
					if i.Description != "" {
						fmt.Fprintf(w, "      %s\n", i.Description)
					}
					if len(i.Params) > 0 {
						fmt.Fprintf(w, "      params (Name/key=value,...):\n")
					}
					for _, p := range i.Params {
						line := p.Name + " (" + p.Type
						if p.Default != "" {
							line += ", default " + p.Default
						}
						line += ")"
						if p.Help != "" {
							line += ": " + p.Help
						}
						fmt.Fprintf(w, "        %s\n", line)
					}
				}
			}
			return nil
		},
	}
}
