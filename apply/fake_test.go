package apply

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/inbox-manager/inboxctl/api"
	"github.com/inbox-manager/inboxctl/spec"
)

// fakeAPI is an in-memory tenant that enforces the admin API's 404 and 409 rules, injects
// failures per resource key, counts calls and tracks how many writes are in flight at once.
type fakeAPI struct {
	mu       sync.Mutex
	app      string
	root     string
	nextID   int
	users    map[string]*api.User
	accounts map[string]*api.Account
	members  map[string]*api.Member
	clients  map[string]*api.AppClient // by id

	// fail makes writes to these keys ("user alice@x", "account ops/a", "member ops/bob@x",
	// "appClient App") fail with a 500.
	fail map[string]bool
	// delay is how long every write takes.
	delay time.Duration
	// onWrite, if set, is called at the start of every write (outside the lock).
	onWrite func(n int)

	// readErr, if set, fails every read.
	readErr error

	writes, reads         int
	inflight, maxInflight int
	calls                 []string // "METHOD key" of each write, in order
}

func newFake() *fakeAPI {
	f := &fakeAPI{app: "app_demo", root: "acc_root",
		users: map[string]*api.User{}, accounts: map[string]*api.Account{},
		members: map[string]*api.Member{}, clients: map[string]*api.AppClient{},
		fail: map[string]bool{}}
	f.accounts["acc_root"] = &api.Account{ID: "acc_root", Name: "root"}
	return f
}

func apiErr(status int, code string) error {
	return &api.Error{StatusCode: status, Code: code, Message: code}
}

func (f *fakeAPI) id(prefix string) string {
	f.nextID++
	return fmt.Sprintf("%s_%d", prefix, f.nextID)
}

// write wraps one write: it counts it, tracks concurrency, waits delay, and fails when the key
// is in f.fail or when ctx is already cancelled (apply must send in-flight work on a context
// that an interrupt does not cancel).
func (f *fakeAPI) write(ctx context.Context, what string, key func() string, do func() error) error {
	f.mu.Lock()
	f.writes++
	n := f.writes
	f.inflight++
	if f.inflight > f.maxInflight {
		f.maxInflight = f.inflight
	}
	hook := f.onWrite
	f.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inflight--
	if ctx.Err() != nil {
		return fmt.Errorf("fake: %s sent with a cancelled context: %w", what, ctx.Err())
	}
	k := key()
	f.calls = append(f.calls, what+" "+k)
	if f.fail[k] {
		return apiErr(http.StatusInternalServerError, "injected")
	}
	return do()
}

func (f *fakeAPI) read() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return f.readErr
}

// pathOf returns the account path of an account id ("" for the root); f.mu must be held.
func (f *fakeAPI) pathOf(id string) string {
	if id == f.root {
		return ""
	}
	a, ok := f.accounts[id]
	if !ok {
		return "?" + id
	}
	return spec.JoinPath(f.pathOf(a.ParentID), a.Name)
}

func (f *fakeAPI) memberKey(accountID, userID string) string {
	email := "?" + userID
	if u, ok := f.users[userID]; ok {
		email = u.Email
	}
	return "member " + spec.MemberKey(f.pathOf(accountID), email)
}

// --- users

