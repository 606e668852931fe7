package examples

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/inbox-manager/inboxctl/sandbox"
	"github.com/inbox-manager/inboxctl/sandbox/sandboxtest"
)

// workflow is one CI file and the inboxctl command lines its scripts run, in order.
type workflow struct {
	path     string
	commands []string
}

// githubWorkflow is the part of a GitHub Actions workflow the test reads.
type githubWorkflow struct {
	Permissions map[string]string `yaml:"permissions"`
	Concurrency *struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Jobs map[string]struct {
		Permissions map[string]string `yaml:"permissions"`
		Steps       []struct {
			Run string `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func inboxctlLines(script string) []string {
	var out []string
	for _, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "inboxctl ") {
			out = append(out, line)
		}
	}
	return out
}

func readGitHub(t *testing.T, path string) (githubWorkflow, workflow) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var wf githubWorkflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	w := workflow{path: path}
	jobs := make([]string, 0, len(wf.Jobs))
	for name := range wf.Jobs {
		jobs = append(jobs, name)
	}
	sort.Strings(jobs)
	for _, name := range jobs {
		for _, st := range wf.Jobs[name].Steps {
			w.commands = append(w.commands, inboxctlLines(st.Run)...)
		}
	}
	return wf, w
}

func readGitLab(t *testing.T, path string) (map[string]map[string]any, workflow) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	jobs := map[string]map[string]any{}
	w := workflow{path: path}
	for _, name := range []string{"plan", "apply", "drift"} { // stage order
		node, ok := doc[name]
		if !ok {
			t.Fatalf("%s: no job %q", path, name)
		}
		var job map[string]any
		if err := node.Decode(&job); err != nil {
			t.Fatalf("%s: job %s: %v", path, name, err)
		}
		jobs[name] = job
		script, _ := job["script"].([]any)
		for _, s := range script {
			str, _ := s.(string)
			w.commands = append(w.commands, inboxctlLines(str)...)
		}
	}
	return jobs, w
}

func TestWorkflowsAreLeastPrivilegeAndSerialized(t *testing.T) {
	for _, name := range []string{"inboxctl-plan.yml", "inboxctl-apply.yml", "inboxctl-drift.yml"} {
		wf, w := readGitHub(t, filepath.Join("ci", "github-actions", name))
		if len(w.commands) == 0 {
			t.Errorf("%s runs no inboxctl command", name)
		}
		if wf.Permissions == nil {
			t.Errorf("%s: no top-level permissions: the default token is too broad", name)
		}
		for scope, level := range wf.Permissions {
			if level == "write" && !map[string]bool{"pull-requests": true, "issues": true}[scope] {
				t.Errorf("%s: %s: write is more than it needs", name, scope)
			}
		}
		if name != "inboxctl-plan.yml" {
			if wf.Concurrency == nil || wf.Concurrency.Group != "inboxctl-tenant" || wf.Concurrency.CancelInProgress {
				t.Errorf("%s: must share the concurrency group inboxctl-tenant without cancelling", name)
			}
		}
		data, _ := os.ReadFile(w.path)
		if bytes.Contains(data, []byte("AUTH_BACKEND_ADMIN_CLIENT_SECRET: ")) &&
			!bytes.Contains(data, []byte("${{ secrets.AUTH_BACKEND_ADMIN_CLIENT_SECRET }}")) {
			t.Errorf("%s: the client secret must come from the secret store", name)
		}
	}
	jobs, _ := readGitLab(t, filepath.Join("ci", "gitlab", ".gitlab-ci.yml"))
	for _, name := range []string{"apply", "drift"} {
		if jobs[name]["resource_group"] != "inboxctl-tenant" {
			t.Errorf("gitlab %s: resource_group = %v, want inboxctl-tenant", name, jobs[name]["resource_group"])
		}
	}
}

// buildInboxctl builds the command into dir and returns its directory for PATH.
func buildInboxctl(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "inboxctl"), "../cmd/inboxctl")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// copyTree copies the state files of an example into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWorkflowCommandsAgainstSandbox runs every inboxctl command line of the pipelines, in the
// order a team meets them (plan on a pull request, apply on merge, the nightly drift check), in a
// repository whose state/ is the quickstart example, against a sandbox.
func TestWorkflowCommandsAgainstSandbox(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a sandbox")
	}
	bin := buildInboxctl(t)
	var github workflow
	for _, name := range []string{"inboxctl-plan.yml", "inboxctl-apply.yml", "inboxctl-drift.yml"} {
		_, w := readGitHub(t, filepath.Join("ci", "github-actions", name))
		github.commands = append(github.commands, w.commands...)
	}
	github.path = "github-actions"
	_, gitlab := readGitLab(t, filepath.Join("ci", "gitlab", ".gitlab-ci.yml"))

	for _, flow := range []workflow{github, gitlab} {
		t.Run(filepath.Base(flow.path), func(t *testing.T) {
			srv := sandboxtest.New(t, sandbox.Options{})
			repo := t.TempDir()
			copyTree(t, "quickstart", filepath.Join(repo, "state"))
			env := append(os.Environ(),
				"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
				"INBOXCTL_API_URL="+srv.URL(),
				"INBOXCTL_TOKEN_URL="+srv.TokenURL(),
				"AUTH_BACKEND_ADMIN_CLIENT_ID=dev-admin",
				"AUTH_BACKEND_ADMIN_CLIENT_SECRET=dev-secret",
				"INBOXCTL_LOG_FORMAT=json",
			)
			codes := runLines(t, repo, env, flow.commands)
			if codes["plan"] != 2 {
				t.Errorf("plan of a new tenant: exit %d, want 2 (changes)", codes["plan"])
			}
			if codes["drift"] != 0 {
				t.Errorf("drift after apply: exit %d, want 0 (no drift)", codes["drift"])
			}
			checkOutputs(t, repo)

			// Drift: a declaration nobody applied makes the nightly check report, with a digest
			// that stays the same while the drift does, so the alert goes out once.
			addUser(t, filepath.Join(repo, "state", "tenant.yaml"), "drift@example.com")
			var drift []string
			for _, line := range flow.commands {
				if strings.HasPrefix(line, "inboxctl drift") {
					drift = append(drift, line)
				}
			}
			var digests []string
			for i := 0; i < 2; i++ {
				if codes := runLines(t, repo, env, drift); codes["drift"] != 2 {
					t.Fatalf("drift with an unapplied user: exit %d, want 2", codes["drift"])
				}
				digests = append(digests, readDigest(t, repo))
			}
			if digests[0] == "" || digests[0] != digests[1] {
				t.Errorf("drift digests %q: want one non-empty digest for one drift", digests)
			}
		})
	}
}

// runLines runs command lines in repo and returns the exit code of the first run of each
// subcommand; any exit code other than 0 and 2 fails the test.
func runLines(t *testing.T, repo string, env, lines []string) map[string]int {
	t.Helper()
	codes := map[string]int{}
	for _, line := range lines {
		cmd := exec.Command("bash", "-c", "set -o pipefail; "+line)
		cmd.Dir = repo
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if code != 0 && code != 2 {
			t.Fatalf("%s: exit %d\n%s", line, code, stderr.String())
		}
		if strings.Contains(stderr.String(), "dev-secret") {
			t.Fatalf("%s: the client secret appears in stderr", line)
		}
		if sub := strings.Fields(line)[1]; !seenSub(codes, sub) {
			codes[sub] = code
		}
	}
	return codes
}

func seenSub(codes map[string]int, sub string) bool { _, ok := codes[sub]; return ok }

// addUser declares one more user in a state file.
func addUser(t *testing.T, path, email string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Replace(string(data), "users:\n", "users:\n  - email: "+email+"\n", 1)
	if out == string(data) {
		t.Fatalf("%s has no users: key", path)
	}
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readDigest(t *testing.T, repo string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repo, "drift.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Digest string `json:"digest"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("drift.json: %v", err)
	}
	return d.Digest
}

// checkOutputs checks the files the pipelines hand to their next steps.
func checkOutputs(t *testing.T, repo string) {
	t.Helper()
	if data, err := os.ReadFile(filepath.Join(repo, "plan.md")); err != nil || !bytes.HasPrefix(data, []byte("<!-- inboxctl-plan -->")) {
		t.Errorf("plan.md missing (%v) or without the marker line: %.80q", err, data)
	}
	if data, err := os.ReadFile(filepath.Join(repo, "drift.json")); err != nil || !json.Valid(data) {
		t.Errorf("drift.json missing or not JSON (%v): %.200s", err, data)
	}
	if data, err := os.ReadFile(filepath.Join(repo, "apply-report.json")); err != nil || !json.Valid(data) {
		t.Errorf("apply-report.json missing (%v) or not JSON: %.200s", err, data)
	}
}
