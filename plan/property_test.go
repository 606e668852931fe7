package plan

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/inbox-manager/inboxctl/spec"
)

// randomStates builds a random live tenant and a random desired state that can be planned
// against it (no declaration of another owner's resource, nothing declared that is ignored).
func randomStates(r *rand.Rand) (desired, live *spec.State) {
	desired, live = newDesired(), newLive()
	desired.Prune = r.Intn(4) != 0
	desired.Mentions.RootMembers = r.Intn(2) == 0
	desired.Mentions.AppClients = r.Intn(3) != 0
	if r.Intn(2) == 0 {
		desired.Ignore = spec.Ignore{Users: []string{"u0@*"}, Accounts: []string{"a3"}, AppClients: []string{"c4"}}
	}
	pick := func(s ...string) string { return s[r.Intn(len(s))] }
	owners := []string{owner, owner, "", "other"}
	names := []string{"", "N1", "N2"}

	liveUsers := map[string]spec.User{}
	for i := range 15 {
		email := fmt.Sprintf("u%d@x.com", i)
		if r.Intn(10) < 6 {
			u := spec.User{Email: email, Name: sp(pick(names...)), Status: pick("active", "suspended"), ID: "usr_" + email, Owner: pick(owners...)}
			live.Users = append(live.Users, u)
			liveUsers[email] = u
		}
		ignored := matchAny(desired.Ignore.Users, email)
		if !ignored && liveUsers[email].Owner != "other" && r.Intn(10) < 6 {
			d := spec.User{Email: email, Status: pick("active", "suspended")}
			if r.Intn(2) == 0 {
				d.Name = sp(pick(names...))
			}
			desired.Users = append(desired.Users, d)
		}
	}
	var paths []string
	for i := range 4 {
		top := fmt.Sprintf("a%d", i)
		paths = append(paths, top)
		for j := range 3 {
			paths = append(paths, fmt.Sprintf("%s/b%d", top, j))
		}
	}
	liveAcct, desiredAcct := map[string]spec.Account{}, map[string]bool{}
	b := &builder{desired: desired}
	for _, p := range paths {
		parent, name := spec.SplitPath(p)
		_, parentLive := liveAcct[parent]
		if (parent == "" || parentLive) && r.Intn(10) < 6 {
			a := spec.Account{Path: p, Name: name, Parent: parent, ID: "acc_" + p, Owner: pick(owners...)}
			live.Accounts = append(live.Accounts, a)
			liveAcct[p] = a
		}
		if (parent == "" || desiredAcct[parent]) && !b.ignoredAccount(p) && liveAcct[p].Owner != "other" && r.Intn(10) < 5 {
			desired.Accounts = append(desired.Accounts, spec.Account{Path: p, Name: name, Parent: parent})
			desiredAcct[p] = true
		}
	}
	roles := spec.Roles
	memberAccounts := []string{""}
	for _, a := range live.Accounts {
		memberAccounts = append(memberAccounts, a.Path)
	}
	for _, ap := range memberAccounts {
		if (ap == "" && !desired.Mentions.RootMembers) || b.ignoredAccount(ap) {
			continue
		}
		for _, u := range live.Users {
			if r.Intn(5) == 0 {
				live.Members = append(live.Members, spec.Member{AccountPath: ap, User: u.Email, Role: pick(roles...), ID: "mem_" + ap + "/" + u.Email, UserID: u.ID})
			}
		}
	}
	declaredAccounts := []string{}
	if desired.Mentions.RootMembers {
		declaredAccounts = append(declaredAccounts, "")
	}
	for _, a := range desired.Accounts {
		declaredAccounts = append(declaredAccounts, a.Path)
	}
	for _, ap := range declaredAccounts {
		for _, u := range desired.Users {
			if r.Intn(4) == 0 {
				desired.Members = append(desired.Members, spec.Member{AccountPath: ap, User: u.Email, Role: pick(roles...)})
			}
		}
	}
	if desired.Mentions.AppClients {
		urls := []string{"https://a", "https://b", "https://c"}
		for i := range 5 {
			name := fmt.Sprintf("c%d", i)
			if r.Intn(10) < 6 {
				live.AppClients = append(live.AppClients, spec.AppClient{AppName: name, Description: sp(pick("d1", "d2")),
					RedirectURLs: slices.Clone(urls[:1+r.Intn(3)]), StarterUserEmails: []string{pick("s1@x.com", "s2@x.com")},
					CustomerManagedKeyARN: sp(pick("", "k1")), ARN: "arn:appclient/" + name, VerificationStatus: "verified"})
			}
			if !matchAny(desired.Ignore.AppClients, name) && r.Intn(10) < 6 {
				c := spec.AppClient{AppName: name, RedirectURLs: slices.Clone(urls[r.Intn(2) : 2+r.Intn(2)]),
					StarterUserEmails: []string{pick("s1@x.com", "s2@x.com")}}
				if r.Intn(2) == 0 {
					c.Description = sp(pick("d1", "d2"))
				}
				if r.Intn(3) == 0 {
					c.CustomerManagedKeyARN = sp(pick("", "k1"))
				}
				desired.AppClients = append(desired.AppClients, c)
			}
		}
	}
	desired.Canonicalize()
	live.Canonicalize()
	return desired, live
}

