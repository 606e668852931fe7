package live

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/inbox-manager/inboxctl/api"
	"github.com/inbox-manager/inboxctl/spec"
)

// Client is the part of the admin API client that reading the live state needs. *api.Client
// implements it; tests may pass a fake.
type Client interface {
	ListUsers(ctx context.Context, applicationID string) ([]api.User, error)
	GetAccount(ctx context.Context, accountID string) (*api.Account, error)
	ListChildAccounts(ctx context.Context, accountID string) ([]api.Account, error)
	ListMembers(ctx context.Context, accountID string) ([]api.Member, error)
	ListAppClients(ctx context.Context) ([]api.AppClientSummary, error)
	GetAppClient(ctx context.Context, id string) (*api.AppClient, error)
}

var _ Client = (*api.Client)(nil)

// DefaultParallelism is the number of API calls Read keeps in flight when Options leaves it 0.
const DefaultParallelism = 8

// Options tune Read.
type Options struct {
	// Parallelism bounds the API calls in flight (each call may read several pages in turn).
	// 0 means DefaultParallelism.
	Parallelism int
}

// Read reads the live resources in the scope of the desired state scope: only the kinds it
// mentions, under its application and root account. The result carries scope's owner,
// application, account, prune, mentions and ignore patterns, is canonical (see
// spec.State.Canonicalize) and holds:
//   - Users: every user of the application, when users are mentioned;
//   - Accounts: the whole subtree below the root account, when accounts are mentioned;
//   - Members: the members of every account of that subtree (accounts mentioned) and of the
//     root account (root members mentioned); memberships of users that are not users of the
//     application are left out (see the package comment);
//   - AppClients: every app client with its details, when app clients are mentioned.
//
// The root account is always read first, so that a wrong account id is a clear error. An app
// client deleted between the list and its GET is left out. The HTTP requests a read makes are
// counted by the client (api.Client.Requests), or for this read alone by an api.Counter
// attached to ctx with api.WithCounter.
func Read(ctx context.Context, c Client, scope *spec.State, opts Options) (*spec.State, error) {
	if scope == nil {
		return nil, errors.New("live: no scope to read")
	}
	m := scope.Mentions
	needTree := m.Accounts || m.RootMembers
	if scope.Account == "" && needTree {
		return nil, errors.New("live: no root account given")
	}
	if scope.Application == "" && (m.Users || needTree) {
		return nil, errors.New("live: no application given")
	}
	p := opts.Parallelism
	if p <= 0 {
		p = DefaultParallelism
	}
	// The root counts as reached, so that a child claiming it is a cycle caught at once.
	r := &reader{c: c, m: m, sem: make(chan struct{}, p), seen: map[string]bool{scope.Account: true}}
	out := &spec.State{
		Owner:       scope.Owner,
		Application: scope.Application,
		Account:     scope.Account,
		Prune:       scope.Prune,
		Mentions:    m,
		Ignore: spec.Ignore{
			Users:      append([]string(nil), scope.Ignore.Users...),
			Accounts:   append([]string(nil), scope.Ignore.Accounts...),
			AppClients: append([]string(nil), scope.Ignore.AppClients...),
		},
	}
	if scope.Account != "" {
		if err := r.call(ctx, func() (err error) {
			_, err = c.GetAccount(ctx, scope.Account)
			return err
		}); err != nil {
			if api.IsNotFound(err) {
				return nil, fmt.Errorf("live: root account %q does not exist (check the state's account): %w", scope.Account, err)
			}
			return nil, fmt.Errorf("live: root account %q: %w", scope.Account, err)
		}
	}

	g, gctx := errgroup.WithContext(ctx)
	var users []api.User
	if m.Users || needTree {
		g.Go(func() error {
			return r.call(gctx, func() (err error) {
				users, err = c.ListUsers(gctx, scope.Application)
				if err != nil {
					return fmt.Errorf("live: users of application %q: %w", scope.Application, err)
				}
				return nil
			})
		})
	}
	if m.AppClients {
		g.Go(func() error { return r.readAppClients(gctx, g) })
	}
	if needTree {
		r.visit(gctx, g, scope.Account, "", true)
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	emails := make(map[string]string, len(users))
	for _, u := range users {
		su := UserFromAPI(u)
		emails[u.ID] = su.Email
		if m.Users {
			out.Users = append(out.Users, su)
		}
	}
	out.Accounts = r.accounts
	for _, am := range r.members {
		email, ok := emails[am.UserID]
		if !ok {
			continue // not an application user: cannot be named, so never planned (see doc.go)
		}
		out.Members = append(out.Members, MemberFromAPI(am.Member, am.path, email))
	}
	out.AppClients = r.clients
	out.Canonicalize()
	return out, nil
}

// reader holds what one Read collects from its concurrent calls.
type reader struct {
	c   Client
	m   spec.Mentions
	sem chan struct{} // one slot per API call in flight

	mu       sync.Mutex
	seen     map[string]bool // account ids reached, so that a malformed tree cannot loop
	accounts []spec.Account
	members  []accountMember
	clients  []spec.AppClient
}

// accountMember is a membership read from the API with the path of its account.
type accountMember struct {
	api.Member
	path string
}

// call runs f while holding one of the in-flight slots.
func (r *reader) call(ctx context.Context, f func() error) error {
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-r.sem }()
	return f()
}

