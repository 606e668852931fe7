package sandbox_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/inbox-manager/inboxctl/sandbox"
)

// TestUserPagination pages over 2,500 users while users are added and deleted between pages: no
// duplicate, and every user that lived throughout is listed.
func TestUserPagination(t *testing.T) {
	srv, c := start(t, sandbox.Options{})
	var seed sandbox.SeedData
	for i := range 2500 {
		seed.Users = append(seed.Users, sandbox.SeedUser{Email: fmt.Sprintf("user%04d@example.com", i)})
	}
	res, err := srv.Seed(context.Background(), seed)
	if err != nil {
		t.Fatal(err)
	}
	deleted := map[string]bool{} // across both runs
	for _, limit := range []int{1000, 97} {
		t.Run("limit "+strconv.Itoa(limit), func(t *testing.T) {
			seen := map[string]bool{}
			cursor, pages := "", 0
			for {
				r := c.do("GET", "/api/applications/app_demo/users?limit="+strconv.Itoa(limit)+"&cursor="+url.QueryEscape(cursor), nil)
				want(t, r, 200, "")
				var p page[user]
				r.decode(t, &p)
				if len(p.Data) > limit {
					t.Fatalf("page of %d > limit %d", len(p.Data), limit)
				}
				for _, u := range p.Data {
					if seen[u.ID] {
						t.Fatalf("duplicate %s", u.Email)
					}
					seen[u.ID] = true
				}
				pages++
				if p.NextCursor == "" {
					break
				}
				cursor = p.NextCursor
				if pages%10 == 1 { // between some pages: delete an unseen user, add one
					for _, id := range res.UserIDs {
						if !seen[id] && !deleted[id] {
							want(t, c.do("DELETE", "/api/users/"+id, nil), 204, "")
							deleted[id] = true
							break
						}
					}
					c.createUser(fmt.Sprintf("late-%d-%d@example.com", limit, pages))
				}
			}
			for email, id := range res.UserIDs {
				if !deleted[id] && !seen[id] {
					t.Errorf("missing %s", email)
				}
				if deleted[id] && seen[id] {
					t.Errorf("listed after deletion: %s", email)
				}
			}
		})
	}

	runErrCases(t, c, []errCase{
		{"limit 0", "GET", "/api/applications/app_demo/users?limit=0", nil, 400, "validation_failed", "limit"},
		{"limit 1001", "GET", "/api/applications/app_demo/users?limit=1001", nil, 400, "validation_failed", "limit"},
		{"limit text", "GET", "/api/applications/app_demo/users?limit=ten", nil, 400, "validation_failed", "limit"},
		{"bad cursor", "GET", "/api/applications/app_demo/users?cursor=%21%21", nil, 400, "validation_failed", "cursor"},
		{"forged cursor", "GET", "/api/applications/app_demo/users?cursor=dXNlcnM6eDox", nil, 400, "validation_failed", "cursor"},
	})
	t.Run("default limit 100", func(t *testing.T) {
		r := c.do("GET", "/api/applications/app_demo/users", nil)
		var p page[user]
		r.decode(t, &p)
		if len(p.Data) != 100 || p.NextCursor == "" {
			t.Errorf("%d users, cursor %q", len(p.Data), p.NextCursor)
		}
	})
}

func TestIdempotencyKey(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	body := map[string]any{"email": "idem@example.com", "name": "I"}
	first := c.do("POST", "/api/applications/app_demo/users", body, "Idempotency-Key", "k1")
	want(t, first, 201, "")
	again := c.do("POST", "/api/applications/app_demo/users", body, "Idempotency-Key", "k1")
	if diff := cmp.Diff([]any{first.status, string(first.body)}, []any{again.status, string(again.body)}); diff != "" {
		t.Errorf("replay (-first +again):\n%s", diff)
	}
	if n := len(c.allUsers(1000)); n != 1 {
		t.Errorf("%d users after a replay, want 1", n)
	}
	other := c.do("POST", "/api/applications/app_demo/users", map[string]any{"email": "other@example.com"}, "Idempotency-Key", "k1")
	want(t, other, 422, "idempotency_key_reused")
	// Without the key the same body is a conflict, as a retry without the header would be.
	want(t, c.do("POST", "/api/applications/app_demo/users", body), 409, "email_taken")
	// A key is scoped to its path.
	acc := c.do("POST", "/api/accounts/acc_root/accounts", map[string]any{"name": "a"}, "Idempotency-Key", "k1")
	want(t, acc, 201, "")
	// Errors are not stored: a failed request with a key can be retried with the same key.
	bad := map[string]any{"user_id": "usr_nope", "role": "viewer"}
	want(t, c.do("POST", "/api/accounts/acc_root/members", bad, "Idempotency-Key", "k2"), 404, "not_found")
	var u user
	first.decode(t, &u)
	want(t, c.do("POST", "/api/accounts/acc_root/members", map[string]any{"user_id": u.ID, "role": "viewer"}, "Idempotency-Key", "k2"), 201, "")
	want(t, c.do("POST", "/appclients", validAppClient("x"), "Idempotency-Key", "k3"), 200, "")
	want(t, c.do("POST", "/appclients", validAppClient("x"), "Idempotency-Key", "k3"), 200, "")
	var l appClientList
	c.do("GET", "/appclients", nil).decode(t, &l)
	if len(l.List) != 1 {
		t.Errorf("%d app clients after a replay, want 1", len(l.List))
	}
	long := make([]byte, 256)
	for i := range long {
		long[i] = 'k'
	}
	want(t, c.do("POST", "/api/applications/app_demo/users", body, "Idempotency-Key", string(long)), 400, "validation_failed")
}

