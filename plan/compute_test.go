package plan

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/inbox-manager/inboxctl/spec"
)

// brief is a one-line description of a change, for compact table tests:
// "update user bob@example.com [name status] deps=[0] cause=-1".
func brief(p *Plan) []string {
	out := []string{}
	for _, c := range p.Changes {
		s := fmt.Sprintf("%s %s %s", c.Action, c.Kind, c.Key)
		if len(c.Fields) > 0 {
			s += fmt.Sprintf(" %v", c.Fields)
		}
		if len(c.DependsOn) > 0 {
			s += fmt.Sprintf(" deps=%v", c.DependsOn)
		}
		if c.Cause >= 0 {
			s += fmt.Sprintf(" cause=%d", c.Cause)
		}
		out = append(out, s)
	}
	return out
}

func user(email string, name *string, status, id, owner string) spec.User {
	return spec.User{Email: email, Name: name, Status: status, ID: id, Owner: owner}
}

func account(path, id, owner string) spec.Account {
	parent, name := spec.SplitPath(path)
	return spec.Account{Path: path, Name: name, Parent: parent, ID: id, Owner: owner}
}

func member(acct, email, role, id string) spec.Member {
	return spec.Member{AccountPath: acct, User: email, Role: role, ID: id, UserID: "usr_" + strings.Split(email, "@")[0]}
}

