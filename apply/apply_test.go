package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/inbox-manager/inboxctl/plan"
	"github.com/inbox-manager/inboxctl/spec"
)

const testOwner = "acme-prod"

func str(s string) *string { return &s }

func newPlan(f *fakeAPI, changes ...plan.Change) *plan.Plan {
	return &plan.Plan{
		FormatVersion: plan.FormatVersion,
		Target:        plan.Target{APIURL: "https://api.example.com", Application: f.app, Account: f.root, Owner: testOwner},
		Changes:       changes,
	}
}

func dep(ch plan.Change, on ...int) plan.Change {
	ch.DependsOn = on
	return ch
}

func createUser(email string) plan.Change {
	return plan.Change{Action: plan.Create, Kind: plan.KindUser, Key: email, Cause: -1,
		After: &plan.Values{Email: email, Status: spec.StatusActive}}
}

func createAccount(path string) plan.Change {
	parent, name := spec.SplitPath(path)
	return plan.Change{Action: plan.Create, Kind: plan.KindAccount, Key: path, Cause: -1,
		After: &plan.Values{Path: path, Name: str(name), Parent: parent}}
}

func createMember(accountPath, email, role string) plan.Change {
	return plan.Change{Action: plan.Create, Kind: plan.KindMember, Key: spec.MemberKey(accountPath, email), Cause: -1,
		After: &plan.Values{AccountPath: accountPath, User: email, Role: role}}
}

func createAppClient(name string) plan.Change {
	return plan.Change{Action: plan.Create, Kind: plan.KindAppClient, Key: name, Cause: -1,
		After: &plan.Values{AppName: name, Description: str("d"), RedirectURLs: []string{"https://localhost:8080"},
			StarterUserEmails: []string{"s@example.com"}}}
}

// recorder is an Observer that keeps the events in order.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) Started(i int, ch plan.Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf("start %d", i))
}

func (r *recorder) Finished(i int, ch plan.Change, cr ChangeResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf("%s %d", cr.Status, i))
}

func statuses(r *Result) []string {
	out := make([]string, len(r.Changes))
	for i, c := range r.Changes {
		out[i] = fmt.Sprintf("%s %s %s: %s", c.Action, c.Kind, c.Key, c.Status)
	}
	return out
}

