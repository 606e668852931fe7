package spec

import (
	"path"
	"slices"
	"strings"
)

// merge combines the documents of every file into one State and checks the rules that span
// documents: agreement of the header fields, keys unique across files, references to declared
// users and parents, pins and renames claimed once, and declarations that an ignore pattern
// also matches.
//
// owner, application and account are required: a state without them cannot be planned (the
// owner marks what the state may delete, and the other two say where to look), so a set of
// files where no document gives one of them is an error.
//
// complete is false when a file could not be parsed whole: then what is missing (a required
// header field, the user of a member, a parent) may be in the part not read, and is not
// reported.
func merge(docs []*document, complete bool, errs *errorList) *State {
	s := &State{Prune: true}
	if len(docs) == 0 {
		return s
	}
	mergeHeader(s, docs, complete, errs)

	users := map[string]Pos{}
	userIDs := map[string]Pos{}
	accounts := map[string]*accountDecl{}
	accountIDs := map[string]Pos{}
	renames := map[string]*accountDecl{} // parent + "/" + previousName -> the account claiming it
	members := map[[2]string]Pos{}       // account path, email
	clients := map[string]Pos{}
	var memberDecls []memberDecl

	nUsers, nAccounts, nMembers := 0, 0, 0
	for _, doc := range docs {
		nUsers += len(doc.users)
		nAccounts += len(doc.accounts)
		nMembers += len(doc.rootMembers)
		for _, a := range doc.accounts {
			nMembers += len(a.members)
		}
	}
	users = make(map[string]Pos, nUsers)
	accounts = make(map[string]*accountDecl, nAccounts)
	members = make(map[[2]string]Pos, nMembers)
	memberDecls = make([]memberDecl, 0, nMembers)
	// Slices stay nil when empty, as in a State built by hand.
	if nUsers > 0 {
		s.Users = make([]User, 0, nUsers)
	}
	if nAccounts > 0 {
		s.Accounts = make([]Account, 0, nAccounts)
	}
	if nMembers > 0 {
		s.Members = make([]Member, 0, nMembers)
	}
	for _, doc := range docs {
		s.Mentions.Users = s.Mentions.Users || doc.hasUsers
		s.Mentions.RootMembers = s.Mentions.RootMembers || doc.hasMembers
		s.Mentions.Accounts = s.Mentions.Accounts || doc.hasAccounts
		s.Mentions.AppClients = s.Mentions.AppClients || doc.hasAppClients

		for _, u := range doc.users {
			if first, dup := users[u.user.Email]; dup {
				errs.add(u.user.Pos, "duplicate user %s (first declared at %s)", u.user.Email, first)
				continue
			}
			users[u.user.Email] = u.user.Pos
			if u.user.ID != "" {
				if first, dup := userIDs[u.user.ID]; dup {
					errs.add(u.idPos, "id %s is pinned by two users (first at %s)", u.user.ID, first)
				} else {
					userIDs[u.user.ID] = u.idPos
				}
			}
			s.Users = append(s.Users, u.user)
		}
		for i := range doc.accounts {
			a := &doc.accounts[i]
			if first, dup := accounts[a.account.Path]; dup {
				errs.add(a.account.Pos, "duplicate account %s (first declared at %s)", a.account.Path, first.account.Pos)
				continue
			}
			accounts[a.account.Path] = a
			if a.account.ID != "" {
				if first, dup := accountIDs[a.account.ID]; dup {
					errs.add(a.idPos, "id %s is pinned by two accounts (first at %s)", a.account.ID, first)
				} else {
					accountIDs[a.account.ID] = a.idPos
				}
			}
			s.Accounts = append(s.Accounts, a.account)
			memberDecls = append(memberDecls, a.members...)
		}
		memberDecls = append(memberDecls, doc.rootMembers...)
		for _, c := range doc.appClients {
			if first, dup := clients[c.AppName]; dup {
				errs.add(c.Pos, "duplicate app client %q (first declared at %s)", c.AppName, first)
				continue
			}
			clients[c.AppName] = c.Pos
			s.AppClients = append(s.AppClients, c)
		}
	}

	// Checks that need every declaration.
	for _, doc := range docs {
		for i := range doc.accounts {
			a := &doc.accounts[i]
			if accounts[a.account.Path] != a {
				continue // a duplicate, already reported
			}
			if !a.nested && a.account.Parent != "" {
				if _, ok := accounts[a.account.Parent]; !ok {
					if complete {
						errs.add(a.parentPos, "parent %q is not declared: no account has that path", a.account.Parent)
					} else {
						errs.skipped++
					}
				}
			}
			if a.account.PreviousName != "" {
				old := JoinPath(a.account.Parent, a.account.PreviousName)
				if other, ok := accounts[old]; ok {
					errs.add(a.prevPos, "previousName %q names account %s, which is declared too (at %s)", a.account.PreviousName, old, other.account.Pos)
				} else if first, dup := renames[old]; dup {
					errs.add(a.prevPos, "previousName %q is claimed by two accounts (first %s at %s)", a.account.PreviousName, first.account.Path, first.account.Pos)
				} else {
					renames[old] = a
				}
			}
		}
	}
	for _, m := range memberDecls {
		key := [2]string{m.member.AccountPath, m.member.User}
		if first, dup := members[key]; dup {
			errs.add(m.member.Pos, "duplicate member %s in %s (first declared at %s)", m.member.User, accountLabel(m.member.AccountPath), first)
			continue
		}
		members[key] = m.member.Pos
		if _, ok := users[m.member.User]; !ok {
			if complete {
				errs.add(m.userPos, "member %s is not a declared user (declare it under users)", m.member.User)
			} else {
				errs.skipped++
			}
			continue
		}
		s.Members = append(s.Members, m.member)
	}

	s.Ignore = Ignore{
		Users:      patterns(docs, func(d *document) []posString { return d.ignore.users }),
		Accounts:   patterns(docs, func(d *document) []posString { return d.ignore.accounts }),
		AppClients: patterns(docs, func(d *document) []posString { return d.ignore.appClients }),
	}
	checkIgnored(s, docs, errs)
	// Canonicalize sorts members by Key(), which builds a string per comparison; sorting them
	// first without allocating leaves it an already sorted slice to check.
	slices.SortFunc(s.Members, func(a, b Member) int {
		return compareKeys(a.AccountPath, a.User, b.AccountPath, b.User)
	})
	s.Canonicalize()
	return s
}

