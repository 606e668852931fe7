package plan

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/inbox-manager/inboxctl/spec"
)

func TestMarkdownWith5000Changes(t *testing.T) {
	d, l := newDesired(), newLive()
	for i := range 5000 {
		d.Users = append(d.Users, spec.User{Email: fmt.Sprintf("u%04d@x.com", i)})
	}
	p := mustCompute(t, d, l, Options{MaxDeletePercent: 25})
	var md bytes.Buffer
	if err := RenderMarkdown(&md, p, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	if !strings.HasPrefix(out, MarkdownMarker+"\n**Plan: 5000 to create, 0 to update, 0 to delete, 0 to replace.**\n") {
		t.Errorf("markdown does not start with the marker and summary:\n%.300s", out)
	}
	if got := strings.Count(out, "\n| "); got != DefaultMaxRows+1 { // header + rows
		t.Errorf("table has %d lines, want %d", got, DefaultMaxRows+1)
	}
	if !strings.Contains(out, "… and 4900 more") {
		t.Error("markdown does not say how many changes the table leaves out")
	}
	if len(out) > 60_000 {
		t.Errorf("markdown of 5000 changes is %d bytes; a pull-request comment holds 65,536", len(out))
	}
}

func TestMarkdownEscapesCells(t *testing.T) {
	d, l := newDesired(), newLive()
	d.AppClients = []spec.AppClient{{AppName: "a|b`c", RedirectURLs: []string{"https://a"}, StarterUserEmails: []string{"s@x.com"}, Pos: pos("c.yaml", 2)}}
	p := mustCompute(t, d, l, Options{MaxDeletePercent: 25})
	var md bytes.Buffer
	if err := RenderMarkdown(&md, p, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| 1 | create | appClient | `a\\|b'c` |  | c.yaml:2 |") {
		t.Errorf("table row not escaped:\n%s", md.String())
	}
}

func TestTakesDown(t *testing.T) {
	d, l := newDesired(), newLive()
	l.Accounts = []spec.Account{account("p", "acc_p", owner), account("p/c", "acc_c", owner), account("p/c/g", "acc_g", owner)}
	l.Members = []spec.Member{member("p", "a@x.com", "viewer", "m1"), member("p/c/g", "b@x.com", "viewer", "m2")}
	p := mustCompute(t, d, l, Options{MaxDeletePercent: 100})
	got := map[string][]string{}
	for _, c := range p.Changes {
		if c.Kind == KindAccount {
			got[c.Key] = c.TakesDown
		}
	}
	want := map[string][]string{
		"p":     {"account p/c", "account p/c/g", "member p/a@x.com", "member p/c/g/b@x.com"},
		"p/c":   {"account p/c/g", "member p/c/g/b@x.com"},
		"p/c/g": {"member p/c/g/b@x.com"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TakesDown (-want +got):\n%s", diff)
	}
}

func TestDriftDigestStable(t *testing.T) {
	for seed := int64(1); seed <= 30; seed++ {
		d, l := randomStates(rand.New(rand.NewSource(seed)))
		r1, err := ComputeDrift(d, l, Options{MaxDeletePercent: 25})
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewSource(seed))
		r.Shuffle(len(l.Users), func(i, j int) { l.Users[i], l.Users[j] = l.Users[j], l.Users[i] })
		r.Shuffle(len(l.Accounts), func(i, j int) { l.Accounts[i], l.Accounts[j] = l.Accounts[j], l.Accounts[i] })
		r.Shuffle(len(d.Users), func(i, j int) { d.Users[i], d.Users[j] = d.Users[j], d.Users[i] })
		r2, err := ComputeDrift(d, l, Options{MaxDeletePercent: 25})
		if err != nil {
			t.Fatal(err)
		}
		if r1.Digest != r2.Digest {
			t.Fatalf("seed %d: digest changed with input order: %s vs %s", seed, r1.Digest, r2.Digest)
		}
		if r1.HasDrift() != (r1.Digest != "") {
			t.Fatalf("seed %d: digest %q with %d items", seed, r1.Digest, len(r1.Items))
		}
	}
	// Different drift, different digest.
	d, l := newDesired(), newLive()
	d.Users = []spec.User{{Email: "a@x.com"}}
	r1, _ := ComputeDrift(d, l, Options{})
	d.Users = []spec.User{{Email: "b@x.com"}}
	r2, _ := ComputeDrift(d, l, Options{})
	if r1.Digest == r2.Digest || r1.Digest == "" {
		t.Errorf("digests %q and %q for different drift", r1.Digest, r2.Digest)
	}
}

func TestDriftKinds(t *testing.T) {
	d, l := newDesired(), newLive()
	d.Users = []spec.User{{Email: "missing@x.com"}, {Email: "changed@x.com", Name: sp("New")}, {Email: "same@x.com"}}
	d.Ignore.Users = []string{"ignored@*"}
	l.Users = []spec.User{
		user("changed@x.com", sp("Old"), "active", "usr_c", owner),
		user("same@x.com", sp(""), "active", "usr_s", owner),
		user("gone@x.com", sp(""), "active", "usr_g", owner),
		user("unmarked@x.com", sp(""), "active", "usr_u", ""),
		user("other@x.com", sp(""), "active", "usr_o", "team-b"),
		user("ignored@x.com", sp(""), "active", "usr_i", ""),
	}
	d.Canonicalize()
	l.Canonicalize()
	r, err := ComputeDrift(d, l, Options{MaxDeletePercent: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range r.Items {
		got = append(got, fmt.Sprintf("%s %s %s %s", it.Drift, it.Kind, it.Key, it.detail()))
	}
	want := []string{
		`changed user changed@x.com name: "Old", want "New"`,
		"changed user gone@x.com not declared; plan deletes it",
		"missing user missing@x.com ",
		`unmanaged user other@x.com managed by "team-b"`,
		"unmanaged user unmarked@x.com unmarked",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("drift items (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(DriftCounts{Changed: 2, Missing: 1, Unmanaged: 2}, r.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}
