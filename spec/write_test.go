package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func sp(s string) *string { return &s }

// ignorePos compares states without the positions Load records.
var ignorePos = cmpopts.IgnoreTypes(Pos{})

// writeFiles writes files under a new directory and returns it.
func writeFiles(t *testing.T, files []File) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func header() State {
	return State{Owner: "acme", Application: "app_demo", Account: "acc_root", Prune: true}
}

func fullState() *State {
	s := header()
	s.Mentions = Mentions{Users: true, Accounts: true, RootMembers: true, AppClients: true}
	s.Users = []User{
		{Email: "alice@example.com", Name: sp("Alice ${HOME} $${x}"), Status: StatusActive},
		{Email: "bob@example.com", Status: StatusSuspended, ID: "usr_1"},
		{Email: "carol@example.com", Name: sp(""), Status: StatusActive},
		{Email: "dave@example.com", Name: sp("true"), Status: StatusActive},
	}
	s.Accounts = []Account{
		{Path: "ops", Name: "ops"},
		{Path: "ops/team-a", Name: "team-a", Parent: "ops", ID: "acc_9"},
		{Path: "ops/team-a/x", Name: "x", Parent: "ops/team-a"},
		{Path: "sales-emea", Name: "sales-emea", PreviousName: "sales"},
	}
	s.Members = []Member{
		{AccountPath: "", User: "alice@example.com", Role: RoleOwner},
		{AccountPath: "ops", User: "bob@example.com", Role: RoleViewer},
		{AccountPath: "ops/team-a/x", User: "alice@example.com", Role: RoleAdmin},
		{AccountPath: "ops/team-a/x", User: "bob@example.com", Role: RoleEditor},
	}
	s.AppClients = []AppClient{
		{AppName: "Plain", RedirectURLs: []string{"https://a.example.com"}, StarterUserEmails: []string{"a@example.com"}},
		{AppName: "Test App", Description: sp("This: is a test"), RedirectURLs: []string{"http://localhost:8080", "https://b.example.com/cb"},
			StarterUserEmails: []string{"x@example.com"}, CustomerManagedKeyARN: sp("arn:aws:kms:us-east-1:1:key/abc")},
	}
	s.Ignore = Ignore{Users: []string{"*@contractor.example.com", `odd\*@example.com`}, Accounts: []string{"legacy-*"}, AppClients: []string{"Old ?"}}
	return &s
}

func TestMarshalRoundTrip(t *testing.T) {
	usersOnly := header()
	usersOnly.Mentions = Mentions{Users: true}
	emptyKinds := header()
	emptyKinds.Mentions = Mentions{Users: true, Accounts: true, RootMembers: true, AppClients: true}
	rootMembersOnly := header()
	rootMembersOnly.Prune = false
	rootMembersOnly.Mentions = Mentions{Users: true, RootMembers: true}
	rootMembersOnly.Users = []User{{Email: "a@example.com", Status: StatusActive}}
	rootMembersOnly.Members = []Member{{User: "a@example.com", Role: RoleViewer}}
	nothing := header()

	tests := []struct {
		name      string
		state     *State
		wantFiles []string
	}{
		{name: "every kind", state: fullState(), wantFiles: []string{"accounts.yaml", "appclients.yaml", "users.yaml"}},
		{name: "users only", state: &usersOnly, wantFiles: []string{"users.yaml"}},
		{name: "every kind mentioned, none declared", state: &emptyKinds, wantFiles: []string{"accounts.yaml", "appclients.yaml", "users.yaml"}},
		{name: "root members without accounts, prune off", state: &rootMembersOnly, wantFiles: []string{"accounts.yaml", "users.yaml"}},
		{name: "nothing mentioned", state: &nothing, wantFiles: []string{"state.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, err := Marshal(tt.state)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range files {
				names = append(names, f.Name)
			}
			if d := cmp.Diff(tt.wantFiles, names); d != "" {
				t.Errorf("files (-want +got):\n%s", d)
			}
			got, err := Load([]string{writeFiles(t, files)}, func(string) string { return "SUBSTITUTED" })
			if err != nil {
				t.Fatalf("Load of the written files: %v", err)
			}
			if d := cmp.Diff(tt.state, got, ignorePos); d != "" {
				t.Errorf("round trip (-marshalled +loaded):\n%s", d)
			}

			doc, err := MarshalDocument(tt.state)
			if err != nil {
				t.Fatal(err)
			}
			got, err = LoadBytes("export.yaml", doc, func(string) string { return "SUBSTITUTED" })
			if err != nil {
				t.Fatalf("LoadBytes of the single document: %v\n%s", err, doc)
			}
			if d := cmp.Diff(tt.state, got, ignorePos); d != "" {
				t.Errorf("single-document round trip (-marshalled +loaded):\n%s", d)
			}
		})
	}
}

func TestMarshalText(t *testing.T) {
	s := header()
	s.Mentions = Mentions{Users: true, Accounts: true}
	s.Users = []User{{Email: "b@example.com", Status: StatusSuspended}, {Email: "A@example.com", Name: sp("A ${X}"), Status: StatusActive}}
	s.Accounts = []Account{{Path: "t", Name: "t"}, {Path: "t/u", Name: "u", Parent: "t"}}
	s.Members = []Member{{AccountPath: "t/u", User: "b@example.com", Role: RoleViewer}}
	want := `# yaml-language-server: $schema=https://inbox-manager.github.io/inboxctl/schema/v1.json
version: 1
owner: acme
application: app_demo
account: acc_root
prune: true
users:
  - email: a@example.com
    name: A $${X}
  - email: b@example.com
    status: suspended
accounts:
  - name: t
    accounts:
      - name: u
        members:
          - user: b@example.com
            role: viewer
`
	got, err := MarshalDocument(&s)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, string(got)); d != "" {
		t.Errorf("document (-want +got):\n%s", d)
	}
	if s.Users[0].Email != "b@example.com" {
		t.Errorf("MarshalDocument reordered its argument's users")
	}
}

func TestMarshalSplitsLargeTrees(t *testing.T) {
	s := header()
	s.Mentions = Mentions{Users: true, Accounts: true}
	s.Users = []User{{Email: "a@example.com", Status: StatusActive}}
	tops := []string{"team a", ".hidden", "Big", "big", "x"}
	for _, top := range tops {
		s.Accounts = append(s.Accounts, Account{Path: top, Name: top})
	}
	for i := range SplitAccountsAbove {
		top := tops[i%len(tops)]
		name := fmt.Sprintf("c%03d", i)
		s.Accounts = append(s.Accounts, Account{Path: top + "/" + name, Name: name, Parent: top})
		s.Members = append(s.Members, Member{AccountPath: top + "/" + name, User: "a@example.com", Role: RoleEditor})
	}
	s.Canonicalize()
	files, err := Marshal(&s)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		if strings.Contains(f.Name, "accounts/") && !strings.Contains(string(f.Data), "version: 1") {
			t.Errorf("%s has no version", f.Name)
		}
	}
	want := []string{"accounts/Big.yaml", "accounts/_hidden.yaml", "accounts/big-2.yaml", "accounts/team-a.yaml", "accounts/x.yaml", "users.yaml"}
	if d := cmp.Diff(want, names); d != "" {
		t.Errorf("files (-want +got):\n%s", d)
	}
	got, err := Load([]string{writeFiles(t, files)}, nil)
	if err != nil {
		t.Fatalf("Load of the split files: %v", err)
	}
	if d := cmp.Diff(&s, got, ignorePos); d != "" {
		t.Errorf("round trip (-marshalled +loaded):\n%s", d)
	}

	files, err = marshalFiles(&s, len(s.Accounts))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].Name != "accounts.yaml" {
		t.Errorf("at the threshold the tree is not split: %d files, first %q", len(files), files[0].Name)
	}
}

func TestMarshalNil(t *testing.T) {
	if _, err := Marshal(nil); err == nil {
		t.Error("Marshal(nil) succeeded")
	}
	if _, err := MarshalDocument(nil); err == nil {
		t.Error("MarshalDocument(nil) succeeded")
	}
}

