package apply

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/inbox-manager/inboxctl/api"
	"github.com/inbox-manager/inboxctl/plan"
	"github.com/inbox-manager/inboxctl/spec"
)

// executor turns one change into API requests. It remembers the ids of what it creates, so
// that a change depending on a create (a member of a new account, an account under a new
// parent) finds the id the plan could not know.
type executor struct {
	p     *plan.Plan
	c     API
	owner string

	mu       sync.Mutex
	accounts map[string]string // account path -> id ("" is the root)
	users    map[string]string // email -> id
	// usersRead says the user list was read, which happens at most once, when an id is not
	// known otherwise.
	usersRead bool
}

func newExecutor(p *plan.Plan, c API, owner string) *executor {
	ex := &executor{p: p, c: c, owner: owner,
		accounts: map[string]string{"": p.Target.Account},
		users:    map[string]string{},
	}
	// Every id the plan already knows.
	for _, ch := range p.Changes {
		for _, v := range []*plan.Values{ch.Before, ch.After} {
			if v == nil {
				continue
			}
			switch ch.Kind {
			case plan.KindUser:
				if v.ID != "" && ch.Action != plan.Delete {
					ex.users[strings.ToLower(v.Email)] = v.ID
				}
			case plan.KindAccount:
				if v.ID != "" && ch.Action != plan.Delete {
					ex.accounts[ch.Key] = v.ID
				}
				if v.ParentID != "" && v.Parent != "" {
					ex.accounts[v.Parent] = v.ParentID
				}
			case plan.KindMember:
				if ch.AccountID != "" {
					ex.accounts[v.AccountPath] = ch.AccountID
				}
				if v.AccountID != "" {
					ex.accounts[v.AccountPath] = v.AccountID
				}
				if v.UserID != "" {
					ex.users[strings.ToLower(v.User)] = v.UserID
				}
			}
		}
	}
	return ex
}

// execute carries out change i and returns its outcome (without Duration).
func (ex *executor) execute(ctx context.Context, i int) ChangeResult {
	ch := ex.p.Changes[i]
	// The client counts the requests of this change, retries included; a client that does not
	// (a test fake) leaves the count of calls made.
	var n api.Counter
	calls := 0
	id, err := ex.do(api.WithCounter(ctx, &n), ch, &calls)
	if reqs := int(n.Requests.Load()); reqs > 0 {
		calls = reqs
	}
	r := ChangeResult{Status: StatusDone, ID: id, Attempts: calls}
	if err != nil {
		r.Status, r.Error = StatusFailed, err.Error()
	}
	return r
}

func (ex *executor) do(ctx context.Context, ch plan.Change, calls *int) (string, error) {
	before, after := ch.Before, ch.After
	if before == nil {
		before = &plan.Values{}
	}
	if after == nil && (ch.Action == plan.Create || ch.Action == plan.Update || ch.Action == plan.Replace) {
		return "", fmt.Errorf("apply: %s %s %q has no desired values", ch.Action, ch.Kind, ch.Key)
	}
	id := ch.ID
	if id == "" {
		id = before.ID
	}
	switch ch.Kind {
	case plan.KindUser:
		return ex.user(ctx, ch, id, before, after, calls)
	case plan.KindAccount:
		return ex.account(ctx, ch, id, before, after, calls)
	case plan.KindMember:
		return ex.member(ctx, ch, id, before, after, calls)
	case plan.KindAppClient:
		if id == "" {
			id = spec.AppClientIDFromARN(before.ARN)
		}
		return ex.appClient(ctx, ch, id, after, calls)
	}
	return "", fmt.Errorf("apply: unknown kind %q", ch.Kind)
}

func (ex *executor) user(ctx context.Context, ch plan.Change, id string, before, after *plan.Values, calls *int) (string, error) {
	switch ch.Action {
	case plan.Create:
		req := api.CreateUserRequest{Email: after.Email, Name: deref(after.Name), Status: after.Status,
			Metadata: map[string]string{spec.ManagedByKey: ex.owner}}
		if req.Email == "" {
			req.Email = ch.Key
		}
		*calls++
		u, err := ex.c.CreateUser(ctx, ex.p.Target.Application, req)
		if err != nil {
			return "", fmt.Errorf("apply: create user %s: %w", ch.Key, err)
		}
		ex.setUser(ch.Key, u.ID)
		return u.ID, nil
	case plan.Update:
		if id == "" {
			return "", fmt.Errorf("apply: update user %s: no id in the plan", ch.Key)
		}
		var req api.UpdateUserRequest
		if after.Name != nil && !equalPtr(before.Name, after.Name) {
			req.Name = after.Name
		}
		if after.Status != "" && after.Status != before.Status {
			req.Status = &after.Status
		}
		req.Metadata = ex.marker(before)
		*calls++
		if _, err := ex.c.UpdateUser(ctx, id, req); err != nil {
			return "", fmt.Errorf("apply: update user %s: %w", ch.Key, err)
		}
		return id, nil
	case plan.Delete:
		if id == "" {
			return "", fmt.Errorf("apply: delete user %s: no id in the plan", ch.Key)
		}
		*calls++
		if err := ex.c.DeleteUser(ctx, id); err != nil {
			return "", fmt.Errorf("apply: delete user %s: %w", ch.Key, err)
		}
		return id, nil
	}
	return "", fmt.Errorf("apply: %s of a user is not supported", ch.Action)
}

