package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/inbox-manager/inboxctl/plan"
	"github.com/inbox-manager/inboxctl/sandbox"
	"github.com/inbox-manager/inboxctl/sandbox/sandboxtest"
	"github.com/inbox-manager/inboxctl/spec"
)

// runCmd runs `inboxctl args...` with getenv and returns the exit code, stdout and stderr.
func runCmd(getenv func(string) string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	s := &streams{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: getenv}
	code := run(append([]string{"inboxctl"}, args...), s)
	return code, out.String(), errb.String()
}

const planState = lifeHeader + `
users:
  - {email: alice@example.com, name: Alice}
  - {email: ext@example.com}
members:
  - {user: alice@example.com, role: owner}
accounts:
  - name: ops
    members: [{user: alice@example.com, role: admin}]
appClients: []
`

func TestPlanAndDriftAgainstSandbox(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	if _, err := srv.Seed(context.Background(), sandbox.SeedData{
		Users: []sandbox.SeedUser{
			{Email: "ext@example.com", Name: "Made elsewhere"},
			{Email: "loose@example.com"},
		},
	}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeStateFile(t, dir, planState)
	env := applyEnv(srv)

	// Text plan: the changes in the order they run, with file:line, and the summary.
	code, out, errOut := runCmd(env, "plan", dir)
	if code != exitOK {
		t.Fatalf("plan exit %d, stderr %s", code, errOut)
	}
	for _, want := range []string{
		"  + user alice@example.com", "state.yaml:7",
		"  ~ user ext@example.com", `managed_by: (none) -> "acme"`,
		"  + account ops", "  + member ops/alice@example.com",
		"Plan: 4 to create, 1 to update, 0 to delete, 0 to replace.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour written to a stream that is not a terminal")
	}
	if w := writes(srv); w != 0 {
		t.Errorf("plan sent %d writing requests", w)
	}

	// --detailed-exitcode, --out and --format json give the same plan.
	planFile := filepath.Join(t.TempDir(), "plan.json")
	code, out, errOut = runCmd(env, "plan", "--detailed-exitcode", "--format", "json", "--out", planFile, dir)
	if code != exitChanges {
		t.Fatalf("plan --detailed-exitcode with changes: exit %d, want 2; stderr %s", code, errOut)
	}
	fromStdout, err := plan.ReadJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("stdout is not a plan: %v", err)
	}
	data, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := plan.ReadJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("--out is not a plan: %v", err)
	}
	if diff := cmp.Diff(fromStdout, fromFile); diff != "" {
		t.Errorf("--out differs from stdout (-stdout +file):\n%s", diff)
	}
	if fromFile.Target.APIURL != srv.URL() || fromFile.Target.Owner != "acme" {
		t.Errorf("plan target %+v, want the sandbox URL and owner acme", fromFile.Target)
	}

	// Markdown starts with its marker.
	code, out, _ = runCmd(env, "plan", "--format", "markdown", dir)
	if code != exitOK || !strings.HasPrefix(out, plan.MarkdownMarker+"\n") {
		t.Errorf("markdown plan: exit %d, output %q", code, out)
	}

	// Drift before apply: missing, changed and unmanaged, exit 2, and a stable digest.
	code, out1, errOut := runCmd(env, "drift", "--format", "json", dir)
	if code != exitChanges {
		t.Fatalf("drift exit %d, want 2; stderr %s", code, errOut)
	}
	_, out2, _ := runCmd(env, "drift", "--format", "json", dir)
	d1, d2 := driftDigest(t, out1), driftDigest(t, out2)
	if d1 == "" || d1 != d2 {
		t.Errorf("drift digests %q and %q, want one non-empty digest", d1, d2)
	}
	code, out, _ = runCmd(env, "drift", dir)
	for _, want := range []string{"missing   user alice@example.com", "changed   user ext@example.com", "unmanaged user loose@example.com  (unmarked)", "Digest: " + d1} {
		if !strings.Contains(out, want) {
			t.Errorf("drift text lacks %q:\n%s", want, out)
		}
	}

	// Apply, then the plan is empty and the only drift left is the unmanaged user.
	if code, _, errOut := runCmd(env, "apply", "--auto-approve", dir); code != exitOK {
		t.Fatalf("apply exit %d: %s", code, errOut)
	}
	code, out, errOut = runCmd(env, "plan", "--detailed-exitcode", dir)
	if code != exitOK || out != "No changes.\n" {
		t.Errorf("plan after apply: exit %d, output %q, stderr %s", code, out, errOut)
	}
	code, out, _ = runCmd(env, "drift", "--format", "json", dir)
	if code != exitChanges || !strings.Contains(out, `"unmanaged": 1`) || !strings.Contains(out, `"missing": 0`) {
		t.Errorf("drift after apply: exit %d, %s", code, out)
	}

	// With the unmanaged user ignored there is no drift.
	writeStateFile(t, dir, planState+"ignore:\n  users: [loose@example.com]\n")
	code, out, _ = runCmd(env, "drift", dir)
	if code != exitOK || out != "No drift.\n" {
		t.Errorf("drift with nothing left: exit %d, output %q", code, out)
	}
}

