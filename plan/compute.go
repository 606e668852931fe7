package plan

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/inbox-manager/inboxctl/spec"
)

// Options tune Compute.
type Options struct {
	// MaxDeletePercent is the threshold of the delete check (CONTRACT 2.3). Callers pass the
	// command's --max-delete-percent, 25 by default; 0 fails the check on any delete.
	MaxDeletePercent float64
	// Target names what the plan is made for. Empty Application, Account and Owner are filled
	// from the desired state.
	Target Target
}

// Notes on changes, shown in every output format.
const (
	noteAdopt   = "adopt: set the managed-by marker"
	noteReplace = "replacing gives the app client a new client id and restarts its verification"
)

// Field names used in Change.Fields, as the state files spell them.
const (
	fieldName        = "name"
	fieldStatus      = "status"
	fieldManagedBy   = "managed_by"
	fieldRole        = "role"
	fieldRedirects   = "redirectUrls"
	fieldDescription = "description"
	fieldStarters    = "starterUserEmails"
	fieldCMK         = "customerManagedKeyArn"
)

// node is a change before ordering; deps and cause are indexes into builder.nodes.
type node struct {
	c     Change
	deps  []int
	cause int
}

// builder holds the indexes one Compute call needs.
type builder struct {
	desired, live *spec.State
	owner         string
	nodes         []*node
	errs          []error
	warnings      []string

	// users
	userMatch  map[string]*spec.User // desired email -> live user
	userCreate map[string]int        // email -> node
	userDelete map[string]int        // live email -> node

	// accounts
	desiredAcct map[string]*spec.Account // desired path -> declaration
	acctMatch   map[string]*spec.Account // desired path -> live account
	acctFailed  map[string]bool          // desired paths that had an error
	newPath     map[string]string        // live path -> path after the plan's renames
	liveByNew   map[string]*spec.Account // path after renames -> live account
	acctCreate  map[string]int           // desired path -> node
	acctRename  map[string]int           // desired path -> node of a rename
	vacated     map[string]int           // live path a rename frees -> node
	acctDelete  map[string]int           // path after renames -> node
	deletable   map[string]bool          // path after renames -> this state may delete it

	// members
	memberDelete map[string]int // member key (after renames) -> node
}

// Compute returns the plan that takes live to desired. It fails, reporting every conflict at
// once, when no plan is possible: a declared resource carrying another owner's marker, an id pin
// matching nothing, a previousName whose old and new accounts both exist, a pinned account whose
// live parent differs from the declared one, a pin or previousName pointing at a live account
// that ignore.accounts matches, two live app clients with one appName, renames that swap names
// (or any cycle of renames), a dependency cycle.
func Compute(desired, live *spec.State, opts Options) (*Plan, error) {
	p, _, err := compute(desired, live, opts)
	return p, err
}

// compute is Compute that also returns the builder, whose indexes (matches, paths after
// renames, deletes) ComputeDrift reads.
func compute(desired, live *spec.State, opts Options) (*Plan, *builder, error) {
	if desired == nil || live == nil {
		return nil, nil, errors.New("plan: desired and live states are required")
	}
	b := &builder{
		desired:      desired,
		live:         live,
		owner:        desired.Owner,
		userMatch:    map[string]*spec.User{},
		userCreate:   map[string]int{},
		userDelete:   map[string]int{},
		desiredAcct:  map[string]*spec.Account{},
		acctMatch:    map[string]*spec.Account{},
		acctFailed:   map[string]bool{},
		newPath:      map[string]string{"": ""},
		liveByNew:    map[string]*spec.Account{},
		acctCreate:   map[string]int{},
		acctRename:   map[string]int{},
		vacated:      map[string]int{},
		acctDelete:   map[string]int{},
		deletable:    map[string]bool{},
		memberDelete: map[string]int{},
	}
	b.users()
	b.accounts()
	b.members()
	b.appClients()
	if len(b.errs) > 0 {
		return nil, nil, errors.Join(b.errs...)
	}
	changes, err := order(b.nodes)
	if err != nil {
		return nil, nil, err
	}
	fillTakesDown(changes)
	target := opts.Target
	if target.Application == "" {
		target.Application = desired.Application
	}
	if target.Account == "" {
		target.Account = desired.Account
	}
	if target.Owner == "" {
		target.Owner = desired.Owner
	}
	p := &Plan{
		FormatVersion: FormatVersion,
		Target:        target,
		Mentions:      desired.Mentions,
		Changes:       changes,
		Warnings:      b.warnings,
	}
	p.Summary = summarize(changes)
	p.DeleteCheck = b.deleteCheck(changes, opts.MaxDeletePercent)
	if w := p.DeleteCheck.Warning(); w != "" {
		p.Warnings = append(p.Warnings, w)
	}
	return p, b, nil
}

