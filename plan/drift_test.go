package plan

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/inbox-manager/inboxctl/spec"
)

// driftOf computes the drift of the desired and live states that states returns, failing the test on
// an error.
func driftOf(t *testing.T, states func() (*spec.State, *spec.State)) *DriftReport {
	t.Helper()
	d, l := states()
	d.Canonicalize()
	l.Canonicalize()
	r, err := ComputeDrift(d, l, Options{MaxDeletePercent: 100})
	if err != nil {
		t.Fatalf("ComputeDrift: %v", err)
	}
	return r
}

// TestDriftValues: a changed item carries the live and desired value of every changed field,
// the outputs show them, and the digest follows them: the same values give the same digest,
// other values another one (finding 1: Carol -> Carol X, then -> Carol Y, was one digest).
func TestDriftValues(t *testing.T) {
	// nameDrift: the files say Carol, the tenant says liveName.
	nameDrift := func(liveName string) (*spec.State, *spec.State) {
		d, l := newDesired(), newLive()
		d.Users = []spec.User{{Email: "carol@example.com", Name: sp("Carol"), Status: "active", Pos: pos("u.yaml", 3)}}
		l.Users = []spec.User{user("carol@example.com", sp(liveName), "active", "usr_carol", owner)}
		return d, l
	}
	// roleDrift: the files say admin, the tenant says liveRole.
	roleDrift := func(liveRole string) (*spec.State, *spec.State) {
		d, l := newDesired(), newLive()
		d.Users = []spec.User{{Email: "bob@example.com", Status: "active"}}
		d.Accounts = []spec.Account{{Path: "ops", Name: "ops"}}
		d.Members = []spec.Member{{AccountPath: "ops", User: "bob@example.com", Role: "admin", Pos: pos("a.yaml", 5)}}
		l.Users = []spec.User{user("bob@example.com", sp(""), "active", "usr_bob", owner)}
		l.Accounts = []spec.Account{account("ops", "acc_ops", owner)}
		l.Members = []spec.Member{member("ops", "bob@example.com", liveRole, "mem_1")}
		return d, l
	}
	tests := []struct {
		name       string
		first      func() (*spec.State, *spec.State)
		second     func() (*spec.State, *spec.State)
		wantValues []DriftValue // of the first report's only item
		wantText   string       // a line of the first report's text
	}{
		{
			name:       "user name drifts on",
			first:      func() (*spec.State, *spec.State) { return nameDrift("Carol X") },
			second:     func() (*spec.State, *spec.State) { return nameDrift("Carol Y") },
			wantValues: []DriftValue{{Field: "name", Live: "Carol X", Desired: "Carol"}},
			wantText:   `  ~ changed   user carol@example.com  (name: "Carol X", want "Carol")  u.yaml:3`,
		},
		{
			name:       "member role drifts on",
			first:      func() (*spec.State, *spec.State) { return roleDrift("viewer") },
			second:     func() (*spec.State, *spec.State) { return roleDrift("owner") },
			wantValues: []DriftValue{{Field: "role", Live: "viewer", Desired: "admin"}},
			wantText:   `  ~ changed   member ops/bob@example.com  (role: "viewer", want "admin")  a.yaml:5`,
		},
		{
			name:  "adoption: no marker live",
			first: func() (*spec.State, *spec.State) { d, l := nameDrift("Carol"); l.Users[0].Owner = ""; return d, l },
			second: func() (*spec.State, *spec.State) {
				d, l := nameDrift("Carol")
				l.Users[0].Owner = ""
				l.Users[0].Status = "suspended"
				return d, l
			},
			wantValues: []DriftValue{{Field: "managed_by", Live: nil, Desired: owner}},
			wantText:   `  ~ changed   user carol@example.com  (managed_by: (none), want "acme-prod")  u.yaml:3`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r1 := driftOf(t, tt.first)
			again := driftOf(t, tt.first)
			r2 := driftOf(t, tt.second)
			if len(r1.Items) != 1 {
				t.Fatalf("got %d drift items, want 1: %+v", len(r1.Items), r1.Items)
			}
			if diff := cmp.Diff(tt.wantValues, r1.Items[0].Values); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			if r1.Digest != again.Digest {
				t.Errorf("same drift, digests %s and %s", r1.Digest, again.Digest)
			}
			if r1.Digest == r2.Digest {
				t.Errorf("drifted values changed, digest stayed %s", r1.Digest)
			}
			var text, js, md bytes.Buffer
			if err := RenderDriftText(&text, r1, TextOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := RenderDriftJSON(&js, r1); err != nil {
				t.Fatal(err)
			}
			if err := RenderDriftMarkdown(&md, r1, MarkdownOptions{}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text.String(), tt.wantText+"\n") {
				t.Errorf("text lacks %q:\n%s", tt.wantText, text.String())
			}
			if !strings.Contains(js.String(), `"values": [`) || !strings.Contains(js.String(), `"digest": "sha256:`) {
				t.Errorf("json lacks the values or the digest:\n%s", js.String())
			}
			if det := r1.Items[0].detail(); !strings.Contains(md.String(), mdEscape(det)) {
				t.Errorf("markdown lacks the detail %q:\n%s", det, md.String())
			}
		})
	}
}

