package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// setup starts an httptest server with mux and returns a client for it with fast backoff.
func setup(t *testing.T, h http.Handler, opts Options) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	if opts.BaseBackoff == 0 {
		opts.BaseBackoff = time.Millisecond
		opts.MaxBackoff = 5 * time.Millisecond
	}
	c, err := New(srv.URL, srv.Client(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": "msg " + code}})
}

// dropConn closes the connection without an answer, as if the response was lost.
func dropConn(t *testing.T, w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Error("no hijacker")
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	conn.Close()
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	for _, raw := range []string{"", "ftp://x", "not a url", "http://"} {
		if _, err := New(raw, nil, Options{}); err == nil {
			t.Errorf("New(%q) = nil error", raw)
		}
	}
}

func TestRetriesReplayBodyAndKeepIdempotencyKey(t *testing.T) {
	var (
		mu     sync.Mutex
		keys   []string
		bodies []string
	)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		bodies = append(bodies, string(b))
		n := len(keys)
		mu.Unlock()
		switch n {
		case 1:
			writeErr(w, 503, "unavailable")
		case 2:
			writeErr(w, 504, "timeout")
		case 3:
			writeErr(w, 502, "bad_gateway")
		default:
			writeJSON(w, 201, User{ID: "usr_1", Email: "a@example.com"})
		}
	})
	c := setup(t, h, Options{})
	var n Counter
	u, err := c.CreateUser(WithCounter(context.Background(), &n), "app 1", CreateUserRequest{Email: "a@example.com", Name: "A"})
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != "usr_1" {
		t.Errorf("id = %q", u.ID)
	}
	if len(keys) != 4 || keys[0] == "" {
		t.Fatalf("keys = %q", keys)
	}
	for i := range keys {
		if keys[i] != keys[0] {
			t.Errorf("attempt %d key %q, want %q", i+1, keys[i], keys[0])
		}
		if bodies[i] != bodies[0] || !strings.Contains(bodies[0], `"email":"a@example.com"`) {
			t.Errorf("attempt %d body %q, first %q", i+1, bodies[i], bodies[0])
		}
	}
	got := [5]int64{c.Requests(), c.Retries(), n.Requests.Load(), n.Retries.Load(), n.Resolved.Load()}
	if diff := cmp.Diff([5]int64{4, 3, 4, 3, 0}, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

func TestConnectionErrorsAreRetried(t *testing.T) {
	var hits atomic.Int64
	c := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) <= 2 {
			dropConn(t, w)
			return
		}
		writeJSON(w, 200, User{ID: "usr_1"})
	}), Options{})
	u, err := c.GetUser(context.Background(), "usr_1")
	if err != nil || u.ID != "usr_1" {
		t.Fatalf("GetUser = %v, %v", u, err)
	}
	if hits.Load() != 3 {
		t.Errorf("%d requests, want 3", hits.Load())
	}
}

func TestTwoCreatesGetDifferentKeys(t *testing.T) {
	var keys []string
	var mu sync.Mutex
	c := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		writeJSON(w, 201, Account{ID: "acc"})
	}), Options{})
	for range 2 {
		if _, err := c.CreateAccount(context.Background(), "acc_root", CreateAccountRequest{Name: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if len(keys) != 2 || keys[0] == keys[1] {
		t.Errorf("keys = %q, want two different", keys)
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 409, 422, 500} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			var hits atomic.Int64
			c := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				writeErr(w, status, "code_x")
			}), Options{})
			_, err := c.GetUser(context.Background(), "usr_1")
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *Error", err)
			}
			want := Error{StatusCode: status, Code: "code_x", Message: "msg code_x", Method: "GET", Path: "/api/users/usr_1"}
			if diff := cmp.Diff(want, *ae); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if hits.Load() != 1 {
				t.Errorf("%d requests, want 1", hits.Load())
			}
		})
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	var hits atomic.Int64
	c := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		writeErr(w, 503, "unavailable")
	}), Options{MaxAttempts: 8})
	_, err := c.GetAccount(context.Background(), "acc_root")
	if StatusCode(err) != 503 || !strings.Contains(err.Error(), "8 attempts") {
		t.Errorf("err = %v", err)
	}
	if hits.Load() != 8 {
		t.Errorf("%d requests, want 8", hits.Load())
	}
}

