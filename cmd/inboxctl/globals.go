package main

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// Defaults of the global flags (CONTRACT section 3).
const (
	defaultAPIURL   = "https://api.inbox-manager.com"
	defaultTokenURL = "https://auth.inbox-manager.com/oauth2/token"
	defaultAudience = "https://api.inbox-manager.com"
	defaultTimeout  = 30 * time.Minute
)

// Environment variables of the global flags.
const (
	envAPIURL           = "INBOXCTL_API_URL"
	envTokenURL         = "INBOXCTL_TOKEN_URL"
	envRevokeURL        = "INBOXCTL_REVOKE_URL"
	envAudience         = "INBOXCTL_AUDIENCE"
	envClientID         = "AUTH_BACKEND_ADMIN_CLIENT_ID"
	envClientSecret     = "AUTH_BACKEND_ADMIN_CLIENT_SECRET"
	envClientSecretFile = "AUTH_BACKEND_ADMIN_CLIENT_SECRET_FILE"
	envGrant            = "INBOXCTL_GRANT"
	envUsername         = "INBOXCTL_USERNAME"
	envPassword         = "INBOXCTL_PASSWORD"
	envPasswordFile     = "INBOXCTL_PASSWORD_FILE"
	envTimeout          = "INBOXCTL_TIMEOUT"
	envMaxRPS           = "INBOXCTL_MAX_RPS"
	envLogFormat        = "INBOXCTL_LOG_FORMAT"
	envLogLevel         = "INBOXCTL_LOG_LEVEL"
	envNoColor          = "NO_COLOR"
)

// globalEnv pairs each global flag with its environment variable. The variables are read through
// streams.Getenv by applyGlobalEnv (not by urfave/cli's EnvVars, which reads the process
// environment), so that tests can run commands with a fake environment.
var globalEnv = []struct{ flag, env string }{
	{"api-url", envAPIURL},
	{"token-url", envTokenURL},
	{"revoke-url", envRevokeURL},
	{"audience", envAudience},
	{"client-id", envClientID},
	{"client-secret", envClientSecret},
	{"client-secret-file", envClientSecretFile},
	{"grant", envGrant},
	{"username", envUsername},
	{"password", envPassword},
	{"password-file", envPasswordFile},
	{"timeout", envTimeout},
	{"max-rps", envMaxRPS},
	{"log-format", envLogFormat},
	{"log-level", envLogLevel},
}

// secretPartner pairs a secret's flag with the flag of its other form (the secret itself or a file
// holding it). Either given on the command line wins over both variables (CONTRACT 3: a flag wins
// over the environment), so a CI job can pass --client-secret-file while its environment holds
// AUTH_BACKEND_ADMIN_CLIENT_SECRET; only both forms at the same level conflict.
var secretPartner = map[string]string{
	"client-secret": "client-secret-file", "client-secret-file": "client-secret",
	"password": "password-file", "password-file": "password",
}

// metaOnCommandLine is the cli.App.Metadata key of the set of global flags given on the command
// line (map[string]bool), recorded by applyGlobalEnv before it applies the environment.
const metaOnCommandLine = "inboxctl.onCommandLine"

// onCommandLine reports whether the global flag was given on the command line, not taken from
// its environment variable.
func onCommandLine(c *cli.Context, flag string) bool {
	if c.App == nil {
		return c.IsSet(flag)
	}
	m, ok := c.App.Metadata[metaOnCommandLine].(map[string]bool)
	if !ok {
		return c.IsSet(flag)
	}
	return m[flag]
}

