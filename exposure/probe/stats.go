package probe

import "time"

// Stats describe how one protocol's run went.
type Stats struct {
	Sent            int `json:"sent"`              // probes sent, retries included
	Answered        int `json:"answered"`          // ports that answered
	Retried         int `json:"retried"`           // probes that were retries of silent ports
	AnsweredOnRetry int `json:"answered_on_retry"` // ports that answered only a retry: replies went missing
	Late            int `json:"late"`              // answers that came after their timeout
	LocalErrors     int `json:"local_errors"`      // sends that failed on the prober (retried)
	// ReceiveDrops counts replies the prober's receive queues dropped.
	ReceiveDrops uint64  `json:"receive_drops"`
	Backoffs     int     `json:"backoffs"` // times the rate was halved
	PeakRate     float64 `json:"peak_rate_pps"`
	FinalRate    float64 `json:"final_rate_pps"`
	// Window is the most probes in flight at once, and WindowLimit what
	// set it (ephemeral ports, open files, mode).
	Window      int    `json:"window"`
	WindowLimit string `json:"window_limit"`
	// ConntrackFree is how many conntrack entries the prober's table had
	// free at the start (-1: no conntrack); a run takes at most half, and
	// ConntrackWait is how long its sends waited for entries to expire.
	ConntrackFree int           `json:"conntrack_free"`
	ConntrackWait time.Duration `json:"conntrack_wait_ns"`
	SRTT          time.Duration `json:"srtt_ns"`    // smoothed RTT; 0 when nothing was measured
	Timeout       time.Duration `json:"timeout_ns"` // the final wait for an answer
	// TargetRateLimited is how many ICMP errors the target's kernel held
	// back during the run (Icmp OutRateLimitGlobal + OutRateLimitHost +
	// Icmp6OutRateLimitHost); -1 when they could not be read (the target's
	// namespace is not ours).
	TargetRateLimited int64 `json:"target_icmp_rate_limited"`
	// SlowProbes are the probes of the paced re-probing of rate-limited
	// ranges.
	SlowProbes int `json:"slow_probes"`
	// RateLimited are the ranges whose answers were rate-limited.
	RateLimited []LimitedRange `json:"rate_limited,omitempty"`
	// Cleared are the ranges whose silent ports between answers looked
	// rate-limited, and the paced re-probing showed were not: every
	// suspect stayed silent while answered ports after it answered.
	Cleared []LimitedRange `json:"cleared,omitempty"`
}

// LimitedRange is a port range whose answers a limit held back: the span
// of the ports that answered alike, what they answered, and the rate the
// limit let answers through, as measured (or as the rules stated).
type LimitedRange struct {
	From      uint16  `json:"from"`
	To        uint16  `json:"to"`
	State     State   `json:"state,omitempty"`
	Reason    string  `json:"reason,omitempty"`
	PerSecond float64 `json:"per_second"`
	Stated    bool    `json:"stated,omitempty"` // from the rules (Options.Paced)
	Answered  int     `json:"answered"`         // answers during the paced re-probing
	Unsettled int     `json:"unsettled"`        // suspects left unknown (rate-limited)
}