// HasChanges reports whether the plan changes anything.
func (p *Plan) HasChanges() bool { return p != nil && len(p.Changes) > 0 }

func summarize(changes []Change) Summary {
	var s Summary
	for _, c := range changes {
		switch c.Action {
		case Create:
			s.Create++
		case Update:
			s.Update++
		case Delete:
			s.Delete++
		case Replace:
			s.Replace++
		}
	}
	return s
}

func (b *builder) add(c Change, deps ...int) int {
	c.Cause = -1
	b.nodes = append(b.nodes, &node{c: c, deps: deps, cause: -1})
	return len(b.nodes) - 1
}

// at formats the place of a declaration as an error prefix, "" when there is none.
func at(p spec.Pos) string {
	if p.IsZero() {
		return ""
	}
	return p.String() + ": "
}

func (b *builder) errorf(format string, args ...any) {
	b.errs = append(b.errs, fmt.Errorf("plan: "+format, args...))
}

func (b *builder) warnf(format string, args ...any) {
	b.warnings = append(b.warnings, fmt.Sprintf(format, args...))
}

// matchAny reports whether s matches one of the path.Match patterns. Patterns were validated
// when the state was loaded; a malformed one matches nothing.
func matchAny(patterns []string, s string) bool {
	for _, p := range patterns {
		if ok, err := path.Match(p, s); err == nil && ok {
			return true
		}
	}
	return false
}

func (b *builder) ignoredUser(email string) bool { return matchAny(b.desired.Ignore.Users, email) }

// ignoredAccount reports whether the account at p or one of its ancestors is ignored.
func (b *builder) ignoredAccount(p string) bool {
	if len(b.desired.Ignore.Accounts) == 0 {
		return false
	}
	for p != "" {
		if matchAny(b.desired.Ignore.Accounts, p) {
			return true
		}
		p, _ = spec.SplitPath(p)
	}
	return false
}

// ignoredLive reports whether the live account at live path lp is ignored. A pattern holds for
// the path the live tenant shows as well as for the path after this plan's renames, so that
// renaming an ancestor never takes an ignored account out of its pattern.
func (b *builder) ignoredLive(lp string) bool {
	if b.ignoredAccount(lp) {
		return true
	}
	np, ok := b.newPath[lp]
	return ok && np != lp && b.ignoredAccount(np)
}

func (b *builder) ignoredAppClient(name string) bool {
	return matchAny(b.desired.Ignore.AppClients, name)
}

func strp(s string) *string { return &s }

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func withPtr(v Values) *Values { return &v }

// ---- users ----

