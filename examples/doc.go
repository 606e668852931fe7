// Package examples holds state repositories a user can copy (quickstart, multi-team) and the CI
// pipelines that run inboxctl (ci/github-actions, ci/gitlab). Its tests check that every example
// validates and that every inboxctl command the pipelines call works against a sandbox.
package examples
