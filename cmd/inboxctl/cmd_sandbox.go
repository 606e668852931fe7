package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/inbox-manager/inboxctl/sandbox"
)

// sandboxCommand runs the local inbox-manager (CONTRACT section 5) until SIGINT or SIGTERM.
func sandboxCommand(s *streams) *cli.Command {
	return &cli.Command{
		Name:  "sandbox",
		Usage: "run a local inbox-manager (auth server and admin API on SQLite)",
		Description: "Prints shell export lines for the API URL, the token URL and the development\n" +
			"credentials on stdout, logs to stderr, and stops cleanly on SIGINT or SIGTERM.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8080", Usage: "listen address (port 0 picks a free port)"},
			&cli.StringFlag{Name: "db", Value: "inboxctl-sandbox.db", Usage: "SQLite file, or :memory:"},
			&cli.StringFlag{Name: "client-id", Value: sandbox.DefaultClientID, Usage: "the admin client's id"},
			&cli.StringFlag{Name: "client-secret", Value: sandbox.DefaultClientSecret, Usage: "the admin client's secret"},
			&cli.StringFlag{Name: "username", Value: sandbox.DefaultUsername, Usage: "the password grant's username"},
			&cli.StringFlag{Name: "password", Value: sandbox.DefaultPassword, Usage: "the password grant's password"},
			&cli.StringFlag{Name: "audience", Value: sandbox.DefaultAudience, Usage: "the audience of the tokens"},
			&cli.DurationFlag{Name: "token-ttl", Value: sandbox.DefaultTokenTTL, Usage: "access-token lifetime"},
			&cli.DurationFlag{Name: "refresh-ttl", Value: sandbox.DefaultRefreshTTL, Usage: "refresh-token lifetime"},
			&cli.DurationFlag{Name: "latency", Usage: "delay of every admin-API answer"},
			&cli.Float64Flag{Name: "fail-rate", Usage: "fraction (0..1) of admin-API requests answered 503"},
			&cli.Float64Flag{Name: "rate-limit", Usage: "admin-API requests a second; past it 429 (0: no limit)"},
			&cli.BoolFlag{Name: "auto-verify", Usage: "new app clients are verified at once"},
		},
		Action: func(c *cli.Context) error {
			return runSandbox(c, s, sandbox.Options{
				Addr: c.String("addr"), DB: c.String("db"),
				ClientID: c.String("client-id"), ClientSecret: c.String("client-secret"),
				Username: c.String("username"), Password: c.String("password"),
				Audience: c.String("audience"),
				TokenTTL: c.Duration("token-ttl"), RefreshTTL: c.Duration("refresh-ttl"),
				Latency: c.Duration("latency"), FailRate: c.Float64("fail-rate"),
				RateLimit: c.Float64("rate-limit"), AutoVerify: c.Bool("auto-verify"),
				Logger: slog.New(slog.NewTextHandler(s.Err, nil)),
			})
		},
	}
}

func runSandbox(c *cli.Context, s *streams, opts sandbox.Options) error {
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := sandbox.Start(ctx, opts)
	if err != nil {
		return err
	}
	// The sandbox's own development credentials are the one secret inboxctl ever prints.
	fmt.Fprintf(s.Out, "export INBOXCTL_API_URL=%s\n", shellQuote(srv.URL()))
	fmt.Fprintf(s.Out, "export INBOXCTL_TOKEN_URL=%s\n", shellQuote(srv.TokenURL()))
	fmt.Fprintf(s.Out, "export AUTH_BACKEND_ADMIN_CLIENT_ID=%s\n", shellQuote(opts.ClientID))
	fmt.Fprintf(s.Out, "export AUTH_BACKEND_ADMIN_CLIENT_SECRET=%s\n", shellQuote(opts.ClientSecret))
	<-ctx.Done()
	return srv.Close()
}

// shellQuote quotes v for a POSIX shell when it holds anything but plain characters.
func shellQuote(v string) string {
	if v != "" && strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,") == "" {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}
