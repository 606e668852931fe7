package sandbox_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/inbox-manager/inboxctl/sandbox"
)

// TestIdempotencyKeyExpiresAfter24Hours: a stored response is replayed for 24 hours only; after
// that the key is free again, and the same key with another body is a new request, not a 422.
func TestIdempotencyKeyExpiresAfter24Hours(t *testing.T) {
	db := filepath.Join(t.TempDir(), "idem.db")
	srv, err := sandbox.Start(context.Background(), sandbox.Options{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv)
	want(t, c.do("POST", "/api/applications/app_demo/users", map[string]any{"email": "a@example.com"}, "Idempotency-Key", "day"), 201, "")
	// 23 hours later: still kept.
	age(t, srv, db, 23*time.Hour)
	srv = restart(t, db)
	c.srv = srv
	want(t, c.do("POST", "/api/applications/app_demo/users", map[string]any{"email": "b@example.com"}, "Idempotency-Key", "day"), 422, "idempotency_key_reused")
	// Past 24 hours: expired.
	age(t, srv, db, 2*time.Hour)
	srv = restart(t, db)
	defer srv.Close()
	c.srv = srv
	want(t, c.do("POST", "/api/applications/app_demo/users", map[string]any{"email": "b@example.com"}, "Idempotency-Key", "day"), 201, "")
}

// age stops srv and makes every stored idempotency entry older by d, straight in its database.
func age(t *testing.T, srv *sandbox.Server, path string, d time.Duration) {
	t.Helper()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Exec(`UPDATE idempotency SET created_at = created_at - ?`, d.Nanoseconds())
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatal("no idempotency entry stored")
	}
}

func restart(t *testing.T, path string) *sandbox.Server {
	t.Helper()
	srv, err := sandbox.Start(context.Background(), sandbox.Options{DB: path})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}
