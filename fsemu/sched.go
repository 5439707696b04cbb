package fsemu

import (
	"strconv"
	"strings"
	"time"
)

// The scheduler emulates FreeSWITCH's core scheduler (src/switch_scheduler.c),
// which runs sched_hangup, sched_api, sched_transfer and sched_broadcast.
// Its timing is coarse, and clients see it:
//
//   - A task's runtime is whole epoch seconds (switch_epoch_time_now):
//     "+N" means floor(now)+N, so "+2" asked at 10.9 s is due at 12.0 s.
//     switch_scheduler_add_task_ex turns a runtime already in the past
//     into a repeating task: runtime R < now repeats every R seconds.
//   - The scheduler thread (switch_scheduler_task_thread) runs a pass
//     (task_thread_loop), then waits up to 500 ms on its event queue
//     (switch_queue_pop_timeout(..., 500000)). A pass runs every task
//     whose runtime is <= the current epoch second. Adding a task pushes
//     ADD_SCHEDULE onto that queue, which wakes the thread at once; running
//     or deleting tasks pushes RE_SCHEDULE/DEL_SCHEDULE, which wakes it
//     again right after the pass. So passes fall at W, W+0.5 s, W+1 s ...
//     where W is the last time a task was added.
//
// A task due at R therefore fires at the first pass at or after R: for
// "+2" between 1 s and 2.5 s after the request, and exactly 1.5 s or 2 s
// after it when nothing else is scheduled meanwhile.

// schedPassEvery is the scheduler thread's idle wait between passes.
const schedPassEvery = 500 * time.Millisecond

// schedTask is one scheduler task (switch_scheduler_task_container_t).
type schedTask struct {
	id        uint32
	group     string
	runtime   int64 // epoch seconds
	repeat    int64 // seconds; set when the runtime given was in the past
	destroyed bool
	// run executes the task with the lock held; it may move runtime
	// (sched_api's "@" tasks do).
	run func(tk *schedTask, now int64)
}

// scheduler is a server's task list and pass timing. Guarded by the
// network lock.
type scheduler struct {
	s     *Server
	tasks []*schedTask
	seq   uint32
	wake  time.Time // the pass chain's origin: the last wake-up
	timer Timer
}

func (sc *scheduler) epoch() int64 { return sc.s.clock.Now().Unix() }

// add is switch_scheduler_add_task: it appends the task, returns its id and
// wakes the scheduler thread (a pass right after the caller's reply).
func (sc *scheduler) add(runtime int64, group string, run func(*schedTask, int64)) uint32 {
	now := sc.epoch()
	tk := &schedTask{group: group, runtime: runtime, run: run}
	if runtime < now {
		tk.repeat = int64(uint32(runtime)) // container->task.repeat is a uint32_t
		tk.runtime = runtime + now
	}
	sc.seq++
	if sc.seq == 0 {
		sc.seq++
	}
	tk.id = sc.seq
	sc.tasks = append(sc.tasks, tk)
	sc.arm(sc.s.clock.Now(), 0)
	return tk.id
}

// arm sets the pass timer: the pass chain starts at from, and the next
// pass that matters is the first one of the chain, no earlier than min
// after from, at or after the earliest runtime.
func (sc *scheduler) arm(from time.Time, min time.Duration) {
	sc.wake = from
	if sc.timer != nil {
		sc.timer.Stop()
		sc.timer = nil
	}
	if sc.s.closed {
		return
	}
	first := int64(-1)
	for _, tk := range sc.tasks {
		if !tk.destroyed && (first < 0 || tk.runtime < first) {
			first = tk.runtime
		}
	}
	if first < 0 {
		return
	}
	d := min
	if due := time.Unix(first, 0).Sub(from); due > d {
		// the first pass of the chain at or after the runtime
		k := (due + schedPassEvery - 1) / schedPassEvery
		d = k * schedPassEvery
	}
	var t Timer
	t = sc.s.clock.AfterFunc(d, func() {
		s := sc.s
		s.lock()
		defer s.unlock()
		if sc.timer != t || s.closed {
			return
		}
		sc.timer = nil
		sc.pass()
	})
	sc.timer = t
}

