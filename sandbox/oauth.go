package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// tokenRequest holds the parameters of a token or revoke request, from a form or a JSON body.
type tokenRequest struct {
	GrantType     string `json:"grant_type"`
	ClientID      string `json:"client_id"`
	ClientSecret  string `json:"client_secret"`
	Audience      string `json:"audience"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	RefreshToken  string `json:"refresh_token"`
	Scope         string `json:"scope"`
	Token         string `json:"token"`
	TokenTypeHint string `json:"token_type_hint"`
}

// oauthError is an RFC 6749 section 5.2 error.
type oauthError struct {
	status      int
	code        string
	description string
}

func (e *oauthError) Error() string { return e.code + ": " + e.description }

func invalidRequest(format string, args ...any) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_request", fmt.Sprintf(format, args...)}
}

func invalidGrant(format string, args ...any) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_grant", fmt.Sprintf(format, args...)}
}

var errInvalidClient = &oauthError{http.StatusUnauthorized, "invalid_client", "client authentication failed"}

type tokenResponse struct {
	AccessToken  string  `json:"access_token"`
	TokenType    string  `json:"token_type"`
	ExpiresIn    int64   `json:"expires_in"`
	RefreshToken string  `json:"refresh_token,omitempty"`
	Scope        *string `json:"scope,omitempty"`
}

func writeOAuth(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	w.Write(b)
}

func (s *Server) writeOAuthError(w http.ResponseWriter, r *http.Request, err error) {
	var oe *oauthError
	if !errors.As(err, &oe) {
		s.log.Error("sandbox: token endpoint error", "path", r.URL.Path, "err", err)
		oe = &oauthError{http.StatusInternalServerError, "server_error", "internal error"}
	}
	if oe.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="inboxctl-sandbox"`)
	}
	writeOAuth(w, oe.status, struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{oe.code, oe.description})
}

// parseTokenRequest reads a form or JSON body and authenticates the client (in the body or by
// HTTP Basic, not both).
func (s *Server) parseTokenRequest(r *http.Request) (*tokenRequest, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, invalidRequest("request body too large or unreadable")
	}
	var req tokenRequest
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		dec := json.NewDecoder(bytes.NewReader(body))
		if err := dec.Decode(&req); err != nil {
			return nil, invalidRequest("the JSON body is not an object of string parameters")
		}
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, invalidRequest("malformed form body")
		}
		for k, v := range form {
			if len(v) > 1 {
				return nil, invalidRequest("parameter %s given more than once", k)
			}
		}
		req = tokenRequest{
			GrantType: form.Get("grant_type"), ClientID: form.Get("client_id"),
			ClientSecret: form.Get("client_secret"), Audience: form.Get("audience"),
			Username: form.Get("username"), Password: form.Get("password"),
			RefreshToken: form.Get("refresh_token"), Scope: form.Get("scope"),
			Token: form.Get("token"), TokenTypeHint: form.Get("token_type_hint"),
		}
	default:
		return nil, invalidRequest("content type must be application/x-www-form-urlencoded or application/json")
	}
	if id, secret, ok := r.BasicAuth(); ok {
		if req.ClientID != "" || req.ClientSecret != "" {
			return nil, invalidRequest("client authentication given both in the body and by HTTP Basic")
		}
		// RFC 6749 2.3.1: Basic credentials are form-encoded before base64.
		if req.ClientID, err = url.QueryUnescape(id); err != nil {
			return nil, errInvalidClient
		}
		if req.ClientSecret, err = url.QueryUnescape(secret); err != nil {
			return nil, errInvalidClient
		}
	}
	if !s.clientOK(req.ClientID, req.ClientSecret) {
		return nil, errInvalidClient
	}
	return &req, nil
}

// clientOK compares the client's credentials with the configured ones in constant time.
func (s *Server) clientOK(id, secret string) bool {
	idHash := sha256.Sum256([]byte(id))
	secretHash := sha256.Sum256([]byte(secret))
	idOK := subtle.ConstantTimeCompare(idHash[:], s.clientIDHash[:])
	secretOK := subtle.ConstantTimeCompare(secretHash[:], s.clientSecretHash[:])
	return idOK&secretOK == 1
}

func (s *Server) userOK(username, password string) bool {
	u := sha256.Sum256([]byte(username))
	p := sha256.Sum256([]byte(password))
	return subtle.ConstantTimeCompare(u[:], s.usernameHash[:])&subtle.ConstantTimeCompare(p[:], s.passwordHash[:]) == 1
}

