package plan

import (
	"fmt"
	"strings"
)

// The kinds the delete check counts, in the order it reports them.
const (
	countTotal      = "total"
	countUsers      = "users"
	countAccounts   = "accounts"
	countMembers    = "members"
	countAppClients = "appClients"
)

// minCheckedLive is the smallest |L| the delete check applies to (CONTRACT 2.3).
const minCheckedLive = 10

// deleteCheck makes the delete check of CONTRACT 2.3. L is the set of live resources this state
// could delete: its own users and accounts (in scope, not ignored), the members it manages, the
// members that deleting those users and accounts would take along, and the app clients in scope
// (not ignored); never a member in an ignored account or of an ignored user. D is every delete
// and replacement of the plan.
func (b *builder) deleteCheck(changes []Change, maxPercent float64) DeleteCheck {
	live := map[string]int{}
	ownUser := map[string]bool{}
	if b.desired.Mentions.Users && b.owner != "" {
		for i := range b.live.Users {
			u := &b.live.Users[i]
			email := strings.ToLower(u.Email)
			if u.Owner == b.owner && !b.ignoredUser(email) {
				live[countUsers]++
				ownUser[email] = true
			}
		}
	}
	ownAccount := map[string]bool{}
	for lp, np := range b.newPath {
		l := b.liveByNew[np]
		if lp == "" || l == nil {
			continue
		}
		if b.owner != "" && l.Owner == b.owner && !b.ignoredLive(lp) {
			live[countAccounts]++
			ownAccount[np] = true
		}
	}
	for i := range b.live.Members {
		m := &b.live.Members[i]
		np, ok := b.newPath[m.AccountPath]
		if !ok {
			np = m.AccountPath
		}
		// Members of ignored users are never pruned, so they are not in L (docs/decisions.md);
		// one the delete of its account takes along still counts in D.
		if b.ignoredLive(m.AccountPath) || b.ignoredUser(strings.ToLower(m.User)) {
			continue
		}
		if b.managesMembersOf(np) || ownAccount[np] || ownUser[strings.ToLower(m.User)] {
			live[countMembers]++
		}
	}
	if b.desired.Mentions.AppClients {
		for i := range b.live.AppClients {
			if !b.ignoredAppClient(b.live.AppClients[i].AppName) {
				live[countAppClients]++
			}
		}
	}
	deletes := map[string]int{}
	for _, c := range changes {
		if c.Action != Delete && c.Action != Replace {
			continue
		}
		deletes[kindCountName(c.Kind)]++
	}
	for _, k := range []string{countUsers, countAccounts, countMembers, countAppClients} {
		// Whatever the plan deletes is live and deletable, so |L| is never below |D|: the same
		// rule apply uses when it redoes the check (apply.RedoDeleteCheck), so both agree.
		live[k] = max(live[k], deletes[k])
		live[countTotal] += live[k]
		deletes[countTotal] += deletes[k]
	}
	dc := DeleteCheck{MaxPercent: maxPercent}
	for _, k := range []string{countTotal, countUsers, countAccounts, countMembers, countAppClients} {
		kc := KindCount{Kind: k, Live: live[k], Deletes: deletes[k]}
		kc.Failed = kc.Live >= minCheckedLive && 100*float64(kc.Deletes)/float64(kc.Live) > maxPercent
		dc.Failed = dc.Failed || kc.Failed
		dc.Counts = append(dc.Counts, kc)
	}
	return dc
}

func kindCountName(k Kind) string {
	switch k {
	case KindUser:
		return countUsers
	case KindAccount:
		return countAccounts
	case KindMember:
		return countMembers
	default:
		return countAppClients
	}
}

// Failing returns the failing kinds as CONTRACT 2.3 names them ("members: 5 of 12").
func (d DeleteCheck) Failing() []string {
	var out []string
	for _, kc := range d.Counts {
		if kc.Failed {
			out = append(out, fmt.Sprintf("%s: %d of %d", kc.Kind, kc.Deletes, kc.Live))
		}
	}
	return out
}

// Warning returns the warning of a failed delete check, or "" when it passed.
func (d DeleteCheck) Warning() string {
	if !d.Failed {
		return ""
	}
	return fmt.Sprintf("delete check failed: the plan deletes more than %g%% of what this state could delete (%s); apply refuses it without --force",
		d.MaxPercent, strings.Join(d.Failing(), ", "))
}
