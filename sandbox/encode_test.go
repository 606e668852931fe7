package sandbox

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestAppendUserJSON: the hand-written list encoding is byte for byte what encoding/json writes.
func TestAppendUserJSON(t *testing.T) {
	names := map[string]string{
		"plain":       "Alice Liddell",
		"quotes":      `say "hi" \ back`,
		"controls":    "a\nb\rc\td\x00e\x1f",
		"html":        "<b>&amp;</b>",
		"unicode":     "Zoë 日本 😀",
		"invalid":     "bad \xff\xfe utf8",
		"separators":  "line\u2028para\u2029",
		"empty":       "",
		"trailing \\": `ends with \`,
	}
	created := time.Date(2026, 1, 2, 3, 4, 5, 600700800, time.UTC)
	updated := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for label, name := range names {
		t.Run(label, func(t *testing.T) {
			md := map[string]string{"managed-by": name, "k": "v"}
			u := listedUser{id: "usr_1", app: "app_demo", email: "a@example.com", name: name, status: "active",
				metadata: encodeMetadata(md), created: created.UnixNano(), updated: updated.UnixNano()}
			want, err := json.Marshal(userJSON{ID: u.id, ApplicationID: u.app, Email: u.email, Name: name,
				Status: u.status, Metadata: md, CreatedAt: created, UpdatedAt: updated})
			if err != nil {
				t.Fatal(err)
			}
			got := appendUserJSON(nil, &u)
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("(-encoding/json +hand-written):\n%s", diff)
			}
		})
	}
	t.Run("no metadata", func(t *testing.T) {
		got := appendUserJSON(nil, &listedUser{})
		var back userJSON
		if err := json.Unmarshal(got, &back); err != nil || back.Metadata == nil {
			t.Errorf("%s: %v", got, err)
		}
	})
}
