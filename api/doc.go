// Package api is the HTTP client of the inbox-manager admin API (CONTRACT section 4).
//
// A Client is built with New around an *http.Client whose transport authenticates requests
// (package auth). Every method takes a context first, escapes its path segments, and returns
// typed errors (*Error, *RateLimitError) that callers inspect with errors.As or the Is* helpers.
//
// Retries follow the end of CONTRACT section 4: 429 after Retry-After, 502/503/504, connection
// errors and attempts that run out of Options.AttemptTimeout are retried with exponential backoff
// (equal jitter: each wait at least half its step) while the request's MaxElapsed budget lasts;
// a Retry-After longer than what is left of the budget ends the retries at once. Every create carries one Idempotency-Key across its retries, and a retried create
// answered 409 is resolved by reading the resource by its natural key. A DELETE answered 404 on a
// retry counts as done. One rate limiter (Options.MaxRPS) and one "not before" time, set when the
// server answers 429, are shared by every goroutine using the Client.
//
// Counting: Client.Requests returns every HTTP request the Client sent; Client.Retries the
// attempts beyond the first. To count the requests of one piece of work (a live read, an apply),
// attach a Counter to the context with WithCounter: every request made with that context, and
// every retry and conflict resolution, is added to it as well. The counts are of the requests the
// Client hands to its http.Client: a replay after a 401 inside the auth transport is counted by
// auth.Source.Stats, and net/http's own silent resend of a request on a dead pooled connection is
// seen by nobody.
package api
