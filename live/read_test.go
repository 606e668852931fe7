package live

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/inbox-manager/inboxctl/api"
	"github.com/inbox-manager/inboxctl/spec"
)

// fakeClient is an in-memory tenant that counts calls and the calls in flight.
type fakeClient struct {
	users    []api.User
	accounts map[string]api.Account   // by id
	children map[string][]api.Account // by parent id
	members  map[string][]api.Member  // by account id
	clients  map[string]api.AppClient // by id
	fail     map[string]error         // by "method id"
	delay    time.Duration

	mu             sync.Mutex
	calls          map[string]int
	inFlight, peak int64
}

func (f *fakeClient) enter(method, id string) error {
	n := atomic.AddInt64(&f.inFlight, 1)
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[method]++
	if n > f.peak {
		f.peak = n
	}
	err := f.fail[method+" "+id]
	f.mu.Unlock()
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	atomic.AddInt64(&f.inFlight, -1)
	return err
}

func (f *fakeClient) ListUsers(ctx context.Context, app string) ([]api.User, error) {
	if err := f.enter("ListUsers", app); err != nil {
		return nil, err
	}
	return f.users, nil
}

func (f *fakeClient) GetAccount(ctx context.Context, id string) (*api.Account, error) {
	if err := f.enter("GetAccount", id); err != nil {
		return nil, err
	}
	a, ok := f.accounts[id]
	if !ok {
		return nil, errors.New("not found")
	}
	return &a, nil
}

func (f *fakeClient) ListChildAccounts(ctx context.Context, id string) ([]api.Account, error) {
	if err := f.enter("ListChildAccounts", id); err != nil {
		return nil, err
	}
	return f.children[id], nil
}

func (f *fakeClient) ListMembers(ctx context.Context, id string) ([]api.Member, error) {
	if err := f.enter("ListMembers", id); err != nil {
		return nil, err
	}
	return f.members[id], nil
}

func (f *fakeClient) ListAppClients(ctx context.Context) ([]api.AppClientSummary, error) {
	if err := f.enter("ListAppClients", ""); err != nil {
		return nil, err
	}
	var out []api.AppClientSummary
	for _, c := range f.clients {
		out = append(out, api.AppClientSummary{AppClientARN: c.ARN})
	}
	return out, nil
}

func (f *fakeClient) GetAppClient(ctx context.Context, id string) (*api.AppClient, error) {
	if err := f.enter("GetAppClient", id); err != nil {
		return nil, err
	}
	c, ok := f.clients[id]
	if !ok {
		return nil, errors.New("not found")
	}
	return &c, nil
}

// newFake builds a small tenant: root acc_root with ops (marked) -> team-a, and sales
// (unmarked); users alice (marked), bob, and a member of ops whose user is foreign.
func newFake() *fakeClient {
	mark := map[string]string{spec.ManagedByKey: "acme"}
	acc := func(id, parent, name string, md map[string]string) api.Account {
		return api.Account{ID: id, ParentID: parent, Name: name, Metadata: md}
	}
	ops, teamA, sales := acc("acc_ops", "acc_root", "ops", mark), acc("acc_ta", "acc_ops", "team-a", nil), acc("acc_sales", "acc_root", "sales", nil)
	arn := "arn:aws:appfabric:us-east-1:1:appclient/"
	return &fakeClient{
		users: []api.User{
			{ID: "usr_a", Email: "Alice@Example.com", Name: "Alice", Status: "active", Metadata: mark},
			{ID: "usr_b", Email: "bob@example.com", Status: "suspended"},
		},
		accounts: map[string]api.Account{"acc_root": acc("acc_root", "", "root", nil), "acc_ops": ops, "acc_ta": teamA, "acc_sales": sales},
		children: map[string][]api.Account{"acc_root": {sales, ops}, "acc_ops": {teamA}},
		members: map[string][]api.Member{
			"acc_root": {{ID: "mem_r", AccountID: "acc_root", UserID: "usr_a", Role: "owner"}},
			"acc_ops": {
				{ID: "mem_1", AccountID: "acc_ops", UserID: "usr_b", Role: "viewer"},
				{ID: "mem_x", AccountID: "acc_ops", UserID: "usr_foreign", Role: "admin"},
			},
			"acc_ta": {{ID: "mem_2", AccountID: "acc_ta", UserID: "usr_a", Role: "editor"}},
		},
		clients: map[string]api.AppClient{
			"u1": {AppName: "Zed", ARN: arn + "u1", Description: "z", RedirectURLs: []string{"https://b", "https://a"},
				StarterUserEmails: []string{"X@Example.com"}, VerificationDetails: api.VerificationDetails{VerificationStatus: "verified"}},
			"u2": {AppName: "Alpha", ARN: arn + "u2", CustomerManagedKeyARN: "arn:k", RedirectURLs: []string{"http://localhost"},
				StarterUserEmails: []string{"y@example.com"}, VerificationDetails: api.VerificationDetails{VerificationStatus: "pending_verification"}},
		},
	}
}

