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
	// set it (ephemeral ports, open files, conntrack entries, mode).
	Window      int           `json:"window"`
	WindowLimit string        `json:"window_limit"`
	SRTT        time.Duration `json:"srtt_ns"`    // smoothed RTT; 0 when nothing was measured
	Timeout     time.Duration `json:"timeout_ns"` // the final wait for an answer
	// TargetRateLimited is how many ICMP errors the target's kernel held
	// back during the run (Icmp OutRateLimitGlobal + OutRateLimitHost +
	// Icmp6OutRateLimitHost); -1 when they could not be read (the target's
	// namespace is not ours).
	TargetRateLimited int64 `json:"target_icmp_rate_limited"`
	// SlowProbes are the probes of the slow re-probing of silent ports.
	SlowProbes int `json:"slow_probes"`
}
