package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/script"
)

func newListAppsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list-apps [FILE.star]",
		Short: "List the registered apps, grouped by package, with their parameters (or a script's apps)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			w := cmd.OutOrStdout()
			reg := apps.Builtin()
			if len(args) == 1 {
				reg = appkit.NewRegistry()
				if _, err := script.Register(reg, args[0]); err != nil {
					return err
				}
			}
			for _, g := range reg.ByPackage() {
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
