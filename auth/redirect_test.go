package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestTokenRequestsDoNotFollowRedirects: a token endpoint answering 307 must not make the client
// send its secret to the redirect's target.
func TestTokenRequestsDoNotFollowRedirects(t *testing.T) {
	var stolen atomic.Int32
	thief := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
	}))
	t.Cleanup(thief.Close)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, thief.URL+"/steal", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirector.Close)

	s, err := New(Config{
		TokenURL: redirector.URL + "/oauth2/token", RevokeURL: redirector.URL + "/oauth2/revoke",
		ClientID: "cid", ClientSecret: "s3cret-value", Audience: "aud",
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Token(context.Background())
	if err == nil {
		t.Fatal("a redirected token request succeeded")
	}
	if strings.Contains(err.Error(), "s3cret-value") {
		t.Errorf("error shows the secret: %v", err)
	}
	if n := stolen.Load(); n != 0 {
		t.Errorf("the redirect target received %d requests carrying the client secret", n)
	}
}

func TestCheckURLHidesPasswords(t *testing.T) {
	for _, raw := range []string{"http://user:hunter2@api.example.com", "http://user:hunter2@api.example.com/%zz"} {
		err := CheckURL("--api-url", raw, false)
		if err == nil {
			t.Fatalf("CheckURL(%q) accepted plain http to a remote host", raw)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("CheckURL error shows the password: %v", err)
		}
	}
}
