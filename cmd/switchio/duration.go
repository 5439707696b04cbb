package main

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// secondsDuration is a duration flag that, as in the original switchio,
// reads a bare number as seconds ("30", "2.5") and otherwise takes Go's
// duration syntax ("30s", "1m30s", "250ms"). NaN, infinities, negative
// values and values past ~290 years are refused with a one-line error.
type secondsDuration struct{ d *time.Duration }

var _ pflag.Value = secondsDuration{}

// durationFlag registers a duration flag that accepts a bare number of
// seconds. A zero default is not shown in --help: pflag leaves out only
// the zero values of its own types, and would print "(default 0s)" after
// a usage that says what 0 means (or states the default in use).
func durationFlag(f *pflag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	f.Var(secondsDuration{p}, name, usage)
	if value == 0 {
		f.Lookup(name).DefValue = "0" // pflag's zero for a Value it does not know
	}
}

// Errors of parseSeconds; the flag package already names the flag and the
// value.
var (
	errNotDuration = errors.New("not a duration (seconds such as 30 or 1.5, or 1.5s, 1m, 250ms)")
	errNegative    = errors.New("negative")
)

// parseSeconds parses a duration flag value: a bare number means seconds.
func parseSeconds(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errNotDuration
	}
	if x, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, errNotDuration
		}
		if x < 0 {
			return 0, errNegative
		}
		if x > float64(math.MaxInt64)/float64(time.Second) {
			return 0, errors.New("too long")
		}
		return time.Duration(math.Round(x * float64(time.Second))), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errNotDuration
	}
	if d < 0 {
		return 0, errNegative
	}
	return d, nil
}

func (v secondsDuration) Set(s string) error {
	d, err := parseSeconds(s)
	if err != nil {
		return err
	}
	*v.d = d
	return nil
}

func (v secondsDuration) String() string {
	if v.d == nil {
		return "0s"
	}
	return v.d.String()
}

// Type names the value in --help.
func (secondsDuration) Type() string { return "duration" }
