package examples

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/inbox-manager/inboxctl/sandbox"
	"github.com/inbox-manager/inboxctl/sandbox/sandboxtest"
)

// The pipelines' scripts are run whole here, glue included: jq, the GitHub CLI and the GitLab API
// calls. gh and curl are stubs that record their arguments; inboxctl is this build, against a
// sandbox.

// ghStep is a GitHub Actions step as far as the test runs it.
type ghStep struct {
	ID  string            `yaml:"id"`
	If  string            `yaml:"if"`
	Env map[string]string `yaml:"env"`
	Run string            `yaml:"run"`
}

type ghFile struct {
	Jobs map[string]struct {
		Env   map[string]string `yaml:"env"`
		Steps []ghStep          `yaml:"steps"`
	} `yaml:"jobs"`
}

// stubTool writes an executable that appends its arguments, one call a line, to log and prints
// out.
func stubTool(t *testing.T, dir, name, log, out string) {
	t.Helper()
	script := "#!/usr/bin/env bash\nprintf '%s\\n' \"$*\" >> " + log + "\nprintf '%s' '" + out + "'\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing: .ci/run installs it", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
}

var ghExpr = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

// ghEval gives the value of the few GitHub expressions the workflows use.
func ghEval(expr string, outputs map[string]string) string {
	switch {
	case strings.HasPrefix(expr, "steps."):
		return outputs[strings.TrimPrefix(expr, "steps.")] // "ID.outputs.NAME"
	case expr == "github.event.pull_request.number":
		return "7"
	case expr == "github.token":
		return "gh-test-token"
	}
	return "" // vars.* and secrets.* come from the test's environment instead
}

func ghSubst(s string, outputs map[string]string) string {
	return ghExpr.ReplaceAllStringFunc(s, func(m string) string {
		return ghEval(ghExpr.FindStringSubmatch(m)[1], outputs)
	})
}

// ghCondition evaluates an `if:` of the form "steps.X.outputs.Y == 'v'" (or empty).
func ghCondition(t *testing.T, cond string, outputs map[string]string) bool {
	if cond == "" || cond == "always()" {
		return true
	}
	left, right, ok := strings.Cut(cond, "==")
	if !ok {
		t.Fatalf("unsupported if: %q", cond)
	}
	return ghEval(strings.TrimSpace(left), outputs) == strings.Trim(strings.TrimSpace(right), "'")
}

func readOutputs(t *testing.T, path, id string, into map[string]string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && id != "" {
			into[id+".outputs."+k] = v
		}
	}
}

// sandboxEnv is the environment a pipeline's scripts run with: this build of inboxctl and the
// stubs first on PATH, a sandbox's URLs and credentials.
func sandboxEnv(t *testing.T, bin, stubs string) []string {
	srv := sandboxtest.New(t, sandbox.Options{})
	return append(os.Environ(),
		"PATH="+stubs+string(os.PathListSeparator)+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"INBOXCTL_API_URL="+srv.URL(), "INBOXCTL_TOKEN_URL="+srv.TokenURL(),
		"AUTH_BACKEND_ADMIN_CLIENT_ID=dev-admin", "AUTH_BACKEND_ADMIN_CLIENT_SECRET=dev-secret",
		"INBOXCTL_LOG_FORMAT=json",
	)
}

func runScript(t *testing.T, dir string, env []string, script string) {
	t.Helper()
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Dir, cmd.Env = dir, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("script failed: %v\n--- script\n%s\n--- output\n%s", err, script, out)
	}
}