func TestDefaultAttemptsAtLeastEight(t *testing.T) {
	c, err := New("https://x", nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.opts.MaxAttempts < 8 || c.opts.MaxElapsed < 2*time.Minute {
		t.Errorf("defaults %d attempts, %s", c.opts.MaxAttempts, c.opts.MaxElapsed)
	}
}

func TestRedirectIsAuthenticationFailure(t *testing.T) {
	var login atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) { login.Add(1) })
	mux.HandleFunc("/api/users/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/login", http.StatusFound)
	})
	c := setup(t, mux, Options{})
	_, err := c.GetUser(context.Background(), "usr_1")
	if !IsAuthentication(err) || StatusCode(err) != 302 {
		t.Errorf("err = %v, want an authentication failure with status 302", err)
	}
	if login.Load() != 0 {
		t.Errorf("the redirect was followed")
	}
}

func TestDeleteNotFoundOnRetryIsDone(t *testing.T) {
	var hits atomic.Int64
	c := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			dropConn(t, w) // deleted, but the answer is lost
			return
		}
		writeErr(w, 404, "not_found")
	}), Options{})
	if err := c.DeleteUser(context.Background(), "usr_1"); err != nil {
		t.Errorf("DeleteUser = %v, want nil", err)
	}
	hits.Store(1)
	// A 404 on the first attempt is an error.
	c2 := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeErr(w, 404, "not_found") }), Options{})
	if err := c2.DeleteAccount(context.Background(), "acc_x"); !IsNotFound(err) {
		t.Errorf("DeleteAccount = %v, want not found", err)
	}
}

// lossyServer commits every create, stores it, and drops the answer of the first POST; it ignores
// Idempotency-Key, so the retry meets 409 and must be resolved by natural key.
type lossyServer struct {
	t        *testing.T
	mu       sync.Mutex
	posts    int
	users    []User
	accounts []Account
	members  []Member
	clients  []AppClient
}

func (s *lossyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := r.URL.Path
	switch {
	case r.Method == "POST":
		s.posts++
		var created any
		conflict := false
		switch {
		case strings.HasSuffix(p, "/users"):
			var req CreateUserRequest
			_ = json.NewDecoder(r.Body).Decode(&req)
			for _, u := range s.users {
				conflict = conflict || u.Email == req.Email
			}
			u := User{ID: fmt.Sprintf("usr_%d", len(s.users)+1), Email: req.Email}
			if !conflict {
				s.users = append(s.users, u)
			}
			created = u
		case strings.HasSuffix(p, "/accounts"):
			var req CreateAccountRequest
			_ = json.NewDecoder(r.Body).Decode(&req)
			for _, a := range s.accounts {
				conflict = conflict || a.Name == req.Name
			}
			a := Account{ID: fmt.Sprintf("acc_%d", len(s.accounts)+1), ParentID: "acc_root", Name: req.Name}
			if !conflict {
				s.accounts = append(s.accounts, a)
			}
			created = a
		case strings.HasSuffix(p, "/members"):
			var req CreateMemberRequest
			_ = json.NewDecoder(r.Body).Decode(&req)
			for _, m := range s.members {
				conflict = conflict || m.UserID == req.UserID
			}
			m := Member{ID: fmt.Sprintf("mem_%d", len(s.members)+1), UserID: req.UserID, Role: req.Role}
			if !conflict {
				s.members = append(s.members, m)
			}
			created = m
		case p == "/appclients":
			var req CreateAppClientRequest
			_ = json.NewDecoder(r.Body).Decode(&req)
			for _, a := range s.clients {
				conflict = conflict || a.AppName == req.AppName
			}
			arn := fmt.Sprintf("arn:aws:appfabric:us-east-1:1:appclient/uuid-%d", len(s.clients)+1)
			a := AppClient{AppName: req.AppName, ARN: arn, Description: req.Description, RedirectURLs: req.RedirectURLs,
				StarterUserEmails: req.StarterUserEmails, VerificationDetails: VerificationDetails{VerificationStatus: "pending_verification"}}
			if !conflict {
				s.clients = append(s.clients, a)
			}
			created = map[string]any{"appClientSummary": AppClientCreated{ARN: arn, VerificationStatus: "pending_verification", ClientID: "uuid"}}
		}
		if conflict {
			writeErr(w, 409, "conflict")
			return
		}
		if s.posts == 1 {
			dropConn(s.t, w)
			return
		}
		writeJSON(w, 201, created)
	case strings.HasSuffix(p, "/users"):
		writeJSON(w, 200, map[string]any{"data": s.users, "next_cursor": ""})
	case strings.HasSuffix(p, "/accounts"):
		writeJSON(w, 200, map[string]any{"data": s.accounts, "next_cursor": ""})
	case strings.HasSuffix(p, "/members"):
		writeJSON(w, 200, map[string]any{"data": s.members, "next_cursor": ""})
	case p == "/appclients":
		var list []AppClientSummary
		for _, a := range s.clients {
			list = append(list, AppClientSummary{AppClientARN: a.ARN})
		}
		writeJSON(w, 200, map[string]any{"appClientList": list})
	case strings.HasPrefix(p, "/appclients/"):
		for _, a := range s.clients {
			if AppClientID(a.ARN) == strings.TrimPrefix(p, "/appclients/") {
				writeJSON(w, 200, map[string]any{"appClient": a})
				return
			}
		}
		writeErr(w, 404, "not_found")
	default:
		writeErr(w, 404, "not_found")
	}
}

