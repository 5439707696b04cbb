package web

import (
	"context"
	"sync"
	"time"

	"github.com/switchio/switchio/dialer"
)

// historyLen is how many points (one a second) the charts keep: the
// last ten minutes.
const historyLen = 600

// Point is one second of the charts.
type Point struct {
	Seq uint64 `json:"seq"`
	// T is the Unix time in seconds.
	T           float64 `json:"t"`
	Rate        float64 `json:"rate"`
	OfferedCPS  float64 `json:"offered_cps"`
	AnsweredCPS float64 `json:"answered_cps"`
	Active      int     `json:"active"`
	// SetupMeanMs is each server's set-up latency mean (Stats order; null
	// when it set no call up in the window).
	SetupMeanMs []*float64 `json:"setup_mean_ms"`
}

// history samples the dialer every second into a ring of the last
// historyLen points.
type history struct {
	mu  sync.Mutex
	pts []Point // ring
	seq uint64  // of the last point
}

func newHistory(n int) *history { return &history{pts: make([]Point, 0, n)} }

// run samples d until ctx ends.
func (h *history) run(ctx context.Context, d *dialer.Originator) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		h.add(time.Now(), d.Stats())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (h *history) add(now time.Time, st dialer.Stats) {
	p := Point{T: float64(now.UnixMilli()) / 1000, Rate: st.Rate, OfferedCPS: st.OfferedCPS,
		AnsweredCPS: st.AnsweredCPS, Active: st.Active, SetupMeanMs: make([]*float64, len(st.Servers))}
	for i, s := range st.Servers {
		if s.SetupMean > 0 {
			v := ms(s.SetupMean)
			p.SetupMeanMs[i] = &v
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	p.Seq = h.seq
	if len(h.pts) < cap(h.pts) {
		h.pts = append(h.pts, p)
		return
	}
	h.pts[(h.seq-1)%uint64(cap(h.pts))] = p
}

// since returns the last sequence number and the points after seq, oldest
// first.
func (h *history) since(seq uint64) (uint64, []Point) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := []Point{}
	n := uint64(len(h.pts))
	first := h.seq - n + 1 // of the oldest point kept
	for q := max(seq+1, first); q <= h.seq; q++ {
		out = append(out, h.pts[(q-1)%uint64(cap(h.pts))])
	}
	return h.seq, out
}
