package cluster

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/switchio/switchio/esl"
)

// Only the replies saying the channel no longer exists make a command's
// failure ErrHungUp; any other failure stays one.
func TestGoneError(t *testing.T) {
	ce := func(reply string) error {
		return fmt.Errorf("sending: %w", &esl.CommandError{Command: "sendmsg x", Reply: reply})
	}
	for _, tc := range []struct {
		name string
		err  error
		gone bool
	}{
		{"sendmsg to a gone channel", ce("-ERR invalid session id [1234]"), true},
		{"uuid api on a gone channel", ce("-ERR No such channel!"), true},
		{"other refusal", ce("-ERR Invalid Application"), false},
		{"usage", ce("-USAGE: <uuid>"), false},
		{"not a reply", context.DeadlineExceeded, false},
		{"nil", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := sessionGone(tc.err); got != tc.gone {
				t.Errorf("sessionGone = %v, want %v", got, tc.gone)
			}
			err := goneError(tc.err)
			if errors.Is(err, ErrHungUp) != tc.gone {
				t.Errorf("goneError(%v) = %v, ErrHungUp want %v", tc.err, err, tc.gone)
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("goneError lost the cause: %v", err)
			}
		})
	}
}