func TestRetriedCreateAnswered409IsResolvedByNaturalKey(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		create func(c *Client) (string, error) // returns the id of what it got
		count  func(s *lossyServer) int
	}{
		{"user by email", func(c *Client) (string, error) {
			// A decoy with another email is listed first.
			u, err := c.CreateUser(ctx, "app_demo", CreateUserRequest{Email: "a@example.com"})
			if err != nil {
				return "", err
			}
			return u.ID + " " + u.Email, nil
		}, func(s *lossyServer) int { return len(s.users) }},
		{"account by name", func(c *Client) (string, error) {
			a, err := c.CreateAccount(ctx, "acc_root", CreateAccountRequest{Name: "team-a"})
			if err != nil {
				return "", err
			}
			return a.ID + " " + a.Name, nil
		}, func(s *lossyServer) int { return len(s.accounts) }},
		{"member by user id", func(c *Client) (string, error) {
			m, err := c.AddMember(ctx, "acc_root", CreateMemberRequest{UserID: "usr_9", Role: "admin"})
			if err != nil {
				return "", err
			}
			return m.ID + " " + m.UserID, nil
		}, func(s *lossyServer) int { return len(s.members) }},
		{"app client by appName", func(c *Client) (string, error) {
			a, err := c.CreateAppClient(ctx, CreateAppClientRequest{AppName: "Test App", RedirectURLs: []string{"https://x"}, StarterUserEmails: []string{"a@example.com"}})
			if err != nil {
				return "", err
			}
			return AppClientID(a.ARN), nil
		}, func(s *lossyServer) int { return len(s.clients) }},
	}
	want := map[string]string{
		"user by email": "usr_1 a@example.com", "account by name": "acc_1 team-a",
		"member by user id": "mem_1 usr_9", "app client by appName": "uuid-1",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &lossyServer{t: t}
			c := setup(t, s, Options{})
			got, err := tt.create(c)
			if err != nil {
				t.Fatal(err)
			}
			if got != want[tt.name] {
				t.Errorf("got %q, want %q", got, want[tt.name])
			}
			if n := tt.count(s); n != 1 {
				t.Errorf("%d created, want 1", n)
			}
			if s.posts != 2 {
				t.Errorf("%d POSTs, want 2", s.posts)
			}
		})
	}
}

func TestFirstAttemptConflictIsAnError(t *testing.T) {
	s := &lossyServer{t: t, posts: 1, users: []User{{ID: "usr_1", Email: "a@example.com"}}}
	c := setup(t, s, Options{})
	_, err := c.CreateUser(context.Background(), "app_demo", CreateUserRequest{Email: "a@example.com"})
	if !IsConflict(err) {
		t.Errorf("err = %v, want a conflict", err)
	}
}

func TestListsReadEveryPageAtTheLargestSize(t *testing.T) {
	var mu sync.Mutex
	var queries []string
	mux := http.NewServeMux()
	mux.HandleFunc("/api/accounts/acc%2Froot/members", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.RawQuery)
		mu.Unlock()
		switch r.URL.Query().Get("cursor") {
		case "":
			writeJSON(w, 200, map[string]any{"data": []Member{{ID: "m1"}, {ID: "m2"}}, "next_cursor": "c2"})
		case "c2":
			writeJSON(w, 200, map[string]any{"data": []Member{{ID: "m3"}}, "next_cursor": ""})
		}
	})
	mux.HandleFunc("/appclients", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.RawQuery)
		mu.Unlock()
		if r.URL.Query().Get("nextToken") == "" {
			writeJSON(w, 200, map[string]any{"appClientList": []AppClientSummary{{AppClientARN: "a1"}}, "nextToken": "t2"})
			return
		}
		writeJSON(w, 200, map[string]any{"appClientList": []AppClientSummary{{AppClientARN: "a2"}}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL+"/", nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := c.ListMembers(context.Background(), "acc/root")
	if err != nil {
		t.Fatal(err)
	}
	acs, err := c.ListAppClients(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	for _, a := range acs {
		ids = append(ids, a.AppClientARN)
	}
	if diff := cmp.Diff([]string{"m1", "m2", "m3", "a1", "a2"}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	want := []string{"limit=1000", "cursor=c2&limit=1000", "maxResults=100", "maxResults=100&nextToken=t2"}
	if diff := cmp.Diff(want, queries); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}
	if c.Requests() != 4 {
		t.Errorf("Requests() = %d, want 4", c.Requests())
	}
}

func TestPathsAreEscaped(t *testing.T) {
	var got string
	c := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.EscapedPath()
		writeJSON(w, 200, Member{})
	}), Options{})
	if _, err := c.UpdateMember(context.Background(), "acc/../x", "m?1", UpdateMemberRequest{Role: "admin"}); err != nil {
		t.Fatal(err)
	}
	if want := "/api/accounts/acc%2F..%2Fx/members/m%3F1"; got != want {
		t.Errorf("path %q, want %q", got, want)
	}
}