// visit schedules the reads of the account id at path ("" for the root): its children, which
// are visited in turn (a breadth-first walk bounded by the slots, not by goroutines), and its
// members.
func (r *reader) visit(ctx context.Context, g *errgroup.Group, id, path string, root bool) {
	if r.m.Accounts {
		g.Go(func() error {
			var children []api.Account
			err := r.call(ctx, func() (err error) {
				children, err = r.c.ListChildAccounts(ctx, id)
				return err
			})
			if err != nil {
				return fmt.Errorf("live: children of account %s: %w", describe(id, path), err)
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			for _, ch := range children {
				if r.seen[ch.ID] {
					return fmt.Errorf("live: account %s is reached twice in the account tree", ch.ID)
				}
				if strings.Contains(ch.Name, "/") {
					return fmt.Errorf("live: account %s: name %q holds a '/', which no account path can name", ch.ID, ch.Name)
				}
				r.seen[ch.ID] = true
				a := AccountFromAPI(ch, path)
				r.accounts = append(r.accounts, a)
				r.visit(ctx, g, ch.ID, a.Path, false)
			}
			return nil
		})
	}
	if (root && r.m.RootMembers) || (!root && r.m.Accounts) {
		g.Go(func() error {
			var members []api.Member
			err := r.call(ctx, func() (err error) {
				members, err = r.c.ListMembers(ctx, id)
				return err
			})
			if err != nil {
				return fmt.Errorf("live: members of account %s: %w", describe(id, path), err)
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			for _, m := range members {
				r.members = append(r.members, accountMember{Member: m, path: path})
			}
			return nil
		})
	}
}

// readAppClients lists the app clients and schedules one GET for each.
func (r *reader) readAppClients(ctx context.Context, g *errgroup.Group) error {
	var list []api.AppClientSummary
	err := r.call(ctx, func() (err error) {
		list, err = r.c.ListAppClients(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("live: app clients: %w", err)
	}
	for _, s := range list {
		id := spec.AppClientIDFromARN(s.AppClientARN)
		if id == "" {
			return fmt.Errorf("live: app client ARN %q has no id after \"appclient/\"", s.AppClientARN)
		}
		g.Go(func() error {
			var c *api.AppClient
			err := r.call(ctx, func() (err error) {
				c, err = r.c.GetAppClient(ctx, id)
				return err
			})
			if api.IsNotFound(err) {
				return nil // deleted since it was listed: it no longer exists
			}
			if err != nil {
				return fmt.Errorf("live: app client %s: %w", id, err)
			}
			sc := AppClientFromAPI(*c)
			r.mu.Lock()
			r.clients = append(r.clients, sc)
			r.mu.Unlock()
			return nil
		})
	}
	return nil
}

// describe names an account in errors: its path when it has one, else its id.
func describe(id, path string) string {
	if path == "" {
		return id + " (the root)"
	}
	return fmt.Sprintf("%q (%s)", path, id)
}
