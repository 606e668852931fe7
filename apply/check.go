package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/inbox-manager/inboxctl/api"
	"github.com/inbox-manager/inboxctl/live"
	"github.com/inbox-manager/inboxctl/plan"
	"github.com/inbox-manager/inboxctl/spec"
)

// RefusedError is the refusal of the delete check (CONTRACT 2.3): the plan deletes more than
// the allowed share of the live resources it could delete (exit code 4).
type RefusedError struct {
	MaxPercent float64
	// Failing holds the counts that fail the check: each kind, and "total".
	Failing []plan.KindCount
}

func (e *RefusedError) Error() string {
	parts := make([]string, len(e.Failing))
	for i, k := range e.Failing {
		parts[i] = fmt.Sprintf("%s: %d of %d", k.Kind, k.Deletes, k.Live)
	}
	return fmt.Sprintf("apply: refused by the delete check: the plan deletes more than %g%% of %s; nothing was changed (use --force to apply it anyway)",
		e.MaxPercent, strings.Join(parts, ", "))
}

// CheckDeletes makes the delete check of p with maxPercent (see RedoDeleteCheck) and returns a
// *RefusedError naming each failing kind with its counts, unless force is set. The verdict the
// plan carries is never trusted: a saved plan may have been made with another threshold, or
// edited. A plan RedoDeleteCheck cannot check is refused even with force.
func CheckDeletes(p *plan.Plan, maxPercent float64, force bool) error {
	dc, err := RedoDeleteCheck(p, maxPercent)
	if err != nil {
		return err
	}
	if force || !dc.Failed {
		return nil
	}
	e := &RefusedError{MaxPercent: dc.MaxPercent}
	for _, k := range dc.Counts {
		if k.Failed {
			e.Failing = append(e.Failing, k)
		}
	}
	return e
}

// StaleError is the refusal of a saved plan that no longer matches the live state, or that was
// made for another target (exit code 1). Nothing was sent that changes anything.
type StaleError struct {
	// Differences lists each thing that changed, one line each.
	Differences []string
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("apply: the plan is stale, nothing was changed; plan again: %d difference(s):\n  %s",
		len(e.Differences), strings.Join(e.Differences, "\n  "))
}

// staleConcurrency bounds the reads of the stale check in flight.
const staleConcurrency = 8

// CheckStale refuses, with a *StaleError, a plan made for another API URL, application or
// account than target (API URLs compared without user:password and trailing slash), or one
// whose resources changed since it was made. It re-reads only what
// the plan touches: each user, account and app client it updates, deletes or replaces, by id;
// the members of each account with member changes; and, for creates, whether the key now
// exists: users in the user list, accounts among their parent's children, members among their
// account's members, app clients in the app client list. Empty fields of target are not
// compared. Any other read error is returned wrapped.
func CheckStale(ctx context.Context, p *plan.Plan, c API, target plan.Target) error {
	if p.FormatVersion != plan.FormatVersion {
		return fmt.Errorf("apply: the plan has format version %q; this inboxctl reads %q", p.FormatVersion, plan.FormatVersion)
	}
	var diffs []string
	sameTarget := func(what, planned, now string) {
		if now != "" && planned != now {
			diffs = append(diffs, fmt.Sprintf("target: the plan was made for %s %q, this run uses %q", what, planned, now))
		}
	}
	sameTarget("API URL", comparableURL(p.Target.APIURL), comparableURL(target.APIURL))
	sameTarget("application", p.Target.Application, target.Application)
	sameTarget("account", p.Target.Account, target.Account)
	sameTarget("owner", p.Target.Owner, target.Owner)
	if len(diffs) > 0 {
		return &StaleError{Differences: diffs}
	}
	s := &staleCheck{p: p, c: c, ex: newExecutor(p, c, p.Target.Owner), diffs: make([][]string, len(p.Changes))}
	if err := s.read(ctx); err != nil {
		return fmt.Errorf("apply: checking the plan against the live state: %w", err)
	}
	for _, d := range s.diffs {
		diffs = append(diffs, d...)
	}
	if len(diffs) > 0 {
		return &StaleError{Differences: diffs}
	}
	return nil
}

// comparableURL returns an API URL without user:password (never to be shown) and without a
// trailing slash, the form in which targets are compared. A URL that does not parse gives a
// placeholder, since it may hold anything.
func comparableURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(not a valid URL)"
	}
	u.User = nil
	return strings.TrimRight(u.String(), "/")
}

type staleCheck struct {
	p  *plan.Plan
	c  API
	ex *executor

	mu    sync.Mutex
	diffs [][]string // by change index, so the report follows the plan's order
}

