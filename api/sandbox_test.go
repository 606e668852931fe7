package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/inbox-manager/inboxctl/api"
	"github.com/inbox-manager/inboxctl/auth"
	"github.com/inbox-manager/inboxctl/sandbox"
	"github.com/inbox-manager/inboxctl/sandbox/sandboxtest"
	"golang.org/x/sync/errgroup"
)

// newClient returns an API client for srv authenticated with grant, logging to log.
func newClient(t testing.TB, srv *sandbox.Server, grant string, base http.RoundTripper, log *slog.Logger) (*api.Client, *auth.Source) {
	t.Helper()
	if base == nil {
		base = http.DefaultTransport
	}
	src, err := auth.New(auth.Config{
		TokenURL: srv.TokenURL(), RevokeURL: srv.RevokeURL(), Audience: sandbox.DefaultAudience,
		ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
		Grant: grant, Username: sandbox.DefaultUsername, Password: sandbox.DefaultPassword,
		HTTPClient: &http.Client{Transport: base}, Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := api.New(srv.URL(), &http.Client{Transport: src.Transport(base)}, api.Options{
		Logger: log, BaseBackoff: 5 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, src
}

func TestSandboxFaultsStillGiveExactlyTheRightResults(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{FailRate: 0.3, RateLimit: 20})
	c, _ := newClient(t, srv, auth.GrantClientCredentials, nil, nil)
	ctx := context.Background()
	var n api.Counter
	cctx := api.WithCounter(ctx, &n)

	var wantEmails, wantAccounts []string
	g, gctx := errgroup.WithContext(cctx)
	g.SetLimit(6)
	var mu sync.Mutex
	userIDs := map[string]string{}
	accountIDs := map[string]string{}
	for i := range 12 {
		email := fmt.Sprintf("user%02d@example.com", i)
		wantEmails = append(wantEmails, email)
		g.Go(func() error {
			u, err := c.CreateUser(gctx, sandbox.DefaultApplicationID, api.CreateUserRequest{Email: email, Name: "U", Status: "active"})
			if err != nil {
				return err
			}
			mu.Lock()
			userIDs[email] = u.ID
			mu.Unlock()
			return nil
		})
	}
	for i := range 6 {
		name := fmt.Sprintf("team-%d", i)
		wantAccounts = append(wantAccounts, name)
		g.Go(func() error {
			a, err := c.CreateAccount(gctx, sandbox.DefaultRootAccountID, api.CreateAccountRequest{Name: name, Metadata: map[string]string{"managed-by": "t"}})
			if err != nil {
				return err
			}
			mu.Lock()
			accountIDs[name] = a.ID
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	g, gctx = errgroup.WithContext(cctx)
	g.SetLimit(6)
	for _, email := range wantEmails[:6] {
		g.Go(func() error {
			_, err := c.AddMember(gctx, accountIDs["team-0"], api.CreateMemberRequest{UserID: userIDs[email], Role: "viewer"})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}

	users, err := c.ListUsers(cctx, sandbox.DefaultApplicationID)
	if err != nil {
		t.Fatal(err)
	}
	var gotEmails []string
	for _, u := range users {
		gotEmails = append(gotEmails, u.Email)
	}
	sort.Strings(gotEmails)
	if diff := cmp.Diff(wantEmails, gotEmails); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	accounts, err := c.ListChildAccounts(cctx, sandbox.DefaultRootAccountID)
	if err != nil {
		t.Fatal(err)
	}
	var gotAccounts []string
	for _, a := range accounts {
		gotAccounts = append(gotAccounts, a.Name)
	}
	sort.Strings(gotAccounts)
	if diff := cmp.Diff(wantAccounts, gotAccounts); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
	members, err := c.ListMembers(cctx, accountIDs["team-0"])
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 6 {
		t.Errorf("%d members, want 6", len(members))
	}
	st := srv.Stats()
	if st.Faults503 == 0 || n.Retries.Load() == 0 {
		t.Errorf("no faults were injected (503s %d, 429s %d, retries %d): the test tests nothing", st.Faults503, st.Faults429, n.Retries.Load())
	}
	if n.Requests.Load() != c.Requests() || st.APIRequests != c.Requests() {
		t.Errorf("requests: counter %d, client %d, sandbox %d", n.Requests.Load(), c.Requests(), st.APIRequests)
	}
	t.Logf("requests %d, retries %d, resolved %d, sandbox 503s %d, 429s %d", n.Requests.Load(), n.Retries.Load(), n.Resolved.Load(), st.Faults503, st.Faults429)
}

func TestSandboxListReadsEveryPage(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{FailRate: 0.3})
	var seed sandbox.SeedData
	for i := range 2345 {
		seed.Users = append(seed.Users, sandbox.SeedUser{Email: fmt.Sprintf("u%05d@example.com", i)})
	}
	if _, err := srv.Seed(context.Background(), seed); err != nil {
		t.Fatal(err)
	}
	c, _ := newClient(t, srv, auth.GrantClientCredentials, nil, nil)
	users, err := c.ListUsers(context.Background(), sandbox.DefaultApplicationID)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, u := range users {
		seen[u.Email] = true
	}
	if len(users) != 2345 || len(seen) != 2345 {
		t.Errorf("%d users (%d distinct), want 2345", len(users), len(seen))
	}
	if got := c.Requests() - c.Retries(); got != 3 {
		t.Errorf("%d first attempts, want 3 pages", got)
	}
}

func TestSandboxLostCreateResponseDoesNotCreateTwice(t *testing.T) {
	var dropped atomic.Int64
	srv := sandboxtest.New(t, sandbox.Options{DropResponse: func(r *http.Request) bool {
		return r.Method == http.MethodPost && dropped.Add(1) <= 2 // the first try and the first retry
	}})
	c, _ := newClient(t, srv, auth.GrantClientCredentials, nil, nil)
	ctx := context.Background()
	u, err := c.CreateUser(ctx, sandbox.DefaultApplicationID, api.CreateUserRequest{Email: "lost@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	users, err := c.ListUsers(ctx, sandbox.DefaultApplicationID)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || users[0].ID != u.ID {
		t.Errorf("users %+v, want exactly the one created (%s)", users, u.ID)
	}
	if got := srv.Stats().APIByMethod["POST"]; got < 3 {
		t.Errorf("%d POSTs, want >= 3 (two lost answers)", got)
	}
}

// tokenRecorder records every token the token endpoint issues.
type tokenRecorder struct {
	base   http.RoundTripper
	mu     sync.Mutex
	tokens []string
}

func (r *tokenRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/oauth2/token") {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if json.Unmarshal(b, &tok) == nil {
		r.mu.Lock()
		for _, s := range []string{tok.AccessToken, tok.RefreshToken} {
			if s != "" {
				r.tokens = append(r.tokens, s)
			}
		}
		r.mu.Unlock()
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

func TestSandboxNoSecretInDebugLogs(t *testing.T) {
	for _, grant := range []string{auth.GrantClientCredentials, auth.GrantPassword} {
		t.Run(grant, func(t *testing.T) {
			srv := sandboxtest.New(t, sandbox.Options{TokenTTL: time.Second, FailRate: 0.2})
			var buf bytes.Buffer
			var bufMu sync.Mutex
			log := slog.New(slog.NewJSONHandler(&lockedWriter{w: &buf, mu: &bufMu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
			rec := &tokenRecorder{base: http.DefaultTransport}
			c, src := newClient(t, srv, grant, rec, log)
			ctx := context.Background()
			deadline := time.Now().Add(2200 * time.Millisecond)
			var errs []string
			for i := 0; time.Now().Before(deadline); i++ {
				if _, err := c.CreateUser(ctx, sandbox.DefaultApplicationID, api.CreateUserRequest{Email: fmt.Sprintf("s%d@example.com", i)}); err != nil {
					t.Fatal(err)
				}
				if _, err := c.GetUser(ctx, "usr_missing"); err != nil {
					errs = append(errs, err.Error())
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err := src.Revoke(ctx); err != nil {
				errs = append(errs, err.Error())
			}
			bufMu.Lock()
			out := buf.String() + strings.Join(errs, "\n")
			bufMu.Unlock()
			if !strings.Contains(out, `"msg":"api request"`) || !strings.Contains(out, "auth: token") {
				t.Fatalf("no debug records to check:\n%s", out)
			}
			rec.mu.Lock()
			secrets := append([]string{sandbox.DefaultClientSecret, sandbox.DefaultPassword}, rec.tokens...)
			rec.mu.Unlock()
			if len(secrets) < 4 {
				t.Fatalf("only %d tokens issued; the test needs refreshes", len(secrets)-2)
			}
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("a secret (%d chars) appears in the output", len(s))
				}
			}
		})
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
