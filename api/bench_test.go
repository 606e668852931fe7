package api_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/inbox-manager/inboxctl/auth"
	"github.com/inbox-manager/inboxctl/sandbox"
	"github.com/inbox-manager/inboxctl/sandbox/sandboxtest"
)

// BenchmarkListUsers10k reads 10,000 users (10 pages of 1000) from the sandbox on loopback,
// through the auth transport, and reports the requests each read makes.
func BenchmarkListUsers10k(b *testing.B) {
	srv := sandboxtest.New(b, sandbox.Options{})
	var seed sandbox.SeedData
	for i := range 10000 {
		seed.Users = append(seed.Users, sandbox.SeedUser{Email: fmt.Sprintf("u%05d@example.com", i), Name: "User"})
	}
	if _, err := srv.Seed(context.Background(), seed); err != nil {
		b.Fatal(err)
	}
	c, _ := newClient(b, srv, auth.GrantClientCredentials, nil, nil)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		users, err := c.ListUsers(ctx, sandbox.DefaultApplicationID)
		if err != nil {
			b.Fatal(err)
		}
		if len(users) != 10000 {
			b.Fatalf("%d users", len(users))
		}
	}
	b.ReportMetric(float64(c.Requests())/float64(b.N), "requests/op")
}
