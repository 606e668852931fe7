package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/inbox-manager/inboxctl/spec"
	"github.com/urfave/cli/v2"
)

// validateOptions holds everything validate needs, independently of the command line.
type validateOptions struct {
	Paths  []string
	Getenv func(string) string
	Err    io.Writer
}

func validateCommand(s *streams) *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check state files offline",
		ArgsUsage: "PATH...",
		Action: func(c *cli.Context) error {
			return validateRun(validateOptions{Paths: c.Args().Slice(), Getenv: s.Getenv, Err: s.Err})
		},
	}
}

// validateRun loads the state files and reports every error, one a line, on opts.Err; it ends
// the process with exit code 1 when any file is invalid.
func validateRun(opts validateOptions) error {
	if len(opts.Paths) == 0 {
		return withCode(exitError, errors.New("validate: give at least one state file or directory"))
	}
	st, err := spec.Load(opts.Paths, opts.Getenv)
	if err != nil {
		var es *spec.Errors
		if !errors.As(err, &es) {
			return withCode(exitError, fmt.Errorf("validate: %w", err))
		}
		for _, e := range *es {
			fmt.Fprintln(opts.Err, e.Error())
		}
		fmt.Fprintf(opts.Err, "invalid: %d %s\n", len(*es), plural(len(*es), "error", "errors"))
		return withCode(exitError, nil)
	}
	fmt.Fprintf(opts.Err, "valid: %d %s, %d %s, %d %s, %d %s\n",
		len(st.Users), plural(len(st.Users), "user", "users"),
		len(st.Accounts), plural(len(st.Accounts), "account", "accounts"),
		len(st.Members), plural(len(st.Members), "member", "members"),
		len(st.AppClients), plural(len(st.AppClients), "app client", "app clients"))
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
