package spec

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// File is one state file Marshal produces: its name, relative to the directory it is written
// to ("/"-separated), and its content.
type File struct {
	Name string
	Data []byte
}

// SplitAccountsAbove is the number of accounts above which Marshal writes each top-level
// subtree of the account tree to its own file, accounts/<name>.yaml, so that no file is huge
// and teams can own their subtrees.
const SplitAccountsAbove = 500

// schemaComment heads every file so that editors validate it against the spec v1 schema.
const schemaComment = "# yaml-language-server: $schema=https://inbox-manager.github.io/inboxctl/schema/v1.json\n"

// Marshal writes a desired state as canonical state files: users.yaml, accounts.yaml (the
// account tree nested, with its members, and the root account's members; above
// SplitAccountsAbove accounts each top-level subtree goes to accounts/<name>.yaml instead) and
// appclients.yaml. Each file is one writeDoc that repeats version, owner, application, account
// and prune, and carries the ignore patterns of its kind. Only the kinds s mentions (or
// declares) are written, lists are sorted by key, defaults are left out and every "${" is
// written as "$${", so that loading the files gives s back. Positions, live-only fields (Owner,
// ARN, verification status, member ids) are not written.
func Marshal(s *State) ([]File, error) { return marshalFiles(s, SplitAccountsAbove) }

// MarshalDocument writes a desired state as a single YAML writeDoc holding every kind, the
// form `inboxctl export` prints without --out.
func MarshalDocument(s *State) ([]byte, error) {
	w, err := newStateWriter(s)
	if err != nil {
		return nil, err
	}
	d := w.header()
	if w.s.Mentions.Users || len(w.s.Users) > 0 {
		d.Users = w.users()
	}
	d.Members, d.Accounts = w.accountTree()
	if w.s.Mentions.AppClients || len(w.s.AppClients) > 0 {
		d.AppClients = w.appClients()
	}
	d.Ignore = w.ignore(true, true, true)
	return writeEncode(d)
}

