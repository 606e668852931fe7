package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inbox-manager/inboxctl/api"
	"github.com/inbox-manager/inboxctl/auth"
)

// A first attempt that failed getting its token was never sent: a 409 to the retry is someone
// else's user, even though the token request itself reached a server.
func TestRetried409AfterATokenFailureIsAConflict(t *testing.T) {
	var tokens, lists atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		if tokens.Add(1) == 1 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error":"temporarily_unavailable"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "tok", "token_type": "Bearer", "expires_in": 3600})
	})
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusConflict)
			_, _ = io.WriteString(w, `{"error":{"code":"email_taken","message":"taken"}}`)
			return
		}
		lists.Add(1)
		_, _ = io.WriteString(w, `{"data":[{"id":"usr_other","email":"a@example.com"}],"next_cursor":""}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	src, err := auth.New(auth.Config{TokenURL: srv.URL + "/oauth2/token", ClientID: "c", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := api.New(srv.URL, &http.Client{Transport: src.Transport(nil)}, api.Options{BaseBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	u, err := c.CreateUser(context.Background(), "app", api.CreateUserRequest{Email: "a@example.com"})
	if !api.IsConflict(err) {
		t.Errorf("CreateUser = %+v, %v; want the 409", u, err)
	}
	if tokens.Load() != 2 || lists.Load() != 0 {
		t.Errorf("%d token requests and %d reads, want 2 and none", tokens.Load(), lists.Load())
	}
}

// A token endpoint that throttles (429) or times out (408) once does not fail the request.
func TestTokenEndpointThrottleIsRetried(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusRequestTimeout} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			var tokens atomic.Int64
			mux := http.NewServeMux()
			mux.HandleFunc("/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if tokens.Add(1) == 1 {
					w.Header().Set("Retry-After", "0")
					w.WriteHeader(status)
					_, _ = io.WriteString(w, `{"error":"slow_down"}`)
					return
				}
				_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "tok", "token_type": "Bearer", "expires_in": 3600})
			})
			mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, `{"id":"acc_1"}`)
			})
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			src, err := auth.New(auth.Config{TokenURL: srv.URL + "/oauth2/token", ClientID: "c", ClientSecret: "s"})
			if err != nil {
				t.Fatal(err)
			}
			c, err := api.New(srv.URL, &http.Client{Transport: src.Transport(nil)}, api.Options{BaseBackoff: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			a, err := c.GetAccount(context.Background(), "acc_1")
			if err != nil || a.ID != "acc_1" {
				t.Errorf("GetAccount = %+v, %v; want the account after a retry", a, err)
			}
			if tokens.Load() != 2 {
				t.Errorf("%d token requests, want 2", tokens.Load())
			}
		})
	}
}
