package spec

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"path"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The fields each kind of mapping may hold, in the order error messages list them.
var (
	documentFields  = []string{"version", "owner", "application", "account", "users", "members", "accounts", "appClients", "ignore", "prune"}
	userFields      = []string{"email", "name", "status", "id"}
	memberFields    = []string{"user", "role"}
	accountFields   = []string{"name", "parent", "id", "previousName", "members", "accounts"}
	appClientFields = []string{"appName", "description", "redirectUrls", "starterUserEmails", "customerManagedKeyArn"}
	ignoreFields    = []string{"users", "accounts", "appClients"}
)

// Limits of an app client (CONTRACT 2), and the API's limits on names (in bytes), so that a
// state the loader accepts is one the API takes.
const (
	maxRedirectURLs     = 5
	starterUserEmails   = 1
	maxAccountNameLen   = 200
	maxAppClientNameLen = 255
)

// document is one YAML document of a state file, decoded with the positions the merge needs.
type document struct {
	pos     Pos
	version bool // version: 1 was found (and valid)

	owner, application, account *posString
	prune                       *posBool
	// headerGiven holds the header fields present in the document, valid or not, so that an
	// invalid owner is not also reported as missing.
	headerGiven map[string]bool

	hasUsers, hasMembers, hasAccounts, hasAppClients bool

	users       []userDecl
	rootMembers []memberDecl
	accounts    []accountDecl
	appClients  []AppClient
	ignore      ignoreDecl
}

type posString struct {
	val string
	pos Pos
}

type posBool struct {
	val bool
	pos Pos
}

type userDecl struct {
	user  User
	idPos Pos
}

type memberDecl struct {
	member  Member
	userPos Pos
}

type accountDecl struct {
	account   Account
	nested    bool // declared inside another account's accounts:
	parentPos Pos  // position of parent: when given
	idPos     Pos
	prevPos   Pos
	members   []memberDecl
}

type ignoreDecl struct {
	users, accounts, appClients []posString
}

// decoder turns the yaml.Node trees of one file into documents, collecting errors.
type decoder struct {
	errorList
	file   string
	getenv func(string) string

	// budget is how many more nodes may be visited: YAML aliases can make a small file name a
	// huge tree, so visits are capped in proportion to the file's size.
	budget    int
	exhausted bool
	// active holds the alias targets being walked, so that an alias inside its own anchor
	// is an error rather than an endless walk.
	active map[*yaml.Node]bool
}

func (d *decoder) pos(n *yaml.Node) Pos { return Pos{File: d.file, Line: n.Line, Col: n.Column} }

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) { d.add(d.pos(n), format, args...) }

// enter follows an alias and spends budget for visiting n. It returns nil when the walk must not
// go on, and a function to call when the walk of the node is done.
func (d *decoder) enter(n *yaml.Node) (*yaml.Node, func()) {
	if d.exhausted {
		return nil, func() {}
	}
	d.budget--
	if d.budget < 0 {
		d.exhausted = true
		d.errorf(n, "aliases expand to too large a document")
		return nil, func() {}
	}
	if n.Kind != yaml.AliasNode {
		return n, func() {}
	}
	t := n.Alias
	if t == nil {
		d.errorf(n, "unknown alias")
		return nil, func() {}
	}
	if d.active[t] {
		d.errorf(n, "alias *%s refers to a node that contains it", n.Value)
		return nil, func() {}
	}
	if d.active == nil {
		d.active = map[*yaml.Node]bool{}
	}
	d.active[t] = true
	return t, func() { delete(d.active, t) }
}

// field is one key of a mapping with its value.
type field struct {
	key, val *yaml.Node
}

// mapping checks that n is a mapping of the given fields (no unknown field, no key twice) and
// returns its fields by name. what names the kind of mapping in messages. ok is false when n is
// not a mapping at all.
func (d *decoder) mapping(n *yaml.Node, what string, allowed []string) (map[string]field, bool) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping, not %s", what, describe(n))
		return nil, false
	}
	fields := make(map[string]field, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, "%s keys must be plain names, not %s", what, describe(k))
			continue
		}
		name := k.Value
		if k.ShortTag() == "!!merge" {
			d.errorf(k, "merge keys (<<) are not supported; list the fields of the %s", what)
			continue
		}
		if !contains(allowed, name) {
			if near := closest(name, allowed); near != "" {
				d.errorf(k, "unknown field %q in %s; did you mean %q?", name, what, near)
			} else {
				d.errorf(k, "unknown field %q in %s (known: %s)", name, what, strings.Join(allowed, ", "))
			}
			continue
		}
		if first, dup := fields[name]; dup {
			d.errorf(k, "duplicate key %q (first at line %d)", name, first.key.Line)
			continue
		}
		fields[name] = field{key: k, val: v}
	}
	return fields, true
}