func marshalFiles(s *State, splitAbove int) ([]File, error) {
	w, err := newStateWriter(s)
	if err != nil {
		return nil, err
	}
	var files []File
	add := func(name string, d *writeDoc) error {
		data, err := writeEncode(d)
		if err != nil {
			return err
		}
		files = append(files, File{Name: name, Data: data})
		return nil
	}
	if w.s.Mentions.Users || len(w.s.Users) > 0 || len(w.s.Ignore.Users) > 0 {
		d := w.header()
		d.Users = w.users()
		d.Ignore = w.ignore(true, false, false)
		if err := add("users.yaml", d); err != nil {
			return nil, err
		}
	}
	rootMembers, tree := w.accountTree()
	if len(w.s.Accounts) > splitAbove && tree != nil {
		names := map[string]bool{}
		for _, top := range *tree {
			d := w.header()
			d.Accounts = &[]writeAccount{top}
			if err := add("accounts/"+writeFileName(top.Name, names)+".yaml", d); err != nil {
				return nil, err
			}
		}
		tree = nil
	}
	if rootMembers != nil || tree != nil || len(w.s.Ignore.Accounts) > 0 {
		d := w.header()
		d.Members, d.Accounts = rootMembers, tree
		d.Ignore = w.ignore(false, true, false)
		if err := add("accounts.yaml", d); err != nil {
			return nil, err
		}
	}
	if w.s.Mentions.AppClients || len(w.s.AppClients) > 0 || len(w.s.Ignore.AppClients) > 0 {
		d := w.header()
		d.AppClients = w.appClients()
		d.Ignore = w.ignore(false, false, true)
		if err := add("appclients.yaml", d); err != nil {
			return nil, err
		}
	}
	if len(files) == 0 { // a state that mentions nothing still needs its header somewhere
		if err := add("state.yaml", w.header()); err != nil {
			return nil, err
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, nil
}

// writeDoc is one state file writeDoc as Marshal writes it; the field order is the order of
// the keys in the file. Pointers to slices tell "mentioned, even empty" from "not mentioned".
type writeDoc struct {
	Version     int               `yaml:"version"`
	Owner       string            `yaml:"owner,omitempty"`
	Application string            `yaml:"application,omitempty"`
	Account     string            `yaml:"account,omitempty"`
	Prune       bool              `yaml:"prune"`
	Users       *[]writeUser      `yaml:"users,omitempty"`
	Members     *[]writeMember    `yaml:"members,omitempty"`
	Accounts    *[]writeAccount   `yaml:"accounts,omitempty"`
	AppClients  *[]writeAppClient `yaml:"appClients,omitempty"`
	Ignore      *writeIgnore      `yaml:"ignore,omitempty"`
}

type writeUser struct {
	Email  string  `yaml:"email"`
	Name   *string `yaml:"name,omitempty"`
	Status string  `yaml:"status,omitempty"`
	ID     string  `yaml:"id,omitempty"`
}

type writeMember struct {
	User string `yaml:"user"`
	Role string `yaml:"role"`
}

type writeAccount struct {
	Name         string         `yaml:"name"`
	ID           string         `yaml:"id,omitempty"`
	PreviousName string         `yaml:"previousName,omitempty"`
	Members      []writeMember  `yaml:"members,omitempty"`
	Accounts     []writeAccount `yaml:"accounts,omitempty"`
}

type writeAppClient struct {
	AppName               string   `yaml:"appName"`
	Description           *string  `yaml:"description,omitempty"`
	RedirectURLs          []string `yaml:"redirectUrls,flow"`
	StarterUserEmails     []string `yaml:"starterUserEmails,flow"`
	CustomerManagedKeyARN *string  `yaml:"customerManagedKeyArn,omitempty"`
}

type writeIgnore struct {
	Users      []string `yaml:"users,omitempty"`
	Accounts   []string `yaml:"accounts,omitempty"`
	AppClients []string `yaml:"appClients,omitempty"`
}

// stateWriter turns one canonical copy of a state into documents.
type stateWriter struct {
	s *State
}

func newStateWriter(s *State) (*stateWriter, error) {
	if s == nil {
		return nil, errors.New("spec: no state to write")
	}
	c := *s
	c.Users = append([]User(nil), s.Users...)
	c.Accounts = append([]Account(nil), s.Accounts...)
	c.Members = append([]Member(nil), s.Members...)
	c.AppClients = make([]AppClient, len(s.AppClients))
	for i, a := range s.AppClients {
		a.RedirectURLs = append([]string(nil), a.RedirectURLs...)
		a.StarterUserEmails = append([]string(nil), a.StarterUserEmails...)
		c.AppClients[i] = a
	}
	c.Ignore = Ignore{
		Users:      writeSorted(s.Ignore.Users),
		Accounts:   writeSorted(s.Ignore.Accounts),
		AppClients: writeSorted(s.Ignore.AppClients),
	}
	c.Canonicalize()
	return &stateWriter{s: &c}, nil
}

func (w *stateWriter) header() *writeDoc {
	return &writeDoc{
		Version:     1,
		Owner:       writeEsc(w.s.Owner),
		Application: writeEsc(w.s.Application),
		Account:     writeEsc(w.s.Account),
		Prune:       w.s.Prune,
	}
}

func (w *stateWriter) users() *[]writeUser {
	out := make([]writeUser, 0, len(w.s.Users))
	for _, u := range w.s.Users {
		d := writeUser{Email: writeEsc(u.Email), Name: writeEscPtr(u.Name), ID: writeEsc(u.ID)}
		if u.Status != StatusActive {
			d.Status = writeEsc(u.Status)
		}
		out = append(out, d)
	}
	return &out
}

// accountTree nests the accounts under their parents, with their members. rootMembers is nil
// unless the root account's members are mentioned or declared; tree is nil unless accounts are.
func (w *stateWriter) accountTree() (rootMembers *[]writeMember, tree *[]writeAccount) {
	members := map[string][]writeMember{}
	for _, m := range w.s.Members {
		members[m.AccountPath] = append(members[m.AccountPath], writeMember{User: writeEsc(m.User), Role: writeEsc(m.Role)})
	}
	if w.s.Mentions.RootMembers || len(members[""]) > 0 {
		rm := members[""]
		if rm == nil {
			rm = []writeMember{}
		}
		rootMembers = &rm
	}
	if !w.s.Mentions.Accounts && len(w.s.Accounts) == 0 {
		return rootMembers, nil
	}
	children := map[string][]Account{}
	for _, a := range w.s.Accounts {
		children[a.Parent] = append(children[a.Parent], a)
	}
	var build func(parent string) []writeAccount
	build = func(parent string) []writeAccount {
		var out []writeAccount
		for _, a := range children[parent] {
			out = append(out, writeAccount{
				Name:         writeEsc(a.Name),
				ID:           writeEsc(a.ID),
				PreviousName: writeEsc(a.PreviousName),
				Members:      members[a.Path],
				Accounts:     build(a.Path),
			})
		}
		return out
	}
	t := build("")
	if t == nil {
		t = []writeAccount{}
	}
	return rootMembers, &t
}

func (w *stateWriter) appClients() *[]writeAppClient {
	out := make([]writeAppClient, 0, len(w.s.AppClients))
	for _, c := range w.s.AppClients {
		out = append(out, writeAppClient{
			AppName:               writeEsc(c.AppName),
			Description:           writeEscPtr(c.Description),
			RedirectURLs:          writeEscAll(c.RedirectURLs),
			StarterUserEmails:     writeEscAll(c.StarterUserEmails),
			CustomerManagedKeyARN: writeEscPtr(c.CustomerManagedKeyARN),
		})
	}
	return &out
}

// ignore returns the ignore patterns of the kinds asked for, or nil when there are none.
func (w *stateWriter) ignore(users, accounts, appClients bool) *writeIgnore {
	var d writeIgnore
	if users {
		d.Users = writeEscAll(w.s.Ignore.Users)
	}
	if accounts {
		d.Accounts = writeEscAll(w.s.Ignore.Accounts)
	}
	if appClients {
		d.AppClients = writeEscAll(w.s.Ignore.AppClients)
	}
	if len(d.Users)+len(d.Accounts)+len(d.AppClients) == 0 {
		return nil
	}
	return &d
}

func writeEncode(d *writeDoc) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(schemaComment)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("spec: write state: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("spec: write state: %w", err)
	}
	return b.Bytes(), nil
}

// writeEsc protects a value from ${NAME} substitution when it is loaded again: "$${" reads as "${".
func writeEsc(s string) string { return strings.ReplaceAll(s, "${", "$${") }

func writeEscPtr(s *string) *string {
	if s == nil {
		return nil
	}
	e := writeEsc(*s)
	return &e
}

func writeEscAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = writeEsc(s)
	}
	return out
}

