package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// driftCommand is a placeholder until its issue lands. TEMPORARY.
func driftCommand(s *streams) *cli.Command {
	return &cli.Command{
		Name:   "drift",
		Usage:  "not implemented yet",
		Action: func(*cli.Context) error { return errors.New("drift: not implemented yet") },
	}
}
