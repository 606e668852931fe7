package plan

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/inbox-manager/inboxctl/spec"
)

// scenario is a small tenant with one change of every kind.
func scenario() (desired, live *spec.State) {
	desired, live = newDesired(), newLive()
	desired.Users = []spec.User{
		{Email: "alice@example.com", Name: sp("Alice Liddell"), Status: "active", Pos: pos("users.yaml", 4)},
		{Email: "bob@example.com", Status: "active", Pos: pos("users.yaml", 7)},
		{Email: "carol@example.com", Name: sp("Carol"), Status: "suspended", Pos: pos("users.yaml", 9)},
	}
	desired.Accounts = []spec.Account{
		{Path: "ops-provisioned", Name: "ops-provisioned", Pos: pos("accounts.yaml", 3)},
		{Path: "ops-provisioned/team-a", Name: "team-a", Parent: "ops-provisioned", Pos: pos("accounts.yaml", 9)},
		{Path: "sales-emea", Name: "sales-emea", PreviousName: "sales", Pos: pos("accounts.yaml", 14)},
	}
	desired.Members = []spec.Member{
		{AccountPath: "", User: "alice@example.com", Role: "admin", Pos: pos("users.yaml", 12)},
		{AccountPath: "ops-provisioned", User: "bob@example.com", Role: "admin", Pos: pos("accounts.yaml", 6)},
		{AccountPath: "ops-provisioned/team-a", User: "alice@example.com", Role: "viewer", Pos: pos("accounts.yaml", 11)},
	}
	desired.AppClients = []spec.AppClient{
		{AppName: "Test App", Description: sp("This is a test app"), RedirectURLs: []string{"https://localhost:8080"},
			StarterUserEmails: []string{"b@example.com"}, Pos: pos("clients.yaml", 3)},
		{AppName: "Portal", RedirectURLs: []string{"https://portal.example.com/cb", "https://localhost:9000"},
			StarterUserEmails: []string{"ops@example.com"}, Pos: pos("clients.yaml", 9)},
	}
	live.Users = []spec.User{
		{Email: "bob@example.com", Name: sp("Bob"), Status: "active", ID: "usr_bob"},
		{Email: "carol@example.com", Name: sp("Carol"), Status: "active", ID: "usr_carol", Owner: owner},
		{Email: "dave@example.com", Name: sp("Dave"), Status: "active", ID: "usr_dave", Owner: owner},
		{Email: "erin@example.com", Name: sp("Erin"), Status: "active", ID: "usr_erin"},
	}
	live.Accounts = []spec.Account{
		{Path: "ops-provisioned", Name: "ops-provisioned", ID: "acc_ops", Owner: owner},
		{Path: "ops-provisioned/legacy", Name: "legacy", Parent: "ops-provisioned", ID: "acc_legacy", Owner: owner},
		{Path: "ops-provisioned/legacy/old", Name: "old", Parent: "ops-provisioned/legacy", ID: "acc_old", Owner: owner},
		{Path: "sales", Name: "sales", ID: "acc_sales", Owner: owner},
		{Path: "sales/west", Name: "west", Parent: "sales", ID: "acc_west"},
	}
	live.Members = []spec.Member{
		{AccountPath: "", User: "erin@example.com", Role: "owner", ID: "mem_root_erin", UserID: "usr_erin"},
		{AccountPath: "ops-provisioned", User: "bob@example.com", Role: "viewer", ID: "mem_ops_bob", UserID: "usr_bob"},
		{AccountPath: "ops-provisioned/legacy", User: "bob@example.com", Role: "viewer", ID: "mem_legacy_bob", UserID: "usr_bob"},
		{AccountPath: "ops-provisioned/legacy/old", User: "dave@example.com", Role: "editor", ID: "mem_old_dave", UserID: "usr_dave"},
		{AccountPath: "sales/west", User: "dave@example.com", Role: "viewer", ID: "mem_west_dave", UserID: "usr_dave"},
	}
	live.AppClients = []spec.AppClient{
		{AppName: "Test App", Description: sp("This is a test app"), RedirectURLs: []string{"https://localhost:8080"},
			StarterUserEmails: []string{"a@example.com"}, CustomerManagedKeyARN: sp(""),
			ARN: "arn:aws:appfabric:us-east-1:111122223333:appclient/1111", VerificationStatus: "verified"},
		{AppName: "Portal", Description: sp("portal"), RedirectURLs: []string{"https://portal.example.com/cb"},
			StarterUserEmails: []string{"ops@example.com"}, CustomerManagedKeyARN: sp(""),
			ARN: "arn:aws:appfabric:us-east-1:111122223333:appclient/2222", VerificationStatus: "verified"},
		{AppName: "Old App", Description: sp("old"), RedirectURLs: []string{"https://old.example.com"},
			StarterUserEmails: []string{"x@example.com"}, CustomerManagedKeyARN: sp(""),
			ARN: "arn:aws:appfabric:us-east-1:111122223333:appclient/3333", VerificationStatus: "pending_verification"},
	}
	return desired, live
}

