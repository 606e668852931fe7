package sandbox_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/inbox-manager/inboxctl/sandbox"
)

func TestTokenEndpointErrors(t *testing.T) {
	srv, c := start(t, sandbox.Options{})
	with := func(changes map[string]string) url.Values {
		v := ccForm()
		for k, val := range changes {
			if val == "" {
				v.Del(k)
			} else {
				v.Set(k, val)
			}
		}
		return v
	}
	tests := []struct {
		name       string
		form       url.Values
		basic      []string
		wantStatus int
		wantError  string
	}{
		{"wrong secret", with(map[string]string{"client_secret": "nope"}), nil, 401, "invalid_client"},
		{"unknown client", with(map[string]string{"client_id": "other"}), nil, 401, "invalid_client"},
		{"no client", with(map[string]string{"client_id": "", "client_secret": ""}), nil, 401, "invalid_client"},
		{"basic wrong secret", with(map[string]string{"client_id": "", "client_secret": ""}), []string{"dev-admin", "x"}, 401, "invalid_client"},
		{"basic and body", ccForm(), []string{"dev-admin", "dev-secret"}, 400, "invalid_request"},
		{"no grant", with(map[string]string{"grant_type": ""}), nil, 400, "invalid_request"},
		{"unknown grant", with(map[string]string{"grant_type": "implicit"}), nil, 400, "unsupported_grant_type"},
		{"no audience", with(map[string]string{"audience": ""}), nil, 400, "invalid_request"},
		{"wrong audience", with(map[string]string{"audience": "https://other.example.com"}), nil, 400, "invalid_request"},
		{"password wrong", with(map[string]string{"grant_type": "password", "username": "dev-user", "password": "bad"}), nil, 400, "invalid_grant"},
		{"password wrong user", with(map[string]string{"grant_type": "password", "username": "x", "password": "dev-password"}), nil, 400, "invalid_grant"},
		{"password missing", with(map[string]string{"grant_type": "password"}), nil, 400, "invalid_request"},
		{"password wrong audience", with(map[string]string{"grant_type": "password", "username": "dev-user", "password": "dev-password", "audience": "https://x"}), nil, 400, "invalid_request"},
		{"refresh missing", with(map[string]string{"grant_type": "refresh_token"}), nil, 400, "invalid_request"},
		{"refresh unknown", with(map[string]string{"grant_type": "refresh_token", "refresh_token": "nope"}), nil, 400, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, tr, h := c.form(srv.TokenURL(), tt.form, tt.basic...)
			if diff := cmp.Diff([]any{tt.wantStatus, tt.wantError}, []any{status, tr.Error}); diff != "" {
				t.Errorf("(-want +got):\n%s (description %q)", diff, tr.Description)
			}
			if tr.AccessToken != "" {
				t.Error("an access token was issued")
			}
			if status == 401 && h.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if h.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", h.Get("Cache-Control"))
			}
		})
	}

	t.Run("bad content type", func(t *testing.T) {
		req, _ := http.NewRequest("POST", srv.TokenURL(), strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "text/plain")
		status, tr, _ := c.tokenCall(req)
		if status != 400 || tr.Error != "invalid_request" {
			t.Errorf("got %d %q", status, tr.Error)
		}
	})
	t.Run("GET", func(t *testing.T) {
		resp, err := http.Get(srv.TokenURL())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
}

func TestTokenGrants(t *testing.T) {
	srv, c := start(t, sandbox.Options{TokenTTL: 90 * time.Second})

	t.Run("client credentials JSON body", func(t *testing.T) {
		status, tr, _ := c.jsonToken(srv.TokenURL(), map[string]string{"grant_type": "client_credentials",
			"client_id": "dev-admin", "client_secret": "dev-secret", "audience": sandbox.DefaultAudience})
		got := []any{status, tr.TokenType, tr.ExpiresIn, tr.RefreshToken, tr.Scope == nil}
		if diff := cmp.Diff([]any{200, "Bearer", int64(90), "", true}, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		c2 := *c
		c2.token = tr.AccessToken
		want(t, c2.do("GET", "/api/accounts/acc_root", nil), 200, "")
	})
	t.Run("client credentials HTTP Basic, form-encoded credentials", func(t *testing.T) {
		v := ccForm()
		v.Del("client_id")
		v.Del("client_secret")
		status, tr, _ := c.form(srv.TokenURL(), v, "dev-admin", "dev-secret")
		if status != 200 || tr.AccessToken == "" {
			t.Errorf("got %d %+v", status, tr)
		}
	})
	t.Run("JSON with a non-string value", func(t *testing.T) {
		status, tr, _ := c.jsonToken(srv.TokenURL(), map[string]any{"grant_type": 5})
		if status != 400 || tr.Error != "invalid_request" {
			t.Errorf("got %d %+v", status, tr)
		}
	})
	t.Run("password grant", func(t *testing.T) {
		tr := c.passwordLogin()
		if tr.Scope == nil || *tr.Scope != "" || tr.RefreshToken == "" || tr.AccessToken == tr.RefreshToken {
			t.Errorf("got %+v", tr)
		}
		c2 := *c
		c2.token = tr.AccessToken
		want(t, c2.do("GET", "/api/accounts/acc_root", nil), 200, "")
		// A refresh token is not an access token.
		c2.token = tr.RefreshToken
		want(t, c2.do("GET", "/api/accounts/acc_root", nil), 401, "unauthorized")
		// The password identity lives in the auth server only: it is no application user.
		if users := c.allUsers(1000); len(users) != 0 {
			t.Errorf("application users after a password login: %+v", users)
		}
	})
	t.Run("password grant JSON", func(t *testing.T) {
		status, tr, _ := c.jsonToken(srv.TokenURL(), map[string]string{"grant_type": "password", "client_id": "dev-admin",
			"client_secret": "dev-secret", "username": "dev-user", "password": "dev-password", "audience": sandbox.DefaultAudience})
		if status != 200 || tr.RefreshToken == "" {
			t.Errorf("got %d %+v", status, tr)
		}
	})
}

func refresh(c *client, rt string) (int, tokenResp) {
	c.t.Helper()
	status, tr, _ := c.form(c.srv.TokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt},
		"client_id": {"dev-admin"}, "client_secret": {"dev-secret"}})
	return status, tr
}

