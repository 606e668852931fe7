package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"
)

type accountJSON struct {
	ID        string            `json:"id"`
	ParentID  string            `json:"parent_id"`
	Name      string            `json:"name"`
	Metadata  map[string]string `json:"metadata"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

type accountCreate struct {
	Name     string            `json:"name"`
	Metadata map[string]string `json:"metadata"`
}

type accountPatch struct {
	Name     *string            `json:"name"`
	Metadata map[string]*string `json:"metadata"`
}

type accountPage struct {
	Data       []accountJSON `json:"data"`
	NextCursor string        `json:"next_cursor"`
}

const accountColumns = `seq, id, parent_id, name, metadata, created_at, updated_at`

func scanAccount(sc interface{ Scan(...any) error }) (seq int64, a accountJSON, err error) {
	var parent sql.NullString
	var md string
	var created, updated int64
	if err := sc.Scan(&seq, &a.ID, &parent, &a.Name, &md, &created, &updated); err != nil {
		return 0, a, err
	}
	a.ParentID = parent.String
	a.CreatedAt, a.UpdatedAt = fromNanos(created), fromNanos(updated)
	a.Metadata, err = decodeMetadata(md)
	return seq, a, err
}

func loadAccount(ctx context.Context, q querier, id string) (accountJSON, error) {
	_, a, err := scanAccount(q.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, notFound("account", id)
	}
	if err != nil {
		return a, fmt.Errorf("sandbox: load account: %w", err)
	}
	return a, nil
}

func (s *Server) getAccount(r *http.Request) (*reply, error) {
	a, err := loadAccount(r.Context(), s.rd, r.PathValue("account_id"))
	if err != nil {
		return nil, err
	}
	return jsonReply(http.StatusOK, a)
}

func (s *Server) listAccounts(r *http.Request) (*reply, error) {
	ctx := r.Context()
	parent := r.PathValue("account_id")
	limit, after, err := pageParams(r, "accounts:"+parent)
	if err != nil {
		return nil, err
	}
	if _, err := loadAccount(ctx, s.rd, parent); err != nil {
		return nil, err
	}
	rows, err := s.rd.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE parent_id = ? AND seq > ? ORDER BY seq LIMIT ?`, parent, after, limit+1)
	if err != nil {
		return nil, fmt.Errorf("sandbox: list accounts: %w", err)
	}
	var page accountPage
	page.Data, page.NextCursor, err = readPage(rows, limit, "accounts:"+parent,
		func(rows *sql.Rows) (int64, accountJSON, error) { return scanAccount(rows) })
	if err != nil {
		return nil, fmt.Errorf("sandbox: list accounts: %w", err)
	}
	return jsonReply(http.StatusOK, page)
}

func (s *Server) createAccount(r *http.Request) (*reply, error) {
	ctx := r.Context()
	parent := r.PathValue("account_id")
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var req accountCreate
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	if err := checkAccountName(req.Name); err != nil {
		return nil, err
	}
	if err := checkMetadata("metadata", keysOf(req.Metadata)); err != nil {
		return nil, err
	}
	return s.write(r, body, func(tx *txn) (*reply, error) {
		if _, err := loadAccount(ctx, tx, parent); err != nil {
			return nil, err
		}
		a, err := insertAccount(ctx, tx, parent, req.Name, req.Metadata, time.Now())
		if err != nil {
			return nil, err
		}
		return jsonReply(http.StatusCreated, a)
	})
}

// siblingTaken returns a name_taken conflict when another child of parent (not except) has name.
func siblingTaken(ctx context.Context, tx *txn, parent, name, except string) error {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM accounts WHERE parent_id = ? AND name = ? AND id <> ?`,
		parent, name, except).Scan(&id)
	if err == nil {
		return conflict("name_taken", "account %s under %s already has the name %q", id, parent, name)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sandbox: check name: %w", err)
	}
	return nil
}

func insertAccount(ctx context.Context, tx *txn, parent, name string, md map[string]string, now time.Time) (accountJSON, error) {
	if err := siblingTaken(ctx, tx, parent, name, ""); err != nil {
		return accountJSON{}, err
	}
	if md == nil {
		md = map[string]string{}
	}
	a := accountJSON{ID: newID("acc_"), ParentID: parent, Name: name, Metadata: md, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, parent_id, name, metadata, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`, a.ID, parent, name, encodeMetadata(md), now.UnixNano(), now.UnixNano())
	if err != nil {
		return accountJSON{}, fmt.Errorf("sandbox: insert account: %w", err)
	}
	return a, nil
}

func (s *Server) updateAccount(r *http.Request) (*reply, error) {
	ctx := r.Context()
	id := r.PathValue("account_id")
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var req accountPatch
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	if req.Name != nil {
		if err := checkAccountName(*req.Name); err != nil {
			return nil, err
		}
	}
	if err := checkMetadata("metadata", keysOf(req.Metadata)); err != nil {
		return nil, err
	}
	return s.write(r, body, func(tx *txn) (*reply, error) {
		a, err := loadAccount(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if req.Name != nil && *req.Name != a.Name {
			if a.ParentID != "" {
				if err := siblingTaken(ctx, tx, a.ParentID, *req.Name, id); err != nil {
					return nil, err
				}
			}
			a.Name = *req.Name
		}
		mergeMetadata(a.Metadata, req.Metadata)
		now := time.Now()
		a.UpdatedAt = now.UTC()
		_, err = tx.ExecContext(ctx, `UPDATE accounts SET name = ?, metadata = ?, updated_at = ? WHERE id = ?`,
			a.Name, encodeMetadata(a.Metadata), now.UnixNano(), id)
		if err != nil {
			return nil, fmt.Errorf("sandbox: update account: %w", err)
		}
		return jsonReply(http.StatusOK, a)
	})
}

func (s *Server) deleteAccount(r *http.Request) (*reply, error) {
	ctx := r.Context()
	id := r.PathValue("account_id")
	return s.write(r, nil, func(tx *txn) (*reply, error) {
		a, err := loadAccount(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if a.ParentID == "" {
			return nil, newError(http.StatusForbidden, "forbidden", "the root account %s cannot be deleted", id)
		}
		var children, members int
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM accounts WHERE parent_id = ?),
			(SELECT count(*) FROM members WHERE account_id = ?)`, id, id).Scan(&children, &members); err != nil {
			return nil, fmt.Errorf("sandbox: count contents: %w", err)
		}
		if children > 0 || members > 0 {
			return nil, conflict("account_not_empty", "account %s has %d child account(s) and %d member(s)", id, children, members)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM accounts WHERE id = ?`, id); err != nil {
			return nil, fmt.Errorf("sandbox: delete account: %w", err)
		}
		return noContent()
	})
}
