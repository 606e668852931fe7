package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// runValidateTest runs the command line in memory and returns the exit code and both streams.
func runValidateTest(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	s := &streams{In: strings.NewReader(""), Out: &out, Err: &errOut, Getenv: func(k string) string { return env[k] }}
	code = run(append([]string{"inboxctl"}, args...), s)
	return code, out.String(), errOut.String()
}

func TestValidateCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", `version: 1
owner: ${OWNER}
application: app_demo
account: acc_root
users:
  - email: alice@example.com
  - email: bob@example.com
members:
  - user: alice@example.com
    role: admin
accounts:
  - name: ops
`)
	bad := write("bad.yaml", `version: 1
owner: acme
application: app_demo
account: acc_root
users:
  - email: alice@example.com
    status: gone
members:
  - user: nobody@example.com
    role: admin
`)
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantCode   int
		wantStderr string
	}{
		{
			name:       "valid",
			args:       []string{"validate", good},
			env:        map[string]string{"OWNER": "acme"},
			wantCode:   0,
			wantStderr: "valid: 2 users, 1 account, 1 member, 0 app clients\n",
		},
		{
			name:     "invalid prints every error",
			args:     []string{"validate", bad},
			wantCode: 1,
			wantStderr: bad + `:7:13: status must be active or suspended, not "gone"` + "\n" +
				bad + ":9:11: member nobody@example.com is not a declared user (declare it under users)\n" +
				"invalid: 2 errors\n",
		},
		{
			name:     "unset variable",
			args:     []string{"validate", good},
			wantCode: 1,
			wantStderr: good + ":2:8: owner: environment variable OWNER is not set (give a default with ${OWNER:-value})\n" +
				"invalid: 1 error\n",
		},
		{
			name:       "no path",
			args:       []string{"validate"},
			wantCode:   1,
			wantStderr: "inboxctl: validate: give at least one state file or directory\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runValidateTest(t, tt.env, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d", code, tt.wantCode)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if diff := cmp.Diff(tt.wantStderr, stderr); diff != "" {
				t.Errorf("stderr mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSchemaCommand(t *testing.T) {
	code, stdout, stderr := runValidateTest(t, nil, "schema")
	if code != 0 || stderr != "" {
		t.Fatalf("exit code %d, stderr %q", code, stderr)
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v", s["$schema"])
	}
}
