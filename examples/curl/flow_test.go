// Package curl holds the curl example of the backend admin flow; its test runs the script against
// a sandbox.
package curl

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/inbox-manager/inboxctl/sandbox"
	"github.com/inbox-manager/inboxctl/sandbox/sandboxtest"
)

// needTools skips without curl, jq or bash, except under CI, where their absence fails the test.
func needTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is required under CI (.ci/run installs it): %v", tool, err)
			}
			t.Skipf("%s not installed", tool)
		}
	}
}

func runScript(t *testing.T, env ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "bash", "auth_backend_admin_flow.sh")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestAuthBackendAdminFlow(t *testing.T) {
	needTools(t)
	srv := sandboxtest.New(t, sandbox.Options{ClientSecret: "flow-secret-value"})
	env := []string{"INBOXCTL_API_URL=" + srv.URL(), "INBOXCTL_TOKEN_URL=" + srv.TokenURL(),
		"AUTH_BACKEND_ADMIN_CLIENT_ID=dev-admin", "AUTH_BACKEND_ADMIN_CLIENT_SECRET=flow-secret-value"}
	out, err := runScript(t, env...)
	if err != nil {
		t.Fatalf("script failed: %v\n%s", err, out)
	}
	for _, step := range []string{"POST /api/applications/app_demo/users -> 201", "POST /api/accounts/acc_root/accounts -> 201",
		"/members -> 201", "PATCH /api/accounts/", "-> 204", "all steps succeeded"} {
		if !strings.Contains(out, step) {
			t.Errorf("output lacks %q:\n%s", step, out)
		}
	}
	if strings.Contains(out, "flow-secret-value") {
		t.Errorf("the secret was printed:\n%s", out)
	}
	st := srv.Stats()
	wantByMethod := map[string]int64{"POST": 3, "PATCH": 2, "DELETE": 3, "GET": 1}
	for m, n := range wantByMethod {
		if st.APIByMethod[m] != n {
			t.Errorf("%s requests: %d, want %d (stats %+v)", m, st.APIByMethod[m], n, st)
		}
	}
	if st.TokenRequests != 1 {
		t.Errorf("token requests: %d", st.TokenRequests)
	}

	t.Run("wrong secret fails clearly", func(t *testing.T) {
		bad := append(env[:3:3], "AUTH_BACKEND_ADMIN_CLIENT_SECRET=wrong")
		out, err := runScript(t, bad...)
		if err == nil || !strings.Contains(out, "invalid_client") {
			t.Errorf("err %v, output:\n%s", err, out)
		}
	})
	t.Run("unexpected status fails", func(t *testing.T) {
		srv.SetFailRate(1)
		defer srv.SetFailRate(0)
		out, err := runScript(t, env...)
		if err == nil || !strings.Contains(out, "HTTP 503, expected 201") {
			t.Errorf("err %v, output:\n%s", err, out)
		}
	})
	t.Run("missing variable", func(t *testing.T) {
		cmd := exec.CommandContext(t.Context(), "bash", "auth_backend_admin_flow.sh")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "INBOXCTL_API_URL") {
			t.Errorf("err %v, output:\n%s", err, out)
		}
	})
}
