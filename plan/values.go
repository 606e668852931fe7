package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/inbox-manager/inboxctl/spec"
)

// UserValues returns the plan values of a user.
func UserValues(u spec.User) Values {
	return Values{ID: u.ID, Owner: u.Owner, Email: u.Email, Name: u.Name, Status: u.Status}
}

// AccountValues returns the plan values of an account.
func AccountValues(a spec.Account) Values {
	name := a.Name
	return Values{ID: a.ID, Owner: a.Owner, Path: a.Path, Name: &name, Parent: a.Parent}
}

// MemberValues returns the plan values of a membership.
func MemberValues(m spec.Member) Values {
	return Values{ID: m.ID, AccountPath: m.AccountPath, User: m.User, UserID: m.UserID, Role: m.Role}
}

// AppClientValues returns the plan values of an app client.
func AppClientValues(c spec.AppClient) Values {
	return Values{
		AppName:               c.AppName,
		Description:           c.Description,
		RedirectURLs:          c.RedirectURLs,
		StarterUserEmails:     c.StarterUserEmails,
		CustomerManagedKeyARN: c.CustomerManagedKeyARN,
		ARN:                   c.ARN,
		VerificationStatus:    c.VerificationStatus,
	}
}

// Fingerprint identifies a live resource's values, so that apply can tell whether a resource
// changed since the plan saw it. Values must be canonical (see spec.State.Canonicalize).
func Fingerprint(v *Values) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil { // Values holds only strings and slices of strings
		panic(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}
