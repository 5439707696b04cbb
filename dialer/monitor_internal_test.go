package dialer

import (
	"testing"

	"github.com/switchio/switchio/esl"
)

// The controller's backlog counts events still in the socket at the mean
// size of those read, besides those queued on the connection.
func TestEventsWaiting(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   esl.Stats
		want int
	}{
		{"idle", esl.Stats{BytesRead: 6000, EventsReceived: 1}, 0},
		{"queued only", esl.Stats{EventsQueued: 7}, 7},
		{"unread at 6 KB an event", esl.Stats{BytesUnread: 6_000_000, BytesRead: 60_000, EventsReceived: 10}, 1000},
		{"both", esl.Stats{EventsQueued: 3, BytesUnread: 12_000, BytesRead: 6_000, EventsReceived: 1}, 5},
		{"nothing read yet", esl.Stats{BytesUnread: 500}, 0},
	} {
		if got := eventsWaiting(tc.st); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
