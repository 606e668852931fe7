// Package plan compares a desired spec.State with a live one and produces the ordered list of
// changes that takes the live state to the desired one (CONTRACT 2.1 to 2.3), together with the
// renderers reviewers read: text, JSON (the PLANFILE) and markdown, and the drift report of
// `inboxctl drift`.
//
// The package is pure: it does no I/O of its own (renderers write to the io.Writer they are
// given) and never imports the API client. Both inputs must be canonical (see
// spec.State.Canonicalize).
package plan
