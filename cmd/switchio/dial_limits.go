package main

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/switchio/switchio/measure/summary"
)

// printLimitsRaised tells, as set-up ends, which server limits --setup
// raised for the run (the run puts them back at its end).
func printLimitsRaised(w io.Writer, settings []summary.ServerSetting) {
	for _, s := range settings {
		if s.Changed() {
			fmt.Fprintf(w, "switchio dial: server %s: %s for this run (put back at its end)\n", s.Addr, limitsText(s))
		}
	}
}

// printServerLimits prints what --setup found and changed on each server,
// one line each, in the summary:
//
//	server limits 127.0.0.1:8021: sps 1000, max_sessions 4000 unchanged (the run needs 40 and 120)
//	server limits 127.0.0.1:8021: sps 1000 -> 1201 for the run, restored; FreeSWITCH's status now shows an sps peak of at least 201 that no traffic made (...)
//
// A server not restored gets the command that restores it. password tells
// whether fs_cli needs a -p (its default password is FreeSWITCH's).
func printServerLimits(w io.Writer, settings []summary.ServerSetting, password string) {
	for _, s := range settings {
		if !s.Changed() {
			fmt.Fprintf(w, "server limits %s: sps %d, max_sessions %d unchanged (the run needs %d and %d)\n",
				s.Addr, s.SPS.Found, s.MaxSessions.Found, s.SPS.Needed, s.MaxSessions.Needed)
			continue
		}
		state := "restored"
		if !s.Restored {
			state = "NOT restored (" + s.RestoreError + "); restore with: " + restoreCommand(s, password)
		}
		fmt.Fprintf(w, "server limits %s: %s for the run, %s%s\n", s.Addr, limitsText(s), state, phantomText(s))
	}
}

// printNotRestored warns on stderr of every server whose limits the run
// changed and could not put back, with the command that does.
func printNotRestored(w io.Writer, settings []summary.ServerSetting, password string) {
	for _, s := range settings {
		if s.Changed() && !s.Restored {
			fmt.Fprintf(w, "switchio dial: server %s: limits left changed (%s; %s); restore with: %s\n",
				s.Addr, limitsText(s), s.RestoreError, restoreCommand(s, password))
		}
	}
}

// limitsText is "sps 1000 -> 1201, max_sessions 4000": each limit as
// found, with the value the run set.
func limitsText(s summary.ServerSetting) string {
	one := func(name string, v summary.SettingValue) string {
		if v.Set == 0 {
			return fmt.Sprintf("%s %d", name, v.Found)
		}
		return fmt.Sprintf("%s %d -> %d", name, v.Found, v.Set)
	}
	return one("sps", s.SPS) + ", " + one("max_sessions", s.MaxSessions)
}

// phantomText names the sessions-per-second peak a raise leaves in the
// server's status.
func phantomText(s summary.ServerSetting) string {
	if s.PhantomSPSPeak <= 0 {
		return ""
	}
	return fmt.Sprintf("; FreeSWITCH's status now shows an sps peak of at least %d that no traffic made"+
		" (it counts a raise of its sps limit as sessions; only a restart or fsctl sps_peak_reset,"+
		" which also clears the real peak, removes it)", s.PhantomSPSPeak)
}

// restoreCommand is the fs_cli command line that puts s's limits back.
func restoreCommand(s summary.ServerSetting, password string) string {
	host, port, err := net.SplitHostPort(s.Addr)
	if err != nil {
		host, port = s.Addr, "8021"
	}
	base := "fs_cli -H " + host + " -P " + port
	if password != defaultPassword {
		base += " -p '<--password>'"
	}
	cmds := make([]string, len(s.RestoreCommands))
	for i, c := range s.RestoreCommands {
		cmds[i] = base + " -x " + strconv.Quote(c)
	}
	return strings.Join(cmds, " && ")
}