// closest returns the name in list nearest to s when it is a likely typo (an edit distance of at
// most 2, ignoring case), or "".
func closest(s string, list []string) string {
	best, bestDist := "", 3
	for _, c := range list {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64 // far apart; not worth the work
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// describe names the kind of a node for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.ShortTag() {
	case "!!null":
		return "null"
	case "!!bool":
		return "a boolean"
	case "!!int", "!!float":
		return "a number"
	case "!!str":
		return "a string"
	}
	return "a " + strings.TrimPrefix(n.ShortTag(), "!!")
}

// scalar returns the value of a scalar node after ${NAME} substitution. raw reports whether the
// value came from a substitution, which makes it a string whatever it looks like.
func (d *decoder) scalar(n *yaml.Node, name string) (val string, substituted, ok bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "%s must be a single value, not %s", name, describe(n))
		return "", false, false
	}
	v, err := expand(n.Value, d.getenv)
	if err != nil {
		d.errorf(n, "%s: %v", name, err)
		return "", false, false
	}
	return v, v != n.Value || strings.Contains(n.Value, "${"), true
}

// str reads a string field. YAML values that are not strings (numbers, booleans, null) are
// refused, so that "name: 2024" cannot silently mean something else; quote them.
func (d *decoder) str(f field, name string) (string, bool) {
	n, done := d.enter(f.val)
	defer done()
	if n == nil {
		return "", false
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() != "!!str" {
		d.errorf(n, "%s must be a string, not %s (quote it)", name, describe(n))
		return "", false
	}
	v, _, ok := d.scalar(n, name)
	return v, ok
}

// nonEmpty reads a string field that may not be empty.
func (d *decoder) nonEmpty(f field, name string) (string, bool) {
	v, ok := d.str(f, name)
	if ok && v == "" {
		d.errorf(f.val, "%s must not be empty", name)
		return "", false
	}
	return v, ok
}

// list walks a sequence field; a null value counts as an empty list (users: with nothing after
// it still mentions users). each gets the item, aliases followed, and the position of the
// entry in the list: for an alias, the alias's, so that what it declares (a key that may be a
// duplicate) is reported where the list names it.
func (d *decoder) list(f field, name string, each func(item *yaml.Node, at Pos)) {
	n, done := d.enter(f.val)
	defer done()
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list, not %s", name, describe(n))
		return
	}
	for _, item := range n.Content {
		it, done := d.enter(item)
		if it != nil {
			each(it, d.pos(item))
		}
		done()
		if d.exhausted {
			return
		}
	}
}

// strList reads a list of strings with their positions.
func (d *decoder) strList(f field, name string) []posString {
	var out []posString
	d.list(f, name, func(item *yaml.Node, at Pos) {
		if v, ok := d.str(field{key: f.key, val: item}, name+" entry"); ok {
			out = append(out, posString{val: v, pos: at})
		}
	})
	return out
}

