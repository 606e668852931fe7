package auth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inbox-manager/inboxctl/sandbox"
	"github.com/inbox-manager/inboxctl/sandbox/sandboxtest"
	"golang.org/x/oauth2"
)

func sandboxSource(t *testing.T, srv *sandbox.Server, grant string) *Source {
	t.Helper()
	s, err := New(Config{
		TokenURL: srv.TokenURL(), RevokeURL: srv.RevokeURL(), Audience: sandbox.DefaultAudience,
		ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
		Grant: grant, Username: sandbox.DefaultUsername, Password: sandbox.DefaultPassword,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// get reads the root account through the source's transport and returns the status.
func get(t *testing.T, hc *http.Client, srv *sandbox.Server) int {
	t.Helper()
	resp, err := hc.Get(srv.URL() + "/api/accounts/" + sandbox.DefaultRootAccountID)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// rawGet reads the root account with a given access token, without any retry.
func rawGet(t *testing.T, srv *sandbox.Server, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL()+"/api/accounts/"+sandbox.DefaultRootAccountID, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestSandboxShortTokensDuringALongRead(t *testing.T) {
	for _, grant := range []string{GrantClientCredentials, GrantPassword} {
		t.Run(grant, func(t *testing.T) {
			srv := sandboxtest.New(t, sandbox.Options{TokenTTL: time.Second})
			s := sandboxSource(t, srv, grant)
			hc := &http.Client{Transport: s.Transport(nil)}
			deadline := time.Now().Add(2500 * time.Millisecond)
			n := 0
			for time.Now().Before(deadline) {
				if st := get(t, hc, srv); st != 200 {
					t.Fatalf("request %d: status %d", n, st)
				}
				n++
				time.Sleep(20 * time.Millisecond)
			}
			st := s.Stats()
			if st.Obtained+st.Refreshed < 3 {
				t.Errorf("stats %+v over 2.5 s of 1 s tokens, want >= 3 tokens", st)
			}
			if grant == GrantPassword && (st.Obtained != 1 || st.Refreshed < 2) {
				t.Errorf("stats %+v, want one login and refreshes after it", st)
			}
		})
	}
}

func TestSandboxRefreshRotationAndReuseDetection(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	s := sandboxSource(t, srv, GrantPassword)
	ctx := context.Background()
	t1, err := s.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rt1 := t1.RefreshToken
	s.Invalidate(t1.AccessToken)
	t2, err := s.Token(ctx) // refreshes with rt1: rotation
	if err != nil {
		t.Fatal(err)
	}
	if t2.RefreshToken == "" || t2.RefreshToken == rt1 || s.refresh != t2.RefreshToken {
		t.Fatalf("refresh token not rotated or not kept")
	}
	if rawGet(t, srv, t2.AccessToken) != 200 {
		t.Fatal("refreshed token refused")
	}
	// The old refresh token is refused, and presenting it ends the whole login (reuse detection).
	pw := oauth2.Config{ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: srv.TokenURL(), AuthStyle: oauth2.AuthStyleInParams}}
	_, err = pw.TokenSource(ctx, &oauth2.Token{RefreshToken: rt1}).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("reusing the rotated refresh token: %v, want invalid_grant", err)
	}
	if st := rawGet(t, srv, t2.AccessToken); st != 401 {
		t.Errorf("after reuse detection the newest access token gets %d, want 401", st)
	}
	// The source recovers: its refresh is refused, so it logs in again with the password once.
	hc := &http.Client{Transport: s.Transport(nil)}
	if st := get(t, hc, srv); st != 200 {
		t.Fatalf("after reuse detection: status %d", st)
	}
	if got := s.Stats(); got.Obtained != 2 || got.Refreshed != 1 {
		t.Errorf("stats %+v, want 2 logins and 1 refresh", got)
	}
}

func TestSandboxBurstOf401sCausesOneTokenRequest(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	s := sandboxSource(t, srv, GrantClientCredentials)
	tok, err := s.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Revoke the cached token behind the source's back: every request now meets a 401.
	form := url.Values{"token": {tok.AccessToken}, "client_id": {sandbox.DefaultClientID}, "client_secret": {sandbox.DefaultClientSecret}}
	resp, err := http.PostForm(srv.RevokeURL(), form)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("revoke: %v", err)
	}
	resp.Body.Close()
	before := srv.Stats().TokenRequests
	hc := &http.Client{Transport: s.Transport(nil)}
	var wg sync.WaitGroup
	statuses := make([]int, 50)
	for i := range 50 {
		wg.Go(func() {
			r, err := hc.Get(srv.URL() + "/api/accounts/" + sandbox.DefaultRootAccountID)
			if err != nil {
				t.Error(err)
				return
			}
			r.Body.Close()
			statuses[i] = r.StatusCode
		})
	}
	wg.Wait()
	for i, st := range statuses {
		if st != 200 {
			t.Errorf("request %d: status %d", i, st)
		}
	}
	if got := srv.Stats().TokenRequests - before; got != 1 {
		t.Errorf("%d token requests after 50 concurrent 401s, want 1", got)
	}
}

func TestSandboxRevokedTokensAreRefused(t *testing.T) {
	for _, grant := range []string{GrantClientCredentials, GrantPassword} {
		t.Run(grant, func(t *testing.T) {
			srv := sandboxtest.New(t, sandbox.Options{})
			s := sandboxSource(t, srv, grant)
			tok, err := s.Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if rawGet(t, srv, tok.AccessToken) != 200 {
				t.Fatal("fresh token refused")
			}
			if err := s.Revoke(context.Background()); err != nil {
				t.Fatal(err)
			}
			if st := rawGet(t, srv, tok.AccessToken); st != 401 {
				t.Errorf("revoked access token got %d, want 401", st)
			}
			want := int64(1)
			if grant == GrantPassword {
				want = 2
				// The refresh token no longer works either.
				pw := oauth2.Config{ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
					Endpoint: oauth2.Endpoint{TokenURL: srv.TokenURL(), AuthStyle: oauth2.AuthStyleInParams}}
				if _, err := pw.TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
					t.Errorf("revoked refresh token still refreshes")
				}
			}
			if got := srv.Stats().RevokeRequests; got != want {
				t.Errorf("%d revoke requests, want %d", got, want)
			}
		})
	}
}

func TestSandboxWrongAudienceOrSecretFailsClearly(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	s, err := New(Config{TokenURL: srv.TokenURL(), ClientID: sandbox.DefaultClientID, ClientSecret: "nope", Audience: sandbox.DefaultAudience})
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&http.Client{Transport: s.Transport(nil)}).Get(srv.URL() + "/api/accounts/acc_root")
	var te *TokenError
	if !errors.As(err, &te) || te.Code != "invalid_client" || strings.Contains(err.Error(), "nope") {
		t.Errorf("err = %v, want invalid_client without the secret", err)
	}
}

func TestSandboxReadOnlyTransportBlocksAPost(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	base := ReadOnly(nil, srv.TokenURL(), srv.RevokeURL())
	s, err := New(Config{
		TokenURL: srv.TokenURL(), RevokeURL: srv.RevokeURL(), Audience: sandbox.DefaultAudience,
		ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
		HTTPClient: &http.Client{Transport: base},
	})
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: s.Transport(base)}
	if st := get(t, hc, srv); st != 200 {
		t.Fatalf("GET through the read-only transport: %d", st)
	}
	_, err = hc.Post(srv.URL()+"/api/applications/app_demo/users", "application/json", strings.NewReader(`{"email":"x@example.com"}`))
	if !errors.Is(err, ErrReadOnly) {
		t.Errorf("POST: err = %v, want ErrReadOnly", err)
	}
	if got := srv.Stats().APIByMethod["POST"]; got != 0 {
		t.Errorf("%d POSTs reached the sandbox, want 0", got)
	}
	if err := s.Revoke(context.Background()); err != nil {
		t.Errorf("revoke through the read-only transport: %v", err)
	}
}
