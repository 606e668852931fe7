package plan

import (
	"github.com/inbox-manager/inboxctl/spec"
)

// liveOf returns the live state that exactly matches desired: what applying desired to an empty
// tenant gives, every user and account marked with the owner.
func liveOf(desired *spec.State) *spec.State {
	l := newLive()
	l.Owner, l.Application, l.Account = desired.Owner, desired.Application, desired.Account
	for _, u := range desired.Users {
		n := u.Name
		if n == nil {
			n = sp("")
		}
		l.Users = append(l.Users, spec.User{Email: u.Email, Name: n, Status: u.Status, ID: "usr_" + u.Email, Owner: desired.Owner})
	}
	for _, a := range desired.Accounts {
		l.Accounts = append(l.Accounts, spec.Account{Path: a.Path, Name: a.Name, Parent: a.Parent, ID: "acc_" + a.Path, Owner: desired.Owner})
	}
	for _, m := range desired.Members {
		l.Members = append(l.Members, spec.Member{AccountPath: m.AccountPath, User: m.User, Role: m.Role, ID: "mem_" + m.Key(), UserID: "usr_" + m.User})
	}
	for _, c := range desired.AppClients {
		d, k := c.Description, c.CustomerManagedKeyARN
		if d == nil {
			d = sp("")
		}
		if k == nil {
			k = sp("")
		}
		l.AppClients = append(l.AppClients, spec.AppClient{AppName: c.AppName, Description: d, RedirectURLs: c.RedirectURLs,
			StarterUserEmails: c.StarterUserEmails, CustomerManagedKeyARN: k, ARN: "arn:appclient/" + c.AppName, VerificationStatus: "verified"})
	}
	l.Canonicalize()
	return l
}
