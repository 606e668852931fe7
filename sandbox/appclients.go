package sandbox

// The app-client endpoints follow AWS AppFabric's shapes (camelCase, maxResults/nextToken, the
// summary on create). AWS answers errors of this API in its own shape; the sandbox keeps the admin
// API's {"error":{"code","message"}} envelope for simplicity.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// appClientARNPrefix is followed by the app client's id (a UUID).
const appClientARNPrefix = "arn:aws:appfabric:us-east-1:123456789012:appclient/"

type appClientCreate struct {
	AppName                      string   `json:"appName"`
	Description                  string   `json:"description"`
	RedirectURLs                 []string `json:"redirectUrls"`
	StarterUserEmails            []string `json:"starterUserEmails"`
	CustomerManagedKeyIdentifier string   `json:"customerManagedKeyIdentifier"`
}

type appClientPatch struct {
	RedirectURLs []string `json:"redirectUrls"`
}

type verificationDetails struct {
	VerificationStatus string `json:"verificationStatus"`
}

type appClientJSON struct {
	AppName               string              `json:"appName"`
	ARN                   string              `json:"arn"`
	CustomerManagedKeyARN string              `json:"customerManagedKeyArn,omitempty"`
	Description           string              `json:"description"`
	RedirectURLs          []string            `json:"redirectUrls"`
	StarterUserEmails     []string            `json:"starterUserEmails"`
	VerificationDetails   verificationDetails `json:"verificationDetails"`
}

type appClientEnvelope struct {
	AppClient appClientJSON `json:"appClient"`
}

type appClientSummary struct {
	ARN                string `json:"arn"`
	VerificationStatus string `json:"verificationStatus"`
	ClientID           string `json:"clientId"`
}

type appClientListEntry struct {
	AppClientARN       string `json:"appClientArn"`
	VerificationStatus string `json:"verificationStatus"`
}

type appClientPage struct {
	AppClientList []appClientListEntry `json:"appClientList"`
	NextToken     string               `json:"nextToken,omitempty"`
}

// appClientID accepts the id (a UUID) or the whole ARN, as AWS does.
func appClientID(v string) string {
	return strings.TrimPrefix(v, appClientARNPrefix)
}

func loadAppClient(ctx context.Context, q querier, id string) (appClientJSON, error) {
	var c appClientJSON
	var redirects, starters string
	err := q.QueryRowContext(ctx, `SELECT app_name, description, redirect_urls, starter_user_emails, cmk_arn, verification_status
		FROM app_clients WHERE id = ?`, id).Scan(&c.AppName, &c.Description, &redirects, &starters,
		&c.CustomerManagedKeyARN, &c.VerificationDetails.VerificationStatus)
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound("app client", id)
	}
	if err != nil {
		return c, fmt.Errorf("sandbox: load app client: %w", err)
	}
	c.ARN = appClientARNPrefix + id
	if c.RedirectURLs, err = decodeList(redirects); err != nil {
		return c, err
	}
	if c.StarterUserEmails, err = decodeList(starters); err != nil {
		return c, err
	}
	return c, nil
}