// tenant is a small in-memory inbox-manager that executes a plan the way apply does, keeping
// the API's rules: unique emails, unique sibling names, no delete of a non-empty account or of a
// user with memberships.
type tenant struct {
	t        *testing.T
	root     string
	mentions spec.Mentions
	seq      int
	users    map[string]*spec.User // id ->
	accounts map[string]*tAccount  // id ->
	members  map[string]*tMember   // id ->
	clients  map[string]*spec.AppClient
}

type tAccount struct{ name, parent, owner string }
type tMember struct{ account, user, role string }

func newTenant(t *testing.T, live *spec.State, mentions spec.Mentions) *tenant {
	tn := &tenant{t: t, root: live.Account, mentions: mentions, users: map[string]*spec.User{}, accounts: map[string]*tAccount{},
		members: map[string]*tMember{}, clients: map[string]*spec.AppClient{}}
	for _, u := range live.Users {
		u := u
		tn.users[u.ID] = &u
	}
	idOf := map[string]string{"": live.Account}
	for _, a := range live.Accounts {
		idOf[a.Path] = a.ID
	}
	for _, a := range live.Accounts {
		tn.accounts[a.ID] = &tAccount{name: a.Name, parent: idOf[a.Parent], owner: a.Owner}
	}
	for _, m := range live.Members {
		tn.members[m.ID] = &tMember{account: idOf[m.AccountPath], user: m.UserID, role: m.Role}
	}
	for _, c := range live.AppClients {
		c := c
		tn.clients[c.ARN] = &c
	}
	return tn
}

func (tn *tenant) newID(prefix string) string {
	tn.seq++
	return fmt.Sprintf("%s_new%d", prefix, tn.seq)
}

func (tn *tenant) pathOf(id string) string {
	if id == tn.root {
		return ""
	}
	a := tn.accounts[id]
	if a == nil {
		tn.t.Fatalf("no account %s", id)
	}
	return spec.JoinPath(tn.pathOf(a.parent), a.name)
}

func (tn *tenant) accountByPath(p string) string {
	if p == "" {
		return tn.root
	}
	for id := range tn.accounts {
		if tn.pathOf(id) == p {
			return id
		}
	}
	return ""
}

func (tn *tenant) userByEmail(email string) string {
	for id, u := range tn.users {
		if u.Email == email {
			return id
		}
	}
	return ""
}

func (tn *tenant) siblingTaken(parent, name, except string) bool {
	for id, a := range tn.accounts {
		if id != except && a.parent == parent && a.name == name {
			return true
		}
	}
	return false
}

