package appkit

import (
	"context"

	"github.com/switchio/switchio/cluster"
)

// mediaReadyVar marks a session whose OnMediaReady handlers ran (session
// state, never sent to FreeSWITCH).
const mediaReadyVar = "switchio.media_ready"

// OnMediaReady registers h to run once per answered leg, when the leg
// can take media commands (playback, echo, bert_test ...) and they will
// run in its own application:
//
//   - an inbound leg at its CHANNEL_ANSWER (parked, or in a dialplan that
//     parks it next: the commands queue until it does);
//   - an outbound leg at its CHANNEL_ANSWER when the leg already runs its
//     application (an originate that ended at early media), otherwise at
//     the CHANNEL_PARK that follows the answer.
//
// Why not every CHANNEL_ANSWER: an originated leg is answered while its
// originate still holds it (Channel-State CS_CONSUME_MEDIA), and its
// application (the dialer's park) starts only when the originate loop
// next looks, about 20 ms later (capture 06). On a real FreeSWITCH
// 1.10.12 a playback sent in that window runs in the originate's thread
// and plays nothing: CHANNEL_EXECUTE_COMPLETE "PLAYBACK ERROR", or
// PLAYBACK_START and PLAYBACK_STOP in the same millisecond, and the leg
// sends no RTP (switch_ivr_originate.c, check_channel_status parses the
// peer's queued messages itself). TonePlay started its tone that way and
// lost it on 27 of 40 calls to a far end that answers after a delay.
func OnMediaReady(r *cluster.Registrar, h cluster.HandlerFunc) {
	once := func(ctx context.Context, ev *cluster.Event) {
		s := ev.Session
		if s.Var(mediaReadyVar) != "" {
			return
		}
		s.SetLocal(mediaReadyVar, "1")
		h(ctx, ev)
	}
	r.On("CHANNEL_ANSWER", func(ctx context.Context, ev *cluster.Event) {
		s := ev.Session
		if s == nil {
			return
		}
		if s.IsOutbound() && ev.Get("Channel-State") == "CS_CONSUME_MEDIA" {
			return // still in its originate: wait for its park
		}
		once(ctx, ev)
	})
	r.On("CHANNEL_PARK", func(ctx context.Context, ev *cluster.Event) {
		s := ev.Session
		if s == nil || !s.IsOutbound() || !s.Answered() {
			return
		}
		once(ctx, ev)
	})
}
