package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Defaults used when an Options field is zero. A request is retried while its MaxElapsed budget
// lasts; DefaultMaxAttempts is only a safety bound, above what the budget allows with these
// backoffs, and the first 8 attempts take at most about 13 s of waiting (CONTRACT 4: at least 8
// attempts and up to 2 minutes).
const (
	DefaultMaxAttempts    = 100
	DefaultMaxElapsed     = 2 * time.Minute
	DefaultBaseBackoff    = 100 * time.Millisecond
	DefaultMaxBackoff     = 10 * time.Second
	DefaultAttemptTimeout = 30 * time.Second
	DefaultUserAgent      = "inboxctl"
	maxRetryAfter         = 24 * time.Hour // only to keep the arithmetic far from overflow
	defaultRetryAfter429  = time.Second
)

// Options tune a Client. The zero value gives the defaults above and no client-side rate cap.
type Options struct {
	// MaxRPS caps the API requests a second over every goroutine using the Client; 0 means no cap.
	MaxRPS float64
	// Logger receives one debug record per HTTP request (method, path, status, duration,
	// attempt); never a header or a body. Nil discards.
	Logger *slog.Logger
	// MaxAttempts bounds the attempts of one request (first try included); the budget
	// (MaxElapsed) is what normally ends the retries.
	MaxAttempts int
	// MaxElapsed is the budget of one request over all its attempts and waits: retries go on
	// while it lasts, and a Retry-After longer than what is left of it ends them at once.
	MaxElapsed time.Duration
	// AttemptTimeout bounds one attempt (token, request and reading the answer); an attempt
	// that runs out of it is retried like a lost connection. The last attempt also ends when
	// MaxElapsed does.
	AttemptTimeout time.Duration
	// BaseBackoff and MaxBackoff shape the exponential backoff: the wait before retry n is
	// random in [d/2, d] with d = min(MaxBackoff, BaseBackoff*2^(n-1)).
	BaseBackoff, MaxBackoff time.Duration
	// UserAgent is sent with every request.
	UserAgent string
}

// Client is the admin API client. Its exported method set is the contract the live and apply
// packages code against. A Client is safe for concurrent use.
type Client struct {
	baseURL *url.URL
	hc      *http.Client
	opts    Options
	log     *slog.Logger
	limiter *rate.Limiter

	requests atomic.Int64
	retries  atomic.Int64

	mu        sync.Mutex
	notBefore time.Time // no request starts before this time (set by a 429)
}