func TestRunCreatesTreeAndFillsIDs(t *testing.T) {
	f := newFake()
	p := newPlan(f,
		createUser("alice@example.com"),                                     // 0
		createAccount("ops"),                                                // 1
		dep(createAccount("ops/team-a"), 1),                                 // 2
		dep(createMember("ops/team-a", "alice@example.com", "admin"), 0, 2), // 3
		dep(createMember("", "alice@example.com", "viewer"), 0),             // 4: a root member
		createAppClient("Test App"),                                         // 5
	)
	res, err := Run(context.Background(), p, f, Options{Parallelism: 4}, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Done != 6 || res.Failed+res.Skipped+res.NotStarted != 0 || res.Interrupted {
		t.Fatalf("totals: %+v", res)
	}
	// The live tenant, keyed the way a plan keys it.
	got := map[string]string{}
	for _, u := range f.users {
		got["user "+u.Email] = "managed-by=" + u.Metadata[spec.ManagedByKey]
	}
	for _, a := range f.accounts {
		if a.ID != f.root {
			got["account "+f.pathOf(a.ID)] = "managed-by=" + a.Metadata[spec.ManagedByKey]
		}
	}
	for _, m := range f.members {
		got[f.memberKey(m.AccountID, m.UserID)] = m.Role
	}
	for _, c := range f.clients {
		got["appClient "+c.AppName] = c.VerificationDetails.VerificationStatus
	}
	want := map[string]string{
		"user alice@example.com":              "managed-by=acme-prod",
		"account ops":                         "managed-by=acme-prod",
		"account ops/team-a":                  "managed-by=acme-prod",
		"member ops/team-a/alice@example.com": "admin",
		"member /alice@example.com":           "viewer",
		"appClient Test App":                  "pending_verification",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("tenant after apply (-want +got):\n%s", d)
	}
	for i, c := range res.Changes {
		if c.ID == "" || c.Attempts != 1 {
			t.Errorf("change %d: id %q, attempts %d; want an id and 1 attempt", i, c.ID, c.Attempts)
		}
	}
}

func TestRunRespectsDependencies(t *testing.T) {
	f := newFake()
	f.delay = 2 * time.Millisecond
	// A tree three levels deep with members at each level: many changes wait for others.
	var changes []plan.Change
	add := func(ch plan.Change) int { changes = append(changes, ch); return len(changes) - 1 }
	users := make([]int, 5)
	for i := range users {
		users[i] = add(createUser(fmt.Sprintf("u%d@example.com", i)))
	}
	for a := range 3 {
		top := add(createAccount(fmt.Sprintf("a%d", a)))
		for b := range 2 {
			mid := add(dep(createAccount(fmt.Sprintf("a%d/b%d", a, b)), top))
			leaf := add(dep(createAccount(fmt.Sprintf("a%d/b%d/c", a, b)), mid))
			for u := range users {
				add(dep(createMember(fmt.Sprintf("a%d/b%d/c", a, b), fmt.Sprintf("u%d@example.com", u), "viewer"), users[u], leaf))
			}
		}
	}
	p := newPlan(f, changes...)
	rec := &recorder{}
	res, err := Run(context.Background(), p, f, Options{Parallelism: 6}, rec)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	done := map[int]bool{}
	for _, e := range rec.events {
		var i int
		var what string
		fmt.Sscanf(e, "%s %d", &what, &i)
		switch what {
		case "start":
			for _, d := range p.Changes[i].DependsOn {
				if !done[d] {
					t.Errorf("change %d started before its dependency %d was done", i, d)
				}
			}
		case "done":
			done[i] = true
		}
	}
	if res.Done != len(changes) {
		t.Errorf("done %d of %d", res.Done, len(changes))
	}
	if len(f.members) != 30 {
		t.Errorf("members created: %d, want 30", len(f.members))
	}
}

func TestRunParallelismBound(t *testing.T) {
	for _, par := range []int{1, 3, 16} {
		t.Run(fmt.Sprintf("parallelism %d", par), func(t *testing.T) {
			f := newFake()
			f.delay = 3 * time.Millisecond
			var changes []plan.Change
			for i := range 40 {
				changes = append(changes, createUser(fmt.Sprintf("u%02d@example.com", i)))
			}
			res, err := Run(context.Background(), newPlan(f, changes...), f, Options{Parallelism: par}, nil)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if res.Done != 40 {
				t.Fatalf("done %d, want 40", res.Done)
			}
			if f.maxInflight > par {
				t.Errorf("max in flight %d exceeds the parallelism %d", f.maxInflight, par)
			}
			if want := min(par, 2); f.maxInflight < want {
				t.Errorf("max in flight %d: the changes did not run in parallel (want at least %d)", f.maxInflight, want)
			}
		})
	}
}

func TestRunDefaultParallelism(t *testing.T) {
	f := newFake()
	f.delay = 5 * time.Millisecond
	var changes []plan.Change
	for i := range 30 {
		changes = append(changes, createUser(fmt.Sprintf("u%02d@example.com", i)))
	}
	if _, err := Run(context.Background(), newPlan(f, changes...), f, Options{}, nil); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if f.maxInflight > DefaultParallelism || f.maxInflight < 2 {
		t.Errorf("max in flight %d, want 2..%d", f.maxInflight, DefaultParallelism)
	}
}

func TestRunFailureSkipsDependentsOnly(t *testing.T) {
	f := newFake()
	f.fail["account ops"] = true
	p := newPlan(f,
		createAccount("ops"),                                                // 0: fails
		dep(createAccount("ops/team-a"), 0),                                 // 1: skipped
		createUser("alice@example.com"),                                     // 2: done
		dep(createMember("ops/team-a", "alice@example.com", "admin"), 1, 2), // 3: skipped (through 1)
		createAccount("sales"),                                              // 4: done
		dep(createMember("sales", "alice@example.com", "viewer"), 2, 4),     // 5: done
	)
	rec := &recorder{}
	res, err := Run(context.Background(), p, f, Options{Parallelism: 1}, rec)
	if !errors.Is(err, ErrPartial) {
		t.Fatalf("err = %v, want ErrPartial", err)
	}
	want := []string{
		"create account ops: failed",
		"create account ops/team-a: skipped",
		"create user alice@example.com: done",
		"create member ops/team-a/alice@example.com: skipped",
		"create account sales: done",
		"create member sales/alice@example.com: done",
	}
	if d := cmp.Diff(want, statuses(res)); d != "" {
		t.Errorf("statuses (-want +got):\n%s", d)
	}
	if res.Done != 3 || res.Failed != 1 || res.Skipped != 2 || res.NotStarted != 0 || res.Interrupted {
		t.Errorf("totals: done %d failed %d skipped %d not started %d interrupted %v", res.Done, res.Failed, res.Skipped, res.NotStarted, res.Interrupted)
	}
	if !strings.Contains(res.Changes[0].Error, "injected") {
		t.Errorf("failed change's error %q does not give the API's reason", res.Changes[0].Error)
	}
	for _, i := range []int{1, 3} {
		if !strings.Contains(res.Changes[i].Error, `account "ops"`) {
			t.Errorf("skipped change %d: reason %q does not name the failed account ops", i, res.Changes[i].Error)
		}
	}
	// Nothing was sent for the skipped changes.
	for _, c := range f.calls {
		if strings.Contains(c, "team-a") {
			t.Errorf("a skipped change was sent: %s", c)
		}
	}
	// Every change is reported to the observer exactly once as finished.
	finished := 0
	for _, e := range rec.events {
		if !strings.HasPrefix(e, "start") {
			finished++
		}
	}
	if finished != len(p.Changes) {
		t.Errorf("observer saw %d finished events, want %d", finished, len(p.Changes))
	}
}

func TestRunAPIRefusalFails(t *testing.T) {
	// The API's own 409 (a user delete while it is still a member) fails the change with its reason.
	f := newFake()
	u := f.seedUser("bob@example.com", "Bob", testOwner)
	a := f.seedAccount(f.root, "other", "")
	f.seedMember(a.ID, u.ID, "viewer")
	p := newPlan(f, plan.Change{Action: plan.Delete, Kind: plan.KindUser, Key: u.Email, ID: u.ID, Cause: -1,
		Before: &plan.Values{ID: u.ID, Email: u.Email, Owner: testOwner}})
	res, err := Run(context.Background(), p, f, Options{}, nil)
	if !errors.Is(err, ErrPartial) {
		t.Fatalf("err = %v, want ErrPartial", err)
	}
	if got := res.Changes[0]; got.Status != StatusFailed || !strings.Contains(got.Error, "user_has_memberships") {
		t.Errorf("result %+v, want failed with user_has_memberships", got)
	}
}

func TestRunCancellationStopsNewStarts(t *testing.T) {
	f := newFake()
	f.delay = 5 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.onWrite = func(n int) {
		if n == 3 {
			cancel() // the first SIGINT, while the third change is in flight
		}
	}
	var changes []plan.Change
	for i := range 20 {
		changes = append(changes, createUser(fmt.Sprintf("u%02d@example.com", i)))
	}
	res, err := Run(ctx, newPlan(f, changes...), f, Options{Parallelism: 2}, nil)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	if !res.Interrupted {
		t.Error("result not marked interrupted")
	}
	// In-flight changes finished (with a context the interrupt did not cancel) and nothing new
	// started after the interrupt: at most the 2 in flight when it came, plus none.
	if res.Failed != 0 {
		t.Errorf("%d changes failed; in-flight changes must finish: %+v", res.Failed, res.Changes)
	}
	if res.Done < 3 || res.Done > 4 {
		t.Errorf("done %d, want 3 or 4 (the changes in flight at the interrupt)", res.Done)
	}
	if res.Done+res.NotStarted != 20 || len(f.users) != res.Done {
		t.Errorf("done %d + not started %d != 20, or users created %d != done", res.Done, res.NotStarted, len(f.users))
	}
	for _, c := range res.Changes {
		if c.Status == StatusNotStarted && c.Attempts != 0 {
			t.Errorf("not started change %s made %d attempts", c.Key, c.Attempts)
		}
	}
}

func TestRunCancelledBeforeStart(t *testing.T) {
	f := newFake()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(ctx, newPlan(f, createUser("a@example.com"), createUser("b@example.com")), f, Options{}, nil)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	if res.NotStarted != 2 || f.writes != 0 {
		t.Errorf("not started %d, writes %d; want 2 and 0", res.NotStarted, f.writes)
	}
}

// deadlineCtx is a context whose deadline passes when expire is called, so that a test decides
// when the command's --timeout runs out.
type deadlineCtx struct {
	context.Context
	done chan struct{}
	once sync.Once
}

func newDeadlineCtx() *deadlineCtx {
	return &deadlineCtx{Context: context.Background(), done: make(chan struct{})}
}

func (c *deadlineCtx) Done() <-chan struct{} { return c.done }

func (c *deadlineCtx) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

func (c *deadlineCtx) expire() { c.once.Do(func() { close(c.done) }) }

// TestRunDeadline: a deadline is not a user interrupt. Run stops starting changes as for an
// interrupt, lets the ones in flight finish, and reports the deadline: partly applied when
// something was done, failed or skipped, and nothing changed when nothing had started.
func TestRunDeadline(t *testing.T) {
	users := func(n int) []plan.Change {
		var out []plan.Change
		for i := range n {
			out = append(out, createUser(fmt.Sprintf("u%02d@example.com", i)))
		}
		return out
	}
	t.Run("mid-run", func(t *testing.T) {
		f := newFake()
		ctx := newDeadlineCtx()
		f.onWrite = func(n int) {
			if n == 3 {
				ctx.expire()
			}
		}
		res, err := Run(ctx, newPlan(f, users(10)...), f, Options{Parallelism: 1}, nil)
		if !errors.Is(err, ErrDeadline) || !errors.Is(err, ErrPartial) || errors.Is(err, ErrInterrupted) {
			t.Fatalf("err = %v, want ErrDeadline and ErrPartial, not ErrInterrupted", err)
		}
		if want := "apply: deadline exceeded, partly applied: 3 done, 0 failed, 0 skipped, 7 not started"; err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
		if !res.DeadlineExceeded || res.Interrupted || res.Done != 3 || res.NotStarted != 7 || len(f.users) != 3 {
			t.Errorf("result: deadline %v interrupted %v done %d not started %d users %d; want true false 3 7 3",
				res.DeadlineExceeded, res.Interrupted, res.Done, res.NotStarted, len(f.users))
		}
	})
	t.Run("before any change started", func(t *testing.T) {
		f := newFake()
		ctx := newDeadlineCtx()
		ctx.expire()
		res, err := Run(ctx, newPlan(f, users(2)...), f, Options{}, nil)
		if !errors.Is(err, ErrDeadline) || errors.Is(err, ErrPartial) || errors.Is(err, ErrInterrupted) {
			t.Fatalf("err = %v, want ErrDeadline alone", err)
		}
		if want := "apply: deadline exceeded before any change started: nothing was changed"; err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
		if !res.DeadlineExceeded || res.NotStarted != 2 || f.writes != 0 {
			t.Errorf("deadline %v, not started %d, writes %d; want true, 2 and 0", res.DeadlineExceeded, res.NotStarted, f.writes)
		}
	})
	t.Run("after every change started", func(t *testing.T) {
		f := newFake()
		ctx := newDeadlineCtx()
		f.onWrite = func(n int) {
			if n == 2 {
				ctx.expire() // the last change is in flight: it finishes, nothing is left
			}
		}
		res, err := Run(ctx, newPlan(f, users(2)...), f, Options{Parallelism: 1}, nil)
		if err != nil || res.DeadlineExceeded || res.Done != 2 {
			t.Errorf("err %v, deadline %v, done %d; want a complete run", err, res.DeadlineExceeded, res.Done)
		}
	})
}

func TestRunInvalidDependencies(t *testing.T) {
	tests := []struct {
		name    string
		changes []plan.Change
		want    string
	}{
		{"out of range", []plan.Change{dep(createUser("a@example.com"), 3)}, "not in the plan"},
		{"self", []plan.Change{dep(createUser("a@example.com"), 0)}, "not in the plan"},
		{"cycle", []plan.Change{dep(createAccount("a"), 1), dep(createAccount("b"), 0)}, "cycle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			res, err := Run(context.Background(), newPlan(f, tt.changes...), f, Options{}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) || res != nil {
				t.Errorf("Run = %v, %v; want an error containing %q", res, err, tt.want)
			}
			if f.writes != 0 {
				t.Errorf("%d writes sent for an invalid plan", f.writes)
			}
		})
	}
}

