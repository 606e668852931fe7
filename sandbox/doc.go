// Package sandbox is a complete local inbox-manager: the OAuth 2.0 token and revocation endpoints
// and the admin API of CONTRACT section 4, stored in SQLite (modernc.org/sqlite, no cgo), with
// fault injection (latency, a failure rate, a rate limit) for testing clients.
//
// It behaves like a strict production server, not a permissive mock: request bodies with unknown
// fields are refused, every field is validated and named in the error, tokens are checked for
// expiry, revocation and audience on every call, and secrets, passwords and tokens are kept only
// as SHA-256 hashes and compared in constant time.
//
// Choices the contract leaves open, made here and relied on by tests:
//   - The token endpoint requires client authentication for every grant. A client_credentials
//     request must name the configured audience; a missing or other audience is answered
//     400 invalid_request (a password grant without audience gets the configured one).
//   - The root account cannot be deleted: 403 with code "forbidden".
//   - A member whose user_id names no user is answered 404 "not_found".
//   - Idempotency-Key: only 2xx responses are stored (for 24 hours, keyed by key and path); an
//     error is not stored, so a retry after a 409 or 400 is evaluated afresh.
//   - The app-client API (AWS AppFabric style) uses the same JSON error envelope as the rest of
//     the admin API, for simplicity, rather than AWS's own error shape.
//   - Rate limiting is one token bucket for the whole server; X-RateLimit-Reset is the Unix time
//     in seconds at which the next request will be allowed.
//
// Start serves in the background on opts.Addr; tests use the sandboxtest package, which starts a
// server on 127.0.0.1:0 with a database in a temporary directory.
package sandbox