func TestPatchBodiesOmitUnsetFields(t *testing.T) {
	var body string
	c := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		writeJSON(w, 200, User{})
	}), Options{})
	empty := ""
	if _, err := c.UpdateUser(context.Background(), "u", UpdateUserRequest{Name: &empty, Metadata: map[string]*string{"managed-by": nil}}); err != nil {
		t.Fatal(err)
	}
	if want := `{"name":"","metadata":{"managed-by":null}}`; body != want {
		t.Errorf("body %s, want %s", body, want)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name, in string
		want     time.Duration
	}{
		{"seconds", "3", 3 * time.Second},
		{"zero", "0", 0},
		{"an hour", "3600", time.Hour},
		{"capped seconds", "1000000", maxRetryAfter},
		{"http date", now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second},
		{"past date", now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"capped date", now.Add(48 * time.Hour).Format(http.TimeFormat), maxRetryAfter},
		{"missing", "", defaultRetryAfter429},
		{"garbage", "soon", defaultRetryAfter429},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseRetryAfter(tt.in, now); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestRateLimitWaitsRetryAfterHTTPDateAndIsShared(t *testing.T) {
	var (
		mu    sync.Mutex
		times []time.Time
	)
	first := true
	c := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		times = append(times, time.Now())
		if first {
			first = false
			// An HTTP date has one-second resolution: two seconds ahead waits more than one.
			w.Header().Set("Retry-After", time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat))
			writeErr(w, 429, "rate_limited")
			return
		}
		writeJSON(w, 200, Account{ID: "acc"})
	}), Options{})
	start := time.Now()
	if _, err := c.GetAccount(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	// The limit is shared: a second request started now also waits for the window.
	if _, err := c.GetAccount(context.Background(), "b"); err != nil {
		t.Fatal(err)
	}
	if len(times) != 3 {
		t.Fatalf("%d requests, want 3", len(times))
	}
	if d := times[1].Sub(start); d < time.Second {
		t.Errorf("retried after %s, want >= 1s", d)
	}
	var rl *RateLimitError
	if !errors.As(&RateLimitError{Err: &Error{StatusCode: 429}}, &rl) || !IsRateLimited(rl) {
		t.Errorf("RateLimitError does not unwrap to a 429 *Error")
	}
}

func TestRateLimitHoldsOtherWorkers(t *testing.T) {
	var (
		mu        sync.Mutex
		limited   time.Time
		early     int
		requests  int
		firstDone = make(chan struct{})
	)
	c := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		n := requests
		if !limited.IsZero() && time.Since(limited) < 900*time.Millisecond {
			early++
		}
		if n == 1 {
			limited = time.Now()
		}
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			writeErr(w, 429, "rate_limited")
			close(firstDone)
			return
		}
		writeJSON(w, 200, User{})
	}), Options{})
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _, _ = c.GetUser(ctx, "first") }()
	<-firstDone
	time.Sleep(20 * time.Millisecond) // let the client record the 429
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.GetUser(ctx, "other"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if early != 0 {
		t.Errorf("%d requests arrived inside the Retry-After window", early)
	}
}

func TestMaxRPSCapsRequests(t *testing.T) {
	c := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, User{}) }), Options{MaxRPS: 20})
	start := time.Now()
	for range 30 {
		if _, err := c.GetUser(context.Background(), "u"); err != nil {
			t.Fatal(err)
		}
	}
	// A burst of 20, then 10 more at 20 a second: at least about 0.5 s.
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("30 requests at --max-rps 20 took %s", d)
	}
}