// compareKeys compares the member keys MemberKey(a1, u1) and MemberKey(a2, u2) without
// building them.
func compareKeys(a1, u1, a2, u2 string) int {
	if a1 == a2 {
		return strings.Compare(u1, u2)
	}
	if i := commonPrefix(a1, a2); i < len(a1) && i < len(a2) {
		return int(a1[i]) - int(a2[i])
	}
	// One path is a prefix of the other: compare byte by byte.
	n1, n2 := len(a1)+1+len(u1), len(a2)+1+len(u2)
	at := func(a, u string, i int) byte {
		switch {
		case i < len(a):
			return a[i]
		case i == len(a):
			return '/'
		}
		return u[i-len(a)-1]
	}
	for i := 0; i < n1 && i < n2; i++ {
		if c1, c2 := at(a1, u1, i), at(a2, u2, i); c1 != c2 {
			if c1 < c2 {
				return -1
			}
			return 1
		}
	}
	return n1 - n2
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

func accountLabel(p string) string {
	if p == "" {
		return "the root account"
	}
	return "account " + p
}

// mergeHeader sets owner, application, account and prune, which every document that gives them
// must give alike.
func mergeHeader(s *State, docs []*document, complete bool, errs *errorList) {
	for _, h := range []struct {
		name string
		get  func(*document) *posString
		dst  *string
	}{
		{"owner", func(d *document) *posString { return d.owner }, &s.Owner},
		{"application", func(d *document) *posString { return d.application }, &s.Application},
		{"account", func(d *document) *posString { return d.account }, &s.Account},
	} {
		var first *posString
		given := false
		for _, d := range docs {
			given = given || d.headerGiven[h.name]
			v := h.get(d)
			if v == nil {
				continue
			}
			if first == nil {
				first = v
				continue
			}
			if v.val != first.val {
				errs.add(v.pos, "%s %q disagrees with %q given at %s", h.name, v.val, first.val, first.pos)
			}
		}
		if first == nil {
			switch {
			case given: // when given but invalid, that error is enough
			case complete:
				errs.add(docs[0].pos, "%s is required: no document gives it", h.name)
			default:
				errs.skipped++
			}
			continue
		}
		*h.dst = first.val
	}
	var first *posBool
	for _, d := range docs {
		if d.prune == nil {
			continue
		}
		if first == nil {
			first = d.prune
			s.Prune = first.val
		} else if d.prune.val != first.val {
			errs.add(d.prune.pos, "prune %t disagrees with %t given at %s", d.prune.val, first.val, first.pos)
		}
	}
}

// patterns gathers one kind of ignore pattern from every document, once each, sorted.
func patterns(docs []*document, get func(*document) []posString) []string {
	var out []string
	for _, d := range docs {
		for _, p := range get(d) {
			out = append(out, p.val)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// checkIgnored reports declarations that an ignore pattern also matches: users by email,
// accounts by path (an ignored account's whole subtree is ignored) and app clients by name.
func checkIgnored(s *State, docs []*document, errs *errorList) {
	var users, accounts, clients []posString
	for _, d := range docs {
		for _, u := range d.ignore.users { // emails compare case-insensitively
			u.val = strings.ToLower(u.val)
			users = append(users, u)
		}
		accounts = append(accounts, d.ignore.accounts...)
		clients = append(clients, d.ignore.appClients...)
	}
	if len(users)+len(accounts)+len(clients) == 0 {
		return
	}
	match := func(pats []posString, name string) *posString {
		for i := range pats {
			if ok, _ := path.Match(pats[i].val, name); ok {
				return &pats[i]
			}
		}
		return nil
	}
	for _, u := range s.Users {
		if p := match(users, strings.ToLower(u.Email)); p != nil {
			errs.add(u.Pos, "user %s is declared but ignored by pattern %q (at %s)", u.Email, p.val, p.pos)
		}
	}
	for _, a := range s.Accounts {
		for sub := a.Path; sub != ""; sub, _ = SplitPath(sub) {
			if p := match(accounts, sub); p != nil {
				if sub == a.Path {
					errs.add(a.Pos, "account %s is declared but ignored by pattern %q (at %s)", a.Path, p.val, p.pos)
				} else {
					errs.add(a.Pos, "account %s is declared but lies under %s, ignored by pattern %q (at %s)", a.Path, sub, p.val, p.pos)
				}
				break
			}
			if !strings.Contains(sub, "/") {
				break
			}
		}
	}
	for _, c := range s.AppClients {
		if p := match(clients, c.AppName); p != nil {
			errs.add(c.Pos, "app client %q is declared but ignored by pattern %q (at %s)", c.AppName, p.val, p.pos)
		}
	}
}