func TestExactPattern(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice@example.com", "alice@example.com"},
		{"a*b?c[d]e\\f", `a\*b\?c\[d\]e\\f`},
		{"team/sub", "team/sub"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := ExactPattern(tt.in)
			if got != tt.want {
				t.Errorf("ExactPattern(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if ok, err := filepath.Match(got, tt.in); err != nil || !ok {
				t.Errorf("pattern %q does not match %q (%v)", got, tt.in, err)
			}
			if ok, _ := filepath.Match(got, tt.in+"x"); ok {
				t.Errorf("pattern %q matches more than %q", got, tt.in)
			}
		})
	}
}

func TestExportState(t *testing.T) {
	all := Mentions{Users: true, Accounts: true, RootMembers: true, AppClients: true}
	live := func() *State {
		s := header()
		s.Mentions = all
		s.Users = []User{
			{Email: "mine@example.com", Name: sp("Mine"), Status: StatusActive, ID: "usr_1", Owner: "acme"},
			{Email: "new@example.com", Name: sp(""), Status: StatusSuspended, ID: "usr_2"},
			{Email: "theirs*@example.com", Name: sp("T"), Status: StatusActive, ID: "usr_3", Owner: "other"},
		}
		s.Accounts = []Account{
			{Path: "a", Name: "a", ID: "acc_a", Owner: "acme"},
			{Path: "a/b", Name: "b", Parent: "a", ID: "acc_b"},
			{Path: "t[1]", Name: "t[1]", ID: "acc_t", Owner: "other"},
			{Path: "t[1]/mine", Name: "mine", Parent: "t[1]", ID: "acc_tm", Owner: "acme"},
		}
		s.Members = []Member{
			{AccountPath: "", User: "mine@example.com", Role: RoleOwner, ID: "m1", UserID: "usr_1"},
			{AccountPath: "a", User: "new@example.com", Role: RoleViewer, ID: "m2", UserID: "usr_2"},
			{AccountPath: "a/b", User: "mine@example.com", Role: RoleAdmin, ID: "m3", UserID: "usr_1"},
			{AccountPath: "t[1]/mine", User: "mine@example.com", Role: RoleAdmin, ID: "m4", UserID: "usr_1"},
		}
		s.AppClients = []AppClient{{AppName: "App", Description: sp(""), CustomerManagedKeyARN: sp("arn:k"),
			RedirectURLs: []string{"https://a"}, StarterUserEmails: []string{"a@example.com"}, ARN: "arn:x/appclient/1", VerificationStatus: "verified"}}
		return &s
	}
	base := func() *State {
		s := header()
		s.Mentions = all
		s.Users = []User{
			{Email: "mine@example.com", Name: sp("Mine"), Status: StatusActive},
			{Email: "new@example.com", Status: StatusSuspended},
		}
		s.Accounts = []Account{{Path: "a", Name: "a"}, {Path: "a/b", Name: "b", Parent: "a"}}
		s.Members = []Member{
			{AccountPath: "", User: "mine@example.com", Role: RoleOwner},
			{AccountPath: "a", User: "new@example.com", Role: RoleViewer},
			{AccountPath: "a/b", User: "mine@example.com", Role: RoleAdmin},
		}
		s.AppClients = []AppClient{{AppName: "App", CustomerManagedKeyARN: sp("arn:k"), RedirectURLs: []string{"https://a"}, StarterUserEmails: []string{"a@example.com"}}}
		s.Ignore = Ignore{Users: []string{`theirs\*@example.com`}, Accounts: []string{`t\[1\]`}}
		return s2p(s)
	}
	tests := []struct {
		name      string
		live      func(*State)
		want      func(*State)
		wantNotes int
		// wantCounts is ForeignUsers, ForeignAccounts, MemberAccounts.
		wantCounts [3]int
		wantErr    bool
	}{
		{name: "own and unmarked declared, another owner's ignored with its subtree", live: func(*State) {}, want: func(*State) {}, wantCounts: [3]int{1, 1, 0}},
		{
			name: "a member naming another owner's user ignores its account",
			live: func(s *State) {
				s.Members = append(s.Members, Member{AccountPath: "a/b", User: "theirs*@example.com", Role: RoleViewer, ID: "m5", UserID: "usr_3"})
			},
			want: func(s *State) {
				s.Accounts = s.Accounts[:1]
				s.Members = s.Members[:2]
				s.Ignore.Accounts = []string{"a/b", `t\[1\]`}
			},
			wantNotes:  1,
			wantCounts: [3]int{1, 1, 1},
		},
		{
			name: "a root member naming another owner's user leaves the root's members unmanaged",
			live: func(s *State) {
				s.Members = append(s.Members, Member{User: "theirs*@example.com", Role: RoleViewer, ID: "m5", UserID: "usr_3"})
			},
			want: func(s *State) {
				s.Mentions.RootMembers = false
				s.Members = s.Members[1:]
			},
			wantNotes:  1,
			wantCounts: [3]int{1, 1, 0},
		},
		{
			name: "duplicate redirect URLs, which the API keeps as given, are written once",
			live: func(s *State) {
				s.AppClients[0].RedirectURLs = []string{"https://a", "http://127.0.0.2/cb", "https://a", "http://127.0.0.2/cb"}
			},
			want:       func(s *State) { s.AppClients[0].RedirectURLs = []string{"http://127.0.0.2/cb", "https://a"} },
			wantCounts: [3]int{1, 1, 0},
		},
		{
			name:    "two app clients with one name",
			live:    func(s *State) { s.AppClients = append(s.AppClients, s.AppClients[0]) },
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := live()
			tt.live(l)
			l.Canonicalize()
			ex, err := ExportState(l)
			if tt.wantErr {
				if err == nil {
					t.Fatal("ExportState succeeded")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, notes := ex.State, ex.Notes
			if d := cmp.Diff(tt.wantCounts, [3]int{ex.ForeignUsers, ex.ForeignAccounts, ex.MemberAccounts}); d != "" {
				t.Errorf("counts of ignored users, other owners' accounts, accounts ignored for a member (-want +got):\n%s", d)
			}
			want := base()
			tt.want(want)
			want.Canonicalize()
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("exported state (-want +got):\n%s", d)
			}
			if len(notes) != tt.wantNotes {
				t.Errorf("notes %q, want %d", notes, tt.wantNotes)
			}
			// what export writes must load back as itself
			files, err := Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			loaded, err := Load([]string{writeFiles(t, files)}, nil)
			if err != nil {
				t.Fatalf("Load of the export: %v", err)
			}
			if d := cmp.Diff(got, loaded, ignorePos); d != "" {
				t.Errorf("round trip (-exported +loaded):\n%s", d)
			}
		})
	}
	if _, err := ExportState(nil); err == nil {
		t.Error("ExportState(nil) succeeded")
	}
}

