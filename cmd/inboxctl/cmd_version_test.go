package main

import (
	"os"
	"strings"
	"testing"
)

func runForTest(args ...string) (code int, stdout, stderr string) {
	var out, errb strings.Builder
	s := &streams{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(string) string { return "" }}
	code = run(append([]string{"inboxctl"}, args...), s)
	return code, out.String(), errb.String()
}

func TestVersionReportsVersionAndCommit(t *testing.T) {
	oldV, oldC := version, commit
	t.Cleanup(func() { version, commit = oldV, oldC })
	version, commit = "v1.2.3", "0123456789abcdef0123"
	code, out, _ := runForTest("version")
	if code != 0 || out != "inboxctl v1.2.3 (commit 0123456789ab)\n" {
		t.Errorf("version: exit %d, %q", code, out)
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh"} {
		code, out, _ := runForTest("completion", shell)
		if code != 0 || !strings.Contains(out, "--generate-bash-completion") || !strings.Contains(out, "inboxctl") {
			t.Errorf("completion %s: exit %d, %q", shell, code, out)
		}
	}
	if code, _, errOut := runForTest("completion", "fish"); code != 1 || !strings.Contains(errOut, "bash or zsh") {
		t.Errorf("completion fish: exit %d, %q", code, errOut)
	}
	// The words the scripts ask for come from the binary itself. urfave/cli reads os.Args for
	// them, not the arguments given to Run.
	oldArgs := os.Args
	t.Cleanup(func() { os.Args = oldArgs })
	os.Args = []string{"inboxctl", "--generate-bash-completion"}
	code, out, _ := runForTest("--generate-bash-completion")
	if code != 0 || !strings.Contains(out, "plan\n") || !strings.Contains(out, "apply\n") {
		t.Errorf("--generate-bash-completion: exit %d, %q", code, out)
	}
}
