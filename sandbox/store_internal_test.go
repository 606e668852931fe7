package sandbox

import (
	"context"
	"testing"
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
