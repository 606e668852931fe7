package spec

import (
	"fmt"
	"sort"
	"strings"
)

// ManagedByKey is the metadata key that marks a user or account as owned by an inboxctl state.
const ManagedByKey = "managed-by"

// Pos is the place in a state file a value came from. The zero Pos means "not from a file"
// (live resources, defaults).
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// IsZero reports whether p names no place.
func (p Pos) IsZero() bool { return p.File == "" }

// String formats p as file:line:col.
func (p Pos) String() string {
	if p.IsZero() {
		return ""
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Short formats p as file:line, the form plan output shows.
func (p Pos) Short() string {
	if p.IsZero() {
		return ""
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Mentions records which kinds of resource a state talks about (CONTRACT 2.2): a kind that no
// document mentions is neither read from the API nor touched.
type Mentions struct {
	Users       bool `json:"users"`
	Accounts    bool `json:"accounts"`     // the accounts: key; implies members of declared accounts
	RootMembers bool `json:"root_members"` // a top-level members: key
	AppClients  bool `json:"app_clients"`
}

// Ignore holds the glob patterns (path.Match syntax) of live resources never touched.
type Ignore struct {
	Users      []string `json:"users,omitempty"`
	Accounts   []string `json:"accounts,omitempty"`
	AppClients []string `json:"app_clients,omitempty"`
}

// User is an application user. In a desired state ID is an optional pin; in a live state it is
// the server's id and Owner is the value of the managed-by marker ("" when unmarked).
type User struct {
	Email  string  `json:"email"`          // canonical: lower-case
	Name   *string `json:"name,omitempty"` // nil: not declared (desired) / not relevant
	Status string  `json:"status"`         // StatusActive or StatusSuspended
	ID     string  `json:"id,omitempty"`
	Owner  string  `json:"owner,omitempty"` // live only: metadata["managed-by"]
	Pos    Pos     `json:"-"`
}

// User statuses.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// Account is a child account somewhere under the root account. Path is its key: the names from
// the root down, joined by "/" (e.g. "ops-provisioned/team-a"). Parent is the path of its parent
// ("" for a child of the root).
type Account struct {
	Path         string `json:"path"`
	Name         string `json:"name"`
	Parent       string `json:"parent,omitempty"`
	ID           string `json:"id,omitempty"`            // desired: optional pin; live: server id
	PreviousName string `json:"previous_name,omitempty"` // desired only
	Owner        string `json:"owner,omitempty"`         // live only: metadata["managed-by"]
	Pos          Pos    `json:"-"`
}

// Member is a membership of a user in an account. AccountPath is "" for the root account.
// Its key is AccountPath + "/" + User.
type Member struct {
	AccountPath string `json:"account"`
	User        string `json:"user"` // the user's email, lower-case
	Role        string `json:"role"`
	ID          string `json:"id,omitempty"`      // live only
	UserID      string `json:"user_id,omitempty"` // live only
	Pos         Pos    `json:"-"`
}

// Key returns the member's key: account path + "/" + email.
func (m Member) Key() string { return MemberKey(m.AccountPath, m.User) }

// MemberKey builds a member key from an account path ("" for the root) and an email.
func MemberKey(accountPath, email string) string { return accountPath + "/" + email }

// Member roles.
const (
	RoleViewer = "viewer"
	RoleEditor = "editor"
	RoleAdmin  = "admin"
	RoleOwner  = "owner"
)

// Roles lists the valid member roles.
var Roles = []string{RoleViewer, RoleEditor, RoleAdmin, RoleOwner}

// AppClient is an OAuth app client; AppName is its key.
type AppClient struct {
	AppName               string   `json:"app_name"`
	Description           *string  `json:"description,omitempty"` // nil: not declared
	RedirectURLs          []string `json:"redirect_urls"`         // canonical: sorted
	StarterUserEmails     []string `json:"starter_user_emails"`   // canonical: sorted, lower-case
	CustomerManagedKeyARN *string  `json:"customer_managed_key_arn,omitempty"`
	ARN                   string   `json:"arn,omitempty"`                 // live only
	VerificationStatus    string   `json:"verification_status,omitempty"` // live only
	Pos                   Pos      `json:"-"`
}

// ID returns the app client's API id: the UUID after "appclient/" in its ARN.
func (c AppClient) ID() string { return AppClientIDFromARN(c.ARN) }

// AppClientIDFromARN returns the part of an app client ARN after "appclient/".
func AppClientIDFromARN(arn string) string {
	if i := strings.LastIndex(arn, "appclient/"); i >= 0 {
		return arn[i+len("appclient/"):]
	}
	return ""
}

// State is a set of identity resources: the desired state merged from the state files, or the
// live state read from the API in the scope of a desired one. Both sides of a plan have this type.
// Slices are kept sorted by key (see Canonicalize).
type State struct {
	Owner       string    `json:"owner"`
	Application string    `json:"application"`
	Account     string    `json:"account"` // the root account's id
	Prune       bool      `json:"prune"`
	Mentions    Mentions  `json:"mentions"`
	Users       []User    `json:"users,omitempty"`
	Accounts    []Account `json:"accounts,omitempty"`
	// Members holds memberships of the root (AccountPath "") and of child accounts.
	Members    []Member    `json:"members,omitempty"`
	AppClients []AppClient `json:"app_clients,omitempty"`
	Ignore     Ignore      `json:"ignore"`
}

// Canonicalize puts s in canonical form in place: emails lower-case, sets sorted, default
// status filled, slices sorted by key, so two states that mean the same compare equal.
func (s *State) Canonicalize() {
	for i := range s.Users {
		u := &s.Users[i]
		u.Email = strings.ToLower(u.Email)
		if u.Status == "" {
			u.Status = StatusActive
		}
	}
	for i := range s.Members {
		s.Members[i].User = strings.ToLower(s.Members[i].User)
	}
	// Emails compare case-insensitively, so user ignore patterns match the lower-case email.
	for i, p := range s.Ignore.Users {
		s.Ignore.Users[i] = strings.ToLower(p)
	}
	for i := range s.AppClients {
		c := &s.AppClients[i]
		for j := range c.StarterUserEmails {
			c.StarterUserEmails[j] = strings.ToLower(c.StarterUserEmails[j])
		}
		if c.RedirectURLs == nil {
			c.RedirectURLs = []string{}
		}
		if c.StarterUserEmails == nil {
			c.StarterUserEmails = []string{}
		}
		sort.Strings(c.RedirectURLs)
		sort.Strings(c.StarterUserEmails)
	}
	sort.Slice(s.Users, func(i, j int) bool { return s.Users[i].Email < s.Users[j].Email })
	sort.Slice(s.Accounts, func(i, j int) bool { return s.Accounts[i].Path < s.Accounts[j].Path })
	sort.Slice(s.Members, func(i, j int) bool { return s.Members[i].Key() < s.Members[j].Key() })
	sort.Slice(s.AppClients, func(i, j int) bool { return s.AppClients[i].AppName < s.AppClients[j].AppName })
}

// JoinPath joins a parent account path and a child name.
func JoinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "/" + name
}

// SplitPath returns the parent path and the name of an account path.
func SplitPath(path string) (parent, name string) {
	if i := strings.LastIndex(path, "/"); i >= 0 {
		return path[:i], path[i+1:]
	}
	return "", path
}