func apiStatus(c *client, token string) int {
	c.t.Helper()
	c2 := *c
	c2.token = token
	r := c2.do("GET", "/api/accounts/acc_root", nil)
	if r.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), `Bearer error="invalid_token"`) {
		c.t.Errorf("401 with WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
	}
	if r.status == 401 && r.errCode() != "unauthorized" {
		c.t.Errorf("401 body %s", r.body)
	}
	return r.status
}

func TestRefreshRotationAndReuseDetection(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	login := c.passwordLogin()
	status, second := refresh(c, login.RefreshToken)
	if status != 200 || second.RefreshToken == "" || second.RefreshToken == login.RefreshToken || second.Scope == nil {
		t.Fatalf("refresh: %d %+v", status, second)
	}
	status, third := refresh(c, second.RefreshToken)
	if status != 200 {
		t.Fatalf("second refresh: %d %+v", status, third)
	}
	if got := apiStatus(c, third.AccessToken); got != 200 {
		t.Fatalf("fresh access token: %d", got)
	}
	other := c.passwordLogin() // another login: another family

	// The rotated-away token is presented again: refused, and the whole family ends.
	status, tr := refresh(c, login.RefreshToken)
	if status != 400 || tr.Error != "invalid_grant" {
		t.Fatalf("reuse: %d %+v", status, tr)
	}
	for name, tok := range map[string]string{"first": login.AccessToken, "second": second.AccessToken, "third": third.AccessToken} {
		if got := apiStatus(c, tok); got != 401 {
			t.Errorf("%s access token after reuse: %d, want 401", name, got)
		}
	}
	if status, tr := refresh(c, third.RefreshToken); status != 400 || tr.Error != "invalid_grant" {
		t.Errorf("latest refresh token after reuse: %d %+v", status, tr)
	}
	if got := apiStatus(c, other.AccessToken); got != 200 {
		t.Errorf("another login's token after reuse: %d, want 200", got)
	}
	if status, _ := refresh(c, other.RefreshToken); status != 200 {
		t.Errorf("another login's refresh after reuse: %d", status)
	}
}

func TestTokenExpiry(t *testing.T) {
	t.Parallel() // mostly waiting
	_, c := start(t, sandbox.Options{TokenTTL: 700 * time.Millisecond, RefreshTTL: 1200 * time.Millisecond})
	login := c.passwordLogin()
	if login.ExpiresIn != 1 {
		t.Errorf("expires_in = %d, want 1 (rounded up)", login.ExpiresIn)
	}
	if got := apiStatus(c, c.token); got != 200 {
		t.Fatalf("before expiry: %d", got)
	}
	time.Sleep(800 * time.Millisecond)
	if got := apiStatus(c, c.token); got != 401 {
		t.Errorf("after expiry: %d, want 401", got)
	}
	if got := apiStatus(c, login.AccessToken); got != 401 {
		t.Errorf("password access token after expiry: %d, want 401", got)
	}
	status, tr := refresh(c, login.RefreshToken) // the refresh token still lives
	if status != 200 {
		t.Fatalf("refresh: %d %+v", status, tr)
	}
	time.Sleep(1300 * time.Millisecond)
	if status, tr := refresh(c, tr.RefreshToken); status != 400 || tr.Error != "invalid_grant" {
		t.Errorf("expired refresh token: %d %+v", status, tr)
	}
}

