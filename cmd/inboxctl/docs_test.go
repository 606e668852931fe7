package main

import (
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/inbox-manager/inboxctl/spec"
)

// schemaFields collects the name of every property anywhere in a JSON Schema.
func schemaFields(node any, into map[string]bool) {
	switch n := node.(type) {
	case map[string]any:
		if props, ok := n["properties"].(map[string]any); ok {
			for name := range props {
				into[name] = true
			}
		}
		for _, v := range n {
			schemaFields(v, into)
		}
	case []any:
		for _, v := range n {
			schemaFields(v, into)
		}
	}
}

// TestStateReferenceMatchesSchema keeps docs/state-files.md and the JSON Schema of spec v1 from
// drifting apart: every field of the schema has a row in the reference and every row is a field.
func TestStateReferenceMatchesSchema(t *testing.T) {
	var schema any
	if err := json.Unmarshal(spec.Schema(), &schema); err != nil {
		t.Fatal(err)
	}
	inSchema := map[string]bool{}
	schemaFields(schema, inSchema)

	doc, err := os.ReadFile("../../docs/state-files.md")
	if err != nil {
		t.Fatal(err)
	}
	inDoc := map[string]bool{}
	row := regexp.MustCompile("(?m)^\\| `([A-Za-z]+)` \\|")
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		inDoc[m[1]] = true
	}
	if diff := cmp.Diff(sortedKeys(inSchema), sortedKeys(inDoc)); diff != "" {
		t.Errorf("fields: schema (-) vs docs/state-files.md (+):\n%s", diff)
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestGuideNamesEveryCommandAndFlag checks that the user's guide mentions every command of the
// command line and every flag of each, so a new flag cannot ship undocumented.
func TestGuideNamesEveryCommandAndFlag(t *testing.T) {
	guide, err := os.ReadFile("../../docs/guide.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(guide)
	app := newApp(testStreamsForDocs())
	check := func(what, needle string) {
		if !strings.Contains(text, needle) {
			t.Errorf("docs/guide.md does not mention %s %s", what, needle)
		}
	}
	for _, f := range app.Flags {
		check("the global flag", "`--"+f.Names()[0])
	}
	for _, c := range app.Commands {
		check("the command", "inboxctl "+c.Name)
		for _, f := range c.Flags {
			if f.Names()[0] == "help" {
				continue
			}
			check("the flag of "+c.Name, "--"+f.Names()[0])
		}
	}
}

func testStreamsForDocs() *streams {
	return &streams{In: strings.NewReader(""), Out: new(strings.Builder), Err: new(strings.Builder), Getenv: func(string) string { return "" }}
}
