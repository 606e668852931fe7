package spec

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

// testEnv is the environment the test files see.
func testEnv(name string) string {
	return map[string]string{
		"OWNER":       "acme-prod",
		"APP":         "app_demo",
		"EMPTY":       "",
		"SALES_EMAIL": "Sales@Example.com",
	}[name]
}

// errorLines returns the lines of a Load error, or "" for none.
func errorLines(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var es *Errors
	if !errors.As(err, &es) {
		t.Fatalf("error is %T, not *spec.Errors: %v", err, err)
	}
	if len(*es) == 0 {
		t.Fatalf("empty *spec.Errors returned")
	}
	return err.Error() + "\n"
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./spec -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// TestInvalid loads each file of testdata/invalid, which breaks one rule, and compares the error
// lines with its .golden file.
func TestInvalid(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 40 {
		t.Fatalf("only %d invalid cases", len(files))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			s, err := Load([]string{file}, testEnv)
			if err == nil {
				t.Fatalf("loaded without error: %+v", s)
			}
			if s != nil {
				t.Errorf("state returned with an error")
			}
			checkGolden(t, strings.TrimSuffix(file, ".yaml")+".golden", errorLines(t, err))
		})
	}
}

// view is what the valid golden files hold: the state and where each record was declared.
type view struct {
	State     *State            `json:"state"`
	Positions map[string]string `json:"positions"`
}

func viewOf(s *State) view {
	v := view{State: s, Positions: map[string]string{}}
	for _, u := range s.Users {
		v.Positions["user "+u.Email] = u.Pos.String()
	}
	for _, a := range s.Accounts {
		v.Positions["account "+a.Path] = a.Pos.String()
	}
	for _, m := range s.Members {
		v.Positions["member "+m.Key()] = m.Pos.String()
	}
	for _, c := range s.AppClients {
		v.Positions["appClient "+c.AppName] = c.Pos.String()
	}
	return v
}

// TestValid loads each file and each directory of testdata/valid and compares the state, with
// positions, to its .golden.json file.
func TestValid(t *testing.T) {
	entries, err := os.ReadDir("testdata/valid")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() && !strings.HasSuffix(name, ".yaml") {
			continue
		}
		n++
		path := filepath.Join("testdata/valid", name)
		t.Run(name, func(t *testing.T) {
			s, err := Load([]string{path}, testEnv)
			if err != nil {
				t.Fatalf("unexpected errors:\n%v", err)
			}
			got, err := json.MarshalIndent(viewOf(s), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, strings.TrimSuffix(path, ".yaml")+".golden.json", string(got)+"\n")
		})
	}
	if n < 3 {
		t.Fatalf("only %d valid cases", n)
	}
}

func str(s string) *string { return &s }

