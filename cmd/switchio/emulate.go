package main

import (
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/internal/localhttp"
)

// emulateFlags are emulate's settings: where the servers listen, how
// their far ends treat calls (fsemu.Inbound), their capacity model and
// the media impairments (fsemu.Impairments).
type emulateFlags struct {
	listen   string
	password string
	servers  int
	sipBase  int

	action        string
	ring          time.Duration
	earlyMedia    time.Duration
	answerDelay   time.Duration
	noAnswerAfter time.Duration
	noAnswerCause string
	fail          []fsemu.Failure
	hangupAfter   time.Duration

	cores     int
	setupCost time.Duration
	holdCost  time.Duration
	rtpPorts  int

	clockTick time.Duration

	dtmfDrop    float64
	dtmfReorder float64
	audioLoss   float64
	lossBurst   time.Duration
	mute        float64
}

func newEmulateCmd() *cobra.Command { return newEmulateCmdWith(&emulateFlags{}) }

// newEmulateCmdWith builds the emulate command on o, which its flags fill.
func newEmulateCmdWith(o *emulateFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "emulate",
		Short: "Run emulated FreeSWITCH servers (ESL + simulated calls) until interrupted",
		Long: "emulate starts N emulated FreeSWITCH 1.10 servers on consecutive ESL ports, each with its own\n" +
			"SIP address on one in-process SIP network, so they can call each other. It prints one line\n" +
			"per server (ESL address, SIP address) and runs until Ctrl-C or SIGTERM.\n\n" +
			"Calls arriving at a server meet its far end, in this order: it rings (--ring, a 180 without\n" +
			"media), sends early media (--early-media, a 183; an originate without ignore_early_media=true\n" +
			"ends +OK here), waits (--answer-delay), then runs --action. --fail makes shares of calls fail\n" +
			"with given causes instead; --no-answer-after gives up on unanswered calls, --hangup-after ends\n" +
			"answered ones. Without these flags calls park unanswered, as on the captured server, whose\n" +
			"dialplan (context switchio) also answers em<ms>, emnoanswer and ring<ms> like\n" +
			"docs/far-end-dialplan.md. Durations are seconds (30, 1.5) or Go durations (1.5s, 1m).\n\n" +
			"The capacity model (any of --cores, --setup-cost, --hold-cost, --rtp-ports) gives each server\n" +
			"a CPU budget: set-ups queue past it, so set-up latency grows under overload; --rtp-ports caps\n" +
			"concurrent channels (more fail DESTINATION_OUT_OF_ORDER).\n\n" +
			"Like a vanilla FreeSWITCH, each server stamps its events and channel times from a clock that\n" +
			"advances once per 20 ms tick (--clock-tick; 1ms is FreeSWITCH's 1ms-timer, 0 exact times), so a\n" +
			"call's create and answer often carry one time and server-side latencies come in whole ticks.\n\n" +
			"Media impairments fault what every server's channels receive, so media checks (DTMF, bert,\n" +
			"recordings) can be tested against them: --dtmf-drop loses a share of DTMF digits, --dtmf-reorder\n" +
			"swaps two adjacent digits in a share of multi-digit bursts, --audio-loss loses a share of the\n" +
			"audio in bursts of --loss-burst (gaps of silence in recordings, bert errors), --mute makes a\n" +
			"share of calls hear nothing. Shares are 0 to 1; the draws repeat from run to run.\n" +
			"docs/far-end-dialplan.md says how to get the same from a real FreeSWITCH, where there is a way.\n\n" +
			"--listen is loopback by default. Any other address (0.0.0.0, a LAN address, a host name) lets\n" +
			"remote clients in, so it needs --password set to one of your own: the default ClueCon is public.",
		Example: "  switchio emulate --servers 2 --ring 2 --answer-delay 0.5 --hangup-after 30 \\\n" +
			"      --fail 0.1:USER_BUSY,0.05:CALL_REJECTED --cores 2 --setup-cost 19ms\n" +
			"  switchio emulate --action answer --dtmf-drop 0.05 --audio-loss 0.02 --loss-burst 60ms --mute 0.01",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			host, port, in, capacity, err := o.settings(cmd)
			if err != nil {
				return err
			}
			impairments, err := o.impairments()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			network := fsemu.NewNetwork()
			sipHost := host
			if sipHost == "" || sipHost == "0.0.0.0" || sipHost == "::" {
				sipHost = "127.0.0.1"
			}
			var started []*fsemu.Server
			defer func() {
				for _, s := range started {
					s.Close()
				}
			}()
			for i := 0; i < o.servers; i++ {
				esl := net.JoinHostPort(host, strconv.Itoa(port+i))
				if port == 0 {
					esl = net.JoinHostPort(host, "0")
				}
				cfg := fsemu.Config{
					ListenAddr:  esl,
					Password:    o.password,
					SIPAddr:     net.JoinHostPort(sipHost, strconv.Itoa(o.sipBase+2*i)),
					Network:     network,
					AllowRemote: !localhttp.IsLoopback(host),
					Seed:        int64(i + 1),
					Inbound:     in,
					Impairments: impairments,
					ClockTick:   o.clockTick,
				}
				if o.clockTick == 0 {
					cfg.ClockTick = fsemu.ExactClock // --clock-tick 0: exact stamps
				}
				if capacity != nil {
					c := *capacity // one model per server
					cfg.Capacity = &c
				}
				s, err := fsemu.Start(ctx, cfg)
				if err != nil {
					return err
				}
				started = append(started, s)
				// FreeSWITCH's well-known default is shown; a chosen
				// password is a secret and is not printed.
				shown := "(as given)"
				if s.Password() == defaultPassword {
					shown = defaultPassword
				}
				fmt.Fprintf(cmd.OutOrStdout(), "fs%d esl=%s sip=%s password=%s\n", i+1, s.Addr(), s.SIPAddr(), shown)
			}
			<-ctx.Done()
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:8021", "ESL address of the first server (the next ones use the following ports)")
	f.StringVar(&o.password, "password", defaultPassword, "ESL password (one of your own is required when --listen is not a loopback address)")
	f.IntVar(&o.servers, "servers", 1, "number of servers")
	f.IntVar(&o.sipBase, "sip-port", 5080, "SIP port of the first server's external profile (then +2 per server)")

	f.StringVar(&o.action, "action", "park", "what the far end does after ringing, early media and delay: park (unanswered), answer, echo or noanswer; answer when only --answer-delay or --hangup-after is given")
	durationFlag(f, &o.ring, "ring", 0, "far end rings (180, no media) this long first")
	durationFlag(f, &o.earlyMedia, "early-media", 0, "far end then sends early media (183) this long")
	durationFlag(f, &o.answerDelay, "answer-delay", 0, "far end then waits this long before its action (answering)")
	durationFlag(f, &o.noAnswerAfter, "no-answer-after", 0, "far end hangs up calls it has not answered this long after they arrived")
	f.StringVar(&o.noAnswerCause, "no-answer-cause", "NO_ANSWER", "hang-up cause of --no-answer-after")
	f.Var(failures{&o.fail}, "fail", "shares of calls the far end fails, and their causes: SHARE:CAUSE[,SHARE:CAUSE...], e.g. 0.1:USER_BUSY,0.05:CALL_REJECTED (shares in [0,1], at most 1 in all)")
	durationFlag(f, &o.hangupAfter, "hangup-after", 0, "far end hangs up this long after answering (talk time)")

	f.IntVar(&o.cores, "cores", 0, "capacity model: CPU cores per server (default 2 when the model is on)")
	durationFlag(f, &o.setupCost, "setup-cost", 0, "capacity model: CPU time of one call set-up and tear-down (default 19ms)")
	durationFlag(f, &o.holdCost, "hold-cost", 0, "capacity model: CPU time per held call per second (default 3.4ms)")
	f.IntVar(&o.rtpPorts, "rtp-ports", 0, "capacity model: concurrent channels per server (RTP ports; default 8192)")

	durationFlag(f, &o.clockTick, "clock-tick", fsemu.DefaultClockTick, "period of the clock the servers stamp events and channel times from: a vanilla FreeSWITCH's advances every 20 ms (1ms with switch.conf.xml's 1ms-timer), so times within one tick are equal; 0 stamps exact times")
	f.Var(share{&o.dtmfDrop}, "dtmf-drop", "media impairment: share of received DTMF digits lost (0-1)")
	f.Var(share{&o.dtmfReorder}, "dtmf-reorder", "media impairment: share of received multi-digit DTMF bursts with two adjacent digits swapped (0-1)")
	f.Var(share{&o.audioLoss}, "audio-loss", "media impairment: share of received audio lost, in bursts of --loss-burst (0-1)")
	durationFlag(f, &o.lossBurst, "loss-burst", 100*time.Millisecond, "media impairment: length of one --audio-loss burst")
	f.Var(share{&o.mute}, "mute", "media impairment: share of calls whose channels hear only silence (0-1)")
	return cmd
}