// TestDriftUndeclaredKept: what carries this owner's marker (or is in scope) but is not declared
// is drift even when no plan deletes it: with prune: false apply keeps it, and the report says so
// (finding 2: prune: false reported "No drift.").
func TestDriftUndeclaredKept(t *testing.T) {
	const kept = "not declared; prune is off, so apply keeps it"
	tests := []struct {
		name  string
		setup func(d, l *spec.State)
		want  []string // "drift kind key action (detail)"
	}{
		{
			name: "prune off: own user",
			setup: func(d, l *spec.State) {
				l.Users = []spec.User{user("gone@x.com", sp(""), "active", "usr_g", owner)}
			},
			want: []string{"changed user gone@x.com  (" + kept + ")"},
		},
		{
			name: "prune off: own account, its child and the members of a declared account and the root",
			setup: func(d, l *spec.State) {
				d.Users = []spec.User{{Email: "a@x.com", Status: "active"}}
				d.Accounts = []spec.Account{{Path: "keep", Name: "keep"}}
				l.Users = []spec.User{user("a@x.com", sp(""), "active", "usr_a", owner)}
				l.Accounts = []spec.Account{account("keep", "acc_k", owner), account("old", "acc_o", owner), account("old/sub", "acc_s", owner)}
				l.Members = []spec.Member{member("keep", "a@x.com", "viewer", "m1"), member("", "a@x.com", "admin", "m2"), member("old", "a@x.com", "viewer", "m3")}
			},
			want: []string{
				"changed account old  (" + kept + ")",
				"changed account old/sub  (" + kept + ")",
				"changed member /a@x.com  (" + kept + ")",
				"changed member keep/a@x.com  (" + kept + ")",
			},
		},
		{
			name: "prune off: undeclared app client in scope",
			setup: func(d, l *spec.State) {
				l.AppClients = []spec.AppClient{client("Old", "old", []string{"https://o"}, []string{"s@x.com"}, "arn:appclient/1")}
			},
			want: []string{"changed appClient Old  (" + kept + ")"},
		},
		{
			name: "prune off: ignored, unmarked and another owner's are not kept drift",
			setup: func(d, l *spec.State) {
				d.Ignore = spec.Ignore{Users: []string{"ign@*"}, Accounts: []string{"ign"}, AppClients: []string{"Ign*"}}
				d.Accounts = []spec.Account{{Path: "keep", Name: "keep"}}
				l.Users = []spec.User{user("ign@x.com", sp(""), "active", "usr_i", owner), user("free@x.com", sp(""), "active", "usr_f", ""),
					user("their@x.com", sp(""), "active", "usr_t", "team-b")}
				l.Accounts = []spec.Account{account("keep", "acc_k", owner), account("ign", "acc_i", owner)}
				l.Members = []spec.Member{member("keep", "ign@x.com", "viewer", "m1"), member("ign", "free@x.com", "viewer", "m2")}
				l.AppClients = []spec.AppClient{client("Ignored", "i", []string{"https://i"}, []string{"s@x.com"}, "arn:appclient/1")}
			},
			want: []string{
				"unmanaged user free@x.com  (unmarked)",
				`unmanaged user their@x.com  (managed by "team-b")`,
			},
		},
		{
			name: "prune off, nothing undeclared: no drift",
			setup: func(d, l *spec.State) {
				d.Users = []spec.User{{Email: "a@x.com", Status: "active"}}
				l.Users = []spec.User{user("a@x.com", sp(""), "active", "usr_a", owner)}
			},
			want: nil,
		},
		{
			name: "prune on: an account kept because it holds another owner's account",
			setup: func(d, l *spec.State) {
				d.Prune = true
				l.Accounts = []spec.Account{account("old", "acc_o", owner), account("old/theirs", "acc_t", "team-b")}
			},
			want: []string{
				"changed account old  (not declared; kept: it holds what this state may not delete)",
				`unmanaged account old/theirs  (managed by "team-b")`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := driftOf(t, func() (*spec.State, *spec.State) {
				d, l := newDesired(), newLive()
				d.Prune = false
				tt.setup(d, l)
				return d, l
			})
			var got []string
			for _, it := range r.Items {
				got = append(got, fmt.Sprintf("%s %s %s %s (%s)", it.Drift, it.Kind, it.Key, it.Action, it.detail()))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("drift items (-want +got):\n%s", diff)
			}
			if r.HasDrift() != (len(tt.want) > 0) || (r.Digest == "") == r.HasDrift() {
				t.Errorf("HasDrift %v, digest %q, for %d items", r.HasDrift(), r.Digest, len(tt.want))
			}
			var text bytes.Buffer
			if err := RenderDriftText(&text, r, TextOptions{}); err != nil {
				t.Fatal(err)
			}
			if len(tt.want) == 0 && text.String() != "No drift.\n" {
				t.Errorf("text %q, want No drift.", text.String())
			}
		})
	}
}
