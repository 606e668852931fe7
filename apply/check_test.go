package apply

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/inbox-manager/inboxctl/live"
	"github.com/inbox-manager/inboxctl/plan"
	"github.com/inbox-manager/inboxctl/spec"
)

// deletes returns n delete changes of kind k, and m replacements.
func deletes(k plan.Kind, n, m int) []plan.Change {
	var out []plan.Change
	for i := range n + m {
		a := plan.Delete
		if i >= n {
			a = plan.Replace
		}
		out = append(out, plan.Change{Action: a, Kind: k, Key: fmt.Sprintf("%s-%d", k, i), Cause: -1})
	}
	return out
}

// counts returns the delete check a plan records: live per kind, with deletes and verdicts
// that RedoDeleteCheck must ignore.
func counts(users, accounts, members, clients int) plan.DeleteCheck {
	return plan.DeleteCheck{MaxPercent: 100, Counts: []plan.KindCount{
		{Kind: "total", Live: users + accounts + members + clients},
		{Kind: "users", Live: users}, {Kind: "accounts", Live: accounts},
		{Kind: "members", Live: members}, {Kind: "appClients", Live: clients},
	}}
}

func TestCheckDeletes(t *testing.T) {
	memberDeletes := append(deletes(plan.KindMember, 5, 0), deletes(plan.KindUser, 4, 0)...)
	tests := []struct {
		name    string
		changes []plan.Change
		check   plan.DeleteCheck
		percent float64
		force   bool
		want    string // "" for no error
		failing []string
	}{
		{"passes", deletes(plan.KindUser, 1, 0), counts(20, 0, 0, 0), 25, false, "", nil},
		{"refused", memberDeletes, counts(4, 0, 12, 4), 25, false,
			"refused by the delete check: the plan deletes more than 25% of total: 9 of 20, members: 5 of 12", []string{"total", "members"}},
		{"forced", memberDeletes, counts(4, 0, 12, 4), 25, true, "", nil},
		{"the plan's own verdict is not trusted", deletes(plan.KindUser, 12, 0),
			plan.DeleteCheck{MaxPercent: 100, Counts: []plan.KindCount{{Kind: "total", Live: 12}, {Kind: "users", Live: 12}}}, 25, false,
			"refused by the delete check: the plan deletes more than 25% of total: 12 of 12, users: 12 of 12", []string{"total", "users"}},
		{"no live counts, even forced", deletes(plan.KindUser, 12, 0), plan.DeleteCheck{}, 25, true,
			"apply: the plan deletes or replaces users but records no live count of users for the delete check", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckDeletes(&plan.Plan{Changes: tt.changes, DeleteCheck: tt.check}, tt.percent, tt.force)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckDeletes = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("CheckDeletes = %v, want an error containing %q", err, tt.want)
			}
			var re *RefusedError
			if errors.As(err, &re) != (tt.failing != nil) {
				t.Fatalf("CheckDeletes = %v (%T): a *RefusedError is wanted exactly when kinds fail", err, err)
			}
			if re == nil {
				return
			}
			var kinds []string
			for _, k := range re.Failing {
				kinds = append(kinds, k.Kind)
			}
			if d := cmp.Diff(tt.failing, kinds); d != "" {
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
			name:   "the same URL with credentials in it",
			change: func(*fakeAPI, map[string]string) {},
			target: plan.Target{APIURL: "https://admin:s3cret@api.example.com/", Application: "app_demo"},
		},
		{
			name:   "another URL with credentials in it",
			target: plan.Target{APIURL: "https://admin:s3cret@other.example.com", Application: "app_demo"},
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

func TestRedoDeleteCheck(t *testing.T) {
	// A plan that deletes 9 users, 5 members (4 of them following the user deletes) and
	// replaces 1 app client; its recorded deletes (0) and verdicts are wrong on purpose.
	changes := append(append(deletes(plan.KindUser, 9, 0), deletes(plan.KindMember, 5, 0)...), deletes(plan.KindAppClient, 0, 1)...)
	changes = append(changes, createUser("new@example.com"))
	tests := []struct {
		name    string
		changes []plan.Change
		check   plan.DeleteCheck
		percent float64
		want    plan.DeleteCheck
		wantErr string
	}{
		{"strict", changes, counts(9, 0, 12, 2), 10, plan.DeleteCheck{MaxPercent: 10, Failed: true, Counts: []plan.KindCount{
			{Kind: "total", Live: 23, Deletes: 15, Failed: true},
			{Kind: "users", Live: 9, Deletes: 9}, // fewer than 10 live: not checked
			{Kind: "accounts"},
			{Kind: "members", Live: 12, Deletes: 5, Failed: true},
			{Kind: "appClients", Live: 2, Deletes: 1},
		}}, ""},
		{"exactly at the threshold passes", changes, counts(9, 0, 12, 2), 100 * 5.0 / 12, plan.DeleteCheck{MaxPercent: 100 * 5.0 / 12, Failed: true, Counts: []plan.KindCount{
			{Kind: "total", Live: 23, Deletes: 15, Failed: true},
			{Kind: "users", Live: 9, Deletes: 9},
			{Kind: "accounts"},
			{Kind: "members", Live: 12, Deletes: 5},
			{Kind: "appClients", Live: 2, Deletes: 1},
		}}, ""},
		{"lenient", changes, counts(9, 0, 12, 2), 70, plan.DeleteCheck{MaxPercent: 70, Counts: []plan.KindCount{
			{Kind: "total", Live: 23, Deletes: 15},
			{Kind: "users", Live: 9, Deletes: 9},
			{Kind: "accounts"},
			{Kind: "members", Live: 12, Deletes: 5},
			{Kind: "appClients", Live: 2, Deletes: 1},
		}}, ""},
		// L holds at least what the plan deletes: a live count below it was not made by inboxctl.
		{"live below deletes counts the deletes", deletes(plan.KindUser, 12, 0), counts(0, 0, 0, 0), 25, plan.DeleteCheck{MaxPercent: 25, Failed: true, Counts: []plan.KindCount{
			{Kind: "total", Live: 12, Deletes: 12, Failed: true},
			{Kind: "users", Live: 12, Deletes: 12, Failed: true},
			{Kind: "accounts"}, {Kind: "members"}, {Kind: "appClients"},
		}}, ""},
		{"no deletes needs no counts", []plan.Change{createUser("a@example.com")}, plan.DeleteCheck{}, 25, plan.DeleteCheck{MaxPercent: 25, Counts: []plan.KindCount{
			{Kind: "total"}, {Kind: "users"}, {Kind: "accounts"}, {Kind: "members"}, {Kind: "appClients"},
		}}, ""},
		{"no counts at all", changes, plan.DeleteCheck{}, 25, plan.DeleteCheck{}, "records no live count of users"},
		{"the replaced kind's count is missing", changes, plan.DeleteCheck{Counts: []plan.KindCount{{Kind: "users", Live: 9}, {Kind: "members", Live: 12}}}, 25, plan.DeleteCheck{},
			"apply: the plan deletes or replaces appClients but records no live count of appClients for the delete check"},
		{"NaN threshold", changes, counts(9, 0, 12, 2), math.NaN(), plan.DeleteCheck{}, "apply: the delete check's threshold must be a percentage from 0 to 100, not NaN"},
		{"negative threshold", changes, counts(9, 0, 12, 2), -1, plan.DeleteCheck{}, "from 0 to 100, not -1"},
		{"threshold above 100", changes, counts(9, 0, 12, 2), 101, plan.DeleteCheck{}, "from 0 to 100, not 101"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RedoDeleteCheck(&plan.Plan{Changes: tt.changes, DeleteCheck: tt.check}, tt.percent)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("RedoDeleteCheck = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("RedoDeleteCheck: %v", err)
			}
			if d := cmp.Diff(tt.want, got, cmpopts.EquateNaNs()); d != "" {
				t.Errorf("delete check (-want +got):\n%s", d)
			}
		})
	}
}
