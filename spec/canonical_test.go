package spec

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestIgnoreUserPatternsAreCaseInsensitive: emails are compared case-insensitively, so a user
// ignore pattern written with capitals still matches (and still conflicts with a declaration).
func TestIgnoreUserPatternsAreCaseInsensitive(t *testing.T) {
	src := "version: 1\nowner: o\napplication: a\naccount: r\nusers:\n  - email: Bob@Contractor.example.com\nignore:\n  users: [\"*@CONTRACTOR.example.com\"]\n"
	_, err := LoadBytes("s.yaml", []byte(src), func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "s.yaml:6:") {
		t.Fatalf("want the declaration matched by the ignore pattern reported at s.yaml:6, got %v", err)
	}

	s := &State{Ignore: Ignore{Users: []string{"*@Contractor.EXAMPLE.com"}}}
	s.Canonicalize()
	if diff := cmp.Diff([]string{"*@contractor.example.com"}, s.Ignore.Users); diff != "" {
		t.Errorf("canonical user patterns (-want +got):\n%s", diff)
	}
}