func TestContextCancelStopsRetrying(t *testing.T) {
	var hits atomic.Int64
	c := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "30")
		writeErr(w, 429, "rate_limited")
	}), Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.GetUser(ctx, "u")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want deadline exceeded", err)
	}
	if hits.Load() != 1 {
		t.Errorf("%d requests, want 1", hits.Load())
	}
}

type permanentErr struct{}

func (permanentErr) Error() string   { return "refused for good" }
func (permanentErr) Permanent() bool { return true }

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestPermanentTransportErrorsAreNotRetried(t *testing.T) {
	var hits atomic.Int64
	hc := &http.Client{Transport: rtFunc(func(*http.Request) (*http.Response, error) {
		hits.Add(1)
		return nil, permanentErr{}
	})}
	c, err := New("http://127.0.0.1:1", hc, Options{BaseBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetUser(context.Background(), "u")
	var p permanentErr
	if !errors.As(err, &p) || hits.Load() != 1 {
		t.Errorf("err = %v after %d requests, want the permanent error after 1", err, hits.Load())
	}
}

func TestDebugLogNamesRequestsWithoutHeadersOrBodies(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 201, User{ID: "usr_1", Email: "secret-body@example.com"})
	}), Options{Logger: log})
	if _, err := c.CreateUser(context.Background(), "app_demo", CreateUserRequest{Email: "secret-body@example.com"}); err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("log %q: %v", buf.String(), err)
	}
	for k, want := range map[string]any{"msg": "api request", "method": "POST", "path": "/api/applications/app_demo/users", "status": 201.0, "attempt": 1.0} {
		if rec[k] != want {
			t.Errorf("log %s = %v, want %v", k, rec[k], want)
		}
	}
	if _, ok := rec["duration"]; !ok {
		t.Errorf("no duration in %v", rec)
	}
	if strings.Contains(buf.String(), "secret-body") || strings.Contains(buf.String(), "Idempotency") {
		t.Errorf("log holds a body or header: %s", buf.String())
	}
}

func TestAppClientID(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:appfabric:us-east-1:111122223333:appclient/a1b2-c3": "a1b2-c3",
		"a1b2": "a1b2",
	} {
		if got := AppClientID(in); got != want {
			t.Errorf("AppClientID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestListsRefuseARepeatedCursor(t *testing.T) {
	tests := []struct {
		name string
		// next returns the cursor the server gives after the page asked for with cur.
		next func(cur string) string
		list func(c *Client) error
	}{
		{"users: same cursor again", func(string) string { return "A" }, func(c *Client) error {
			_, err := c.ListUsers(context.Background(), "app")
			return err
		}},
		{"users: cycle A, B, A", func(cur string) string {
			if cur == "A" {
				return "B"
			}
			return "A"
		}, func(c *Client) error {
			_, err := c.ListUsers(context.Background(), "app")
			return err
		}},
		{"app clients: same token again", func(string) string { return "same" }, func(c *Client) error {
			_, err := c.ListAppClients(context.Background())
			return err
		}},
		{"app clients: cycle t1, t2, t1", func(cur string) string {
			if cur == "t1" {
				return "t2"
			}
			return "t1"
		}, func(c *Client) error {
			_, err := c.ListAppClients(context.Background())
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int64
			c := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if hits.Add(1) > 50 {
					writeErr(w, 400, "looping") // stop a looping client
					return
				}
				q := r.URL.Query()
				if r.URL.Path == "/appclients" {
					writeJSON(w, 200, map[string]any{"appClientList": []AppClientSummary{{AppClientARN: "a"}}, "nextToken": tt.next(q.Get("nextToken"))})
					return
				}
				writeJSON(w, 200, map[string]any{"data": []User{{ID: "u"}}, "next_cursor": tt.next(q.Get("cursor"))})
			}), Options{})
			err := tt.list(c)
			if err == nil || !strings.Contains(err.Error(), "pagination loop") {
				t.Errorf("err = %v, want a pagination loop error", err)
			}
			if hits.Load() > 4 {
				t.Errorf("%d requests, want at most 4", hits.Load())
			}
		})
	}
}

