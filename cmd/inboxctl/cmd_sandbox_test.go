package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/urfave/cli/v2"
)

// lockedBuffer is a bytes.Buffer safe for the server's goroutines to log into.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestSandboxFlagDefaults(t *testing.T) {
	var cmd *cli.Command
	for _, c := range newApp(&streams{Getenv: func(string) string { return "" }}).Commands {
		if c.Name == "sandbox" {
			cmd = c
		}
	}
	if cmd == nil {
		t.Fatal("no sandbox command")
	}
	got := map[string]string{}
	for _, f := range cmd.Flags {
		got[f.Names()[0]] = f.(cli.DocGenerationFlag).GetValue()
	}
	// CONTRACT section 5.
	want := map[string]string{
		"addr": "127.0.0.1:8080", "db": "inboxctl-sandbox.db", "client-id": "dev-admin", "client-secret": "dev-secret",
		"username": "dev-user", "password": "dev-password", "audience": "https://api.inbox-manager.com",
		"token-ttl": "1h0m0s", "refresh-ttl": "72h0m0s", "latency": "0s", "fail-rate": "0", "rate-limit": "0",
		"auto-verify": "",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("flag defaults (-want +got):\n%s", diff)
	}
}

// TestSandboxCommand runs `inboxctl sandbox` through run() on a free port, reads its export lines,
// uses the server, and stops it with a signal.
func TestSandboxCommand(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		signal syscall.Signal
		status string // verification status of a new app client
	}{
		{"file db, SIGINT", []string{"--db", filepath.Join(t.TempDir(), "s.db")}, syscall.SIGINT, "pending_verification"},
		{"memory, auto-verify, SIGTERM", []string{"--db", ":memory:", "--auto-verify", "--token-ttl", "5m",
			"--client-secret", "s3cr'et", "--latency", "1ms", "--rate-limit", "1000", "--fail-rate", "0"}, syscall.SIGTERM, "verified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			outR, outW := io.Pipe()
			var errb lockedBuffer
			s := &streams{In: strings.NewReader(""), Out: outW, Err: &errb, Getenv: func(string) string { return "" }}
			code := make(chan int, 1)
			go func() {
				code <- run(append([]string{"inboxctl", "sandbox", "--addr", "127.0.0.1:0"}, tt.args...), s)
				outW.Close()
			}()

			env := map[string]string{}
			sc := bufio.NewScanner(outR)
			for len(env) < 4 && sc.Scan() {
				line, ok := strings.CutPrefix(sc.Text(), "export ")
				if !ok {
					t.Fatalf("stdout line %q is not an export", sc.Text())
				}
				k, v, _ := strings.Cut(line, "=")
				env[k] = v
			}
			if len(env) < 4 {
				t.Fatalf("exports %v; stderr: %s", env, errb.String())
			}
			go io.Copy(io.Discard, outR)
			secret := "dev-secret"
			if strings.Contains(strings.Join(tt.args, " "), "s3cr'et") {
				secret = "s3cr'et"
				if env["AUTH_BACKEND_ADMIN_CLIENT_SECRET"] != `'s3cr'\''et'` {
					t.Errorf("secret not shell-quoted: %q", env["AUTH_BACKEND_ADMIN_CLIENT_SECRET"])
				}
			}
			api := env["INBOXCTL_API_URL"]
			if !strings.HasPrefix(api, "http://127.0.0.1:") || env["INBOXCTL_TOKEN_URL"] != api+"/oauth2/token" ||
				env["AUTH_BACKEND_ADMIN_CLIENT_ID"] != "dev-admin" {
				t.Errorf("exports %v", env)
			}

			// The server works with the printed credentials.
			resp, err := http.PostForm(env["INBOXCTL_TOKEN_URL"], url.Values{"grant_type": {"client_credentials"},
				"client_id": {"dev-admin"}, "client_secret": {secret}, "audience": {"https://api.inbox-manager.com"}})
			if err != nil {
				t.Fatal(err)
			}
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			json.NewDecoder(resp.Body).Decode(&tok)
			resp.Body.Close()
			if resp.StatusCode != 200 || tok.AccessToken == "" {
				t.Fatalf("token: %d", resp.StatusCode)
			}
			req, _ := http.NewRequest("POST", api+"/appclients", strings.NewReader(
				`{"appName":"a","description":"d","redirectUrls":["https://localhost"],"starterUserEmails":["a@example.com"]}`))
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var created struct {
				Summary struct{ VerificationStatus string } `json:"appClientSummary"`
			}
			json.NewDecoder(resp.Body).Decode(&created)
			resp.Body.Close()
			if resp.StatusCode != 200 || created.Summary.VerificationStatus != tt.status {
				t.Errorf("create app client: %d %+v", resp.StatusCode, created)
			}

			if err := syscall.Kill(os.Getpid(), tt.signal); err != nil {
				t.Fatal(err)
			}
			select {
			case c := <-code:
				if c != 0 {
					t.Errorf("exit code %d; stderr: %s", c, errb.String())
				}
			case <-time.After(15 * time.Second):
				t.Fatal("the sandbox did not stop on the signal")
			}
			logs := errb.String()
			if !strings.Contains(logs, "sandbox listening") || !strings.Contains(logs, "sandbox stopped") {
				t.Errorf("stderr: %s", logs)
			}
			if strings.Contains(logs, secret) || strings.Contains(logs, tok.AccessToken) {
				t.Errorf("a secret was logged: %s", logs)
			}
			if _, err := http.Get(api + "/api/accounts/acc_root"); err == nil {
				t.Error("the server still answers after the signal")
			}
		})
	}
}

func TestSandboxCommandStartError(t *testing.T) {
	var out, errb bytes.Buffer
	s := &streams{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(string) string { return "" }}
	code := run([]string{"inboxctl", "sandbox", "--addr", "127.0.0.1:0", "--db", ":memory:", "--fail-rate", "2"}, s)
	if code != exitError || out.Len() != 0 || !strings.Contains(errb.String(), "fail rate") {
		t.Errorf("code %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}