func TestRunUpdatesDeletesReplaces(t *testing.T) {
	f := newFake()
	alice := f.seedUser("alice@example.com", "Alice", "")        // unmarked: adopted
	bob := f.seedUser("bob@example.com", "Bob", testOwner)       // deleted
	carol := f.seedUser("carol@example.com", "Carol", testOwner) // suspended
	sales := f.seedAccount(f.root, "sales", testOwner)           // renamed
	old := f.seedAccount(f.root, "old", testOwner)               // deleted with its member
	mSales := f.seedMember(sales.ID, carol.ID, "viewer")         // role changes
	mOld := f.seedMember(old.ID, bob.ID, "viewer")               // deleted first
	app := f.seedAppClient("App", "https://a.example.com")       // redirect URLs change
	rep := f.seedAppClient("Rep", "https://r.example.com")       // replaced
	gone := f.seedAppClient("Gone", "https://g.example.com")     // deleted

	p := newPlan(f,
		plan.Change{Action: plan.Update, Kind: plan.KindUser, Key: alice.Email, ID: alice.ID, Cause: -1,
			Before: &plan.Values{ID: alice.ID, Email: alice.Email, Name: str("Alice"), Status: "active"},
			After:  &plan.Values{Email: alice.Email, Name: str("Alice Liddell"), Status: "active"}},
		plan.Change{Action: plan.Update, Kind: plan.KindUser, Key: carol.Email, ID: carol.ID, Cause: -1,
			Before: &plan.Values{ID: carol.ID, Email: carol.Email, Name: str("Carol"), Status: "active", Owner: testOwner},
			After:  &plan.Values{Email: carol.Email, Status: "suspended"}},
		plan.Change{Action: plan.Update, Kind: plan.KindAccount, Key: "sales-emea", ID: sales.ID, Cause: -1,
			Before: &plan.Values{ID: sales.ID, Path: "sales", Name: str("sales"), Owner: testOwner},
			After:  &plan.Values{Path: "sales-emea", Name: str("sales-emea")}},
		plan.Change{Action: plan.Update, Kind: plan.KindMember, Key: "sales-emea/carol@example.com", ID: mSales.ID, Cause: -1,
			Before: &plan.Values{ID: mSales.ID, AccountPath: "sales", User: carol.Email, UserID: carol.ID, Role: "viewer"},
			After:  &plan.Values{AccountPath: "sales-emea", AccountID: sales.ID, User: carol.Email, Role: "admin"}},
		plan.Change{Action: plan.Delete, Kind: plan.KindMember, Key: "old/bob@example.com", ID: mOld.ID, Cause: 5,
			Before: &plan.Values{ID: mOld.ID, AccountPath: "old", User: bob.Email, UserID: bob.ID, Role: "viewer"}},
		dep(plan.Change{Action: plan.Delete, Kind: plan.KindAccount, Key: "old", ID: old.ID, Cause: -1,
			Before: &plan.Values{ID: old.ID, Path: "old", Name: str("old"), Owner: testOwner}}, 4),
		dep(plan.Change{Action: plan.Delete, Kind: plan.KindUser, Key: bob.Email, ID: bob.ID, Cause: -1,
			Before: &plan.Values{ID: bob.ID, Email: bob.Email, Owner: testOwner}}, 4),
		plan.Change{Action: plan.Update, Kind: plan.KindAppClient, Key: "App", ID: spec.AppClientIDFromARN(app.ARN), Cause: -1,
			Before: &plan.Values{AppName: "App", ARN: app.ARN, RedirectURLs: app.RedirectURLs},
			After:  &plan.Values{AppName: "App", RedirectURLs: []string{"https://b.example.com"}}},
		plan.Change{Action: plan.Replace, Kind: plan.KindAppClient, Key: "Rep", Cause: -1,
			Before: &plan.Values{AppName: "Rep", ARN: rep.ARN, Description: str("d")},
			After: &plan.Values{AppName: "Rep", Description: str("new"), RedirectURLs: []string{"https://r.example.com"},
				StarterUserEmails: []string{"t@example.com"}}},
		plan.Change{Action: plan.Delete, Kind: plan.KindAppClient, Key: "Gone", ID: spec.AppClientIDFromARN(gone.ARN), Cause: -1,
			Before: &plan.Values{AppName: "Gone", ARN: gone.ARN}},
	)
	res, err := Run(context.Background(), p, f, Options{}, nil)
	if err != nil {
		t.Fatalf("Run: %v\n%v", err, statuses(res))
	}
	type userState struct{ Name, Status, Owner string }
	gotUsers := map[string]userState{}
	for _, u := range f.users {
		gotUsers[u.Email] = userState{u.Name, u.Status, u.Metadata[spec.ManagedByKey]}
	}
	wantUsers := map[string]userState{
		"alice@example.com": {"Alice Liddell", "active", testOwner}, // adopted: marker set
		"carol@example.com": {"Carol", "suspended", testOwner},      // name not declared: kept
	}
	if d := cmp.Diff(wantUsers, gotUsers); d != "" {
		t.Errorf("users (-want +got):\n%s", d)
	}
	gotAccounts := map[string]string{}
	for _, a := range f.accounts {
		if a.ID != f.root {
			gotAccounts[f.pathOf(a.ID)] = a.ID
		}
	}
	if d := cmp.Diff(map[string]string{"sales-emea": sales.ID}, gotAccounts); d != "" {
		t.Errorf("accounts (-want +got):\n%s", d)
	}
	if len(f.members) != 1 || f.members[mSales.ID].Role != "admin" {
		t.Errorf("members: %v, want only %s with role admin", f.members, mSales.ID)
	}
	gotClients := map[string][]string{}
	for id, c := range f.clients {
		gotClients[c.AppName] = append(c.RedirectURLs, c.Description)
		if c.AppName == "Rep" && c.ARN == rep.ARN {
			t.Errorf("replaced app client kept its ARN %s", rep.ARN)
		}
		if c.AppName == "Rep" && res.Changes[8].ID != id {
			t.Errorf("replace result id %q, want the new id %q", res.Changes[8].ID, id)
		}
	}
	wantClients := map[string][]string{"App": {"https://b.example.com", "d"}, "Rep": {"https://r.example.com", "new"}}
	if d := cmp.Diff(wantClients, gotClients); d != "" {
		t.Errorf("app clients (-want +got):\n%s", d)
	}
	if res.Changes[8].Attempts != 2 {
		t.Errorf("replace made %d calls, want 2 (delete then create)", res.Changes[8].Attempts)
	}
}

