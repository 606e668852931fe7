package sandbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// schema is created on every start when missing. Sequence columns (INTEGER PRIMARY KEY, the
// rowid) give the stable creation order that cursors point into; every lookup the API makes has
// an index.
const schema = `
CREATE TABLE IF NOT EXISTS applications (
	id         TEXT PRIMARY KEY,
	created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
	seq            INTEGER PRIMARY KEY AUTOINCREMENT,
	id             TEXT NOT NULL UNIQUE,
	application_id TEXT NOT NULL REFERENCES applications(id),
	email          TEXT NOT NULL,
	name           TEXT NOT NULL,
	status         TEXT NOT NULL,
	metadata       TEXT NOT NULL,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	UNIQUE (application_id, email)
);
CREATE INDEX IF NOT EXISTS users_by_application ON users (application_id, seq);
CREATE TABLE IF NOT EXISTS accounts (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         TEXT NOT NULL UNIQUE,
	parent_id  TEXT REFERENCES accounts(id),
	name       TEXT NOT NULL,
	metadata   TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (parent_id, name)
);
CREATE INDEX IF NOT EXISTS accounts_by_parent ON accounts (parent_id, seq);
CREATE TABLE IF NOT EXISTS members (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL REFERENCES accounts(id),
	user_id    TEXT NOT NULL REFERENCES users(id),
	role       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (account_id, user_id)
);
CREATE INDEX IF NOT EXISTS members_by_account ON members (account_id, seq);
CREATE INDEX IF NOT EXISTS members_by_user ON members (user_id);
CREATE TABLE IF NOT EXISTS app_clients (
	seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
	id                  TEXT NOT NULL UNIQUE,
	app_name            TEXT NOT NULL,
	description         TEXT NOT NULL,
	redirect_urls       TEXT NOT NULL,
	starter_user_emails TEXT NOT NULL,
	cmk_arn             TEXT NOT NULL,
	verification_status TEXT NOT NULL,
	client_id           TEXT NOT NULL,
	created_at          INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
	hash       TEXT PRIMARY KEY,
	kind       TEXT NOT NULL,
	family     TEXT NOT NULL,
	client_id  TEXT NOT NULL,
	audience   TEXT NOT NULL,
	expires_at INTEGER NOT NULL,
	revoked    INTEGER NOT NULL DEFAULT 0,
	rotated    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tokens_by_family ON tokens (family);
CREATE TABLE IF NOT EXISTS idempotency (
	key        TEXT NOT NULL,
	path       TEXT NOT NULL,
	body_hash  TEXT NOT NULL,
	status     INTEGER NOT NULL,
	response   BLOB NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (key, path)
);
CREATE INDEX IF NOT EXISTS idempotency_by_age ON idempotency (created_at);
`

// idempotencyTTL is how long a stored response is replayed.
const idempotencyTTL = 24 * time.Hour

// openDB opens the SQLite database, applies the schema and inserts app_demo and acc_root.
func openDB(ctx context.Context, path string) (*sql.DB, error) {
	pragmas := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	memory := path == ":memory:"
	if !memory {
		pragmas += "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	}
	db, err := sql.Open("sqlite", path+"?"+pragmas)
	if err != nil {
		return nil, fmt.Errorf("sandbox: open %s: %w", path, err)
	}
	if memory {
		// Every connection to ":memory:" is its own database: keep exactly one, forever.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	} else {
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
	}
	if err := initDB(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sandbox: init %s: %w", path, err)
	}
	return db, nil
}

func initDB(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return err
	}
	now := time.Now().UnixNano()
	if _, err := db.ExecContext(ctx, `INSERT OR IGNORE INTO applications (id, created_at) VALUES (?, ?)`,
		DefaultApplicationID, now); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `INSERT OR IGNORE INTO accounts (id, parent_id, name, metadata, created_at, updated_at)
		VALUES (?, NULL, 'root', '{}', ?, ?)`, DefaultRootAccountID, now, now); err != nil {
		return err
	}
	_, err := db.ExecContext(ctx, `DELETE FROM idempotency WHERE created_at < ?`, time.Now().Add(-idempotencyTTL).UnixNano())
	return err
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// writeTx runs fn in a transaction under the writer lock and commits when fn succeeds.
func (s *Server) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sandbox: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sandbox: commit: %w", err)
	}
	return nil
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newID returns prefix followed by 16 random characters.
func newID(prefix string) string {
	b := make([]byte, 10)
	rand.Read(b)
	return prefix + idEncoding.EncodeToString(b)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func encodeMetadata(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func decodeMetadata(s string) (map[string]string, error) {
	m := map[string]string{}
	if s == "{}" || s == "" {
		return m, nil
	}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("sandbox: stored metadata: %w", err)
	}
	return m, nil
}

func encodeList(l []string) string {
	if l == nil {
		l = []string{}
	}
	b, _ := json.Marshal(l)
	return string(b)
}

func decodeList(s string) ([]string, error) {
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, fmt.Errorf("sandbox: stored list: %w", err)
	}
	if l == nil {
		l = []string{}
	}
	return l, nil
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }
