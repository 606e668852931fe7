package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// validateCommand is a placeholder until its issue lands. TEMPORARY.
func validateCommand(s *streams) *cli.Command {
	return &cli.Command{
		Name:   "validate",
		Usage:  "not implemented yet",
		Action: func(*cli.Context) error { return errors.New("validate: not implemented yet") },
	}
}
