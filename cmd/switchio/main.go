// Command switchio controls FreeSWITCH clusters and load-tests voice systems
// over the Event Socket: dial (auto-dialer), serve (run apps), emulate (run
// emulated FreeSWITCH servers), report, list-apps and version.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/switchio/switchio/internal/version"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "switchio",
		Short:         "FreeSWITCH cluster control and SIP load testing over ESL",
		Version:       version.String(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate(versionLine)
	root.AddCommand(newDialCmd(), newRunCmd(), newServeCmd(), newEmulateCmd(), newReportCmd(), newListAppsCmd(), newVersionCmd())
	return root
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		if !errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "switchio:", err)
		}
		os.Exit(1)
	}
}