func (tn *tenant) apply(p *Plan) {
	t := tn.t
	for i, c := range p.Changes {
		for _, d := range c.DependsOn {
			if d >= i {
				t.Fatalf("change %d (%s %s %s) depends on %d, which runs later", i, c.Action, c.Kind, c.Key, d)
			}
		}
		a := c.After
		switch c.Kind {
		case KindUser:
			switch c.Action {
			case Create:
				if tn.userByEmail(a.Email) != "" {
					t.Fatalf("create user %s: email taken", a.Email)
				}
				id := tn.newID("usr")
				tn.users[id] = &spec.User{Email: a.Email, Name: sp(deref(a.Name)), Status: a.Status, ID: id, Owner: a.Owner}
			case Update:
				u := tn.users[c.ID]
				if got := UserValues(*u); Fingerprint(&got) != c.Fingerprint {
					t.Fatalf("update user %s: stale fingerprint", c.Key)
				}
				u.Name, u.Status, u.Owner = sp(deref(a.Name)), a.Status, a.Owner
			case Delete:
				for _, m := range tn.members {
					if m.user == c.ID {
						t.Fatalf("delete user %s: user_has_memberships", c.Key)
					}
				}
				delete(tn.users, c.ID)
			}
		case KindAccount:
			switch c.Action {
			case Create:
				parent := a.ParentID
				if parent == "" {
					parent = tn.accountByPath(a.Parent)
				}
				if parent == "" || tn.siblingTaken(parent, deref(a.Name), "") {
					t.Fatalf("create account %s: parent missing or name taken", c.Key)
				}
				tn.accounts[tn.newID("acc")] = &tAccount{name: deref(a.Name), parent: parent, owner: a.Owner}
			case Update:
				acc := tn.accounts[c.ID]
				if tn.siblingTaken(acc.parent, deref(a.Name), c.ID) {
					t.Fatalf("rename account %s: name taken", c.Key)
				}
				acc.name, acc.owner = deref(a.Name), a.Owner
			case Delete:
				for _, o := range tn.accounts {
					if o.parent == c.ID {
						t.Fatalf("delete account %s: account_not_empty (children)", c.Key)
					}
				}
				for _, m := range tn.members {
					if m.account == c.ID {
						t.Fatalf("delete account %s: account_not_empty (members)", c.Key)
					}
				}
				delete(tn.accounts, c.ID)
			}
		case KindMember:
			switch c.Action {
			case Create:
				acc, usr := a.AccountID, a.UserID
				if acc == "" {
					acc = tn.accountByPath(a.AccountPath)
				}
				if usr == "" {
					usr = tn.userByEmail(a.User)
				}
				if acc == "" || usr == "" {
					t.Fatalf("create member %s: account or user missing", c.Key)
				}
				tn.members[tn.newID("mem")] = &tMember{account: acc, user: usr, role: a.Role}
			case Update:
				tn.members[c.ID].role = a.Role
			case Delete:
				if tn.members[c.ID] == nil {
					t.Fatalf("delete member %s: not found", c.Key)
				}
				delete(tn.members, c.ID)
			}
		case KindAppClient:
			arn := "arn:appclient/" + c.ID
			if c.Action == Delete || c.Action == Replace {
				delete(tn.clients, arn)
			}
			switch c.Action {
			case Create, Replace:
				id := tn.newID("client")
				d, k := a.Description, a.CustomerManagedKeyARN
				tn.clients["arn:appclient/"+id] = &spec.AppClient{AppName: a.AppName, Description: sp(deref(d)),
					RedirectURLs: slices.Clone(a.RedirectURLs), StarterUserEmails: slices.Clone(a.StarterUserEmails),
					CustomerManagedKeyARN: sp(deref(k)), ARN: "arn:appclient/" + id, VerificationStatus: "pending_verification"}
			case Update:
				tn.clients[arn].RedirectURLs = slices.Clone(a.RedirectURLs)
			}
		}
	}
}

// state reads the tenant back as the live package would for the given mentions.
func (tn *tenant) state() *spec.State {
	s := newLive()
	s.Account = tn.root
	email := map[string]string{}
	for _, u := range tn.users {
		s.Users = append(s.Users, *u)
		email[u.ID] = u.Email
	}
	for id, a := range tn.accounts {
		p := tn.pathOf(id)
		parent, _ := spec.SplitPath(p)
		s.Accounts = append(s.Accounts, spec.Account{Path: p, Name: a.name, Parent: parent, ID: id, Owner: a.owner})
	}
	for id, m := range tn.members {
		if m.account == tn.root && !tn.mentions.RootMembers {
			continue
		}
		s.Members = append(s.Members, spec.Member{AccountPath: tn.pathOf(m.account), User: email[m.user], Role: m.role, ID: id, UserID: m.user})
	}
	if tn.mentions.AppClients {
		for _, c := range tn.clients {
			s.AppClients = append(s.AppClients, *c)
		}
	}
	s.Canonicalize()
	return s
}

func TestPropertyPlanOfSameStateIsEmpty(t *testing.T) {
	for seed := int64(1); seed <= 200; seed++ {
		r := rand.New(rand.NewSource(seed))
		d, _ := randomStates(r)
		p, err := Compute(d, liveOf(d), Options{MaxDeletePercent: 25})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if p.HasChanges() {
			t.Fatalf("seed %d: plan(S, S) = %v, want no changes", seed, brief(p))
		}
	}
}

func TestPropertyApplyThenPlanIsEmpty(t *testing.T) {
	seen := map[string]int{} // "action kind" -> how many changes the random plans had
	for seed := int64(1); seed <= 500; seed++ {
		r := rand.New(rand.NewSource(seed))
		d, l := randomStates(r)
		p, err := Compute(d, l, Options{MaxDeletePercent: 25})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		checkOrder(t, seed, p)
		checkDeleteCounts(t, seed, p)
		for _, c := range p.Changes {
			seen[string(c.Action)+" "+string(c.Kind)]++
		}
		tn := newTenant(t, l, d.Mentions)
		tn.apply(p)
		after := tn.state()
		p2, err := Compute(d, after, Options{MaxDeletePercent: 25})
		if err != nil {
			t.Fatalf("seed %d: plan after apply: %v", seed, err)
		}
		if p2.HasChanges() {
			t.Fatalf("seed %d: plan after apply = %v, want no changes\nfirst plan: %v", seed, brief(p2), brief(p))
		}
	}
	// The random states must exercise every kind of change, or the property proves little.
	for _, k := range []string{"create user", "update user", "delete user", "create account", "update account",
		"delete account", "create member", "update member", "delete member", "create appClient",
		"update appClient", "delete appClient", "replace appClient"} {
		if seen[k] == 0 {
			t.Errorf("no random plan had a %s change", k)
		}
	}
}

