package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/inbox-manager/inboxctl/sandbox"
	"github.com/inbox-manager/inboxctl/sandbox/sandboxtest"
)

func usersState(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("version: 1\nowner: term\napplication: app_demo\naccount: acc_root\nusers:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - email: u%03d@example.com\n", i)
	}
	if err := os.WriteFile(filepath.Join(dir, "s.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestApplyAsksOnATerminal: on a terminal apply asks, and only "yes" goes on; the progress bar is
// drawn on a terminal's stderr.
func TestApplyAsksOnATerminal(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	dir := usersState(t, 3)
	env := map[string]string{
		envAPIURL: srv.URL(), envTokenURL: srv.TokenURL(),
		envClientID: sandbox.DefaultClientID, envClientSecret: sandbox.DefaultClientSecret,
	}
	for _, tt := range []struct {
		answer string
		code   int
		posts  int64
	}{
		{"no\n", exitError, 0},
		{"y\n", exitError, 0},
		{"", exitError, 0}, // end of input
		{"yes\n", exitOK, 3},
	} {
		before := srv.Stats().APIByMethod["POST"]
		var out, errb bytes.Buffer
		s := &streams{In: strings.NewReader(tt.answer), Out: &out, Err: &errb, InTTY: true, ErrTTY: true,
			Getenv: func(k string) string { return env[k] }}
		code := run([]string{"inboxctl", "apply", dir}, s)
		posts := srv.Stats().APIByMethod["POST"] - before
		if code != tt.code || posts != tt.posts {
			t.Errorf("answer %q: exit %d with %d creates, want exit %d with %d\n%s", tt.answer, code, posts, tt.code, tt.posts, errb.String())
		}
		if !strings.Contains(errb.String(), "Only 'yes' is accepted") {
			t.Errorf("answer %q: no question on stderr:\n%s", tt.answer, errb.String())
		}
		if tt.code == exitOK && !strings.Contains(errb.String(), "applying") {
			t.Errorf("no progress bar on a terminal:\n%s", errb.String())
		}
		if tt.code != exitOK && !strings.Contains(errb.String(), "cancelled, nothing was changed") {
			t.Errorf("answer %q: stderr does not say nothing was changed:\n%s", tt.answer, errb.String())
		}
	}
}

// TestHelperProcess runs inboxctl in a child process for the signal tests; it does nothing in a
// normal test run.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("INBOXCTL_HELPER_PROCESS") != "1" {
		return
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Exit(run(args, stdStreams()))
}

// TestSecondInterruptExitsAtOnce: the first SIGINT lets the requests in flight finish; a second
// one ends the process at once, without waiting for them.
func TestSecondInterruptExitsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	srv := sandboxtest.New(t, sandbox.Options{})
	dir := usersState(t, 20)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "--", "inboxctl", "apply", dir, "--auto-approve", "--parallelism", "1")
	cmd.Env = append(os.Environ(), "INBOXCTL_HELPER_PROCESS=1",
		envAPIURL+"="+srv.URL(), envTokenURL+"="+srv.TokenURL(),
		envClientID+"="+sandbox.DefaultClientID, envClientSecret+"="+sandbox.DefaultClientSecret)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	// Reads are quick; once the first create is sent, every request takes 3 s.
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for srv.Stats().APIByMethod["POST"] < 1 {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("apply never started:\n%s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	srv.SetLatency(3 * time.Second)
	time.Sleep(200 * time.Millisecond) // the next create is now in flight, for 3 s
	_ = cmd.Process.Signal(syscall.SIGINT)
	time.Sleep(200 * time.Millisecond)
	second := time.Now()
	_ = cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if took := time.Since(second); took > 2*time.Second {
		t.Errorf("after the second interrupt the process took %s to end: it waited for the request in flight", took)
	}
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Errorf("process ended with %v, want death by SIGINT\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupt again to exit at once") {
		t.Errorf("the first interrupt was not acknowledged:\n%s", stderr.String())
	}
}