func (b *builder) users() {
	byEmail := make(map[string]*spec.User, len(b.live.Users))
	byID := make(map[string]*spec.User, len(b.live.Users))
	for i := range b.live.Users {
		l := &b.live.Users[i]
		byEmail[strings.ToLower(l.Email)] = l
		if l.ID != "" {
			byID[l.ID] = l
		}
	}
	declared := make(map[string]bool, len(b.desired.Users))
	for i := range b.desired.Users {
		d := &b.desired.Users[i]
		email := strings.ToLower(d.Email)
		declared[email] = true
		status := d.Status
		if status == "" {
			status = spec.StatusActive
		}
		var l *spec.User
		if d.ID != "" {
			l = byID[d.ID]
			if l == nil {
				b.errorf("%suser %s: id pin %s matches no live user", at(d.Pos), email, d.ID)
				continue
			}
			if !strings.EqualFold(l.Email, email) {
				b.errorf("%suser %s: id pin %s belongs to %s (the email is the key and cannot change)", at(d.Pos), email, d.ID, l.Email)
				continue
			}
		} else {
			l = byEmail[email]
		}
		if l == nil {
			after := Values{Email: email, Name: d.Name, Status: status, Owner: b.owner}
			b.userCreate[email] = b.add(Change{
				Action: Create, Kind: KindUser, Key: email, After: &after, Source: d.Pos.Short(),
			})
			continue
		}
		if l.Owner != "" && l.Owner != b.owner {
			b.errorf("%suser %s carries the managed-by marker of %q, not %q: two states never manage one resource", at(d.Pos), email, l.Owner, b.owner)
			continue
		}
		b.userMatch[email] = l
		before := UserValues(*l)
		after := before
		var fields []string
		if d.Name != nil && (l.Name == nil || *l.Name != *d.Name) {
			fields = append(fields, fieldName)
			after.Name = strp(*d.Name)
		}
		if status != l.Status {
			fields = append(fields, fieldStatus)
			after.Status = status
		}
		note := ""
		if l.Owner == "" {
			fields = append(fields, fieldManagedBy)
			after.Owner = b.owner
			note = noteAdopt
		}
		if len(fields) == 0 {
			continue
		}
		b.add(Change{
			Action: Update, Kind: KindUser, Key: email, ID: l.ID, Before: withPtr(before), After: &after,
			Fields: fields, Source: d.Pos.Short(), Fingerprint: Fingerprint(&before), Note: note,
		})
	}
	if !b.desired.Prune || !b.desired.Mentions.Users {
		return
	}
	for i := range b.live.Users {
		l := &b.live.Users[i]
		email := strings.ToLower(l.Email)
		if declared[email] || l.Owner != b.owner || b.owner == "" || b.ignoredUser(email) {
			continue
		}
		before := UserValues(*l)
		b.userDelete[email] = b.add(Change{
			Action: Delete, Kind: KindUser, Key: email, ID: l.ID, Before: &before,
			Fingerprint: Fingerprint(&before),
		})
	}
}

// ---- accounts ----

func depth(p string) int {
	if p == "" {
		return 0
	}
	return strings.Count(p, "/") + 1
}

// byDepth sorts account paths parents first, then by path.
func byDepth(paths []string) {
	sort.Slice(paths, func(i, j int) bool {
		di, dj := depth(paths[i]), depth(paths[j])
		if di != dj {
			return di < dj
		}
		return paths[i] < paths[j]
	})
}

// liveParentOf returns the live path of the declared account at desired path p ("" is the
// root), and whether it exists live.
func (b *builder) livePathOf(p string) (string, bool) {
	if p == "" {
		return "", true
	}
	if l := b.acctMatch[p]; l != nil {
		return l.Path, true
	}
	return "", false
}

// liveIDOf returns the live id of the account at path p after renames ("" is the root).
func (b *builder) liveIDOf(p string) string {
	if p == "" {
		return b.live.Account
	}
	if l := b.liveByNew[p]; l != nil {
		return l.ID
	}
	return ""
}