// TestIdempotencyConcurrent: the same key sent many times at once creates one user, and every
// request gets the same answer.
func TestIdempotencyConcurrent(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	var wg sync.WaitGroup
	bodies := make([]string, 16)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := c.try("POST", "/api/applications/app_demo/users", map[string]any{"email": "same@example.com"}, "Idempotency-Key", "k")
			if err != nil || r.status != 201 {
				t.Errorf("%v %d %s", err, r.status, r.body)
			}
			bodies[i] = string(r.body)
		}()
	}
	wg.Wait()
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Errorf("answers differ: %s vs %s", b, bodies[0])
		}
	}
}

func TestLatency(t *testing.T) {
	t.Parallel() // mostly waiting
	srv, c := start(t, sandbox.Options{Latency: 150 * time.Millisecond})
	startAt := time.Now()
	c.clientCredentials() // not delayed
	if d := time.Since(startAt); d >= 150*time.Millisecond {
		t.Errorf("token request took %v: latency must not apply to it", d)
	}
	var wg sync.WaitGroup
	durations := make([]time.Duration, 32)
	startAt = time.Now()
	for i := range durations {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			if r, err := c.try("POST", "/api/applications/app_demo/users", map[string]any{"email": fmt.Sprintf("l%d@example.com", i)}); err != nil || r.status != 201 {
				t.Errorf("%v %d", err, r.status)
			}
			durations[i] = time.Since(t0)
		}()
	}
	wg.Wait()
	total := time.Since(startAt)
	for _, d := range durations {
		if d < 150*time.Millisecond {
			t.Errorf("a request took %v, less than the latency", d)
		}
	}
	// 32 concurrent requests take about one latency, not 32 (loosely: under 10).
	if total > 1500*time.Millisecond {
		t.Errorf("32 concurrent requests took %v: latency is serialized", total)
	}
	srv.SetLatency(0)
	t0 := time.Now()
	c.do("GET", "/api/accounts/acc_root", nil)
	if d := time.Since(t0); d >= 150*time.Millisecond {
		t.Errorf("after SetLatency(0) a request took %v", d)
	}
}

func TestFailRate(t *testing.T) {
	srv, c := start(t, sandbox.Options{FailRate: 0.5})
	const n = 200
	created := 0
	for i := range n {
		r := c.do("POST", "/api/applications/app_demo/users", map[string]any{"email": fmt.Sprintf("f%d@example.com", i)})
		switch r.status {
		case 201:
			created++
		case 503:
			if r.errCode() == "" {
				t.Errorf("503 without the error envelope: %s", r.body)
			}
		default:
			t.Fatalf("status %d %s", r.status, r.body)
		}
	}
	if created < n*30/100 || created > n*70/100 {
		t.Errorf("%d of %d succeeded with fail rate 0.5", created, n)
	}
	// Token and revoke requests are never failed.
	for range 20 {
		tok := c.clientCredentials()
		if status, _, _ := c.form(srv.RevokeURL(), url.Values{"token": {tok}}, "dev-admin", "dev-secret"); status != 200 {
			t.Fatalf("revoke under fail rate: %d", status)
		}
	}
	st := srv.Stats()
	srv.SetFailRate(0)
	// A 503 happened before any effect: exactly the 201s exist.
	if got := len(c.allUsers(1000)); got != created {
		t.Errorf("%d users exist, %d creates succeeded", got, created)
	}
	if st.Faults503 != int64(n-created) || st.APIRequests != n || st.APIByMethod["POST"] != n {
		t.Errorf("stats %+v, want %d faults of %d", st, n-created, n)
	}
	srv.SetFailRate(1)
	want(t, c.do("GET", "/api/accounts/acc_root", nil), 503, "unavailable")
}

