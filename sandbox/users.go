package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"
)

type userJSON struct {
	ID            string            `json:"id"`
	ApplicationID string            `json:"application_id"`
	Email         string            `json:"email"`
	Name          string            `json:"name"`
	Status        string            `json:"status"`
	Metadata      map[string]string `json:"metadata"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
}

type userCreate struct {
	Email    string            `json:"email"`
	Name     string            `json:"name"`
	Status   string            `json:"status"`
	Metadata map[string]string `json:"metadata"`
}

type userPatch struct {
	Name     *string            `json:"name"`
	Status   *string            `json:"status"`
	Metadata map[string]*string `json:"metadata"`
}

const userColumns = `seq, id, application_id, email, name, status, metadata, created_at, updated_at`

func scanUser(sc interface{ Scan(...any) error }) (seq int64, u userJSON, err error) {
	var md string
	var created, updated int64
	if err := sc.Scan(&seq, &u.ID, &u.ApplicationID, &u.Email, &u.Name, &u.Status, &md, &created, &updated); err != nil {
		return 0, u, err
	}
	u.CreatedAt, u.UpdatedAt = fromNanos(created), fromNanos(updated)
	u.Metadata, err = decodeMetadata(md)
	return seq, u, err
}

func loadUser(ctx context.Context, q querier, id string) (userJSON, error) {
	_, u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, notFound("user", id)
	}
	if err != nil {
		return u, fmt.Errorf("sandbox: load user: %w", err)
	}
	return u, nil
}

func applicationExists(ctx context.Context, q querier, id string) error {
	return exists(ctx, q, "application", `SELECT 1 FROM applications WHERE id = ?`, id)
}

// exists runs query, which selects 1 for the row with id, and returns a not_found error naming
// kind when there is none. It reads no more than that, unlike the load functions.
func exists(ctx context.Context, q querier, kind, query, id string) error {
	var one int
	err := q.QueryRowContext(ctx, query, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(kind, id)
	}
	if err != nil {
		return fmt.Errorf("sandbox: load %s: %w", kind, err)
	}
	return nil
}

func (s *Server) listUsers(r *http.Request) (*reply, error) {
	ctx := r.Context()
	app := r.PathValue("application_id")
	limit, after, err := pageParams(r, "users:"+app)
	if err != nil {
		return nil, err
	}
	if err := applicationExists(ctx, s.rd, app); err != nil {
		return nil, err
	}
	rows, err := s.rd.QueryContext(ctx, `SELECT `+userColumns+` FROM users
		WHERE application_id = ? AND seq > ? ORDER BY seq LIMIT ?`, app, after, limit+1)
	if err != nil {
		return nil, fmt.Errorf("sandbox: list users: %w", err)
	}
	defer rows.Close()
	out := make([]byte, 0, 64+300*min(limit, 1000))
	out = append(out, `{"data":[`...)
	var u listedUser
	var seq int64
	n, nextCursor := 0, ""
	for rows.Next() {
		if n == limit {
			nextCursor = encodeCursor("users:"+app, seq)
			break
		}
		if err := rows.Scan(&seq, &u.id, &u.app, &u.email, &u.name, &u.status, &u.metadata, &u.created, &u.updated); err != nil {
			return nil, fmt.Errorf("sandbox: list users: %w", err)
		}
		if n > 0 {
			out = append(out, ',')
		}
		out = appendUserJSON(out, &u)
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sandbox: list users: %w", err)
	}
	out = append(out, `],"next_cursor":`...)
	out = appendJSONString(out, nextCursor)
	out = append(out, '}')
	return &reply{status: http.StatusOK, body: out}, nil
}

func (s *Server) createUser(r *http.Request) (*reply, error) {
	ctx := r.Context()
	app := r.PathValue("application_id")
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var req userCreate
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	email, err := checkEmail("email", req.Email)
	if err != nil {
		return nil, err
	}
	if req.Status == "" {
		req.Status = "active"
	}
	if err := checkEnum("status", req.Status, userStatuses); err != nil {
		return nil, err
	}
	if err := checkMetadata("metadata", keysOf(req.Metadata)); err != nil {
		return nil, err
	}
	return s.write(r, body, func(tx *txn) (*reply, error) {
		if err := applicationExists(ctx, tx, app); err != nil {
			return nil, err
		}
		u, err := insertUser(ctx, tx, app, email, req.Name, req.Status, req.Metadata, time.Now())
		if err != nil {
			return nil, err
		}
		return jsonReply(http.StatusCreated, u)
	})
}

// insertUser creates a user; email must already be lower-case and valid.
func insertUser(ctx context.Context, tx *txn, app, email, name, status string, md map[string]string, now time.Time) (userJSON, error) {
	var taken string
	err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE application_id = ? AND email = ?`, app, email).Scan(&taken)
	if err == nil {
		return userJSON{}, conflict("email_taken", "email %q is taken by user %s", email, taken)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return userJSON{}, fmt.Errorf("sandbox: check email: %w", err)
	}
	if md == nil {
		md = map[string]string{}
	}
	u := userJSON{ID: newID("usr_"), ApplicationID: app, Email: email, Name: name, Status: status,
		Metadata: md, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	_, err = tx.ExecContext(ctx, `INSERT INTO users (id, application_id, email, name, status, metadata, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, u.ID, app, email, name, status, encodeMetadata(md), now.UnixNano(), now.UnixNano())
	if err != nil {
		return userJSON{}, fmt.Errorf("sandbox: insert user: %w", err)
	}
	return u, nil
}

func (s *Server) getUser(r *http.Request) (*reply, error) {
	u, err := loadUser(r.Context(), s.rd, r.PathValue("user_id"))
	if err != nil {
		return nil, err
	}
	return jsonReply(http.StatusOK, u)
}

func (s *Server) updateUser(r *http.Request) (*reply, error) {
	ctx := r.Context()
	id := r.PathValue("user_id")
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var req userPatch
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	if req.Status != nil {
		if err := checkEnum("status", *req.Status, userStatuses); err != nil {
			return nil, err
		}
	}
	if err := checkMetadata("metadata", keysOf(req.Metadata)); err != nil {
		return nil, err
	}
	return s.write(r, body, func(tx *txn) (*reply, error) {
		u, err := loadUser(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if req.Name != nil {
			u.Name = *req.Name
		}
		if req.Status != nil {
			u.Status = *req.Status
		}
		mergeMetadata(u.Metadata, req.Metadata)
		now := time.Now()
		u.UpdatedAt = now.UTC()
		_, err = tx.ExecContext(ctx, `UPDATE users SET name = ?, status = ?, metadata = ?, updated_at = ? WHERE id = ?`,
			u.Name, u.Status, encodeMetadata(u.Metadata), now.UnixNano(), id)
		if err != nil {
			return nil, fmt.Errorf("sandbox: update user: %w", err)
		}
		return jsonReply(http.StatusOK, u)
	})
}

func (s *Server) deleteUser(r *http.Request) (*reply, error) {
	ctx := r.Context()
	id := r.PathValue("user_id")
	return s.write(r, nil, func(tx *txn) (*reply, error) {
		if _, err := loadUser(ctx, tx, id); err != nil {
			return nil, err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM members WHERE user_id = ?`, id).Scan(&n); err != nil {
			return nil, fmt.Errorf("sandbox: count memberships: %w", err)
		}
		if n > 0 {
			return nil, conflict("user_has_memberships", "user %s is a member of %d account(s)", id, n)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id); err != nil {
			return nil, fmt.Errorf("sandbox: delete user: %w", err)
		}
		return noContent()
	})
}

// mergeMetadata sets the keys of patch in md; a nil value removes the key.
func mergeMetadata(md map[string]string, patch map[string]*string) {
	for k, v := range patch {
		if v == nil {
			delete(md, k)
		} else {
			md[k] = *v
		}
	}
}

func keysOf[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
