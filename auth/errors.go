package auth

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrUnauthorized is matched (errors.Is) by the error of a request the API refused twice with
// 401, the second time with a freshly issued token.
var ErrUnauthorized = errors.New("auth: the API refused a fresh token")

// ErrReadOnly is matched (errors.Is) by the error of a request the read-only transport refused.
var ErrReadOnly = errors.New("auth: refused by the read-only transport")

// TokenError is a refusal from the token endpoint (RFC 6749 section 5.2).
type TokenError struct {
	// Grant is the grant that was asked for: client_credentials, password or refresh_token.
	Grant string
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Code and Description are the "error" and "error_description" of the answer.
	Code, Description string
	// RetryAfter is the answer's Retry-After in seconds (or an HTTP date), 0 when none.
	RetryAfter time.Duration
}

func (e *TokenError) Error() string {
	msg := fmt.Sprintf("auth: token request (%s grant) refused: %d", e.Grant, e.StatusCode)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	switch e.Code {
	case "invalid_client":
		msg += " (check --client-id and the client secret)"
	case "invalid_grant":
		if e.Grant == "password" {
			msg += " (check --username and the password)"
		}
	}
	return msg
}

// Permanent reports whether retrying will not help: a refusal will not; a 5xx answer, a 429
// (throttled) or a 408 (request timeout) may.
func (e *TokenError) Permanent() bool {
	switch e.StatusCode {
	case http.StatusTooManyRequests, http.StatusRequestTimeout:
		return false
	}
	return e.StatusCode < 500
}

// RetryDelay returns the wait the endpoint asked for with Retry-After (0 when none); the API
// client's retries honour it.
func (e *TokenError) RetryDelay() time.Duration { return e.RetryAfter }

// UnauthorizedError is a request the API answered 401 twice, the second time with a new token.
type UnauthorizedError struct {
	Method, Path string
}

func (e *UnauthorizedError) Error() string {
	return fmt.Sprintf("auth: %s %s: the API answered 401 to a freshly issued token: the credentials, the grant or the audience (--audience) are wrong for this API", e.Method, e.Path)
}

// Is makes errors.Is(err, ErrUnauthorized) true.
func (e *UnauthorizedError) Is(target error) bool { return target == ErrUnauthorized }

// Permanent reports that retrying the same request will not help.
func (e *UnauthorizedError) Permanent() bool { return true }

// ReadOnlyError is a request the read-only transport refused to send.
type ReadOnlyError struct {
	Method, URL string
}

func (e *ReadOnlyError) Error() string {
	return fmt.Sprintf("auth: read-only command refused to send %s %s: only GET requests and the token and revoke endpoints are allowed", e.Method, e.URL)
}

// Is makes errors.Is(err, ErrReadOnly) true.
func (e *ReadOnlyError) Is(target error) bool { return target == ErrReadOnly }

// Permanent reports that retrying the same request will not help.
func (e *ReadOnlyError) Permanent() bool { return true }

// NotSent reports that the request was not sent.
func (e *ReadOnlyError) NotSent() bool { return true }

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date; 0 when missing or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if secs, err := strconv.ParseInt(v, 10, 32); err == nil {
		return max(time.Duration(secs)*time.Second, 0)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}