// New returns a Client for the API at baseURL that sends its requests through hc (nil means a
// client with http.DefaultTransport). The Client uses a copy of hc that never follows redirects:
// a 3xx answer is reported as an authentication failure.
func New(baseURL string, hc *http.Client, opts Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("api: bad base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("api: bad base URL %q: want http(s)://host", baseURL)
	}
	if opts.MaxRPS < 0 {
		return nil, fmt.Errorf("api: max rps %v is negative", opts.MaxRPS)
	}
	var cp http.Client
	if hc != nil {
		cp = *hc
	}
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.MaxElapsed <= 0 {
		opts.MaxElapsed = DefaultMaxElapsed
	}
	if opts.BaseBackoff <= 0 {
		opts.BaseBackoff = DefaultBaseBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.AttemptTimeout <= 0 {
		opts.AttemptTimeout = DefaultAttemptTimeout
	}
	if opts.MaxBackoff < opts.BaseBackoff {
		opts.MaxBackoff = opts.BaseBackoff
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	c := &Client{baseURL: u, hc: &cp, opts: opts, log: opts.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if opts.MaxRPS > 0 {
		burst := int(opts.MaxRPS)
		if burst < 1 {
			burst = 1
		}
		c.limiter = rate.NewLimiter(rate.Limit(opts.MaxRPS), burst)
	}
	return c, nil
}

// BaseURL returns the API base URL the client talks to, without a trailing slash.
func (c *Client) BaseURL() string { return c.baseURL.String() }

// ListUsers returns every user of an application, reading all pages at the largest page size.
func (c *Client) ListUsers(ctx context.Context, applicationID string) ([]User, error) {
	return listAll[User](ctx, c, "/api/applications/"+url.PathEscape(applicationID)+"/users")
}

// GetUser reads one user.
func (c *Client) GetUser(ctx context.Context, userID string) (*User, error) {
	var u User
	if err := c.call(ctx, &call{method: http.MethodGet, path: "/api/users/" + url.PathEscape(userID), out: &u}); err != nil {
		return nil, err
	}
	return &u, nil
}

// CreateUser creates a user. A retried create answered 409, after an attempt that may have been
// carried out, is resolved by email: the user found is the result when its name, status and the
// metadata asked for (the owner's marker among them) are the request's.
func (c *Client) CreateUser(ctx context.Context, applicationID string, req CreateUserRequest) (*User, error) {
	var u User
	cl := &call{
		method: http.MethodPost, path: "/api/applications/" + url.PathEscape(applicationID) + "/users",
		body: req, out: &u,
		resolve: func(ctx context.Context) (string, error) {
			users, err := c.ListUsers(ctx, applicationID)
			if err != nil {
				return "", err
			}
			x, why := userByEmail(users, req.Email)
			if why != "" {
				return why, nil
			}
			if why := userDiffers(x, req); why != "" {
				return why, nil
			}
			u = *x
			return "", nil
		},
	}
	if err := c.call(ctx, cl); err != nil {
		return nil, err
	}
	return &u, nil
}

// UpdateUser patches a user.
func (c *Client) UpdateUser(ctx context.Context, userID string, req UpdateUserRequest) (*User, error) {
	var u User
	if err := c.call(ctx, &call{method: http.MethodPatch, path: "/api/users/" + url.PathEscape(userID), body: req, out: &u}); err != nil {
		return nil, err
	}
	return &u, nil
}

// DeleteUser deletes a user.
func (c *Client) DeleteUser(ctx context.Context, userID string) error {
	return c.call(ctx, &call{method: http.MethodDelete, path: "/api/users/" + url.PathEscape(userID)})
}

// GetAccount reads one account.
func (c *Client) GetAccount(ctx context.Context, accountID string) (*Account, error) {
	var a Account
	if err := c.call(ctx, &call{method: http.MethodGet, path: "/api/accounts/" + url.PathEscape(accountID), out: &a}); err != nil {
		return nil, err
	}
	return &a, nil
}

// ListChildAccounts returns every direct child of an account.
func (c *Client) ListChildAccounts(ctx context.Context, accountID string) ([]Account, error) {
	return listAll[Account](ctx, c, "/api/accounts/"+url.PathEscape(accountID)+"/accounts")
}

// CreateAccount creates a child account. A retried create answered 409, after an attempt that may
// have been carried out, is resolved by name when the metadata asked for is the request's.
func (c *Client) CreateAccount(ctx context.Context, parentID string, req CreateAccountRequest) (*Account, error) {
	var a Account
	cl := &call{
		method: http.MethodPost, path: "/api/accounts/" + url.PathEscape(parentID) + "/accounts",
		body: req, out: &a,
		resolve: func(ctx context.Context) (string, error) {
			children, err := c.ListChildAccounts(ctx, parentID)
			if err != nil {
				return "", err
			}
			for _, x := range children {
				if x.Name != req.Name {
					continue
				}
				if why := metadataDiffers(x.Metadata, req.Metadata); why != "" {
					return fmt.Sprintf("account %s named %q: %s", x.ID, x.Name, why), nil
				}
				a = x
				return "", nil
			}
			return fmt.Sprintf("no child account named %q", req.Name), nil
		},
	}
	if err := c.call(ctx, cl); err != nil {
		return nil, err
	}
	return &a, nil
}

// UpdateAccount patches an account.
func (c *Client) UpdateAccount(ctx context.Context, accountID string, req UpdateAccountRequest) (*Account, error) {
	var a Account
	if err := c.call(ctx, &call{method: http.MethodPatch, path: "/api/accounts/" + url.PathEscape(accountID), body: req, out: &a}); err != nil {
		return nil, err
	}
	return &a, nil
}

// DeleteAccount deletes an account.
func (c *Client) DeleteAccount(ctx context.Context, accountID string) error {
	return c.call(ctx, &call{method: http.MethodDelete, path: "/api/accounts/" + url.PathEscape(accountID)})
}

// ListMembers returns every member of an account.
func (c *Client) ListMembers(ctx context.Context, accountID string) ([]Member, error) {
	return listAll[Member](ctx, c, "/api/accounts/"+url.PathEscape(accountID)+"/members")
}

// AddMember adds a member. A retried create answered 409, after an attempt that may have been
// carried out, is resolved by user id when the role is the request's.
func (c *Client) AddMember(ctx context.Context, accountID string, req CreateMemberRequest) (*Member, error) {
	var m Member
	cl := &call{
		method: http.MethodPost, path: "/api/accounts/" + url.PathEscape(accountID) + "/members",
		body: req, out: &m,
		resolve: func(ctx context.Context) (string, error) {
			members, err := c.ListMembers(ctx, accountID)
			if err != nil {
				return "", err
			}
			for _, x := range members {
				if x.UserID != req.UserID {
					continue
				}
				if x.Role != req.Role {
					return fmt.Sprintf("membership %s of user %s has role %q, not %q", x.ID, x.UserID, x.Role, req.Role), nil
				}
				m = x
				return "", nil
			}
			return fmt.Sprintf("no membership of user %s", req.UserID), nil
		},
	}
	if err := c.call(ctx, cl); err != nil {
		return nil, err
	}
	return &m, nil
}

// UpdateMember changes a member's role.
func (c *Client) UpdateMember(ctx context.Context, accountID, memberID string, req UpdateMemberRequest) (*Member, error) {
	var m Member
	p := "/api/accounts/" + url.PathEscape(accountID) + "/members/" + url.PathEscape(memberID)
	if err := c.call(ctx, &call{method: http.MethodPatch, path: p, body: req, out: &m}); err != nil {
		return nil, err
	}
	return &m, nil
}

// RemoveMember removes a member.
func (c *Client) RemoveMember(ctx context.Context, accountID, memberID string) error {
	p := "/api/accounts/" + url.PathEscape(accountID) + "/members/" + url.PathEscape(memberID)
	return c.call(ctx, &call{method: http.MethodDelete, path: p})
}

// ListAppClients returns the summaries of every app client.
func (c *Client) ListAppClients(ctx context.Context) ([]AppClientSummary, error) {
	var all []AppClientSummary
	next := ""
	pages := newPager(http.MethodGet, "/appclients")
	for {
		q := url.Values{"maxResults": {strconv.Itoa(MaxAppClientPageSize)}}
		if next != "" {
			q.Set("nextToken", next)
		}
		var page struct {
			AppClientList []AppClientSummary `json:"appClientList"`
			NextToken     string             `json:"nextToken"`
		}
		if err := c.call(ctx, &call{method: http.MethodGet, path: "/appclients", query: q, out: &page}); err != nil {
			return nil, err
		}
		all = append(all, page.AppClientList...)
		if page.NextToken == "" {
			return all, nil
		}
		if err := pages.next(page.NextToken); err != nil {
			return nil, err
		}
		next = page.NextToken
	}
}

// GetAppClient reads one app client by id (the UUID after "appclient/" in its ARN).
func (c *Client) GetAppClient(ctx context.Context, id string) (*AppClient, error) {
	var out struct {
		AppClient AppClient `json:"appClient"`
	}
	if err := c.call(ctx, &call{method: http.MethodGet, path: "/appclients/" + url.PathEscape(id), out: &out}); err != nil {
		return nil, err
	}
	return &out.AppClient, nil
}

// CreateAppClient creates an app client. A retried create answered 409, after an attempt that may
// have been carried out, is resolved by appName when exactly one app client of that name has the
// request's description, redirect URLs and starter users.
func (c *Client) CreateAppClient(ctx context.Context, req CreateAppClientRequest) (*AppClientCreated, error) {
	var out struct {
		AppClientSummary AppClientCreated `json:"appClientSummary"`
	}
	cl := &call{
		method: http.MethodPost, path: "/appclients", body: req, out: &out,
		resolve: func(ctx context.Context) (string, error) {
			list, err := c.ListAppClients(ctx)
			if err != nil {
				return "", err
			}
			var found []*AppClient
			named := 0
			for _, s := range list {
				ac, err := c.GetAppClient(ctx, AppClientID(s.AppClientARN))
				if IsNotFound(err) {
					continue
				}
				if err != nil {
					return "", err
				}
				if ac.AppName != req.AppName {
					continue
				}
				named++
				if appClientMatches(ac, req) {
					found = append(found, ac)
				}
			}
			switch {
			case len(found) > 1:
				return fmt.Sprintf("%d app clients named %q have the same fields, so which one was created cannot be told", len(found), req.AppName), nil
			case len(found) == 0 && named > 0:
				return fmt.Sprintf("%d app client(s) named %q exist, with another description, redirect URLs or starter users", named, req.AppName), nil
			case len(found) == 0:
				return fmt.Sprintf("no app client named %q", req.AppName), nil
			}
			// The create response's clientId is not readable afterwards; the id in the ARN is
			// what every other call uses.
			ac := found[0]
			out.AppClientSummary = AppClientCreated{
				ARN: ac.ARN, VerificationStatus: ac.VerificationDetails.VerificationStatus,
				ClientID: AppClientID(ac.ARN),
			}
			return "", nil
		},
	}
	if err := c.call(ctx, cl); err != nil {
		return nil, err
	}
	return &out.AppClientSummary, nil
}

// UpdateAppClient changes an app client's redirect URLs.
func (c *Client) UpdateAppClient(ctx context.Context, id string, req UpdateAppClientRequest) (*AppClient, error) {
	var out struct {
		AppClient AppClient `json:"appClient"`
	}
	if err := c.call(ctx, &call{method: http.MethodPatch, path: "/appclients/" + url.PathEscape(id), body: req, out: &out}); err != nil {
		return nil, err
	}
	return &out.AppClient, nil
}

// DeleteAppClient deletes an app client.
func (c *Client) DeleteAppClient(ctx context.Context, id string) error {
	return c.call(ctx, &call{method: http.MethodDelete, path: "/appclients/" + url.PathEscape(id)})
}

// Requests returns how many HTTP requests the client has sent, retries included.
func (c *Client) Requests() int64 { return c.requests.Load() }

// Retries returns how many of the client's requests were retries (attempts after the first).
func (c *Client) Retries() int64 { return c.retries.Load() }

// AppClientID returns an app client's API id: the part of its ARN after "appclient/", or the
// whole ARN when it has no such part.
func AppClientID(arn string) string {
	const marker = "appclient/"
	if i := strings.LastIndex(arn, marker); i >= 0 {
		return arn[i+len(marker):]
	}
	return arn
}

// listAll reads every page of a cursor-paginated list at the largest page size.
func listAll[T any](ctx context.Context, c *Client, path string) ([]T, error) {
	var all []T
	cursor := ""
	pages := newPager(http.MethodGet, path)
	for {
		q := url.Values{"limit": {strconv.Itoa(MaxPageSize)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Data       []T    `json:"data"`
			NextCursor string `json:"next_cursor"`
		}
		if err := c.call(ctx, &call{method: http.MethodGet, path: path, query: q, out: &page}); err != nil {
			return nil, err
		}
		if all == nil {
			all = make([]T, 0, len(page.Data))
		}
		all = append(all, page.Data...)
		if page.NextCursor == "" {
			return all, nil
		}
		if err := pages.next(page.NextCursor); err != nil {
			return nil, err
		}
		cursor = page.NextCursor
	}
}

// maxPages bounds the pages one list reads: far more than any tenant holds (100 million users at
// the largest page size), so reaching it means the server's cursors never end.
const maxPages = 100_000

// pager guards one paginated list against a server whose cursors loop: a cursor seen before (on
// any earlier page, not only the last) or more than maxPages pages is an error.
type pager struct {
	method, path string
	seen         map[string]bool
}

func newPager(method, path string) *pager {
	return &pager{method: method, path: path, seen: map[string]bool{}}
}

// next records the cursor of the next page to read, refusing a repeat.
func (p *pager) next(cursor string) error {
	if p.seen[cursor] {
		return fmt.Errorf("api: %s %s: the server returned a cursor it had already returned, after %d pages (a pagination loop)", p.method, p.path, len(p.seen)+1)
	}
	if len(p.seen) >= maxPages {
		return fmt.Errorf("api: %s %s: more than %d pages (a pagination loop?)", p.method, p.path, maxPages)
	}
	p.seen[cursor] = true
	return nil
}

// userByEmail finds the user with email: the exact match, else the one match ignoring case. It
// returns why not when there is none, or several ignoring case and none exactly.
func userByEmail(users []User, email string) (*User, string) {
	var folded []*User
	for i := range users {
		switch {
		case users[i].Email == email:
			return &users[i], ""
		case strings.EqualFold(users[i].Email, email):
			folded = append(folded, &users[i])
		}
	}
	switch len(folded) {
	case 0:
		return nil, fmt.Sprintf("no user with email %q", email)
	case 1:
		return folded[0], ""
	}
	return nil, fmt.Sprintf("%d users have email %q but for case, none exactly", len(folded), email)
}

// userDiffers says how x differs from what req asked for ("" when it does not); fields req
// leaves empty are the server's choice and not compared.
func userDiffers(x *User, req CreateUserRequest) string {
	switch {
	case req.Name != "" && x.Name != req.Name:
		return fmt.Sprintf("user %s has name %q, not %q", x.ID, x.Name, req.Name)
	case req.Status != "" && x.Status != req.Status:
		return fmt.Sprintf("user %s has status %q, not %q", x.ID, x.Status, req.Status)
	}
	if why := metadataDiffers(x.Metadata, req.Metadata); why != "" {
		return fmt.Sprintf("user %s: %s", x.ID, why)
	}
	return ""
}

// metadataDiffers says which key of want got lacks or holds another value of ("" when none).
func metadataDiffers(got, want map[string]string) string {
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, ok := got[k]
		switch {
		case !ok:
			return fmt.Sprintf("metadata %q is not set, want %q", k, want[k])
		case v != want[k]:
			return fmt.Sprintf("metadata %q is %q, not %q", k, v, want[k])
		}
	}
	return ""
}

// appClientMatches reports whether ac has the description, redirect URLs and starter users of
// req (lists compared as sets; emails ignoring case).
func appClientMatches(ac *AppClient, req CreateAppClientRequest) bool {
	return ac.Description == req.Description &&
		sameSet(ac.RedirectURLs, req.RedirectURLs, func(s string) string { return s }) &&
		sameSet(ac.StarterUserEmails, req.StarterUserEmails, strings.ToLower)
}

func sameSet(a, b []string, key func(string) string) bool {
	set := func(xs []string) map[string]bool {
		m := make(map[string]bool, len(xs))
		for _, x := range xs {
			m[key(x)] = true
		}
		return m
	}
	sa, sb := set(a), set(b)
	if len(sa) != len(sb) {
		return false
	}
	for k := range sa {
		if !sb[k] {
			return false
		}
	}
	return true
}
