package main

import (
	"github.com/inbox-manager/inboxctl/spec"
	"github.com/urfave/cli/v2"
)

func schemaCommand(s *streams) *cli.Command {
	return &cli.Command{
		Name:  "schema",
		Usage: "print the JSON Schema of the state files (spec v1)",
		Action: func(c *cli.Context) error {
			_, err := s.Out.Write(spec.Schema())
			return err
		},
	}
}