func (ex *executor) account(ctx context.Context, ch plan.Change, id string, before, after *plan.Values, calls *int) (string, error) {
	switch ch.Action {
	case plan.Create:
		parentPath, name := spec.SplitPath(ch.Key)
		if after.Name != nil {
			name = *after.Name
		}
		parentID := after.ParentID
		if parentID == "" {
			var err error
			if parentID, err = ex.accountID(ctx, parentPath, calls); err != nil {
				return "", fmt.Errorf("apply: create account %s: %w", ch.Key, err)
			}
		}
		*calls++
		a, err := ex.c.CreateAccount(ctx, parentID, api.CreateAccountRequest{Name: name,
			Metadata: map[string]string{spec.ManagedByKey: ex.owner}})
		if err != nil {
			return "", fmt.Errorf("apply: create account %s: %w", ch.Key, err)
		}
		ex.setAccount(ch.Key, a.ID)
		return a.ID, nil
	case plan.Update:
		if id == "" {
			return "", fmt.Errorf("apply: update account %s: no id in the plan", ch.Key)
		}
		var req api.UpdateAccountRequest
		if after.Name != nil && !equalPtr(before.Name, after.Name) {
			req.Name = after.Name // a rename
		}
		req.Metadata = ex.marker(before)
		*calls++
		if _, err := ex.c.UpdateAccount(ctx, id, req); err != nil {
			return "", fmt.Errorf("apply: update account %s: %w", ch.Key, err)
		}
		return id, nil
	case plan.Delete:
		if id == "" {
			return "", fmt.Errorf("apply: delete account %s: no id in the plan", ch.Key)
		}
		*calls++
		if err := ex.c.DeleteAccount(ctx, id); err != nil {
			return "", fmt.Errorf("apply: delete account %s: %w", ch.Key, err)
		}
		return id, nil
	}
	return "", fmt.Errorf("apply: %s of an account is not supported", ch.Action)
}

func (ex *executor) member(ctx context.Context, ch plan.Change, id string, before, after *plan.Values, calls *int) (string, error) {
	v := after
	if v == nil {
		v = before
	}
	accountPath, email := v.AccountPath, v.User
	if email == "" { // fall back on the key: account path + "/" + email
		if k := strings.LastIndex(ch.Key, "/"); k >= 0 {
			accountPath, email = ch.Key[:k], ch.Key[k+1:]
		}
	}
	accountID := ch.AccountID
	if accountID == "" {
		accountID = v.AccountID
	}
	if accountID == "" {
		accountID = before.AccountID
	}
	if accountID == "" {
		var err error
		if accountID, err = ex.accountID(ctx, accountPath, calls); err != nil {
			return "", fmt.Errorf("apply: %s member %s: %w", ch.Action, ch.Key, err)
		}
	}
	switch ch.Action {
	case plan.Create:
		userID := after.UserID
		if userID == "" {
			var err error
			if userID, err = ex.userID(ctx, email, calls); err != nil {
				return "", fmt.Errorf("apply: create member %s: %w", ch.Key, err)
			}
		}
		*calls++
		m, err := ex.c.AddMember(ctx, accountID, api.CreateMemberRequest{UserID: userID, Role: after.Role})
		if err != nil {
			return "", fmt.Errorf("apply: create member %s: %w", ch.Key, err)
		}
		return m.ID, nil
	case plan.Update:
		if id == "" {
			return "", fmt.Errorf("apply: update member %s: no id in the plan", ch.Key)
		}
		*calls++
		if _, err := ex.c.UpdateMember(ctx, accountID, id, api.UpdateMemberRequest{Role: after.Role}); err != nil {
			return "", fmt.Errorf("apply: update member %s: %w", ch.Key, err)
		}
		return id, nil
	case plan.Delete:
		if id == "" {
			return "", fmt.Errorf("apply: delete member %s: no id in the plan", ch.Key)
		}
		*calls++
		if err := ex.c.RemoveMember(ctx, accountID, id); err != nil {
			return "", fmt.Errorf("apply: delete member %s: %w", ch.Key, err)
		}
		return id, nil
	}
	return "", fmt.Errorf("apply: %s of a member is not supported", ch.Action)
}