func TestHangingServerIsBoundedPerAttemptAndByTheBudget(t *testing.T) {
	var (
		mu      sync.Mutex
		keys    []string
		release = make(chan struct{})
	)
	c := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		_, _ = io.Copy(io.Discard, r.Body)
		select { // accepts, never answers
		case <-r.Context().Done():
		case <-release:
		}
	}), Options{AttemptTimeout: 100 * time.Millisecond, MaxElapsed: 700 * time.Millisecond})
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	for _, tt := range []struct {
		name string
		do   func() error
	}{
		{"GET", func() error { _, err := c.GetUser(context.Background(), "u"); return err }},
		{"POST", func() error {
			_, err := c.CreateUser(context.Background(), "app", CreateUserRequest{Email: "a@example.com"})
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			keys = nil
			mu.Unlock()
			start := time.Now()
			err := tt.do()
			took := time.Since(start)
			if err == nil || !strings.Contains(err.Error(), "no answer within") {
				t.Errorf("err = %v, want a per-attempt timeout", err)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v matches context.DeadlineExceeded, which means the command's own deadline", err)
			}
			if took > 2*time.Second {
				t.Errorf("took %s with a 700ms budget", took)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(keys) < 2 {
				t.Errorf("%d attempts, want a timed-out attempt retried", len(keys))
			}
			for i := range keys {
				if keys[i] != keys[0] {
					t.Errorf("attempt %d Idempotency-Key %q, want %q", i+1, keys[i], keys[0])
				}
			}
		})
	}
}

// A 503 outage shorter than the budget is ridden out however many attempts it takes: the
// retries go on while the budget lasts, each wait at least half its backoff step.
func TestOutageShorterThanTheBudgetIsRiddenOut(t *testing.T) {
	start := time.Now()
	var hits atomic.Int64
	c := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if time.Since(start) < 500*time.Millisecond {
			writeErr(w, 503, "unavailable")
			return
		}
		writeJSON(w, 200, User{ID: "usr_1"})
	}), Options{BaseBackoff: 2 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, MaxElapsed: 3 * time.Second})
	u, err := c.GetUser(context.Background(), "usr_1")
	if err != nil || u.ID != "usr_1" {
		t.Fatalf("GetUser = %v, %v; want the user after the outage", u, err)
	}
	// 500ms of waits of at most 20ms: well over 10 attempts; at least 10ms each: at most ~50.
	if n := hits.Load(); n < 20 || n > 60 {
		t.Errorf("%d requests, want 20 to 60", n)
	}
}