// pass is task_thread_loop: run what is due, sweep destroyed tasks, and
// pass again at once while passes raise scheduler events.
func (sc *scheduler) pass() {
	for round := 0; round < 100; round++ {
		now := sc.epoch()
		woke := false
		for i := 0; i < len(sc.tasks); i++ {
			tk := sc.tasks[i]
			if tk.destroyed || now < tk.runtime {
				continue
			}
			added := len(sc.tasks)
			tk.run(tk, now)
			if len(sc.tasks) != added {
				woke = true // ADD_SCHEDULE from within the task
			}
			// switch_scheduler_execute
			if tk.repeat != 0 {
				tk.runtime = now + tk.repeat
			}
			if !tk.destroyed && tk.runtime > now {
				woke = true // RE_SCHEDULE
			} else {
				tk.destroyed = true
			}
		}
		kept := sc.tasks[:0]
		for _, tk := range sc.tasks {
			if tk.destroyed {
				woke = true // DEL_SCHEDULE
				continue
			}
			kept = append(kept, tk)
		}
		for i := len(kept); i < len(sc.tasks); i++ {
			sc.tasks[i] = nil
		}
		sc.tasks = kept
		if !woke || sc.s.closed {
			break
		}
	}
	sc.arm(sc.s.clock.Now(), schedPassEvery)
}

// delID is switch_scheduler_del_task_id.
func (sc *scheduler) delID(id uint32) int {
	for _, tk := range sc.tasks {
		if tk.id == id {
			n := 0
			if !tk.destroyed {
				n = 1
			}
			tk.destroyed = true
			return n
		}
	}
	return 0
}

// delGroup is switch_scheduler_del_task_group.
func (sc *scheduler) delGroup(group string) int {
	if group == "" {
		return 0
	}
	n := 0
	for _, tk := range sc.tasks {
		if !tk.destroyed && tk.group == group {
			tk.destroyed = true
			n++
		}
	}
	return n
}

// stop cancels the pass timer (server close).
func (sc *scheduler) stop() {
	if sc.timer != nil {
		sc.timer.Stop()
		sc.timer = nil
	}
}

// schedWhen reads a sched_* time argument as mod_commands does: "+N" is
// floor(now)+atol(N), anything else the epoch second atol(arg).
func (sc *scheduler) schedWhen(arg string) int64 {
	if strings.HasPrefix(arg, "+") {
		return sc.epoch() + atol(arg[1:])
	}
	return atol(arg)
}

// schedHangupCmd is the shared body of the sched_hangup api
// (mod_commands.c sched_hangup_function) and application
// (mod_dptools.c sched_hangup_function): sec is atol of the argument
// after its first character whatever that is, and a zero sec hangs up at
// once; otherwise switch_ivr_schedule_hangup adds a task in the channel's
// group.
func (ch *channel) schedHangupCmd(when, cause string) {
	s := ch.s
	sec := int64(0)
	if when != "" {
		sec = atol(when[1:])
	}
	if sec == 0 {
		s.hangup(ch, cause)
		return
	}
	ch.schedHangupAt(s.sched.schedWhen(when), cause)
}

// schedHangup schedules a hang-up d from now, read as FreeSWITCH does
// "+<seconds>": whole seconds on the epoch-second scheduler.
func (ch *channel) schedHangup(d time.Duration, cause string) {
	ch.schedHangupAt(ch.s.sched.epoch()+int64(d/time.Second), cause)
}

// schedHangupAt is switch_ivr_schedule_hangup: the task hangs the channel
// up if it is still there when it runs.
func (ch *channel) schedHangupAt(runtime int64, cause string) uint32 {
	s := ch.s
	id := ch.uuid
	return s.sched.add(runtime, id, func(*schedTask, int64) {
		if c := s.channels[id]; c != nil && !c.gone() {
			s.hangup(c, cause)
		}
	})
}

func apiSchedHangup(s *Server, a string, done func(string)) {
	f := strings.Fields(a)
	if len(f) < 1 {
		done("-USAGE: [+]<time> <uuid> [<cause>]\n")
		return
	}
	var ch *channel
	if len(f) > 1 {
		ch = s.channels[f[1]]
	}
	if ch == nil || ch.destroyed {
		done("-ERR No such channel!\n")
		return
	}
	cause := "ALLOTTED_TIMEOUT"
	if len(f) > 2 {
		cause = f[2]
	}
	// a zero delay hangs up within the api call, before its reply
	ch.schedHangupCmd(f[0], cause)
	done("+OK\n")
}

func apiSchedDel(s *Server, a string, done func(string)) {
	if a == "" {
		done("-ERR Invalid syntax\n")
		return
	}
	n := 0
	if isDigits(a) {
		if id := atoi(a); id > 0 {
			n = s.sched.delID(uint32(id))
		}
	} else {
		n = s.sched.delGroup(a)
	}
	done("+OK Deleted: " + strconv.Itoa(n) + "\n")
}

// isDigits is switch_is_digit_string: non-empty, decimal digits only.
func isDigits(a string) bool {
	for i := 0; i < len(a); i++ {
		if a[i] < '0' || a[i] > '9' {
			return false
		}
	}
	return a != ""
}