// decodeDocument reads one YAML document.
func (d *decoder) decodeDocument(root *yaml.Node) *document {
	doc := &document{pos: d.pos(root)}
	n, done := d.enter(root)
	defer done()
	if n == nil {
		return doc
	}
	doc.pos = d.pos(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		d.errorf(n, "empty document: every document needs version: 1")
		return doc
	}
	if n.Kind == yaml.MappingNode && len(n.Content) > 0 {
		// A byte order mark may start any document of a stream (a file made by concatenating
		// files); yaml.v3 drops only the first one and reads the others into the first key.
		n.Content[0].Value = strings.TrimPrefix(n.Content[0].Value, "\ufeff")
	}
	fields, ok := d.mapping(n, "document", documentFields)
	if !ok {
		return doc
	}
	if f, ok := fields["version"]; ok {
		doc.version = d.version(f)
	} else {
		d.errorf(n, "missing version: 1 (every document of a state file needs it)")
	}
	doc.headerGiven = map[string]bool{}
	for _, name := range []string{"owner", "application", "account"} {
		f, ok := fields[name]
		if !ok {
			continue
		}
		doc.headerGiven[name] = true
		if v, ok := d.nonEmpty(f, name); ok {
			ps := &posString{val: v, pos: d.pos(f.val)}
			switch name {
			case "owner":
				doc.owner = ps
			case "application":
				doc.application = ps
			case "account":
				doc.account = ps
			}
		}
	}
	if f, ok := fields["prune"]; ok {
		if v, ok := d.boolean(f, "prune"); ok {
			doc.prune = &posBool{val: v, pos: d.pos(f.val)}
		}
	}
	if f, ok := fields["users"]; ok {
		doc.hasUsers = true
		d.list(f, "users", func(item *yaml.Node, at Pos) { d.user(item, at, doc) })
	}
	if f, ok := fields["members"]; ok {
		doc.hasMembers = true
		doc.rootMembers = d.members(f, "")
	}
	if f, ok := fields["accounts"]; ok {
		doc.hasAccounts = true
		d.accounts(f, "", false, doc)
	}
	if f, ok := fields["appClients"]; ok {
		doc.hasAppClients = true
		d.list(f, "appClients", func(item *yaml.Node, at Pos) { d.appClient(item, at, doc) })
	}
	if f, ok := fields["ignore"]; ok {
		d.ignore(f, doc)
	}
	return doc
}

func (d *decoder) version(f field) bool {
	n, done := d.enter(f.val)
	defer done()
	if n == nil {
		return false
	}
	v, sub, ok := d.scalar(n, "version")
	if !ok {
		return false
	}
	if (n.ShortTag() == "!!int" || sub) && v == "1" {
		return true
	}
	if v == "1" { // quoted
		d.errorf(n, "version must be the number 1, not the string \"1\": write version: 1 without quotes")
		return false
	}
	d.errorf(n, "unsupported version %s: this inboxctl reads version 1", quoteScalar(n, v))
	return false
}

// quoteScalar shows a scalar in a message: strings quoted, other values as written.
func quoteScalar(n *yaml.Node, v string) string {
	if n.ShortTag() == "!!str" {
		return strconv.Quote(v)
	}
	return v
}

func (d *decoder) boolean(f field, name string) (bool, bool) {
	n, done := d.enter(f.val)
	defer done()
	if n == nil {
		return false, false
	}
	v, sub, ok := d.scalar(n, name)
	if !ok {
		return false, false
	}
	if n.ShortTag() == "!!bool" || sub {
		switch strings.ToLower(v) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	d.errorf(n, "%s must be true or false, not %s", name, quoteScalar(n, v))
	return false, false
}

func (d *decoder) user(n *yaml.Node, at Pos, doc *document) {
	fields, ok := d.mapping(n, "user", userFields)
	if !ok {
		return
	}
	u := userDecl{user: User{Status: StatusActive, Pos: at}}
	valid := true
	if f, ok := fields["email"]; ok {
		if v, ok := d.email(f, "email"); ok {
			u.user.Email = v
		} else {
			valid = false
		}
	} else {
		d.errorf(n, "user without email")
		valid = false
	}
	if f, ok := fields["name"]; ok {
		if v, ok := d.str(f, "name"); ok {
			u.user.Name = &v
		}
	}
	if f, ok := fields["status"]; ok {
		if v, ok := d.str(f, "status"); ok {
			if v != StatusActive && v != StatusSuspended {
				d.errorf(f.val, "status must be %s or %s, not %q", StatusActive, StatusSuspended, v)
			} else {
				u.user.Status = v
			}
		}
	}
	if f, ok := fields["id"]; ok {
		if v, ok := d.nonEmpty(f, "id"); ok {
			u.user.ID, u.idPos = v, d.pos(f.val)
		}
	}
	if valid {
		doc.users = append(doc.users, u)
	}
}

// email reads an email address: a bare address (no display name, no angle brackets), stored
// lower-case.
func (d *decoder) email(f field, name string) (string, bool) {
	v, ok := d.nonEmpty(f, name)
	if !ok {
		return "", false
	}
	if err := checkEmail(v); err != nil {
		d.errorf(f.val, "%s %q is not a valid email address: %v", name, v, err)
		return "", false
	}
	return strings.ToLower(v), true
}

func checkEmail(s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "mail: "))
	}
	if a.Name != "" || a.Address != s {
		return fmt.Errorf("write the bare address, like user@example.com")
	}
	return nil
}

