// Package auth obtains, refreshes, invalidates and revokes the OAuth 2.0 tokens inboxctl sends to
// the admin API (CONTRACT sections 3 and 4), on top of golang.org/x/oauth2.
//
// A Source gets tokens with the client-credentials grant (with the audience parameter) or the
// resource-owner password grant (refreshing with the newest rotated refresh token, and logging in
// again once when a refresh is refused with invalid_grant). A Transport sets the bearer token and,
// after a 401, invalidates the token it used and replays the request once with a new one; since a
// token is invalidated only while it is still the current one, fifty requests failing at once
// cause one token request. Revoke ends the tokens (RFC 7009) when a command is done.
//
// ReadOnly is the transport of the read-only commands (CONTRACT 2.3): it lets through only GET
// requests and POSTs to the token and revoke endpoints, and refuses anything else without
// sending it. CheckURL refuses plain http except to loopback addresses.
//
// Nothing here logs or returns a secret: errors carry the OAuth error code and description, and
// logs carry grant names, lifetimes and counts, never a token, a password or a client secret.
package auth