func (b *builder) accounts() {
	liveByPath := make(map[string]*spec.Account, len(b.live.Accounts))
	liveByID := make(map[string]*spec.Account, len(b.live.Accounts))
	livePaths := make([]string, 0, len(b.live.Accounts))
	for i := range b.live.Accounts {
		l := &b.live.Accounts[i]
		liveByPath[l.Path] = l
		if l.ID != "" {
			liveByID[l.ID] = l
		}
		livePaths = append(livePaths, l.Path)
	}
	desiredPaths := make([]string, 0, len(b.desired.Accounts))
	for i := range b.desired.Accounts {
		d := &b.desired.Accounts[i]
		b.desiredAcct[d.Path] = d
		desiredPaths = append(desiredPaths, d.Path)
	}
	byDepth(livePaths)
	// Parents first; at one depth pinned declarations first, so that a pin renaming an account
	// wins over a declaration that reuses the old name (which is then created).
	sort.Slice(desiredPaths, func(i, j int) bool {
		pi, pj := desiredPaths[i], desiredPaths[j]
		if di, dj := depth(pi), depth(pj); di != dj {
			return di < dj
		}
		if ai, aj := b.desiredAcct[pi].ID != "", b.desiredAcct[pj].ID != ""; ai != aj {
			return ai
		}
		return pi < pj
	})

	// Match declarations to live accounts, parents first so that children follow renames.
	matched := make(map[string]string, len(desiredPaths)) // live path -> desired path
	for _, dp := range desiredPaths {
		d := b.desiredAcct[dp]
		if b.acctFailed[d.Parent] {
			b.acctFailed[dp] = true
			continue
		}
		liveParent, parentLive := b.livePathOf(d.Parent)
		var l *spec.Account
		switch {
		case d.ID != "":
			l = liveByID[d.ID]
			if l == nil {
				b.errorf("%saccount %s: id pin %s matches no live account", at(d.Pos), dp, d.ID)
				b.acctFailed[dp] = true
				continue
			}
			if !parentLive || l.Parent != liveParent {
				b.errorf("%saccount %s: id pin %s is the live account %s, whose parent is not the declared parent %q: accounts are not moved", at(d.Pos), dp, d.ID, l.Path, d.Parent)
				b.acctFailed[dp] = true
				continue
			}
		case parentLive:
			l = liveByPath[spec.JoinPath(liveParent, d.Name)]
			if l != nil && matched[l.Path] != "" {
				l = nil // renamed away by a pin
			}
			if d.PreviousName != "" {
				old := liveByPath[spec.JoinPath(liveParent, d.PreviousName)]
				if old != nil && matched[old.Path] != "" {
					old = nil
				}
				if old != nil && l != nil {
					b.errorf("%saccount %s: previousName %q: both %s and %s exist live", at(d.Pos), dp, d.PreviousName, old.Path, l.Path)
					b.acctFailed[dp] = true
					continue
				}
				if l == nil {
					l = old
				}
			}
		}
		if l == nil {
			continue
		}
		// An ignored account is never touched: a pin or previousName must not rename or adopt
		// it, which would take it (and what it holds) out of its pattern. Checked on the live
		// path, the one the pattern was written against.
		if b.ignoredAccount(l.Path) {
			how := "the declaration"
			switch {
			case d.ID != "":
				how = "id pin " + d.ID
			case l.Name != d.Name:
				how = fmt.Sprintf("previousName %q", d.PreviousName)
			}
			b.errorf("%saccount %s: %s is the live account %s, which ignore.accounts matches: an ignored account is never renamed or adopted", at(d.Pos), dp, how, l.Path)
			b.acctFailed[dp] = true
			continue
		}
		if other, dup := matched[l.Path]; dup {
			b.errorf("%saccount %s: the live account %s is already matched by %s", at(d.Pos), dp, l.Path, other)
			b.acctFailed[dp] = true
			continue
		}
		if l.Owner != "" && l.Owner != b.owner {
			b.errorf("%saccount %s carries the managed-by marker of %q, not %q: two states never manage one resource", at(d.Pos), dp, l.Owner, b.owner)
			b.acctFailed[dp] = true
			continue
		}
		matched[l.Path] = dp
		b.acctMatch[dp] = l
	}

	// Where every live account is once the renames are done.
	for _, lp := range livePaths {
		l := liveByPath[lp]
		np, ok := matched[lp]
		if !ok {
			parent, known := b.newPath[l.Parent]
			if !known { // a live account whose parent is not in the live state: keep its path
				parent = l.Parent
			}
			np = spec.JoinPath(parent, l.Name)
		}
		if other := b.liveByNew[np]; other != nil {
			b.errorf("account %s: renaming would give the live accounts %s and %s one path", np, other.Path, lp)
			continue
		}
		b.newPath[lp] = np
		b.liveByNew[np] = l
	}

	// Updates (renames, adoptions) and creates, parents first.
	for _, dp := range desiredPaths {
		if b.acctFailed[dp] {
			continue
		}
		d := b.desiredAcct[dp]
		parentID := b.liveIDOf(d.Parent)
		if l := b.acctMatch[dp]; l != nil {
			before := AccountValues(*l)
			after := before
			after.Path, after.Parent, after.ParentID = dp, d.Parent, parentID
			var fields []string
			var notes []string
			if l.Name != d.Name {
				fields = append(fields, fieldName)
				after.Name = strp(d.Name)
				notes = append(notes, fmt.Sprintf("rename %s to %s, keeping its id, members and children", l.Path, dp))
			}
			if l.Owner == "" {
				fields = append(fields, fieldManagedBy)
				after.Owner = b.owner
				notes = append(notes, noteAdopt)
			}
			if len(fields) == 0 {
				continue
			}
			var deps []int
			if i, ok := b.acctRename[d.Parent]; ok {
				deps = append(deps, i)
			}
			if i, ok := b.acctCreate[d.Parent]; ok {
				deps = append(deps, i)
			}
			i := b.add(Change{
				Action: Update, Kind: KindAccount, Key: dp, ID: l.ID, Before: &before, After: &after,
				Fields: fields, Source: d.Pos.Short(), Fingerprint: Fingerprint(&before),
				Note: strings.Join(notes, "; "),
			}, deps...)
			if l.Name != d.Name {
				b.acctRename[dp] = i
				b.vacated[l.Path] = i
			}
			continue
		}
		after := AccountValues(*d)
		after.ID, after.Owner, after.ParentID = "", b.owner, parentID
		var deps []int
		if i, ok := b.acctCreate[d.Parent]; ok {
			deps = append(deps, i)
		}
		if i, ok := b.acctRename[d.Parent]; ok {
			deps = append(deps, i)
		}
		b.acctCreate[dp] = b.add(Change{
			Action: Create, Kind: KindAccount, Key: dp, After: &after, Source: d.Pos.Short(),
		}, deps...)
	}
	// A create or a rename that reuses a name a rename frees runs after that rename.
	for dp, ci := range b.acctCreate {
		if ri, ok := b.freedBy(dp); ok {
			b.nodes[ci].deps = append(b.nodes[ci].deps, ri)
		}
	}
	waitsFor := map[int]int{} // rename node -> the rename node that frees its new name
	for dp, ri := range b.acctRename {
		if fi, ok := b.freedBy(dp); ok && fi != ri {
			b.nodes[ri].deps = append(b.nodes[ri].deps, fi)
			waitsFor[ri] = fi
		}
	}
	b.renameCycles(desiredPaths, waitsFor)

	// Deletes: children before parents; a marked account holding what may not be deleted is kept.
	children := map[string][]string{} // path after renames -> children's paths after renames
	for _, lp := range livePaths {
		np := b.newPath[lp]
		parent, _ := spec.SplitPath(np)
		children[parent] = append(children[parent], np)
	}
	for i := len(livePaths) - 1; i >= 0; i-- { // deepest first
		np := b.newPath[livePaths[i]]
		l := b.liveByNew[np]
		if l == nil || b.desiredAcct[np] != nil || matched[l.Path] != "" {
			continue
		}
		if !b.desired.Prune || b.owner == "" || l.Owner != b.owner || b.ignoredLive(l.Path) {
			continue
		}
		var blockers []string
		for _, c := range children[np] {
			if !b.deletable[c] {
				blockers = append(blockers, c)
			}
		}
		if len(blockers) > 0 {
			sort.Strings(blockers)
			b.warnf("account %s is kept: it holds accounts this state may not delete (%s)", np, strings.Join(blockers, ", "))
			continue
		}
		b.deletable[np] = true
		before := AccountValues(*l)
		var deps []int
		for _, c := range children[np] {
			deps = append(deps, b.acctDelete[c])
		}
		b.acctDelete[np] = b.add(Change{
			Action: Delete, Kind: KindAccount, Key: np, ID: l.ID, Before: &before,
			Fingerprint: Fingerprint(&before),
		}, deps...)
	}
}

