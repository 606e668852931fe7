package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds every request body.
const maxBody = 1 << 20

// apiError is an admin-API error: the status and the {"error":{"code","message"}} envelope.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func newError(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// invalid is a 400 validation_failed whose message starts with the field it is about.
func invalid(field, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "validation_failed", message: field + ": " + fmt.Sprintf(format, args...)}
}

func notFound(kind, id string) *apiError {
	return newError(http.StatusNotFound, "not_found", "%s %q not found", kind, id)
}

func conflict(code, format string, args ...any) *apiError {
	return newError(http.StatusConflict, code, format, args...)
}

type errorEnvelope struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// reply is an admin-API response ready to send: a status and an encoded JSON body (none for 204).
type reply struct {
	status int
	body   []byte
}

func jsonReply(status int, v any) (*reply, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("sandbox: encode response: %w", err)
	}
	return &reply{status: status, body: b}, nil
}

func noContent() (*reply, error) { return &reply{status: http.StatusNoContent}, nil }

// apiHandler is an admin-API endpoint.
type apiHandler func(r *http.Request) (*reply, error)

// handle adapts an apiHandler: it writes the reply, or the error envelope for an error.
func (s *Server) handle(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rep, err := h(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeReply(w, rep)
	}
}

func writeReply(w http.ResponseWriter, rep *reply) {
	if rep.body != nil {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(rep.body)))
	}
	w.WriteHeader(rep.status)
	w.Write(rep.body)
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			ae = newError(http.StatusServiceUnavailable, "unavailable", "request canceled")
		} else {
			s.log.Error("sandbox: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
			ae = newError(http.StatusInternalServerError, "internal", "internal error")
		}
	}
	writeJSONError(w, ae)
}

func writeJSONError(w http.ResponseWriter, ae *apiError) {
	b, _ := json.Marshal(errorEnvelope{Error: errorBody{Code: ae.code, Message: ae.message}})
	writeReply(w, &reply{status: ae.status, body: b})
}

// routes is the whole HTTP surface: the auth server and the admin API on one address.
func (s *Server) routes() http.Handler {
	api := http.NewServeMux()
	api.HandleFunc("GET /api/applications/{application_id}/users", s.handle(s.listUsers))
	api.HandleFunc("POST /api/applications/{application_id}/users", s.handle(s.createUser))
	api.HandleFunc("GET /api/users/{user_id}", s.handle(s.getUser))
	api.HandleFunc("PATCH /api/users/{user_id}", s.handle(s.updateUser))
	api.HandleFunc("DELETE /api/users/{user_id}", s.handle(s.deleteUser))
	api.HandleFunc("GET /api/accounts/{account_id}", s.handle(s.getAccount))
	api.HandleFunc("PATCH /api/accounts/{account_id}", s.handle(s.updateAccount))
	api.HandleFunc("DELETE /api/accounts/{account_id}", s.handle(s.deleteAccount))
	api.HandleFunc("GET /api/accounts/{account_id}/accounts", s.handle(s.listAccounts))
	api.HandleFunc("POST /api/accounts/{account_id}/accounts", s.handle(s.createAccount))
	api.HandleFunc("GET /api/accounts/{account_id}/members", s.handle(s.listMembers))
	api.HandleFunc("POST /api/accounts/{account_id}/members", s.handle(s.createMember))
	api.HandleFunc("PATCH /api/accounts/{account_id}/members/{member_id}", s.handle(s.updateMember))
	api.HandleFunc("DELETE /api/accounts/{account_id}/members/{member_id}", s.handle(s.deleteMember))
	api.HandleFunc("GET /appclients", s.handle(s.listAppClients))
	api.HandleFunc("POST /appclients", s.handle(s.createAppClient))
	api.HandleFunc("GET /appclients/{id}", s.handle(s.getAppClient))
	api.HandleFunc("PATCH /appclients/{id}", s.handle(s.updateAppClient))
	api.HandleFunc("DELETE /appclients/{id}", s.handle(s.deleteAppClient))
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSONError(w, newError(http.StatusNotFound, "not_found", "no such endpoint: %s %s", r.Method, r.URL.Path))
	})

	mux := http.NewServeMux()
	mux.HandleFunc("/oauth2/token", postOnly(s.handleToken))
	mux.HandleFunc("/oauth2/revoke", postOnly(s.handleRevoke))
	mux.Handle("/", s.apiMiddleware(api))
	return s.logRequests(mux)
}

