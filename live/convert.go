package live

import (
	"slices"
	"strings"

	"github.com/inbox-manager/inboxctl/api"
	"github.com/inbox-manager/inboxctl/spec"
)

// UserFromAPI converts an API user into its canonical live form: email lower-case, Name always
// set (live values are known, even when empty), Owner taken from the managed-by marker.
func UserFromAPI(u api.User) spec.User {
	name := u.Name
	status := u.Status
	if status == "" {
		status = spec.StatusActive
	}
	return spec.User{
		Email:  strings.ToLower(u.Email),
		Name:   &name,
		Status: status,
		ID:     u.ID,
		Owner:  u.Metadata[spec.ManagedByKey],
	}
}

// AccountFromAPI converts an API account whose parent has the path parentPath ("" for a child
// of the root account) into its canonical live form.
func AccountFromAPI(a api.Account, parentPath string) spec.Account {
	return spec.Account{
		Path:   spec.JoinPath(parentPath, a.Name),
		Name:   a.Name,
		Parent: parentPath,
		ID:     a.ID,
		Owner:  a.Metadata[spec.ManagedByKey],
	}
}

// MemberFromAPI converts an API membership of the account at accountPath ("" for the root
// account) whose user has the given email into its canonical live form.
func MemberFromAPI(m api.Member, accountPath, email string) spec.Member {
	return spec.Member{
		AccountPath: accountPath,
		User:        strings.ToLower(email),
		Role:        m.Role,
		ID:          m.ID,
		UserID:      m.UserID,
	}
}

// AppClientFromAPI converts an API app client into its canonical live form: every optional
// field set (live values are known, even when empty), URL and email sets sorted, emails
// lower-case, never nil slices.
func AppClientFromAPI(c api.AppClient) spec.AppClient {
	desc := c.Description
	key := c.CustomerManagedKeyARN
	urls := append([]string{}, c.RedirectURLs...)
	slices.Sort(urls)
	emails := make([]string, 0, len(c.StarterUserEmails))
	for _, e := range c.StarterUserEmails {
		emails = append(emails, strings.ToLower(e))
	}
	slices.Sort(emails)
	return spec.AppClient{
		AppName:               c.AppName,
		Description:           &desc,
		RedirectURLs:          urls,
		StarterUserEmails:     emails,
		CustomerManagedKeyARN: &key,
		ARN:                   c.ARN,
		VerificationStatus:    c.VerificationDetails.VerificationStatus,
	}
}
