package plan

import (
	"fmt"
	"io"
	"testing"

	"github.com/inbox-manager/inboxctl/spec"
)

// bigStates builds desired and live states of about n resources each (users, accounts in a
// two-level tree, memberships, app clients), with one resource in ten changed: updated,
// created or deleted.
func bigStates(n int) (desired, live *spec.State) {
	desired, live = newDesired(), newLive()
	users := n * 4 / 10
	tops := 100
	kids := n/10/tops - 1
	for i := range users {
		email := fmt.Sprintf("user%06d@example.com", i)
		name := fmt.Sprintf("User %d", i)
		switch i % 20 {
		case 0: // renamed
			desired.Users = append(desired.Users, spec.User{Email: email, Name: sp(name + " (new)"), Status: "active"})
			live.Users = append(live.Users, spec.User{Email: email, Name: sp(name), Status: "active", ID: "usr_" + email, Owner: owner})
		case 1: // created
			desired.Users = append(desired.Users, spec.User{Email: email, Name: sp(name), Status: "active"})
		default:
			desired.Users = append(desired.Users, spec.User{Email: email, Name: sp(name), Status: "active"})
			live.Users = append(live.Users, spec.User{Email: email, Name: sp(name), Status: "active", ID: "usr_" + email, Owner: owner})
		}
	}
	var paths []string
	for i := range tops {
		top := fmt.Sprintf("dept%03d", i)
		paths = append(paths, top)
		for j := range kids {
			paths = append(paths, fmt.Sprintf("%s/team%03d", top, j))
		}
	}
	declared, exists := map[string]bool{}, map[string]bool{}
	for i, p := range paths {
		parent, name := spec.SplitPath(p)
		declared[p] = parent == "" || i%20 != 4
		exists[p] = parent == "" || i%20 != 3
		a := spec.Account{Path: p, Name: name, Parent: parent}
		la := spec.Account{Path: p, Name: name, Parent: parent, ID: "acc_" + p, Owner: owner}
		switch {
		case parent != "" && i%20 == 3: // created
			desired.Accounts = append(desired.Accounts, a)
		case parent != "" && i%20 == 4: // deleted
			live.Accounts = append(live.Accounts, la)
		default:
			desired.Accounts = append(desired.Accounts, a)
			live.Accounts = append(live.Accounts, la)
		}
	}
	members := n - users - len(paths) - n/1000 + n/10 // some are left out below
	for i := range members {
		p := paths[i%len(paths)]
		email := fmt.Sprintf("user%06d@example.com", (i*7919)%users)
		m := spec.Member{AccountPath: p, User: email, Role: "viewer"}
		lm := spec.Member{AccountPath: p, User: email, Role: "viewer", ID: fmt.Sprintf("mem_%d", i), UserID: "usr_" + email}
		if i%10 == 5 { // role changed
			m.Role = "admin"
		}
		if !declared[p] || !exists[p] || (i*7919)%users%20 == 1 {
			continue // members of created or deleted accounts and created users change with them
		}
		desired.Members = append(desired.Members, m)
		live.Members = append(live.Members, lm)
	}
	for i := range n / 1000 {
		name := fmt.Sprintf("client%04d", i)
		c := spec.AppClient{AppName: name, Description: sp("d"), RedirectURLs: []string{"https://a.example.com"},
			StarterUserEmails: []string{"s@example.com"}, CustomerManagedKeyARN: sp("")}
		lc := c
		lc.ARN, lc.VerificationStatus = "arn:appclient/"+name, "verified"
		if i%10 == 6 {
			c.RedirectURLs = []string{"https://b.example.com"}
		}
		desired.AppClients = append(desired.AppClients, c)
		live.AppClients = append(live.AppClients, lc)
	}
	desired.Canonicalize()
	live.Canonicalize()
	return desired, live
}

func BenchmarkCompute100k(b *testing.B) {
	desired, live := bigStates(100_000)
	b.ReportAllocs()
	b.ResetTimer()
	var p *Plan
	for b.Loop() {
		var err error
		p, err = Compute(desired, live, Options{MaxDeletePercent: 25})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(p.Changes)), "changes")
}

func BenchmarkRender100k(b *testing.B) {
	desired, live := bigStates(100_000)
	p, err := Compute(desired, live, Options{MaxDeletePercent: 25})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := RenderText(io.Discard, p, TextOptions{}); err != nil {
			b.Fatal(err)
		}
		if err := RenderJSON(io.Discard, p); err != nil {
			b.Fatal(err)
		}
		if err := RenderMarkdown(io.Discard, p, MarkdownOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBigStatesSize(t *testing.T) {
	d, l := bigStates(100_000)
	count := func(s *spec.State) int { return len(s.Users) + len(s.Accounts) + len(s.Members) + len(s.AppClients) }
	if n := count(d); n < 90_000 || n > 110_000 {
		t.Errorf("desired has %d resources, want about 100,000", n)
	}
	if n := count(l); n < 90_000 || n > 110_000 {
		t.Errorf("live has %d resources, want about 100,000", n)
	}
}