func scenarioPlan(t *testing.T) *Plan {
	t.Helper()
	d, l := scenario()
	return mustCompute(t, d, l, Options{MaxDeletePercent: 25, Target: Target{APIURL: "https://api.inbox-manager.com"}})
}

func TestGoldenText(t *testing.T) {
	p := scenarioPlan(t)
	text, js := renderAll(t, p)
	golden(t, "scenario.txt", text)
	golden(t, "scenario.json", js)
	var color bytes.Buffer
	if err := RenderText(&color, p, TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(color.Bytes(), []byte("\x1b[")) {
		t.Error("Color: true wrote no ANSI sequence")
	}
	if bytes.Contains(text, []byte("\x1b[")) {
		t.Error("Color: false wrote an ANSI sequence")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	p := scenarioPlan(t)
	_, js := renderAll(t, p)
	got, err := ReadJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("ReadJSON(RenderJSON(p)) differs (-want +got):\n%s", diff)
	}
}

func TestGoldenMarkdown(t *testing.T) {
	p := scenarioPlan(t)
	var full, capped bytes.Buffer
	if err := RenderMarkdown(&full, p, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "scenario.md", full.Bytes())
	if err := RenderMarkdown(&capped, p, MarkdownOptions{MaxRows: 3}); err != nil {
		t.Fatal(err)
	}
	golden(t, "scenario_capped.md", capped.Bytes())
}

func TestGoldenNoChanges(t *testing.T) {
	d, _ := scenario()
	l := liveOf(d)
	p := mustCompute(t, d, l, Options{MaxDeletePercent: 25})
	text, _ := renderAll(t, p)
	if diff := cmp.Diff("No changes.\n", string(text)); diff != "" {
		t.Errorf("text of an empty plan (-want +got):\n%s", diff)
	}
	var md bytes.Buffer
	if err := RenderMarkdown(&md, p, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(MarkdownMarker+"\n**No changes.**\n", md.String()); diff != "" {
		t.Errorf("markdown of an empty plan (-want +got):\n%s", diff)
	}
}

func TestGoldenDrift(t *testing.T) {
	d, l := scenario()
	l.Users = append(l.Users,
		spec.User{Email: "zed@example.com", Name: sp("Zed"), Status: "active", ID: "usr_zed", Owner: "other-team"})
	d.Canonicalize()
	l.Canonicalize()
	r, err := ComputeDrift(d, l, Options{MaxDeletePercent: 25})
	if err != nil {
		t.Fatal(err)
	}
	var text, js, md bytes.Buffer
	if err := RenderDriftText(&text, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := RenderDriftJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	if err := RenderDriftMarkdown(&md, r, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "drift.txt", text.Bytes())
	golden(t, "drift.json", js.Bytes())
	golden(t, "drift.md", md.Bytes())
}
