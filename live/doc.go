// Package live reads the live state of an inbox-manager tenant through the admin API into a
// spec.State, the same type the state files load into, so that plan can compare the two.
//
// Read fetches only the kinds of resource the desired state mentions (CONTRACT 2.2), with a
// bounded number of requests in flight, and makes the fewest requests the API allows: one GET
// of the root account, one list (of pages) per collection, one members list per account in
// scope and one GET per app client. The converters (UserFromAPI and friends) are exported
// because apply re-reads single resources for its stale-plan check and must see them exactly
// as Read does.
//
// A membership whose user is not one of the application's users (a user of another
// application, for instance) cannot be named by an email in a state file. Read leaves such
// memberships out of the live state rather than showing them under a made-up key: a member
// that no state can declare would otherwise always be planned for deletion, and inboxctl never
// deletes what it cannot name. The consequence is that deleting an account holding such a
// member fails at the API with "account_not_empty", which names the problem.
package live