func (ex *executor) appClient(ctx context.Context, ch plan.Change, id string, after *plan.Values, calls *int) (string, error) {
	create := func() (string, error) {
		req := api.CreateAppClientRequest{
			AppName:                      after.AppName,
			Description:                  deref(after.Description),
			RedirectURLs:                 after.RedirectURLs,
			StarterUserEmails:            after.StarterUserEmails,
			CustomerManagedKeyIdentifier: deref(after.CustomerManagedKeyARN),
		}
		if req.AppName == "" {
			req.AppName = ch.Key
		}
		*calls++
		c, err := ex.c.CreateAppClient(ctx, req)
		if err != nil {
			return "", err
		}
		return spec.AppClientIDFromARN(c.ARN), nil
	}
	switch ch.Action {
	case plan.Create:
		newID, err := create()
		if err != nil {
			return "", fmt.Errorf("apply: create appClient %q: %w", ch.Key, err)
		}
		return newID, nil
	case plan.Update:
		if id == "" {
			return "", fmt.Errorf("apply: update appClient %q: no id in the plan", ch.Key)
		}
		*calls++
		if _, err := ex.c.UpdateAppClient(ctx, id, api.UpdateAppClientRequest{RedirectURLs: after.RedirectURLs}); err != nil {
			return "", fmt.Errorf("apply: update appClient %q: %w", ch.Key, err)
		}
		return id, nil
	case plan.Delete, plan.Replace:
		if id == "" {
			return "", fmt.Errorf("apply: %s appClient %q: no id in the plan", ch.Action, ch.Key)
		}
		*calls++
		if err := ex.c.DeleteAppClient(ctx, id); err != nil {
			return "", fmt.Errorf("apply: %s appClient %q: delete: %w", ch.Action, ch.Key, err)
		}
		if ch.Action == plan.Delete {
			return id, nil
		}
		newID, err := create()
		if err != nil {
			// The old client is gone: a re-run plans a create, which finishes the replacement.
			return "", fmt.Errorf("apply: replace appClient %q: deleted the old client, but the create failed: %w", ch.Key, err)
		}
		return newID, nil
	}
	return "", fmt.Errorf("apply: %s of an appClient is not supported", ch.Action)
}

// marker returns the metadata patch that sets this state's managed-by marker when the live
// resource does not carry it yet (an adoption), or nil.
func (ex *executor) marker(before *plan.Values) map[string]*string {
	if before.Owner == ex.owner {
		return nil
	}
	owner := ex.owner
	return map[string]*string{spec.ManagedByKey: &owner}
}

func (ex *executor) setAccount(path, id string) {
	ex.mu.Lock()
	ex.accounts[path] = id
	ex.mu.Unlock()
}

func (ex *executor) setUser(email, id string) {
	ex.mu.Lock()
	ex.users[strings.ToLower(email)] = id
	ex.mu.Unlock()
}

// accountID returns the id of the account at path: one the plan knows or a create of this run
// recorded, else one found by reading the account tree down from the root.
func (ex *executor) accountID(ctx context.Context, path string, calls *int) (string, error) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if id, ok := ex.accounts[path]; ok {
		return id, nil
	}
	// Walk down the path, listing the children of each level not known yet; the lock keeps
	// concurrent lookups from repeating the reads.
	parent, id := "", ex.p.Target.Account
	for _, name := range strings.Split(path, "/") {
		p := spec.JoinPath(parent, name)
		if known, ok := ex.accounts[p]; ok {
			parent, id = p, known
			continue
		}
		*calls++
		children, err := ex.c.ListChildAccounts(ctx, id)
		if err != nil {
			return "", fmt.Errorf("looking up account %s: %w", path, err)
		}
		found := ""
		for _, a := range children {
			if a.Name == name {
				found = a.ID
			}
		}
		if found == "" {
			return "", fmt.Errorf("account %s does not exist", p)
		}
		ex.accounts[p] = found
		parent, id = p, found
	}
	return id, nil
}

// userID returns the id of the user with email: one the plan knows or a create of this run
// recorded, else one found in the application's user list, read once.
func (ex *executor) userID(ctx context.Context, email string, calls *int) (string, error) {
	email = strings.ToLower(email)
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if id, ok := ex.users[email]; ok {
		return id, nil
	}
	if !ex.usersRead {
		*calls++
		users, err := ex.c.ListUsers(ctx, ex.p.Target.Application)
		if err != nil {
			return "", fmt.Errorf("looking up user %s: %w", email, err)
		}
		ex.usersRead = true
		for _, u := range users {
			if _, ok := ex.users[strings.ToLower(u.Email)]; !ok {
				ex.users[strings.ToLower(u.Email)] = u.ID
			}
		}
		if id, ok := ex.users[email]; ok {
			return id, nil
		}
	}
	return "", fmt.Errorf("user %s does not exist", email)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func equalPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
