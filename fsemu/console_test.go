package fsemu

import "testing"

// TestConsoleAPI: mod_console's console api (mod_console.c
// console_api_function), which switchio sends as "console loglevel
// warning"; levels by switch_log_str2level/switch_log_level2str.
func TestConsoleAPI(t *testing.T) {
	s := RunT(t, Config{HeartbeatInterval: -1})
	steps := []struct{ cmd, want string }{
		{"console loglevel", "+OK console log level set to DEBUG\n"},
		{"console loglevel warning", "+OK console log level set to WARNING\n"},
		{"console loglevel", "+OK console log level set to WARNING\n"},
		{"console loglevel ERR", "+OK console log level set to ERR\n"},
		{"console loglevel 6", "+OK console log level set to INFO\n"},
		{"console loglevel 9", "+OK console log level set to DEBUG\n"},
		{"console loglevel 3x", "+OK console log level set to ERR\n"}, // atoi
		{"console loglevel -1", "+OK console log level set to CONSOLE\n"},
		{"console loglevel disable", "+OK console log level set to DISABLE\n"},
		{"console loglevel bogus", "-ERR Invalid console loglevel (bogus)!\n\n"},
		{"console loglevel help", consoleLoglevelUsage},
		{"console colorize", "+OK console color disabled\n"},
		{"console colorize on", "+OK console color enabled\n"},
		{"console colorize toggle", "+OK console color disabled\n"},
		{"console colorize help", consoleColorizeUsage},
		{"console uuid yes", "+OK console uuid enabled\n"},
		{"console json", "+OK console json disabled\n"},
		{"console", consoleUsage},
		{"console help", consoleUsage},
		{"module_exists mod_console", "true"},
	}
	for _, st := range steps {
		if got := apiText(s, st.cmd); got != st.want {
			t.Errorf("%s: %q, want %q", st.cmd, got, st.want)
		}
	}
}
