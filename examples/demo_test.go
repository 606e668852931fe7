package examples

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDemo runs `make demo`'s script as a newcomer would meet it and checks that it shows the main
// job: a plan, an apply, a plan with no changes, and the plan of one edit.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a sandbox")
	}
	bin := buildInboxctl(t)
	cmd := exec.Command("bash", "../scripts/demo.sh")
	cmd.Env = append(cmd.Environ(), "INBOXCTL_BIN="+bin+"/inboxctl")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{
		"Plan: 9 to create, 0 to update, 0 to delete, 0 to replace.",
		"Apply complete: 9 done",
		"No changes.",
		`role: "editor" -> "admin"`,
		"demo done",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "dev-secret") {
		t.Error("the demo prints the sandbox's client secret")
	}
}
