package cluster

import (
	"errors"
	"fmt"
	"strings"

	"github.com/switchio/switchio/esl"
)

// goneReplies are the replies FreeSWITCH gives a command for a channel it
// no longer has: sendmsg's "-ERR invalid session id [uuid]"
// (mod_event_socket.c, parse_command) and the uuid_* APIs' "-ERR No such
// channel!" (mod_commands.c, e.g. kill_function).
var goneReplies = []string{"-ERR invalid session id", "-ERR No such channel"}

// sessionGone reports whether err is the server saying the channel the
// command was for no longer exists: the call ended before the command
// reached it, which is no failure of the command's sender.
func sessionGone(err error) bool {
	var ce *esl.CommandError
	if !errors.As(err, &ce) {
		return false
	}
	for _, r := range goneReplies {
		if strings.HasPrefix(ce.Reply, r) {
			return true
		}
	}
	return false
}

// goneError makes a command's failure on a channel already gone an
// ErrHungUp (still wrapping the server's reply), so callers (and the
// flows' error log) treat it as the call's end, not as a failure.
func goneError(err error) error {
	if err == nil || errors.Is(err, ErrHungUp) || !sessionGone(err) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrHungUp, err)
}