// checkDeleteCounts asserts that the delete check counts every delete and replacement of the plan
// (D) and never counts fewer deletable live resources than it deletes (|L| >= |D|), per kind and
// in total: the figures apply recounts from the changes must agree with the plan's.
func checkDeleteCounts(t *testing.T, seed int64, p *Plan) {
	t.Helper()
	d := map[string]int{}
	for _, c := range p.Changes {
		if c.Action == Delete || c.Action == Replace {
			d[kindCountName(c.Kind)]++
			d[countTotal]++
		}
	}
	for _, kc := range p.DeleteCheck.Counts {
		if kc.Deletes != d[kc.Kind] || kc.Live < kc.Deletes {
			t.Fatalf("seed %d: delete check %s: live %d, deletes %d; the plan deletes %d", seed, kc.Kind, kc.Live, kc.Deletes, d[kc.Kind])
		}
	}
}

// checkOrder asserts that every dependency runs first and that the dependencies the rules
// require are there: a member create after the creates of its account and user, member deletes
// before the delete of their account or user, child account deletes before their parent's.
func checkOrder(t *testing.T, seed int64, p *Plan) {
	t.Helper()
	at := map[string]int{}
	for i, c := range p.Changes {
		at[string(c.Action)+" "+string(c.Kind)+" "+c.Key] = i
		for _, d := range c.DependsOn {
			if d >= i || d < 0 {
				t.Fatalf("seed %d: change %d depends on %d", seed, i, d)
			}
		}
	}
	before := func(a, b string) {
		ia, oka := at[a]
		ib, okb := at[b]
		if oka && okb && !(ia < ib && slices.Contains(p.Changes[ib].DependsOn, ia)) {
			t.Fatalf("seed %d: %q (%d) must run before and be a dependency of %q (%d)", seed, a, ia, b, ib)
		}
	}
	for _, c := range p.Changes {
		switch {
		case c.Kind == KindMember && c.Action == Create:
			before("create account "+c.After.AccountPath, "create member "+c.Key)
			before("create user "+c.After.User, "create member "+c.Key)
		case c.Kind == KindMember && c.Action == Delete:
			acct, _ := strings.CutSuffix(c.Key, "/"+c.Before.User)
			before("delete member "+c.Key, "delete account "+acct)
			before("delete member "+c.Key, "delete user "+c.Before.User)
		case c.Kind == KindAccount && c.Action == Delete:
			if parent, _ := spec.SplitPath(c.Key); parent != "" {
				before("delete account "+c.Key, "delete account "+parent)
			}
		case c.Kind == KindAccount && c.Action == Create:
			if parent, _ := spec.SplitPath(c.Key); parent != "" {
				before("create account "+parent, "create account "+c.Key)
			}
		}
	}
}

func TestPropertyDeterministic(t *testing.T) {
	for seed := int64(1); seed <= 50; seed++ {
		d, l := randomStates(rand.New(rand.NewSource(seed)))
		p1, err1 := Compute(d, l, Options{MaxDeletePercent: 25})
		// The same states with their slices in another order give the same plan.
		r := rand.New(rand.NewSource(seed + 1000))
		r.Shuffle(len(l.Users), func(i, j int) { l.Users[i], l.Users[j] = l.Users[j], l.Users[i] })
		r.Shuffle(len(l.Accounts), func(i, j int) { l.Accounts[i], l.Accounts[j] = l.Accounts[j], l.Accounts[i] })
		r.Shuffle(len(l.Members), func(i, j int) { l.Members[i], l.Members[j] = l.Members[j], l.Members[i] })
		r.Shuffle(len(d.Accounts), func(i, j int) { d.Accounts[i], d.Accounts[j] = d.Accounts[j], d.Accounts[i] })
		p2, err2 := Compute(d, l, Options{MaxDeletePercent: 25})
		if err1 != nil || err2 != nil {
			t.Fatalf("seed %d: %v / %v", seed, err1, err2)
		}
		if diff := cmp.Diff(p1, p2); diff != "" {
			t.Fatalf("seed %d: plan depends on input order (-first +shuffled):\n%s", seed, diff)
		}
	}
}
