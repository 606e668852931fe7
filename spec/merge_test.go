package spec

import (
	"strings"
	"testing"
)

func TestCompareKeys(t *testing.T) {
	keys := [][2]string{{"", "a@x"}, {"a", "b@x"}, {"a-b", "a@x"}, {"a", "a@x"}, {"a/b", "c@x"}, {"ab", ""}, {"a", "b@x"}}
	for _, k1 := range keys {
		for _, k2 := range keys {
			want := strings.Compare(MemberKey(k1[0], k1[1]), MemberKey(k2[0], k2[1]))
			got := compareKeys(k1[0], k1[1], k2[0], k2[1])
			if (want < 0) != (got < 0) || (want == 0) != (got == 0) {
				t.Errorf("compareKeys(%q, %q) = %d, want the sign of %d", k1, k2, got, want)
			}
		}
	}
}

// TestEmptyKindsAreNil checks that kinds without records are nil slices, as in a State built by
// hand, so that cmp.Diff against one does not differ on nil against empty.
func TestEmptyKindsAreNil(t *testing.T) {
	s, err := LoadBytes("a.yaml", []byte("version: 1\nowner: o\napplication: a\naccount: r\nusers: []\naccounts: []\nmembers: []\nappClients: []\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Users != nil || s.Accounts != nil || s.Members != nil || s.AppClients != nil {
		t.Errorf("empty kinds are not nil: %+v", s)
	}
}

func TestClosest(t *testing.T) {
	tests := []struct{ in, want string }{
		{"emial", "email"},
		{"Email", "email"},
		{"redirectURLs", "redirectUrls"},
		{"apps", ""},
		{"customerManagedKeyARN", "customerManagedKeyArn"},
	}
	for _, tt := range tests {
		all := append(append([]string{}, userFields...), appClientFields...)
		if got := closest(tt.in, all); got != tt.want {
			t.Errorf("closest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
