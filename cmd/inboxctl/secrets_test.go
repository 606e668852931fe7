package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inbox-manager/inboxctl/sandbox"
	"github.com/inbox-manager/inboxctl/sandbox/sandboxtest"
)

// tokenRecorder is a reverse proxy in front of the sandbox's auth endpoints that remembers every
// access and refresh token the sandbox issued, so a test can look for them in the output.
type tokenRecorder struct {
	mu     sync.Mutex
	tokens []string
}

func (tr *tokenRecorder) record(resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if json.Unmarshal(body, &tok) == nil {
		tr.mu.Lock()
		for _, s := range []string{tok.AccessToken, tok.RefreshToken} {
			if s != "" {
				tr.tokens = append(tr.tokens, s)
			}
		}
		tr.mu.Unlock()
	}
	return nil
}

// TestNoSecretInAnyOutput runs every command that talks to the API, at debug level with JSON logs
// and with both grants and tokens that expire during the run, and checks that the client secret,
// the password and every token the server issued appear nowhere: not on stdout or stderr, not in
// the plan file, the run report or the exported files.
func TestNoSecretInAnyOutput(t *testing.T) {
	const secret, password = "client-S3CRET-7f41c2", "user-PASSW0RD-91be0a"
	for _, grant := range []string{"client_credentials", "password"} {
		t.Run(grant, func(t *testing.T) {
			srv := sandboxtest.New(t, sandbox.Options{ClientSecret: secret, Password: password,
				TokenTTL: time.Second, Latency: 30 * time.Millisecond})
			target, _ := url.Parse(srv.URL())
			rec := &tokenRecorder{}
			proxy := httputil.NewSingleHostReverseProxy(target)
			proxy.ModifyResponse = rec.record
			authSrv := httptest.NewServer(proxy)
			t.Cleanup(authSrv.Close)

			dir := t.TempDir()
			state := filepath.Join(dir, "state")
			if err := os.MkdirAll(state, 0o755); err != nil {
				t.Fatal(err)
			}
			var users strings.Builder
			for i := 0; i < 30; i++ { // 30 creates at 30 ms, 2 in flight: the 1 s tokens expire
				users.WriteString("  - email: user" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "@example.com\n")
			}
			writeFile(t, filepath.Join(state, "s.yaml"), "version: 1\nowner: secrets\napplication: app_demo\naccount: acc_root\nusers:\n"+users.String())
			planFile := filepath.Join(dir, "plan.json")
			report := filepath.Join(dir, "report.json")
			noopReport := filepath.Join(dir, "noop-report.json") // an apply with nothing to do reports too
			exportDir := filepath.Join(dir, "export")

			env := map[string]string{
				envAPIURL: srv.URL(), envTokenURL: authSrv.URL + "/oauth2/token",
				envClientID: sandbox.DefaultClientID, envClientSecret: secret,
				envGrant: grant, envUsername: sandbox.DefaultUsername, envPassword: password,
				"INBOXCTL_LOG_LEVEL": "debug", "INBOXCTL_LOG_FORMAT": "json",
				"INBOXCTL_APPLICATION": "app_demo", "INBOXCTL_ACCOUNT": "acc_root",
			}
			var all strings.Builder
			for _, args := range [][]string{
				{"validate", state},
				{"plan", state, "--format", "json", "--out", planFile},
				{"apply", planFile, "--auto-approve", "--parallelism", "2", "--report", report},
				{"apply", state, "--auto-approve", "--report", noopReport},
				{"drift", state, "--format", "json"},
				{"export", "--out", exportDir},
			} {
				var out, errb bytes.Buffer
				s := &streams{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(k string) string { return env[k] }}
				if code := run(append([]string{"inboxctl"}, args...), s); code != exitOK {
					t.Fatalf("%v: exit %d\n%s", args, code, errb.String())
				}
				all.WriteString(out.String())
				all.WriteString(errb.String())
			}
			for _, f := range []string{planFile, report, noopReport} {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				all.Write(data)
			}
			files, _ := filepath.Glob(filepath.Join(exportDir, "*.yaml"))
			if len(files) == 0 {
				t.Fatal("export wrote no files")
			}
			for _, f := range files {
				data, _ := os.ReadFile(f)
				all.Write(data)
			}

			text := all.String()
			if !strings.Contains(text, `"method":"POST"`) && !strings.Contains(text, `"method": "POST"`) {
				t.Fatalf("the debug log shows no request: the test would pass vacuously:\n%.2000s", text)
			}
			rec.mu.Lock()
			tokens := append([]string(nil), rec.tokens...)
			rec.mu.Unlock()
			if len(tokens) < 3 {
				t.Fatalf("only %d tokens issued: expected renewals during the run", len(tokens))
			}
			for _, s := range append([]string{secret, password}, tokens...) {
				if strings.Contains(text, s) {
					t.Errorf("a secret or token (%.6s...) appears in the output", s)
				}
			}
		})
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
