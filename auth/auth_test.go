package auth

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeAuth is a token endpoint and an API: tokens are "tok-N"; the API accepts the tokens in ok.
type fakeAuth struct {
	mu       sync.Mutex
	n        int
	forms    []url.Values
	revoked  []string
	ok       map[string]bool
	refuseRT map[string]bool // refresh tokens answered invalid_grant
	api401   bool            // the API refuses every token
}

func (f *fakeAuth) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		defer f.mu.Unlock()
		f.forms = append(f.forms, r.PostForm)
		if rt := r.PostForm.Get("refresh_token"); rt != "" && f.refuseRT[rt] {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"error":"invalid_grant","error_description":"refresh token rotated"}`)
			return
		}
		if r.PostForm.Get("client_secret") != "s3cret" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{"error":"invalid_client","error_description":"bad client"}`)
			return
		}
		f.n++
		tok := "tok-" + string(rune('0'+f.n))
		if f.ok == nil {
			f.ok = map[string]bool{}
		}
		f.ok[tok] = true
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt-" + tok})
	})
	mux.HandleFunc("/oauth2/revoke", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		defer f.mu.Unlock()
		f.revoked = append(f.revoked, r.PostForm.Get("token_type_hint")+" "+r.PostForm.Get("token"))
	})
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if f.api401 || !f.ok[tok] {
			w.WriteHeader(401)
			return
		}
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(b)
	})
	return mux
}

func newFake(t *testing.T, f *fakeAuth, grant string) (*Source, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(f.handler())
	t.Cleanup(srv.Close)
	s, err := New(Config{
		TokenURL: srv.URL + "/oauth2/token", RevokeURL: srv.URL + "/oauth2/revoke", Audience: "aud",
		ClientID: "cid", ClientSecret: "s3cret", Grant: grant, Username: "u", Password: "p",
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, srv
}

func TestNewRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"missing all", Config{}, "missing [token URL client id client secret]"},
		{"password without user", Config{TokenURL: "https://a/t", ClientID: "c", ClientSecret: "s", Grant: "password"}, "missing [username password]"},
		{"unknown grant", Config{TokenURL: "https://a/t", ClientID: "c", ClientSecret: "s", Grant: "implicit"}, `unknown grant "implicit"`},
		{"plain http", Config{TokenURL: "http://auth.example.com/t", ClientID: "c", ClientSecret: "s"}, "plain http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		raw      string
		insecure bool
		ok       bool
	}{
		{"https://api.example.com", false, true},
		{"http://127.0.0.1:8080", false, true},
		{"http://127.1.2.3", false, true},
		{"http://[::1]:80/x", false, true},
		{"http://localhost:9", false, true},
		{"http://api.example.com", false, false},
		{"http://api.example.com", true, true},
		{"http://10.0.0.1", false, false},
		{"ftp://127.0.0.1", true, false},
		{"/relative", false, false},
	}
	for _, tt := range tests {
		err := CheckURL("--api-url", tt.raw, tt.insecure)
		if (err == nil) != tt.ok {
			t.Errorf("CheckURL(%q, %v) = %v, want ok=%v", tt.raw, tt.insecure, err, tt.ok)
		}
	}
}

func TestDefaultRevokeURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://auth.inbox-manager.com/oauth2/token": "https://auth.inbox-manager.com/oauth2/revoke",
		"http://127.0.0.1:8080/oauth2/token/":         "http://127.0.0.1:8080/oauth2/revoke",
		"https://a.example/token":                     "https://a.example/revoke",
	} {
		if got := DefaultRevokeURL(in); got != want {
			t.Errorf("DefaultRevokeURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClientCredentialsSendsAudienceInTheBody(t *testing.T) {
	f := &fakeAuth{}
	s, _ := newFake(t, f, GrantClientCredentials)
	tok, err := s.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "tok-1" {
		t.Errorf("token %q", tok.AccessToken)
	}
	want := url.Values{"grant_type": {"client_credentials"}, "audience": {"aud"}, "client_id": {"cid"}, "client_secret": {"s3cret"}}
	if diff := cmp.Diff([]url.Values{want}, f.forms); diff != "" {
		t.Errorf("token request form (-want +got):\n%s", diff)
	}
	// Cached: no second request.
	if _, err := s.Token(context.Background()); err != nil || len(f.forms) != 1 {
		t.Errorf("second Token: %v, %d requests", err, len(f.forms))
	}
}

func TestTokenErrorsCarryCodeNotBodyAndAreSentOnce(t *testing.T) {
	f := &fakeAuth{}
	srv := httptest.NewServer(f.handler())
	t.Cleanup(srv.Close)
	s, err := New(Config{TokenURL: srv.URL + "/oauth2/token", ClientID: "cid", ClientSecret: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Token(context.Background())
	var te *TokenError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want *TokenError", err)
	}
	want := TokenError{Grant: "client_credentials", StatusCode: 401, Code: "invalid_client", Description: "bad client"}
	if diff := cmp.Diff(want, *te); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error shows the secret: %v", err)
	}
	if len(f.forms) != 1 {
		t.Errorf("%d token requests, want 1 (explicit auth style)", len(f.forms))
	}
}

func TestPasswordGrantSendsTheAudience(t *testing.T) {
	f := &fakeAuth{}
	s, _ := newFake(t, f, GrantPassword)
	if _, err := s.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := url.Values{"grant_type": {"password"}, "username": {"u"}, "password": {"p"}, "audience": {"aud"},
		"client_id": {"cid"}, "client_secret": {"s3cret"}}
	if diff := cmp.Diff([]url.Values{want}, f.forms); diff != "" {
		t.Errorf("password login form (-want +got):\n%s", diff)
	}
}

func TestPasswordGrantRefreshesAndLogsInAgainOnInvalidGrant(t *testing.T) {
	f := &fakeAuth{}
	s, _ := newFake(t, f, GrantPassword)
	ctx := context.Background()
	t1, err := s.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Dropping the token makes the next one come from the refresh token.
	s.Invalidate(t1.AccessToken)
	t2, err := s.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The newest refresh token is refused: log in again with the password.
	f.mu.Lock()
	f.refuseRT = map[string]bool{"rt-" + t2.AccessToken: true}
	f.mu.Unlock()
	s.Invalidate(t2.AccessToken)
	if _, err := s.Token(ctx); err != nil {
		t.Fatal(err)
	}
	var grants []string
	for _, form := range f.forms {
		grants = append(grants, form.Get("grant_type")+" "+form.Get("refresh_token"))
	}
	want := []string{"password ", "refresh_token rt-tok-1", "refresh_token rt-tok-2", "password "}
	if diff := cmp.Diff(want, grants); diff != "" {
		t.Errorf("token requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Stats{Obtained: 2, Refreshed: 1, Invalidated: 2}, s.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestRevokeRefreshTokenThenAccessToken(t *testing.T) {
	f := &fakeAuth{}
	s, _ := newFake(t, f, GrantPassword)
	if _, err := s.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"refresh_token rt-tok-1", "access_token tok-1"}, f.revoked); diff != "" {
		t.Errorf("revocations (-want +got):\n%s", diff)
	}
	// Nothing left to revoke.
	if err := s.Revoke(context.Background()); err != nil || len(f.revoked) != 2 {
		t.Errorf("second Revoke: %v, %d revocations", err, len(f.revoked))
	}
}

func TestRevokeFailureIsReturnedWithoutTheToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/token") {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"access_token":"very-secret-at","token_type":"Bearer","expires_in":60}`)
			return
		}
		w.WriteHeader(503)
	}))
	t.Cleanup(srv.Close)
	s, err := New(Config{TokenURL: srv.URL + "/token", RevokeURL: srv.URL + "/revoke", ClientID: "c", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	err = s.Revoke(context.Background())
	if err == nil || !strings.Contains(err.Error(), "503") || strings.Contains(err.Error(), "very-secret-at") {
		t.Errorf("Revoke = %v, want a 503 error without the token", err)
	}
}

func TestTransportReplaysOnceAfter401(t *testing.T) {
	f := &fakeAuth{}
	s, srv := newFake(t, f, GrantClientCredentials)
	hc := &http.Client{Transport: s.Transport(nil)}
	if _, err := s.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.ok = map[string]bool{} // the server forgets tok-1
	f.mu.Unlock()
	resp, err := hc.Post(srv.URL+"/api/echo", "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != `{"a":1}` {
		t.Errorf("answer %d %q, want 200 with the replayed body", resp.StatusCode, b)
	}
	if diff := cmp.Diff(Stats{Obtained: 2, Invalidated: 1, Replays: 1}, s.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestTransportSecond401IsAnError(t *testing.T) {
	f := &fakeAuth{api401: true}
	s, srv := newFake(t, f, GrantClientCredentials)
	hc := &http.Client{Transport: s.Transport(nil)}
	_, err := hc.Get(srv.URL + "/api/users/x")
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "audience") {
		t.Errorf("err = %v, want ErrUnauthorized naming the audience", err)
	}
	if len(f.forms) != 2 {
		t.Errorf("%d token requests, want 2", len(f.forms))
	}
}

func TestConcurrent401sCauseOneToken(t *testing.T) {
	f := &fakeAuth{}
	s, srv := newFake(t, f, GrantClientCredentials)
	if _, err := s.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.ok = map[string]bool{}
	f.mu.Unlock()
	hc := &http.Client{Transport: s.Transport(nil)}
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 50 {
		wg.Go(func() {
			resp, err := hc.Get(srv.URL + "/api/x")
			if err != nil || resp.StatusCode != 200 {
				failed.Add(1)
			}
			if err == nil {
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d requests failed", failed.Load())
	}
	if len(f.forms) != 2 {
		t.Errorf("%d token requests, want 2 (the first and one after the 401s)", len(f.forms))
	}
}

func TestReadOnlyBlocksWritesWithoutSendingThem(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: ReadOnly(nil, srv.URL+"/oauth2/token", srv.URL+"/oauth2/revoke")}
	for _, tc := range []struct {
		method, path string
		ok           bool
	}{
		{"GET", "/api/users/1", true},
		{"POST", "/oauth2/token", true},
		{"POST", "/oauth2/revoke", true},
		{"POST", "/api/applications/app_demo/users", false},
		{"PATCH", "/api/users/1", false},
		{"DELETE", "/api/users/1", false},
		{"PUT", "/oauth2/token", false},
		{"POST", "/oauth2/token/x", false},
		{"HEAD", "/api/users/1", false}, // GET only, as CONTRACT 2.3 says
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader("{}"))
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		if tc.ok != (err == nil) {
			t.Errorf("%s %s: err = %v, want ok=%v", tc.method, tc.path, err, tc.ok)
		}
		if !tc.ok && (!errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), tc.method+" "+srv.URL+tc.path)) {
			t.Errorf("%s %s: err = %v, want ErrReadOnly naming the method and URL", tc.method, tc.path, err)
		}
	}
	want := []string{"GET /api/users/1", "POST /oauth2/token", "POST /oauth2/revoke"}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("requests that reached the server (-want +got):\n%s", diff)
	}
}

