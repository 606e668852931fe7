package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/inbox-manager/inboxctl/api"
	"github.com/inbox-manager/inboxctl/auth"
	"github.com/inbox-manager/inboxctl/live"
	"github.com/inbox-manager/inboxctl/plan"
	"github.com/inbox-manager/inboxctl/sandbox"
	"github.com/inbox-manager/inboxctl/sandbox/sandboxtest"
	"github.com/inbox-manager/inboxctl/spec"
)

// exportEnv is the environment of a command run against srv.
func exportEnv(srv *sandbox.Server, extra map[string]string) func(string) string {
	env := map[string]string{
		envAPIURL:       srv.URL(),
		envTokenURL:     srv.TokenURL(),
		envClientID:     sandbox.DefaultClientID,
		envClientSecret: sandbox.DefaultClientSecret,
	}
	for k, v := range extra {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

// runExportCmd runs `inboxctl export args...` and returns the exit code, stdout and stderr.
func runExportCmd(getenv func(string) string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	s := &streams{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: getenv}
	code := run(append([]string{"inboxctl", "export"}, args...), s)
	return code, out.String(), errb.String()
}

// testAPI is an API client for setting up and checking a sandbox tenant.
func testAPI(t *testing.T, srv *sandbox.Server) *api.Client {
	t.Helper()
	// Idle connections are closed before the sandbox (cleanups run last-in first-out): a dialled
	// but unused one would hold the server's shutdown.
	base := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(base.CloseIdleConnections)
	src, err := auth.New(auth.Config{TokenURL: srv.TokenURL(), RevokeURL: srv.RevokeURL(), Audience: sandbox.DefaultAudience,
		ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret, HTTPClient: &http.Client{Transport: base, Timeout: 30 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := api.New(srv.URL(), &http.Client{Transport: src.Transport(base), Timeout: 30 * time.Second}, api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// mixedTenant seeds resources of this owner ("acme"), unmarked ones and another owner's,
// including a member of another owner's user in an otherwise exportable account, and two app
// clients. It returns how many adoptions planning the export must show.
func mixedTenant(t *testing.T, srv *sandbox.Server, extraAccounts int) (adoptions int) {
	t.Helper()
	mark := func(o string) map[string]string { return map[string]string{spec.ManagedByKey: o} }
	d := sandbox.SeedData{
		Users: []sandbox.SeedUser{
			{Email: "alice@example.com", Name: "Alice ${HOME}", Metadata: mark("acme")},
			{Email: "bob@example.com", Status: spec.StatusSuspended}, // unmarked: adopted
			{Email: "carol*@example.com", Name: "Carol", Metadata: mark("other")},
			{Email: "dave@example.com", Name: "Dave"}, // unmarked: adopted
		},
		Accounts: []sandbox.SeedAccount{
			{Path: "ops", Metadata: mark("acme")},
			{Path: "ops/team-a"}, // unmarked: adopted
			{Path: "ops/shared"}, // holds carol's membership: ignored
			{Path: "legacy[1]", Metadata: mark("other")},
			{Path: "legacy[1]/inner", Metadata: mark("acme")}, // under another owner's: ignored with it
		},
		Members: []sandbox.SeedMember{
			{AccountPath: "", Email: "alice@example.com", Role: spec.RoleOwner},
			{AccountPath: "ops", Email: "bob@example.com", Role: spec.RoleViewer},
			{AccountPath: "ops/team-a", Email: "dave@example.com", Role: spec.RoleEditor},
			{AccountPath: "ops/shared", Email: "carol*@example.com", Role: spec.RoleAdmin},
			{AccountPath: "legacy[1]", Email: "alice@example.com", Role: spec.RoleAdmin},
		},
	}
	for i := range extraAccounts {
		top := fmt.Sprintf("bulk-%d", i%3)
		if i < 3 {
			d.Accounts = append(d.Accounts, sandbox.SeedAccount{Path: top, Metadata: mark("acme")})
		}
		p := fmt.Sprintf("%s/a%04d", top, i)
		d.Accounts = append(d.Accounts, sandbox.SeedAccount{Path: p, Metadata: mark("acme")})
		d.Members = append(d.Members, sandbox.SeedMember{AccountPath: p, Email: "alice@example.com", Role: spec.RoleViewer})
	}
	if _, err := srv.Seed(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	c := testAPI(t, srv)
	for _, req := range []api.CreateAppClientRequest{
		{AppName: "Portal", Description: "The portal", RedirectURLs: []string{"https://portal.example.com/cb", "http://localhost:3000/cb", "http://127.0.0.2/cb", "http://LOCALHOST:1/x"}, StarterUserEmails: []string{"alice@example.com"}},
		{AppName: "Bare", RedirectURLs: []string{"https://bare.example.com"}, StarterUserEmails: []string{"bob@example.com"}, CustomerManagedKeyIdentifier: "arn:aws:kms:us-east-1:111122223333:key/k"},
	} {
		if _, err := c.CreateAppClient(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	return 3 // bob, dave, ops/team-a
}

// planExport plans the loaded export against the tenant and returns the changes that are not
// adoptions (an update of the managed-by marker alone) and the number of adoptions.
func planExport(t *testing.T, srv *sandbox.Server, desired *spec.State) (others []string, adoptions int) {
	t.Helper()
	ls, err := live.Read(context.Background(), testAPI(t, srv), desired, live.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Compute(desired, ls, plan.Options{MaxDeletePercent: 25})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Changes {
		if c.Action == plan.Update && (c.Kind == plan.KindUser || c.Kind == plan.KindAccount) && cmp.Equal(c.Fields, []string{"managed_by"}) {
			adoptions++
			continue
		}
		others = append(others, fmt.Sprintf("%s %s %s %v", c.Action, c.Kind, c.Key, c.Fields))
	}
	return others, adoptions
}

// The export tests use few sandboxes: each one's shutdown may wait about 5 s for a connection the
// command's transport dialled and never used (net/http treats a new connection as busy for its
// first 5 s), and they cannot run in parallel (urfave/cli's global help flag is not safe for
// concurrent runs).

func TestExportRoundTrip(t *testing.T) {
	tests := []struct {
		name          string
		extraAccounts int
		wantFiles     []string
	}{
		{name: "a tenant made partly outside inboxctl", wantFiles: []string{"accounts.yaml", "appclients.yaml", "users.yaml"}},
		{name: "a large tenant split per top-level subtree", extraAccounts: 600,
			wantFiles: []string{"accounts.yaml", "accounts/bulk-0.yaml", "accounts/bulk-1.yaml", "accounts/bulk-2.yaml", "accounts/ops.yaml", "appclients.yaml", "users.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := sandboxtest.New(t, sandbox.Options{})
			wantAdoptions := mixedTenant(t, srv, tt.extraAccounts)
			before := srv.Stats().APIByMethod
			dir := filepath.Join(t.TempDir(), "state")
			env := exportEnv(srv, map[string]string{envApplication: sandbox.DefaultApplicationID, envAccount: sandbox.DefaultRootAccountID})
			code, out, errOut := runExportCmd(env, "--owner", "acme", "--out", dir)
			if code != 0 {
				t.Fatalf("export exit %d: %s", code, errOut)
			}
			if out != "" {
				t.Errorf("export --out wrote to stdout: %q", out)
			}
			if !strings.Contains(errOut, `account "ops/shared" is ignored`) {
				t.Errorf("stderr does not explain why ops/shared is ignored:\n%s", errOut)
			}
			if w := "ignored: 1 users and 1 account subtrees of other owners, 1 account subtrees holding another owner's user"; !strings.Contains(errOut, w) {
				t.Errorf("stderr does not say %q:\n%s", w, errOut)
			}
			after := srv.Stats().APIByMethod
			for m, n := range after {
				if m != http.MethodGet && n != before[m] {
					t.Errorf("export sent %d %s requests", n-before[m], m)
				}
			}

			var files []string
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					rel, _ := filepath.Rel(dir, p)
					files = append(files, filepath.ToSlash(rel))
				}
				return nil
			})
			sort.Strings(files)
			if d := cmp.Diff(tt.wantFiles, files); d != "" {
				t.Errorf("files (-want +got):\n%s", d)
			}
			desired, err := spec.Load([]string{dir}, nil)
			if err != nil {
				t.Fatalf("the export does not load: %v", err)
			}
			wantIgnore := spec.Ignore{Users: []string{`carol\*@example.com`}, Accounts: []string{`legacy\[1\]`, "ops/shared"}}
			if d := cmp.Diff(wantIgnore, desired.Ignore); d != "" {
				t.Errorf("ignore (-want +got):\n%s", d)
			}
			others, adoptions := planExport(t, srv, desired)
			if len(others) > 0 {
				t.Errorf("planning the export shows changes besides adoptions:\n%s", strings.Join(others, "\n"))
			}
			if adoptions != wantAdoptions {
				t.Errorf("%d adoptions, want %d", adoptions, wantAdoptions)
			}

			// the single document on stdout holds the same state
			code, out, errOut = runExportCmd(env, "--owner", "acme", "--application", sandbox.DefaultApplicationID)
			if code != 0 {
				t.Fatalf("export to stdout exit %d: %s", code, errOut)
			}
			single, err := spec.LoadBytes("export.yaml", []byte(out), nil)
			if err != nil {
				t.Fatalf("the exported document does not load: %v", err)
			}
			if d := cmp.Diff(desired, single, cmpopts.IgnoreTypes(spec.Pos{})); d != "" {
				t.Errorf("stdout document differs from the files (-files +stdout):\n%s", d)
			}
		})
	}
}

// TestExportOwnedAndErrors exports a tenant this owner fully manages, then checks the errors
// against the same sandbox.
func TestExportOwnedAndErrors(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	t.Run("owned tenant plans no changes", func(t *testing.T) { testExportOwned(t, srv) })
	t.Run("errors", func(t *testing.T) { testExportErrors(t, srv) })
	t.Run("duplicate redirect URLs are written once", func(t *testing.T) { testExportDuplicateURLs(t, srv) })
	t.Run("files the loader does not read are not stale", func(t *testing.T) { testExportKeepsOtherFiles(t, srv) })
}

// testExportKeepsOtherFiles exports into a directory holding files the loader never reads
// (notes.YAML: the extension rule is case-sensitive; .hidden.yaml), which --out must accept.
func testExportKeepsOtherFiles(t *testing.T, srv *sandbox.Server) {
	dir := t.TempDir()
	for _, name := range []string{"notes.YAML", ".hidden.yaml", "README.md"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("not: a state\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, _, errOut := runExportCmd(exportEnv(srv, nil), "--application", sandbox.DefaultApplicationID, "--account", sandbox.DefaultRootAccountID, "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, err := spec.Load([]string{dir}, nil); err != nil {
		t.Errorf("the export does not load beside the other files: %v", err)
	}
}

// testExportDuplicateURLs exports an app client whose redirect URLs the API stores with
// duplicates, which a state file may not hold.
func testExportDuplicateURLs(t *testing.T, srv *sandbox.Server) {
	req := api.CreateAppClientRequest{AppName: "Dup", StarterUserEmails: []string{"a@example.com"},
		RedirectURLs: []string{"https://dup.example.com/cb", "http://127.0.0.2/cb", "https://dup.example.com/cb"}}
	if _, err := testAPI(t, srv).CreateAppClient(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runExportCmd(exportEnv(srv, nil), "--application", sandbox.DefaultApplicationID, "--account", sandbox.DefaultRootAccountID)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	desired, err := spec.LoadBytes("export.yaml", []byte(out), nil)
	if err != nil {
		t.Fatalf("the export does not load: %v", err)
	}
	var got []string
	for _, c := range desired.AppClients {
		if c.AppName == "Dup" {
			got = c.RedirectURLs
		}
	}
	if d := cmp.Diff([]string{"http://127.0.0.2/cb", "https://dup.example.com/cb"}, got); d != "" {
		t.Errorf("redirect URLs of Dup (-want +got):\n%s", d)
	}
	// the plan compares the lists as sets: the live duplicates are no change
	if others, adoptions := planExport(t, srv, desired); len(others)+adoptions != 0 {
		t.Errorf("plan of the export: %d adoptions and %q, want no changes", adoptions, others)
	}
}

func testExportOwned(t *testing.T, srv *sandbox.Server) {
	if _, err := srv.Seed(context.Background(), sandbox.SeedData{
		Users:    []sandbox.SeedUser{{Email: "a@example.com", Metadata: map[string]string{spec.ManagedByKey: "inboxctl"}}},
		Accounts: []sandbox.SeedAccount{{Path: "x", Metadata: map[string]string{spec.ManagedByKey: "inboxctl"}}},
		Members:  []sandbox.SeedMember{{AccountPath: "x", Email: "a@example.com", Role: spec.RoleAdmin}},
	}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runExportCmd(exportEnv(srv, nil), "--application", sandbox.DefaultApplicationID, "--account", sandbox.DefaultRootAccountID)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	desired, err := spec.LoadBytes("export.yaml", []byte(out), nil)
	if err != nil {
		t.Fatal(err)
	}
	if desired.Owner != defaultOwner {
		t.Errorf("owner %q, want the default %q", desired.Owner, defaultOwner)
	}
	others, adoptions := planExport(t, srv, desired)
	if len(others)+adoptions != 0 {
		t.Errorf("plan of a fully owned export: %d adoptions and %q, want no changes", adoptions, others)
	}
}

func testExportErrors(t *testing.T, srv *sandbox.Server) {
	stale := t.TempDir()
	if err := os.WriteFile(filepath.Join(stale, "old.yml"), []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr []string
	}{
		{name: "no scope", wantErr: []string{"--application/INBOXCTL_APPLICATION", "--account/INBOXCTL_ACCOUNT"}},
		{name: "no account", args: []string{"--application", "app_demo"}, wantErr: []string{"--account/INBOXCTL_ACCOUNT"}},
		{name: "empty owner", args: []string{"--application", "app_demo", "--account", "acc_root", "--owner", ""}, wantErr: []string{"--owner"}},
		{name: "missing root account", args: []string{"--application", "app_demo", "--account", "acc_nope"}, wantErr: []string{"acc_nope", "does not exist"}},
		{name: "stale files in --out", args: []string{"--application", "app_demo", "--account", "acc_root", "--out", stale}, wantErr: []string{"old.yml", "would not replace"}},
		{name: "bad credentials", env: map[string]string{envClientSecret: "wrong"}, args: []string{"--application", "app_demo", "--account", "acc_root"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runExportCmd(exportEnv(srv, tt.env), tt.args...)
			if code != exitError {
				t.Errorf("exit %d, want %d", code, exitError)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q does not say %q", errOut, w)
				}
			}
			if strings.Contains(errOut, sandbox.DefaultClientSecret) {
				t.Errorf("stderr holds the client secret")
			}
		})
	}
	if entries, _ := os.ReadDir(stale); len(entries) != 1 {
		t.Errorf("the refused export wrote into --out: %d entries", len(entries))
	}
}

// oddAPI is a live.Client for a tenant whose API returned what no state file may hold: an
// app client with a plain-http redirect URL to another host (the sandbox refuses to create one,
// so it stands for an API whose rules are looser than the loader's).
type oddAPI struct{}

func (oddAPI) ListUsers(context.Context, string) ([]api.User, error) { return nil, nil }
func (oddAPI) GetAccount(_ context.Context, id string) (*api.Account, error) {
	return &api.Account{ID: id, Name: "root"}, nil
}
func (oddAPI) ListChildAccounts(context.Context, string) ([]api.Account, error) { return nil, nil }
func (oddAPI) ListMembers(context.Context, string) ([]api.Member, error)        { return nil, nil }
func (oddAPI) ListAppClients(context.Context) ([]api.AppClientSummary, error) {
	return []api.AppClientSummary{{AppClientARN: "arn:aws:x:us-east-1:1:appclient/odd", VerificationStatus: "verified"}}, nil
}
func (oddAPI) GetAppClient(context.Context, string) (*api.AppClient, error) {
	return &api.AppClient{AppName: "Odd", ARN: "arn:aws:x:us-east-1:1:appclient/odd",
		RedirectURLs: []string{"http://app.example.com/cb"}, StarterUserEmails: []string{"a@example.com"}}, nil
}

// TestExportRefusesInvalidOutput checks that export loads what it is about to write and, when
// that does not validate, fails naming the problem and writes nothing, to stdout or --out.
func TestExportRefusesInvalidOutput(t *testing.T) {
	tests := []struct {
		name   string
		outDir bool
	}{
		{name: "stdout"},
		{name: "--out", outDir: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			s := &streams{In: strings.NewReader(""), Out: &out, Err: &errb}
			opts := exportOptions{Application: "app_demo", Account: "acc_root", Owner: "acme"}
			dir := filepath.Join(t.TempDir(), "state")
			if tt.outDir {
				opts.OutDir = dir
			}
			err := runExport(context.Background(), oddAPI{}, opts, s)
			if err == nil {
				t.Fatal("export of an invalid state succeeded")
			}
			for _, w := range []string{"does not validate", `redirect URL "http://app.example.com/cb"`} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if out.Len() != 0 {
				t.Errorf("stdout %q, want nothing", out.String())
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("--out was created or written: %v", err)
			}
		})
	}
}
