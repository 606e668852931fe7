package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// The grants a Source can use.
const (
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
)

// DefaultTokenTimeout bounds one token or revoke request when Config.HTTPClient has no timeout.
const DefaultTokenTimeout = 30 * time.Second

// maxExpiryMargin is how long before its expiry a token is replaced; short-lived tokens use a
// tenth of their lifetime instead.
const maxExpiryMargin = 10 * time.Second

// Config says how to obtain tokens.
type Config struct {
	TokenURL, RevokeURL string
	// Audience is sent with the client-credentials grant.
	Audience               string
	ClientID, ClientSecret string
	// Grant is GrantClientCredentials (the default) or GrantPassword.
	Grant string
	// Username and Password are for GrantPassword.
	Username, Password string
	// HTTPClient sends the token and revoke requests; nil means a client with
	// DefaultTokenTimeout. A client without a timeout gets DefaultTokenTimeout.
	HTTPClient *http.Client
	// Logger receives debug records about tokens (grant, lifetime), never a token. Nil discards.
	Logger *slog.Logger
	// InsecureHTTP allows plain http token and revoke URLs to hosts that are not loopback.
	InsecureHTTP bool
}

// Stats counts what a Source did.
type Stats struct {
	// Obtained counts tokens obtained with the client credentials or the password.
	Obtained int64
	// Refreshed counts tokens obtained with a refresh token.
	Refreshed int64
	// Invalidated counts tokens dropped after a 401.
	Invalidated int64
	// Replays counts requests replayed by a Transport after a 401.
	Replays int64
}

// Source obtains and caches tokens, can drop one after a 401, and revokes them at the end. It is
// safe for concurrent use; token requests are serialised, so concurrent callers share one.
type Source struct {
	cfg Config
	hc  *http.Client
	log *slog.Logger
	cc  *clientcredentials.Config
	pw  *oauth2.Config // password grant: refreshes
	// login is the password grant's login with the password (see New).
	login *clientcredentials.Config

	fetch chan struct{} // a one-slot lock held while a token is fetched

	mu      sync.Mutex
	cur     *oauth2.Token // the current token; nil when none or invalidated
	margin  time.Duration // how long before cur's expiry it is replaced
	refresh string        // the newest refresh token (password grant)

	obtained, refreshed, invalidated, replays atomic.Int64
}

// New checks cfg and returns a Source; it sends nothing.
func New(cfg Config) (*Source, error) {
	if cfg.Grant == "" {
		cfg.Grant = GrantClientCredentials
	}
	var missing []string
	if cfg.TokenURL == "" {
		missing = append(missing, "token URL")
	}
	if cfg.ClientID == "" {
		missing = append(missing, "client id")
	}
	if cfg.ClientSecret == "" {
		missing = append(missing, "client secret")
	}
	switch cfg.Grant {
	case GrantClientCredentials:
	case GrantPassword:
		if cfg.Username == "" {
			missing = append(missing, "username")
		}
		if cfg.Password == "" {
			missing = append(missing, "password")
		}
	default:
		return nil, fmt.Errorf("auth: unknown grant %q: want %q or %q", cfg.Grant, GrantClientCredentials, GrantPassword)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("auth: missing %v", missing)
	}
	if err := CheckURL("token URL", cfg.TokenURL, cfg.InsecureHTTP); err != nil {
		return nil, err
	}
	if cfg.RevokeURL != "" {
		if err := CheckURL("revoke URL", cfg.RevokeURL, cfg.InsecureHTTP); err != nil {
			return nil, err
		}
	}
	hc := &http.Client{Timeout: DefaultTokenTimeout}
	if cfg.HTTPClient != nil {
		cp := *cfg.HTTPClient
		if cp.Timeout == 0 {
			cp.Timeout = DefaultTokenTimeout
		}
		hc = &cp
	}
	// Token and revoke requests carry the client secret: a redirect must never take them to
	// another URL (or from https down to http), so a 3xx is the answer, not a hop.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s := &Source{cfg: cfg, hc: hc, log: cfg.Logger, fetch: make(chan struct{}, 1)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	// The auth style is explicit: AutoDetect would send a failing request twice.
	ep := oauth2.Endpoint{TokenURL: cfg.TokenURL, AuthStyle: oauth2.AuthStyleInParams}
	switch cfg.Grant {
	case GrantClientCredentials:
		s.cc = &clientcredentials.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, TokenURL: cfg.TokenURL,
			AuthStyle: oauth2.AuthStyleInParams,
		}
		if cfg.Audience != "" {
			s.cc.EndpointParams = map[string][]string{"audience": {cfg.Audience}}
		}
	case GrantPassword:
		s.pw = &oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: ep}
		// oauth2.Config.PasswordCredentialsToken cannot send the audience. The client-credentials
		// config can send any parameter, and lets grant_type be overridden for this purpose, so
		// the login goes through it; refreshes stay with s.pw's refreshing source.
		params := url.Values{"grant_type": {GrantPassword}, "username": {cfg.Username}, "password": {cfg.Password}}
		if cfg.Audience != "" {
			params.Set("audience", cfg.Audience)
		}
		s.login = &clientcredentials.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, TokenURL: cfg.TokenURL,
			AuthStyle: oauth2.AuthStyleInParams, EndpointParams: params,
		}
	}
	return s, nil
}

