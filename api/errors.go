package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ErrAuthentication is matched (errors.Is) by an *Error for a 401 answer or a redirect, which
// some servers send instead of a 401 for an expired token.
var ErrAuthentication = errors.New("api: authentication failed")

// Error is an error answer of the admin API.
type Error struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Code and Message come from the {"error":{"code","message"}} body, when there is one.
	Code, Message string
	// Method and Path name the request (the path without its query).
	Method, Path string
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("api: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.StatusCode >= 300 && e.StatusCode < 400 {
		msg += ": redirected, treated as an authentication failure (expired or invalid token?)"
	}
	if e.Code != "" {
		msg += ": " + e.Code
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Is reports whether e matches target; an *Error for a 401 or a 3xx matches ErrAuthentication.
func (e *Error) Is(target error) bool {
	return target == ErrAuthentication && (e.StatusCode == http.StatusUnauthorized || e.StatusCode >= 300 && e.StatusCode < 400)
}

// RateLimitError is a 429 answer; RetryAfter is the wait the server asked for (capped).
type RateLimitError struct {
	// Err is the answer as an *Error (status 429, code and message).
	Err        *Error
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%s (retry after %s)", e.Err.Error(), e.RetryAfter)
}

// Unwrap returns the underlying *Error, so errors.As finds it too.
func (e *RateLimitError) Unwrap() error { return e.Err }

// StatusCode returns the HTTP status of err when it is or wraps an *Error, else 0.
func StatusCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// IsNotFound reports whether err is a 404 answer.
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// IsConflict reports whether err is a 409 answer.
func IsConflict(err error) bool { return StatusCode(err) == http.StatusConflict }

// IsRateLimited reports whether err is a 429 answer.
func IsRateLimited(err error) bool { return StatusCode(err) == http.StatusTooManyRequests }

// IsAuthentication reports whether err is an authentication failure (401 or a redirect).
func IsAuthentication(err error) bool { return errors.Is(err, ErrAuthentication) }