// postOnly answers 405 to anything but POST (the auth endpoints are not under the admin API's
// token check, whatever the method).
func postOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeOAuth(w, http.StatusMethodNotAllowed, struct {
				Error string `json:"error"`
			}{"invalid_request"})
			return
		}
		h(w, r)
	}
}

// statusRecorder remembers the status for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests logs method, path, status and duration of every request; never a header or body.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		s.log.Debug("sandbox request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"duration", time.Since(start))
	})
}

// apiMiddleware applies, in order: counting, latency (slept before any lock is taken), the rate
// limit, the fail rate, token checks; and after the handler, the DropResponse hook.
func (s *Server) apiMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.apiRequests.Add(1)
		s.byMethodMu.Lock()
		s.byMethod[r.Method]++
		s.byMethodMu.Unlock()

		if d := time.Duration(s.latency.Load()); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if rl := s.limiter.Load(); rl != nil && !s.allow(w, rl) {
			s.faults429.Add(1)
			writeJSONError(w, newError(http.StatusTooManyRequests, "rate_limited", "too many requests"))
			return
		}
		if f := math.Float64frombits(s.failRate.Load()); f > 0 && rand.Float64() < f {
			s.faults503.Add(1)
			writeJSONError(w, newError(http.StatusServiceUnavailable, "unavailable", "injected failure"))
			return
		}
		if ae := s.checkBearer(r.Context(), r); ae != nil {
			if ae.status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+ae.message+`"`)
			}
			writeJSONError(w, ae)
			return
		}
		drop := s.opts.DropResponse
		if drop == nil {
			next.ServeHTTP(w, r)
			return
		}
		buf := &bufferedWriter{header: http.Header{}}
		next.ServeHTTP(buf, r)
		if drop(r) {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
				return
			}
			panic(http.ErrAbortHandler) // cannot hijack (HTTP/2): abort the response instead
		}
		for k, v := range buf.header {
			w.Header()[k] = v
		}
		w.WriteHeader(buf.statusOr200())
		w.Write(buf.body.Bytes())
	})
}

// allow takes a token from the bucket and sets the X-RateLimit headers; when none is left it sets
// Retry-After and returns false.
func (s *Server) allow(w http.ResponseWriter, rl *rateLimiter) bool {
	now := time.Now()
	res := rl.lim.ReserveN(now, 1)
	delay := res.DelayFrom(now)
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(max(1, int(math.Ceil(rl.perSecond)))))
	if delay > 0 {
		res.CancelAt(now)
		secs := max(1, int(math.Ceil(delay.Seconds())))
		h.Set("Retry-After", strconv.Itoa(secs))
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset", strconv.FormatInt(now.Add(delay).Unix()+1, 10))
		return false
	}
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(0, int(rl.lim.TokensAt(now)))))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(now.Unix()+1, 10))
	return true
}

// bufferedWriter holds a response until the DropResponse hook has decided its fate.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedWriter) statusOr200() int {
	if b.status == 0 {
		return http.StatusOK
	}
	return b.status
}

// readBody reads a request body of at most maxBody bytes.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, invalid("body", "cannot read: %v", err)
	}
	if len(b) > maxBody {
		return nil, newError(http.StatusRequestEntityTooLarge, "too_large", "body: larger than %d bytes", maxBody)
	}
	return b, nil
}

