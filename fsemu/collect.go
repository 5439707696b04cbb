package fsemu

import (
	"regexp"
	"strings"
	"time"
)

// Digit collection: the read and play_and_get_digits applications
// (mod_dptools.c read_function, play_and_get_digits_function) over
// switch_ivr_read, switch_play_and_get_digits (switch_ivr_play_say.c) and
// switch_ivr_collect_digits_count (switch_ivr.c), driven by the DTMF the
// channel receives (after the server's impairments).

// read statuses (switch_status_t values switch_ivr_read returns).
const (
	readSuccess = iota
	readTimeout
	readTooSmall
	readRestart
)

// digitCollector is one read, or the reads of a play_and_get_digits.
type digitCollector struct {
	ch *channel
	ap *appRun

	min, max              int
	timeout, digitTimeout time.Duration
	terms                 string
	prompt, varName       string

	// play_and_get_digits only
	pagd      bool
	tries     int
	bad       string
	regex     string
	regexComp *regexp.Regexp

	buf        string // digits of this read
	pending    string // digits received while no read takes them
	collecting bool   // in switch_ivr_collect_digits_count
	prompting  bool   // the prompt plays, breakable by a digit
}

// appFields splits an application's arguments, arg(i) being "" past
// the last; with none, mod_dptools.c's function (fn, at line) logs "No
// arguments specified." and the application ends (ok false).
func (ch *channel) appFields(ap *appRun, fn string, line int) (f []string, arg func(int) string, ok bool) {
	f = strings.Fields(ap.arg)
	if len(f) == 0 {
		ch.s.logLine(3, 3, "mod_dptools.c", fn, line, ch.uuid, "No arguments specified.\n")
		ch.finishApp(ap)
		return nil, nil, false
	}
	return f, func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}, true
}

// readApp runs "read <min> <max> <file> <var_name> <timeout> <terminators>
// <digit_timeout>".
func (ch *channel) readApp(ap *appRun) {
	f, arg, ok := ch.appFields(ap, "read_function", 2772)
	if !ok {
		return
	}
	dc := &digitCollector{ch: ch, ap: ap, min: atoi(arg(0)), max: atoi(arg(1)), prompt: arg(2),
		varName: arg(3), terms: arg(5)}
	timeout := 1000
	if len(f) > 4 {
		timeout = atoi(f[4])
	}
	// read_function's clamps: at least one digit, then those it shares
	// with play_and_get_digits.
	dc.min = max(dc.min, 1)
	dc.clamp(timeout, atoi(arg(6)))
	dc.start()
}

// clamp applies the limits read and play_and_get_digits share: max at
// least min, a timeout of at least a second, no negative digit timeout,
// "#" when no terminators are given. Both take milliseconds.
func (dc *digitCollector) clamp(timeoutMs, digitTimeoutMs int) {
	dc.max = max(dc.max, dc.min)
	dc.timeout = time.Duration(max(timeoutMs, 1000)) * time.Millisecond
	dc.digitTimeout = time.Duration(max(digitTimeoutMs, 0)) * time.Millisecond
	if dc.terms == "" {
		dc.terms = "#"
	}
}

// playAndGetDigitsApp runs "play_and_get_digits <min> <max> <tries>
// <timeout> <terminators> <file> <invalid_file> <var_name> <regexp>
// [<digit_timeout>]". The failure transfer (11th argument) is not
// emulated.
func (ch *channel) playAndGetDigitsApp(ap *appRun) {
	f, arg, ok := ch.appFields(ap, "play_and_get_digits_function", 2843)
	if !ok {
		return
	}
	dc := &digitCollector{ch: ch, ap: ap, pagd: true, min: atoi(arg(0)), max: atoi(arg(1)),
		tries: atoi(arg(2)), terms: arg(4), prompt: arg(5), bad: arg(6), varName: arg(7), regex: arg(8)}
	timeout := 1000
	if len(f) > 3 {
		timeout = atoi(f[3])
	}
	dc.min = max(dc.min, 0)
	dc.clamp(timeout, atoi(arg(9)))
	if dc.regex != "" {
		// switch_regex_match: an unanchored PCRE search; a pattern that
		// does not compile matches nothing.
		dc.regexComp, _ = regexp.Compile(dc.regex)
		if dc.varName != "" {
			ch.delVar(dc.varName + "_invalid")
		}
	}
	if dc.tries <= 0 {
		ch.finishApp(ap) // the while loop never runs
		return
	}
	dc.start()
}