// TestLoadSplit checks a state split over several files, with parent: and a nested directory,
// field by field: the records, their positions, the mentions and the defaults.
func TestLoadSplit(t *testing.T) {
	dir := filepath.Join("testdata", "valid", "split")
	got, err := Load([]string{dir}, testEnv)
	if err != nil {
		t.Fatalf("unexpected errors:\n%v", err)
	}
	p := func(file string, line, col int) Pos {
		return Pos{File: filepath.Join(dir, file), Line: line, Col: col}
	}
	want := &State{
		Owner:       "acme-prod",
		Application: "app_demo",
		Account:     "acc_root",
		Prune:       false,
		Mentions:    Mentions{Users: true, Accounts: true},
		Users: []User{
			{Email: "alice@example.com", Name: str("Alice Liddell"), Status: "active", Pos: p("users.yaml", 7, 5)},
			{Email: "bob@example.com", Status: "suspended", ID: "usr_0123", Pos: p("users.yaml", 9, 5)},
			{Email: "sales@example.com", Status: "active", Pos: p("users.yaml", 12, 5)},
		},
		Accounts: []Account{
			{Path: "ops", Name: "ops", Pos: p("accounts/ops.yaml", 6, 5)},
			{Path: "ops/team-a", Name: "team-a", Parent: "ops", Pos: p("accounts/ops.yaml", 11, 9)},
			{Path: "ops/team-a/squad-1", Name: "squad-1", Parent: "ops/team-a", PreviousName: "squad-one", Pos: p("accounts/squads.yml", 5, 5)},
			{Path: "ops/team-b", Name: "team-b", Parent: "ops", ID: "acc_0456", Pos: p("accounts/squads.yml", 14, 5)},
		},
		Members: []Member{
			{AccountPath: "ops", User: "bob@example.com", Role: "viewer", Pos: p("accounts/ops.yaml", 8, 9)},
			{AccountPath: "ops/team-a/squad-1", User: "alice@example.com", Role: "owner", Pos: p("accounts/squads.yml", 9, 9)},
		},
		Ignore: Ignore{Users: []string{"*@contractor.example.com"}, Accounts: []string{"legacy-*"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load(%s) mismatch (-want +got):\n%s", dir, diff)
	}
}

// TestYAMLErrorPosition checks the line of YAML syntax errors. yaml.v3 reports a parser error
// at a 0-based line (go-yaml/yaml#205) and a scanner error at a 1-based one.
func TestYAMLErrorPosition(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{name: "parser: unclosed flow sequence", data: "a: 1\nb: 2\nname: [unclosed\n", want: "x.yaml:3:1: invalid YAML: did not find expected ',' or ']'"},
		{name: "parser: unclosed flow mapping", data: "a: 1\nb: 2\nname: {unclosed\n", want: "x.yaml:3:1: invalid YAML: did not find expected ',' or '}'"},
		{name: "parser: list item in a mapping", data: "a: 1\nb: 2\n- c\n", want: "x.yaml:3:1: invalid YAML: did not find expected key"},
		{name: "parser: mapping key in a list", data: "a: 1\nb:\n  - x\n  y: 2\n", want: "x.yaml:3:1: invalid YAML: did not find expected '-' indicator"},
		{name: "parser: mapping after a top-level list", data: "- a\nb: 1\n", want: "x.yaml:2:1: invalid YAML: did not find expected '-' indicator"},
		{name: "parser: in a later document", data: "a: 1\n---\nb: 2\nc: [x\n", want: "x.yaml:4:1: invalid YAML: did not find expected ',' or ']'"},
		{name: "parser: detected at the end of a one-line file", data: "[unclosed\n", want: "x.yaml:1:1: invalid YAML: did not find expected ',' or ']'"},
		{name: "parser: without a final newline", data: "[unclosed", want: "x.yaml:1:1: invalid YAML: did not find expected ',' or ']'"},
		{name: "scanner: mapping value in a plain scalar", data: "a: 1\nb: 2\nc: d: e\n", want: "x.yaml:3:1: invalid YAML: mapping values are not allowed in this context"},
		{name: "scanner: bad indentation", data: "a: 1\n b: 2\n", want: "x.yaml:2:1: invalid YAML: mapping values are not allowed in this context"},
		{name: "scanner: unclosed quoted scalar", data: "a: 1\nb: 2\nc: \"abc\n", want: "x.yaml:3:1: invalid YAML: found unexpected end of stream"},
		{name: "composer: unknown anchor, no line given", data: "a: 1\n\n\nb: *nope\n", want: "x.yaml:1:1: invalid YAML: unknown anchor 'nope' referenced"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadBytes("x.yaml", []byte(tt.data), nil)
			var es *Errors
			if !errors.As(err, &es) {
				t.Fatalf("error %v is not *Errors", err)
			}
			var got string
			for _, e := range *es {
				if strings.Contains(e.Msg, "invalid YAML") {
					got = e.Error()
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("YAML error (-want +got):\n%s", diff)
			}
		})
	}
}
