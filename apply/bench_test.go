package apply_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/inbox-manager/inboxctl/api"
	"github.com/inbox-manager/inboxctl/apply"
	"github.com/inbox-manager/inboxctl/auth"
	"github.com/inbox-manager/inboxctl/plan"
	"github.com/inbox-manager/inboxctl/sandbox"
	"github.com/inbox-manager/inboxctl/sandbox/sandboxtest"
	"github.com/inbox-manager/inboxctl/spec"
)

const benchLatency = 10 * time.Millisecond

// createsPlan plans n creates against an empty tenant: n/100 accounts, and the rest split
// evenly between users and their memberships (one account each, round robin). The critical
// path is two changes deep (account or user, then member).
func createsPlan(b *testing.B, apiURL string, n int) *plan.Plan {
	accounts := max(1, n/100)
	users := (n - accounts) / 2
	desired := &spec.State{Owner: "bench", Application: "app_demo", Account: "acc_root", Prune: true,
		Mentions: spec.Mentions{Users: true, Accounts: true}}
	for a := range accounts {
		desired.Accounts = append(desired.Accounts, spec.Account{Path: fmt.Sprintf("a%04d", a), Name: fmt.Sprintf("a%04d", a)})
	}
	for u := range users {
		email := fmt.Sprintf("u%05d@example.com", u)
		desired.Users = append(desired.Users, spec.User{Email: email})
		desired.Members = append(desired.Members, spec.Member{AccountPath: fmt.Sprintf("a%04d", u%accounts), User: email, Role: spec.RoleViewer})
	}
	desired.Canonicalize()
	empty := &spec.State{Owner: desired.Owner, Application: desired.Application, Account: desired.Account, Mentions: desired.Mentions}
	p, err := plan.Compute(desired, empty, plan.Options{MaxDeletePercent: 25, Target: plan.Target{APIURL: apiURL}})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func benchClient(b *testing.B, srv *sandbox.Server) *api.Client {
	src, err := auth.New(auth.Config{TokenURL: srv.TokenURL(), RevokeURL: srv.RevokeURL(), Audience: sandbox.DefaultAudience,
		ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret})
	if err != nil {
		b.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	c, err := api.New(srv.URL(), &http.Client{Transport: src.Transport(tr)}, api.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkApplyCreates applies creates against a sandbox answering after 10 ms. Each
// iteration starts from an empty tenant. It reports changes/s and the ratio of the measured
// time to the ideal one: max(critical path, changes) x latency / parallelism.
func BenchmarkApplyCreates(b *testing.B) {
	for _, tc := range []struct{ changes, parallelism int }{
		{1000, 1}, // 10,000 at parallelism 1 would take 100 s; the time per change is what counts
		{10000, 8},
		{10000, 32},
	} {
		b.Run(fmt.Sprintf("changes=%d/parallelism=%d", tc.changes, tc.parallelism), func(b *testing.B) {
			var total time.Duration
			var n int
			for range b.N {
				b.StopTimer()
				srv := sandboxtest.New(b, sandbox.Options{Latency: benchLatency})
				c := benchClient(b, srv)
				p := createsPlan(b, srv.URL(), tc.changes)
				n = len(p.Changes)
				b.StartTimer()
				start := time.Now()
				res, err := apply.Run(context.Background(), p, c, apply.Options{Parallelism: tc.parallelism}, nil)
				total += time.Since(start)
				if err != nil {
					b.Fatalf("Run: %v (%d failed)", err, res.Failed)
				}
				b.ReportMetric(float64(c.Requests())/float64(n), "requests/change")
			}
			per := total / time.Duration(b.N)
			ideal := max(2*benchLatency, time.Duration(n)*benchLatency/time.Duration(tc.parallelism))
			b.ReportMetric(float64(n)/per.Seconds(), "changes/s")
			b.ReportMetric(float64(per)/float64(ideal), "x_ideal")
		})
	}
}