func TestRateLimit(t *testing.T) {
	t.Parallel() // mostly waiting
	srv, c := start(t, sandbox.Options{RateLimit: 5})
	var limited response
	ok := 0
	for range 20 {
		r := c.do("GET", "/api/accounts/acc_root", nil)
		if r.status == 429 {
			limited = r
			break
		}
		want(t, r, 200, "")
		ok++
		if r.header.Get("X-RateLimit-Limit") != "5" || r.header.Get("X-RateLimit-Remaining") == "" {
			t.Errorf("headers on 200: %v", r.header)
		}
	}
	if limited.status != 429 {
		t.Fatal("20 quick requests at 5/s were never limited")
	}
	if ok < 4 || ok > 6 {
		t.Errorf("%d requests passed before the first 429, want about 5", ok)
	}
	h := limited.header
	retry, err := strconv.Atoi(h.Get("Retry-After"))
	reset, err2 := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil || err2 != nil || retry < 1 || h.Get("X-RateLimit-Limit") != "5" || h.Get("X-RateLimit-Remaining") != "0" ||
		reset < time.Now().Unix() || limited.errCode() != "rate_limited" {
		t.Errorf("429 headers %v body %s", h, limited.body)
	}
	// Token and revoke requests are not limited.
	for range 10 {
		tok := c.clientCredentials()
		if status, _, _ := c.form(srv.RevokeURL(), url.Values{"token": {tok}}, "dev-admin", "dev-secret"); status != 200 {
			t.Fatalf("revoke under rate limit: %d", status)
		}
	}
	if st := srv.Stats(); st.Faults429 != 1 {
		t.Errorf("Faults429 = %d", st.Faults429)
	}
	time.Sleep(time.Duration(retry) * time.Second)
	want(t, c.do("GET", "/api/accounts/acc_root", nil), 200, "")
	srv.SetRateLimit(0)
	for range 20 {
		want(t, c.do("GET", "/api/accounts/acc_root", nil), 200, "")
	}
}

// TestDropResponse: the hook loses the answer of a committed create; a retry with the same
// Idempotency-Key gets the stored answer and nothing is created twice.
func TestDropResponse(t *testing.T) {
	var dropped atomic.Int32
	_, c := start(t, sandbox.Options{DropResponse: func(r *http.Request) bool {
		return r.Method == http.MethodPost && dropped.Add(1) == 1
	}})
	c.hc.Transport = &http.Transport{DisableKeepAlives: true} // no transparent replay by net/http
	body := map[string]any{"email": "drop@example.com"}
	if _, err := c.try("POST", "/api/applications/app_demo/users", body, "Idempotency-Key", "d1"); err == nil {
		t.Fatal("the dropped response arrived")
	}
	r := c.do("POST", "/api/applications/app_demo/users", body, "Idempotency-Key", "d1")
	want(t, r, 201, "")
	users := c.allUsers(100)
	if len(users) != 1 {
		t.Fatalf("%d users, want 1", len(users))
	}
	var u user
	r.decode(t, &u)
	if u.ID != users[0].ID {
		t.Errorf("retry answered %s, the user is %s", u.ID, users[0].ID)
	}
}

func TestPersistenceAcrossRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "persist.db")
	srv, err := sandbox.Start(context.Background(), sandbox.Options{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv)
	u := c.createUser("keep@example.com")
	acc := c.createAccount("acc_root", "kept")
	m := c.addMember(acc.ID, u.ID, "editor")
	ac := c.createAppClient(validAppClient("kept"))
	want(t, c.do("POST", "/api/accounts/acc_root/accounts", map[string]any{"name": "idem"}, "Idempotency-Key", "p1"), 201, "")
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	srv2, err := sandbox.Start(context.Background(), sandbox.Options{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	c.srv = srv2 // the old token still works: tokens are stored too
	want(t, c.do("GET", "/api/users/"+u.ID, nil), 200, "")
	want(t, c.do("GET", "/api/accounts/"+acc.ID, nil), 200, "")
	want(t, c.do("PATCH", "/api/accounts/"+acc.ID+"/members/"+m.ID, map[string]any{"role": "viewer"}), 200, "")
	want(t, c.do("GET", "/appclients/"+url.PathEscape(ac.Summary.ARN), nil), 200, "")
	want(t, c.do("POST", "/api/accounts/acc_root/accounts", map[string]any{"name": "idem"}, "Idempotency-Key", "p1"), 201, "")
	want(t, c.do("POST", "/api/applications/app_demo/users", map[string]any{"email": "keep@example.com"}), 409, "email_taken")
}

func TestMemoryDatabase(t *testing.T) {
	_, c := start(t, sandbox.Options{DB: ":memory:"})
	concurrentCreates(t, c, 8, 5)
	if n := len(c.allUsers(1000)); n != 40 {
		t.Errorf("%d users, want 40", n)
	}
}

func TestConcurrentCreates(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	concurrentCreates(t, c, 32, 4)
	if n := len(c.allUsers(1000)); n != 128 {
		t.Errorf("%d users, want 128", n)
	}
}

// concurrentCreates creates workers x each users, an account and a membership each, at once.
func concurrentCreates(t *testing.T, c *client, workers, each int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r, err := c.try("POST", "/api/applications/app_demo/users", map[string]any{"email": fmt.Sprintf("c%d-%d@example.com", w, i)})
				if err != nil || r.status != 201 {
					errs <- fmt.Errorf("user: %v %d %s", err, r.status, r.body)
					continue
				}
				var u user
				r.decode(t, &u)
				if r, err := c.try("POST", "/api/accounts/acc_root/members", map[string]any{"user_id": u.ID, "role": "viewer"}); err != nil || r.status != 201 {
					errs <- fmt.Errorf("member: %v %d %s", err, r.status, r.body)
				}
				if r, err := c.try("GET", "/api/users/"+u.ID, nil); err != nil || r.status != 200 {
					errs <- fmt.Errorf("get: %v %d %s", err, r.status, r.body)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestStartErrors(t *testing.T) {
	tests := []struct {
		name string
		opts sandbox.Options
	}{
		{"fail rate above 1", sandbox.Options{FailRate: 1.5}},
		{"negative rate limit", sandbox.Options{RateLimit: -1}},
		{"negative latency", sandbox.Options{Latency: -time.Second}},
		{"bad address", sandbox.Options{Addr: "not an address"}},
		{"db in a missing directory", sandbox.Options{DB: filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := sandbox.Start(context.Background(), tt.opts)
			if err == nil {
				srv.Close()
				t.Fatal("started")
			}
			if !strings.HasPrefix(err.Error(), "sandbox: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestSeed(t *testing.T) {
	srv, c := start(t, sandbox.Options{})
	res, err := srv.Seed(context.Background(), sandbox.SeedData{
		Users:    []sandbox.SeedUser{{Email: "A@example.com", Name: "A", Metadata: map[string]string{"managed-by": "x"}}, {Email: "b@example.com", Status: "suspended"}},
		Accounts: []sandbox.SeedAccount{{Path: "ops"}, {Path: "ops/team"}},
		Members:  []sandbox.SeedMember{{AccountPath: "ops/team", Email: "a@example.com", Role: "admin"}, {Email: "b@example.com", Role: "viewer"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var team account
	c.do("GET", "/api/accounts/"+res.AccountIDs["ops/team"], nil).decode(t, &team)
	if team.ParentID != res.AccountIDs["ops"] || team.Name != "team" {
		t.Errorf("team %+v", team)
	}
	var members page[member]
	c.do("GET", "/api/accounts/"+team.ID+"/members", nil).decode(t, &members)
	if len(members.Data) != 1 || members.Data[0].UserID != res.UserIDs["a@example.com"] {
		t.Errorf("members %+v", members)
	}
	// Paths of existing accounts resolve from the store; errors roll the whole seed back.
	if _, err := srv.Seed(context.Background(), sandbox.SeedData{Accounts: []sandbox.SeedAccount{{Path: "ops/team/deep"}, {Path: "missing/x"}}}); err == nil {
		t.Error("seed under a missing parent succeeded")
	}
	var children page[account]
	c.do("GET", "/api/accounts/"+team.ID+"/accounts", nil).decode(t, &children)
	if len(children.Data) != 0 {
		t.Errorf("a failed seed left %+v", children.Data)
	}
	for name, d := range map[string]sandbox.SeedData{
		"duplicate email": {Users: []sandbox.SeedUser{{Email: "a@example.com"}}},
		"bad role":        {Members: []sandbox.SeedMember{{Email: "b@example.com", Role: "x"}}},
		"unknown user":    {Members: []sandbox.SeedMember{{Email: "z@example.com", Role: "viewer"}}},
	} {
		if _, err := srv.Seed(context.Background(), d); err == nil {
			t.Errorf("%s: seeded", name)
		}
	}
}