// freedBy returns the node of the rename that frees the name of the declared account at dp
// (the live path it will take), if a rename does.
func (b *builder) freedBy(dp string) (int, bool) {
	d := b.desiredAcct[dp]
	liveParent, ok := b.livePathOf(d.Parent)
	if !ok {
		return 0, false
	}
	ri, ok := b.vacated[spec.JoinPath(liveParent, d.Name)]
	return ri, ok
}

// renameCycles reports every cycle of renames, each waiting for the next to free its new name
// (a swap is the smallest): no order applies them, and the API refuses a name a sibling holds.
// waitsFor gives each rename node at most one rename it waits for, so every cycle is found by
// following it.
func (b *builder) renameCycles(desiredPaths []string, waitsFor map[int]int) {
	if len(waitsFor) == 0 {
		return
	}
	pathOf := map[int]string{} // rename node -> desired path
	for dp, ri := range b.acctRename {
		pathOf[ri] = dp
	}
	done := map[int]bool{}
	for _, dp := range desiredPaths { // deterministic: the errors come in one order
		start, ok := b.acctRename[dp]
		if !ok || done[start] {
			continue
		}
		onPath := map[int]bool{}
		i := start
		for {
			onPath[i] = true
			next, waits := waitsFor[i]
			if !waits || done[next] {
				break
			}
			if onPath[next] {
				b.reportRenameCycle(next, waitsFor, pathOf)
				break
			}
			i = next
		}
		for j := range onPath {
			done[j] = true
		}
	}
}