// start begins one read (switch_ivr_read).
func (dc *digitCollector) start() {
	ch := dc.ch
	ch.digits = dc
	if dc.digitTimeout == 0 {
		dc.digitTimeout = dc.timeout
	}
	ch.delVar("read_result")
	if dc.varName != "" {
		ch.delVar(dc.varName)
	}
	dc.buf = ""
	if dc.prompt != "" && !strings.EqualFold(dc.prompt, "silence") {
		if dc.pending != "" {
			// a digit already queued breaks the prompt at once
			dc.buf, dc.pending = dc.pending[:1], dc.pending[1:]
		} else if ch.playFile(dc.ap, dc.prompt, dc.collect) {
			dc.prompting = true
			return
		}
	}
	dc.collect()
}

// dtmfArrived hands a received digit to a running read. Called with the
// lock held, after the DTMF event.
func (ch *channel) dtmfArrived(d rune) {
	dc := ch.digits
	if dc == nil || ch.gone() || len(ch.apps) == 0 || ch.apps[len(ch.apps)-1] != dc.ap {
		return
	}
	switch {
	case dc.prompting:
		// switch_ivr_play_file with args.buf: the digit breaks the prompt
		// and is the first of the buffer
		dc.prompting = false
		dc.buf += string(d)
		dc.ap.stop()
		dc.ap.playbackStop(ch, "break")
		dc.collect()
	case dc.collecting:
		dc.pending += string(d)
		dc.takePending()
	default:
		dc.pending += string(d)
	}
}

// collect is switch_ivr_read after the prompt: collect digits unless the
// buffer is already long enough.
func (dc *digitCollector) collect() {
	dc.prompting = false
	if len(dc.buf) >= dc.max && len(dc.buf) >= dc.min {
		dc.finish(readSuccess, "")
		return
	}
	// switch_ivr_collect_digits_count: a terminator already in the buffer
	// ends it there
	if i := strings.IndexAny(dc.buf, dc.terms); i >= 0 {
		t := dc.buf[i : i+1]
		dc.buf = dc.buf[:i]
		dc.finish(readSuccess, t)
		return
	}
	dc.collecting = true
	first := dc.timeout
	if dc.buf != "" {
		first = dc.digitTimeout
	}
	dc.arm(first)
	dc.takePending()
}

// arm (re)starts the wait for the next digit.
func (dc *digitCollector) arm(d time.Duration) {
	ch, ap := dc.ch, dc.ap
	ap.stop()
	s := ch.s
	ap.timer = s.clock.AfterFunc(d, func() {
		s.lock()
		defer s.unlock()
		if ap.timer == nil || ch.gone() || !dc.collecting {
			return
		}
		ap.timer = nil
		dc.finish(readTimeout, "")
	})
}

// takePending collects the digits received so far.
func (dc *digitCollector) takePending() {
	for dc.collecting && dc.pending != "" {
		d := dc.pending[:1]
		dc.pending = dc.pending[1:]
		if strings.Contains(dc.terms, d) {
			dc.finish(readSuccess, d)
			return
		}
		dc.buf += d
		if len(dc.buf) >= dc.max {
			dc.finish(readSuccess, "")
			return
		}
		dc.arm(dc.digitTimeout)
	}
}

