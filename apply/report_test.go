package apply

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/inbox-manager/inboxctl/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestWriteReportGolden(t *testing.T) {
	r := &Result{
		Started:  time.Date(2025, 3, 1, 2, 0, 0, 0, time.FixedZone("CET", 3600)),
		Duration: 2500 * time.Millisecond,
		Done:     2, Failed: 1, Skipped: 1, NotStarted: 1, Interrupted: true,
		Changes: []ChangeResult{
			{Index: 0, Action: plan.Create, Kind: plan.KindUser, Key: "alice@example.com", Status: StatusDone, ID: "usr_1", Duration: 12345 * time.Microsecond, Attempts: 1},
			{Index: 1, Action: plan.Create, Kind: plan.KindAccount, Key: "ops", Status: StatusFailed, Duration: 40 * time.Millisecond, Attempts: 8,
				Error: "apply: create account ops: api: POST /api/accounts/acc_root/accounts: 503 Service Unavailable"},
			{Index: 2, Action: plan.Create, Kind: plan.KindMember, Key: "ops/alice@example.com", Status: StatusSkipped,
				Error: `skipped: depends on create account "ops", which failed`},
			{Index: 3, Action: plan.Replace, Kind: plan.KindAppClient, Key: "Test App", Status: StatusDone, ID: "uuid-2", Duration: time.Second, Attempts: 2},
			{Index: 4, Action: plan.Delete, Kind: plan.KindUser, Key: "bob@example.com", Status: StatusNotStarted},
		},
	}
	var buf bytes.Buffer
	if err := WriteReport(&buf, r, Counters{Requests: 14, TokensObtained: 3, TokensRefreshed: 2}); err != nil {
		t.Fatalf("WriteReport: %v", err)
	}
	golden := filepath.Join("testdata", "report.golden.json")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./apply -run Report -update)", err)
	}
	if d := cmp.Diff(string(want), buf.String()); d != "" {
		t.Errorf("report (-want +got):\n%s", d)
	}
}

func TestReportStatus(t *testing.T) {
	tests := []struct {
		name string
		r    Result
		want string
	}{
		{"all done", Result{Done: 3}, "done"},
		{"failed", Result{Done: 2, Failed: 1}, "partial"},
		{"skipped", Result{Done: 2, Skipped: 1}, "partial"},
		{"interrupted", Result{Done: 1, NotStarted: 2, Interrupted: true}, "interrupted"},
		{"deadline", Result{Done: 1, NotStarted: 2, DeadlineExceeded: true}, "deadline_exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewReport(&tt.r, Counters{}).Status; got != tt.want {
				t.Errorf("status %q, want %q", got, tt.want)
			}
		})
	}
}

// TestReportFromRun checks that a real run's report parses back with its totals and carries
// no request or token detail beyond the counts.
func TestReportFromRun(t *testing.T) {
	f := newFake()
	f.fail["user b@example.com"] = true
	p := newPlan(f, createUser("a@example.com"), createUser("b@example.com"), dep(createMember("", "b@example.com", "viewer"), 1))
	res, _ := Run(context.Background(), p, f, Options{}, nil)
	var buf bytes.Buffer
	if err := WriteReport(&buf, res, Counters{Requests: 2}); err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, buf.String())
	}
	want := ReportTotals{Changes: 3, Done: 1, Failed: 1, Skipped: 1}
	if d := cmp.Diff(want, got.Totals); d != "" {
		t.Errorf("totals (-want +got):\n%s", d)
	}
	if got.Status != "partial" || got.Changes[2].Status != "skipped" || !strings.Contains(got.Changes[2].Error, "b@example.com") {
		t.Errorf("report: status %q, change 2 %+v", got.Status, got.Changes[2])
	}
}