// impairments returns the media impairments the flags ask for; an error
// is one line naming the flag.
func (o *emulateFlags) impairments() (fsemu.Impairments, error) {
	if o.lossBurst <= 0 {
		return fsemu.Impairments{}, fmt.Errorf("--loss-burst must be more than 0, not %v", o.lossBurst)
	}
	im := fsemu.Impairments{DTMFDrop: o.dtmfDrop, DTMFReorder: o.dtmfReorder, AudioLoss: o.audioLoss,
		LossBurst: o.lossBurst, Mute: o.mute}
	if err := im.Validate(); err != nil {
		return fsemu.Impairments{}, err
	}
	return im, nil
}

// settings checks every flag and returns the ESL host and first port, the
// far end's rules and the capacity model (nil when off). Errors are one
// line naming the flag.
func (o *emulateFlags) settings(cmd *cobra.Command) (host string, port int, in fsemu.Inbound, capacity *fsemu.Capacity, err error) {
	if host, port, err = o.addresses(); err != nil {
		return "", 0, in, nil, err
	}
	if in, err = o.inbound(cmd); err != nil {
		return "", 0, in, nil, err
	}
	if capacity, err = o.capacity(cmd); err != nil {
		return "", 0, in, nil, err
	}
	return host, port, in, capacity, nil
}

