package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// sandboxCommand is a placeholder until its issue lands. TEMPORARY.
func sandboxCommand(s *streams) *cli.Command {
	return &cli.Command{
		Name:   "sandbox",
		Usage:  "not implemented yet",
		Action: func(*cli.Context) error { return errors.New("sandbox: not implemented yet") },
	}
}