func driftDigest(t *testing.T, js string) string {
	t.Helper()
	i := strings.Index(js, `"digest": "`)
	if i < 0 {
		t.Fatalf("no digest in %s", js)
	}
	rest := js[i+len(`"digest": "`):]
	return rest[:strings.Index(rest, `"`)]
}

func TestPlanErrors(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	env := applyEnv(srv)
	good := t.TempDir()
	writeStateFile(t, good, planState)
	bad := t.TempDir()
	writeStateFile(t, bad, lifeHeader+"users:\n  - {emial: x@example.com}\n")
	other := t.TempDir()
	writeStateFile(t, other, lifeHeader+"users:\n  - {email: taken@example.com}\n")
	if _, err := srv.Seed(context.Background(), sandbox.SeedData{Users: []sandbox.SeedUser{
		{Email: "taken@example.com", Metadata: map[string]string{spec.ManagedByKey: "someone-else"}},
	}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no paths", []string{"plan"}, "plan: give one or more state files"},
		{"bad format", []string{"plan", "--format", "yaml", good}, `--format must be text, json or markdown, not "yaml"`},
		{"bad parallelism", []string{"plan", "--parallelism", "0", good}, "--parallelism must be at least 1"},
		{"invalid file", []string{"plan", bad}, `unknown field "emial"`},
		{"another owner's user", []string{"plan", other}, `carries the managed-by marker of "someone-else"`},
		{"drift invalid file", []string{"drift", bad}, `unknown field "emial"`},
		{"drift bad format", []string{"drift", "--format", "html", good}, "--format must be"},
		{"drift another owner's user", []string{"drift", other}, `carries the managed-by marker of "someone-else"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := srv.Stats().APIRequests
			code, out, errOut := runCmd(env, tt.args...)
			if code != exitError {
				t.Errorf("exit %d, want 1", code)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q lacks %q", errOut, tt.wantErr)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing on error", out)
			}
			if strings.Contains(tt.name, "invalid") || strings.Contains(tt.name, "bad") || tt.name == "no paths" {
				if n := srv.Stats().APIRequests - before; n != 0 {
					t.Errorf("%d API requests for a command that fails before reading", n)
				}
			}
		})
	}
}

// TestMaxDeletePercentRange: a threshold that is not a percentage (NaN makes every comparison
// false, so the check never refuses) is a usage error, before any file or API is read.
func TestMaxDeletePercentRange(t *testing.T) {
	env := func(k string) string {
		return map[string]string{envAPIURL: "http://127.0.0.1:1", envClientID: "id", envClientSecret: "secret"}[k]
	}
	missing := filepath.Join(t.TempDir(), "no-such-dir")
	for _, cmd := range []string{"plan", "apply"} {
		for _, tt := range []struct{ value, shown string }{
			{"NaN", "NaN"}, {"-1", "-1"}, {"100.5", "100.5"}, {"Inf", "+Inf"},
		} {
			t.Run(cmd+" "+tt.value, func(t *testing.T) {
				args := []string{cmd, "--max-delete-percent", tt.value, missing}
				if cmd == "apply" {
					args = append(args, "--auto-approve")
				}
				code, stdout, stderr := runCmd(env, args...)
				want := "inboxctl: " + cmd + ": --max-delete-percent must be a percentage from 0 to 100, not " + tt.shown + "\n"
				if code != exitError || stderr != want || stdout != "" {
					t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and %q", code, stdout, stderr, want)
				}
			})
		}
	}
	for _, v := range []string{"0", "100"} {
		code, _, stderr := runCmd(env, "plan", "--max-delete-percent", v, missing)
		if code != exitError || strings.Contains(stderr, "max-delete-percent") {
			t.Errorf("--max-delete-percent %s: exit %d, stderr %q; want it accepted (and the missing path refused)", v, code, stderr)
		}
	}
}

// TestTargetURLWithoutCredentials: user:password in --api-url never reaches the plan (stdout
// JSON and PLANFILE) or the drift report, and a saved plan's target is compared without them.
func TestTargetURLWithoutCredentials(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	const secret = "PASSW0RD-in-url"
	withCreds := strings.Replace(srv.URL(), "://", "://admin:"+secret+"@", 1)
	dir := t.TempDir()
	writeStateFile(t, dir, lifeHeader+"users:\n  - {email: alice@example.com}\n")
	env := applyEnv(srv, envAPIURL, withCreds)
	planFile := filepath.Join(t.TempDir(), "plan.json")
	code, planJSON, stderr := runCmd(env, "plan", "--format", "json", "--out", planFile, dir)
	if code != exitOK {
		t.Fatalf("plan: exit %d\n%s", code, stderr)
	}
	fileJSON, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	code, driftJSON, stderr := runCmd(env, "drift", "--format", "json", dir)
	if code != exitChanges {
		t.Fatalf("drift: exit %d\n%s", code, stderr)
	}
	for name, out := range map[string]string{"plan --format json": planJSON, "PLANFILE": string(fileJSON), "drift --format json": driftJSON} {
		if strings.Contains(out, secret) || strings.Contains(out, "admin@") {
			t.Errorf("%s holds the URL's credentials:\n%s", name, out)
		}
		if !strings.Contains(out, `"api_url":"`+srv.URL()+`"`) && !strings.Contains(out, `"api_url": "`+srv.URL()+`"`) {
			t.Errorf("%s lacks the api_url %q without credentials:\n%s", name, srv.URL(), out)
		}
	}
	// The plan made with credentials in the URL applies to the same URL without them, and the
	// other way round a plan file holding them (an older inboxctl) is compared without them.
	if code, _, stderr := runApplyCmd(applyEnv(srv), "--auto-approve", planFile); code != exitOK {
		t.Fatalf("apply of the plan without the URL's credentials: exit %d\n%s", code, stderr)
	}
	writeStateFile(t, dir, lifeHeader+"users:\n  - {email: alice@example.com}\n  - {email: bob@example.com}\n")
	old := computePlan(t, srv, dir)
	old.Target.APIURL = withCreds + "/"
	var b bytes.Buffer
	if err := plan.RenderJSON(&b, old); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(planFile, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := runApplyCmd(applyEnv(srv), "--auto-approve", planFile); code != exitOK || strings.Contains(stdout+stderr, secret) {
		t.Fatalf("apply of a plan file holding the URL's credentials: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// A plan for another URL is refused, naming both URLs without credentials.
	old.Target.APIURL = "https://admin:" + secret + "@api.example.com"
	b.Reset()
	if err := plan.RenderJSON(&b, old); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(planFile, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runApplyCmd(env, "--auto-approve", planFile)
	want := fmt.Sprintf(`target: the plan was made for API URL "https://api.example.com", this run uses %q`, srv.URL())
	if code != exitError || !strings.Contains(stderr, want) || strings.Contains(stdout+stderr, secret) {
		t.Fatalf("a plan for another URL: exit %d, want 1 with %q\n%s\n%s", code, want, stdout, stderr)
	}
}