func TestRunLooksUpUnknownIDs(t *testing.T) {
	// A plan that gives neither the account id nor the user id of a new member of an existing
	// account: apply finds them by reading the tree and the user list.
	f := newFake()
	ops := f.seedAccount(f.root, "ops", testOwner)
	team := f.seedAccount(ops.ID, "team", testOwner)
	u := f.seedUser("dave@example.com", "", testOwner)
	p := newPlan(f, createMember("ops/team", "dave@example.com", "editor"), createAccount("ops/team/sub"))
	res, err := Run(context.Background(), p, f, Options{}, nil)
	if err != nil {
		t.Fatalf("Run: %v %v", err, res.Changes)
	}
	var got []string
	for _, m := range f.members {
		got = append(got, m.AccountID+" "+m.UserID+" "+m.Role)
	}
	if d := cmp.Diff([]string{team.ID + " " + u.ID + " editor"}, got); d != "" {
		t.Errorf("members (-want +got):\n%s", d)
	}
	if res.Changes[1].Status != StatusDone || f.accounts[res.Changes[1].ID].ParentID != team.ID {
		t.Errorf("sub account not created under ops/team: %+v", res.Changes[1])
	}

	// An account that does not exist fails the change, naming it.
	p = newPlan(f, createMember("nowhere", "dave@example.com", "editor"))
	res, _ = Run(context.Background(), p, f, Options{}, nil)
	if res.Changes[0].Status != StatusFailed || !strings.Contains(res.Changes[0].Error, "account nowhere does not exist") {
		t.Errorf("result %+v, want failed naming the missing account", res.Changes[0])
	}
}
