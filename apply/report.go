package apply

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// ReportFormatVersion is the version of the --report JSON format.
const ReportFormatVersion = "1"

// Counters are the figures of a run that come from outside the scheduler: the HTTP requests the
// API client sent and the tokens the auth layer obtained and refreshed.
type Counters struct {
	Requests        int64
	TokensObtained  int64
	TokensRefreshed int64
}

// Report is the JSON run report of apply --report, made for the jobs and log systems that
// nightly runs feed. It holds no secret: keys, ids, statuses, counts and error messages only.
type Report struct {
	FormatVersion string `json:"format_version"`
	// Status is "done" (every change done), "partial" (some failed or were skipped),
	// "interrupted" (a user interrupt) or "deadline_exceeded" (the command's deadline passed
	// before every change had started).
	Status          string         `json:"status"`
	Started         time.Time      `json:"started"`
	DurationSeconds float64        `json:"duration_seconds"`
	Totals          ReportTotals   `json:"totals"`
	Requests        int64          `json:"requests"`
	Tokens          ReportTokens   `json:"tokens"`
	Changes         []ReportChange `json:"changes"`
}

// ReportTotals counts the changes of a run by outcome.
type ReportTotals struct {
	Changes    int `json:"changes"`
	Done       int `json:"done"`
	Failed     int `json:"failed"`
	Skipped    int `json:"skipped"`
	NotStarted int `json:"not_started"`
}

// ReportTokens counts the access tokens a run obtained, and how many of them were refreshes.
type ReportTokens struct {
	Obtained  int64 `json:"obtained"`
	Refreshed int64 `json:"refreshed"`
}

// ReportChange is one change of the run report.
type ReportChange struct {
	Index      int     `json:"index"`
	Action     string  `json:"action"`
	Kind       string  `json:"kind"`
	Key        string  `json:"key"`
	ID         string  `json:"id,omitempty"`
	Status     string  `json:"status"`
	DurationMS float64 `json:"duration_ms"`
	Attempts   int     `json:"attempts"`
	Error      string  `json:"error,omitempty"`
}

// NewReport builds the run report of r.
func NewReport(r *Result, c Counters) Report {
	rep := Report{
		FormatVersion:   ReportFormatVersion,
		Status:          "done",
		Started:         r.Started.UTC(),
		DurationSeconds: r.Duration.Seconds(),
		Totals: ReportTotals{Changes: len(r.Changes), Done: r.Done, Failed: r.Failed,
			Skipped: r.Skipped, NotStarted: r.NotStarted},
		Requests: c.Requests,
		Tokens:   ReportTokens{Obtained: c.TokensObtained, Refreshed: c.TokensRefreshed},
		Changes:  make([]ReportChange, len(r.Changes)),
	}
	switch {
	case r.Interrupted:
		rep.Status = "interrupted"
	case r.DeadlineExceeded:
		rep.Status = "deadline_exceeded"
	case r.Failed+r.Skipped+r.NotStarted > 0:
		rep.Status = "partial"
	}
	for i, cr := range r.Changes {
		rep.Changes[i] = ReportChange{
			Index: cr.Index, Action: string(cr.Action), Kind: string(cr.Kind), Key: cr.Key, ID: cr.ID,
			Status: string(cr.Status), DurationMS: float64(cr.Duration.Microseconds()) / 1000,
			Attempts: cr.Attempts, Error: cr.Error,
		}
	}
	return rep
}

// WriteReport writes the run report of r as indented JSON to w.
func WriteReport(w io.Writer, r *Result, c Counters) error {
	b, err := json.MarshalIndent(NewReport(r, c), "", "  ")
	if err != nil {
		return fmt.Errorf("apply: report: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("apply: report: %w", err)
	}
	return nil
}