func ptr(s string) *string { return &s }

func TestRead(t *testing.T) {
	arn := "arn:aws:appfabric:us-east-1:1:appclient/"
	users := []spec.User{
		{Email: "alice@example.com", Name: ptr("Alice"), Status: "active", ID: "usr_a", Owner: "acme"},
		{Email: "bob@example.com", Name: ptr(""), Status: "suspended", ID: "usr_b"},
	}
	accounts := []spec.Account{
		{Path: "ops", Name: "ops", ID: "acc_ops", Owner: "acme"},
		{Path: "ops/team-a", Name: "team-a", Parent: "ops", ID: "acc_ta"},
		{Path: "sales", Name: "sales", ID: "acc_sales"},
	}
	childMembers := []spec.Member{
		{AccountPath: "ops", User: "bob@example.com", Role: "viewer", ID: "mem_1", UserID: "usr_b"},
		{AccountPath: "ops/team-a", User: "alice@example.com", Role: "editor", ID: "mem_2", UserID: "usr_a"},
	}
	rootMember := spec.Member{User: "alice@example.com", Role: "owner", ID: "mem_r", UserID: "usr_a"}
	clients := []spec.AppClient{
		{AppName: "Alpha", Description: ptr(""), RedirectURLs: []string{"http://localhost"}, StarterUserEmails: []string{"y@example.com"},
			CustomerManagedKeyARN: ptr("arn:k"), ARN: arn + "u2", VerificationStatus: "pending_verification"},
		{AppName: "Zed", Description: ptr("z"), RedirectURLs: []string{"https://a", "https://b"}, StarterUserEmails: []string{"x@example.com"},
			CustomerManagedKeyARN: ptr(""), ARN: arn + "u1", VerificationStatus: "verified"},
	}
	tests := []struct {
		name      string
		mentions  spec.Mentions
		want      func(s *spec.State)
		wantCalls map[string]int
	}{
		{
			name:      "nothing mentioned reads only the root",
			want:      func(s *spec.State) {},
			wantCalls: map[string]int{"GetAccount": 1},
		},
		{
			name:      "users only",
			mentions:  spec.Mentions{Users: true},
			want:      func(s *spec.State) { s.Users = users },
			wantCalls: map[string]int{"GetAccount": 1, "ListUsers": 1},
		},
		{
			name:     "accounts read the subtree and its members, users for their emails",
			mentions: spec.Mentions{Accounts: true},
			want: func(s *spec.State) {
				s.Accounts = accounts
				s.Members = childMembers
			},
			// one children list per account (root + 3), one members list per child account
			wantCalls: map[string]int{"GetAccount": 1, "ListUsers": 1, "ListChildAccounts": 4, "ListMembers": 3},
		},
		{
			name:      "root members only",
			mentions:  spec.Mentions{RootMembers: true},
			want:      func(s *spec.State) { s.Members = []spec.Member{rootMember} },
			wantCalls: map[string]int{"GetAccount": 1, "ListUsers": 1, "ListMembers": 1},
		},
		{
			name:      "app clients: one list and one GET each",
			mentions:  spec.Mentions{AppClients: true},
			want:      func(s *spec.State) { s.AppClients = clients },
			wantCalls: map[string]int{"GetAccount": 1, "ListAppClients": 1, "GetAppClient": 2},
		},
		{
			name:     "everything",
			mentions: spec.Mentions{Users: true, Accounts: true, RootMembers: true, AppClients: true},
			want: func(s *spec.State) {
				s.Users = users
				s.Accounts = accounts
				s.Members = append([]spec.Member{rootMember}, childMembers...)
				s.AppClients = clients
			},
			wantCalls: map[string]int{"GetAccount": 1, "ListUsers": 1, "ListChildAccounts": 4, "ListMembers": 4, "ListAppClients": 1, "GetAppClient": 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			scope := &spec.State{Owner: "acme", Application: "app_demo", Account: "acc_root", Prune: true, Mentions: tt.mentions,
				Ignore: spec.Ignore{Users: []string{"*@x.com"}}}
			got, err := Read(context.Background(), f, scope, Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := &spec.State{Owner: "acme", Application: "app_demo", Account: "acc_root", Prune: true, Mentions: tt.mentions,
				Ignore: spec.Ignore{Users: []string{"*@x.com"}}}
			tt.want(want)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("state (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.wantCalls, f.calls); d != "" {
				t.Errorf("calls (-want +got):\n%s", d)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	boom := errors.New("boom")
	all := spec.Mentions{Users: true, Accounts: true, RootMembers: true, AppClients: true}
	tests := []struct {
		name  string
		scope *spec.State
		fail  map[string]error
		want  error // errors.Is target; nil means any error
	}{
		{name: "no scope", scope: nil},
		{name: "no root account", scope: &spec.State{Application: "app_demo", Mentions: all}},
		{name: "no application", scope: &spec.State{Account: "acc_root", Mentions: all}},
		{name: "missing root", scope: &spec.State{Application: "app_demo", Account: "acc_nope", Mentions: all}},
		{name: "root read fails", fail: map[string]error{"GetAccount acc_root": boom}, want: boom},
		{name: "users fail", fail: map[string]error{"ListUsers app_demo": boom}, want: boom},
		{name: "a deep children list fails", fail: map[string]error{"ListChildAccounts acc_ops": boom}, want: boom},
		{name: "a members list fails", fail: map[string]error{"ListMembers acc_ta": boom}, want: boom},
		{name: "app client list fails", fail: map[string]error{"ListAppClients ": boom}, want: boom},
		{name: "one app client fails", fail: map[string]error{"GetAppClient u2": boom}, want: boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.fail = tt.fail
			scope := tt.scope
			if scope == nil && tt.name != "no scope" {
				scope = &spec.State{Application: "app_demo", Account: "acc_root", Mentions: all}
			}
			got, err := Read(context.Background(), f, scope, Options{})
			if err == nil {
				t.Fatalf("Read succeeded with %d users, want an error", len(got.Users))
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v does not wrap %v", err, tt.want)
			}
		})
	}
}

func TestReadLoopInTreeIsAnError(t *testing.T) {
	f := newFake()
	// team-a claims ops as its child: a cycle the walk must refuse rather than follow forever.
	f.children["acc_ta"] = []api.Account{f.accounts["acc_ops"]}
	_, err := Read(context.Background(), f, &spec.State{Application: "app_demo", Account: "acc_root", Mentions: spec.Mentions{Accounts: true}}, Options{})
	if err == nil {
		t.Fatal("Read of a cyclic tree succeeded")
	}
}

func TestReadBoundsParallelism(t *testing.T) {
	for _, p := range []int{1, 3} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			f := newFake()
			// a wide tree: 30 children of the root, each with members
			for i := range 30 {
				id := fmt.Sprintf("acc_%d", i)
				a := api.Account{ID: id, ParentID: "acc_root", Name: fmt.Sprintf("n%02d", i)}
				f.accounts[id] = a
				f.children["acc_root"] = append(f.children["acc_root"], a)
				f.members[id] = []api.Member{{ID: "m" + id, UserID: "usr_a", Role: "viewer"}}
			}
			f.delay = 2 * time.Millisecond
			got, err := Read(context.Background(), f, &spec.State{Application: "app_demo", Account: "acc_root",
				Mentions: spec.Mentions{Accounts: true}}, Options{Parallelism: p})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Accounts) != 33 {
				t.Errorf("read %d accounts, want 33", len(got.Accounts))
			}
			if f.peak > int64(p) {
				t.Errorf("%d calls in flight, want at most %d", f.peak, p)
			}
			if p > 1 && f.peak < 2 {
				t.Errorf("%d calls in flight, want the reads to overlap", f.peak)
			}
		})
	}
}

func TestReadCanceled(t *testing.T) {
	f := newFake()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Read(ctx, f, &spec.State{Application: "app_demo", Account: "acc_root", Mentions: spec.Mentions{Accounts: true}}, Options{Parallelism: 1})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestReadCycleBackToTheRootIsCaughtAtOnce(t *testing.T) {
	f := newFake()
	// team-a claims the root as its child: the root is reached twice, and must not be walked again.
	f.children["acc_ta"] = []api.Account{f.accounts["acc_root"]}
	_, err := Read(context.Background(), f, &spec.State{Application: "app_demo", Account: "acc_root", Mentions: spec.Mentions{Accounts: true}}, Options{})
	if want := "live: account acc_root is reached twice in the account tree"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}
