package api

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Counter accumulates what the requests made with one context cost. Attach it with WithCounter;
// it may be shared by many goroutines.
type Counter struct {
	// Requests counts every HTTP request sent, retries included.
	Requests atomic.Int64
	// Retries counts the attempts after the first.
	Retries atomic.Int64
	// Resolved counts retried creates answered 409 that were resolved by reading the resource.
	Resolved atomic.Int64
}

type counterKey struct{}

// WithCounter returns a context whose API requests are also counted in n.
func WithCounter(ctx context.Context, n *Counter) context.Context {
	return context.WithValue(ctx, counterKey{}, n)
}

func counterFrom(ctx context.Context) *Counter {
	n, _ := ctx.Value(counterKey{}).(*Counter)
	return n
}

// call is one API operation, which may take several attempts.
type call struct {
	method string
	path   string // escaped path below the base URL, starting with "/"
	query  url.Values
	body   any // marshalled to JSON once, replayed on every attempt
	out    any // decoded from a 2xx answer
	// resolve reads the resource a retried create answered 409 is about, by its natural key,
	// and fills out with it when it is what the create asked for. It returns "" when it did,
	// else why it did not (not found, or found with other fields: someone else's).
	resolve func(ctx context.Context) (why string, err error)
}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// call runs cl with the retry rules of CONTRACT section 4.
func (c *Client) call(ctx context.Context, cl *call) error {
	var body []byte
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return fmt.Errorf("api: %s %s: encoding the request: %w", cl.method, cl.path, err)
		}
		body = b
	}
	idemKey := ""
	if cl.method == http.MethodPost {
		idemKey = crand.Text()
	}
	counter := counterFrom(ctx)
	start := time.Now()
	deadline := start.Add(c.opts.MaxElapsed)
	var err error // the last attempt's
	// mayHaveDone says that an earlier attempt may have reached the server and been carried out
	// although its answer was lost or an error (see mayHaveBeenCarriedOut); only then can a 409
	// be this request's own earlier success.
	mayHaveDone := false
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			c.retries.Add(1)
			if counter != nil {
				counter.Retries.Add(1)
			}
		}
		if werr := c.wait(ctx, deadline); werr != nil {
			if errors.Is(werr, errPastBudget) && err != nil {
				return c.giveUp(attempt-1, start, err, werr.Error())
			}
			return fmt.Errorf("api: %s %s: %w", cl.method, cl.path, werr)
		}
		limit := min(c.opts.AttemptTimeout, time.Until(deadline))
		if limit <= 0 {
			if err == nil {
				return fmt.Errorf("api: %s %s: the %s retry budget was spent before the first attempt", cl.method, cl.path, c.opts.MaxElapsed)
			}
			return c.giveUp(attempt-1, start, err, "")
		}
		err = c.once(ctx, cl, body, idemKey, attempt, counter, limit)
		if err == nil {
			return nil
		}
		if attempt > 1 && cl.method == http.MethodDelete && IsNotFound(err) {
			return nil // an earlier attempt deleted it
		}
		if mayHaveDone && cl.method == http.MethodPost && cl.resolve != nil && IsConflict(err) {
			why, rerr := cl.resolve(ctx)
			if rerr != nil {
				return fmt.Errorf("api: %s %s: reading back a retried create answered 409: %w", cl.method, cl.path, rerr)
			}
			if why != "" {
				return fmt.Errorf("%w (a retried create; not taken as its own earlier success: %s)", err, why)
			}
			if counter != nil {
				counter.Resolved.Add(1)
			}
			c.log.LogAttrs(ctx, slog.LevelDebug, "api create resolved by natural key after 409",
				slog.String("method", cl.method), slog.String("path", cl.path), slog.Int("attempt", attempt))
			return nil
		}
		if mayHaveBeenCarriedOut(err) {
			mayHaveDone = true
		}
		wait, retry := c.retryable(ctx, err, attempt)
		if !retry {
			return err
		}
		if attempt >= c.opts.MaxAttempts {
			return c.giveUp(attempt, start, err, "")
		}
		if left := time.Until(deadline); wait >= left {
			var rl *RateLimitError
			if errors.As(err, &rl) && rl.RetryAfter >= left {
				return c.giveUp(attempt, start, err, fmt.Sprintf("the server asks to wait %s, more than the %s retry budget has left", rl.RetryAfter, c.opts.MaxElapsed))
			}
			return c.giveUp(attempt, start, err, "")
		}
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("api: %s %s: %w", cl.method, cl.path, err)
		}
	}
}

