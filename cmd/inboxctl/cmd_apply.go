package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/inbox-manager/inboxctl/apply"
	"github.com/inbox-manager/inboxctl/plan"
	"github.com/inbox-manager/inboxctl/spec"
)

// defaultMaxDeletePercent is the delete check's threshold when --max-delete-percent is not given.
const defaultMaxDeletePercent = 25

// applyOptions is everything `inboxctl apply` needs, independent of the command line.
type applyOptions struct {
	Paths       []string
	AutoApprove bool
	Parallelism int
	// MaxDeletePercent is the delete check's threshold. Apply always makes the check itself
	// with it, a saved plan's included.
	MaxDeletePercent float64
	Force            bool
	ReportFile       string
	Color            bool
}

func applyCommand(s *streams) *cli.Command {
	return &cli.Command{
		Name:      "apply",
		Usage:     "carry out the plan that takes the live tenant to the state files (or a saved plan)",
		ArgsUsage: "PATH... | PLANFILE",
		Description: "Shows the plan on stdout, asks for 'yes' on a terminal (without one, --auto-approve is\n" +
			"required), and carries it out with --parallelism changes in flight. A saved plan (a JSON file\n" +
			"from plan --out) is first checked against the live state and refused when it is stale.\n" +
			"Exit codes: 0 done, 1 error before any change, 3 partly applied, 4 refused by the delete\n" +
			"check, 130 interrupted. The first SIGINT/SIGTERM lets the requests in flight finish; a\n" +
			"second one exits at once. --timeout running out is not an interrupt: no new change starts,\n" +
			"the requests in flight finish, and the exit is 3 (1 when no change had started).",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "auto-approve", Usage: "apply without asking (required without a terminal)"},
			&cli.IntFlag{Name: "parallelism", Value: apply.DefaultParallelism, Usage: "changes in flight at once"},
			&cli.Float64Flag{Name: "max-delete-percent", Value: defaultMaxDeletePercent, Usage: "refuse a plan deleting more than this share of what it could delete"},
			&cli.BoolFlag{Name: "force", Usage: "apply even when the delete check refuses"},
			&cli.StringFlag{Name: "report", Usage: "write a JSON run report to `FILE`"},
		},
		Action: func(c *cli.Context) error {
			opts := applyOptions{
				Paths:            c.Args().Slice(),
				AutoApprove:      c.Bool("auto-approve"),
				Parallelism:      c.Int("parallelism"),
				MaxDeletePercent: c.Float64("max-delete-percent"),
				Force:            c.Bool("force"),
				ReportFile:       c.String("report"),
				Color:            s.OutTTY && !c.Bool("no-color"),
			}
			if len(opts.Paths) == 0 {
				return errors.New("apply: give state files or directories, or one saved plan file")
			}
			if opts.Parallelism < 1 {
				return fmt.Errorf("apply: --parallelism must be at least 1, not %d", opts.Parallelism)
			}
			if err := checkMaxDeletePercent("apply", opts.MaxDeletePercent); err != nil {
				return err
			}
			// The interrupt notice and the progress write to stderr from different goroutines.
			locked := *s
			locked.Err = &syncWriter{w: s.Err}
			s := &locked
			ctx, cancel := applyContext(c, s)
			defer cancel()
			ss, err := openSession(c, s, false)
			if err != nil {
				return err
			}
			defer ss.Close(ctx)
			return runApply(ctx, ss, opts, s)
		},
	}
}

// applyContext returns the context of an apply: the --timeout deadline, cancelled by the first
// SIGINT or SIGTERM. After the first signal the default handling is restored, so a second one
// ends the process at once.
func applyContext(c *cli.Context, s *streams) (context.Context, context.CancelFunc) {
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithCancel(ctx)
	if timeout := c.Duration("timeout"); timeout > 0 {
		var cancelTimeout context.CancelFunc
		ctx, cancelTimeout = context.WithTimeout(ctx, timeout)
		prev := cancel
		cancel = func() { cancelTimeout(); prev() }
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
			signal.Stop(sig) // the next signal gets the default handling: exit at once
			fmt.Fprintln(s.Err, "\ninboxctl: interrupted: no new changes start; waiting for the requests in flight (interrupt again to exit at once)")
			cancel()
		case <-done:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(sig)
			close(done)
			cancel()
		})
	}
}

