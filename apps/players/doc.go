// Package players provides switchio's media players for call testing:
// PlayRec plays a clip back and forth between the legs of a call,
// MutedPlayRec plays it on both legs with one muted, swapping each time.
// Both end their calls themselves after their iterations (app.SelfEnding)
// and record one call in rec_period, checking the recordings with
// apps/audiocheck: the verdicts audio_ok, sequence_ok, level_dbfs,
// dropouts ... are in the call's record.
//
// The default clip is audio.TestSignal, a sequence of tones the checker
// knows, played as a tone_stream: no media file is needed on the server.
package players

import (
	"strconv"
	"time"

	"github.com/switchio/switchio/audio"
	"github.com/switchio/switchio/cluster"
)

// clip is what a player plays: a URL and its length.
type clip struct {
	url    string
	length time.Duration
	signal audio.Signal // known content (nil for a user's file)
}

// clipOf resolves a player's clip parameters.
func clipOf(url string, length time.Duration) (clip, error) {
	if url == "" {
		return clip{url: audio.TestSignal.ToneStream(), length: audio.TestSignal.Duration(), signal: audio.TestSignal}, nil
	}
	if length <= 0 {
		return clip{}, errClipLen
	}
	return clip{url: url, length: length}, nil
}

// iterations is how many plays fit in hold (at least min), or n when set.
func iterations(n int, hold, length time.Duration, least int) int {
	if n > 0 {
		return n
	}
	if hold <= 0 || length <= 0 {
		return max(2, least)
	}
	return max(int(hold/length), least)
}

// countdown decrements the call's iterations left and returns them.
func countdown(c *cluster.Call) int {
	v := c.UpdateVar(varLeft, func(old string) string {
		n, _ := strconv.Atoi(old)
		return strconv.Itoa(n - 1)
	})
	n, _ := strconv.Atoi(v)
	return n
}

// varLeft is the call variable holding a player's iterations left.
const varLeft = "switchio.players.left"
