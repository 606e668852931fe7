package auth

import (
	"io"
	"net/http"
)

// Transport sets the bearer token of a Source on every request and, when the answer is 401,
// drops that token, gets a new one and replays the request once. A second 401 is an
// *UnauthorizedError. Requests whose body cannot be replayed (no GetBody) are not replayed.
type Transport struct {
	Source *Source
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
}

// Transport returns a Transport that authenticates requests with s and sends them with base.
func (s *Source) Transport(base http.RoundTripper) *Transport {
	return &Transport{Source: s, Base: base}
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.Source.Token(req.Context())
	if err != nil {
		closeBody(req)
		return nil, &notSentError{err: err}
	}
	r1 := req.Clone(req.Context())
	r1.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := t.base().RoundTrip(r1)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	hasBody := req.Body != nil && req.Body != http.NoBody
	if hasBody && req.GetBody == nil {
		return resp, nil
	}
	drain(resp)
	t.Source.Invalidate(tok.AccessToken)
	tok2, err := t.Source.Token(req.Context())
	if err != nil {
		return nil, &notSentError{err: err} // the API refused the first send with 401
	}
	r2 := req.Clone(req.Context())
	if hasBody {
		b, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r2.Body = b
	}
	r2.Header.Set("Authorization", "Bearer "+tok2.AccessToken)
	t.Source.replays.Add(1)
	resp, err = t.base().RoundTrip(r2)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized {
		drain(resp)
		return nil, &UnauthorizedError{Method: req.Method, Path: req.URL.Path}
	}
	return resp, nil
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// notSentError is the failure to get a token for a request, which was therefore not sent (or
// was refused with 401 and not sent again). It reads as the failure it wraps.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// NotSent reports that the request did not reach the API, so it cannot have been carried out
// (the API client's retry rules ask).
func (e *notSentError) NotSent() bool { return true }
