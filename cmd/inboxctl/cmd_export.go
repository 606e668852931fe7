package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/inbox-manager/inboxctl/api"
	"github.com/inbox-manager/inboxctl/live"
	"github.com/inbox-manager/inboxctl/spec"
)

// Environment variables of the export command's scope flags.
const (
	envApplication = "INBOXCTL_APPLICATION"
	envAccount     = "INBOXCTL_ACCOUNT"
)

// defaultOwner is the owner an export writes when --owner is not given.
const defaultOwner = "inboxctl"

// exportOptions is everything `inboxctl export` needs, independent of the command line.
type exportOptions struct {
	Application string
	Account     string
	Owner       string
	// OutDir is the directory to write state files to; "" prints one document on stdout.
	OutDir string
}

func exportCommand(s *streams) *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "write every live resource in scope as canonical state files",
		Description: "Reads the application's users, the account tree under --account with its members, and every app\n" +
			"client, read-only, and writes them as state files for --owner. Resources that carry another\n" +
			"owner's marker go under ignore; unmarked ones are declared, so that planning the export shows\n" +
			"only their adoption. Without --out, one document goes to stdout.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "application", Usage: "application id [$" + envApplication + "]"},
			&cli.StringFlag{Name: "account", Usage: "root account id [$" + envAccount + "]"},
			&cli.StringFlag{Name: "owner", Value: defaultOwner, Usage: "owner written in the files: marks what they manage"},
			&cli.StringFlag{Name: "out", Usage: "directory to write users.yaml, accounts.yaml, appclients.yaml to (default: one document on stdout)"},
		},
		Action: func(c *cli.Context) error {
			opts := exportOptions{
				Application: flagOrEnv(c, s, "application", envApplication),
				Account:     flagOrEnv(c, s, "account", envAccount),
				Owner:       c.String("owner"),
				OutDir:      c.String("out"),
			}
			if err := opts.check(); err != nil {
				return err
			}
			ctx, cancel := commandContext(c)
			defer cancel()
			ss, err := openSession(c, s, true)
			if err != nil {
				return err
			}
			defer ss.Close(ctx)
			return runExport(ctx, ss.API, opts, s)
		},
	}
}

// flagOrEnv returns a command flag's value, or when it was not given the environment variable's.
func flagOrEnv(c *cli.Context, s *streams, flag, env string) string {
	if c.IsSet(flag) || s.Getenv == nil {
		return c.String(flag)
	}
	return s.Getenv(env)
}

func (o exportOptions) check() error {
	var missing []string
	if o.Application == "" {
		missing = append(missing, "--application/"+envApplication)
	}
	if o.Account == "" {
		missing = append(missing, "--account/"+envAccount)
	}
	if len(missing) > 0 {
		return fmt.Errorf("export: missing %s", strings.Join(missing, " and "))
	}
	if o.Owner == "" {
		return errors.New("export: --owner must not be empty")
	}
	return nil
}

// runExport reads the live state in the scope of opts through c and writes it as state files.
func runExport(ctx context.Context, c live.Client, opts exportOptions, s *streams) error {
	scope := &spec.State{
		Owner: opts.Owner, Application: opts.Application, Account: opts.Account, Prune: true,
		Mentions: spec.Mentions{Users: true, Accounts: true, RootMembers: true, AppClients: true},
	}
	var n api.Counter
	ls, err := live.Read(api.WithCounter(ctx, &n), c, scope, live.Options{})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	ex, err := spec.ExportState(ls)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	desired := ex.State
	for _, note := range ex.Notes {
		fmt.Fprintf(s.Err, "inboxctl: note: %s\n", note)
	}
	if opts.OutDir == "" {
		doc, err := spec.MarshalDocument(desired)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if err := checkExport([]spec.File{{Name: "<stdout>", Data: doc}}); err != nil {
			return err
		}
		if _, err := s.Out.Write(doc); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	} else {
		files, err := spec.Marshal(desired)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if err := checkExport(files); err != nil {
			return err
		}
		if err := writeStateFiles(opts.OutDir, files); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	fmt.Fprintf(s.Err, "inboxctl: exported %d users, %d accounts, %d members, %d app clients (%d API requests); ignored: %d users and %d account subtrees of other owners, %d account subtrees holding another owner's user\n",
		len(desired.Users), len(desired.Accounts), len(desired.Members), len(desired.AppClients), n.Requests.Load(),
		ex.ForeignUsers, ex.ForeignAccounts, ex.MemberAccounts)
	return nil
}

// writeStateFiles writes files under dir. It refuses, before writing anything, when dir already
// holds state files this export would not overwrite: loading the directory would merge them
// with the export (an old accounts/ split, say) and plan against a mix.
func writeStateFiles(dir string, files []spec.File) error {
	ours := map[string]bool{}
	for _, f := range files {
		ours[filepath.Join(dir, filepath.FromSlash(f.Name))] = true
	}
	var stale []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return fs.SkipAll
			}
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() && spec.IsStateFileName(p) && !ours[p] { // exactly the files the loader would read
			stale = append(stale, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(stale) > 0 {
		return fmt.Errorf("%s already holds state files the export would not replace (%s): remove them or choose another directory",
			dir, strings.Join(stale, ", "))
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// checkExport loads the files an export is about to write, with no environment, as validate
// would: the live state may hold what the loader refuses (the API's rules and the spec's can
// differ), and an export that does not load back is worse than none.
func checkExport(files []spec.File) error {
	if _, err := spec.LoadFiles(files, nil); err != nil {
		return fmt.Errorf("export: the state to write does not validate, so nothing was written; the live state holds what a state file cannot:\n%w", err)
	}
	return nil
}
