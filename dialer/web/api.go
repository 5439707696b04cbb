package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/switchio/switchio/dialer"
)

// ServerView is one server's live figures (dialer.ServerStats), for JSON.
type ServerView struct {
	Addr         string  `json:"addr"`
	Dest         string  `json:"dest"`
	Active       int     `json:"active"`
	Backlog      int     `json:"backlog"`
	Offered      uint64  `json:"offered"`
	Answered     uint64  `json:"answered"`
	Failed       uint64  `json:"failed"`
	Down         bool    `json:"down"`
	Lost         bool    `json:"lost"`
	SetupMeanMs  float64 `json:"setup_mean_ms"`
	CompletedCPS float64 `json:"completed_cps"`
	Saturated    bool    `json:"saturated"`
	SaturatedCPS float64 `json:"saturated_cps"`
}

// AppView is one loaded app id: its label, the calls it got and its
// current weight (nil only for an id unloaded meanwhile).
type AppView struct {
	ID     string `json:"id"`
	Label  string `json:"label"`
	Calls  uint64 `json:"calls"`
	Weight *int   `json:"weight"`
}

// Snapshot is the JSON answer of GET /api/stats: the dialer's Stats, its
// hold time, apps and change log, and the chart points after the asked
// sequence number.
type Snapshot struct {
	State          string           `json:"state"`
	Offered        uint64           `json:"offered"`
	Answered       uint64           `json:"answered"`
	Failed         uint64           `json:"failed"`
	Active         int              `json:"active"`
	PeakActive     int              `json:"peak_active"`
	Rate           float64          `json:"rate"`
	OfferedCPS     float64          `json:"offered_cps"`
	AnsweredCPS    float64          `json:"answered_cps"`
	Limit          int              `json:"limit"`
	MaxOffered     uint64           `json:"max_offered"`
	HoldS          float64          `json:"hold_s"`
	ElapsedS       float64          `json:"elapsed_s"`
	ETAS           *float64         `json:"eta_s"` // null: no ETA
	AllServersLost bool             `json:"all_servers_lost"`
	Servers        []ServerView     `json:"servers"`
	Apps           []AppView        `json:"apps"`
	Changes        []summary.Change `json:"changes"`
	// Seq is the sequence number of the last chart point; pass it back as
	// ?since= to get only newer points.
	Seq    uint64  `json:"seq"`
	Points []Point `json:"points"`
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }

// snapshot builds the JSON view of st.
func snapshot(st dialer.Stats, sm summary.Run, hold time.Duration, apps []AppView) Snapshot {
	v := Snapshot{
		State: st.State.String(), Offered: st.Offered, Answered: st.Answered, Failed: st.Failed,
		Active: st.Active, PeakActive: st.PeakActive, Rate: st.Rate, OfferedCPS: st.OfferedCPS,
		AnsweredCPS: st.AnsweredCPS, Limit: st.Limit, MaxOffered: st.MaxOffered, HoldS: hold.Seconds(),
		ElapsedS: st.Elapsed.Seconds(), AllServersLost: st.AllServersLost,
		Servers: []ServerView{}, Apps: apps, Changes: sm.Changes,
	}
	if v.Changes == nil {
		v.Changes = []summary.Change{}
	}
	if st.ETA >= 0 {
		eta := st.ETA.Seconds()
		v.ETAS = &eta
	}
	for _, s := range st.Servers {
		v.Servers = append(v.Servers, ServerView{
			Addr: s.Addr, Dest: s.Dest, Active: s.Active, Backlog: s.Backlog, Offered: s.Offered,
			Answered: s.Answered, Failed: s.Failed, Down: s.Down, Lost: s.Lost, SetupMeanMs: ms(s.SetupMean),
			CompletedCPS: s.CompletedCPS, Saturated: s.Saturated, SaturatedCPS: s.SaturatedCPS,
		})
	}
	return v
}

// appViews lists the dialer's app ids with their calls and current
// weight.
func appViews(d *dialer.Originator, sm summary.Run) []AppView {
	out := []AppView{}
	for _, id := range d.AppIDs() {
		label := d.AppLabel(id)
		a := AppView{ID: id, Label: label, Calls: sm.CallsByApp[label]}
		if w, ok := d.Weight(id); ok {
			a.Weight = &w
		}
		out = append(out, a)
	}
	return out
}

