package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/inbox-manager/inboxctl/api"
	"github.com/inbox-manager/inboxctl/auth"
	"github.com/inbox-manager/inboxctl/sandbox"
	"github.com/inbox-manager/inboxctl/sandbox/sandboxtest"
	"github.com/urfave/cli/v2"
)

// runGlobals runs a one-command app with the global flags and env hook of newApp; action gets
// the command's context.
func runGlobals(t *testing.T, env map[string]string, args []string, action func(c *cli.Context, s *streams) error) (stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	s := &streams{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(k string) string { return env[k] }}
	app := &cli.App{
		Name: "inboxctl", Writer: &out, ErrWriter: &errb,
		Flags:          globalFlags(s),
		Before:         applyGlobalEnv(s),
		ExitErrHandler: func(*cli.Context, error) {},
		Commands: []*cli.Command{{
			Name:   "probe",
			Action: func(c *cli.Context) error { return action(c, s) },
		}},
	}
	err = app.Run(append(append([]string{"inboxctl"}, args...), "probe"))
	return errb.String(), err
}

func TestMissingCredentialsNameFlagAndVariable(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"client credentials", nil, nil,
			"missing client credentials: set --client-id/AUTH_BACKEND_ADMIN_CLIENT_ID and --client-secret/AUTH_BACKEND_ADMIN_CLIENT_SECRET (or --client-secret-file/AUTH_BACKEND_ADMIN_CLIENT_SECRET_FILE)"},
		{"secret only", map[string]string{envClientID: "id"}, nil,
			"missing client credentials: set --client-id/AUTH_BACKEND_ADMIN_CLIENT_ID and --client-secret/AUTH_BACKEND_ADMIN_CLIENT_SECRET (or --client-secret-file/AUTH_BACKEND_ADMIN_CLIENT_SECRET_FILE)"},
		{"password grant", map[string]string{envClientID: "id", envClientSecret: "s", envGrant: "password"}, nil,
			"missing password-grant credentials: set --username/INBOXCTL_USERNAME and --password/INBOXCTL_PASSWORD (or --password-file/INBOXCTL_PASSWORD_FILE)"},
		{"both", nil, []string{"--grant", "password"},
			"missing client credentials: set --client-id/AUTH_BACKEND_ADMIN_CLIENT_ID and --client-secret/AUTH_BACKEND_ADMIN_CLIENT_SECRET (or --client-secret-file/AUTH_BACKEND_ADMIN_CLIENT_SECRET_FILE); missing password-grant credentials: set --username/INBOXCTL_USERNAME and --password/INBOXCTL_PASSWORD (or --password-file/INBOXCTL_PASSWORD_FILE)"},
		{"secret twice in the environment", map[string]string{envClientID: "id", envClientSecret: "s", envClientSecretFile: "/x"}, nil,
			"set only one of AUTH_BACKEND_ADMIN_CLIENT_SECRET and AUTH_BACKEND_ADMIN_CLIENT_SECRET_FILE"},
		{"secret twice on the command line", map[string]string{envClientID: "id"}, []string{"--client-secret", "s", "--client-secret-file", "/x"},
			"set only one of --client-secret and --client-secret-file"},
		{"plain http api", map[string]string{envClientID: "id", envClientSecret: "s", envAPIURL: "http://api.example.com"}, nil,
			`auth: --api-url "http://api.example.com" uses plain http to a host that is not loopback: use https, or --insecure-http`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runGlobals(t, tt.env, tt.args, func(c *cli.Context, s *streams) error {
				_, err := openSession(c, s, false)
				return err
			})
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGlobalFlagsFromEnvironment(t *testing.T) {
	type values struct {
		APIURL, TokenURL, RevokeURL, Grant, LogFormat string
		Timeout                                       time.Duration
		MaxRPS                                        float64
		NoColor                                       bool
	}
	read := func(c *cli.Context) values {
		return values{c.String("api-url"), c.String("token-url"), c.String("revoke-url"), c.String("grant"),
			c.String("log-format"), c.Duration("timeout"), c.Float64("max-rps"), c.Bool("no-color")}
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want values
	}{
		{"defaults", nil, nil, values{defaultAPIURL, defaultTokenURL, "", "client_credentials", "text", 30 * time.Minute, 0, false}},
		{"environment", map[string]string{envAPIURL: "http://127.0.0.1:1", envTimeout: "5m", envMaxRPS: "2.5", envNoColor: "1", envLogFormat: "json"}, nil,
			values{"http://127.0.0.1:1", defaultTokenURL, "", "client_credentials", "json", 5 * time.Minute, 2.5, true}},
		{"flags beat environment", map[string]string{envAPIURL: "http://127.0.0.1:1", envGrant: "password"}, []string{"--api-url", "https://b", "--grant", "client_credentials"},
			values{"https://b", defaultTokenURL, "", "client_credentials", "text", 30 * time.Minute, 0, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got values
			if _, err := runGlobals(t, tt.env, tt.args, func(c *cli.Context, s *streams) error { got = read(c); return nil }); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBadGlobalValuesFailBeforeTheCommand(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"log level":  {envLogLevel: "loud"},
		"log format": {envLogFormat: "xml"},
		"grant":      {envGrant: "implicit"},
		"timeout":    {envTimeout: "soon"},
	} {
		t.Run(name, func(t *testing.T) {
			ran := false
			_, err := runGlobals(t, env, nil, func(*cli.Context, *streams) error { ran = true; return nil })
			if err == nil || ran {
				t.Errorf("err = %v, ran = %v; want an error before the command", err, ran)
			}
		})
	}
}

func TestCommandContextAppliesTimeout(t *testing.T) {
	_, err := runGlobals(t, map[string]string{envTimeout: "1m"}, nil, func(c *cli.Context, s *streams) error {
		ctx, cancel := commandContext(c)
		defer cancel()
		dl, ok := ctx.Deadline()
		if !ok || time.Until(dl) > time.Minute || time.Until(dl) < 50*time.Second {
			return errors.New("no one-minute deadline")
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

func sandboxEnv(srv *sandbox.Server) map[string]string {
	return map[string]string{
		envAPIURL: srv.URL(), envTokenURL: srv.TokenURL(),
		envClientID: sandbox.DefaultClientID, envClientSecret: sandbox.DefaultClientSecret,
	}
}

func TestSessionAgainstSandbox(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	env := sandboxEnv(srv)
	env[envLogLevel] = "debug"
	env[envLogFormat] = "json"
	// The password comes from a file.
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(sandbox.DefaultPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env[envGrant], env[envUsername], env[envPasswordFile] = "password", sandbox.DefaultUsername, pwFile
	stderr, err := runGlobals(t, env, nil, func(c *cli.Context, s *streams) error {
		ss, err := openSession(c, s, false)
		if err != nil {
			return err
		}
		ctx, cancel := commandContext(c)
		defer cancel()
		defer ss.Close(ctx)
		if _, err := ss.API.CreateUser(ctx, sandbox.DefaultApplicationID, api.CreateUserRequest{Email: "s@example.com"}); err != nil {
			return err
		}
		if ss.Auth.Stats().Obtained != 1 {
			return errors.New("no token obtained")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Stats().RevokeRequests; got != 2 {
		t.Errorf("%d revoke requests after Close, want 2 (refresh, then access)", got)
	}
	if !strings.Contains(stderr, `"msg":"api request"`) {
		t.Errorf("no debug JSON log on stderr:\n%s", stderr)
	}
	for _, secret := range []string{sandbox.DefaultClientSecret, sandbox.DefaultPassword, "Bearer"} {
		if strings.Contains(stderr, secret) {
			t.Errorf("stderr holds %q", secret)
		}
	}
}

func TestReadOnlySessionBlocksWrites(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	_, err := runGlobals(t, sandboxEnv(srv), nil, func(c *cli.Context, s *streams) error {
		ss, err := openSession(c, s, true)
		if err != nil {
			return err
		}
		ctx := context.Background()
		defer ss.Close(ctx)
		if _, err := ss.API.GetAccount(ctx, sandbox.DefaultRootAccountID); err != nil {
			return err
		}
		_, err = ss.API.CreateUser(ctx, sandbox.DefaultApplicationID, api.CreateUserRequest{Email: "x@example.com"})
		if !errors.Is(err, auth.ErrReadOnly) {
			return errors.New("create through a read-only session: " + errString(err))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st := srv.Stats()
	if st.APIByMethod["POST"] != 0 || st.RevokeRequests != 1 {
		t.Errorf("sandbox saw %d POSTs and %d revocations, want 0 and 1", st.APIByMethod["POST"], st.RevokeRequests)
	}
}

func TestCloseWarnsWhenRevocationFails(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	env := sandboxEnv(srv)
	env[envRevokeURL] = srv.URL() + "/oauth2/nowhere"
	stderr, err := runGlobals(t, env, nil, func(c *cli.Context, s *streams) error {
		ss, err := openSession(c, s, false)
		if err != nil {
			return err
		}
		if _, err := ss.API.GetAccount(context.Background(), sandbox.DefaultRootAccountID); err != nil {
			return err
		}
		ss.Close(context.Background())
		return nil
	})
	if err != nil {
		t.Fatalf("a failed revocation failed the command: %v", err)
	}
	if !strings.Contains(stderr, "warning: token revocation failed") {
		t.Errorf("stderr %q, want a revocation warning", stderr)
	}
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// A server that accepts a request and never answers must not hold a command forever: the API
// client bounds each attempt, and the connection pool bounds the wait for response headers.
func TestSessionTransportBoundsTheWaitForAnAnswer(t *testing.T) {
	env := map[string]string{envClientID: "id", envClientSecret: "s"}
	_, err := runGlobals(t, env, nil, func(c *cli.Context, s *streams) error {
		ss, err := openSession(c, s, false)
		if err != nil {
			return err
		}
		if got := ss.transport.ResponseHeaderTimeout; got <= 0 || got > api.DefaultAttemptTimeout {
			t.Errorf("ResponseHeaderTimeout = %s, want in (0, %s]", got, api.DefaultAttemptTimeout)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A secret (or its file) given on the command line wins over the other form in the environment,
// as every flag wins over its variable; only two forms at the same level conflict.
func TestSecretOnTheCommandLineWinsOverTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	secretFile, pwFile := filepath.Join(dir, "secret"), filepath.Join(dir, "pw")
	if err := os.WriteFile(secretFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pwFile, []byte("pw-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{envClientID: "id", envGrant: "password", envUsername: "u"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		secret string
		pw     string
	}{
		{"file flag over secret variable", with(envClientSecret, "from-env", envPassword, "pw-from-env"),
			[]string{"--client-secret-file", secretFile, "--password-file", pwFile}, "from-file", "pw-from-file"},
		{"secret flag over file variable", with(envClientSecretFile, secretFile, envPasswordFile, pwFile),
			[]string{"--client-secret", "from-flag", "--password", "pw-from-flag"}, "from-flag", "pw-from-flag"},
		{"variables alone", with(envClientSecretFile, secretFile, envPassword, "pw-from-env"), nil, "from-file", "pw-from-env"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got credentials
			_, err := runGlobals(t, tt.env, tt.args, func(c *cli.Context, s *streams) error {
				var err error
				got, err = readCredentials(c)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			want := credentials{clientID: "id", clientSecret: tt.secret, username: "u", password: tt.pw}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(credentials{})); diff != "" {
				t.Errorf("credentials (-want +got):\n%s", diff)
			}
		})
	}
	_, err := runGlobals(t, with(envClientSecret, "s", envPassword, "a", envPasswordFile, pwFile), nil, func(c *cli.Context, s *streams) error {
		_, err := readCredentials(c)
		return err
	})
	if want := "set only one of INBOXCTL_PASSWORD and INBOXCTL_PASSWORD_FILE"; errString(err) != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}