// runApply plans (or reads and checks a saved plan), shows the plan, asks, and applies.
func runApply(ctx context.Context, ss *session, opts applyOptions, s *streams) error {
	p, err := applyPlan(ctx, ss, opts, s)
	if err != nil {
		return err
	}
	// The delete check is redone before the plan is shown, so that the warning printed is the
	// one apply acts on, not the one a saved plan was made with.
	dc, err := apply.RedoDeleteCheck(p, opts.MaxDeletePercent)
	if err != nil {
		return err
	}
	setDeleteCheck(p, dc)
	if err := plan.RenderText(s.Out, p, plan.TextOptions{Color: opts.Color}); err != nil {
		return err
	}
	if len(p.Changes) == 0 {
		// A nightly run that finds nothing to do still leaves its report for the log system.
		if opts.ReportFile != "" {
			return writeReportFile(opts.ReportFile, &apply.Result{Started: time.Now()}, ss)
		}
		return nil
	}
	if err := apply.CheckDeletes(p, opts.MaxDeletePercent, opts.Force); err != nil {
		var refused *apply.RefusedError
		if errors.As(err, &refused) {
			return withCode(exitRefused, err)
		}
		return err
	}
	if !opts.AutoApprove {
		if err := confirm(s, len(p.Changes)); err != nil {
			return err
		}
	}
	obs := newProgress(s, p)
	res, runErr := apply.Run(ctx, p, ss.API, apply.Options{Parallelism: opts.Parallelism, Owner: p.Target.Owner}, obs)
	obs.done()
	if res == nil { // the plan itself was invalid: nothing was sent
		return runErr
	}
	printSummary(s.Err, res)
	if opts.ReportFile != "" {
		if err := writeReportFile(opts.ReportFile, res, ss); err != nil {
			fmt.Fprintf(s.Err, "inboxctl: warning: %v\n", err)
		}
	}
	return runOutcome(runErr)
}

// runOutcome gives the error of apply.Run its exit code: 130 for an interrupt, 3 when partly
// applied (a deadline that came after some change started included), and 1 for anything else,
// such as a deadline that came before any change started (nothing changed).
func runOutcome(runErr error) error {
	switch {
	case runErr == nil:
		return nil
	case errors.Is(runErr, apply.ErrInterrupted):
		return withCode(exitInterrupted, runErr)
	case errors.Is(runErr, apply.ErrPartial):
		return withCode(exitPartial, runErr)
	}
	return runErr
}

// setDeleteCheck gives p the delete check dc, replacing the warning of the check p carried.
func setDeleteCheck(p *plan.Plan, dc plan.DeleteCheck) {
	if old := p.DeleteCheck.Warning(); old != "" {
		p.Warnings = slices.DeleteFunc(p.Warnings, func(w string) bool { return w == old })
	}
	p.DeleteCheck = dc
	if w := dc.Warning(); w != "" {
		p.Warnings = append(p.Warnings, w)
	}
}

// applyPlan returns the plan to apply: a saved plan, checked against the live state, or one
// computed from the state files.
func applyPlan(ctx context.Context, ss *session, opts applyOptions, s *streams) (*plan.Plan, error) {
	if len(opts.Paths) == 1 {
		if data, ok := readPlanFile(opts.Paths[0]); ok {
			p, err := plan.ReadJSON(bytes.NewReader(data))
			if err != nil {
				return nil, fmt.Errorf("apply: %s: %w", opts.Paths[0], err)
			}
			// A saved plan says what it was made for; this run's API URL, and the application and
			// account the environment names (the CI job's scope), must be the same.
			target := plan.Target{APIURL: targetURL(ss.APIURL), Application: s.Getenv(envApplication), Account: s.Getenv(envAccount)}
			if err := apply.CheckStale(ctx, p, ss.API, target); err != nil {
				return nil, err
			}
			return p, nil
		}
	}
	desired, err := spec.Load(opts.Paths, s.Getenv)
	if err != nil {
		return nil, err
	}
	lv, err := readLive(ctx, ss.API, desired, opts.Parallelism, s)
	if err != nil {
		return nil, err
	}
	p, err := plan.Compute(desired, lv, plan.Options{
		MaxDeletePercent: opts.MaxDeletePercent,
		Target:           plan.Target{APIURL: targetURL(ss.APIURL)},
	})
	return p, err
}