// handleToken is POST /oauth2/token. It is not subject to latency, fail rate or rate limit.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.tokenRequests.Add(1)
	resp, err := s.token(r)
	if err != nil {
		s.writeOAuthError(w, r, err)
		return
	}
	writeOAuth(w, http.StatusOK, resp)
}

func (s *Server) token(r *http.Request) (*tokenResponse, error) {
	req, err := s.parseTokenRequest(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	switch req.GrantType {
	case "":
		return nil, invalidRequest("grant_type is required")
	case "client_credentials":
		if req.Audience == "" {
			return nil, invalidRequest("audience is required")
		}
		if req.Audience != s.opts.Audience {
			return nil, invalidRequest("audience %q is not served here", req.Audience)
		}
		var resp *tokenResponse
		err := s.writeTx(ctx, func(tx *txn) error {
			var ierr error
			resp, ierr = s.issue(ctx, tx, newID("fam_"), req.ClientID, req.Audience, false)
			return ierr
		})
		return resp, err
	case "password":
		if req.Username == "" || req.Password == "" {
			return nil, invalidRequest("username and password are required")
		}
		aud := req.Audience
		if aud == "" {
			aud = s.opts.Audience
		} else if aud != s.opts.Audience {
			return nil, invalidRequest("audience %q is not served here", aud)
		}
		if !s.userOK(req.Username, req.Password) {
			return nil, invalidGrant("wrong username or password")
		}
		var resp *tokenResponse
		err := s.writeTx(ctx, func(tx *txn) error {
			var ierr error
			resp, ierr = s.issue(ctx, tx, newID("fam_"), req.ClientID, aud, true)
			return ierr
		})
		return resp, err
	case "refresh_token":
		if req.RefreshToken == "" {
			return nil, invalidRequest("refresh_token is required")
		}
		return s.refresh(ctx, req)
	default:
		return nil, &oauthError{http.StatusBadRequest, "unsupported_grant_type", "grant_type " + req.GrantType + " is not supported"}
	}
}

// refresh rotates a refresh token. A token that was already rotated away ends its whole family.
func (s *Server) refresh(ctx context.Context, req *tokenRequest) (*tokenResponse, error) {
	var resp *tokenResponse
	var reuse error
	err := s.writeTx(ctx, func(tx *txn) error {
		var family, clientID, audience string
		var expiresAt int64
		var revoked, rotated bool
		err := tx.QueryRowContext(ctx, `SELECT family, client_id, audience, expires_at, revoked, rotated
			FROM tokens WHERE hash = ? AND kind = 'refresh'`, hashToken(req.RefreshToken)).
			Scan(&family, &clientID, &audience, &expiresAt, &revoked, &rotated)
		if errors.Is(err, sql.ErrNoRows) {
			return invalidGrant("unknown refresh token")
		}
		if err != nil {
			return fmt.Errorf("sandbox: refresh lookup: %w", err)
		}
		switch {
		case clientID != req.ClientID:
			return invalidGrant("refresh token was issued to another client")
		case revoked:
			return invalidGrant("refresh token revoked")
		case rotated:
			// Reuse detection: end every token of this login, and commit that.
			if _, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked = 1 WHERE family = ?`, family); err != nil {
				return fmt.Errorf("sandbox: revoke family: %w", err)
			}
			reuse = invalidGrant("refresh token already used; every token of this login is revoked")
			return nil
		case time.Now().UnixNano() >= expiresAt:
			return invalidGrant("refresh token expired")
		case audience != s.opts.Audience:
			return invalidGrant("refresh token was issued for another audience")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tokens SET rotated = 1 WHERE hash = ?`, hashToken(req.RefreshToken)); err != nil {
			return fmt.Errorf("sandbox: rotate: %w", err)
		}
		resp, err = s.issue(ctx, tx, family, clientID, audience, true)
		return err
	})
	if reuse != nil {
		s.access.forget() // the family's access tokens were revoked
	}
	if err == nil && reuse != nil {
		err = reuse
	}
	return resp, err
}

// issue stores and returns a new access token (and refresh token when withRefresh) of family.
func (s *Server) issue(ctx context.Context, tx *txn, family, clientID, audience string, withRefresh bool) (*tokenResponse, error) {
	now := time.Now()
	resp := &tokenResponse{
		AccessToken: newToken(),
		TokenType:   "Bearer",
		ExpiresIn:   max(1, int64(math.Ceil(s.opts.TokenTTL.Seconds()))),
	}
	insert := `INSERT INTO tokens (hash, kind, family, client_id, audience, expires_at) VALUES (?, ?, ?, ?, ?, ?)`
	if _, err := tx.ExecContext(ctx, insert, hashToken(resp.AccessToken), "access", family, clientID, audience,
		now.Add(s.opts.TokenTTL).UnixNano()); err != nil {
		return nil, fmt.Errorf("sandbox: store token: %w", err)
	}
	if withRefresh {
		resp.RefreshToken = newToken()
		empty := ""
		resp.Scope = &empty
		if _, err := tx.ExecContext(ctx, insert, hashToken(resp.RefreshToken), "refresh", family, clientID, audience,
			now.Add(s.opts.RefreshTTL).UnixNano()); err != nil {
			return nil, fmt.Errorf("sandbox: store token: %w", err)
		}
	}
	return resp, nil
}

// handleRevoke is POST /oauth2/revoke (RFC 7009): 200 for any token, known or not, once the client
// is authenticated. Revoking a refresh token ends its whole family.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	s.revokeRequests.Add(1)
	req, err := s.parseTokenRequest(r)
	if err != nil {
		s.writeOAuthError(w, r, err)
		return
	}
	if req.Token == "" {
		s.writeOAuthError(w, r, invalidRequest("token is required"))
		return
	}
	ctx := r.Context()
	err = s.writeTx(ctx, func(tx *txn) error {
		var kind, family, clientID string
		err := tx.QueryRowContext(ctx, `SELECT kind, family, client_id FROM tokens WHERE hash = ?`, hashToken(req.Token)).
			Scan(&kind, &family, &clientID)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && clientID != req.ClientID) {
			return nil // RFC 7009 2.2: an invalid token is no error
		}
		if err != nil {
			return fmt.Errorf("sandbox: revoke lookup: %w", err)
		}
		if kind == "refresh" {
			_, err = tx.ExecContext(ctx, `UPDATE tokens SET revoked = 1 WHERE family = ?`, family)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE tokens SET revoked = 1 WHERE hash = ?`, hashToken(req.Token))
		}
		if err != nil {
			return fmt.Errorf("sandbox: revoke: %w", err)
		}
		return nil
	})
	s.access.forget()
	if err != nil {
		s.writeOAuthError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// checkBearer checks the request's access token: present, known, not expired, not revoked, for
// this server's audience. What the store says of a token is remembered in s.access, so that a
// token is looked up once rather than on every request.
func (s *Server) checkBearer(ctx context.Context, r *http.Request) *apiError {
	unauthorized := func(msg string) *apiError { return newError(http.StatusUnauthorized, "unauthorized", "%s", msg) }
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return unauthorized("a bearer token is required")
	}
	hash := hashToken(strings.TrimSpace(tok))
	e, ok := s.access.get(hash)
	if !ok {
		gen := s.access.generation()
		err := s.rd.QueryRowContext(ctx, `SELECT audience, expires_at, revoked FROM tokens WHERE hash = ? AND kind = 'access'`,
			hash).Scan(&e.audience, &e.expiresAt, &e.revoked)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return unauthorized("unknown token")
		case err != nil:
			s.log.Error("sandbox: token lookup", "err", err)
			return newError(http.StatusServiceUnavailable, "unavailable", "token lookup failed")
		}
		s.access.put(gen, hash, e)
	}
	switch {
	case e.revoked:
		return unauthorized("token revoked")
	case time.Now().UnixNano() >= e.expiresAt:
		return unauthorized("token expired")
	case e.audience != s.opts.Audience:
		return unauthorized("token is for another audience")
	}
	return nil
}

// accessEntry is what the store says of an access token.
type accessEntry struct {
	audience  string
	expiresAt int64 // Unix nanoseconds
	revoked   bool
}

// maxAccessEntries bounds the access-token cache; past it, expired entries are dropped, and if
// that is not enough, all of them.
const maxAccessEntries = 10000

// accessCache remembers access tokens by hash. Only revocation changes a stored access token,
// and every revocation goes through this server and calls forget, so an entry stays true; a
// lookup that raced with a revocation is not stored (the generation changed). A database file
// is used by one sandbox at a time.
type accessCache struct {
	mu  sync.RWMutex
	gen uint64
	m   map[string]accessEntry
}

func (c *accessCache) get(hash string) (accessEntry, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.m[hash]
	return e, ok
}

// generation is to be read before the store is; put stores only if no forget came in between.
func (c *accessCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *accessCache) put(gen uint64, hash string, e accessEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil {
		c.m = map[string]accessEntry{}
	}
	if len(c.m) >= maxAccessEntries {
		now := time.Now().UnixNano()
		for k, v := range c.m {
			if now >= v.expiresAt {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxAccessEntries {
			clear(c.m)
		}
	}
	c.m[hash] = e
}

// forget drops every entry; call it after any revocation has been committed (or tried).
func (c *accessCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}

func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is the only form in which a token is stored.
func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}