func client(name, desc string, redirects, starters []string, arn string) spec.AppClient {
	return spec.AppClient{AppName: name, Description: sp(desc), RedirectURLs: redirects, StarterUserEmails: starters,
		CustomerManagedKeyARN: sp(""), ARN: arn, VerificationStatus: "verified"}
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(d, l *spec.State)
		want     []string
		warnings []string
		wantErr  []string // substrings of the error
	}{
		{
			name:  "user create",
			setup: func(d, l *spec.State) { d.Users = []spec.User{{Email: "Alice@Example.com", Name: sp("Alice")}} },
			want:  []string{"create user alice@example.com"},
		},
		{
			name: "user name not declared is not compared",
			setup: func(d, l *spec.State) {
				d.Users = []spec.User{{Email: "a@x.com"}}
				l.Users = []spec.User{user("a@x.com", sp("Live Name"), "active", "usr_a", owner)}
			},
			want: []string{},
		},
		{
			name: "user name declared empty is compared",
			setup: func(d, l *spec.State) {
				d.Users = []spec.User{{Email: "a@x.com", Name: sp("")}}
				l.Users = []spec.User{user("a@x.com", sp("Live Name"), "active", "usr_a", owner)}
			},
			want: []string{"update user a@x.com [name]"},
		},
		{
			name: "user status defaults to active and is always compared",
			setup: func(d, l *spec.State) {
				d.Users = []spec.User{{Email: "a@x.com"}}
				l.Users = []spec.User{user("a@x.com", sp("A"), "suspended", "usr_a", owner)}
			},
			want: []string{"update user a@x.com [status]"},
		},
		{
			name: "user adoption sets the marker",
			setup: func(d, l *spec.State) {
				d.Users = []spec.User{{Email: "a@x.com", Name: sp("B")}}
				l.Users = []spec.User{user("a@x.com", sp("A"), "active", "usr_a", "")}
			},
			want: []string{"update user a@x.com [name managed_by]"},
		},
		{
			name: "user adoption happens with prune false",
			setup: func(d, l *spec.State) {
				d.Prune = false
				d.Users = []spec.User{{Email: "a@x.com"}}
				l.Users = []spec.User{user("a@x.com", sp("A"), "active", "usr_a", ""), user("b@x.com", sp("B"), "active", "usr_b", owner)}
			},
			want: []string{"update user a@x.com [managed_by]"},
		},
		{
			name: "user with another owner's marker is an error",
			setup: func(d, l *spec.State) {
				d.Users = []spec.User{{Email: "a@x.com", Pos: pos("users.yaml", 3)}}
				l.Users = []spec.User{user("a@x.com", sp("A"), "active", "usr_a", "other")}
			},
			wantErr: []string{`plan: users.yaml:3:3: user a@x.com carries the managed-by marker of "other"`},
		},
		{
			name: "prune deletes only own undeclared unignored users",
			setup: func(d, l *spec.State) {
				d.Ignore.Users = []string{"*@contractor.example.com"}
				l.Users = []spec.User{
					user("own@x.com", sp(""), "active", "usr_own", owner),
					user("unmarked@x.com", sp(""), "active", "usr_u", ""),
					user("other@x.com", sp(""), "active", "usr_o", "other"),
					user("c@contractor.example.com", sp(""), "active", "usr_c", owner),
				}
			},
			want: []string{"delete user own@x.com"},
		},
		{
			name: "prune false deletes nothing",
			setup: func(d, l *spec.State) {
				d.Prune = false
				l.Users = []spec.User{user("own@x.com", sp(""), "active", "usr_own", owner)}
				l.Accounts = []spec.Account{account("a", "acc_a", owner)}
				l.AppClients = []spec.AppClient{client("C", "", []string{"https://c"}, []string{"c@x.com"}, "arn:appclient/c")}
			},
			want: []string{},
		},
		{
			name: "user id pin matching the email",
			setup: func(d, l *spec.State) {
				d.Users = []spec.User{{Email: "a@x.com", ID: "usr_a", Status: "suspended"}}
				l.Users = []spec.User{user("a@x.com", sp(""), "active", "usr_a", owner)}
			},
			want: []string{"update user a@x.com [status]"},
		},
		{
			name: "user id pin matching nothing is an error",
			setup: func(d, l *spec.State) {
				d.Users = []spec.User{{Email: "a@x.com", ID: "usr_nope"}}
			},
			wantErr: []string{"plan: user a@x.com: id pin usr_nope matches no live user"},
		},
		{
			name: "user id pin of another email is an error",
			setup: func(d, l *spec.State) {
				d.Users = []spec.User{{Email: "a@x.com", ID: "usr_b"}}
				l.Users = []spec.User{user("b@x.com", sp(""), "active", "usr_b", owner)}
			},
			wantErr: []string{"id pin usr_b belongs to b@x.com"},
		},
		{
			name: "account creates: parent before child, members after account and user",
			setup: func(d, l *spec.State) {
				d.Users = []spec.User{{Email: "a@x.com"}}
				d.Accounts = []spec.Account{account("p", "", ""), account("p/c", "", "")}
				d.Members = []spec.Member{{AccountPath: "p/c", User: "a@x.com", Role: "admin"}}
			},
			want: []string{
				"create user a@x.com",
				"create account p",
				"create account p/c deps=[1]",
				"create member p/c/a@x.com deps=[0 2]",
			},
		},
		{
			name: "account rename by previousName: children and members follow",
			setup: func(d, l *spec.State) {
				d.Users = []spec.User{{Email: "a@x.com"}}
				d.Accounts = []spec.Account{
					{Path: "new", Name: "new", PreviousName: "old"},
					account("new/kid", "", ""),
					account("new/fresh", "", ""),
				}
				d.Members = []spec.Member{{AccountPath: "new/kid", User: "a@x.com", Role: "viewer"}}
				l.Users = []spec.User{user("a@x.com", sp(""), "active", "usr_a", owner)}
				l.Accounts = []spec.Account{account("old", "acc_old", owner), account("old/kid", "acc_kid", owner)}
				l.Members = []spec.Member{member("old/kid", "a@x.com", "viewer", "mem_1")}
			},
			want: []string{"update account new [name]", "create account new/fresh deps=[0]"},
		},
		{
			name: "previousName with both accounts live is an error",
			setup: func(d, l *spec.State) {
				d.Accounts = []spec.Account{{Path: "new", Name: "new", PreviousName: "old"}}
				l.Accounts = []spec.Account{account("old", "acc_old", owner), account("new", "acc_new", owner)}
			},
			wantErr: []string{`account new: previousName "old": both old and new exist live`},
		},
		{
			name: "previousName with neither account live creates",
			setup: func(d, l *spec.State) {
				d.Accounts = []spec.Account{{Path: "new", Name: "new", PreviousName: "old"}}
			},
			want: []string{"create account new"},
		},
		{
			name: "previousName when only the new account exists is ignored",
			setup: func(d, l *spec.State) {
				d.Accounts = []spec.Account{{Path: "new", Name: "new", PreviousName: "old"}}
				l.Accounts = []spec.Account{account("new", "acc_new", owner)}
			},
			want: []string{},
		},
		{
			name: "account id pin renames, and a create reusing the old name waits for it",
			setup: func(d, l *spec.State) {
				d.Accounts = []spec.Account{{Path: "b", Name: "b", ID: "acc_a"}, account("a", "", "")}
				l.Accounts = []spec.Account{account("a", "acc_a", "")}
			},
			want: []string{"update account b [name managed_by]", "create account a deps=[0]"},
		},
		{
			name: "account id pin under another parent is an error",
			setup: func(d, l *spec.State) {
				d.Accounts = []spec.Account{account("p", "", ""), {Path: "p/x", Name: "x", Parent: "p", ID: "acc_x"}}
				l.Accounts = []spec.Account{account("p", "acc_p", owner), account("q", "acc_q", owner), account("q/x", "acc_x", owner)}
			},
			wantErr: []string{"id pin acc_x is the live account q/x, whose parent is not the declared parent \"p\": accounts are not moved"},
		},
		{
			name: "account id pin matching nothing is an error",
			setup: func(d, l *spec.State) {
				d.Accounts = []spec.Account{{Path: "x", Name: "x", ID: "acc_nope"}}
			},
			wantErr: []string{"account x: id pin acc_nope matches no live account"},
		},
		{
			name: "account with another owner's marker is an error",
			setup: func(d, l *spec.State) {
				d.Accounts = []spec.Account{account("x", "", "")}
				l.Accounts = []spec.Account{account("x", "acc_x", "other")}
			},
			wantErr: []string{`account x carries the managed-by marker of "other"`},
		},
		{
			name: "account delete: members and children first, members caused by it",
			setup: func(d, l *spec.State) {
				l.Accounts = []spec.Account{account("p", "acc_p", owner), account("p/c", "acc_c", owner)}
				l.Members = []spec.Member{member("p", "a@x.com", "viewer", "m1"), member("p/c", "b@x.com", "viewer", "m2")}
			},
			want: []string{
				"delete member p/a@x.com cause=3",
				"delete member p/c/b@x.com cause=2",
				"delete account p/c deps=[1]",
				"delete account p deps=[0 2]",
			},
		},
		{
			name: "marked account holding an unmarked account is kept with its ancestors",
			setup: func(d, l *spec.State) {
				l.Accounts = []spec.Account{account("g", "acc_g", owner), account("g/p", "acc_p", owner),
					account("g/p/u", "acc_u", ""), account("g/p/own", "acc_own", owner)}
			},
			want: []string{"delete account g/p/own"},
			warnings: []string{
				"account g/p is kept: it holds accounts this state may not delete (g/p/u)",
				"account g is kept: it holds accounts this state may not delete (g/p)",
			},
		},
		{
			name: "ignored account subtree is untouched and keeps its marked parent",
			setup: func(d, l *spec.State) {
				d.Ignore.Accounts = []string{"p/legacy-*"}
				l.Accounts = []spec.Account{account("p", "acc_p", owner), account("p/legacy-1", "acc_l", owner), account("p/legacy-1/x", "acc_lx", owner)}
			},
			want:     []string{},
			warnings: []string{"account p is kept: it holds accounts this state may not delete (p/legacy-1)"},
		},
		{
			name: "member role update and undeclared member delete in a declared account",
			setup: func(d, l *spec.State) {
				d.Users = []spec.User{{Email: "a@x.com"}}
				d.Accounts = []spec.Account{account("p", "", "")}
				d.Members = []spec.Member{{AccountPath: "p", User: "a@x.com", Role: "admin"}}
				l.Users = []spec.User{user("a@x.com", sp(""), "active", "usr_a", owner)}
				l.Accounts = []spec.Account{account("p", "acc_p", owner), account("q", "acc_q", "")}
				l.Members = []spec.Member{member("p", "a@x.com", "viewer", "m1"), member("p", "z@x.com", "owner", "m2"),
					member("q", "z@x.com", "owner", "m3")}
			},
			want: []string{"update member p/a@x.com [role]", "delete member p/z@x.com"},
		},
		{
			name: "root members untouched when not mentioned",
			setup: func(d, l *spec.State) {
				d.Mentions.RootMembers = false
				l.Members = []spec.Member{member("", "z@x.com", "owner", "m1")}
			},
			want: []string{},
		},
		{
			name: "root members managed when mentioned",
			setup: func(d, l *spec.State) {
				l.Members = []spec.Member{member("", "z@x.com", "owner", "m1")}
			},
			want: []string{"delete member /z@x.com"},
		},
		{
			name: "user delete plans the member deletes it needs",
			setup: func(d, l *spec.State) {
				l.Users = []spec.User{user("a@x.com", sp(""), "active", "usr_a", owner)}
				l.Accounts = []spec.Account{account("q", "acc_q", "")}
				l.Members = []spec.Member{member("q", "a@x.com", "viewer", "m1")}
			},
			want: []string{"delete member q/a@x.com cause=1", "delete user a@x.com deps=[0]"},
		},
		{
			name: "app clients not mentioned are not touched",
			setup: func(d, l *spec.State) {
				d.Mentions.AppClients = false
				l.AppClients = []spec.AppClient{client("C", "", []string{"https://c"}, []string{"c@x.com"}, "arn:appclient/c")}
			},
			want: []string{},
		},
		{
			name: "app client redirect set differs: update; order does not matter",
			setup: func(d, l *spec.State) {
				d.AppClients = []spec.AppClient{{AppName: "C", RedirectURLs: []string{"https://b", "https://a"}, StarterUserEmails: []string{"C@x.com"}}}
				l.AppClients = []spec.AppClient{
					client("C", "d", []string{"https://a", "https://b"}, []string{"c@x.com"}, "arn:appclient/c"),
					client("D", "d", []string{"https://a"}, []string{"c@x.com"}, "arn:appclient/d"),
				}
				d.AppClients = append(d.AppClients, spec.AppClient{AppName: "D", RedirectURLs: []string{"https://z"}, StarterUserEmails: []string{"c@x.com"}})
			},
			want: []string{"update appClient D [redirectUrls]"},
		},
		{
			name: "app client description, starter and key force replacement when declared",
			setup: func(d, l *spec.State) {
				d.AppClients = []spec.AppClient{
					{AppName: "A", Description: sp("new"), RedirectURLs: []string{"https://a"}, StarterUserEmails: []string{"c@x.com"}},
					{AppName: "B", RedirectURLs: []string{"https://a"}, StarterUserEmails: []string{"other@x.com"}, CustomerManagedKeyARN: sp("arn:kms:k")},
				}
				l.AppClients = []spec.AppClient{
					client("A", "old", []string{"https://a"}, []string{"c@x.com"}, "arn:appclient/a"),
					client("B", "old", []string{"https://a"}, []string{"c@x.com"}, "arn:appclient/b"),
				}
			},
			want: []string{"replace appClient A [description]", "replace appClient B [starterUserEmails customerManagedKeyArn]"},
		},
		{
			name: "undeclared app client is deleted with a warning; ignored one is kept",
			setup: func(d, l *spec.State) {
				d.Ignore.AppClients = []string{"keep-*"}
				l.AppClients = []spec.AppClient{
					client("gone", "", []string{"https://a"}, []string{"c@x.com"}, "arn:appclient/g"),
					client("keep-me", "", []string{"https://a"}, []string{"c@x.com"}, "arn:appclient/k"),
				}
			},
			want:     []string{"delete appClient gone"},
			warnings: []string{`appClient "gone" is not declared and will be deleted`},
		},
		{
			name: "two live app clients with one name is an error",
			setup: func(d, l *spec.State) {
				l.AppClients = []spec.AppClient{
					client("dup", "", []string{"https://a"}, []string{"c@x.com"}, "arn:appclient/1"),
					client("dup", "", []string{"https://a"}, []string{"c@x.com"}, "arn:appclient/2"),
				}
			},
			wantErr: []string{`two live app clients are named "dup"`},
		},
		{
			name: "all conflicts are reported at once",
			setup: func(d, l *spec.State) {
				d.Users = []spec.User{{Email: "a@x.com", ID: "usr_nope"}}
				d.Accounts = []spec.Account{{Path: "x", Name: "x", ID: "acc_nope"}}
			},
			wantErr: []string{"id pin usr_nope", "id pin acc_nope"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, l := newDesired(), newLive()
			tt.setup(d, l)
			d.Canonicalize()
			l.Canonicalize()
			p, err := Compute(d, l, Options{MaxDeletePercent: 100})
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("Compute succeeded with %v; want an error", brief(p))
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				if !strings.HasPrefix(err.Error(), "plan: ") {
					t.Errorf("error %q lacks the plan: prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			if diff := cmp.Diff(tt.want, brief(p)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warnings, p.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestComputeIDsAndValues(t *testing.T) {
	d, l := newDesired(), newLive()
	d.Users = []spec.User{{Email: "new@x.com"}, {Email: "old@x.com"}}
	d.Accounts = []spec.Account{account("p", "", ""), account("p/c", "", "")}
	d.Members = []spec.Member{
		{AccountPath: "p", User: "old@x.com", Role: "admin"},
		{AccountPath: "p/c", User: "new@x.com", Role: "viewer"},
		{AccountPath: "", User: "old@x.com", Role: "owner"},
	}
	l.Users = []spec.User{user("old@x.com", sp("Old"), "active", "usr_old", owner)}
	l.Accounts = []spec.Account{account("p", "acc_p", owner)}
	p := mustCompute(t, d, l, Options{MaxDeletePercent: 25})
	type ids struct {
		Key, ID, AccountID, UserID, ParentID, Owner, Fingerprint string
	}
	var got []ids
	for _, c := range p.Changes {
		got = append(got, ids{Key: c.Key, ID: c.ID, AccountID: c.After.AccountID, UserID: c.After.UserID,
			ParentID: c.After.ParentID, Owner: c.After.Owner, Fingerprint: c.Fingerprint})
	}
	want := []ids{
		{Key: "new@x.com", Owner: owner},
		{Key: "p/c", ParentID: "acc_p", Owner: owner},
		{Key: "/old@x.com", AccountID: "acc_root", UserID: "usr_old"},
		{Key: "p/c/new@x.com"},
		{Key: "p/old@x.com", AccountID: "acc_p", UserID: "usr_old"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{0, 1}, p.Changes[3].DependsOn); diff != "" {
		t.Errorf("member of created user and account: depends_on (-want +got):\n%s", diff)
	}
}

func TestComputeUpdateCarriesLiveBefore(t *testing.T) {
	d, l := newDesired(), newLive()
	d.Users = []spec.User{{Email: "a@x.com", Name: sp("New")}}
	d.Accounts = []spec.Account{account("p", "", "")}
	d.Members = []spec.Member{{AccountPath: "p", User: "a@x.com", Role: "admin"}}
	l.Users = []spec.User{user("a@x.com", sp("Old"), "active", "usr_a", owner)}
	l.Accounts = []spec.Account{account("p", "acc_p", owner)}
	l.Members = []spec.Member{member("p", "a@x.com", "viewer", "mem_1")}
	p := mustCompute(t, d, l, Options{MaxDeletePercent: 25})
	if len(p.Changes) != 2 {
		t.Fatalf("changes = %v, want a user and a member update", brief(p))
	}
	for _, c := range p.Changes {
		var want Values
		switch c.Kind {
		case KindUser:
			want = UserValues(l.Users[0])
		case KindMember:
			want = MemberValues(l.Members[0])
			if c.AccountID != "acc_p" {
				t.Errorf("member update AccountID = %q, want acc_p", c.AccountID)
			}
		}
		if diff := cmp.Diff(&want, c.Before); diff != "" {
			t.Errorf("%s Before (-want +got):\n%s", c.Kind, diff)
		}
		if c.Fingerprint != Fingerprint(&want) || c.Fingerprint == "" {
			t.Errorf("%s fingerprint %q, want Fingerprint(Before) %q", c.Kind, c.Fingerprint, Fingerprint(&want))
		}
		if c.ID == "" {
			t.Errorf("%s update without ID", c.Kind)
		}
	}
}

func TestDeleteCheck(t *testing.T) {
	tests := []struct {
		name    string
		members int // live root members, none declared
		keep    int // of which declared
		max     float64
		want    []string
		failed  bool
	}{
		{name: "under 10 live is never checked", members: 9, keep: 0, max: 25, want: nil},
		{name: "members 5 of 12 fails at 25%", members: 12, keep: 7, max: 25, want: []string{"total: 5 of 19", "members: 5 of 12"}, failed: true},
		{name: "3 of 12 passes at 25%", members: 12, keep: 9, max: 25, want: nil},
		{name: "exactly the threshold passes", members: 12, keep: 9, max: 25, want: nil},
		{name: "max 100 passes everything", members: 12, keep: 0, max: 100, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, l := newDesired(), newLive()
			for i := range tt.members {
				email := fmt.Sprintf("u%02d@x.com", i)
				l.Members = append(l.Members, member("", email, "viewer", "m"+email))
				if i < tt.keep {
					d.Users = append(d.Users, spec.User{Email: email})
					l.Users = append(l.Users, user(email, sp(""), "active", "usr_"+email, owner))
					d.Members = append(d.Members, spec.Member{AccountPath: "", User: email, Role: "viewer"})
				}
			}
			p := mustCompute(t, d, l, Options{MaxDeletePercent: tt.max})
			if diff := cmp.Diff(tt.want, p.DeleteCheck.Failing()); diff != "" {
				t.Errorf("failing kinds (-want +got):\n%s", diff)
			}
			if p.DeleteCheck.Failed != tt.failed {
				t.Errorf("Failed = %v, want %v", p.DeleteCheck.Failed, tt.failed)
			}
			hasWarning := slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "delete check failed") })
			if hasWarning != tt.failed {
				t.Errorf("warning present = %v, want %v (%v)", hasWarning, tt.failed, p.Warnings)
			}
		})
	}
}

func TestOrderCycle(t *testing.T) {
	nodes := []*node{
		{c: Change{Action: Create, Kind: KindAccount, Key: "a"}, deps: []int{1}, cause: -1},
		{c: Change{Action: Create, Kind: KindAccount, Key: "b"}, deps: []int{0}, cause: -1},
		{c: Change{Action: Create, Kind: KindUser, Key: "u"}, cause: -1},
	}
	_, err := order(nodes)
	if err == nil || !strings.Contains(err.Error(), "plan: dependency cycle among account a, account b") {
		t.Errorf("order of a cycle: err = %v, want a dependency cycle naming account a and account b", err)
	}
	self := []*node{{c: Change{Kind: KindUser, Key: "u"}, deps: []int{0}, cause: -1}}
	if _, err := order(self); err == nil {
		t.Error("order of a self-dependency succeeded")
	}
}

func TestReadJSONRefuses(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not json", "nope", "plan: read plan file"},
		{"other version", `{"format_version":"2","changes":[]}`, `format_version "2"`},
		{"no version", `{"changes":[]}`, `format_version ""`},
		{"unknown action", `{"format_version":"1","changes":[{"action":"explode","kind":"user","key":"a","after":{},"depends_on":[],"cause":-1}]}`, `unknown action "explode"`},
		{"forward dependency", `{"format_version":"1","changes":[{"action":"create","kind":"user","key":"a","after":{},"depends_on":[1],"cause":-1},{"action":"create","kind":"user","key":"b","after":{},"depends_on":[],"cause":-1}]}`, "depends on 1"},
		{"delete without before", `{"format_version":"1","changes":[{"action":"delete","kind":"user","key":"a","before":null,"depends_on":[],"cause":-1}]}`, "delete without before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadJSON(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadJSON error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