// readPlanFile returns the content of path when it is a saved plan: a file holding a JSON
// object with format_version.
func readPlanFile(path string) ([]byte, bool) {
	fi, err := os.Stat(path)
	if err != nil || fi.IsDir() {
		return nil, false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' || !bytes.Contains(trimmed, []byte(`"format_version"`)) {
		return nil, false
	}
	return data, true
}

// confirm asks for "yes" on the terminal; without a terminal it refuses (--auto-approve).
func confirm(s *streams, n int) error {
	if !s.InTTY {
		return errors.New("apply: stdin is not a terminal: pass --auto-approve to apply without confirmation")
	}
	fmt.Fprintf(s.Err, "\nApply these %d changes? Only 'yes' is accepted: ", n)
	line, err := bufio.NewReader(s.In).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("apply: reading the answer: %w", err)
	}
	if strings.TrimSpace(line) != "yes" {
		return errors.New("apply: cancelled, nothing was changed")
	}
	return nil
}

// progress shows a run's progress on stderr: a live bar on a terminal, one line per finished
// change on a pipe (for CI logs). Run calls it from one goroutine.
type progress struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

func newProgress(s *streams, p *plan.Plan) *progress {
	pr := &progress{w: s.Err}
	if s.ErrTTY {
		pr.bar = progressbar.NewOptions(len(p.Changes),
			progressbar.OptionSetWriter(s.Err),
			progressbar.OptionSetDescription("applying"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("changes"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
		)
	}
	return pr
}

func (pr *progress) Started(int, plan.Change) {}

func (pr *progress) Finished(i int, ch plan.Change, r apply.ChangeResult) {
	line := fmt.Sprintf("%s: %s %s %s", r.Status, ch.Action, ch.Kind, ch.Key)
	if r.Status == apply.StatusDone || r.Status == apply.StatusFailed {
		line += fmt.Sprintf(" (%s)", r.Duration.Round(time.Millisecond))
	}
	if r.Error != "" {
		line += ": " + r.Error
	}
	if pr.bar == nil {
		fmt.Fprintln(pr.w, line)
		return
	}
	if r.Status != apply.StatusDone {
		_, _ = progressbar.Bprintln(pr.bar, line)
	}
	_ = pr.bar.Add(1)
}

func (pr *progress) done() {
	if pr.bar != nil {
		_ = pr.bar.Exit()
		fmt.Fprintln(pr.w)
	}
}

// printSummary writes the outcome of a run, with what failed and what was skipped and why.
func printSummary(w io.Writer, r *apply.Result) {
	for _, c := range r.Changes {
		if c.Status == apply.StatusFailed {
			fmt.Fprintf(w, "failed: %s %s %s: %s\n", c.Action, c.Kind, c.Key, c.Error)
		}
	}
	verb := "Apply complete"
	switch {
	case r.Interrupted:
		verb = "Apply interrupted"
	case r.DeadlineExceeded:
		verb = "Apply stopped: deadline exceeded"
	case r.Failed+r.Skipped+r.NotStarted > 0:
		verb = "Apply partly done"
	}
	fmt.Fprintf(w, "%s: %d done, %d failed, %d skipped, %d not started (%s).\n",
		verb, r.Done, r.Failed, r.Skipped, r.NotStarted, r.Duration.Round(time.Millisecond))
	if r.Failed+r.Skipped+r.NotStarted > 0 {
		fmt.Fprintln(w, "Run apply again to finish: it plans only what is left.")
	}
}

func writeReportFile(path string, r *apply.Result, ss *session) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("apply: report: %w", err)
	}
	st := ss.Auth.Stats()
	err = apply.WriteReport(f, r, apply.Counters{Requests: ss.API.Requests(), TokensObtained: st.Obtained + st.Refreshed, TokensRefreshed: st.Refreshed})
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("apply: report: %w", cerr)
	}
	return err
}

// syncWriter serialises the writes of several goroutines to one writer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (sw *syncWriter) Write(p []byte) (int, error) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return sw.w.Write(p)
}