// globalFlags are the flags of CONTRACT section 3 shared by every command. Each flag's
// environment variable is applied by applyGlobalEnv (the app's Before hook).
func globalFlags(s *streams) []cli.Flag {
	env := func(usage, name string) string { return usage + " [$" + name + "]" }
	return []cli.Flag{
		&cli.StringFlag{Name: "api-url", Value: defaultAPIURL, Usage: env("admin API base URL", envAPIURL)},
		&cli.StringFlag{Name: "token-url", Value: defaultTokenURL, Usage: env("OAuth2 token endpoint", envTokenURL)},
		&cli.StringFlag{Name: "revoke-url", Usage: env("OAuth2 revocation endpoint (default: the token URL with its last segment replaced by \"revoke\")", envRevokeURL)},
		&cli.StringFlag{Name: "audience", Value: defaultAudience, Usage: env("audience of the tokens (both grants)", envAudience)},
		&cli.StringFlag{Name: "client-id", Usage: env("OAuth2 client id", envClientID)},
		&cli.StringFlag{Name: "client-secret", Usage: env("OAuth2 client secret (prefer --client-secret-file or the variable)", envClientSecret)},
		&cli.StringFlag{Name: "client-secret-file", Usage: env("read the client secret from this file", envClientSecretFile)},
		&cli.StringFlag{Name: "grant", Value: "client_credentials", Usage: env("OAuth2 grant: client_credentials or password", envGrant)},
		&cli.StringFlag{Name: "username", Usage: env("user name for --grant password", envUsername)},
		&cli.StringFlag{Name: "password", Usage: env("password for --grant password (prefer --password-file or the variable)", envPassword)},
		&cli.StringFlag{Name: "password-file", Usage: env("read the password from this file", envPasswordFile)},
		&cli.DurationFlag{Name: "timeout", Value: defaultTimeout, Usage: env("deadline of the whole command", envTimeout)},
		&cli.BoolFlag{Name: "insecure-http", Usage: "allow plain http to hosts that are not loopback"},
		&cli.Float64Flag{Name: "max-rps", Usage: env("client-side cap on API requests a second (0: none)", envMaxRPS)},
		&cli.StringFlag{Name: "log-format", Value: "text", Usage: env("log format on stderr: text or json", envLogFormat)},
		&cli.StringFlag{Name: "log-level", Value: "info", Usage: env("log level: debug, info, warn or error; debug logs every HTTP request", envLogLevel)},
		&cli.BoolFlag{Name: "no-color", Usage: "no colour in the output [$" + envNoColor + "]"},
	}
}

// applyGlobalEnv is the app's Before hook: it gives every global flag not set on the command line
// the value of its environment variable (read with s.Getenv), then checks the values that have a
// fixed set of choices, so that a bad one fails before any command runs.
func applyGlobalEnv(s *streams) cli.BeforeFunc {
	return func(c *cli.Context) error {
		getenv := s.Getenv
		if getenv == nil {
			getenv = func(string) string { return "" }
		}
		onCommandLine := map[string]bool{}
		for _, fe := range globalEnv {
			onCommandLine[fe.flag] = c.IsSet(fe.flag)
		}
		if c.App != nil {
			if c.App.Metadata == nil {
				c.App.Metadata = map[string]any{}
			}
			c.App.Metadata[metaOnCommandLine] = onCommandLine
		}
		for _, fe := range globalEnv {
			if onCommandLine[fe.flag] || onCommandLine[secretPartner[fe.flag]] {
				continue // a flag wins over its variable, and a secret's flag over its other form's variable
			}
			if v := getenv(fe.env); v != "" {
				if err := c.Set(fe.flag, v); err != nil {
					return fmt.Errorf("invalid value %q in %s: %w", v, fe.env, err)
				}
			}
		}
		if !c.IsSet("no-color") && getenv(envNoColor) != "" {
			if err := c.Set("no-color", "true"); err != nil {
				return err
			}
		}
		if _, err := parseLogLevel(c.String("log-level")); err != nil {
			return err
		}
		switch f := c.String("log-format"); f {
		case "text", "json":
		default:
			return fmt.Errorf("--log-format/%s: %q is not text or json", envLogFormat, f)
		}
		switch g := c.String("grant"); g {
		case "client_credentials", "password":
		default:
			return fmt.Errorf("--grant/%s: %q is not client_credentials or password", envGrant, g)
		}
		if c.Duration("timeout") < 0 {
			return fmt.Errorf("--timeout/%s: must not be negative", envTimeout)
		}
		if c.Float64("max-rps") < 0 {
			return fmt.Errorf("--max-rps/%s: must not be negative", envMaxRPS)
		}
		return nil
	}
}

func parseLogLevel(v string) (slog.Level, error) {
	switch strings.ToLower(v) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("--log-level/%s: %q is not debug, info, warn or error", envLogLevel, v)
}