func (d *decoder) members(f field, accountPath string) []memberDecl {
	var out []memberDecl
	d.list(f, "members", func(n *yaml.Node, at Pos) {
		fields, ok := d.mapping(n, "member", memberFields)
		if !ok {
			return
		}
		m := memberDecl{member: Member{AccountPath: accountPath, Pos: at}}
		valid := true
		if f, ok := fields["user"]; ok {
			if v, ok := d.email(f, "user"); ok {
				m.member.User, m.userPos = v, d.pos(f.val)
			} else {
				valid = false
			}
		} else {
			d.errorf(n, "member without user")
			valid = false
		}
		if f, ok := fields["role"]; ok {
			if v, ok := d.str(f, "role"); ok {
				if !contains(Roles, v) {
					d.errorf(f.val, "role must be one of %s, not %q", strings.Join(Roles, ", "), v)
					valid = false
				} else {
					m.member.Role = v
				}
			} else {
				valid = false
			}
		} else {
			d.errorf(n, "member without role (one of %s)", strings.Join(Roles, ", "))
			valid = false
		}
		if valid {
			out = append(out, m)
		}
	})
	return out
}

// accountName reads a name or previousName by the API's rule: not blank, no "/", at most
// maxAccountNameLen bytes.
func (d *decoder) accountName(f field, name string) (string, bool) {
	v, ok := d.nonEmpty(f, name)
	if !ok {
		return "", false
	}
	switch {
	case strings.TrimSpace(v) == "":
		d.errorf(f.val, "%s must not be blank", name)
		return "", false
	case strings.Contains(v, "/"):
		d.errorf(f.val, "%s %q must not contain \"/\" (use parent: or nest accounts)", name, v)
		return "", false
	case len(v) > maxAccountNameLen:
		d.errorf(f.val, "%s is %d bytes long; the API takes at most %d", name, len(v), maxAccountNameLen)
		return "", false
	}
	return v, true
}

func (d *decoder) accounts(f field, parent string, nested bool, doc *document) {
	d.list(f, "accounts", func(n *yaml.Node, at Pos) {
		fields, ok := d.mapping(n, "account", accountFields)
		if !ok {
			return
		}
		a := accountDecl{account: Account{Parent: parent, Pos: at}, nested: nested}
		valid := true
		if f, ok := fields["name"]; ok {
			if v, ok := d.accountName(f, "name"); ok {
				a.account.Name = v
			} else {
				valid = false
			}
		} else {
			d.errorf(n, "account without name")
			valid = false
		}
		if f, ok := fields["parent"]; ok {
			if nested {
				d.errorf(f.key, "account nested under %q may not also name a parent", parent)
				valid = false
			} else if v, ok := d.nonEmpty(f, "parent"); ok {
				if err := checkPath(v); err != nil {
					d.errorf(f.val, "parent %q: %v", v, err)
					valid = false
				} else {
					a.account.Parent, a.parentPos = v, d.pos(f.val)
				}
			} else {
				valid = false
			}
		}
		if f, ok := fields["id"]; ok {
			if v, ok := d.nonEmpty(f, "id"); ok {
				a.account.ID, a.idPos = v, d.pos(f.val)
			}
		}
		if f, ok := fields["previousName"]; ok {
			if v, ok := d.accountName(f, "previousName"); ok {
				if v == a.account.Name {
					d.errorf(f.val, "previousName %q is the account's own name", v)
				} else {
					a.account.PreviousName, a.prevPos = v, d.pos(f.val)
				}
			}
		}
		a.account.Path = JoinPath(a.account.Parent, a.account.Name)
		if f, ok := fields["members"]; ok {
			a.members = d.members(f, a.account.Path)
		}
		if valid {
			doc.accounts = append(doc.accounts, a)
		}
		if f, ok := fields["accounts"]; ok {
			if valid {
				d.accounts(f, a.account.Path, true, doc)
			} else {
				// Still report what is wrong inside, under a path that cannot match anything.
				d.accounts(f, "\x00invalid", true, &document{})
			}
		}
	})
}

// checkPath checks an account path: names joined by "/", none empty.
func checkPath(p string) error {
	for _, name := range strings.Split(p, "/") {
		if name == "" {
			return fmt.Errorf("an account path is names joined by \"/\", with no empty name")
		}
	}
	return nil
}

