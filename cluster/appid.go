package cluster

import (
	"log/slog"
	"sort"

	"github.com/switchio/switchio/esl"
)

// resolveAppID picks the app id of a new session (or of an event of no
// session) from Config.AppIDHeaders: the first value that names an app id
// loaded on this client, else the first value present, else DefaultAppID.
//
// Reading past a header whose id is not served here is what lets two
// switchio processes meet across servers: a dialer's calls carry its own,
// per-run id in X-switchio_app_id (read first, so its legs reach its apps
// on its own servers), and in X-switchio_app the app name or the value of
// dial --app-header. A far end running serve has loaded its apps under its
// own id ("default" unless serve --app-id), which the first header never
// names; the second does when the dialer sends it. A call naming no id
// served here keeps the first id it names, so a controller never takes
// over another's calls unless the call names one of its ids.
func resolveAppID(ev *esl.Event, headers []string, apps map[string][]*loadedApp) string {
	first := ""
	for _, n := range headers {
		v := ev.Get(n)
		if v == "" {
			continue
		}
		if len(apps[v]) > 0 {
			return v
		}
		if first == "" {
			first = v
		}
	}
	if first == "" {
		return DefaultAppID
	}
	return first
}

// noteUnrouted counts and logs an inbound session whose app id no app
// loaded on this client serves: parked by the dialplan for switchio, such
// a call would otherwise stay up, silently, until its caller gives up.
// Only clients with apps loaded count them (a client that only watches has
// no apps to route to), and only inbound legs: a call reaches a server
// through one, while its outbound legs belong to whoever originated them.
// The first such call of each app id is logged at Info level, each later
// one at Debug, so a busy far end does not flood the log: every call is
// logged once.
func (c *Client) noteUnrouted(s *Session, ev *esl.Event, apps map[string][]*loadedApp) {
	if len(apps) == 0 || len(apps[s.appID]) > 0 || s.direction != "inbound" {
		return
	}
	first := c.counters.unrouted(s.appID)
	level := slog.LevelDebug
	if first {
		level = slog.LevelInfo
	}
	if !c.log.Enabled(c.ctx, level) {
		return
	}
	ids := make([]string, 0, len(apps))
	for id := range apps {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	c.log.Log(c.ctx, level, "inbound call for an app id no loaded app serves: left as the dialplan put it",
		"app_id", s.appID, "app_header", ev.Get("variable_sip_h_"+HeaderApp),
		"caller", s.callerID, "destination", s.destination, "uuid", s.uuid,
		"served_ids", ids, "first_of_id", first)
}
