package live_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/inbox-manager/inboxctl/api"
	"github.com/inbox-manager/inboxctl/auth"
	"github.com/inbox-manager/inboxctl/live"
	"github.com/inbox-manager/inboxctl/sandbox"
	"github.com/inbox-manager/inboxctl/sandbox/sandboxtest"
	"github.com/inbox-manager/inboxctl/spec"
)

// newClient returns an API client authenticated against srv with the development credentials,
// and its token source.
func newClient(t testing.TB, srv *sandbox.Server) (*api.Client, *auth.Source) {
	t.Helper()
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 64
	t.Cleanup(base.CloseIdleConnections)
	src, err := auth.New(auth.Config{
		TokenURL: srv.TokenURL(), RevokeURL: srv.RevokeURL(), Audience: sandbox.DefaultAudience,
		ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
		HTTPClient: &http.Client{Transport: base, Timeout: 10 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := api.New(srv.URL(), &http.Client{Transport: src.Transport(base)}, api.Options{BaseBackoff: 5 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c, src
}

var all = spec.Mentions{Users: true, Accounts: true, RootMembers: true, AppClients: true}

func scope(m spec.Mentions) *spec.State {
	return &spec.State{Owner: "acme", Application: sandbox.DefaultApplicationID, Account: sandbox.DefaultRootAccountID, Prune: true, Mentions: m}
}

// tenant is a seeded sandbox tenant and the live state it must read as.
type tenant struct {
	data sandbox.SeedData
	want *spec.State // for all kinds; without ids (they are filled from the seed result)
}

// smallTenant: users marked, unmarked and another owner's; a three-level tree; root and child
// members; two app clients created over HTTP by the test.
func smallTenant(accounts int) tenant {
	mark := func(o string) map[string]string { return map[string]string{spec.ManagedByKey: o} }
	d := sandbox.SeedData{
		Users: []sandbox.SeedUser{
			{Email: "Alice@Example.com", Name: "Alice", Metadata: mark("acme")},
			{Email: "bob@example.com", Status: spec.StatusSuspended},
			{Email: "carol@example.com", Name: "Carol", Metadata: mark("other")},
		},
		Accounts: []sandbox.SeedAccount{{Path: "ops", Metadata: mark("acme")}, {Path: "ops/team-a"}, {Path: "sales", Metadata: mark("other")}},
		Members: []sandbox.SeedMember{
			{AccountPath: "", Email: "alice@example.com", Role: spec.RoleOwner},
			{AccountPath: "ops", Email: "bob@example.com", Role: spec.RoleViewer},
			{AccountPath: "ops/team-a", Email: "alice@example.com", Role: spec.RoleEditor},
			{AccountPath: "ops/team-a", Email: "carol@example.com", Role: spec.RoleAdmin},
		},
	}
	for i := range accounts {
		d.Accounts = append(d.Accounts, sandbox.SeedAccount{Path: fmt.Sprintf("ops/team-a/n%03d", i)})
		d.Members = append(d.Members, sandbox.SeedMember{AccountPath: fmt.Sprintf("ops/team-a/n%03d", i), Email: "bob@example.com", Role: spec.RoleViewer})
	}
	name := func(s string) *string { return &s }
	w := scope(all)
	w.Users = []spec.User{
		{Email: "alice@example.com", Name: name("Alice"), Status: "active", Owner: "acme"},
		{Email: "bob@example.com", Name: name(""), Status: "suspended"},
		{Email: "carol@example.com", Name: name("Carol"), Status: "active", Owner: "other"},
	}
	w.Accounts = []spec.Account{
		{Path: "ops", Name: "ops", Owner: "acme"},
		{Path: "ops/team-a", Name: "team-a", Parent: "ops"},
		{Path: "sales", Name: "sales", Owner: "other"},
	}
	for _, m := range d.Members {
		w.Members = append(w.Members, spec.Member{AccountPath: m.AccountPath, User: m.Email, Role: m.Role})
	}
	for i := range accounts {
		w.Accounts = append(w.Accounts, spec.Account{Path: fmt.Sprintf("ops/team-a/n%03d", i), Name: fmt.Sprintf("n%03d", i), Parent: "ops/team-a"})
	}
	w.AppClients = []spec.AppClient{
		{AppName: "App One", Description: name("first"), RedirectURLs: []string{"http://localhost:8080/cb", "https://one.example.com/cb"},
			StarterUserEmails: []string{"starter@example.com"}, CustomerManagedKeyARN: name(""), VerificationStatus: "pending_verification"},
		{AppName: "App Two", Description: name(""), RedirectURLs: []string{"https://two.example.com"},
			StarterUserEmails: []string{"two@example.com"}, CustomerManagedKeyARN: name("arn:aws:kms:us-east-1:111122223333:key/abc"), VerificationStatus: "pending_verification"},
	}
	return tenant{data: d, want: w}
}

// seed loads t into srv (app clients over HTTP) and fills the ids of t.want.
func (tn tenant) seed(t testing.TB, srv *sandbox.Server, c *api.Client) {
	t.Helper()
	ctx := context.Background()
	res, err := srv.Seed(ctx, tn.data)
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]string{}
	for i := range tn.want.Users {
		u := &tn.want.Users[i]
		u.ID = res.UserIDs[u.Email]
		users[u.Email] = u.ID
	}
	for i := range tn.want.Accounts {
		tn.want.Accounts[i].ID = res.AccountIDs[tn.want.Accounts[i].Path]
	}
	for i := range tn.want.Members {
		tn.want.Members[i].UserID = users[tn.want.Members[i].User]
	}
	for i := range tn.want.AppClients {
		a := &tn.want.AppClients[i]
		created, err := c.CreateAppClient(ctx, api.CreateAppClientRequest{AppName: a.AppName, Description: *a.Description,
			RedirectURLs: a.RedirectURLs, StarterUserEmails: a.StarterUserEmails, CustomerManagedKeyIdentifier: *a.CustomerManagedKeyARN})
		if err != nil {
			t.Fatal(err)
		}
		a.ARN = created.ARN
	}
	tn.want.Canonicalize()
}

// forMentions cuts the full expected state down to what a read with m returns.
func forMentions(full *spec.State, m spec.Mentions) *spec.State {
	w := *full
	w.Mentions = m
	w.Users, w.Accounts, w.Members, w.AppClients = nil, nil, nil, nil
	if m.Users {
		w.Users = full.Users
	}
	if m.Accounts {
		w.Accounts = full.Accounts
	}
	for _, mem := range full.Members {
		if (mem.AccountPath == "" && m.RootMembers) || (mem.AccountPath != "" && m.Accounts) {
			w.Members = append(w.Members, mem)
		}
	}
	if m.AppClients {
		w.AppClients = full.AppClients
	}
	return &w
}

// memberIDs are server-made and not in the seed result: compare members without them.
func clearMemberIDs(s *spec.State) {
	for i := range s.Members {
		s.Members[i].ID = ""
	}
}

func TestReadSandbox(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	c, _ := newClient(t, srv)
	tn := smallTenant(0)
	tn.seed(t, srv, c)
	// accounts in the subtree: root, ops, ops/team-a, sales
	tests := []struct {
		name         string
		mentions     spec.Mentions
		wantRequests int64
	}{
		// GET root + one users page + one children list per account (4) + one members list per
		// child account (3) + root members (1) + one app client list + one GET per client (2)
		{name: "everything", mentions: all, wantRequests: 1 + 1 + 4 + 3 + 1 + 1 + 2},
		{name: "users only", mentions: spec.Mentions{Users: true}, wantRequests: 1 + 1},
		{name: "accounts (users read for member emails)", mentions: spec.Mentions{Accounts: true}, wantRequests: 1 + 1 + 4 + 3},
		{name: "root members only", mentions: spec.Mentions{RootMembers: true}, wantRequests: 1 + 1 + 1},
		{name: "app clients only", mentions: spec.Mentions{AppClients: true}, wantRequests: 1 + 1 + 2},
		{name: "nothing", wantRequests: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n api.Counter
			before := srv.Stats().APIRequests
			got, err := live.Read(api.WithCounter(context.Background(), &n), c, scope(tt.mentions), live.Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := forMentions(tn.want, tt.mentions)
			clearMemberIDs(got)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("live state (-want +got):\n%s", d)
			}
			if got := n.Requests.Load(); got != tt.wantRequests {
				t.Errorf("client counted %d requests, want %d", got, tt.wantRequests)
			}
			if got := srv.Stats().APIRequests - before; got != tt.wantRequests {
				t.Errorf("sandbox saw %d API requests, want %d", got, tt.wantRequests)
			}
		})
	}
}

func TestReadSandboxPages(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	c, _ := newClient(t, srv)
	var d sandbox.SeedData
	for i := range api.MaxPageSize + 1 {
		d.Users = append(d.Users, sandbox.SeedUser{Email: fmt.Sprintf("u%04d@example.com", i)})
		d.Members = append(d.Members, sandbox.SeedMember{Email: fmt.Sprintf("u%04d@example.com", i), Role: spec.RoleViewer})
	}
	if _, err := srv.Seed(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	var n api.Counter
	got, err := live.Read(api.WithCounter(context.Background(), &n), c, scope(spec.Mentions{Users: true, RootMembers: true}), live.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Users) != api.MaxPageSize+1 || len(got.Members) != api.MaxPageSize+1 {
		t.Errorf("read %d users and %d members, want %d of each", len(got.Users), len(got.Members), api.MaxPageSize+1)
	}
	// GET root, two pages of users, two pages of root members: pages of the largest size
	if got := n.Requests.Load(); got != 5 {
		t.Errorf("%d requests, want 5", got)
	}
}

func TestReadSandboxMissingRoot(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	c, _ := newClient(t, srv)
	s := scope(all)
	s.Account = "acc_nope"
	var n api.Counter
	_, err := live.Read(api.WithCounter(context.Background(), &n), c, s, live.Options{})
	if !api.IsNotFound(err) {
		t.Fatalf("error %v, want a not-found error", err)
	}
	if got := n.Requests.Load(); got != 1 {
		t.Errorf("%d requests after a missing root, want 1", got)
	}
}

func TestReadSandboxShortTokens(t *testing.T) {
	if testing.Short() {
		t.Skip("a read that outlives several tokens")
	}
	srv := sandboxtest.New(t, sandbox.Options{TokenTTL: time.Second, Latency: 40 * time.Millisecond})
	c, _ := newClient(t, srv)
	tn := smallTenant(120)
	tn.seed(t, srv, c)
	tokensBefore := srv.Stats().TokenRequests
	start := time.Now()
	got, err := live.Read(context.Background(), c, scope(all), live.Options{Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	clearMemberIDs(got)
	if d := cmp.Diff(tn.want, got); d != "" {
		t.Errorf("live state (-want +got):\n%s", d)
	}
	if took < 2*time.Second {
		t.Fatalf("the read took %v: too short to outlive a 1 s token", took)
	}
	if n := srv.Stats().TokenRequests - tokensBefore; n < 2 {
		t.Errorf("%d tokens obtained during a %v read with 1 s tokens, want a renewal", n, took)
	}
}

func TestReadSandboxFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("a read through injected faults")
	}
	srv := sandboxtest.New(t, sandbox.Options{})
	c, _ := newClient(t, srv)
	tn := smallTenant(20)
	tn.seed(t, srv, c)
	srv.SetFailRate(0.3)
	srv.SetRateLimit(20)
	var n api.Counter
	got, err := live.Read(api.WithCounter(context.Background(), &n), c, scope(all), live.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clearMemberIDs(got)
	if d := cmp.Diff(tn.want, got); d != "" {
		t.Errorf("live state (-want +got):\n%s", d)
	}
	st := srv.Stats()
	if st.Faults503 == 0 {
		t.Errorf("no 503 was injected: the test tests nothing")
	}
	min := int64(1 + 1 + 24 + 23 + 1 + 1 + 2)
	if n.Requests.Load() <= min {
		t.Errorf("%d requests through faults, want more than the %d of a clean read", n.Requests.Load(), min)
	}
}
