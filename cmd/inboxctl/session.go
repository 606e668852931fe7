package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/inbox-manager/inboxctl/api"
	"github.com/inbox-manager/inboxctl/auth"
	"github.com/urfave/cli/v2"
)

// session is what a command that talks to the API needs: an authenticated API client, the token
// source (for revocation and counts) and the logger. Close it when the command is done.
type session struct {
	// API is the admin API client; its transport sets and renews the bearer token.
	API *api.Client
	// Auth is the token source: Auth.Stats() counts tokens obtained and refreshed.
	Auth *auth.Source
	// Log writes to stderr at --log-level in --log-format.
	Log *slog.Logger
	// APIURL is the admin API base URL, as given (without a trailing slash).
	APIURL string
	// ReadOnly says the session's transport refuses everything but GET and the token endpoints.
	ReadOnly bool

	errOut    io.Writer
	transport *http.Transport // the connection pool, closed with the session
}

// openSession builds the session of a command from the global flags. With readOnly, every request
// (API and token) goes through auth.ReadOnly (CONTRACT 2.3). It sends nothing: tokens are
// obtained on the first API request.
func openSession(c *cli.Context, s *streams, readOnly bool) (*session, error) {
	log := newLogger(c, s)
	creds, err := readCredentials(c)
	if err != nil {
		return nil, err
	}
	insecure := c.Bool("insecure-http")
	apiURL := strings.TrimRight(c.String("api-url"), "/")
	tokenURL := c.String("token-url")
	revokeURL := c.String("revoke-url")
	if revokeURL == "" {
		revokeURL = auth.DefaultRevokeURL(tokenURL)
	}
	if err := auth.CheckURL("--api-url", apiURL, insecure); err != nil {
		return nil, err
	}

	// One connection pool for the API and the token endpoint; proxies and extra CAs work as in
	// every Go program because this is a clone of the default transport.
	// The default keeps 2 idle connections per host: with more requests in flight, connections
	// would be closed and dialled again all the time. Keep one per request in flight (the
	// --parallelism of apply, plan and drift), and at least 64.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = max(64, c.Int("parallelism"))
	// A server that takes a request and never answers must not hold the command: the API client
	// gives each attempt api.DefaultAttemptTimeout, and this bounds the token requests too.
	tr.ResponseHeaderTimeout = api.DefaultAttemptTimeout
	var base http.RoundTripper = tr
	if readOnly {
		base = auth.ReadOnly(base, tokenURL, revokeURL)
	}
	src, err := auth.New(auth.Config{
		TokenURL: tokenURL, RevokeURL: revokeURL, Audience: c.String("audience"),
		ClientID: creds.clientID, ClientSecret: creds.clientSecret,
		Grant: c.String("grant"), Username: creds.username, Password: creds.password,
		HTTPClient:   &http.Client{Transport: base, Timeout: auth.DefaultTokenTimeout},
		Logger:       log,
		InsecureHTTP: insecure,
	})
	if err != nil {
		return nil, err
	}
	client, err := api.New(apiURL, &http.Client{Transport: src.Transport(base)}, api.Options{
		MaxRPS: c.Float64("max-rps"), Logger: log, UserAgent: "inboxctl/" + versionString(),
	})
	if err != nil {
		return nil, err
	}
	return &session{API: client, Auth: src, Log: log, APIURL: apiURL, ReadOnly: readOnly, errOut: s.Err, transport: tr}, nil
}

// Close revokes the session's tokens, best effort; a failure is a warning on stderr, not an
// error. It revokes even when ctx is already cancelled (an interrupted or timed-out command),
// within auth.RevokeTimeout.
func (ss *session) Close(ctx context.Context) {
	if ss == nil || ss.Auth == nil {
		return
	}
	if err := ss.Auth.Revoke(context.WithoutCancel(ctx)); err != nil {
		fmt.Fprintf(ss.errOut, "inboxctl: warning: token revocation failed: %v\n", err)
	}
	// Idle keep-alive connections would otherwise stay open until the process ends, which keeps
	// a server's graceful shutdown waiting (an embedded sandbox in tests, for one).
	if ss.transport != nil {
		ss.transport.CloseIdleConnections()
	}
}

type credentials struct {
	clientID, clientSecret string
	username, password     string
}

// readCredentials collects the credentials of the chosen grant, from flags, environment (already
// applied to the flags) or files, and reports everything missing in one error.
func readCredentials(c *cli.Context) (credentials, error) {
	var cr credentials
	var err error
	cr.clientID = c.String("client-id")
	cr.clientSecret, err = secretValue(c, "client-secret", envClientSecret, "client-secret-file", envClientSecretFile)
	if err != nil {
		return cr, err
	}
	var missing []string
	if cr.clientID == "" || cr.clientSecret == "" {
		missing = append(missing, fmt.Sprintf("missing client credentials: set --client-id/%s and --client-secret/%s (or --client-secret-file/%s)",
			envClientID, envClientSecret, envClientSecretFile))
	}
	if c.String("grant") == auth.GrantPassword {
		cr.username = c.String("username")
		cr.password, err = secretValue(c, "password", envPassword, "password-file", envPasswordFile)
		if err != nil {
			return cr, err
		}
		if cr.username == "" || cr.password == "" {
			missing = append(missing, fmt.Sprintf("missing password-grant credentials: set --username/%s and --password/%s (or --password-file/%s)",
				envUsername, envPassword, envPasswordFile))
		}
	}
	if len(missing) > 0 {
		return cr, fmt.Errorf("%s", strings.Join(missing, "; "))
	}
	return cr, nil
}

// secretValue reads a secret given directly or as a file (trailing newlines trimmed). Either form
// on the command line has already won over the environment (applyGlobalEnv), so both set means
// both flags or both variables: an error. Neither the secret nor the file's content is ever part
// of an error.
func secretValue(c *cli.Context, flag, env, fileFlag, fileEnv string) (string, error) {
	v, file := c.String(flag), c.String(fileFlag)
	if v != "" && file != "" {
		if onCommandLine(c, flag) {
			return "", fmt.Errorf("set only one of --%s and --%s", flag, fileFlag)
		}
		return "", fmt.Errorf("set only one of %s and %s", env, fileEnv)
	}
	if file == "" {
		return v, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("--%s/%s: %w", fileFlag, fileEnv, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// newLogger returns the logger of --log-format and --log-level, writing to stderr.
func newLogger(c *cli.Context, s *streams) *slog.Logger {
	level, err := parseLogLevel(c.String("log-level"))
	if err != nil {
		level = slog.LevelInfo // applyGlobalEnv has already refused a bad level
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.String("log-format") == "json" {
		return slog.New(slog.NewJSONHandler(s.Err, opts))
	}
	return slog.New(slog.NewTextHandler(s.Err, opts))
}

// commandContext returns the context of a command: c.Context with the --timeout deadline,
// cancelled on SIGINT or SIGTERM (which exitCode maps to 130). Call the CancelFunc when done.
func commandContext(c *cli.Context) (context.Context, context.CancelFunc) {
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	timeout := c.Duration("timeout")
	if timeout <= 0 {
		return ctx, stop
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	return ctx, func() { cancel(); stop() }
}
