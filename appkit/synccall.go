package appkit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/originate"
)

// SyncCall places one call from client with req, tagged with appID so the
// apps loaded under that id handle both legs, and waits until until(call)
// holds (nil: until the call is answered). It returns the call, or an error
// when the originate fails, the call ends first, or ctx expires — give ctx a
// timeout.
func SyncCall(ctx context.Context, client *cluster.Client, req originate.Request, appID string, until func(*cluster.Call) bool) (*cluster.Call, error) {
	if req.UUID == "" {
		req.UUID = uuid.NewString()
	}
	if appID == "" {
		appID = cluster.DefaultAppID
	}
	req.Headers = append(append([]originate.Var(nil), req.Headers...),
		originate.Var{Name: cluster.HeaderOriginatingSession, Value: req.UUID},
		originate.Var{Name: cluster.HeaderAppID, Value: appID})
	cmd, err := req.Command()
	if err != nil {
		return nil, err
	}
	job, err := client.BgAPI(ctx, cmd)
	if err != nil {
		return nil, err
	}
	if until == nil {
		until = func(c *cluster.Call) bool {
			s := c.First()
			return s != nil && s.Answered()
		}
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var call *cluster.Call
	for {
		if s := client.Session(req.UUID); s != nil {
			call = s.Call()
		}
		if call != nil && until(call) {
			return call, nil
		}
		if err := jobFailed(job); err != nil {
			return call, fmt.Errorf("sync call %s: %w", req.UUID, err)
		}
		if call != nil && call.Len() > 0 && allHungUp(call) {
			// The originate's result comes after its legs' hang-up
			// events: one that failed says why the call ended.
			select {
			case <-job.Done():
			case <-ctx.Done():
			}
			if err := jobFailed(job); err != nil {
				return call, fmt.Errorf("sync call %s: %w", req.UUID, err)
			}
			return call, fmt.Errorf("sync call %s: call ended before the condition held", req.UUID)
		}
		select {
		case <-ctx.Done():
			return call, fmt.Errorf("sync call %s: %w", req.UUID, ctx.Err())
		case <-tick.C:
		}
	}
}

// jobFailed is the error of an originate job that has failed, nil while
// it runs or once it has succeeded.
func jobFailed(job *esl.Job) error {
	body, err, done := job.Result()
	switch {
	case !done:
		return nil
	case err != nil:
		return err
	case !strings.HasPrefix(body, "+OK"):
		return fmt.Errorf("originate: %s", strings.TrimSpace(body))
	}
	return nil
}

func allHungUp(c *cluster.Call) bool {
	for _, s := range c.Sessions() {
		if !s.HungUp() {
			return false
		}
	}
	return true
}
