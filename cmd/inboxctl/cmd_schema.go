package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// schemaCommand is a placeholder until its issue lands. TEMPORARY.
func schemaCommand(s *streams) *cli.Command {
	return &cli.Command{
		Name:   "schema",
		Usage:  "not implemented yet",
		Action: func(*cli.Context) error { return errors.New("schema: not implemented yet") },
	}
}
