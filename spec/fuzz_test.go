package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic or hang, must return either
// a state or a non-empty *Errors, and every error must name the file.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"testdata/valid/*.yaml", "testdata/valid/*/*.yaml", "testdata/valid/*/*/*.y*ml", "testdata/invalid/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("version: 1\nowner: ${A:-x}\naccounts: &a [{name: x, accounts: *a}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := LoadBytes("fuzz.yaml", data, testEnv)
		if err == nil {
			if s == nil {
				t.Fatal("nil state and nil error")
			}
			return
		}
		if s != nil {
			t.Fatal("state returned with an error")
		}
		var es *Errors
		if !errors.As(err, &es) || len(*es) == 0 {
			t.Fatalf("error is not a non-empty *Errors: %v", err)
		}
		for _, e := range *es {
			if !strings.HasPrefix(e.Error(), "fuzz.yaml:") {
				t.Fatalf("error without position: %q", e.Error())
			}
		}
	})
}