// giveUp is the error of a request that ran out of retries after attempts attempts, the last of
// which failed with err; why, when given, says what ended the retries.
func (c *Client) giveUp(attempts int, start time.Time, err error, why string) error {
	msg := fmt.Sprintf("api: giving up after %d attempt", attempts)
	if attempts != 1 {
		msg += "s"
	}
	msg += fmt.Sprintf(" in %s", time.Since(start).Round(time.Second))
	if why != "" {
		msg += ": " + why
	}
	return fmt.Errorf("%s: %w", msg, err)
}

// once sends one attempt of cl, which may take up to limit: an attempt that runs out of it
// (whether waiting for a token, a connection, the answer or its body) fails with an
// *attemptTimeoutError, which is retried, and not with ctx's own deadline.
func (c *Client) once(ctx context.Context, cl *call, body []byte, idemKey string, attempt int, counter *Counter, limit time.Duration) error {
	actx, cancel := context.WithTimeoutCause(ctx, limit, errAttemptTimeout)
	defer cancel()
	err := c.send(actx, cl, body, idemKey, attempt, counter)
	var te *transportError
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(actx), errAttemptTimeout) && errors.As(err, &te) {
		te.err = &attemptTimeoutError{limit: limit, budget: limit < c.opts.AttemptTimeout}
	}
	return err
}

// errAttemptTimeout is the cause of an attempt's context when its time limit passed.
var errAttemptTimeout = errors.New("api: attempt time limit")

// attemptTimeoutError is an attempt that got no complete answer within its time limit. It does not
// match context.DeadlineExceeded, which callers take for the end of their own deadline.
type attemptTimeoutError struct {
	limit  time.Duration
	budget bool // the limit was what remained of the retry budget
}

func (e *attemptTimeoutError) Error() string {
	if e.budget {
		return fmt.Sprintf("no answer within %s (what was left of the retry budget)", e.limit.Round(time.Millisecond))
	}
	return fmt.Sprintf("no answer within %s (the time limit of one attempt)", e.limit)
}

// mayHaveBeenCarriedOut reports whether an attempt that failed with err may nevertheless have
// been carried out by the server: a request written out whose answer was lost (or whose 2xx body
// could not be read), and 502, 503 and 504, which a gateway may send after the backend acted.
// Not 429, 401 or any other refusal, nor a request that was never written (a dial or TLS error,
// no token).
func mayHaveBeenCarriedOut(err error) bool {
	var te *transportError
	if errors.As(err, &te) {
		return te.sent
	}
	switch StatusCode(err) {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// send sends one attempt of cl with ctx and reads its answer.
func (c *Client) send(ctx context.Context, cl *call, body []byte, idemKey string, attempt int, counter *Counter) error {
	// wrote says whether the last connection the request was given had it written out (net/http
	// may retry on another connection; an auth transport may send a token request first, which
	// also gets a connection, and its failure says it sent nothing through NotSent).
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn:      func(string) { wrote.Store(false) },
		WroteHeaders: func() { wrote.Store(true) },
	})
	req, err := c.newRequest(ctx, cl, body, idemKey)
	if err != nil {
		return err
	}
	c.requests.Add(1)
	if counter != nil {
		counter.Requests.Add(1)
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.log.LogAttrs(ctx, slog.LevelDebug, "api request",
			slog.String("method", cl.method), slog.String("path", cl.path), slog.Int("attempt", attempt),
			slog.Duration("duration", time.Since(start)), slog.String("error", err.Error()))
		return &transportError{method: cl.method, path: cl.path, err: err, sent: wrote.Load() && !notSent(err)}
	}
	defer resp.Body.Close()
	c.log.LogAttrs(ctx, slog.LevelDebug, "api request",
		slog.String("method", cl.method), slog.String("path", cl.path), slog.Int("status", resp.StatusCode),
		slog.Duration("duration", time.Since(start)), slog.Int("attempt", attempt))
	return c.checkResponse(resp, cl)
}

