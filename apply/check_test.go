package apply

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/inbox-manager/inboxctl/live"
	"github.com/inbox-manager/inboxctl/plan"
	"github.com/inbox-manager/inboxctl/spec"
)

func TestCheckDeletes(t *testing.T) {
	failing := plan.DeleteCheck{MaxPercent: 25, Failed: true, Counts: []plan.KindCount{
		{Kind: "users", Live: 4, Deletes: 4, Failed: false}, // fewer than 10 live: not checked
		{Kind: "members", Live: 12, Deletes: 5, Failed: true},
		{Kind: "total", Live: 20, Deletes: 9, Failed: true},
	}}
	tests := []struct {
		name  string
		check plan.DeleteCheck
		force bool
		want  string // "" for no error
	}{
		{"passes", plan.DeleteCheck{MaxPercent: 25, Counts: []plan.KindCount{{Kind: "total", Live: 20, Deletes: 1}}}, false, ""},
		{"refused", failing, false, "refused by the delete check: the plan deletes more than 25% of members: 5 of 12, total: 9 of 20"},
		{"forced", failing, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckDeletes(&plan.Plan{DeleteCheck: tt.check}, tt.force)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckDeletes = %v, want nil", err)
				}
				return
			}
			var re *RefusedError
			if !errors.As(err, &re) {
				t.Fatalf("CheckDeletes = %v, want a *RefusedError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if d := cmp.Diff([]string{"members", "total"}, []string{re.Failing[0].Kind, re.Failing[1].Kind}); d != "" {
				t.Errorf("failing kinds (-want +got):\n%s", d)
			}
		})
	}
}

// staleTenant seeds a tenant and returns it with a plan computed against it the way
// inboxctl plan does (live.Read, then plan.Compute), so the fingerprints are the real ones.
func staleTenant(t *testing.T) (*fakeAPI, *plan.Plan, map[string]string) {
	t.Helper()
	f := newFake()
	alice := f.seedUser("alice@example.com", "Alice", testOwner)
	bob := f.seedUser("bob@example.com", "Bob", testOwner)
	dave := f.seedUser("dave@example.com", "Dave", testOwner)
	ops := f.seedAccount(f.root, "ops", testOwner)
	mAlice := f.seedMember(ops.ID, alice.ID, "viewer")
	app := f.seedAppClient("App", "https://a.example.com")
	ids := map[string]string{"alice": alice.ID, "bob": bob.ID, "dave": dave.ID, "ops": ops.ID,
		"member alice": mAlice.ID, "app": spec.AppClientIDFromARN(app.ARN)}

	desired := &spec.State{
		Owner: testOwner, Application: f.app, Account: f.root, Prune: true,
		Mentions: spec.Mentions{Users: true, Accounts: true, AppClients: true},
		Users: []spec.User{
			{Email: "alice@example.com", Name: str("Alice L")}, // update
			{Email: "carol@example.com"},                       // create
			{Email: "dave@example.com"},                        // unchanged
		}, // bob: delete
		Accounts: []spec.Account{{Path: "ops", Name: "ops"}, {Path: "ops/new", Name: "new", Parent: "ops"}},
		Members: []spec.Member{
			{AccountPath: "ops", User: "alice@example.com", Role: "admin"}, // update
			{AccountPath: "ops", User: "dave@example.com", Role: "viewer"}, // create
			{AccountPath: "ops", User: "carol@example.com", Role: "viewer"},
		},
		AppClients: []spec.AppClient{
			{AppName: "App", Description: str("d"), RedirectURLs: []string{"https://b.example.com"}, StarterUserEmails: []string{"s@example.com"}},
			{AppName: "New", Description: str("n"), RedirectURLs: []string{"https://n.example.com"}, StarterUserEmails: []string{"s@example.com"}},
		},
	}
	desired.Canonicalize()
	lv, err := live.Read(context.Background(), f, desired, live.Options{})
	if err != nil {
		t.Fatalf("live.Read: %v", err)
	}
	p, err := plan.Compute(desired, lv, plan.Options{MaxDeletePercent: 100, Target: plan.Target{APIURL: "https://api.example.com"}})
	if err != nil {
		t.Fatalf("plan.Compute: %v", err)
	}
	f.reads = 0
	return f, p, ids
}