func (b *builder) reportRenameCycle(start int, waitsFor map[int]int, pathOf map[int]string) {
	var steps []string
	i := start
	for {
		dp := pathOf[i]
		steps = append(steps, fmt.Sprintf("%s to %s", b.acctMatch[dp].Path, dp))
		if i = waitsFor[i]; i == start {
			break
		}
	}
	sort.Strings(steps)
	list := strings.Join(steps[:len(steps)-1], ", ") + " and " + steps[len(steps)-1]
	b.errorf("the renames of accounts %s form a cycle: each needs a name another one still holds, so no order can apply them; rename one of them to a temporary name first, apply, then finish the renames in a second apply", list)
}

// ---- members ----

// managesMembersOf reports whether this state manages the members of the account at path p
// (after renames): every declared account, and the root when a top-level members: key exists.
func (b *builder) managesMembersOf(p string) bool {
	if p == "" {
		return b.desired.Mentions.RootMembers
	}
	return b.desiredAcct[p] != nil && !b.acctFailed[p]
}

func (b *builder) members() {
	type liveMember struct {
		m    *spec.Member
		path string // account path after renames
	}
	liveByKey := make(map[string]liveMember, len(b.live.Members))
	liveKeys := make([]string, 0, len(b.live.Members))
	for i := range b.live.Members {
		m := &b.live.Members[i]
		np, ok := b.newPath[m.AccountPath]
		if !ok {
			np = m.AccountPath
		}
		k := spec.MemberKey(np, strings.ToLower(m.User))
		liveByKey[k] = liveMember{m: m, path: np}
		liveKeys = append(liveKeys, k)
	}
	sort.Strings(liveKeys)
	declared := make(map[string]bool, len(b.desired.Members))
	for i := range b.desired.Members {
		d := &b.desired.Members[i]
		if d.AccountPath != "" && b.acctFailed[d.AccountPath] {
			continue
		}
		email := strings.ToLower(d.User)
		k := spec.MemberKey(d.AccountPath, email)
		declared[k] = true
		accountID := b.liveIDOf(d.AccountPath)
		if d.AccountPath != "" && b.acctMatch[d.AccountPath] == nil {
			accountID = "" // created by this plan
		}
		if lm, ok := liveByKey[k]; ok {
			if lm.m.Role == d.Role {
				continue
			}
			before := MemberValues(*lm.m)
			after := before
			after.AccountPath, after.AccountID, after.Role = d.AccountPath, accountID, d.Role
			b.add(Change{
				Action: Update, Kind: KindMember, Key: k, ID: lm.m.ID, Before: &before, After: &after,
				Fields: []string{fieldRole}, Source: d.Pos.Short(), Fingerprint: Fingerprint(&before),
				AccountID: accountID,
			})
			continue
		}
		after := Values{AccountPath: d.AccountPath, AccountID: accountID, User: email, Role: d.Role}
		var deps []int
		if u := b.userMatch[email]; u != nil {
			after.UserID = u.ID
		}
		if i, ok := b.userCreate[email]; ok {
			deps = append(deps, i)
		}
		if i, ok := b.acctCreate[d.AccountPath]; ok {
			deps = append(deps, i)
		}
		b.add(Change{
			Action: Create, Kind: KindMember, Key: k, After: &after, Source: d.Pos.Short(), AccountID: accountID,
		}, deps...)
	}
	// Every member delete is a prune: of an undeclared member of a managed account, or one that
	// an account or user delete (prune-only themselves) needs. prune: false plans none.
	if !b.desired.Prune {
		return
	}
	for _, k := range liveKeys {
		lm := liveByKey[k]
		if declared[k] {
			continue
		}
		email := strings.ToLower(lm.m.User)
		acctDel, inDeleted := b.acctDelete[lm.path]
		userDel, ofDeleted := b.userDelete[email]
		managed := b.managesMembersOf(lm.path)
		if b.ignoredLive(lm.m.AccountPath) { // never touched, whatever else the plan does
			if ofDeleted {
				b.warnf("user %s is deleted but stays a member of the ignored account %s: the API will refuse the delete", email, lm.path)
			}
			continue
		}
		if !inDeleted && !managed && !ofDeleted {
			continue
		}
		// A membership of an ignored user is never pruned (such a member cannot be declared);
		// only the delete of its account, which is this state's, takes it along.
		if !inDeleted && b.ignoredUser(email) {
			continue
		}
		before := MemberValues(*lm.m)
		i := b.add(Change{
			Action: Delete, Kind: KindMember, Key: k, ID: lm.m.ID, Before: &before,
			Fingerprint: Fingerprint(&before), AccountID: b.liveIDOf(lm.path),
		})
		b.memberDelete[k] = i
		switch {
		case inDeleted:
			b.nodes[i].cause = acctDel
		case !managed:
			b.nodes[i].cause = userDel
		}
		if inDeleted {
			b.nodes[acctDel].deps = append(b.nodes[acctDel].deps, i)
		}
		if ofDeleted {
			b.nodes[userDel].deps = append(b.nodes[userDel].deps, i)
		}
	}
}