// finish ends one read (the end of switch_ivr_read) with its status and
// terminator, then the app or, for play_and_get_digits, the try.
func (dc *digitCollector) finish(status int, term string) {
	ch := dc.ch
	dc.collecting = false
	dc.ap.stop()
	if term != "" {
		ch.setVar("read_terminator_used", term)
		// "+" or "x" before the terminator keeps it in the digits; "x"
		// then restarts
		if i := strings.Index(dc.terms, term); i >= 1 && (dc.terms[i-1] == '+' || dc.terms[i-1] == 'x') {
			dc.buf += term
			if dc.terms[i-1] == 'x' {
				status = readRestart
			}
		}
	} else if strings.HasPrefix(dc.terms, "=") {
		status = readTooSmall // a terminator is required
	}
	if dc.min > 0 && len(dc.buf) < dc.min {
		status = readTooSmall
	}
	switch status {
	case readSuccess:
		ch.setVar("read_result", "success")
	case readTimeout:
		ch.setVar("read_result", "timeout")
	default:
		ch.setVar("read_result", "failure")
	}
	if status != readRestart && dc.max == 1 && len(dc.buf) == 1 && strings.Contains(dc.terms, dc.buf) {
		dc.buf = ""
	}
	if dc.varName != "" && dc.buf != "" {
		ch.setVar(dc.varName, dc.buf)
	}
	if !dc.pagd || dc.tryDone(status) {
		dc.done()
		return
	}
	// switch_play_and_get_digits: the invalid-input file, then another try
	dc.tries--
	again := func() {
		if dc.tries > 0 {
			dc.start()
		} else {
			dc.done()
		}
	}
	if dc.bad == "" || !ch.playFile(dc.ap, dc.bad, again) {
		again()
	}
}

// tryDone reports whether play_and_get_digits ends after a read.
func (dc *digitCollector) tryDone(status int) bool {
	ch := dc.ch
	if status == readRestart {
		return true
	}
	if status == readTimeout && len(dc.buf) >= dc.min {
		status = readSuccess
	}
	if dc.min == 0 && dc.buf == "" {
		if _, ok := ch.getVar("read_terminator_used"); ok {
			return true
		}
	}
	if status != readSuccess || dc.buf == "" {
		return false
	}
	if dc.regex == "" || dc.regexComp != nil && dc.regexComp.MatchString(dc.buf) {
		return true
	}
	if dc.varName != "" {
		ch.delVar(dc.varName)
		ch.setVar(dc.varName+"_invalid", dc.buf)
	}
	return false
}

// done completes the application.
func (dc *digitCollector) done() {
	ch := dc.ch
	if ch.digits == dc {
		ch.digits = nil
	}
	ch.finishApp(dc.ap)
}

// speakApp runs "speak <engine>|<voice>|<text>" (mod_dptools.c
// speak_function). No TTS module is loaded on the reference server, as
// on most: switch_core_speech_open (switch_core_speech.c) fails, and
// switch_ivr_speak_text (switch_ivr_play_say.c) logs and returns, so the
// application completes at once with the call up. Without an engine or
// voice (as arguments or tts_engine and tts_voice) it logs "Invalid
// Params!" and hangs up with DESTINATION_OUT_OF_ORDER.
func (ch *channel) speakApp(ap *appRun) {
	s := ch.s
	if ap.arg == "" {
		s.logLine(3, 3, "mod_dptools.c", "speak_function", 2430, ch.uuid, "Invalid Params!\n")
		ch.finishApp(ap)
		return
	}
	parts := strings.SplitN(ap.arg, "|", 3)
	var engine, voice, text string
	switch len(parts) {
	case 1:
		text = parts[0]
	case 2:
		voice, text = parts[0], parts[1]
	default:
		engine, voice, text = parts[0], parts[1], parts[2]
	}
	if engine == "" {
		engine = ch.varOr("tts_engine", "")
	}
	if voice == "" {
		voice = ch.varOr("tts_voice", "")
	}
	if engine == "" || voice == "" || text == "" {
		nul := func(v string) string {
			if v == "" {
				return "NULL"
			}
			return v
		}
		s.logLine(3, 3, "mod_dptools.c", "speak_function", 2468, ch.uuid,
			"Invalid Params! ["+nul(engine)+"]["+nul(voice)+"]["+nul(text)+"]\n")
		s.hangup(ch, "DESTINATION_OUT_OF_ORDER")
		return
	}
	ch.setVar("playback_terminator_used", "")
	module, _, _ := strings.Cut(engine, ":")
	s.logLine(3, 0, "switch_core_speech.c", "switch_core_speech_open", 62, "",
		"Invalid speech module ["+module+"]!\n")
	s.logLine(3, 3, "switch_ivr_play_say.c", "switch_ivr_speak_text", 3091, ch.uuid,
		"Invalid TTS module "+engine+"["+voice+"]!\n")
	ch.finishApp(ap)
}