func (f *fakeAPI) ListUsers(ctx context.Context, applicationID string) ([]api.User, error) {
	if err := f.read(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []api.User
	for _, u := range f.users {
		if u.ApplicationID == applicationID {
			out = append(out, *u)
		}
	}
	return out, nil
}

func (f *fakeAPI) GetUser(ctx context.Context, userID string) (*api.User, error) {
	if err := f.read(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[userID]
	if !ok {
		return nil, apiErr(http.StatusNotFound, "not_found")
	}
	cp := *u
	return &cp, nil
}

func (f *fakeAPI) CreateUser(ctx context.Context, applicationID string, req api.CreateUserRequest) (*api.User, error) {
	var out *api.User
	err := f.write(ctx, "CreateUser", func() string { return "user " + req.Email }, func() error {
		for _, u := range f.users {
			if strings.EqualFold(u.Email, req.Email) {
				return apiErr(http.StatusConflict, "email_taken")
			}
		}
		status := req.Status
		if status == "" {
			status = spec.StatusActive
		}
		u := &api.User{ID: f.id("usr"), ApplicationID: applicationID, Email: strings.ToLower(req.Email),
			Name: req.Name, Status: status, Metadata: copyMeta(req.Metadata)}
		f.users[u.ID] = u
		cp := *u
		out = &cp
		return nil
	})
	return out, err
}

func (f *fakeAPI) UpdateUser(ctx context.Context, userID string, req api.UpdateUserRequest) (*api.User, error) {
	var out *api.User
	err := f.write(ctx, "UpdateUser", func() string { return "user " + f.userEmail(userID) }, func() error {
		u, ok := f.users[userID]
		if !ok {
			return apiErr(http.StatusNotFound, "not_found")
		}
		if req.Name != nil {
			u.Name = *req.Name
		}
		if req.Status != nil {
			u.Status = *req.Status
		}
		u.Metadata = patchMeta(u.Metadata, req.Metadata)
		cp := *u
		out = &cp
		return nil
	})
	return out, err
}

func (f *fakeAPI) userEmail(id string) string {
	if u, ok := f.users[id]; ok {
		return u.Email
	}
	return "?" + id
}

func (f *fakeAPI) DeleteUser(ctx context.Context, userID string) error {
	return f.write(ctx, "DeleteUser", func() string { return "user " + f.userEmail(userID) }, func() error {
		if _, ok := f.users[userID]; !ok {
			return apiErr(http.StatusNotFound, "not_found")
		}
		for _, m := range f.members {
			if m.UserID == userID {
				return apiErr(http.StatusConflict, "user_has_memberships")
			}
		}
		delete(f.users, userID)
		return nil
	})
}

// --- accounts

func (f *fakeAPI) GetAccount(ctx context.Context, accountID string) (*api.Account, error) {
	if err := f.read(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.accounts[accountID]
	if !ok {
		return nil, apiErr(http.StatusNotFound, "not_found")
	}
	cp := *a
	return &cp, nil
}

func (f *fakeAPI) ListChildAccounts(ctx context.Context, accountID string) ([]api.Account, error) {
	if err := f.read(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.accounts[accountID]; !ok {
		return nil, apiErr(http.StatusNotFound, "not_found")
	}
	var out []api.Account
	for _, a := range f.accounts {
		if a.ParentID == accountID && a.ID != f.root {
			out = append(out, *a)
		}
	}
	return out, nil
}

func (f *fakeAPI) CreateAccount(ctx context.Context, parentID string, req api.CreateAccountRequest) (*api.Account, error) {
	var out *api.Account
	err := f.write(ctx, "CreateAccount", func() string { return "account " + spec.JoinPath(f.pathOf(parentID), req.Name) }, func() error {
		if _, ok := f.accounts[parentID]; !ok {
			return apiErr(http.StatusNotFound, "not_found")
		}
		for _, a := range f.accounts {
			if a.ParentID == parentID && a.Name == req.Name {
				return apiErr(http.StatusConflict, "name_taken")
			}
		}
		a := &api.Account{ID: f.id("acc"), ParentID: parentID, Name: req.Name, Metadata: copyMeta(req.Metadata)}
		f.accounts[a.ID] = a
		cp := *a
		out = &cp
		return nil
	})
	return out, err
}

func (f *fakeAPI) UpdateAccount(ctx context.Context, accountID string, req api.UpdateAccountRequest) (*api.Account, error) {
	var out *api.Account
	err := f.write(ctx, "UpdateAccount", func() string { return "account " + f.pathOf(accountID) }, func() error {
		a, ok := f.accounts[accountID]
		if !ok {
			return apiErr(http.StatusNotFound, "not_found")
		}
		if req.Name != nil {
			for _, s := range f.accounts {
				if s.ParentID == a.ParentID && s.Name == *req.Name && s.ID != a.ID {
					return apiErr(http.StatusConflict, "name_taken")
				}
			}
			a.Name = *req.Name
		}
		a.Metadata = patchMeta(a.Metadata, req.Metadata)
		cp := *a
		out = &cp
		return nil
	})
	return out, err
}

func (f *fakeAPI) DeleteAccount(ctx context.Context, accountID string) error {
	return f.write(ctx, "DeleteAccount", func() string { return "account " + f.pathOf(accountID) }, func() error {
		if _, ok := f.accounts[accountID]; !ok {
			return apiErr(http.StatusNotFound, "not_found")
		}
		for _, a := range f.accounts {
			if a.ParentID == accountID {
				return apiErr(http.StatusConflict, "account_not_empty")
			}
		}
		for _, m := range f.members {
			if m.AccountID == accountID {
				return apiErr(http.StatusConflict, "account_not_empty")
			}
		}
		delete(f.accounts, accountID)
		return nil
	})
}

// --- members

func (f *fakeAPI) ListMembers(ctx context.Context, accountID string) ([]api.Member, error) {
	if err := f.read(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.accounts[accountID]; !ok {
		return nil, apiErr(http.StatusNotFound, "not_found")
	}
	var out []api.Member
	for _, m := range f.members {
		if m.AccountID == accountID {
			out = append(out, *m)
		}
	}
	return out, nil
}

func (f *fakeAPI) AddMember(ctx context.Context, accountID string, req api.CreateMemberRequest) (*api.Member, error) {
	var out *api.Member
	err := f.write(ctx, "AddMember", func() string { return f.memberKey(accountID, req.UserID) }, func() error {
		if _, ok := f.accounts[accountID]; !ok {
			return apiErr(http.StatusNotFound, "not_found")
		}
		if _, ok := f.users[req.UserID]; !ok {
			return apiErr(http.StatusUnprocessableEntity, "unknown_user")
		}
		for _, m := range f.members {
			if m.AccountID == accountID && m.UserID == req.UserID {
				return apiErr(http.StatusConflict, "already_member")
			}
		}
		m := &api.Member{ID: f.id("mem"), AccountID: accountID, UserID: req.UserID, Role: req.Role}
		f.members[m.ID] = m
		cp := *m
		out = &cp
		return nil
	})
	return out, err
}

func (f *fakeAPI) UpdateMember(ctx context.Context, accountID, memberID string, req api.UpdateMemberRequest) (*api.Member, error) {
	var out *api.Member
	key := func() string {
		if m, ok := f.members[memberID]; ok {
			return f.memberKey(m.AccountID, m.UserID)
		}
		return "member ?" + memberID
	}
	err := f.write(ctx, "UpdateMember", key, func() error {
		m, ok := f.members[memberID]
		if !ok || m.AccountID != accountID {
			return apiErr(http.StatusNotFound, "not_found")
		}
		m.Role = req.Role
		cp := *m
		out = &cp
		return nil
	})
	return out, err
}

func (f *fakeAPI) RemoveMember(ctx context.Context, accountID, memberID string) error {
	key := func() string {
		if m, ok := f.members[memberID]; ok {
			return f.memberKey(m.AccountID, m.UserID)
		}
		return "member ?" + memberID
	}
	return f.write(ctx, "RemoveMember", key, func() error {
		m, ok := f.members[memberID]
		if !ok || m.AccountID != accountID {
			return apiErr(http.StatusNotFound, "not_found")
		}
		delete(f.members, memberID)
		return nil
	})
}

// --- app clients

func (f *fakeAPI) ListAppClients(ctx context.Context) ([]api.AppClientSummary, error) {
	if err := f.read(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []api.AppClientSummary
	for _, c := range f.clients {
		out = append(out, api.AppClientSummary{AppClientARN: c.ARN, VerificationStatus: c.VerificationDetails.VerificationStatus})
	}
	return out, nil
}

func (f *fakeAPI) GetAppClient(ctx context.Context, id string) (*api.AppClient, error) {
	if err := f.read(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.clients[id]
	if !ok {
		return nil, apiErr(http.StatusNotFound, "not_found")
	}
	cp := *c
	return &cp, nil
}

func (f *fakeAPI) clientName(id string) string {
	if c, ok := f.clients[id]; ok {
		return c.AppName
	}
	return "?" + id
}

func (f *fakeAPI) CreateAppClient(ctx context.Context, req api.CreateAppClientRequest) (*api.AppClientCreated, error) {
	var out *api.AppClientCreated
	err := f.write(ctx, "CreateAppClient", func() string { return "appClient " + req.AppName }, func() error {
		for _, c := range f.clients {
			if c.AppName == req.AppName {
				return apiErr(http.StatusConflict, "name_taken")
			}
		}
		id := f.id("uuid")
		c := &api.AppClient{AppName: req.AppName, ARN: "arn:aws:appfabric:us-east-1:1:appclient/" + id,
			CustomerManagedKeyARN: req.CustomerManagedKeyIdentifier, Description: req.Description,
			RedirectURLs: req.RedirectURLs, StarterUserEmails: req.StarterUserEmails,
			VerificationDetails: api.VerificationDetails{VerificationStatus: "pending_verification"}}
		f.clients[id] = c
		out = &api.AppClientCreated{ARN: c.ARN, VerificationStatus: "pending_verification", ClientID: "cid_" + id}
		return nil
	})
	return out, err
}

func (f *fakeAPI) UpdateAppClient(ctx context.Context, id string, req api.UpdateAppClientRequest) (*api.AppClient, error) {
	var out *api.AppClient
	err := f.write(ctx, "UpdateAppClient", func() string { return "appClient " + f.clientName(id) }, func() error {
		c, ok := f.clients[id]
		if !ok {
			return apiErr(http.StatusNotFound, "not_found")
		}
		c.RedirectURLs = req.RedirectURLs
		cp := *c
		out = &cp
		return nil
	})
	return out, err
}

func (f *fakeAPI) DeleteAppClient(ctx context.Context, id string) error {
	return f.write(ctx, "DeleteAppClient", func() string { return "appClient " + f.clientName(id) }, func() error {
		if _, ok := f.clients[id]; !ok {
			return apiErr(http.StatusNotFound, "not_found")
		}
		delete(f.clients, id)
		return nil
	})
}

var _ API = (*fakeAPI)(nil)

// --- seeding, for tests that start from an existing tenant

func (f *fakeAPI) seedUser(email, name, owner string) *api.User {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := &api.User{ID: f.id("usr"), ApplicationID: f.app, Email: email, Name: name, Status: spec.StatusActive, Metadata: ownerMeta(owner)}
	f.users[u.ID] = u
	return u
}

func (f *fakeAPI) seedAccount(parentID, name, owner string) *api.Account {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := &api.Account{ID: f.id("acc"), ParentID: parentID, Name: name, Metadata: ownerMeta(owner)}
	f.accounts[a.ID] = a
	return a
}

func (f *fakeAPI) seedMember(accountID, userID, role string) *api.Member {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := &api.Member{ID: f.id("mem"), AccountID: accountID, UserID: userID, Role: role}
	f.members[m.ID] = m
	return m
}

func (f *fakeAPI) seedAppClient(name string, urls ...string) *api.AppClient {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.id("uuid")
	c := &api.AppClient{AppName: name, ARN: "arn:aws:appfabric:us-east-1:1:appclient/" + id, Description: "d",
		RedirectURLs: urls, StarterUserEmails: []string{"s@example.com"},
		VerificationDetails: api.VerificationDetails{VerificationStatus: "verified"}}
	f.clients[id] = c
	return c
}

func ownerMeta(owner string) map[string]string {
	if owner == "" {
		return map[string]string{}
	}
	return map[string]string{spec.ManagedByKey: owner}
}

func copyMeta(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func patchMeta(m map[string]string, patch map[string]*string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	for k, v := range patch {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = *v
		}
	}
	return m
}