// addresses checks --servers, --sip-port, --listen and --password and
// returns the ESL host and first port.
func (o *emulateFlags) addresses() (host string, port int, err error) {
	if o.servers < 1 {
		return "", 0, fmt.Errorf("--servers must be at least 1, not %d", o.servers)
	}
	if last := o.sipBase + 2*(o.servers-1); o.sipBase < 1 || last > 65535 {
		return "", 0, fmt.Errorf("--sip-port %d: the servers' SIP ports (%d to %d) must be within 1-65535", o.sipBase, o.sipBase, last)
	}
	host, portStr, err := net.SplitHostPort(o.listen)
	if err != nil {
		return "", 0, fmt.Errorf("--listen: %w", err)
	}
	port, err = strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 || port > 0 && port+o.servers-1 > 65535 {
		return "", 0, fmt.Errorf("--listen: bad port %q", portStr)
	}
	if !localhttp.IsLoopback(host) && (o.password == "" || o.password == defaultPassword) {
		return "", 0, fmt.Errorf("--listen %s is not a loopback address: anyone who reaches it could log in with the well-known default password, so set --password to one of your own", o.listen)
	}
	return host, port, nil
}

// inbound checks the far end's flags (--action and what depends on it)
// into its rules.
func (o *emulateFlags) inbound(cmd *cobra.Command) (fsemu.Inbound, error) {
	action := o.action
	if !cmd.Flags().Changed("action") && (o.answerDelay > 0 || o.hangupAfter > 0) {
		action = "answer"
	}
	switch action {
	case "park", "answer", "echo", "noanswer":
	default:
		return fsemu.Inbound{}, fmt.Errorf("--action %q: want park, answer, echo or noanswer", o.action)
	}
	if o.hangupAfter > 0 && (action == "park" || action == "noanswer") {
		return fsemu.Inbound{}, fmt.Errorf("--hangup-after needs a far end that answers (--action %s never does)", action)
	}
	cause := strings.ToUpper(o.noAnswerCause)
	if !fsemu.IsCause(cause) {
		return fsemu.Inbound{}, fmt.Errorf("--no-answer-cause: unknown cause %q", o.noAnswerCause)
	}
	in := fsemu.Inbound{Action: action, RingTime: o.ring, EarlyMedia: o.earlyMedia, AnswerDelay: o.answerDelay,
		Failures: o.fail, NoAnswerAfter: o.noAnswerAfter, NoAnswerCause: cause, TalkTime: o.hangupAfter}
	return in, in.Validate()
}

