package plan

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/inbox-manager/inboxctl/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, rewriting the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./plan -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got); run go test ./plan -update if intended:\n%s", file, diff)
	}
}

func sp(s string) *string { return &s }

func pos(file string, line int) spec.Pos { return spec.Pos{File: file, Line: line, Col: 3} }

const owner = "acme-prod"

// newDesired returns an empty desired state of owner acme-prod that mentions every kind.
func newDesired() *spec.State {
	return &spec.State{
		Owner: owner, Application: "app_demo", Account: "acc_root", Prune: true,
		Mentions: spec.Mentions{Users: true, Accounts: true, RootMembers: true, AppClients: true},
	}
}

// newLive returns an empty live state of the root acc_root.
func newLive() *spec.State {
	return &spec.State{Owner: owner, Application: "app_demo", Account: "acc_root"}
}

func mustCompute(t *testing.T, desired, live *spec.State, opts Options) *Plan {
	t.Helper()
	desired.Canonicalize()
	live.Canonicalize()
	p, err := Compute(desired, live, opts)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	return p
}

func renderAll(t *testing.T, p *Plan) (text, js []byte) {
	t.Helper()
	var tb, jb bytes.Buffer
	if err := RenderText(&tb, p, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := RenderJSON(&jb, p); err != nil {
		t.Fatal(err)
	}
	return tb.Bytes(), jb.Bytes()
}