func TestGitHubWorkflowsRunWhole(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a sandbox")
	}
	requireTools(t, "jq")
	bin := buildInboxctl(t)
	stubs, repo := t.TempDir(), t.TempDir()
	ghLog := filepath.Join(stubs, "gh.log")
	stubTool(t, stubs, "gh", ghLog, "") // no earlier comment or issue: the stub lists nothing
	copyTree(t, "quickstart", filepath.Join(repo, "state"))
	env := append(sandboxEnv(t, bin, stubs), "GITHUB_REPOSITORY=acme/tenant")

	run := func(name string) {
		data, err := os.ReadFile(filepath.Join("ci", "github-actions", name))
		if err != nil {
			t.Fatal(err)
		}
		var wf ghFile
		if err := yaml.Unmarshal(data, &wf); err != nil {
			t.Fatal(err)
		}
		outputs := map[string]string{}
		for _, job := range wf.Jobs {
			for i, st := range job.Steps {
				if st.Run == "" || strings.Contains(st.Run, "go install") || !ghCondition(t, st.If, outputs) {
					continue
				}
				outFile := filepath.Join(t.TempDir(), "output")
				stepEnv := append(append([]string(nil), env...), "GITHUB_OUTPUT="+outFile)
				for k, v := range st.Env {
					stepEnv = append(stepEnv, k+"="+ghSubst(v, outputs))
				}
				t.Logf("%s step %d (%s)", name, i, st.ID)
				runScript(t, repo, stepEnv, ghSubst(st.Run, outputs))
				readOutputs(t, outFile, st.ID, outputs)
			}
		}
	}
	run("inboxctl-plan.yml")
	run("inboxctl-apply.yml")
	run("inboxctl-drift.yml") // no drift: no issue
	addUser(t, filepath.Join(repo, "state", "tenant.yaml"), "drift@example.com")
	run("inboxctl-drift.yml") // drift: one issue

	calls, _ := os.ReadFile(ghLog)
	log := string(calls)
	if !strings.Contains(log, "api --method POST repos/acme/tenant/issues/7/comments -F body=@plan.md") {
		t.Errorf("the plan was not posted as a pull-request comment; gh calls:\n%s", log)
	}
	if n := strings.Count(log, "issue create"); n != 1 {
		t.Errorf("%d drift issues opened, want 1; gh calls:\n%s", n, log)
	}
	if !regexp.MustCompile(`issue create --title inboxctl drift [0-9a-f]{12} --body-file drift.md`).MatchString(log) {
		t.Errorf("the drift issue is not titled by 12 hex digits of the digest; gh calls:\n%s", log)
	}
}

func TestGitLabPipelineRunsWhole(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a sandbox")
	}
	requireTools(t, "jq")
	bin := buildInboxctl(t)
	stubs, repo := t.TempDir(), t.TempDir()
	curlLog := filepath.Join(stubs, "curl.log")
	stubTool(t, stubs, "curl", curlLog, "[]") // GitLab answers: no earlier note, no open issue
	copyTree(t, "quickstart", filepath.Join(repo, "state"))
	env := append(sandboxEnv(t, bin, stubs),
		"CI_API_V4_URL=https://gitlab.example/api/v4", "CI_PROJECT_ID=42", "CI_MERGE_REQUEST_IID=7",
		"GITLAB_API_TOKEN=gl-test-token")

	data, err := os.ReadFile(filepath.Join("ci", "gitlab", ".gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var pipeline map[string]yaml.Node // jobs, and keys such as stages that are not jobs
	if err := yaml.Unmarshal(data, &pipeline); err != nil {
		t.Fatal(err)
	}
	job := func(name string, wantOK bool) {
		var j struct {
			Script []string `yaml:"script"`
		}
		node := pipeline[name]
		if err := node.Decode(&j); err != nil || len(j.Script) == 0 {
			t.Fatalf("job %s: %v", name, err)
		}
		script := strings.Join(j.Script, "\n")
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
		cmd.Dir, cmd.Env = repo, env
		out, err := cmd.CombinedOutput()
		if (err == nil) != wantOK {
			t.Fatalf("job %s: err = %v, want ok=%v\n%s", name, err, wantOK, out)
		}
	}
	// The image (golang) has curl but not jq: the pipeline must install what its glue calls.
	var def struct {
		BeforeScript []string `yaml:"before_script"`
	}
	node := pipeline["default"]
	if err := node.Decode(&def); err != nil {
		t.Fatal(err)
	}
	if before := strings.Join(def.BeforeScript, "\n"); strings.Contains(string(data), "| jq") &&
		!regexp.MustCompile(`apt-get install[^\n]* jq`).MatchString(before) {
		t.Errorf("the GitLab jobs pipe through jq but before_script does not install it:\n%s", before)
	}

	job("plan", true)
	job("apply", true)
	job("drift", true)
	addUser(t, filepath.Join(repo, "state", "tenant.yaml"), "drift@example.com")
	job("drift", false) // drift fails the scheduled pipeline, after opening the issue

	calls, _ := os.ReadFile(curlLog)
	log := string(calls)
	if !strings.Contains(log, "-X POST") || !strings.Contains(log, "merge_requests/7/notes") {
		t.Errorf("the plan was not posted as a merge-request note; curl calls:\n%s", log)
	}
	if !regexp.MustCompile(`title=inboxctl drift [0-9a-f]{12}`).MatchString(log) {
		t.Errorf("no drift issue titled by 12 hex digits of the digest; curl calls:\n%s", log)
	}
}