// capacity checks the capacity model's flags; nil when none is given.
func (o *emulateFlags) capacity(cmd *cobra.Command) (*fsemu.Capacity, error) {
	fl := cmd.Flags()
	if !fl.Changed("cores") && !fl.Changed("setup-cost") && !fl.Changed("hold-cost") && !fl.Changed("rtp-ports") {
		return nil, nil
	}
	switch {
	case fl.Changed("cores") && o.cores < 1:
		return nil, fmt.Errorf("--cores must be at least 1, not %d", o.cores)
	case fl.Changed("rtp-ports") && o.rtpPorts < 1:
		return nil, fmt.Errorf("--rtp-ports must be at least 1, not %d", o.rtpPorts)
	case fl.Changed("setup-cost") && o.setupCost == 0:
		return nil, errors.New("--setup-cost must be more than 0")
	}
	return &fsemu.Capacity{Cores: o.cores, SetupCost: o.setupCost, HoldCostPerSecond: o.holdCost, RTPPorts: o.rtpPorts}, nil
}

// defaultPassword is FreeSWITCH's well-known default ESL password.
const defaultPassword = "ClueCon"

// failures is the --fail flag: SHARE:CAUSE[,SHARE:CAUSE...].
type failures struct{ f *[]fsemu.Failure }

func (v failures) String() string {
	if v.f == nil {
		return ""
	}
	parts := make([]string, len(*v.f))
	for i, f := range *v.f {
		parts[i] = strconv.FormatFloat(f.Share, 'g', -1, 64) + ":" + f.Cause
	}
	return strings.Join(parts, ",")
}

func (v failures) Set(s string) error {
	var out []fsemu.Failure
	total := 0.0
	for _, item := range strings.Split(s, ",") {
		shareStr, cause, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok {
			return fmt.Errorf("%q: want SHARE:CAUSE, e.g. 0.1:USER_BUSY", item)
		}
		share, err := strconv.ParseFloat(shareStr, 64)
		if err != nil || math.IsNaN(share) || share < 0 || share > 1 {
			return fmt.Errorf("%q: share %q is not a number in [0,1]", item, shareStr)
		}
		cause = strings.ToUpper(cause)
		if !fsemu.IsCause(cause) {
			return fmt.Errorf("%q: unknown cause %q", item, cause)
		}
		total += share
		out = append(out, fsemu.Failure{Cause: cause, Share: share})
	}
	if total > 1+1e-9 {
		return fmt.Errorf("shares add to %v, more than 1", total)
	}
	*v.f = out
	return nil
}

func (failures) Type() string { return "shares" }

// share is a flag holding a share of calls, digits or audio: a number in
// [0, 1]. NaN, infinities and values outside are refused with a one-line
// error.
type share struct{ p *float64 }

// Set parses a share: a number from 0 to 1.
func (v share) Set(s string) error {
	x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(x) || x < 0 || x > 1 {
		return errors.New("not a share in [0,1]")
	}
	*v.p = x
	return nil
}

// String shows the share as --help's default.
func (v share) String() string {
	if v.p == nil {
		return "0"
	}
	return strconv.FormatFloat(*v.p, 'g', -1, 64)
}

// Type names the value in --help.
func (share) Type() string { return "share" }