// writeFileName makes an account name safe as a file name: letters and digits of any script
// and most punctuation are kept; what is hostile to paths or shells (separators, the
// characters Windows forbids, control characters and white space) becomes '-', a leading '.'
// (which the loader skips) becomes '_', and a name already used (compared case-insensitively,
// for case-insensitive file systems) gets a numbered suffix.
func writeFileName(name string, used map[string]bool) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case strings.ContainsRune(`/\:*?"<>|`, r), unicode.IsControl(r), unicode.IsSpace(r), r == utf8.RuneError:
			b.WriteByte('-')
		default:
			b.WriteRune(r)
		}
	}
	base := b.String()
	if base == "" {
		base = "account"
	}
	if base[0] == '.' {
		base = "_" + base[1:]
	}
	n := base
	for i := 2; used[strings.ToLower(n)]; i++ {
		n = fmt.Sprintf("%s-%d", base, i)
	}
	used[strings.ToLower(n)] = true
	return n
}

// ExactPattern returns the ignore pattern (path.Match syntax) that matches s and nothing else:
// the pattern metacharacters are escaped with '\'.
func ExactPattern(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ExportState turns a live state, read with every kind mentioned, into the desired state that
// `inboxctl export` writes for owner live.Owner, so that planning it against the same tenant
// shows nothing but the adoption of unmarked users and accounts:
//   - users and accounts that carry this owner's marker or none are declared (no id pins, no
//     default values, no empty optional fields), with the members of every declared account;
//   - users and accounts that carry another owner's marker go under ignore, as exact patterns;
//     an ignored account's whole subtree is left out;
//   - a membership naming an ignored user cannot be declared (a member must name a declared
//     user) and must not be pruned either, so the account that holds it is ignored as well,
//     and for the root account its members are left unmanaged (no top-level members key);
//   - every app client is declared, its redirect URLs once each; two live app clients with one
//     name are an error.
//
// Notes lists, for a person to read, each account or member set left unmanaged that way.
func ExportState(live *State) (*Export, error) {
	if live == nil {
		return nil, errors.New("spec: no live state to export")
	}
	out := &State{
		Owner:       live.Owner,
		Application: live.Application,
		Account:     live.Account,
		Prune:       true,
		Mentions:    live.Mentions,
		Ignore: Ignore{
			Users:      append([]string(nil), live.Ignore.Users...),
			Accounts:   append([]string(nil), live.Ignore.Accounts...),
			AppClients: append([]string(nil), live.Ignore.AppClients...),
		},
	}
	foreign := func(owner string) bool { return owner != "" && owner != live.Owner }

	ignoredUsers := map[string]bool{}
	for _, u := range live.Users {
		email := strings.ToLower(u.Email)
		if foreign(u.Owner) {
			ignoredUsers[email] = true
			out.Ignore.Users = append(out.Ignore.Users, ExactPattern(email))
			continue
		}
		d := User{Email: email, Status: u.Status}
		if u.Name != nil && *u.Name != "" {
			d.Name = writePtr(*u.Name)
		}
		out.Users = append(out.Users, d)
	}

	// Accounts to ignore: another owner's, and those holding a member of an ignored user.
	ignoredAcc := map[string]bool{}
	foreignAcc := map[string]bool{}
	for _, a := range live.Accounts {
		if foreign(a.Owner) {
			ignoredAcc[a.Path] = true
			foreignAcc[a.Path] = true
		}
	}
	var notes []string
	rootMembersKept := live.Mentions.RootMembers
	for _, m := range live.Members {
		if !ignoredUsers[strings.ToLower(m.User)] {
			continue
		}
		if m.AccountPath == "" {
			if rootMembersKept {
				notes = append(notes, fmt.Sprintf("the root account's members are not managed: %s, a member, is another owner's user", m.User))
			}
			rootMembersKept = false
			continue
		}
		if !ignoredAcc[m.AccountPath] && !writeUnderIgnored(m.AccountPath, ignoredAcc) {
			notes = append(notes, fmt.Sprintf("account %q is ignored: its member %s is another owner's user", m.AccountPath, m.User))
			ignoredAcc[m.AccountPath] = true
		}
	}
	out.Mentions.RootMembers = rootMembersKept

	ex := &Export{Notes: notes, ForeignUsers: len(ignoredUsers)}
	paths := make([]string, 0, len(ignoredAcc))
	for p := range ignoredAcc {
		if !writeUnderIgnored(p, ignoredAcc) { // a subtree is ignored with its top
			paths = append(paths, p)
			if foreignAcc[p] {
				ex.ForeignAccounts++
			} else {
				ex.MemberAccounts++
			}
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		out.Ignore.Accounts = append(out.Ignore.Accounts, ExactPattern(p))
	}
	declared := map[string]bool{}
	for _, a := range live.Accounts {
		if ignoredAcc[a.Path] || writeUnderIgnored(a.Path, ignoredAcc) {
			continue
		}
		declared[a.Path] = true
		out.Accounts = append(out.Accounts, Account{Path: a.Path, Name: a.Name, Parent: a.Parent})
	}
	for _, m := range live.Members {
		if (m.AccountPath == "" && !rootMembersKept) || (m.AccountPath != "" && !declared[m.AccountPath]) {
			continue
		}
		out.Members = append(out.Members, Member{AccountPath: m.AccountPath, User: strings.ToLower(m.User), Role: m.Role})
	}

	names := map[string]bool{}
	for _, c := range live.AppClients {
		if names[c.AppName] {
			return nil, fmt.Errorf("spec: two live app clients are named %q; delete or rename one before exporting", c.AppName)
		}
		names[c.AppName] = true
		d := AppClient{
			AppName: c.AppName,
			// The API keeps a list as given, duplicates included; a state file may not repeat a
			// URL, and the list means a set (CONTRACT 2.1).
			RedirectURLs:      writeSorted(c.RedirectURLs),
			StarterUserEmails: append([]string{}, c.StarterUserEmails...),
		}
		if c.Description != nil && *c.Description != "" {
			d.Description = writePtr(*c.Description)
		}
		if c.CustomerManagedKeyARN != nil && *c.CustomerManagedKeyARN != "" {
			d.CustomerManagedKeyARN = writePtr(*c.CustomerManagedKeyARN)
		}
		out.AppClients = append(out.AppClients, d)
	}
	out.Ignore = Ignore{
		Users:      writeSorted(out.Ignore.Users),
		Accounts:   writeSorted(out.Ignore.Accounts),
		AppClients: writeSorted(out.Ignore.AppClients),
	}
	out.Canonicalize()
	ex.State = out
	return ex, nil
}

// Export is what ExportState gives: the desired state and what went under ignore.
type Export struct {
	State *State
	// Notes explains, for a person to read, each account or member set left unmanaged because
	// it holds another owner's user.
	Notes []string
	// ForeignUsers counts the users of other owners; ForeignAccounts the account subtrees whose
	// top is another owner's; MemberAccounts the account subtrees ignored because they hold a
	// member who is another owner's user (each subtree counted once, by its top).
	ForeignUsers, ForeignAccounts, MemberAccounts int
}

// underIgnored reports whether an ancestor of the account path p is in ignored.
func writeUnderIgnored(p string, ignored map[string]bool) bool {
	for {
		parent, _ := SplitPath(p)
		if parent == "" {
			return false
		}
		if ignored[parent] {
			return true
		}
		p = parent
	}
}

// writeSorted returns a sorted copy of ss without duplicates, the order Load gives patterns.
func writeSorted(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}

func writePtr(s string) *string { return &s }