func s2p(s State) *State { return &s }

// TestWriteFileName checks the file names of split account subtrees: only characters that are
// hostile to paths or shells are replaced; letters of any script are kept.
func TestWriteFileName(t *testing.T) {
	used := map[string]bool{}
	tests := []struct{ name, want string }{
		{"ops", "ops"},
		{"Zürich", "Zürich"},
		{"東京", "東京"},
		{"équipe-α_1.2", "équipe-α_1.2"},
		{"a/b\\c:d*e?f\"g<h>i|j", "a-b-c-d-e-f-g-h-i-j"},
		{"two words\ttab", "two-words-tab"},
		{".hidden", "_hidden"},
		{"OPS", "OPS-2"},
		{"", "account"},
		{"\x00\x01", "--"},
	}
	for _, tt := range tests {
		if got := writeFileName(tt.name, used); got != tt.want {
			t.Errorf("writeFileName(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestLoadBOMBeforeALaterDocument(t *testing.T) {
	data := "\ufeff" + "version: 1\nowner: acme\napplication: app_demo\naccount: acc_root\n---\n\ufeffversion: 1\nusers:\n  - email: a@example.com\n"
	s, err := LoadBytes("bom.yaml", []byte(data), nil)
	if err != nil {
		t.Fatalf("a byte order mark at the start of a document: %v", err)
	}
	if len(s.Users) != 1 {
		t.Errorf("users %+v, want a@example.com", s.Users)
	}
}
