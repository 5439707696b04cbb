package fsemu

import "strings"

// consoleState is mod_console's settings, which the console api reads
// and changes (src/mod/loggers/mod_console/mod_console.c).
type consoleState struct {
	level          int // hard_log_level
	levelSet       bool
	colorize, uuid bool
	json           bool
}

// logLevelNames is switch_log.c's LEVELS: index level+1.
var logLevelNames = []string{"DISABLE", "CONSOLE", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG"}

const logInvalid = 64 // SWITCH_LOG_INVALID

// logStr2Level is switch_log_str2level: a number (switch_is_number) is
// atoi clamped to 0..63, otherwise a level name in any case.
func logStr2Level(s string) int {
	if isCNumber(s) {
		switch x := atoi(s); {
		case x > logInvalid:
			return logInvalid - 1
		case x < 0:
			return 0
		default:
			return x
		}
	}
	for i, n := range logLevelNames {
		if strings.EqualFold(n, s) {
			return i - 1
		}
	}
	return logInvalid
}

// logLevel2Str is switch_log_level2str: levels above DEBUG read DEBUG.
func logLevel2Str(l int) string {
	if l > 7 {
		l = 7
	}
	return logLevelNames[l+1]
}

const consoleUsage = "USAGE:\n" +
	"--------------------------------------------------------------------------------\n" +
	"console help\n" +
	"console loglevel [[0-7] | <loglevel_string>]\n" +
	"console uuid [on|off|toggle]\n" +
	"console json [on|off|toggle]\n" +
	"console colorize [on|off|toggle]\n" +
	"--------------------------------------------------------------------------------\n"

const consoleLoglevelUsage = "USAGE:\n" +
	"--------------------------------------------------------------------------------\n" +
	"console loglevel [[0-7] | <loglevel_string>]\n" +
	"\n" +
	"Set the logging verbosity of the console from 0 (least verbose) to\n" +
	"7 (debugging), or specify the loglevel as a string:\n" +
	"\n" +
	"  0 console\n" +
	"  1 alert\n" +
	"  2 crit\n" +
	"  3 err\n" +
	"  4 warning\n" + "  5 notice\n" + "  6 info\n" + "  7 debug\n" +
	"--------------------------------------------------------------------------------\n"

const consoleColorizeUsage = "USAGE:\n" +
	"--------------------------------------------------------------------------------\n" +
	"console colorize [on|off|toggle]\n" +
	"\n" + "Enable, disable, or toggle console coloring.\n" +
	"--------------------------------------------------------------------------------\n"

// apiConsole is mod_console's console_api_function: "console loglevel
// warning" answers "+OK console log level set to WARNING". The console
// level starts at DEBUG (hard_log_level's initial value).
func apiConsole(s *Server, a string, done func(string)) {
	cs := &s.console
	if !cs.levelSet {
		cs.level, cs.levelSet = 7, true
	}
	f := strings.Fields(a)
	if len(f) > 3 {
		f = f[:3] // switch_separate_string into argv[3]
	}
	if len(f) == 0 {
		done(consoleUsage)
		return
	}
	onOff := func(v *bool, name string) {
		if len(f) > 1 {
			if strings.EqualFold(f[1], "toggle") {
				*v = !*v
			} else {
				*v = switchTrue(f[1])
			}
		}
		st := "disabled"
		if *v {
			st = "enabled"
		}
		done("+OK console " + name + " " + st + "\n")
	}
	switch strings.ToLower(f[0]) {
	case "loglevel":
		level := cs.level
		if len(f) > 1 {
			switch {
			case strings.EqualFold(f[1], "help"):
				done(consoleLoglevelUsage)
				return
			case f[1][0] >= '0' && f[1][0] <= '9':
				level = atoi(f[1])
			default:
				level = logStr2Level(f[1])
			}
		}
		if level == logInvalid {
			arg := ""
			if len(f) > 1 {
				arg = f[1]
			}
			done("-ERR Invalid console loglevel (" + arg + ")!\n\n")
			return
		}
		cs.level = level
		done("+OK console log level set to " + logLevel2Str(level) + "\n")
	case "colorize":
		if len(f) > 1 && strings.EqualFold(f[1], "help") {
			done(consoleColorizeUsage)
			return
		}
		onOff(&cs.colorize, "color")
	case "uuid":
		onOff(&cs.uuid, "uuid")
	case "json":
		onOff(&cs.json, "json")
	default:
		done(consoleUsage)
	}
}
