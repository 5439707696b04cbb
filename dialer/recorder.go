package dialer

import "time"

// recorder delivers call records to OnCall.
func (o *Originator) recorder() {
	defer close(o.recordsDone)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		stop := false
		select {
		case <-o.ctx.Done():
			stop = true
		case <-o.recordsWake:
		case <-t.C:
		}
		o.mu.Lock()
		recs := o.records
		o.records = nil
		flushed := o.pendingFlush
		o.pendingFlush = nil
		o.mu.Unlock()
		for _, r := range recs {
			o.cfg.OnCall(r)
		}
		for _, ch := range flushed {
			close(ch)
		}
		if stop {
			return
		}
	}
}
