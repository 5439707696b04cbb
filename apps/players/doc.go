// Package players provides switchio's media players for call testing:
// PlayRec plays a clip back and forth between the legs of a call,
// MutedPlayRec plays it on both legs with one muted, swapping each time.
// Both end their calls themselves after their iterations (appkit.SelfEnding)
// and record one call in rec_period, checking the recordings with
// apps/audiocheck: the verdicts audio_ok, sequence_ok, level_dbfs,
// dropouts ... are in the call's record.
//
// The default clip is audio.TestSignal, a sequence of tones the checker
// knows, played as a tone_stream: no media file is needed on the server.
package players