func (s *staleCheck) differ(i int, format string, args ...any) {
	ch := s.p.Changes[i]
	line := fmt.Sprintf("%s %s: ", ch.Kind, ch.Key) + fmt.Sprintf(format, args...)
	s.mu.Lock()
	s.diffs[i] = append(s.diffs[i], line)
	s.mu.Unlock()
}

func (s *staleCheck) read(ctx context.Context) error {
	created := map[plan.Kind]map[string]bool{}
	for _, ch := range s.p.Changes {
		if ch.Action == plan.Create {
			if created[ch.Kind] == nil {
				created[ch.Kind] = map[string]bool{}
			}
			created[ch.Kind][strings.ToLower(ch.Key)] = true
		}
	}
	var (
		userCreates, clientCreates []int
		childrenOf                 = map[string][]int{} // parent id -> account creates under it
		membersOf                  = map[string][]int{} // account id -> member changes in it
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(staleConcurrency)
	for i, ch := range s.p.Changes {
		before := ch.Before
		if before == nil {
			before = &plan.Values{}
		}
		switch {
		case ch.Kind == plan.KindUser && ch.Action == plan.Create:
			userCreates = append(userCreates, i)
		case ch.Kind == plan.KindAppClient && ch.Action == plan.Create:
			clientCreates = append(clientCreates, i)
		case ch.Kind == plan.KindAccount && ch.Action == plan.Create:
			parent, _ := spec.SplitPath(ch.Key)
			if created[plan.KindAccount][strings.ToLower(parent)] {
				continue // its parent does not exist yet, so neither can it
			}
			id := ""
			if ch.After != nil {
				id = ch.After.ParentID
			}
			if id == "" {
				var err error
				var calls int
				if id, err = s.ex.accountID(ctx, parent, &calls); err != nil {
					s.differ(i, "its parent account %q does not exist", parent)
					continue
				}
			}
			childrenOf[id] = append(childrenOf[id], i)
		case ch.Kind == plan.KindMember:
			v := ch.After
			if v == nil {
				v = before
			}
			if ch.Action == plan.Create && (created[plan.KindAccount][strings.ToLower(v.AccountPath)] || created[plan.KindUser][strings.ToLower(v.User)]) {
				continue // its account or user does not exist yet, so neither can it
			}
			id := ch.AccountID
			if id == "" {
				id = v.AccountID
			}
			if id == "" {
				id = before.AccountID
			}
			if id == "" {
				var err error
				var calls int
				if id, err = s.ex.accountID(ctx, v.AccountPath, &calls); err != nil {
					s.differ(i, "its account %q does not exist", v.AccountPath)
					continue
				}
			}
			membersOf[id] = append(membersOf[id], i)
		case ch.Action == plan.Create:
			// nothing else is created
		default:
			g.Go(func() error { return s.one(gctx, i, ch, before) })
		}
	}
	if len(userCreates) > 0 {
		g.Go(func() error {
			users, err := s.c.ListUsers(gctx, s.p.Target.Application)
			if err != nil {
				return err
			}
			byEmail := make(map[string]string, len(users))
			for _, u := range users {
				byEmail[strings.ToLower(u.Email)] = u.ID
			}
			for _, i := range userCreates {
				if id, ok := byEmail[strings.ToLower(s.p.Changes[i].Key)]; ok {
					s.differ(i, "created since the plan was made (id %s)", id)
				}
			}
			return nil
		})
	}
	for parentID, creates := range childrenOf {
		g.Go(func() error {
			children, err := s.c.ListChildAccounts(gctx, parentID)
			if api.IsNotFound(err) {
				for _, i := range creates {
					parent, _ := spec.SplitPath(s.p.Changes[i].Key)
					s.differ(i, "its parent account %q was deleted since the plan was made", parent)
				}
				return nil
			}
			if err != nil {
				return err
			}
			for _, i := range creates {
				_, name := spec.SplitPath(s.p.Changes[i].Key)
				if a := s.p.Changes[i].After; a != nil && a.Name != nil {
					name = *a.Name
				}
				for _, a := range children {
					if a.Name == name {
						s.differ(i, "created since the plan was made (id %s)", a.ID)
					}
				}
			}
			return nil
		})
	}
	for accountID, changes := range membersOf {
		g.Go(func() error { return s.members(gctx, accountID, changes) })
	}
	if len(clientCreates) > 0 {
		g.Go(func() error { return s.appClientCreates(gctx, clientCreates) })
	}
	return g.Wait()
}

// one re-reads the resource that change i updates, deletes or replaces, by id.
func (s *staleCheck) one(ctx context.Context, i int, ch plan.Change, before *plan.Values) error {
	id := ch.ID
	if id == "" {
		id = before.ID
	}
	if ch.Kind == plan.KindAppClient && id == "" {
		id = spec.AppClientIDFromARN(before.ARN)
	}
	if id == "" {
		s.differ(i, "the plan does not record the resource's id")
		return nil
	}
	var fresh plan.Values
	var err error
	switch ch.Kind {
	case plan.KindUser:
		var u *api.User
		if u, err = s.c.GetUser(ctx, id); err == nil {
			fresh = plan.UserValues(live.UserFromAPI(*u))
		}
	case plan.KindAccount:
		var a *api.Account
		if a, err = s.c.GetAccount(ctx, id); err == nil {
			fresh = plan.AccountValues(live.AccountFromAPI(*a, before.Parent))
			if before.ParentID != "" {
				fresh.ParentID = a.ParentID
			}
		}
	case plan.KindAppClient:
		var c *api.AppClient
		if c, err = s.c.GetAppClient(ctx, id); err == nil {
			fresh = plan.AppClientValues(live.AppClientFromAPI(*c))
		}
	default:
		return fmt.Errorf("%s of a %s cannot be checked", ch.Action, ch.Kind)
	}
	if api.IsNotFound(err) {
		s.differ(i, "deleted since the plan was made")
		return nil
	}
	if err != nil {
		return err
	}
	s.compare(i, ch, before, &fresh)
	return nil
}

// members re-reads the members of one account and checks each member change in it.
func (s *staleCheck) members(ctx context.Context, accountID string, changes []int) error {
	members, err := s.c.ListMembers(ctx, accountID)
	if api.IsNotFound(err) {
		for _, i := range changes {
			ch := s.p.Changes[i]
			v := ch.After
			if v == nil {
				v = ch.Before
			}
			s.differ(i, "its account %q was deleted since the plan was made", v.AccountPath)
		}
		return nil
	}
	if err != nil {
		return err
	}
	for _, i := range changes {
		ch := s.p.Changes[i]
		if ch.Action == plan.Create {
			if ch.After == nil {
				continue
			}
			userID := ch.After.UserID
			if userID == "" {
				var calls int
				if userID, err = s.ex.userID(ctx, ch.After.User, &calls); err != nil {
					continue // the user does not exist, so neither does the membership
				}
			}
			for _, m := range members {
				if m.UserID == userID {
					s.differ(i, "created since the plan was made (id %s, role %s)", m.ID, m.Role)
				}
			}
			continue
		}
		before := ch.Before
		if before == nil {
			before = &plan.Values{}
		}
		id := ch.ID
		if id == "" {
			id = before.ID
		}
		idx := slices.IndexFunc(members, func(m api.Member) bool { return m.ID == id })
		if idx < 0 {
			s.differ(i, "deleted since the plan was made")
			continue
		}
		fresh := plan.MemberValues(live.MemberFromAPI(members[idx], before.AccountPath, before.User))
		if before.AccountID != "" {
			fresh.AccountID = members[idx].AccountID
		}
		s.compare(i, ch, before, &fresh)
	}
	return nil
}

// appClientCreates checks whether an app client with the name of a planned create exists now.
// The list holds only ARNs: the clients the plan already knows are skipped, the others read.
func (s *staleCheck) appClientCreates(ctx context.Context, creates []int) error {
	known := map[string]bool{}
	for _, ch := range s.p.Changes {
		if ch.Kind == plan.KindAppClient && ch.Before != nil && ch.Before.ARN != "" {
			known[ch.Before.ARN] = true
		}
	}
	list, err := s.c.ListAppClients(ctx)
	if err != nil {
		return err
	}
	names := map[string]int{}
	for _, i := range creates {
		names[s.p.Changes[i].Key] = i
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(staleConcurrency)
	for _, sum := range list {
		if known[sum.AppClientARN] {
			continue
		}
		g.Go(func() error {
			c, err := s.c.GetAppClient(gctx, spec.AppClientIDFromARN(sum.AppClientARN))
			if api.IsNotFound(err) {
				return nil // deleted since the list was read
			}
			if err != nil {
				return err
			}
			if i, ok := names[c.AppName]; ok {
				s.differ(i, "created since the plan was made (%s)", c.ARN)
			}
			return nil
		})
	}
	return g.Wait()
}

// compare reports change i as stale when the fingerprint of the fresh values differs from the
// one the plan recorded, naming each field that changed.
func (s *staleCheck) compare(i int, ch plan.Change, before, fresh *plan.Values) {
	adaptOptional(before, fresh)
	want := ch.Fingerprint
	if want == "" {
		want = plan.Fingerprint(ch.Before)
	}
	if plan.Fingerprint(fresh) == want {
		return
	}
	fields := fieldDiffs(before, fresh)
	if len(fields) == 0 {
		s.differ(i, "changed since the plan was made")
		return
	}
	for _, f := range fields {
		s.differ(i, "%s", f)
	}
}

// adaptOptional gives fresh the plan's convention for optional fields that are empty live: a
// live value is always known, while a plan may record an empty one as absent.
func adaptOptional(before, fresh *plan.Values) {
	for _, f := range []struct{ b, f **string }{
		{&before.Name, &fresh.Name},
		{&before.Description, &fresh.Description},
		{&before.CustomerManagedKeyARN, &fresh.CustomerManagedKeyARN},
	} {
		if *f.b == nil && *f.f != nil && **f.f == "" {
			*f.f = nil
		}
	}
}

// fieldDiffs lists the fields that differ between two values, as `field: old -> new`, in the
// JSON names of the plan format.
func fieldDiffs(a, b *plan.Values) []string {
	am, bm := jsonFields(a), jsonFields(b)
	keys := make([]string, 0, len(am)+len(bm))
	for k := range am {
		keys = append(keys, k)
	}
	for k := range bm {
		if _, ok := am[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		if am[k] != bm[k] {
			out = append(out, fmt.Sprintf("%s: %s -> %s", k, orNone(am[k]), orNone(bm[k])))
		}
	}
	return out
}

func jsonFields(v *plan.Values) map[string]string {
	b, _ := json.Marshal(v)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	out := make(map[string]string, len(m))
	for k, raw := range m {
		out[k] = string(raw)
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// deleteCheckMinLive is the number of live resources below which the delete check does not
// apply (CONTRACT 2.3).
const deleteCheckMinLive = 10

// countTotal names the delete check's count of every kind together.
const countTotal = "total"

// countKinds names the delete check's count of each kind, as the plan records them, in order.
var countKinds = []struct {
	kind plan.Kind
	name string
}{
	{plan.KindUser, "users"},
	{plan.KindAccount, "accounts"},
	{plan.KindMember, "members"},
	{plan.KindAppClient, "appClients"},
}

// CheckPercent returns an error unless maxPercent is a percentage from 0 to 100 (NaN would make
// every comparison of the delete check false, so that it never refuses).
func CheckPercent(maxPercent float64) error {
	if math.IsNaN(maxPercent) || maxPercent < 0 || maxPercent > 100 {
		return fmt.Errorf("apply: the delete check's threshold must be a percentage from 0 to 100, not %g", maxPercent)
	}
	return nil
}

// RedoDeleteCheck makes the delete check of CONTRACT 2.3 for p with maxPercent, trusting none
// of the plan's verdicts: D is counted again from p.Changes (every delete and replacement,
// member deletes included), per kind; L is the live count per kind the plan recorded when it was
// computed (which apply cannot recount without the state files), raised to D where it is lower,
// since what a plan deletes is live and deletable; the total is the sum of the kinds. A kind
// fails when it has at least 10 live resources and 100 x D / L exceeds maxPercent.
//
// It returns an error for a maxPercent outside 0..100 (or NaN) and for a plan that deletes or
// replaces a kind it records no live count of (a plan file not made by inboxctl, or edited).
func RedoDeleteCheck(p *plan.Plan, maxPercent float64) (plan.DeleteCheck, error) {
	if err := CheckPercent(maxPercent); err != nil {
		return plan.DeleteCheck{}, err
	}
	liveOf := map[string]int{}
	recorded := map[string]bool{}
	for _, k := range p.DeleteCheck.Counts {
		liveOf[k.Kind], recorded[k.Kind] = k.Live, true
	}
	deletes := map[plan.Kind]int{}
	for _, ch := range p.Changes {
		if ch.Action == plan.Delete || ch.Action == plan.Replace {
			deletes[ch.Kind]++
		}
	}
	total := plan.KindCount{Kind: countTotal}
	kinds := make([]plan.KindCount, 0, len(countKinds))
	for _, ck := range countKinds {
		d := deletes[ck.kind]
		delete(deletes, ck.kind)
		if d > 0 && !recorded[ck.name] {
			return plan.DeleteCheck{}, fmt.Errorf("apply: the plan deletes or replaces %s but records no live count of %s for the delete check; "+
				"it was not made by this inboxctl or was edited: plan again", ck.name, ck.name)
		}
		kc := plan.KindCount{Kind: ck.name, Live: max(liveOf[ck.name], d), Deletes: d}
		total.Live += kc.Live
		total.Deletes += kc.Deletes
		kinds = append(kinds, kc)
	}
	for k := range deletes {
		return plan.DeleteCheck{}, fmt.Errorf("apply: the plan deletes or replaces a resource of unknown kind %q", k)
	}
	dc := plan.DeleteCheck{MaxPercent: maxPercent, Counts: append([]plan.KindCount{total}, kinds...)}
	for i := range dc.Counts {
		k := &dc.Counts[i]
		k.Failed = k.Live >= deleteCheckMinLive && 100*float64(k.Deletes)/float64(k.Live) > maxPercent
		dc.Failed = dc.Failed || k.Failed
	}
	return dc, nil
}
