package plan

import "github.com/inbox-manager/inboxctl/spec"

// FormatVersion is the version of the JSON plan format, the stable interface for scripts.
const FormatVersion = "1"

// Action is what a change does to one resource.
type Action string

// The actions of a plan.
const (
	Create  Action = "create"
	Update  Action = "update"
	Delete  Action = "delete"
	Replace Action = "replace"
)

// Kind is the kind of resource a change is about.
type Kind string

// The kinds of resource.
const (
	KindUser      Kind = "user"
	KindAccount   Kind = "account"
	KindMember    Kind = "member"
	KindAppClient Kind = "appClient"
)

// Values are the attributes of one resource as a plan shows and apply uses them: one flat
// record for every kind, each kind filling its own fields.
type Values struct {
	ID    string `json:"id,omitempty"`
	Owner string `json:"managed_by,omitempty"` // the managed-by marker (users, accounts)

	// user
	Email  string  `json:"email,omitempty"`
	Name   *string `json:"name,omitempty"` // user name, or account name
	Status string  `json:"status,omitempty"`

	// account
	Path     string `json:"path,omitempty"`
	Parent   string `json:"parent,omitempty"`    // parent path, "" for a child of the root
	ParentID string `json:"parent_id,omitempty"` // when the parent exists at plan time

	// member
	AccountPath string `json:"account,omitempty"`    // "" for the root account
	AccountID   string `json:"account_id,omitempty"` // when the account exists at plan time
	User        string `json:"user,omitempty"`       // the user's email
	UserID      string `json:"user_id,omitempty"`    // when the user exists at plan time
	Role        string `json:"role,omitempty"`

	// appClient
	AppName               string   `json:"app_name,omitempty"`
	Description           *string  `json:"description,omitempty"`
	RedirectURLs          []string `json:"redirect_urls,omitempty"`
	StarterUserEmails     []string `json:"starter_user_emails,omitempty"`
	CustomerManagedKeyARN *string  `json:"customer_managed_key_arn,omitempty"`
	ARN                   string   `json:"arn,omitempty"`
	VerificationStatus    string   `json:"verification_status,omitempty"`
}

// Change is one step of a plan.
type Change struct {
	Action Action  `json:"action"`
	Kind   Kind    `json:"kind"`
	Key    string  `json:"key"`
	ID     string  `json:"id,omitempty"` // the live id, for updates, deletes and replacements
	Before *Values `json:"before"`       // the live resource; nil for a create
	After  *Values `json:"after"`        // the desired resource; nil for a delete
	// Fields lists the fields that change (update) or force the replacement (replace).
	Fields []string `json:"fields,omitempty"`
	// Source is the file:line of the declaration the change comes from, if any.
	Source string `json:"source,omitempty"`
	// DependsOn holds the indexes in Plan.Changes of the changes that must succeed first.
	DependsOn []int `json:"depends_on"`
	// Fingerprint identifies the live resource as the plan saw it (Before), so that apply can
	// refuse a stale plan. Empty for creates.
	Fingerprint string `json:"fingerprint,omitempty"`
	// Cause is the index of the change whose delete forced this one (member deletes that follow
	// an account or user delete), or -1.
	Cause int `json:"cause"`
	// TakesDown lists, for an account delete, the keys of what it takes down with it.
	TakesDown []string `json:"takes_down,omitempty"`
	// Note explains the change in words (adoption, rename, new client id on replacement).
	Note string `json:"note,omitempty"`
	// AccountID is, for a member change, the live id of the member's account (the root
	// account's id for a root member) when that account exists at plan time; "" when the
	// account is created by the change in DependsOn.
	AccountID string `json:"account_id,omitempty"`
}

// Summary counts the changes of a plan by action.
type Summary struct {
	Create  int `json:"create"`
	Update  int `json:"update"`
	Delete  int `json:"delete"`
	Replace int `json:"replace"`
}

// Target names what a plan was made for; apply refuses a plan made for another target.
type Target struct {
	APIURL      string `json:"api_url"`
	Application string `json:"application"`
	Account     string `json:"account"`
	Owner       string `json:"owner"`
}

// KindCount is the delete check's figure for one kind (or "total"): live is |L|, deletes is |D|.
type KindCount struct {
	Kind    string `json:"kind"`
	Live    int    `json:"live"`
	Deletes int    `json:"deletes"`
	Failed  bool   `json:"failed"`
}

// DeleteCheck is the outcome of the delete check of CONTRACT 2.3.
type DeleteCheck struct {
	MaxPercent float64     `json:"max_percent"`
	Counts     []KindCount `json:"counts"`
	Failed     bool        `json:"failed"`
}

// Plan is the ordered list of changes that takes the live state to the desired one. It is data:
// it serializes to the JSON plan format and compares in tests.
type Plan struct {
	FormatVersion string        `json:"format_version"`
	Target        Target        `json:"target"`
	Mentions      spec.Mentions `json:"mentions"`
	Summary       Summary       `json:"summary"`
	Changes       []Change      `json:"changes"`
	Warnings      []string      `json:"warnings,omitempty"`
	DeleteCheck   DeleteCheck   `json:"delete_check"`
}
