package sandbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestStmtCache checks that a query first met in a write transaction is prepared once the
// transaction is over, then reused, for an in-memory database (one connection, which the
// transaction holds) and a file database; and that the reader prepares on first use.
func TestStmtCache(t *testing.T) {
	for _, tc := range []struct{ name, db string }{
		{"memory", ":memory:"},
		{"file", t.TempDir() + "/cache.db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s, err := Start(ctx, Options{DB: tc.db})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			const q = `SELECT count(*) FROM accounts WHERE id = ?`
			count := func() int {
				var n int
				err := s.writeTx(ctx, func(tx *txn) error {
					return tx.QueryRowContext(ctx, q, DefaultRootAccountID).Scan(&n)
				})
				if err != nil {
					t.Fatalf("writeTx: %v", err)
				}
				return n
			}
			if got := count(); got != 1 {
				t.Errorf("first count = %d, want 1", got)
			}
			if s.stmts.get(q) == nil {
				t.Fatalf("query not prepared after the transaction that used it")
			}
			if got := count(); got != 1 {
				t.Errorf("count with the prepared statement = %d, want 1", got)
			}
			const rq = `SELECT count(*) FROM applications WHERE id = ?`
			var n int
			if err := s.rd.QueryRowContext(ctx, rq, DefaultApplicationID).Scan(&n); err != nil || n != 1 {
				t.Errorf("reader count = %d, %v; want 1, nil", n, err)
			}
			if s.stmts.get(rq) == nil {
				t.Errorf("reader query not prepared")
			}
			// A query that does not parse is reported, not cached.
			const bad = `SELECT nothing FROM nowhere`
			if err := s.rd.QueryRowContext(ctx, bad).Scan(&n); err == nil {
				t.Errorf("bad query: no error")
			}
			if s.stmts.get(bad) != nil {
				t.Errorf("bad query cached")
			}
		})
	}
}

// TestWALStaysBounded checks that, with automatic checkpoints off, the checkpointer keeps the
// WAL from growing while concurrent writes keep coming: 3,000 user creates write about 60 MB of
// WAL frames, and the WAL must have started over.
func TestWALStaysBounded(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wal.db")
	s, err := Start(ctx, Options{DB: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 375 {
				err := s.writeTx(ctx, func(tx *txn) error {
					_, err := insertUser(ctx, tx, DefaultApplicationID, fmt.Sprintf("u%d-%d@example.com", g, i), "", "active", nil, time.Now())
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				if i%8 == 0 {
					time.Sleep(10 * time.Millisecond) // spread over several checkpoint periods
				}
			}
		})
	}
	wg.Wait()
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if limit := int64(40 << 20); fi.Size() > limit {
		t.Errorf("WAL is %d bytes after 3,000 writes, want at most %d (it never started over)", fi.Size(), limit)
	}
	var n int
	if err := s.rd.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil || n != 3000 {
		t.Errorf("users = %d, %v; want 3000", n, err)
	}
}