func (s *Server) listAppClients(r *http.Request) (*reply, error) {
	ctx := r.Context()
	q := r.URL.Query()
	limit := 100
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return nil, invalid("maxResults", "must be an integer from 1 to 100, not %q", v)
		}
		limit = n
	}
	after, err := decodeCursor(q.Get("nextToken"), "appclients", "nextToken")
	if err != nil {
		return nil, err
	}
	rows, err := s.rd.QueryContext(ctx, `SELECT seq, id, verification_status FROM app_clients
		WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit+1)
	if err != nil {
		return nil, fmt.Errorf("sandbox: list app clients: %w", err)
	}
	var page appClientPage
	page.AppClientList, page.NextToken, err = readPage(rows, limit, "appclients",
		func(rows *sql.Rows) (seq int64, e appClientListEntry, err error) {
			var id string
			err = rows.Scan(&seq, &id, &e.VerificationStatus)
			e.AppClientARN = appClientARNPrefix + id
			return seq, e, err
		})
	if err != nil {
		return nil, fmt.Errorf("sandbox: list app clients: %w", err)
	}
	return jsonReply(http.StatusOK, page)
}

func (s *Server) createAppClient(r *http.Request) (*reply, error) {
	ctx := r.Context()
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var req appClientCreate
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	if err := checkAppClient(req); err != nil {
		return nil, err
	}
	status := s.initialVerification()
	return s.write(r, body, func(tx *txn) (*reply, error) {
		id, clientID, err := insertAppClient(ctx, tx, req, status, time.Now())
		if err != nil {
			return nil, err
		}
		return jsonReply(http.StatusOK, struct {
			Summary appClientSummary `json:"appClientSummary"`
		}{appClientSummary{ARN: appClientARNPrefix + id, VerificationStatus: status, ClientID: clientID}})
	})
}

var verificationStatuses = []string{"pending_verification", "verified", "rejected"}

func (s *Server) initialVerification() string {
	if s.opts.AutoVerify {
		return "verified"
	}
	return "pending_verification"
}

func checkAppClient(req appClientCreate) error {
	if strings.TrimSpace(req.AppName) == "" {
		return invalid("appName", "must not be empty")
	}
	if len(req.AppName) > 255 {
		return invalid("appName", "longer than 255 characters")
	}
	if err := checkRedirectURLs(req.RedirectURLs); err != nil {
		return err
	}
	if len(req.StarterUserEmails) != 1 {
		return invalid("starterUserEmails", "must hold exactly one address, not %d", len(req.StarterUserEmails))
	}
	if _, err := checkEmail("starterUserEmails[0]", req.StarterUserEmails[0]); err != nil {
		return err
	}
	if k := req.CustomerManagedKeyIdentifier; k != "" && !strings.HasPrefix(k, "arn:") {
		return invalid("customerManagedKeyIdentifier", "%q is not an ARN", k)
	}
	return nil
}

func insertAppClient(ctx context.Context, tx *txn, req appClientCreate, status string, now time.Time) (id, clientID string, err error) {
	id, clientID = newUUID(), newID("")
	_, err = tx.ExecContext(ctx, `INSERT INTO app_clients (id, app_name, description, redirect_urls,
		starter_user_emails, cmk_arn, verification_status, client_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, req.AppName, req.Description, encodeList(req.RedirectURLs), encodeList(req.StarterUserEmails),
		req.CustomerManagedKeyIdentifier, status, clientID, now.UnixNano())
	if err != nil {
		return "", "", fmt.Errorf("sandbox: insert app client: %w", err)
	}
	return id, clientID, nil
}

func (s *Server) getAppClient(r *http.Request) (*reply, error) {
	c, err := loadAppClient(r.Context(), s.rd, appClientID(r.PathValue("id")))
	if err != nil {
		return nil, err
	}
	return jsonReply(http.StatusOK, appClientEnvelope{c})
}

func (s *Server) updateAppClient(r *http.Request) (*reply, error) {
	ctx := r.Context()
	id := appClientID(r.PathValue("id"))
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var req appClientPatch
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	if err := checkRedirectURLs(req.RedirectURLs); err != nil {
		return nil, err
	}
	return s.write(r, body, func(tx *txn) (*reply, error) {
		c, err := loadAppClient(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		c.RedirectURLs = req.RedirectURLs
		if _, err := tx.ExecContext(ctx, `UPDATE app_clients SET redirect_urls = ? WHERE id = ?`,
			encodeList(req.RedirectURLs), id); err != nil {
			return nil, fmt.Errorf("sandbox: update app client: %w", err)
		}
		return jsonReply(http.StatusOK, appClientEnvelope{c})
	})
}

func (s *Server) deleteAppClient(r *http.Request) (*reply, error) {
	ctx := r.Context()
	id := appClientID(r.PathValue("id"))
	return s.write(r, nil, func(tx *txn) (*reply, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM app_clients WHERE id = ?`, id)
		if err != nil {
			return nil, fmt.Errorf("sandbox: delete app client: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, notFound("app client", id)
		}
		return noContent()
	})
}