// ---- app clients ----

// sortedSet returns the distinct values of s, sorted: lists that compare as sets (CONTRACT 2.1),
// whose duplicates mean nothing (the API stores a list as given, so live may hold some).
func sortedSet(s []string) []string {
	c := slices.Clone(s)
	sort.Strings(c)
	return slices.Compact(c)
}

// lowerSortedSet is sortedSet of the lower-cased values.
func lowerSortedSet(s []string) []string {
	c := make([]string, len(s))
	for i, v := range s {
		c[i] = strings.ToLower(v)
	}
	return sortedSet(c)
}

func (b *builder) appClients() {
	if !b.desired.Mentions.AppClients {
		return
	}
	byName := make(map[string]*spec.AppClient, len(b.live.AppClients))
	for i := range b.live.AppClients {
		l := &b.live.AppClients[i]
		if other := byName[l.AppName]; other != nil {
			b.errorf("two live app clients are named %q (%s and %s)", l.AppName, other.ARN, l.ARN)
			continue
		}
		byName[l.AppName] = l
	}
	declared := make(map[string]bool, len(b.desired.AppClients))
	for i := range b.desired.AppClients {
		d := &b.desired.AppClients[i]
		declared[d.AppName] = true
		after := AppClientValues(*d)
		after.RedirectURLs = sortedSet(d.RedirectURLs)
		after.StarterUserEmails = lowerSortedSet(d.StarterUserEmails)
		after.ARN, after.VerificationStatus = "", ""
		l := byName[d.AppName]
		if l == nil {
			b.add(Change{Action: Create, Kind: KindAppClient, Key: d.AppName, After: &after, Source: d.Pos.Short()})
			continue
		}
		before := AppClientValues(*l)
		var forcing []string
		if d.Description != nil && deref(l.Description) != *d.Description {
			forcing = append(forcing, fieldDescription)
		}
		if !slices.Equal(lowerSortedSet(l.StarterUserEmails), after.StarterUserEmails) {
			forcing = append(forcing, fieldStarters)
		}
		if d.CustomerManagedKeyARN != nil && deref(l.CustomerManagedKeyARN) != *d.CustomerManagedKeyARN {
			forcing = append(forcing, fieldCMK)
		}
		redirects := !slices.Equal(sortedSet(l.RedirectURLs), after.RedirectURLs)
		switch {
		case len(forcing) > 0:
			if after.Description == nil {
				after.Description = l.Description
			}
			if after.CustomerManagedKeyARN == nil {
				after.CustomerManagedKeyARN = l.CustomerManagedKeyARN
			}
			b.add(Change{
				Action: Replace, Kind: KindAppClient, Key: d.AppName, ID: l.ID(), Before: &before, After: &after,
				Fields: forcing, Source: d.Pos.Short(), Fingerprint: Fingerprint(&before), Note: noteReplace,
			})
		case redirects:
			upd := before
			upd.RedirectURLs = after.RedirectURLs
			b.add(Change{
				Action: Update, Kind: KindAppClient, Key: d.AppName, ID: l.ID(), Before: &before, After: &upd,
				Fields: []string{fieldRedirects}, Source: d.Pos.Short(), Fingerprint: Fingerprint(&before),
			})
		}
	}
	if !b.desired.Prune {
		return
	}
	for i := range b.live.AppClients {
		l := &b.live.AppClients[i]
		if declared[l.AppName] || b.ignoredAppClient(l.AppName) {
			continue
		}
		before := AppClientValues(*l)
		b.add(Change{
			Action: Delete, Kind: KindAppClient, Key: l.AppName, ID: l.ID(), Before: &before,
			Fingerprint: Fingerprint(&before),
		})
		b.warnf("appClient %q is not declared and will be deleted", l.AppName)
	}
}

// fillTakesDown lists, for every account delete, the accounts and members it takes down: the
// deletes of its descendant accounts and the member deletes they and it cause. It walks each
// delete's ancestors, so it costs O(changes x depth).
func fillTakesDown(changes []Change) {
	acctDelete := map[string]int{}
	for i := range changes {
		if c := &changes[i]; c.Kind == KindAccount && c.Action == Delete {
			acctDelete[c.Key] = i
		}
	}
	if len(acctDelete) == 0 {
		return
	}
	down := map[int][]string{}
	for i := range changes {
		o := &changes[i]
		if o.Action != Delete {
			continue
		}
		var p, item string
		switch {
		case o.Kind == KindAccount:
			p, _ = spec.SplitPath(o.Key)
			item = "account " + o.Key
		case o.Kind == KindMember && o.Cause >= 0 && changes[o.Cause].Kind == KindAccount:
			p = changes[o.Cause].Key
			item = "member " + o.Key
		default:
			continue
		}
		for p != "" {
			if j, ok := acctDelete[p]; ok {
				down[j] = append(down[j], item)
			}
			p, _ = spec.SplitPath(p)
		}
	}
	for j, items := range down {
		sort.Strings(items)
		changes[j].TakesDown = items
	}
}