func TestShortLivedTokenMargin(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"a","token_type":"Bearer","expires_in":1}`)
	}))
	t.Cleanup(srv.Close)
	s, err := New(Config{TokenURL: srv.URL, ClientID: "c", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := s.Token(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// With a one-second token, the 10 s margin would fetch on every call.
	if got := s.Stats().Obtained; got != 1 {
		t.Errorf("%d tokens for 5 quick calls, want 1", got)
	}
	time.Sleep(1100 * time.Millisecond)
	if _, err := s.Token(context.Background()); err != nil || s.Stats().Obtained != 2 {
		t.Errorf("after expiry: %v, %d tokens, want 2", err, s.Stats().Obtained)
	}
}

// A request whose token could not be obtained was not sent; the API client's retry rules rely on
// the error saying so (NotSent) while reading as the token failure.
func TestTransportTokenFailureSaysNotSent(t *testing.T) {
	f := &fakeAuth{}
	srv := httptest.NewServer(f.handler())
	t.Cleanup(srv.Close)
	s, err := New(Config{TokenURL: srv.URL + "/oauth2/token", ClientID: "cid", ClientSecret: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&http.Client{Transport: s.Transport(nil)}).Get(srv.URL + "/api/x")
	var ns interface{ NotSent() bool }
	var te *TokenError
	if !errors.As(err, &ns) || !ns.NotSent() || !errors.As(err, &te) || te.Code != "invalid_client" {
		t.Errorf("err = %v, want a NotSent TokenError", err)
	}
	ro := &ReadOnlyError{Method: "POST", URL: "u"}
	if !ro.NotSent() {
		t.Error("ReadOnlyError.NotSent() = false")
	}
}

func TestTokenErrorPermanence(t *testing.T) {
	got := map[int]bool{}
	for _, status := range []int{400, 401, 403, 408, 429, 500, 503} {
		got[status] = (&TokenError{StatusCode: status}).Permanent()
	}
	want := map[int]bool{400: true, 401: true, 403: true, 408: false, 429: false, 500: false, 503: false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Permanent by status (-want +got):\n%s", diff)
	}
}

func TestThrottledTokenRequestCarriesRetryAfter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(429)
		_, _ = io.WriteString(w, `{"error":"slow_down"}`)
	}))
	t.Cleanup(srv.Close)
	s, err := New(Config{TokenURL: srv.URL, ClientID: "c", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Token(context.Background())
	var te *TokenError
	if !errors.As(err, &te) || te.Permanent() || te.RetryDelay() != 7*time.Second {
		t.Errorf("err = %#v, want a 429 TokenError, not permanent, with RetryDelay 7s", err)
	}
}