func TestBackoffHasAFloor(t *testing.T) {
	c, err := New("https://x", nil, Options{BaseBackoff: 100 * time.Millisecond, MaxBackoff: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= 12; attempt++ {
		step := min(100*time.Millisecond<<(attempt-1), 10*time.Second)
		for range 50 {
			if d := c.backoff(attempt); d < step/2 || d > step {
				t.Fatalf("backoff(%d) = %s, want in [%s, %s]", attempt, d, step/2, step)
			}
		}
	}
}

// The defaults give at least 8 attempts within the 2-minute budget whatever the jitter, and
// retry as long as the budget lasts.
func TestDefaultBudget(t *testing.T) {
	c, err := New("https://x", nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.opts.MaxElapsed != 2*time.Minute {
		t.Errorf("MaxElapsed %s, want 2m", c.opts.MaxElapsed)
	}
	var longest time.Duration // the longest 7 waits can be
	for attempt := 1; attempt <= 7; attempt++ {
		longest += min(c.opts.BaseBackoff<<(attempt-1), c.opts.MaxBackoff)
	}
	if longest > 30*time.Second {
		t.Errorf("the first 7 backoffs may take %s", longest)
	}
	// Waits of at most MaxBackoff until 2 minutes are spent need this many attempts.
	if need := int(c.opts.MaxElapsed / c.opts.MaxBackoff); c.opts.MaxAttempts < need {
		t.Errorf("MaxAttempts %d ends retrying before the budget (needs %d)", c.opts.MaxAttempts, need)
	}
}

func TestRetryAfterPastTheBudgetGivesUpAtOnce(t *testing.T) {
	var hits atomic.Int64
	c := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "3600")
		writeErr(w, 429, "rate_limited")
	}), Options{MaxElapsed: time.Second})
	start := time.Now()
	_, err := c.GetUser(context.Background(), "u")
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("took %s", d)
	}
	want := "api: giving up after 1 attempt in 0s: the server asks to wait 1h0m0s, more than the 1s retry budget has left: api: GET /api/users/u: 429 Too Many Requests: rate_limited: msg rate_limited (retry after 1h0m0s)"
	if diff := cmp.Diff(want, errString(err)); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	if !IsRateLimited(err) || hits.Load() != 1 {
		t.Errorf("err %v after %d requests, want the 429 after 1", err, hits.Load())
	}
	// The server's window holds every request of the client: the next one gives up unsent.
	start = time.Now()
	_, err = c.GetUser(context.Background(), "v")
	if err == nil || !strings.Contains(err.Error(), "after the request's 1s retry budget ends") || time.Since(start) > 500*time.Millisecond {
		t.Errorf("second request: err = %v after %s, want a budget error at once", err, time.Since(start))
	}
	if hits.Load() != 1 {
		t.Errorf("%d requests, want the second not sent", hits.Load())
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// conflictServer answers the first POST as first says, every later POST 409, and the lists with
// the resources given (someone else's, or the create's own).
type conflictServer struct {
	t        *testing.T
	first    string // "429", "503", "drop" (the request is read, the answer lost), "502"
	posts    atomic.Int64
	lists    atomic.Int64
	users    []User
	accounts []Account
	members  []Member
	clients  []AppClient
}

func (s *conflictServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	p := r.URL.Path
	if r.Method == http.MethodPost {
		if s.posts.Add(1) == 1 {
			switch s.first {
			case "429":
				w.Header().Set("Retry-After", "0")
				writeErr(w, 429, "rate_limited")
			case "drop":
				dropConn(s.t, w)
			default:
				status := 503
				fmt.Sscan(s.first, &status)
				writeErr(w, status, "unavailable")
			}
			return
		}
		writeErr(w, 409, "conflict")
		return
	}
	s.lists.Add(1)
	switch {
	case strings.HasSuffix(p, "/users"):
		writeJSON(w, 200, map[string]any{"data": s.users, "next_cursor": ""})
	case strings.HasSuffix(p, "/accounts"):
		writeJSON(w, 200, map[string]any{"data": s.accounts, "next_cursor": ""})
	case strings.HasSuffix(p, "/members"):
		writeJSON(w, 200, map[string]any{"data": s.members, "next_cursor": ""})
	case p == "/appclients":
		var list []AppClientSummary
		for _, a := range s.clients {
			list = append(list, AppClientSummary{AppClientARN: a.ARN})
		}
		writeJSON(w, 200, map[string]any{"appClientList": list})
	case strings.HasPrefix(p, "/appclients/"):
		for _, a := range s.clients {
			if AppClientID(a.ARN) == strings.TrimPrefix(p, "/appclients/") {
				writeJSON(w, 200, map[string]any{"appClient": a})
				return
			}
		}
		writeErr(w, 404, "not_found")
	}
}

func TestRetried409IsResolvedOnlyWhenAnEarlierAttemptMayHaveCreatedItAndItMatches(t *testing.T) {
	ctx := context.Background()
	marker := map[string]string{"managed-by": "team-a"}
	alice := CreateUserRequest{Email: "alice@example.com", Name: "Alice", Status: "active", Metadata: marker}
	ops := CreateAccountRequest{Name: "ops", Metadata: marker}
	viewer := CreateMemberRequest{UserID: "usr_1", Role: "viewer"}
	app := CreateAppClientRequest{AppName: "App", Description: "d", RedirectURLs: []string{"https://a", "https://b"}, StarterUserEmails: []string{"a@example.com"}}
	arn := "arn:aws:appfabric:us-east-1:1:appclient/uuid-1"
	createUser := func(c *Client) (string, error) {
		u, err := c.CreateUser(ctx, "app", alice)
		if err != nil {
			return "", err
		}
		return u.ID, nil
	}
	tests := []struct {
		name   string
		srv    *conflictServer
		create func(c *Client) (string, error)
		// want is the id taken as the result, or "409" for the conflict error.
		want string
	}{
		{"user after a 429: never resolved", &conflictServer{first: "429",
			users: []User{{ID: "usr_other", Email: "alice@example.com", Name: "Somebody", Status: "suspended", Metadata: map[string]string{"managed-by": "other-team"}}}},
			createUser, "409"},
		{"user after a 429, even when it matches", &conflictServer{first: "429",
			users: []User{{ID: "usr_1", Email: "alice@example.com", Name: "Alice", Status: "active", Metadata: marker}}},
			createUser, "409"},
		{"user after a lost answer, matching", &conflictServer{first: "drop",
			users: []User{{ID: "usr_x", Email: "ALICE@example.com"}, {ID: "usr_1", Email: "alice@example.com", Name: "Alice", Status: "active", Metadata: marker}}},
			createUser, "usr_1"},
		{"user after a 503, matching, email in another case", &conflictServer{first: "503",
			users: []User{{ID: "usr_1", Email: "Alice@Example.com", Name: "Alice", Status: "active", Metadata: map[string]string{"managed-by": "team-a", "x": "y"}}}},
			createUser, "usr_1"},
		{"user after a 502, another owner's", &conflictServer{first: "502",
			users: []User{{ID: "usr_other", Email: "alice@example.com", Name: "Alice", Status: "active", Metadata: map[string]string{"managed-by": "other-team"}}}},
			createUser, "409"},
		{"user after a lost answer, another name", &conflictServer{first: "drop",
			users: []User{{ID: "usr_other", Email: "alice@example.com", Name: "Somebody", Status: "active", Metadata: marker}}},
			createUser, "409"},
		{"user: several emails equal but for case, none exact", &conflictServer{first: "503",
			users: []User{{ID: "usr_1", Email: "Alice@example.com", Name: "Alice", Status: "active", Metadata: marker}, {ID: "usr_2", Email: "ALICE@example.com", Name: "Alice", Status: "active", Metadata: marker}}},
			createUser, "409"},
		{"account after a 504, unmarked", &conflictServer{first: "504",
			accounts: []Account{{ID: "acc_other", Name: "ops"}}},
			func(c *Client) (string, error) {
				a, err := c.CreateAccount(ctx, "root", ops)
				if err != nil {
					return "", err
				}
				return a.ID, nil
			}, "409"},
		{"account after a 504, matching", &conflictServer{first: "504",
			accounts: []Account{{ID: "acc_1", Name: "ops", Metadata: marker}}},
			func(c *Client) (string, error) {
				a, err := c.CreateAccount(ctx, "root", ops)
				if err != nil {
					return "", err
				}
				return a.ID, nil
			}, "acc_1"},
		{"member after a lost answer, another role", &conflictServer{first: "drop",
			members: []Member{{ID: "mem_other", UserID: "usr_1", Role: "admin"}}},
			func(c *Client) (string, error) {
				m, err := c.AddMember(ctx, "acc", viewer)
				if err != nil {
					return "", err
				}
				return m.ID, nil
			}, "409"},
		{"member after a lost answer, same role", &conflictServer{first: "drop",
			members: []Member{{ID: "mem_1", UserID: "usr_1", Role: "viewer"}}},
			func(c *Client) (string, error) {
				m, err := c.AddMember(ctx, "acc", viewer)
				if err != nil {
					return "", err
				}
				return m.ID, nil
			}, "mem_1"},
		{"app client after a 503, same name, other URLs", &conflictServer{first: "503",
			clients: []AppClient{{AppName: "App", ARN: arn, Description: "d", RedirectURLs: []string{"https://evil"}, StarterUserEmails: []string{"a@example.com"}}}},
			func(c *Client) (string, error) {
				a, err := c.CreateAppClient(ctx, app)
				if err != nil {
					return "", err
				}
				return a.ClientID, nil
			}, "409"},
		{"app client after a 503, matching", &conflictServer{first: "503",
			clients: []AppClient{
				{AppName: "App", ARN: arn + "x", Description: "other"},
				{AppName: "App", ARN: arn, Description: "d", RedirectURLs: []string{"https://b", "https://a"}, StarterUserEmails: []string{"A@example.com"}},
			}},
			func(c *Client) (string, error) {
				a, err := c.CreateAppClient(ctx, app)
				if err != nil {
					return "", err
				}
				return a.ClientID, nil
			}, "uuid-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.srv.t = t
			c := setup(t, tt.srv, Options{})
			got, err := tt.create(c)
			if tt.want == "409" {
				if !IsConflict(err) {
					t.Errorf("got %q, %v; want the 409", got, err)
				}
			} else if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
			if n := tt.srv.posts.Load(); n != 2 {
				t.Errorf("%d POSTs, want 2", n)
			}
		})
	}
}

// A create whose first attempt never reached the server (a dial error) and whose retry meets 409
// met someone else's resource: the 409 is the answer, nothing is read back.
func TestRetried409AfterAnUnsentAttemptIsAConflict(t *testing.T) {
	s := &conflictServer{t: t, first: "none", members: []Member{{ID: "mem_other", UserID: "usr_1", Role: "viewer"}}}
	s.posts.Store(1) // every POST that arrives is answered 409
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	var calls atomic.Int64
	hc := &http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPost && calls.Add(1) == 1 {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	c, err := New(srv.URL, hc, Options{BaseBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.AddMember(context.Background(), "acc", CreateMemberRequest{UserID: "usr_1", Role: "viewer"})
	if !IsConflict(err) {
		t.Errorf("AddMember = %+v, %v; want the 409", m, err)
	}
	if s.lists.Load() != 0 {
		t.Errorf("%d reads, want none", s.lists.Load())
	}
}
