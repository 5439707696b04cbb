package main

import (
	"github.com/spf13/cobra"

	"github.com/switchio/switchio/internal/version"
)

// versionLine is what switchio version and switchio --version print (a
// cobra template: the root command's Version is version.String()).
const versionLine = "switchio {{.Version}}\n"

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print switchio's version: the module version, and the VCS revision and commit time built",
		Long: `Prints switchio's version, as --version does and the reports' headers show it:
the module version ("devel" when built from a work tree), then the VCS
revision, its commit time, and "modified" when the work tree had changes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write([]byte("switchio " + version.String() + "\n"))
			return err
		},
	}
}
