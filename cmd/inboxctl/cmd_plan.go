package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/inbox-manager/inboxctl/live"
	"github.com/inbox-manager/inboxctl/plan"
	"github.com/inbox-manager/inboxctl/spec"
)

// Output formats of plan and drift.
const (
	formatText     = "text"
	formatJSON     = "json"
	formatMarkdown = "markdown"
)

var formats = []string{formatText, formatJSON, formatMarkdown}

// planOptions is everything `inboxctl plan` needs, independent of the command line.
type planOptions struct {
	Paths            []string
	Format           string
	Out              string // PLANFILE to write the JSON plan to, "" for none
	DetailedExitCode bool
	Parallelism      int
	MaxDeletePercent float64
	Color            bool
}

func planCommand(s *streams) *cli.Command {
	return &cli.Command{
		Name:      "plan",
		Usage:     "show the changes that would take the live tenant to the state files",
		ArgsUsage: "PATH...",
		Description: "Reads the state files, reads the live resources they mention (read-only: the session can send\n" +
			"nothing but GET requests and token requests), and prints the ordered plan on stdout.\n" +
			"--out writes the plan as JSON for a later `inboxctl apply PLANFILE`.\n" +
			"Exit codes: 0 (with --detailed-exitcode: 0 no changes, 2 changes), 1 error.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: formatText, Usage: "output format: text, json or markdown"},
			&cli.StringFlag{Name: "out", Usage: "also write the plan as JSON to `PLANFILE`"},
			&cli.BoolFlag{Name: "detailed-exitcode", Usage: "exit 2 when the plan has changes"},
			&cli.IntFlag{Name: "parallelism", Value: live.DefaultParallelism, Usage: "API reads in flight at once"},
			&cli.Float64Flag{Name: "max-delete-percent", Value: defaultMaxDeletePercent, Usage: "warn when the plan deletes more than this share of what it could delete"},
		},
		Action: func(c *cli.Context) error {
			opts := planOptions{
				Paths:            c.Args().Slice(),
				Format:           c.String("format"),
				Out:              c.String("out"),
				DetailedExitCode: c.Bool("detailed-exitcode"),
				Parallelism:      c.Int("parallelism"),
				MaxDeletePercent: c.Float64("max-delete-percent"),
				Color:            s.OutTTY && !c.Bool("no-color"),
			}
			if err := checkReadOptions("plan", opts.Paths, opts.Format, opts.Parallelism); err != nil {
				return err
			}
			if err := checkMaxDeletePercent("plan", opts.MaxDeletePercent); err != nil {
				return err
			}
			// Invalid files stop the command before anything is sent to the API.
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
			return runPlan(ctx, ss.API, targetURL(ss.APIURL), desired, opts, s)
		},
	}
}

// checkReadOptions checks the options plan and drift share.
func checkReadOptions(cmd string, paths []string, format string, parallelism int) error {
	if len(paths) == 0 {
		return fmt.Errorf("%s: give one or more state files or directories", cmd)
	}
	if !slices.Contains(formats, format) {
		return fmt.Errorf("%s: --format must be text, json or markdown, not %q", cmd, format)
	}
	if parallelism < 1 {
		return fmt.Errorf("%s: --parallelism must be at least 1, not %d", cmd, parallelism)
	}
	return nil
}

// targetURL returns the API URL as a plan or drift report records it: without the user:password
// a URL may carry (which would end up in the JSON output and the PLANFILE) and without a trailing
// slash. A URL that does not parse (openSession refuses those) gives "".
func targetURL(apiURL string) string {
	u, err := url.Parse(apiURL)
	if err != nil {
		return ""
	}
	u.User = nil
	return strings.TrimRight(u.String(), "/")
}

// checkMaxDeletePercent refuses a --max-delete-percent that is not a percentage from 0 to 100:
// NaN would make every comparison of the delete check false, so that it never refuses.
func checkMaxDeletePercent(cmd string, v float64) error {
	if math.IsNaN(v) || v < 0 || v > 100 {
		return fmt.Errorf("%s: --max-delete-percent must be a percentage from 0 to 100, not %g", cmd, v)
	}
	return nil
}

// runPlan reads the live state in the scope of desired through c, computes the plan and writes
// it to stdout in opts.Format (and to opts.Out as JSON). apiURL is recorded in the plan's target
// as given: pass it through targetURL.
func runPlan(ctx context.Context, c live.Client, apiURL string, desired *spec.State, opts planOptions, s *streams) error {
	lv, err := readLive(ctx, c, desired, opts.Parallelism, s)
	if err != nil {
		return err
	}
	p, err := plan.Compute(desired, lv, plan.Options{
		MaxDeletePercent: opts.MaxDeletePercent,
		Target:           plan.Target{APIURL: apiURL},
	})
	if err != nil {
		return err
	}
	if opts.Out != "" {
		if err := writePlanFile(opts.Out, p); err != nil {
			return err
		}
	}
	switch opts.Format {
	case formatJSON:
		err = plan.RenderJSON(s.Out, p)
	case formatMarkdown:
		err = plan.RenderMarkdown(s.Out, p, plan.MarkdownOptions{})
	default:
		err = plan.RenderText(s.Out, p, plan.TextOptions{Color: opts.Color})
	}
	if err != nil {
		return err
	}
	if opts.Format != formatText { // the text plan shows its warnings itself
		printWarnings(s.Err, p.Warnings)
	}
	if opts.DetailedExitCode && p.HasChanges() {
		return withCode(exitChanges, nil)
	}
	return nil
}

// printWarnings writes warnings to w (stderr), one a line.
func printWarnings(w io.Writer, warnings []string) {
	for _, warn := range warnings {
		fmt.Fprintf(w, "inboxctl: warning: %s\n", warn)
	}
}

// writePlanFile writes p as a PLANFILE, replacing the file only once it is complete.
func writePlanFile(path string, p *plan.Plan) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".inboxctl-plan-*")
	if err != nil {
		return fmt.Errorf("plan: --out: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := plan.RenderJSON(tmp, p); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("plan: --out: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("plan: --out: %w", errors.Join(err, os.Remove(tmp.Name())))
	}
	return nil
}
