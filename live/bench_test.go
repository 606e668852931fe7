package live_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/inbox-manager/inboxctl/api"
	"github.com/inbox-manager/inboxctl/live"
	"github.com/inbox-manager/inboxctl/sandbox"
	"github.com/inbox-manager/inboxctl/sandbox/sandboxtest"
	"github.com/inbox-manager/inboxctl/spec"
)

// BenchmarkRead100k reads a tenant of 100,000 resources (20,000 users, 5,000 accounts in 50
// subtrees of 100, 75,000 memberships) from a sandbox on loopback, with the default bounded
// parallelism and, as the baseline, one call at a time (the same requests, in sequence).
func BenchmarkRead100k(b *testing.B) {
	const users, tops, perTop, membersPer = 20000, 50, 100, 15
	srv := sandboxtest.New(b, sandbox.Options{})
	c, _ := newClient(b, srv)
	var d sandbox.SeedData
	for i := range users {
		d.Users = append(d.Users, sandbox.SeedUser{Email: fmt.Sprintf("user%05d@example.com", i), Name: fmt.Sprintf("User %d", i)})
	}
	n := 0
	for t := range tops {
		top := fmt.Sprintf("team-%02d", t)
		for k := range perTop {
			p := top
			if k > 0 {
				p = fmt.Sprintf("%s/sub-%02d", top, k)
			}
			d.Accounts = append(d.Accounts, sandbox.SeedAccount{Path: p})
			for j := range membersPer {
				d.Members = append(d.Members, sandbox.SeedMember{AccountPath: p, Email: fmt.Sprintf("user%05d@example.com", (n*membersPer+j)%users), Role: spec.RoleViewer})
			}
			n++
		}
	}
	if _, err := srv.Seed(context.Background(), d); err != nil {
		b.Fatal(err)
	}
	s := scope(spec.Mentions{Users: true, Accounts: true})
	for _, bc := range []struct {
		name        string
		parallelism int
	}{{"parallel-8", live.DefaultParallelism}, {"sequential", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var reqs int64
			for b.Loop() {
				var cnt api.Counter
				got, err := live.Read(api.WithCounter(context.Background(), &cnt), c, s, live.Options{Parallelism: bc.parallelism})
				if err != nil {
					b.Fatal(err)
				}
				if len(got.Users)+len(got.Accounts)+len(got.Members) != users+tops*perTop+tops*perTop*membersPer {
					b.Fatalf("read %d users, %d accounts, %d members", len(got.Users), len(got.Accounts), len(got.Members))
				}
				reqs = cnt.Requests.Load()
			}
			b.ReportMetric(float64(reqs), "requests/op")
		})
	}
}
