package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/inbox-manager/inboxctl/sandbox"
	"github.com/inbox-manager/inboxctl/sandbox/sandboxtest"
)

// TestPlanSaysWhatTheReadCost: plan reports on stderr how many resources it read and how many
// requests that took; on an empty tenant the quickstart scope costs the minimum: the root
// account, one users page, the root's children, the root's members and one app-client page.
func TestPlanSaysWhatTheReadCost(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	env := map[string]string{
		envAPIURL: srv.URL(), envTokenURL: srv.TokenURL(),
		envClientID: sandbox.DefaultClientID, envClientSecret: sandbox.DefaultClientSecret,
	}
	var out, errb bytes.Buffer
	s := &streams{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(k string) string { return env[k] }}
	if code := run([]string{"inboxctl", "plan", "../../examples/quickstart"}, s); code != exitOK {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	want := "Read the live state: 0 users, 0 accounts, 0 members, 0 app clients in 5 API requests ("
	if !strings.Contains(errb.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, errb.String())
	}
	if strings.Contains(out.String(), "Read the live state") {
		t.Error("the read summary is on stdout, where the plan goes")
	}
}