// Grant returns the grant the Source uses.
func (s *Source) Grant() string { return s.cfg.Grant }

// Stats returns what the Source did so far.
func (s *Source) Stats() Stats {
	return Stats{
		Obtained: s.obtained.Load(), Refreshed: s.refreshed.Load(),
		Invalidated: s.invalidated.Load(), Replays: s.replays.Load(),
	}
}

// Token returns a valid access token, obtaining or refreshing one when needed. Concurrent
// callers wait for one token request; ctx bounds the wait and the request.
func (s *Source) Token(ctx context.Context) (*oauth2.Token, error) {
	if t := s.valid(); t != nil {
		return t, nil
	}
	select {
	case s.fetch <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("auth: waiting for a token: %w", ctx.Err())
	}
	defer func() { <-s.fetch }()
	if t := s.valid(); t != nil {
		return t, nil // another caller fetched one while this one waited
	}
	t, err := s.get(ctx)
	if err != nil {
		return nil, err
	}
	if t.AccessToken == "" {
		return nil, errors.New("auth: the token endpoint answered without an access token")
	}
	margin := maxExpiryMargin
	if !t.Expiry.IsZero() {
		margin = min(margin, time.Until(t.Expiry)/10)
	}
	s.mu.Lock()
	s.cur, s.margin = t, margin
	if t.RefreshToken != "" {
		s.refresh = t.RefreshToken
	}
	s.mu.Unlock()
	return t, nil
}

// Invalidate drops the current token if its access token is accessToken, so that the next Token
// call obtains a new one. A token that was already replaced is left alone: of many requests
// refused with one token, only the first causes a new one. It reports whether it dropped one.
func (s *Source) Invalidate(accessToken string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil || s.cur.AccessToken != accessToken {
		return false
	}
	s.cur = nil
	s.invalidated.Add(1)
	s.log.Debug("auth: access token dropped after a 401")
	return true
}

func (s *Source) valid() *oauth2.Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		return nil
	}
	if !s.cur.Expiry.IsZero() && !time.Now().Add(s.margin).Before(s.cur.Expiry) {
		return nil
	}
	return s.cur
}

// get runs one grant.
func (s *Source) get(ctx context.Context) (*oauth2.Token, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.hc)
	if s.cc != nil {
		t, err := s.cc.Token(ctx)
		if err != nil {
			return nil, tokenError(GrantClientCredentials, err)
		}
		s.obtained.Add(1)
		s.logToken("obtained", GrantClientCredentials, t)
		return t, nil
	}
	s.mu.Lock()
	rt := s.refresh
	s.mu.Unlock()
	if rt != "" {
		// The refreshing source of x/oauth2: a token with only a refresh token refreshes at once,
		// and keeps the old refresh token if the answer carries none.
		t, err := s.pw.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
		if err == nil {
			s.refreshed.Add(1)
			s.logToken("refreshed", "refresh_token", t)
			return t, nil
		}
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
			return nil, tokenError("refresh_token", err)
		}
		// The refresh token expired or was revoked: log in again with the password, once.
		s.log.Debug("auth: refresh refused with invalid_grant; logging in again with the password")
		s.mu.Lock()
		if s.refresh == rt {
			s.refresh = ""
		}
		s.mu.Unlock()
	}
	t, err := s.login.Token(ctx)
	if err != nil {
		return nil, tokenError(GrantPassword, err)
	}
	s.obtained.Add(1)
	s.logToken("obtained", GrantPassword, t)
	return t, nil
}

func (s *Source) logToken(what, grant string, t *oauth2.Token) {
	attrs := []any{slog.String("grant", grant), slog.Bool("refresh_token", t.RefreshToken != "")}
	if !t.Expiry.IsZero() {
		attrs = append(attrs, slog.Duration("expires_in", time.Until(t.Expiry).Round(time.Second)))
	}
	s.log.Debug("auth: token "+what, attrs...)
}

// tokenError turns an x/oauth2 error into one that carries no response body (which could hold
// anything) but the RFC 6749 error code and description.
func tokenError(grant string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		te := &TokenError{Grant: grant, Code: re.ErrorCode, Description: re.ErrorDescription}
		if re.Response != nil {
			te.StatusCode = re.Response.StatusCode
			te.RetryAfter = parseRetryAfter(re.Response.Header.Get("Retry-After"), time.Now())
		}
		return te
	}
	return fmt.Errorf("auth: token request (%s grant): %w", grant, err)
}