// decodeStrict decodes a JSON object into v, refusing unknown fields, wrong types and trailing data;
// the error names the field.
func decodeStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return invalid("body", "a JSON object is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			field := te.Field
			if field == "" {
				field = "body"
			}
			return invalid(field, "must be %s, not %s", jsonKind(te.Type.Kind().String()), te.Value)
		case errors.As(err, &se):
			return invalid("body", "invalid JSON at offset %d", se.Offset)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			// encoding/json has no typed error for an unknown field.
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return invalid(name, "unknown field")
		default:
			return invalid("body", "invalid JSON: %v", err)
		}
	}
	if dec.More() {
		return invalid("body", "trailing data after the JSON object")
	}
	return nil
}

func jsonKind(k string) string {
	switch k {
	case "map", "struct":
		return "an object"
	case "slice":
		return "an array"
	case "ptr":
		return "a value"
	}
	return "a " + k
}

// pageParams parses limit (1..1000, default 100) and cursor for the list endpoints.
func pageParams(r *http.Request, kind string) (limit int, after int64, err error) {
	q := r.URL.Query()
	limit = 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return 0, 0, invalid("limit", "must be an integer from 1 to 1000, not %q", v)
		}
		limit = n
	}
	after, err = decodeCursor(q.Get("cursor"), kind, "cursor")
	return limit, after, err
}

// A cursor is the opaque encoding of the last sequence number of the previous page, with the kind
// of list it belongs to, so that a cursor of one list is refused by another.
func encodeCursor(kind string, seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + strconv.FormatInt(seq, 10)))
}

func decodeCursor(c, kind, field string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, invalid(field, "not a cursor this list issued")
	}
	rest, ok := strings.CutPrefix(string(b), kind+":")
	if !ok {
		return 0, invalid(field, "not a cursor this list issued")
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || n < 0 {
		return 0, invalid(field, "not a cursor this list issued")
	}
	return n, nil
}

// write runs fn in a write transaction. For a POST with an Idempotency-Key it first looks the key
// up (with the request path): a stored response for the same body is replayed without running fn;
// one for another body is a 422. A 2xx reply of fn is stored with the key for 24 hours, in the
// same transaction as its effect.
func (s *Server) write(r *http.Request, body []byte, fn func(tx *txn) (*reply, error)) (*reply, error) {
	key := r.Header.Get("Idempotency-Key")
	if r.Method != http.MethodPost || key == "" {
		var rep *reply
		err := s.writeTx(r.Context(), func(tx *txn) error {
			var err error
			rep, err = fn(tx)
			return err
		})
		return rep, err
	}
	if len(key) > 255 {
		return nil, invalid("Idempotency-Key", "longer than 255 characters")
	}
	sum := sha256.Sum256(body)
	bodyHash := hex.EncodeToString(sum[:])
	path := r.URL.Path
	var rep *reply
	err := s.writeTx(r.Context(), func(tx *txn) error {
		now := time.Now()
		var storedHash string
		var stored reply
		err := tx.QueryRowContext(r.Context(), `SELECT body_hash, status, response FROM idempotency
			WHERE key = ? AND path = ? AND created_at >= ?`, key, path, now.Add(-idempotencyTTL).UnixNano()).
			Scan(&storedHash, &stored.status, &stored.body)
		switch {
		case err == nil && storedHash == bodyHash:
			rep = &stored
			return nil
		case err == nil:
			return newError(http.StatusUnprocessableEntity, "idempotency_key_reused",
				"Idempotency-Key was used with another request body")
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("sandbox: idempotency lookup: %w", err)
		}
		rep, err = fn(tx)
		if err != nil {
			return err
		}
		if rep.status >= 200 && rep.status < 300 {
			if rep.body == nil {
				rep.body = []byte{}
			}
			_, err = tx.ExecContext(r.Context(), `INSERT OR REPLACE INTO idempotency
				(key, path, body_hash, status, response, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				key, path, bodyHash, rep.status, rep.body, now.UnixNano())
			if err != nil {
				return fmt.Errorf("sandbox: idempotency store: %w", err)
			}
		}
		return nil
	})
	return rep, err
}