// handler routes the page, its assets, the snapshot and the controls.
func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /assets/{name}", serveAsset)
	mux.HandleFunc("GET /api/stats", s.stats)
	mux.Handle("POST /api/rate", s.control(setRate))
	mux.Handle("POST /api/limit", s.control(setLimit))
	mux.Handle("POST /api/hold", s.control(setHold))
	mux.Handle("POST /api/weight", s.control(setWeight))
	mux.Handle("POST /api/stop", s.control(stop))
	mux.Handle("POST /api/hangup", s.control(hangup))
	mux.Handle("POST /api/hupall", s.control(hupall))
	return s.guard(mux)
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	var since uint64
	if q := r.URL.Query().Get("since"); q != "" {
		n, err := strconv.ParseUint(q, 10, 64)
		if err != nil {
			httpError(w, http.StatusBadRequest, "since: not a sequence number")
			return
		}
		since = n
	}
	sm := s.d.Summary()
	v := snapshot(s.d.Stats(), sm, s.d.Duration(), appViews(s.d, sm))
	v.Seq, v.Points = s.hist.since(since)
	writeJSON(w, v)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// badRequest is a refused value: 400 with its message.
type badRequest struct{ msg string }

func (e badRequest) Error() string { return e.msg }

func bad(format string, args ...any) error { return badRequest{fmt.Sprintf(format, args...)} }

// request is a control's JSON body; each control reads its own fields.
type request struct {
	Rate   *float64 `json:"rate"`
	Limit  *int64   `json:"limit"`
	HoldS  *float64 `json:"hold_s"`
	App    *string  `json:"app"`
	Weight *int64   `json:"weight"`
}

// control wraps a state-changing handler: the token, a bounded JSON body
// of known fields, and errors as one-line 400s (bad values) or 500s.
func (s *Server) control(f func(context.Context, *dialer.Originator, request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r) {
			httpError(w, http.StatusForbidden, "missing or wrong %s", TokenHeader)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				httpError(w, http.StatusRequestEntityTooLarge, "body over %d bytes", MaxBody)
				return
			}
			httpError(w, http.StatusBadRequest, "reading body: %v", err)
			return
		}
		var req request
		if len(bytes.TrimSpace(body)) > 0 {
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&req); err != nil || dec.More() {
				httpError(w, http.StatusBadRequest, "body: not a JSON object of known fields")
				return
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		if err := f(ctx, s.d, req); err != nil {
			code := http.StatusInternalServerError
			if errors.As(err, new(badRequest)) {
				code = http.StatusBadRequest
			}
			httpError(w, code, "%v", err)
			return
		}
		writeJSON(w, map[string]string{"ok": r.URL.Path})
	})
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func setRate(_ context.Context, d *dialer.Originator, q request) error {
	if q.Rate == nil || !finite(*q.Rate) || *q.Rate <= 0 || *q.Rate > dialer.MaxRate {
		return bad("rate: a number of calls per second above 0 (and at most %g)", dialer.MaxRate)
	}
	if err := d.SetRate(*q.Rate); err != nil {
		return bad("%v", err)
	}
	return nil
}

func setLimit(_ context.Context, d *dialer.Originator, q request) error {
	if q.Limit == nil || *q.Limit <= 0 || *q.Limit > math.MaxInt32 {
		return bad("limit: a whole number of concurrent calls above 0")
	}
	if err := d.SetLimit(int(*q.Limit)); err != nil {
		return bad("%v", err)
	}
	return nil
}

// maxHold bounds a hold time set from the page (a typo must not hold
// calls for days).
const maxHold = 24 * time.Hour

func setHold(_ context.Context, d *dialer.Originator, q request) error {
	if q.HoldS == nil || !finite(*q.HoldS) || *q.HoldS < 0 || *q.HoldS > maxHold.Seconds() {
		return bad("hold_s: seconds, 0 (automatic) to %.0f", maxHold.Seconds())
	}
	d.SetDuration(time.Duration(*q.HoldS * float64(time.Second)))
	return nil
}

func setWeight(_ context.Context, d *dialer.Originator, q request) error {
	if q.App == nil || q.Weight == nil {
		return bad("weight: needs app and weight")
	}
	if *q.Weight < 0 || *q.Weight > math.MaxInt32 {
		return bad("weight: a whole number, 0 or more")
	}
	known := false
	for _, id := range d.AppIDs() {
		known = known || id == *q.App
	}
	if !known {
		return bad("weight: no app id %q", strings.ToValidUTF8(*q.App, "?"))
	}
	if err := d.SetWeight(*q.App, int(*q.Weight)); err != nil {
		return bad("%v", err)
	}
	return nil
}

func stop(_ context.Context, d *dialer.Originator, _ request) error { d.Stop(); return nil }

// hangup hangs up the dialer's calls up now and keeps offering.
func hangup(_ context.Context, d *dialer.Originator, _ request) error { d.HangupCalls(); return nil }

// hupall stops the run: no more offers, and the dialer's calls hung up
// (as dial's Ctrl-C).
func hupall(ctx context.Context, d *dialer.Originator, _ request) error { return d.Hupall(ctx) }
