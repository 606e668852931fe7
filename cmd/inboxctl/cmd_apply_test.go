package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/inbox-manager/inboxctl/api"
	"github.com/inbox-manager/inboxctl/apply"
	"github.com/inbox-manager/inboxctl/auth"
	"github.com/inbox-manager/inboxctl/live"
	"github.com/inbox-manager/inboxctl/plan"
	"github.com/inbox-manager/inboxctl/sandbox"
	"github.com/inbox-manager/inboxctl/sandbox/sandboxtest"
	"github.com/inbox-manager/inboxctl/spec"
)

// applyEnv is the environment of an apply against srv, with extra variables.
func applyEnv(srv *sandbox.Server, extra ...string) func(string) string {
	env := map[string]string{
		envAPIURL: srv.URL(), envTokenURL: srv.TokenURL(),
		envClientID: sandbox.DefaultClientID, envClientSecret: sandbox.DefaultClientSecret,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return func(k string) string { return env[k] }
}

// runApplyCmd runs `inboxctl apply args...` and returns the exit code, stdout and stderr.
func runApplyCmd(getenv func(string) string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	s := &streams{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: getenv}
	code := run(append([]string{"inboxctl", "apply"}, args...), s)
	return code, out.String(), errb.String()
}

// applyTestAPI is an API client for setting up and checking a sandbox tenant.
func applyTestAPI(t *testing.T, srv *sandbox.Server) *api.Client {
	t.Helper()
	src, err := auth.New(auth.Config{TokenURL: srv.TokenURL(), RevokeURL: srv.RevokeURL(), Audience: sandbox.DefaultAudience,
		ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	c, err := api.New(srv.URL(), &http.Client{Transport: src.Transport(http.DefaultTransport), Timeout: 30 * time.Second}, api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeStateFile(t *testing.T, dir, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "state.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// computePlan plans dir against srv the way plan does.
func computePlan(t *testing.T, srv *sandbox.Server, dir string) *plan.Plan {
	t.Helper()
	desired, err := spec.Load([]string{dir}, func(string) string { return "" })
	if err != nil {
		t.Fatalf("spec.Load: %v", err)
	}
	lv, err := live.Read(context.Background(), applyTestAPI(t, srv), desired, live.Options{})
	if err != nil {
		t.Fatalf("live.Read: %v", err)
	}
	p, err := plan.Compute(desired, lv, plan.Options{MaxDeletePercent: 100, Target: plan.Target{APIURL: srv.URL()}})
	if err != nil {
		t.Fatalf("plan.Compute: %v", err)
	}
	return p
}

func requireNoChanges(t *testing.T, srv *sandbox.Server, dir, when string) {
	t.Helper()
	p := computePlan(t, srv, dir)
	if len(p.Changes) > 0 {
		var b strings.Builder
		_ = plan.RenderText(&b, p, plan.TextOptions{})
		t.Fatalf("%s: a plan after apply still shows changes:\n%s", when, b.String())
	}
}

func writes(srv *sandbox.Server) int64 {
	m := srv.Stats().APIByMethod
	return m["POST"] + m["PATCH"] + m["DELETE"]
}

const lifeHeader = "version: 1\nowner: acme\napplication: app_demo\naccount: acc_root\n"

func TestApplyLifeOfATenant(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	mark := func(o string) map[string]string { return map[string]string{spec.ManagedByKey: o} }
	if _, err := srv.Seed(context.Background(), sandbox.SeedData{
		Users: []sandbox.SeedUser{
			{Email: "ext@example.com", Name: "Made elsewhere"},           // adopted
			{Email: "other@example.com", Metadata: mark("someone-else")}, // never touched
			{Email: "loose@example.com", Name: "Unmarked, not declared"}, // never touched
		},
		Accounts: []sandbox.SeedAccount{{Path: "legacy"}}, // unmarked: never touched
	}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := applyEnv(srv)
	steps := []struct {
		name  string
		state string
		force bool
	}{
		{"create a tree three levels deep and adopt", lifeHeader + `
users:
  - {email: alice@example.com, name: Alice}
  - {email: bob@example.com, name: Bob}
  - {email: carol@example.com}
  - {email: ext@example.com, name: Made elsewhere}
members:
  - {user: alice@example.com, role: owner}
accounts:
  - name: ops
    members: [{user: alice@example.com, role: admin}]
    accounts:
      - name: team-a
        members: [{user: bob@example.com, role: viewer}, {user: carol@example.com, role: viewer}]
        accounts:
          - name: squad
            members: [{user: carol@example.com, role: editor}]
  - name: sales
    members: [{user: bob@example.com, role: viewer}]
appClients:
  - appName: Test App
    description: first
    redirectUrls: [https://localhost:8080]
    starterUserEmails: [alice@example.com]
`, false},
		{"change roles, names, statuses, URLs; replace; rename", lifeHeader + `
users:
  - {email: alice@example.com, name: Alice Liddell}
  - {email: bob@example.com, name: Bob, status: suspended}
  - {email: carol@example.com}
  - {email: ext@example.com, name: Made elsewhere}
members:
  - {user: alice@example.com, role: admin}
accounts:
  - name: ops
    members: [{user: alice@example.com, role: owner}]
    accounts:
      - name: team-a
        members: [{user: bob@example.com, role: editor}, {user: carol@example.com, role: viewer}]
        accounts:
          - name: squad
            members: [{user: carol@example.com, role: editor}]
  - name: sales-emea
    previousName: sales
    members: [{user: bob@example.com, role: viewer}]
appClients:
  - appName: Test App
    description: second
    redirectUrls: [https://localhost:9090]
    starterUserEmails: [alice@example.com]
`, false},
		{"remove a subtree with its members", lifeHeader + `
users:
  - {email: alice@example.com, name: Alice Liddell}
  - {email: bob@example.com, name: Bob, status: suspended}
  - {email: carol@example.com}
  - {email: ext@example.com, name: Made elsewhere}
members:
  - {user: alice@example.com, role: admin}
accounts:
  - name: ops
    members: [{user: alice@example.com, role: owner}]
  - name: sales-emea
    members: [{user: bob@example.com, role: viewer}]
appClients:
  - appName: Test App
    description: second
    redirectUrls: [https://localhost:9090]
    starterUserEmails: [alice@example.com]
`, true},
		{"everything back to empty", lifeHeader + "users: []\nmembers: []\naccounts: []\nappClients: []\n", true},
	}
	for _, st := range steps {
		writeStateFile(t, dir, st.state)
		if st.force {
			// The delete check refuses first, before any request that changes anything.
			before := writes(srv)
			code, _, stderr := runApplyCmd(env, "--auto-approve", dir)
			if code != exitRefused || !strings.Contains(stderr, "delete check") {
				t.Fatalf("%s: without --force: exit %d, stderr:\n%s", st.name, code, stderr)
			}
			if w := writes(srv); w != before {
				t.Fatalf("%s: the refused apply sent %d writes", st.name, w-before)
			}
		}
		args := []string{"--auto-approve", "--parallelism", "4", dir}
		if st.force {
			args = append([]string{"--force"}, args...)
		}
		code, stdout, stderr := runApplyCmd(env, args...)
		if code != exitOK {
			t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", st.name, code, stdout, stderr)
		}
		requireNoChanges(t, srv, dir, st.name)
	}
	// Left alone: another owner's user, an unmarked undeclared user and an unmarked account.
	c := applyTestAPI(t, srv)
	users, err := c.ListUsers(context.Background(), "app_demo")
	if err != nil {
		t.Fatal(err)
	}
	var emails []string
	for _, u := range users {
		emails = append(emails, u.Email)
	}
	if strings.Join(emails, ",") != "loose@example.com,other@example.com" && strings.Join(emails, ",") != "other@example.com,loose@example.com" {
		t.Errorf("users left: %v, want loose@ and other@", emails)
	}
	accounts, err := c.ListChildAccounts(context.Background(), "acc_root")
	if err != nil || len(accounts) != 1 || accounts[0].Name != "legacy" {
		t.Errorf("accounts left: %v (%v), want legacy only", accounts, err)
	}
}

// manyCreates writes a state of n users, each a member of one of n/10 accounts.
func manyCreates(t *testing.T, dir string, n int) {
	var b strings.Builder
	b.WriteString(lifeHeader + "users:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {email: u%03d@example.com, name: User %d}\n", i, i)
	}
	b.WriteString("accounts:\n")
	for a := range max(1, n/10) {
		fmt.Fprintf(&b, "  - name: acct-%02d\n    members:\n", a)
		for i := a * 10; i < min(n, a*10+10); i++ {
			fmt.Fprintf(&b, "      - {user: u%03d@example.com, role: viewer}\n", i)
		}
	}
	writeStateFile(t, dir, b.String())
}

func TestApplyShortTokens(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: tokens must expire during the apply")
	}
	for _, grant := range []string{"client_credentials", "password"} {
		t.Run(grant, func(t *testing.T) {
			srv := sandboxtest.New(t, sandbox.Options{TokenTTL: time.Second, Latency: 40 * time.Millisecond})
			dir := t.TempDir()
			manyCreates(t, dir, 40) // 40 users + 4 accounts + 40 members at 40 ms, 4 in flight: > 1 s
			report := filepath.Join(t.TempDir(), "report.json")
			env := applyEnv(srv, envGrant, grant, envUsername, sandbox.DefaultUsername, envPassword, sandbox.DefaultPassword)
			code, _, stderr := runApplyCmd(env, "--auto-approve", "--parallelism", "4", "--report", report, dir)
			if code != exitOK {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			requireNoChanges(t, srv, dir, "after apply")
			var rep apply.Report
			data, err := os.ReadFile(report)
			if err != nil || json.Unmarshal(data, &rep) != nil {
				t.Fatalf("report: %v\n%s", err, data)
			}
			if rep.Tokens.Obtained < 2 {
				t.Errorf("tokens obtained %d: the 1 s tokens were not renewed during a %.1f s apply", rep.Tokens.Obtained, rep.DurationSeconds)
			}
			if grant == "password" && rep.Tokens.Refreshed < 1 {
				t.Errorf("password grant: %d refreshes, want at least 1", rep.Tokens.Refreshed)
			}
			if rep.Totals.Done != 84 || rep.Requests < 84 {
				t.Errorf("report totals %+v, requests %d", rep.Totals, rep.Requests)
			}
			for _, secret := range []string{sandbox.DefaultClientSecret, sandbox.DefaultPassword} {
				if strings.Contains(string(data), secret) || strings.Contains(stderr, secret) {
					t.Errorf("a secret appears in the report or on stderr")
				}
			}
		})
	}
}

func TestApplyFaultsConverge(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{FailRate: 0.2, RateLimit: 50})
	dir := t.TempDir()
	manyCreates(t, dir, 30)
	env := applyEnv(srv)
	var code int
	var stderr string
	for attempt := range 3 {
		code, _, stderr = runApplyCmd(env, "--auto-approve", "--parallelism", "8", dir)
		if code == exitOK {
			break
		}
		if code != exitPartial {
			t.Fatalf("attempt %d: exit %d\n%s", attempt, code, stderr)
		}
	}
	if code != exitOK {
		t.Fatalf("did not converge in 3 applies:\n%s", stderr)
	}
	srv.SetFailRate(0)
	srv.SetRateLimit(0)
	requireNoChanges(t, srv, dir, "after faults")
	users, err := applyTestAPI(t, srv).ListUsers(context.Background(), "app_demo")
	if err != nil || len(users) != 30 {
		t.Errorf("%d users (%v), want 30: no duplicates", len(users), err)
	}
	if st := srv.Stats(); st.Faults503 == 0 {
		t.Errorf("no fault was injected: %+v", st)
	}
}

func TestApplyInterruptThenRerun(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{Latency: 30 * time.Millisecond})
	dir := t.TempDir()
	manyCreates(t, dir, 40)
	env := applyEnv(srv)
	type outcome struct {
		code           int
		stdout, stderr string
	}
	done := make(chan outcome, 1)
	go func() {
		code, out, errs := runApplyCmd(env, "--auto-approve", "--parallelism", "2", dir)
		done <- outcome{code, out, errs}
	}()
	// Interrupt once some changes are through, as a user pressing Ctrl-C would.
	deadline := time.Now().Add(20 * time.Second)
	for srv.Stats().APIByMethod["POST"] < 6 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	o := <-done
	if o.code != exitInterrupted || !strings.Contains(o.stderr, "Apply interrupted") {
		t.Fatalf("exit %d, want 130\n%s", o.code, o.stderr)
	}
	if p := computePlan(t, srv, dir); len(p.Changes) == 0 || len(p.Changes) == 84 {
		t.Fatalf("after the interrupt %d changes are left; want some done and some not", len(p.Changes))
	}
	code, _, stderr := runApplyCmd(env, "--auto-approve", "--parallelism", "8", dir)
	if code != exitOK {
		t.Fatalf("re-run: exit %d\n%s", code, stderr)
	}
	requireNoChanges(t, srv, dir, "after the re-run")
}

func TestApplySavedPlan(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	dir := t.TempDir()
	writeStateFile(t, dir, lifeHeader+"users:\n  - {email: alice@example.com, name: Alice}\n")
	env := applyEnv(srv)
	if code, _, stderr := runApplyCmd(env, "--auto-approve", dir); code != exitOK {
		t.Fatalf("first apply: exit %d\n%s", code, stderr)
	}
	writeStateFile(t, dir, lifeHeader+"users:\n  - {email: alice@example.com, name: Alice L}\n  - {email: bob@example.com}\n")
	savePlan := func() string {
		var b bytes.Buffer
		if err := plan.RenderJSON(&b, computePlan(t, srv, dir)); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(t.TempDir(), "plan.json")
		if err := os.WriteFile(f, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	stale := savePlan()
	// The live state moves on: alice is renamed outside inboxctl.
	c := applyTestAPI(t, srv)
	users, _ := c.ListUsers(context.Background(), "app_demo")
	name := "Someone else's edit"
	if _, err := c.UpdateUser(context.Background(), users[0].ID, api.UpdateUserRequest{Name: &name}); err != nil {
		t.Fatal(err)
	}
	before := writes(srv)
	code, _, stderr := runApplyCmd(env, "--auto-approve", stale)
	if code != exitError || !strings.Contains(stderr, "stale") || !strings.Contains(stderr, `name: "Alice" -> "Someone else's edit"`) {
		t.Fatalf("stale plan: exit %d, stderr:\n%s", code, stderr)
	}
	if w := writes(srv); w != before {
		t.Errorf("the stale plan sent %d writes", w-before)
	}
	// Without a terminal and without --auto-approve nothing is applied either.
	fresh := savePlan()
	if code, _, stderr := runApplyCmd(env, fresh); code != exitError || !strings.Contains(stderr, "--auto-approve") {
		t.Fatalf("no terminal: exit %d\n%s", code, stderr)
	}
	if w := writes(srv); w != before {
		t.Errorf("an unconfirmed apply sent %d writes", w-before)
	}
	// A job whose environment names another application or account refuses the plan.
	for _, kv := range [][2]string{{envApplication, "app_other"}, {envAccount, "acc_other"}} {
		other := applyEnv(srv, kv[0], kv[1])
		code, _, stderr := runApplyCmd(other, "--auto-approve", fresh)
		if code != exitError || !strings.Contains(stderr, "target: the plan was made for") || !strings.Contains(stderr, kv[1]) {
			t.Fatalf("%s=%s: exit %d, stderr:\n%s", kv[0], kv[1], code, stderr)
		}
	}
	if w := writes(srv); w != before {
		t.Errorf("a plan for another target sent %d writes", w-before)
	}
	matching := applyEnv(srv, envApplication, "app_demo", envAccount, "acc_root")
	if code, stdout, stderr := runApplyCmd(matching, "--auto-approve", fresh); code != exitOK || !strings.Contains(stdout, "bob@example.com") {
		t.Fatalf("fresh plan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	requireNoChanges(t, srv, dir, "after the saved plan")
}

// twelveManagedUsers seeds 12 users carrying acme's marker and returns a state directory that
// declares none of them, so its plan deletes all 12.
func twelveManagedUsers(t *testing.T, srv *sandbox.Server) string {
	t.Helper()
	var users []sandbox.SeedUser
	for i := range 12 {
		users = append(users, sandbox.SeedUser{Email: fmt.Sprintf("u%02d@example.com", i), Metadata: map[string]string{spec.ManagedByKey: "acme"}})
	}
	if _, err := srv.Seed(context.Background(), sandbox.SeedData{Users: users}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeStateFile(t, dir, lifeHeader+"users: []\n")
	return dir
}

// TestApplySavedPlanRedoesDeleteCheck: apply makes the delete check itself, with its own
// threshold and D counted from the plan's changes, whatever the plan file says about it.
func TestApplySavedPlanRedoesDeleteCheck(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	dir := twelveManagedUsers(t, srv)
	env := applyEnv(srv)
	planFile := filepath.Join(t.TempDir(), "plan.json")
	if code, _, stderr := runCmd(env, "plan", "--max-delete-percent", "100", "--out", planFile, dir); code != exitOK {
		t.Fatalf("plan: exit %d\n%s", code, stderr)
	}
	data, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	// edited rewrites the plan file's JSON object with edit and returns the new file.
	edited := func(edit func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(t.TempDir(), "plan.json")
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	const refusal = "apply: refused by the delete check: the plan deletes more than 25% of total: 12 of 12, users: 12 of 12; nothing was changed"
	const warning = "Warning: delete check failed: the plan deletes more than 25% of what this state could delete (total: 12 of 12, users: 12 of 12)"
	tests := []struct {
		name       string
		file       string
		args       []string
		wantCode   int
		wantStderr string
		wantStdout string // "" for none
	}{
		{"plan made with a lenient threshold", planFile, nil, exitRefused, refusal, warning},
		{"stored verdict says passed", edited(func(m map[string]any) {
			dc := m["delete_check"].(map[string]any)
			dc["failed"], dc["max_percent"] = false, 100.0
			for _, c := range dc["counts"].([]any) {
				c.(map[string]any)["failed"] = false
				c.(map[string]any)["deletes"] = 0.0
			}
			m["warnings"] = nil
		}), nil, exitRefused, refusal, warning},
		{"delete check removed", edited(func(m map[string]any) { delete(m, "delete_check") }), nil,
			exitError, "apply: the plan deletes or replaces users but records no live count of users for the delete check", ""},
		{"live counts removed, even with --force", edited(func(m map[string]any) {
			m["delete_check"].(map[string]any)["counts"] = []any{}
		}), []string{"--force"}, exitError, "records no live count of users", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := writes(srv)
			code, stdout, stderr := runApplyCmd(env, append(append([]string{"--auto-approve"}, tt.args...), tt.file)...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantStderr) {
				t.Fatalf("exit %d, want %d with %q; stderr:\n%s", code, tt.wantCode, tt.wantStderr, stderr)
			}
			if tt.wantStdout != "" && !strings.Contains(stdout, tt.wantStdout) {
				t.Errorf("the printed plan lacks the redone check's warning %q:\n%s", tt.wantStdout, stdout)
			}
			if strings.Contains(stdout, "more than 100%") {
				t.Errorf("the printed plan shows the plan file's stale warning:\n%s", stdout)
			}
			if w := writes(srv); w != before {
				t.Errorf("sent %d writes", w-before)
			}
		})
	}
	// The same plan goes through with apply's own lenient threshold.
	if code, _, stderr := runApplyCmd(env, "--auto-approve", "--max-delete-percent", "100", planFile); code != exitOK {
		t.Fatalf("apply --max-delete-percent 100: exit %d\n%s", code, stderr)
	}
	requireNoChanges(t, srv, dir, "after the lenient apply")
}

// TestApplyTimeoutIsNotAnInterrupt: --timeout running out mid-apply reports the deadline, not an
// interrupt, and exits 3 (partly applied); a re-run finishes the job.
func TestApplyTimeoutIsNotAnInterrupt(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{Latency: 40 * time.Millisecond})
	dir := t.TempDir()
	manyCreates(t, dir, 40) // 84 changes at 40 ms, one at a time: over 3 s
	env := applyEnv(srv)
	report := filepath.Join(t.TempDir(), "report.json")
	code, _, stderr := runApplyCmd(env, "--auto-approve", "--parallelism", "1", "--timeout", "1500ms", "--report", report, dir)
	if code != exitPartial {
		t.Fatalf("exit %d, want 3\n%s", code, stderr)
	}
	for _, want := range []string{"Apply stopped: deadline exceeded:", "inboxctl: apply: deadline exceeded, partly applied:"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "interrupt") {
		t.Errorf("a deadline is reported as an interrupt:\n%s", stderr)
	}
	var rep apply.Report
	if data, err := os.ReadFile(report); err != nil || json.Unmarshal(data, &rep) != nil || rep.Status != "deadline_exceeded" {
		t.Errorf("report status %q (%v), want deadline_exceeded", rep.Status, err)
	}
	if p := computePlan(t, srv, dir); len(p.Changes) == 0 || len(p.Changes) == 84 {
		t.Fatalf("after the deadline %d changes are left; want some done and some not", len(p.Changes))
	}
	if code, _, stderr := runApplyCmd(env, "--auto-approve", "--parallelism", "8", dir); code != exitOK {
		t.Fatalf("re-run: exit %d\n%s", code, stderr)
	}
	requireNoChanges(t, srv, dir, "after the re-run")
}

// TestRunOutcomeExitCodes: the exit code of a run that the deadline or an interrupt stopped
// before any change started: 1 (nothing changed, not an interrupt) and 130.
func TestRunOutcomeExitCodes(t *testing.T) {
	p := &plan.Plan{FormatVersion: plan.FormatVersion, Changes: []plan.Change{{Action: plan.Create, Kind: plan.KindUser, Key: "a@example.com", Cause: -1,
		After: &plan.Values{Email: "a@example.com"}}}}
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	cancelled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	tests := []struct {
		name string
		ctx  context.Context
		want int
	}{
		{"deadline before any change", expired, exitError},
		{"interrupt before any change", cancelled, exitInterrupted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := apply.Run(tt.ctx, p, nil, apply.Options{}, nil) // nothing starts: the API is never used
			if got := exitCode(runOutcome(err)); got != tt.want {
				t.Errorf("exit %d for %v, want %d", got, err, tt.want)
			}
		})
	}
}
