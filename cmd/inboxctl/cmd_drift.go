package main

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/inbox-manager/inboxctl/live"
	"github.com/inbox-manager/inboxctl/plan"
	"github.com/inbox-manager/inboxctl/spec"
)

// driftOptions is everything `inboxctl drift` needs, independent of the command line.
type driftOptions struct {
	Paths       []string
	Format      string
	Parallelism int
	Color       bool
}

func driftCommand(s *streams) *cli.Command {
	return &cli.Command{
		Name:      "drift",
		Usage:     "report how the live tenant differs from the state files",
		ArgsUsage: "PATH...",
		Description: "The nightly check, read-only: managed resources that differ from the files, declared resources\n" +
			"that are missing, and live users and accounts in scope that nobody manages (unmarked or\n" +
			"another owner's), with a digest that is the same for the same drift.\n" +
			"Exit codes: 0 no drift, 2 drift, 1 error.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: formatText, Usage: "output format: text, json or markdown"},
			&cli.IntFlag{Name: "parallelism", Value: live.DefaultParallelism, Usage: "API reads in flight at once"},
		},
		Action: func(c *cli.Context) error {
			opts := driftOptions{
				Paths:       c.Args().Slice(),
				Format:      c.String("format"),
				Parallelism: c.Int("parallelism"),
				Color:       s.OutTTY && !c.Bool("no-color"),
			}
			if err := checkReadOptions("drift", opts.Paths, opts.Format, opts.Parallelism); err != nil {
				return err
			}
			desired, err := spec.Load(opts.Paths, s.Getenv)
			if err != nil {
				return err
			}
			ctx, cancel := commandContext(c)
			defer cancel()
			ss, err := openSession(c, s, true)
			if err != nil {
				return err
			}
			defer ss.Close(ctx)
			return runDrift(ctx, ss.API, targetURL(ss.APIURL), desired, opts, s)
		},
	}
}

// runDrift reads the live state in the scope of desired through c and writes the drift report.
func runDrift(ctx context.Context, c live.Client, apiURL string, desired *spec.State, opts driftOptions, s *streams) error {
	lv, err := readLive(ctx, c, desired, opts.Parallelism, s)
	if err != nil {
		return err
	}
	d, err := plan.ComputeDrift(desired, lv, plan.Options{
		MaxDeletePercent: defaultMaxDeletePercent,
		Target:           plan.Target{APIURL: apiURL},
	})
	if err != nil {
		return err
	}
	switch opts.Format {
	case formatJSON:
		err = plan.RenderDriftJSON(s.Out, d)
	case formatMarkdown:
		err = plan.RenderDriftMarkdown(s.Out, d, plan.MarkdownOptions{})
	default:
		err = plan.RenderDriftText(s.Out, d, plan.TextOptions{Color: opts.Color})
	}
	if err != nil {
		return err
	}
	if opts.Format != formatText {
		printWarnings(s.Err, d.Warnings)
	}
	if d.HasDrift() {
		return withCode(exitChanges, nil)
	}
	return nil
}