func TestRevoke(t *testing.T) {
	srv, c := start(t, sandbox.Options{})
	revoke := func(v url.Values, basic ...string) (int, tokenResp) {
		status, tr, _ := c.form(srv.RevokeURL(), v, basic...)
		return status, tr
	}
	creds := func(tok, hint string) url.Values {
		v := url.Values{"token": {tok}, "client_id": {"dev-admin"}, "client_secret": {"dev-secret"}}
		if hint != "" {
			v.Set("token_type_hint", hint)
		}
		return v
	}

	t.Run("access token", func(t *testing.T) {
		tok := c.clientCredentials()
		if got := apiStatus(c, tok); got != 200 { // used, so the server knows it, before the revocation
			t.Fatalf("before revocation: %d", got)
		}
		if status, _ := revoke(creds(tok, "access_token")); status != 200 {
			t.Fatalf("revoke: %d", status)
		}
		if got := apiStatus(c, tok); got != 401 {
			t.Errorf("revoked token: %d", got)
		}
		if got := apiStatus(c, c.token); got != 200 {
			t.Errorf("another token: %d", got)
		}
	})
	t.Run("refresh token ends its family", func(t *testing.T) {
		login := c.passwordLogin()
		_, next := refresh(c, login.RefreshToken)
		if got := apiStatus(c, next.AccessToken); got != 200 {
			t.Fatalf("before revocation: %d", got)
		}
		if status, _ := revoke(url.Values{"token": {next.RefreshToken}}, "dev-admin", "dev-secret"); status != 200 {
			t.Fatalf("revoke: %d", status)
		}
		for _, tok := range []string{login.AccessToken, next.AccessToken} {
			if got := apiStatus(c, tok); got != 401 {
				t.Errorf("access token of a revoked family: %d", got)
			}
		}
		if status, tr := refresh(c, next.RefreshToken); status != 400 || tr.Error != "invalid_grant" {
			t.Errorf("revoked refresh token: %d %+v", status, tr)
		}
	})
	t.Run("unknown token is 200", func(t *testing.T) {
		if status, _ := revoke(creds("no-such-token", "")); status != 200 {
			t.Errorf("got %d", status)
		}
	})
	t.Run("again is 200", func(t *testing.T) {
		tok := c.clientCredentials()
		revoke(creds(tok, ""))
		if status, _ := revoke(creds(tok, "")); status != 200 {
			t.Errorf("got %d", status)
		}
	})
	t.Run("bad client", func(t *testing.T) {
		tok := c.clientCredentials()
		v := creds(tok, "")
		v.Set("client_secret", "wrong")
		if status, tr := revoke(v); status != 401 || tr.Error != "invalid_client" {
			t.Errorf("got %d %+v", status, tr)
		}
		if got := apiStatus(c, tok); got != 200 {
			t.Errorf("token revoked by a bad client: %d", got)
		}
	})
	t.Run("no token", func(t *testing.T) {
		if status, tr := revoke(creds("", "")); status != 400 || tr.Error != "invalid_request" {
			t.Errorf("got %d %+v", status, tr)
		}
	})
	st := srv.Stats()
	if st.RevokeRequests != 7 {
		t.Errorf("RevokeRequests = %d, want 7", st.RevokeRequests)
	}
}

func TestBearerChecks(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	tests := []struct{ name, header string }{
		{"missing", ""},
		{"not bearer", "Basic " + base64.StdEncoding.EncodeToString([]byte("dev-admin:dev-secret"))},
		{"unknown", "Bearer abcdef"},
		{"empty", "Bearer "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c2 := *c
			c2.token = ""
			r := c2.do("GET", "/api/users/usr_x", nil, "Authorization", tt.header)
			want(t, r, 401, "unauthorized")
			if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer error="invalid_token"`) {
				t.Errorf("WWW-Authenticate = %q", got)
			}
		})
	}
}

// TestWrongAudience: tokens are stored with their audience; a sandbox restarted on the same
// database with another audience refuses them.
func TestWrongAudience(t *testing.T) {
	db := filepath.Join(t.TempDir(), "aud.db")
	srv, err := sandbox.Start(context.Background(), sandbox.Options{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv)
	login := c.passwordLogin()
	tok := c.token
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	srv2, err := sandbox.Start(context.Background(), sandbox.Options{DB: db, Audience: "https://other.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	c.srv = srv2
	if got := apiStatus(c, tok); got != 401 {
		t.Errorf("token for another audience: %d, want 401", got)
	}
	if status, tr := refresh(c, login.RefreshToken); status != 400 || tr.Error != "invalid_grant" {
		t.Errorf("refresh for another audience: %d %+v", status, tr)
	}
}
