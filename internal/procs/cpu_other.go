//go:build !unix

package procs

import "time"

// ProcessCPU reports false: the process's CPU time is read on Unix only.
func ProcessCPU() (time.Duration, bool) { return 0, false }
