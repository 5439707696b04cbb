package main

import (
	"context"
	"strings"
	"testing"
)

// list-apps FILE shows a script's apps with their parameters.
func TestListAppsOfScript(t *testing.T) {
	out, _, err := runRoot(context.Background(), "list-apps", "../../examples/apps/tone.star")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"../../examples/apps/tone.star:\n  tone.star#TonePlay\n      Answers the called leg and echoes;",
		"        freq (int, default 1004): tone frequency, Hz\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("list-apps printed:\n%s\nwant it to contain:\n%s", out, want)
		}
	}
}

// dial --app FILE.star dials with the script's app; a file that is not a
// script, or a script that does not load, is a one-line error before any
// call.
func TestDialScriptApp(t *testing.T) {
	if testing.Short() {
		t.Skip("dials the embedded emulator")
	}
	out, _, err := runRoot(context.Background(), "dial", "--max-offered", "10", "--rate", "20", "--duration", "0.5",
		"--app", "../../examples/apps/tone.star/freq=440:1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "10 offered, 10 answered") {
		t.Errorf("summary:\n%s", out)
	}
	for arg, want := range map[string]string{
		"./apps.py:MyApp":                      "--app ./apps.py:MyApp: ./apps.py is not a script: switchio loads apps from .star files (Starlark)",
		"../../examples/apps/none.star":        "no such file or directory",
		"../../examples/apps/tone.star#Other":  `no app "Other" (it declares TonePlay)`,
		"../../examples/apps/tone.star/freq=x": `parameter freq: "x" is not an int`,
	} {
		_, _, err := runRoot(context.Background(), "dial", "--max-offered", "1", "--app", arg)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("--app %s: %v, want one line containing %q", arg, err, want)
		}
	}
}
