package spec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const ldHeader = "version: 1\nowner: acme\napplication: app_demo\naccount: acc_root\n"

func ldWriteFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// loadLines loads paths and returns the error lines with dir replaced by "DIR".
func loadLines(t *testing.T, dir string, paths ...string) []string {
	t.Helper()
	s, err := Load(paths, nil)
	if err == nil {
		if s == nil {
			t.Fatal("nil state without error")
		}
		return nil
	}
	if s != nil {
		t.Error("state returned with an error")
	}
	var es *Errors
	if !errors.As(err, &es) {
		t.Fatalf("error is %T, not *spec.Errors", err)
	}
	var lines []string
	for _, e := range *es {
		lines = append(lines, strings.ReplaceAll(e.Error(), dir, "DIR"))
	}
	return lines
}

func TestLoadFiles(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		args  []string // relative to the temporary directory; "" is the directory itself
		want  []string
	}{
		{
			name: "duplicate user across files names both places",
			files: map[string]string{
				"a.yaml": ldHeader + "users:\n  - email: alice@example.com\n",
				"b.yaml": "version: 1\nusers:\n  - email: Alice@Example.com\n",
			},
			args: []string{""},
			want: []string{"DIR/b.yaml:3:5: duplicate user alice@example.com (first declared at DIR/a.yaml:6:5)"},
		},
		{
			name: "sibling accounts across files",
			files: map[string]string{
				"a.yaml": ldHeader + "accounts:\n  - name: ops\n    accounts:\n      - name: team\n",
				"b.yaml": "version: 1\naccounts:\n  - name: team\n    parent: ops\n",
			},
			args: []string{""},
			want: []string{"DIR/b.yaml:3:5: duplicate account ops/team (first declared at DIR/a.yaml:8:9)"},
		},
		{
			name: "owner disagrees across files",
			files: map[string]string{
				"a.yaml": ldHeader,
				"b.yaml": "version: 1\nowner: other\n",
			},
			args: []string{"a.yaml", "b.yaml"},
			want: []string{`DIR/b.yaml:2:8: owner "other" disagrees with "acme" given at DIR/a.yaml:2:8`},
		},
		{
			name: "member of a user declared in another file",
			files: map[string]string{
				"users.yaml":   ldHeader + "users:\n  - email: bob@example.com\n",
				"members.yaml": "version: 1\nmembers:\n  - user: bob@example.com\n    role: viewer\n",
			},
			args: []string{""},
		},
		{
			name: "parent declared in another file",
			files: map[string]string{
				"a.yaml":     ldHeader + "accounts:\n  - name: ops\n",
				"sub/b.yaml": "version: 1\naccounts:\n  - name: team\n    parent: ops\n",
			},
			args: []string{""},
		},
		{
			name: "dot entries and other extensions skipped",
			files: map[string]string{
				"a.yaml":          ldHeader,
				".b.yaml":         "broken: [",
				".git/c.yaml":     "broken: [",
				"README.md":       "# not a state",
				"sub/.d/e.yml":    "broken: [",
				"sub/f.yml":       "version: 1\n",
				"sub/g.yaml.orig": "broken: [",
			},
			args: []string{""},
		},
		{
			name:  "a file named twice is read once",
			files: map[string]string{"a.yaml": ldHeader + "users:\n  - email: a@example.com\n"},
			args:  []string{"a.yaml", "./a.yaml", ""},
		},
		{
			name:  "a file named explicitly is read whatever its extension",
			files: map[string]string{"state.txt": ldHeader + "oops: 1\n"},
			args:  []string{"state.txt"},
			want:  []string{`DIR/state.txt:5:1: unknown field "oops" in document (known: version, owner, application, account, users, members, accounts, appClients, ignore, prune)`},
		},
		{
			name:  "missing path",
			files: map[string]string{"a.yaml": ldHeader},
			args:  []string{"a.yaml", "nope.yaml"},
			want:  []string{"DIR/nope.yaml: cannot read: no such file or directory"},
		},
		{
			name:  "directory without state files",
			files: map[string]string{"a.yaml": ldHeader, "empty/README.md": "hi"},
			args:  []string{"a.yaml", "empty"},
			want:  []string{"DIR/empty: no *.yaml or *.yml file in this directory"},
		},
		{
			name: "a file that does not parse leaves out the checks that need every file",
			files: map[string]string{
				"1.yaml": ldHeader + "users:\n  - email: a@example.com\n  name: [unclosed\naccounts:\n  - name: ops\n",
				"2.yaml": "version: 1\nmembers:\n  - user: a@example.com\n    role: viewer\naccounts:\n  - name: team\n    parent: ops\n    members:\n      - user: a@example.com\n        role: bogus\n",
			},
			args: []string{""},
			want: []string{
				"DIR/1.yaml:6:1: 5 checks that need every file (owner, application and account given, the users of members and parents declared) skipped: this file could not be parsed to its end",
				"DIR/1.yaml:6:1: invalid YAML: did not find expected '-' indicator",
				`DIR/2.yaml:10:15: role must be one of viewer, editor, admin, owner, not "bogus"`,
			},
		},
		{
			name: "errors of every file, sorted by file and line",
			files: map[string]string{
				"b.yaml": "version: 1\nusers:\n  - email: x\n",
				"a.yaml": ldHeader + "prune: nope\nfoo: 1\n",
			},
			args: []string{"b.yaml", "a.yaml"},
			want: []string{
				`DIR/a.yaml:5:8: prune must be true or false, not "nope"`,
				`DIR/a.yaml:6:1: unknown field "foo" in document (known: version, owner, application, account, users, members, accounts, appClients, ignore, prune)`,
				`DIR/b.yaml:3:12: email "x" is not a valid email address: missing '@' or angle-addr`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := ldWriteFiles(t, tt.files)
			var paths []string
			for _, a := range tt.args {
				paths = append(paths, filepath.Join(dir, a))
			}
			got := loadLines(t, dir, paths...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadNoPaths(t *testing.T) {
	_, err := Load(nil, nil)
	if err == nil || err.Error() != "no state file given" {
		t.Errorf("Load(nil) error = %v", err)
	}
}

// TestLoadKeepsPathsAsGiven checks that positions use the path the user typed, joined with the
// path inside a directory argument.
func TestLoadKeepsPathsAsGiven(t *testing.T) {
	_, err := Load([]string{"testdata/invalid/duplicate-user.yaml", "testdata/valid/split"}, testEnv)
	if err == nil {
		t.Fatal("no error")
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, "testdata/invalid/duplicate-user.yaml:") && !strings.HasPrefix(line, "testdata/valid/split/") {
			t.Errorf("error line %q does not start with a path as given", line)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	es := Errors{
		{Pos: Pos{File: "b.yaml", Line: 2, Col: 3}, Msg: "second"},
		{Pos: Pos{File: "a.yaml"}, Msg: "cannot read: denied"},
		{Msg: "no state file given"},
		{Pos: Pos{File: "b.yaml", Line: 1, Col: 9}, Msg: "first"},
	}
	es.sort()
	want := "no state file given\na.yaml: cannot read: denied\nb.yaml:1:9: first\nb.yaml:2:3: second"
	if diff := cmp.Diff(want, es.Error()); diff != "" {
		t.Errorf("Errors.Error() mismatch (-want +got):\n%s", diff)
	}
	var target *Error
	if !errors.As(error(es), &target) || target.Msg != "no state file given" {
		t.Errorf("errors.As through Unwrap found %v", target)
	}
}

// TestAliasBomb checks that a file whose aliases expand to billions of accounts is refused
// quickly and without growing memory.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString(ldHeader)
	b.WriteString("anchors:\n  - &l0 {name: x}\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "  - &l%d {name: x, accounts: [", i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]}\n")
	}
	b.WriteString("accounts: [*l9]\n")
	start := time.Now()
	_, err := LoadBytes("bomb.yaml", []byte(b.String()), nil)
	if err == nil {
		t.Fatal("no error")
	}
	if !strings.Contains(err.Error(), "aliases expand to too large a document") {
		t.Errorf("error does not name the alias expansion:\n%.500s", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestLoadSameFileByTwoNames checks that a file reached by two spellings of its path (relative
// and absolute, or through a symbolic link) is read once, and that a symbolic link to a
// directory is read as the directory, with positions under the name given.
func TestLoadSameFileByTwoNames(t *testing.T) {
	dir := ldWriteFiles(t, map[string]string{
		"state/users.yaml": ldHeader + "users:\n  - email: a@example.com\n  - email: b@example.com\n",
		"state/bad.yaml":   "version: 1\noops: 1\n",
	})
	if err := os.Symlink("state", filepath.Join(dir, "statelink")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	if err := os.Symlink(filepath.Join("state", "users.yaml"), filepath.Join(dir, "users-link.yaml")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	abs := filepath.Join(dir, "state", "users.yaml")
	badLine := func(prefix string) []string {
		return []string{prefix + `bad.yaml:2:1: unknown field "oops" in document (known: version, owner, application, account, users, members, accounts, appClients, ignore, prune)`}
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{name: "directory and the absolute path of a file in it", args: []string{"state", abs}, want: badLine("state/")},
		{name: "absolute path of a file and its directory", args: []string{abs, "state"}, want: badLine("state/")},
		{name: "a file and a link to it", args: []string{"state/users.yaml", "users-link.yaml"}},
		{name: "a link to a directory", args: []string{"statelink"}, want: badLine("statelink/")},
		{name: "a directory and a link to it", args: []string{"state", "statelink/"}, want: badLine("state/")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := loadLines(t, dir, tt.args...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
