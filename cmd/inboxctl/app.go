package main

import (
	"github.com/urfave/cli/v2"
)

// run builds the command line, runs it with args and returns the exit code.
func run(args []string, s *streams) int {
	app := newApp(s)
	err := app.Run(normalizeArgs(app, args))
	if err != nil {
		report(s.Err, err)
	}
	return exitCode(err)
}

func newApp(s *streams) *cli.App {
	app := &cli.App{
		Name:                 "inboxctl",
		Usage:                "manage an inbox-manager tenant declaratively",
		Reader:               s.In,
		Writer:               s.Out,
		ErrWriter:            s.Err,
		EnableBashCompletion: true,
		HideHelpCommand:      false,
		Flags:                globalFlags(s),
		Before:               applyGlobalEnv(s),            // global flags from the environment, read with s.Getenv
		ExitErrHandler:       func(*cli.Context, error) {}, // exit codes are decided by run
		Commands: []*cli.Command{
			validateCommand(s),
			planCommand(s),
			applyCommand(s),
			driftCommand(s),
			exportCommand(s),
			sandboxCommand(s),
			schemaCommand(s),
			versionCommand(s),
			completionCommand(s),
		},
	}
	return app
}