func TestCheckStale(t *testing.T) {
	target := plan.Target{APIURL: "https://api.example.com/", Application: "app_demo", Account: "acc_root"}
	tests := []struct {
		name   string
		change func(f *fakeAPI, ids map[string]string)
		target plan.Target
		want   []string // the StaleError's differences; nil for a fresh plan
	}{
		{name: "unchanged", change: func(*fakeAPI, map[string]string) {}},
		{
			name:   "another API URL",
			target: plan.Target{APIURL: "https://other.example.com", Application: "app_demo"},
			want:   []string{`target: the plan was made for API URL "https://api.example.com", this run uses "https://other.example.com"`},
		},
		{
			name:   "another application and account",
			target: plan.Target{Application: "app_x", Account: "acc_x"},
			want: []string{
				`target: the plan was made for application "app_demo", this run uses "app_x"`,
				`target: the plan was made for account "acc_root", this run uses "acc_x"`,
			},
		},
		{
			name: "user changed",
			change: func(f *fakeAPI, ids map[string]string) {
				f.users[ids["alice"]].Name = "Alicia"
				f.users[ids["alice"]].Status = "suspended"
			},
			want: []string{`user alice@example.com: name: "Alice" -> "Alicia"`, `user alice@example.com: status: "active" -> "suspended"`},
		},
		{
			name:   "user deleted",
			change: func(f *fakeAPI, ids map[string]string) { delete(f.users, ids["bob"]) },
			want:   []string{"user bob@example.com: deleted since the plan was made"},
		},
		{
			name:   "user created meanwhile",
			change: func(f *fakeAPI, ids map[string]string) { f.seedUser("carol@example.com", "", "") },
			want:   []string{"user carol@example.com: created since the plan was made (id usr_7)"},
		},
		{
			name:   "account created meanwhile",
			change: func(f *fakeAPI, ids map[string]string) { f.seedAccount(ids["ops"], "new", "") },
			want:   []string{"account ops/new: created since the plan was made (id acc_7)"},
		},
		{
			name:   "member role changed",
			change: func(f *fakeAPI, ids map[string]string) { f.members[ids["member alice"]].Role = "editor" },
			want:   []string{`member ops/alice@example.com: role: "viewer" -> "editor"`},
		},
		{
			name:   "member created meanwhile",
			change: func(f *fakeAPI, ids map[string]string) { f.seedMember(ids["ops"], ids["dave"], "owner") },
			want:   []string{"member ops/dave@example.com: created since the plan was made (id mem_7, role owner)"},
		},
		{
			name: "account deleted with its members",
			change: func(f *fakeAPI, ids map[string]string) {
				delete(f.members, ids["member alice"])
				delete(f.accounts, ids["ops"])
			},
			want: []string{
				`account ops/new: its parent account "ops" was deleted since the plan was made`,
				`member ops/alice@example.com: its account "ops" was deleted since the plan was made`,
				`member ops/dave@example.com: its account "ops" was deleted since the plan was made`,
			},
		},
		{
			name: "app client changed",
			change: func(f *fakeAPI, ids map[string]string) {
				f.clients[ids["app"]].RedirectURLs = []string{"https://c.example.com"}
			},
			want: []string{`appClient App: redirect_urls: ["https://a.example.com"] -> ["https://c.example.com"]`},
		},
		{
			name:   "app client created meanwhile",
			change: func(f *fakeAPI, ids map[string]string) { f.seedAppClient("New", "https://x.example.com") },
			want:   []string{"appClient New: created since the plan was made (arn:aws:appfabric:us-east-1:1:appclient/uuid_7)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, p, ids := staleTenant(t)
			if tt.change != nil {
				tt.change(f, ids)
			}
			tgt := target
			if tt.target != (plan.Target{}) {
				tgt = tt.target
			}
			err := CheckStale(context.Background(), p, f, tgt)
			if f.writes != 0 {
				t.Errorf("the stale check sent %d writes", f.writes)
			}
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckStale = %v, want nil", err)
				}
				return
			}
			var se *StaleError
			if !errors.As(err, &se) {
				t.Fatalf("CheckStale = %v, want a *StaleError", err)
			}
			if d := cmp.Diff(tt.want, se.Differences); d != "" {
				t.Errorf("differences (-want +got):\n%s", d)
			}
			if strings.HasPrefix(se.Differences[0], "target:") && f.reads != 0 {
				t.Errorf("a plan for another target was checked with %d reads; want none", f.reads)
			}
		})
	}
}

func TestCheckStaleReadsOnlyWhatThePlanTouches(t *testing.T) {
	f, p, _ := staleTenant(t)
	// Resources the plan does not touch.
	other := f.seedAccount(f.root, "elsewhere", testOwner)
	for range 5 {
		f.seedMember(other.ID, f.seedUser("x"+f.id("")+"@example.com", "", "").ID, "viewer")
	}
	f.reads = 0
	if err := CheckStale(context.Background(), p, f, plan.Target{}); err != nil {
		t.Fatalf("CheckStale: %v", err)
	}
	// GET alice, GET bob (updates, deletes); the user list (carol's create); ops' children
	// (ops/new); ops' members (member changes); GET App; the app client list and GET of each
	// client the plan does not know (none here besides App, which it knows).
	if want := 7; f.reads != want {
		t.Errorf("reads = %d, want %d", f.reads, want)
	}
}

