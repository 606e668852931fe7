package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatalf("Schema() is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("v1.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("v1.json")
	if err != nil {
		t.Fatalf("Schema() does not compile: %v", err)
	}
	return sch
}

// yamlDocuments decodes every document of a YAML file into plain values, through JSON so that
// they have the types the schema validator expects.
func yamlDocuments(data []byte) ([]any, error) {
	var out []any
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		out = append(out, doc)
	}
}

// validateFile returns the first schema violation of any document of file, or nil.
func validateFile(sch *jsonschema.Schema, file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	docs, err := yamlDocuments(data)
	if err != nil {
		return err
	}
	if len(docs) == 0 {
		return errors.New("no document")
	}
	for _, d := range docs {
		if err := sch.Validate(d); err != nil {
			return err
		}
	}
	return nil
}

// stateFiles walks root for *.yaml and *.yml files, skipping dot entries as Load does. When
// withVersion is set, only files with a document that has a version key count (examples/
// also holds CI workflows).
func stateFiles(t *testing.T, root string, withVersion bool) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root && strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if e.IsDir() || (filepath.Ext(p) != ".yaml" && filepath.Ext(p) != ".yml") {
			return nil
		}
		if withVersion && !hasVersionKey(p) {
			return nil
		}
		files = append(files, p)
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return files
}

func hasVersionKey(file string) bool {
	data, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	docs, err := yamlDocuments(data)
	if err != nil {
		return false
	}
	for _, d := range docs {
		if m, ok := d.(map[string]any); ok {
			if _, ok := m["version"]; ok {
				return true
			}
		}
	}
	return false
}

// TestSchemaAcceptsValidFiles validates every valid test file and every state file under
// examples/ against Schema(), so that the schema never refuses what the loader accepts.
func TestSchemaAcceptsValidFiles(t *testing.T) {
	sch := compileSchema(t)
	files := stateFiles(t, "testdata/valid", false)
	if len(files) < 5 {
		t.Fatalf("only %d valid files found", len(files))
	}
	files = append(files, stateFiles(t, "../examples", true)...)
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			if err := validateFile(sch, f); err != nil {
				t.Errorf("schema refuses %s:\n%v", f, err)
			}
		})
	}
}

// schemaRejects lists the invalid cases whose rule the schema can express.
var schemaRejects = []string{
	"account-empty-name", "account-missing-name", "account-name-slash", "account-name-blank-or-long",
	"appclient-name-blank-or-long",
	"appclient-bad-arn", "appclient-duplicate-redirect-url", "appclient-ftp-url",
	"appclient-http-not-localhost", "appclient-missing-fields", "appclient-no-redirect-urls",
	"appclient-relative-url", "appclient-six-redirect-urls", "appclient-two-starter-emails",
	"duplicate-key-in-user", "duplicate-mapping-key", "member-bad-role", "member-missing-role",
	"missing-version", "owner-empty", "owner-not-string", "parent-bad-path",
	"prune-not-bool", "second-document-without-version", "unknown-field-account",
	"unknown-field-appclient", "unknown-field-document", "unknown-field-ignore",
	"unknown-field-member", "unknown-field-user", "user-bad-email", "user-bad-status",
	"user-empty-id", "user-missing-email", "user-name-not-string", "user-not-mapping",
	"users-not-list", "version-2", "version-quoted",
}

// TestSchemaRejectsInvalidFiles checks that the schema refuses the invalid cases it can express.
func TestSchemaRejectsInvalidFiles(t *testing.T) {
	sch := compileSchema(t)
	for _, name := range schemaRejects {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join("testdata", "invalid", name+".yaml")
			if _, err := os.Stat(file); err != nil {
				t.Fatal(err)
			}
			if err := validateFile(sch, file); err == nil {
				t.Errorf("schema accepts %s", file)
			}
		})
	}
}

func TestSchemaIsIndentedDraft202012(t *testing.T) {
	var s struct {
		Schema string `json:"$schema"`
	}
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Schema != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %q", s.Schema)
	}
	if !bytes.Contains(Schema(), []byte("\n  \"")) {
		t.Errorf("schema is not indented")
	}
	a := Schema()
	a[0] = 'x'
	if Schema()[0] == 'x' {
		t.Errorf("Schema() returns shared bytes a caller can change")
	}
}
