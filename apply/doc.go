// Package apply carries out a plan.Plan against the admin API (CONTRACT section 3, apply).
//
// Run is a scheduler: it starts each change as soon as every change it depends on has
// succeeded, with at most Options.Parallelism changes in flight, and reports progress as events
// to an Observer rather than printing anything. A failed change skips everything that depends on
// it, transitively; independent changes go on. Cancelling the context passed to Run stops new
// work; the requests already in flight finish, and the Result says the run was interrupted, or,
// when the context's deadline passed, that the deadline was exceeded (not an interrupt).
//
// Before anything is sent, CheckDeletes makes the delete check (CONTRACT 2.3) again with the
// caller's threshold, counting the plan's deletes itself rather than trusting the verdict a saved
// plan carries, and, for a saved plan, CheckStale re-reads only the resources the plan touches and refuses a
// plan the live state has moved away from. WriteReport writes the JSON run report of --report.
//
// The API is reached through the small API interface, which *api.Client satisfies, so that the
// package is tested against an in-memory tenant without HTTP.
package apply