// apiUnschedAPI is "unsched_api <task_id>".
func apiUnschedAPI(s *Server, a string, done func(string)) {
	if a == "" {
		done("-ERR Invalid syntax. USAGE: <task_id>\n")
		return
	}
	id := uint32(atol(a))
	if id == 0 {
		done("")
		return
	}
	if s.sched.delID(id) > 0 {
		done("+OK\n")
	} else {
		done("-ERR No such id\n")
	}
}

// apiSchedAPI is "sched_api [+@]<time> <group> <command>[&]"
// (mod_commands.c sched_api_function): +N runs the command at floor(now)+N,
// @N every N seconds from floor(now)+N, N at epoch second N (or, N being
// in the past, every N seconds).
func apiSchedAPI(s *Server, a string, done func(string)) {
	tm, rest, ok := strings.Cut(a, " ")
	group, cmd, ok2 := strings.Cut(rest, " ")
	if a == "" || !ok || !ok2 {
		done("-ERR Invalid syntax. USAGE: [+@]<time> <group_name> <command_string>[&]\n")
		return
	}
	var when, recur int64
	switch {
	case strings.HasPrefix(tm, "+"):
		when = s.sched.epoch() + atol(tm[1:])
	case strings.HasPrefix(tm, "@"):
		recur = int64(uint32(atol(tm[1:])))
		when = s.sched.epoch() + recur
	default:
		when = atol(tm)
	}
	cmd = strings.TrimSuffix(cmd, "&")
	id := s.sched.add(when, group, func(tk *schedTask, now int64) {
		s.runAPI(cmd, nil, func(string) {})
		if recur != 0 {
			tk.runtime = s.sched.epoch() + recur
		}
	})
	done("+OK Added: " + strconv.FormatUint(uint64(id), 10) + "\n")
}

// apiSchedTransfer is "sched_transfer [+]<time> <uuid> <extension>
// [<dialplan>] [<context>]" (switch_ivr_schedule_transfer).
func apiSchedTransfer(s *Server, a string, done func(string)) {
	f := strings.Fields(a)
	if len(f) < 2 || len(f) > 5 {
		done("-USAGE: [+]<time> <uuid> <extension> [<dialplan>] [<context>]\n")
		return
	}
	ch := s.channels[f[1]]
	if ch == nil || ch.destroyed {
		done("-ERR No such channel!\n")
		return
	}
	dest, dialplan, context := "", "", ""
	if len(f) > 2 {
		dest = f[2]
	}
	if len(f) > 3 {
		dialplan = f[3]
	}
	if len(f) > 4 {
		context = f[4]
	}
	id := ch.uuid
	s.sched.add(s.sched.schedWhen(f[0]), id, func(*schedTask, int64) {
		c := s.channels[id]
		if c == nil || c.gone() {
			return
		}
		// switch_ivr_session_transfer's defaults
		d, dp, ctx := dest, dialplan, context
		if d == "" {
			d = c.prof.dest
		}
		if dp == "" {
			dp = "XML"
		}
		if ctx == "" {
			ctx = c.prof.context
		}
		c.transfer(d, dp, ctx)
	})
	done("+OK\n")
}

// apiSchedBroadcast is "sched_broadcast [[+]<time>|@time] <uuid> <path>
// [aleg|bleg|both]" (switch_ivr_schedule_broadcast); the channel is looked
// up when the task runs.
func apiSchedBroadcast(s *Server, a string, done func(string)) {
	f := strings.Fields(a)
	if len(f) < 3 {
		done("-USAGE: [[+]<time>|@time] <uuid> <path> [aleg|bleg|both]\n")
		return
	}
	var rt int64
	if strings.HasPrefix(f[0], "@") {
		rt = atol(f[0][1:])
	} else {
		rt = s.sched.schedWhen(f[0])
	}
	id, path := f[1], f[2]
	legs := "aleg"
	if len(f) > 3 {
		legs = strings.ToLower(f[3])
	}
	s.sched.add(rt, id, func(*schedTask, int64) {
		ch := s.channels[id]
		if ch == nil || ch.gone() {
			return
		}
		targets := []*channel{ch}
		switch legs {
		case "bleg":
			targets = targets[:0]
			if ch.bridged != nil {
				targets = append(targets, ch.bridged)
			}
		case "both":
			if ch.bridged != nil {
				targets = append(targets, ch.bridged)
			}
		}
		for _, t := range targets {
			t.broadcast(path)
		}
	})
	done("+OK Message scheduled\n")
}
