package sandbox_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inbox-manager/inboxctl/sandbox"
)

// BenchmarkCreateUser: one POST /api/applications/app_demo/users per op over loopback HTTP, with
// a file database in WAL mode.
func BenchmarkCreateUser(b *testing.B) {
	_, c := start(b, sandbox.Options{})
	var n atomic.Int64
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			r := c.do("POST", "/api/applications/app_demo/users", map[string]any{"email": fmt.Sprintf("s%d@example.com", n.Add(1))})
			if r.status != 201 {
				b.Fatalf("%d %s", r.status, r.body)
			}
		}
	})
	b.Run("parallel-32", func(b *testing.B) {
		b.SetParallelism(32)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r, err := c.try("POST", "/api/applications/app_demo/users", map[string]any{"email": fmt.Sprintf("p%d@example.com", n.Add(1))})
				if err != nil || r.status != 201 {
					b.Errorf("%v %d %s", err, r.status, r.body)
					return
				}
			}
		})
	})
}

// BenchmarkCreateUserLatency: 32 (x GOMAXPROCS) concurrent creates with --latency 10ms; the
// latency is slept outside any lock, so throughput is far above 100 creates a second.
func BenchmarkCreateUserLatency(b *testing.B) {
	_, c := start(b, sandbox.Options{Latency: 10 * time.Millisecond})
	var n atomic.Int64
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, err := c.try("POST", "/api/applications/app_demo/users", map[string]any{"email": fmt.Sprintf("l%d@example.com", n.Add(1))})
			if err != nil || r.status != 201 {
				b.Errorf("%v %d %s", err, r.status, r.body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
}

// BenchmarkListUsers100k: one op lists all 100,000 users of app_demo in pages of 1,000 over HTTP
// (client decoding included, so the server's share is less than the time per op).
func BenchmarkListUsers100k(b *testing.B) {
	srv, c := start(b, sandbox.Options{})
	const total = 100_000
	var seed sandbox.SeedData
	for i := range total {
		seed.Users = append(seed.Users, sandbox.SeedUser{Email: fmt.Sprintf("user%06d@example.com", i),
			Name: fmt.Sprintf("User %d", i), Metadata: map[string]string{"managed-by": "bench"}})
	}
	t0 := time.Now()
	if _, err := srv.Seed(context.Background(), seed); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d users in %v", total, time.Since(t0))
	b.Run("decoded", func(b *testing.B) {
		for b.Loop() {
			if got := len(c.allUsers(1000)); got != total {
				b.Fatalf("listed %d users", got)
			}
		}
	})
	// raw: the client only reads the bytes and cuts the cursor out, so the time per op is close
	// to the server's time.
	b.Run("raw", func(b *testing.B) {
		for b.Loop() {
			cursor, pages, size := "", 0, 0
			for {
				r := c.do("GET", "/api/applications/app_demo/users?limit=1000&cursor="+cursor, nil)
				if r.status != 200 {
					b.Fatalf("%d %s", r.status, r.body)
				}
				pages++
				size += len(r.body)
				i := bytes.LastIndex(r.body, []byte(`"next_cursor":"`))
				cursor = strings.TrimSuffix(string(r.body[i+len(`"next_cursor":"`):]), `"}`)
				if cursor == "" {
					break
				}
			}
			if pages != total/1000 {
				b.Fatalf("%d pages", pages)
			}
			b.ReportMetric(float64(size)/(1<<20), "MiB/list")
		}
	})
}