func (d *decoder) appClient(n *yaml.Node, at Pos, doc *document) {
	fields, ok := d.mapping(n, "app client", appClientFields)
	if !ok {
		return
	}
	c := AppClient{Pos: at}
	valid := true
	if f, ok := fields["appName"]; ok {
		v, ok := d.nonEmpty(f, "appName")
		switch {
		case !ok:
			valid = false
		case strings.TrimSpace(v) == "":
			d.errorf(f.val, "appName must not be blank")
			valid = false
		case len(v) > maxAppClientNameLen:
			d.errorf(f.val, "appName is %d bytes long; the API takes at most %d", len(v), maxAppClientNameLen)
			valid = false
		default:
			c.AppName = v
		}
	} else {
		d.errorf(n, "app client without appName")
		valid = false
	}
	if f, ok := fields["description"]; ok {
		if v, ok := d.str(f, "description"); ok {
			c.Description = &v
		}
	}
	if f, ok := fields["customerManagedKeyArn"]; ok {
		if v, ok := d.str(f, "customerManagedKeyArn"); ok {
			if v != "" && !strings.HasPrefix(v, "arn:") {
				d.errorf(f.val, "customerManagedKeyArn %q is not an ARN (arn:...)", v)
			} else {
				c.CustomerManagedKeyARN = &v
			}
		}
	}
	if f, ok := fields["redirectUrls"]; ok {
		urls := d.strList(f, "redirectUrls")
		seen := map[string]Pos{}
		for _, u := range urls {
			if err := checkRedirectURL(u.val); err != nil {
				d.add(u.pos, "redirect URL %q: %v", u.val, err)
				continue
			}
			if first, dup := seen[u.val]; dup {
				d.add(u.pos, "duplicate redirect URL %q (first at line %d column %d)", u.val, first.Line, first.Col)
				continue
			}
			seen[u.val] = u.pos
			c.RedirectURLs = append(c.RedirectURLs, u.val)
		}
		if len(urls) == 0 || len(urls) > maxRedirectURLs {
			d.errorf(f.val, "redirectUrls must hold 1 to %d URLs, not %d", maxRedirectURLs, len(urls))
		}
	} else {
		d.errorf(n, "app client without redirectUrls (1 to %d URLs)", maxRedirectURLs)
	}
	if f, ok := fields["starterUserEmails"]; ok {
		emails := d.strList(f, "starterUserEmails")
		for _, e := range emails {
			if err := checkEmail(e.val); err != nil {
				d.add(e.pos, "starter user email %q is not a valid email address: %v", e.val, err)
				continue
			}
			c.StarterUserEmails = append(c.StarterUserEmails, strings.ToLower(e.val))
		}
		if len(emails) != starterUserEmails {
			d.errorf(f.val, "starterUserEmails must hold exactly %d address, not %d", starterUserEmails, len(emails))
		}
	} else {
		d.errorf(n, "app client without starterUserEmails (exactly %d address)", starterUserEmails)
	}
	if valid {
		doc.appClients = append(doc.appClients, c)
	}
}

// checkRedirectURL accepts absolute https URLs, and http ones for the local machine only.
func checkRedirectURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL")
	}
	if !u.IsAbs() || u.Host == "" {
		return fmt.Errorf("must be an absolute URL with a host")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("http is allowed for localhost only; use https")
	}
	return fmt.Errorf("scheme must be https (or http for localhost), not %q", u.Scheme)
}

// isLoopbackHost reports whether an http redirect URL's host is the local machine, by the API's
// rule: the name "localhost" in any case, or any loopback address (127.0.0.0/8, ::1).
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (d *decoder) ignore(f field, doc *document) {
	n, done := d.enter(f.val)
	defer done()
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return
	}
	fields, ok := d.mapping(n, "ignore", ignoreFields)
	if !ok {
		return
	}
	read := func(name string) []posString {
		f, ok := fields[name]
		if !ok {
			return nil
		}
		var out []posString
		for _, p := range d.strList(f, "ignore."+name) {
			if _, err := path.Match(p.val, ""); err != nil {
				d.add(p.pos, "ignore pattern %q is not a valid glob: %v", p.val, err)
				continue
			}
			out = append(out, p)
		}
		return out
	}
	doc.ignore.users = append(doc.ignore.users, read("users")...)
	doc.ignore.accounts = append(doc.ignore.accounts, read("accounts")...)
	doc.ignore.appClients = append(doc.ignore.appClients, read("appClients")...)
}