func TestCheckStaleRefusesOtherFormat(t *testing.T) {
	f := newFake()
	p := newPlan(f)
	p.FormatVersion = "2"
	if err := CheckStale(context.Background(), p, f, plan.Target{}); err == nil || !strings.Contains(err.Error(), "format version") {
		t.Errorf("CheckStale = %v, want a format version error", err)
	}
}

func TestCheckStaleReadError(t *testing.T) {
	f, p, _ := staleTenant(t)
	f.readErr = apiErr(500, "boom")
	err := CheckStale(context.Background(), p, f, plan.Target{})
	var se *StaleError
	if err == nil || errors.As(err, &se) || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("CheckStale = %v, want the read error, not a stale plan", err)
	}
}

// TestApplyThenPlanShowsNoChanges runs the whole cycle against the in-memory tenant: plan,
// stale check, apply, and a second plan that must be empty.
func TestApplyThenPlanShowsNoChanges(t *testing.T) {
	f, p, _ := staleTenant(t)
	if err := CheckStale(context.Background(), p, f, plan.Target{}); err != nil {
		t.Fatalf("CheckStale: %v", err)
	}
	res, err := Run(context.Background(), p, f, Options{Parallelism: 3}, nil)
	if err != nil {
		t.Fatalf("Run: %v\n%v", err, statuses(res))
	}
	desired := &spec.State{
		Owner: testOwner, Application: f.app, Account: f.root, Prune: true,
		Mentions: spec.Mentions{Users: true, Accounts: true, AppClients: true},
		Users:    []spec.User{{Email: "alice@example.com", Name: str("Alice L")}, {Email: "carol@example.com"}, {Email: "dave@example.com"}},
		Accounts: []spec.Account{{Path: "ops", Name: "ops"}, {Path: "ops/new", Name: "new", Parent: "ops"}},
		Members: []spec.Member{
			{AccountPath: "ops", User: "alice@example.com", Role: "admin"},
			{AccountPath: "ops", User: "dave@example.com", Role: "viewer"},
			{AccountPath: "ops", User: "carol@example.com", Role: "viewer"},
		},
		AppClients: []spec.AppClient{
			{AppName: "App", Description: str("d"), RedirectURLs: []string{"https://b.example.com"}, StarterUserEmails: []string{"s@example.com"}},
			{AppName: "New", Description: str("n"), RedirectURLs: []string{"https://n.example.com"}, StarterUserEmails: []string{"s@example.com"}},
		},
	}
	desired.Canonicalize()
	lv, err := live.Read(context.Background(), f, desired, live.Options{})
	if err != nil {
		t.Fatalf("live.Read: %v", err)
	}
	again, err := plan.Compute(desired, lv, plan.Options{MaxDeletePercent: 100})
	if err != nil {
		t.Fatalf("plan.Compute: %v", err)
	}
	if len(again.Changes) != 0 {
		var keys []string
		for _, ch := range again.Changes {
			keys = append(keys, string(ch.Action)+" "+string(ch.Kind)+" "+ch.Key)
		}
		t.Errorf("a plan after apply shows %d changes: %v", len(again.Changes), keys)
	}
}

func TestWithMaxDeletePercent(t *testing.T) {
	dc := plan.DeleteCheck{MaxPercent: 25, Counts: []plan.KindCount{
		{Kind: "users", Live: 9, Deletes: 9},
		{Kind: "members", Live: 12, Deletes: 5},
		{Kind: "total", Live: 21, Deletes: 14, Failed: true},
	}}
	tests := []struct {
		name    string
		percent float64
		want    []bool // failed: users, members, total
		failed  bool
	}{
		{"strict", 10, []bool{false, true, true}, true},
		{"exactly at the threshold passes", 100 * 5.0 / 12, []bool{false, false, true}, true},
		{"lenient", 70, []bool{false, false, false}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := WithMaxDeletePercent(dc, tt.percent)
			var failed []bool
			for _, k := range got.Counts {
				failed = append(failed, k.Failed)
			}
			if d := cmp.Diff(tt.want, failed); d != "" || got.Failed != tt.failed || got.MaxPercent != tt.percent {
				t.Errorf("verdicts (-want +got):\n%s; failed %v", d, got.Failed)
			}
		})
	}
}
