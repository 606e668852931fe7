package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"
)

type memberJSON struct {
	ID        string    `json:"id"`
	AccountID string    `json:"account_id"`
	UserID    string    `json:"user_id"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

type memberCreate struct {
	UserID string `json:"user_id"`
	Role   string `json:"role"`
}

type memberPatch struct {
	Role string `json:"role"`
}

type memberPage struct {
	Data       []memberJSON `json:"data"`
	NextCursor string       `json:"next_cursor"`
}

const memberColumns = `seq, id, account_id, user_id, role, created_at`

func scanMember(sc interface{ Scan(...any) error }) (seq int64, m memberJSON, err error) {
	var created int64
	if err := sc.Scan(&seq, &m.ID, &m.AccountID, &m.UserID, &m.Role, &created); err != nil {
		return 0, m, err
	}
	m.CreatedAt = fromNanos(created)
	return seq, m, nil
}

// loadMember loads a member of account; a member of another account is not found.
func loadMember(ctx context.Context, q querier, account, id string) (memberJSON, error) {
	_, m, err := scanMember(q.QueryRowContext(ctx, `SELECT `+memberColumns+` FROM members WHERE id = ? AND account_id = ?`, id, account))
	if errors.Is(err, sql.ErrNoRows) {
		return m, notFound("member", id)
	}
	if err != nil {
		return m, fmt.Errorf("sandbox: load member: %w", err)
	}
	return m, nil
}

func (s *Server) listMembers(r *http.Request) (*reply, error) {
	ctx := r.Context()
	account := r.PathValue("account_id")
	limit, after, err := pageParams(r, "members:"+account)
	if err != nil {
		return nil, err
	}
	if _, err := loadAccount(ctx, s.rd, account); err != nil {
		return nil, err
	}
	rows, err := s.rd.QueryContext(ctx, `SELECT `+memberColumns+` FROM members
		WHERE account_id = ? AND seq > ? ORDER BY seq LIMIT ?`, account, after, limit+1)
	if err != nil {
		return nil, fmt.Errorf("sandbox: list members: %w", err)
	}
	var page memberPage
	page.Data, page.NextCursor, err = readPage(rows, limit, "members:"+account,
		func(rows *sql.Rows) (int64, memberJSON, error) { return scanMember(rows) })
	if err != nil {
		return nil, fmt.Errorf("sandbox: list members: %w", err)
	}
	return jsonReply(http.StatusOK, page)
}

func (s *Server) createMember(r *http.Request) (*reply, error) {
	ctx := r.Context()
	account := r.PathValue("account_id")
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var req memberCreate
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	if req.UserID == "" {
		return nil, invalid("user_id", "is required")
	}
	if err := checkEnum("role", req.Role, memberRoles); err != nil {
		return nil, err
	}
	return s.write(r, body, func(tx *txn) (*reply, error) {
		if err := exists(ctx, tx, "account", `SELECT 1 FROM accounts WHERE id = ?`, account); err != nil {
			return nil, err
		}
		m, err := insertMember(ctx, tx, account, req.UserID, req.Role, time.Now())
		if err != nil {
			return nil, err
		}
		return jsonReply(http.StatusCreated, m)
	})
}

func insertMember(ctx context.Context, tx *txn, account, userID, role string, now time.Time) (memberJSON, error) {
	if err := exists(ctx, tx, "user", `SELECT 1 FROM users WHERE id = ?`, userID); err != nil {
		return memberJSON{}, err
	}
	var existing string
	err := tx.QueryRowContext(ctx, `SELECT id FROM members WHERE account_id = ? AND user_id = ?`, account, userID).Scan(&existing)
	if err == nil {
		return memberJSON{}, conflict("already_member", "user %s is already member %s of account %s", userID, existing, account)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return memberJSON{}, fmt.Errorf("sandbox: check member: %w", err)
	}
	m := memberJSON{ID: newID("mem_"), AccountID: account, UserID: userID, Role: role, CreatedAt: now.UTC()}
	_, err = tx.ExecContext(ctx, `INSERT INTO members (id, account_id, user_id, role, created_at) VALUES (?, ?, ?, ?, ?)`,
		m.ID, account, userID, role, now.UnixNano())
	if err != nil {
		return memberJSON{}, fmt.Errorf("sandbox: insert member: %w", err)
	}
	return m, nil
}

func (s *Server) updateMember(r *http.Request) (*reply, error) {
	ctx := r.Context()
	account, id := r.PathValue("account_id"), r.PathValue("member_id")
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var req memberPatch
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	if err := checkEnum("role", req.Role, memberRoles); err != nil {
		return nil, err
	}
	return s.write(r, body, func(tx *txn) (*reply, error) {
		m, err := loadMember(ctx, tx, account, id)
		if err != nil {
			return nil, err
		}
		m.Role = req.Role
		if _, err := tx.ExecContext(ctx, `UPDATE members SET role = ? WHERE id = ?`, m.Role, id); err != nil {
			return nil, fmt.Errorf("sandbox: update member: %w", err)
		}
		return jsonReply(http.StatusOK, m)
	})
}

func (s *Server) deleteMember(r *http.Request) (*reply, error) {
	ctx := r.Context()
	account, id := r.PathValue("account_id"), r.PathValue("member_id")
	return s.write(r, nil, func(tx *txn) (*reply, error) {
		if _, err := loadMember(ctx, tx, account, id); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM members WHERE id = ?`, id); err != nil {
			return nil, fmt.Errorf("sandbox: delete member: %w", err)
		}
		return noContent()
	})
}
