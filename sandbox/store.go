package sandbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
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
		// No automatic checkpoints: the commit that crossed 1,000 WAL pages copied them into the
		// database file while every other write waited; Server.checkpointer does it aside.
		pragmas += "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=wal_autocheckpoint(0)"
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

// querier is what *sql.DB and *sql.Tx have in common, and what the store's readers and write
// transactions offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// stmtCache keeps one prepared statement per SQL text, so that a statement is parsed once per
// connection rather than on every request (parsing was a fifth of a create's time). database/sql
// prepares a cached statement again on each new connection and keeps it there.
//
// A statement first met inside a transaction cannot be prepared there (an in-memory database
// has a single connection, which the transaction holds): it runs unprepared and is prepared
// once the transaction is over.
type stmtCache struct {
	db *sql.DB

	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool // met inside a transaction, not prepared yet
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// get returns the prepared statement of query, or nil when there is none yet.
func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stmts[query]
}

// prepare returns the prepared statement of query, preparing it when needed; nil when it cannot
// be prepared (the caller then runs the query unprepared, which reports the error).
func (c *stmtCache) prepare(ctx context.Context, query string) *sql.Stmt {
	if st := c.get(query); st != nil {
		return st
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.stmts[query]; ok {
		st.Close() // another goroutine prepared it meanwhile
		return old
	}
	c.stmts[query] = st
	return st
}

// later notes a statement to prepare when no transaction is open.
func (c *stmtCache) later(query string) {
	c.mu.Lock()
	c.pending[query] = true
	c.mu.Unlock()
}

// preparePending prepares the statements noted by later. Call it outside any transaction.
func (c *stmtCache) preparePending(ctx context.Context) {
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return
	}
	queries := make([]string, 0, len(c.pending))
	for q := range c.pending {
		queries = append(queries, q)
	}
	clear(c.pending)
	c.mu.Unlock()
	for _, q := range queries {
		c.prepare(ctx, q)
	}
}

// close closes every prepared statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}

// reader runs queries outside a transaction with the cached statements.
type reader struct{ c *stmtCache }

func (r reader) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := r.c.prepare(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return r.c.db.ExecContext(ctx, query, args...)
}

func (r reader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := r.c.prepare(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.c.db.QueryContext(ctx, query, args...)
}

func (r reader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := r.c.prepare(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.c.db.QueryRowContext(ctx, query, args...)
}

// txn is a write transaction whose queries use the cached statements.
type txn struct {
	tx *sql.Tx
	c  *stmtCache
}

// stmt returns the transaction's form of the cached statement of query, or nil (and notes the
// query for later) when there is none yet.
func (t *txn) stmt(ctx context.Context, query string) *sql.Stmt {
	st := t.c.get(query)
	if st == nil {
		t.c.later(query)
		return nil
	}
	return t.tx.StmtContext(ctx, st)
}

func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t *txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// checkpointEvery is how often the checkpointer copies new WAL pages into the database file.
const checkpointEvery = 100 * time.Millisecond

// walRestartFrames is the WAL size (in pages) past which the checkpointer copies the last pages
// with writes paused. The WAL starts over (instead of growing) only when a write begins with
// every page of it in the database file, which a passive checkpoint alone never achieves while
// writes keep coming.
const walRestartFrames = 4096

// checkpointer copies the WAL into the database file while writes go on (a passive checkpoint
// takes no lock that writers need), until ckptStop is closed.
func (s *Server) checkpointer() {
	defer close(s.ckptDone)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	last := int64(-1)
	for {
		select {
		case <-s.ckptStop:
			return
		case <-t.C:
		}
		if n := s.commits.Load(); n != last {
			last = n
			if err := s.checkpoint(); err != nil {
				s.log.Warn("sandbox: checkpoint", "err", err)
			}
		}
	}
}

// checkpoint runs one passive checkpoint and, when the WAL is large, another one with writes
// paused (it copies only what the first could not), so that the next write starts the WAL over.
func (s *Server) checkpoint() error {
	ctx := context.Background()
	var busy, frames, copied int
	if err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil {
		return err
	}
	if frames < walRestartFrames {
		return nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
}

// writeTx runs fn in a transaction under the writer lock and commits when fn succeeds.
func (s *Server) writeTx(ctx context.Context, fn func(tx *txn) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	defer s.stmts.preparePending(context.WithoutCancel(ctx))
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sandbox: begin: %w", err)
	}
	if err := fn(&txn{tx: tx, c: s.stmts}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sandbox: commit: %w", err)
	}
	s.commits.Add(1)
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