// newRequest builds the HTTP request of one attempt.
func (c *Client) newRequest(ctx context.Context, cl *call, body []byte, idemKey string) (*http.Request, error) {
	raw := c.baseURL.String() + cl.path
	if len(cl.query) > 0 {
		raw += "?" + cl.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, raw, rd)
	if err != nil {
		return nil, fmt.Errorf("api: %s %s: %w", cl.method, cl.path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	return req, nil
}

// checkResponse decodes a 2xx answer into cl.out and turns anything else into an *Error.
func (c *Client) checkResponse(resp *http.Response, cl *call) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return &transportError{method: cl.method, path: cl.path, err: err, sent: true}
		}
		if cl.out == nil || resp.StatusCode == http.StatusNoContent || len(bytes.TrimSpace(data)) == 0 {
			return nil
		}
		if err := json.Unmarshal(data, cl.out); err != nil {
			return fmt.Errorf("api: %s %s: decoding the answer: %w", cl.method, cl.path, err)
		}
		return nil
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &Error{StatusCode: resp.StatusCode, Method: cl.method, Path: cl.path}
	var eb ErrorBody
	if json.Unmarshal(data, &eb) == nil {
		e.Code, e.Message = eb.Error.Code, eb.Error.Message
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return &RateLimitError{Err: e, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	}
	return e
}

// retryable says whether err is worth another attempt, and after how long.
func (c *Client) retryable(ctx context.Context, err error, attempt int) (time.Duration, bool) {
	if ctx.Err() != nil {
		return 0, false
	}
	var rl *RateLimitError
	if errors.As(err, &rl) {
		// Every goroutine of this client waits until the server's window has passed.
		c.mu.Lock()
		if nb := time.Now().Add(rl.RetryAfter); nb.After(c.notBefore) {
			c.notBefore = nb
		}
		c.mu.Unlock()
		return rl.RetryAfter + jitter(c.opts.BaseBackoff), true
	}
	var ae *Error
	if errors.As(err, &ae) {
		switch ae.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return c.backoff(attempt), true
		}
		return 0, false
	}
	var te *transportError
	if errors.As(err, &te) && te.temporary() {
		// A throttled token endpoint (package auth) says how long to wait.
		var rd interface{ RetryDelay() time.Duration }
		if errors.As(te.err, &rd) {
			return max(c.backoff(attempt), min(rd.RetryDelay(), maxRetryAfter)), true
		}
		return c.backoff(attempt), true
	}
	return 0, false
}

// backoff is exponential backoff with "equal jitter": a random wait in [d/2, d] with
// d = min(max, base*2^(n-1)), so that retries spread out but always make some progress in time.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.MaxBackoff
	if attempt < 30 {
		if x := c.opts.BaseBackoff << (attempt - 1); x > 0 && x < d {
			d = x
		}
	}
	return d/2 + jitter(d-d/2)
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

// errPastBudget is matched by wait's error when the shared "not before" time is past the deadline.
var errPastBudget = errors.New("api: past the retry budget")

// wait blocks until the shared "not before" time has passed and the rate limiter allows a request.
// A "not before" time past deadline is an error wrapping errPastBudget, without waiting.
func (c *Client) wait(ctx context.Context, deadline time.Time) error {
	c.mu.Lock()
	nb := c.notBefore
	c.mu.Unlock()
	if nb.After(deadline) {
		return fmt.Errorf("%w: the server asked every request to wait until %s, after the request's %s retry budget ends",
			errPastBudget, nb.UTC().Format(time.RFC3339), c.opts.MaxElapsed)
	}
	if d := time.Until(nb); d > 0 {
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
	if c.limiter != nil {
		return c.limiter.Wait(ctx)
	}
	return ctx.Err()
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// parseRetryAfter reads a Retry-After header (seconds or an HTTP date), capped at maxRetryAfter
// (the retry budget, not this cap, decides whether it is waited for);
// a missing or unreadable header gives defaultRetryAfter429.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return defaultRetryAfter429
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			secs = 0
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	} else {
		return defaultRetryAfter429
	}
	return min(max(d, 0), maxRetryAfter)
}

// transportError is a request that got no HTTP answer (or lost its body).
type transportError struct {
	method, path string
	err          error
	// sent says that the request was written out, so the server may have carried it out.
	sent bool
}

// notSent reports whether err says (with a NotSent method, as the auth transport's failure to get
// a token does) that the request was not sent.
func notSent(err error) bool {
	var ns interface{ NotSent() bool }
	return errors.As(err, &ns) && ns.NotSent()
}

func (e *transportError) Error() string {
	return fmt.Sprintf("api: %s %s: %v", e.method, e.path, e.err)
}

func (e *transportError) Unwrap() error { return e.err }

// temporary reports whether the failure may pass on a retry: connection errors do; errors that
// say they are permanent (auth refusals, the read-only transport) and certificate errors do not.
func (e *transportError) temporary() bool {
	var perm interface{ Permanent() bool }
	if errors.As(e.err, &perm) && perm.Permanent() {
		return false
	}
	var (
		cv  *tls.CertificateVerificationError
		ua  x509.UnknownAuthorityError
		he  x509.HostnameError
		ci  x509.CertificateInvalidError
		rhe tls.RecordHeaderError
	)
	switch {
	case errors.As(e.err, &cv), errors.As(e.err, &ua), errors.As(e.err, &he), errors.As(e.err, &ci), errors.As(e.err, &rhe):
		return false
	}
	return true
}
