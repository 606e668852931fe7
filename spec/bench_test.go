package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// writeLargeState writes a state of 20,000 users, 5,000 accounts and 75,000 members to dir:
// users.yaml, and one file per top-level account holding its subtree, half of it nested and
// half declared with parent:.
func writeLargeState(tb testing.TB, dir string) {
	tb.Helper()
	const (
		users         = 20000
		topLevel      = 50
		perTop        = 100 // accounts per file: the top-level one and 99 under it
		membersPerAcc = 15
	)
	var b strings.Builder
	b.WriteString("version: 1\nowner: acme-prod\napplication: app_demo\naccount: acc_root\nusers:\n")
	for i := 0; i < users; i++ {
		fmt.Fprintf(&b, "  - email: user%05d@example.com\n    name: User %d\n", i, i)
	}
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	write("users.yaml", b.String())
	u := 0
	members := func(indent string) {
		fmt.Fprintf(&b, "%smembers:\n", indent)
		for k := 0; k < membersPerAcc; k++ {
			fmt.Fprintf(&b, "%s  - user: user%05d@example.com\n%s    role: viewer\n", indent, u%users, indent)
			u++
		}
	}
	for t := 0; t < topLevel; t++ {
		b.Reset()
		top := fmt.Sprintf("dept-%02d", t)
		fmt.Fprintf(&b, "version: 1\naccounts:\n  - name: %s\n", top)
		members("    ")
		b.WriteString("    accounts:\n")
		for a := 1; a < perTop/2; a++ {
			fmt.Fprintf(&b, "      - name: team-%03d\n", a)
			members("        ")
		}
		for a := perTop / 2; a < perTop; a++ {
			fmt.Fprintf(&b, "  - name: team-%03d\n    parent: %s\n", a, top)
			members("    ")
		}
		write(top+".yaml", b.String())
	}
}

// BenchmarkLoad loads a state of 100,000 resources (20,000 users, 5,000 accounts, 75,000
// members) from 51 files. peak-heap-MiB is the largest live heap seen while loading.
func BenchmarkLoad(b *testing.B) {
	dir := b.TempDir()
	writeLargeState(b, dir)
	b.ReportAllocs()
	b.ResetTimer()
	var peak uint64
	for b.Loop() {
		done := make(chan struct{})
		stopped := make(chan uint64)
		go func() {
			var m runtime.MemStats
			var max uint64
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > max {
					max = m.HeapAlloc
				}
				select {
				case <-done:
					stopped <- max
					return
				case <-tick.C:
				}
			}
		}()
		s, err := Load([]string{dir}, nil)
		close(done)
		if p := <-stopped; p > peak {
			peak = p
		}
		if err != nil {
			b.Fatal(err)
		}
		if len(s.Users) != 20000 || len(s.Accounts) != 5000 || len(s.Members) != 75000 {
			b.Fatalf("loaded %d users, %d accounts, %d members", len(s.Users), len(s.Accounts), len(s.Members))
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}
