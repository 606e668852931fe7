package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/inbox-manager/inboxctl/spec"
)

// safetyCase is a plan of hand-built desired and live states, with what it must and must not do.
type safetyCase struct {
	name     string
	setup    func(d, l *spec.State)
	want     []string // brief(plan)
	warnings []string
	wantErr  []string // substrings of the error; nil: Compute must succeed
	// counts, when set, are the delete check's (live, deletes) per kind that must be reported.
	counts    map[string][2]int
	takesDown map[string][]string // account delete key -> TakesDown
}

func runSafety(t *testing.T, tests []safetyCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, l := newDesired(), newLive()
			tt.setup(d, l)
			d.Canonicalize()
			l.Canonicalize()
			p, err := Compute(d, l, Options{MaxDeletePercent: 25})
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("Compute succeeded with %v; want an error", brief(p))
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
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
			if tt.counts != nil {
				got := map[string][2]int{}
				for _, kc := range p.DeleteCheck.Counts {
					if _, ok := tt.counts[kc.Kind]; ok {
						got[kc.Kind] = [2]int{kc.Live, kc.Deletes}
					}
				}
				if diff := cmp.Diff(tt.counts, got); diff != "" {
					t.Errorf("delete check (live, deletes) (-want +got):\n%s", diff)
				}
			}
			if tt.takesDown != nil {
				got := map[string][]string{}
				for _, c := range p.Changes {
					if c.Kind == KindAccount && c.Action == Delete {
						got[c.Key] = c.TakesDown
					}
				}
				if diff := cmp.Diff(tt.takesDown, got); diff != "" {
					t.Errorf("takes down (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// legacyTenant is the live tenant of review finding 1: an unmarked legacy-1 that ignore.accounts
// matches, holding this owner's legacy-1/child, which has one member.
func legacyTenant(d, l *spec.State) {
	d.Ignore.Accounts = []string{"legacy-*"}
	l.Users = []spec.User{user("a@x.com", sp(""), "active", "usr_a", "")}
	l.Accounts = []spec.Account{account("legacy-1", "acc_l1", ""), account("legacy-1/child", "acc_child", owner)}
	l.Members = []spec.Member{member("legacy-1/child", "a@x.com", "viewer", "mem_1")}
}

// Review finding 1: an id pin or previousName must not rename (adopt) an ignored account and
// then delete what was under it; ignore patterns hold for the live path as well as the path
// after renames.
func TestIgnoredAccountIsNeverRenamed(t *testing.T) {
	runSafety(t, []safetyCase{
		{
			name: "previousName pointing at an ignored account is an error",
			setup: func(d, l *spec.State) {
				legacyTenant(d, l)
				d.Accounts = []spec.Account{{Path: "renamed", Name: "renamed", PreviousName: "legacy-1", Pos: pos("a.yaml", 6)}}
			},
			wantErr: []string{`plan: a.yaml:6:3: account renamed: previousName "legacy-1" is the live account legacy-1, which ignore.accounts matches`},
		},
		{
			name: "id pin of an ignored account is an error",
			setup: func(d, l *spec.State) {
				legacyTenant(d, l)
				d.Accounts = []spec.Account{{Path: "renamed", Name: "renamed", ID: "acc_l1"}}
			},
			wantErr: []string{"account renamed: id pin acc_l1 is the live account legacy-1, which ignore.accounts matches"},
		},
		{
			name: "id pin of an account whose live path an ignore pattern matches through its parent is an error",
			setup: func(d, l *spec.State) {
				d.Ignore.Accounts = []string{"*/secret"}
				d.Accounts = []spec.Account{account("ops", "", ""), {Path: "ops/public", Name: "public", Parent: "ops", ID: "acc_s"}}
				l.Accounts = []spec.Account{account("ops", "acc_ops", owner), account("ops/secret", "acc_s", owner), account("ops/secret/x", "acc_x", owner)}
			},
			wantErr: []string{"account ops/public: id pin acc_s is the live account ops/secret, which ignore.accounts matches"},
		},
		{
			name: "a child an ignore pattern matches on its live path is kept when its parent is renamed",
			setup: func(d, l *spec.State) {
				d.Ignore.Accounts = []string{"old/kid"}
				d.Accounts = []spec.Account{{Path: "new", Name: "new", PreviousName: "old"}}
				l.Users = []spec.User{user("a@x.com", sp(""), "active", "usr_a", "")}
				l.Accounts = []spec.Account{account("old", "acc_old", owner), account("old/kid", "acc_kid", owner),
					account("old/own", "acc_own", owner)}
				l.Members = []spec.Member{member("old/kid", "a@x.com", "viewer", "mem_1"), member("old/own", "a@x.com", "viewer", "mem_2")}
			},
			want: []string{
				"update account new [name]",
				"delete member new/own/a@x.com cause=2",
				"delete account new/own deps=[1]",
			},
			// L: old (new) and old/own; not old/kid or its member.
			counts: map[string][2]int{countAccounts: {2, 1}, countMembers: {1, 1}},
		},
		{
			name: "a child an ignore pattern matches on its new path is kept too",
			setup: func(d, l *spec.State) {
				d.Ignore.Accounts = []string{"new/kid"}
				d.Accounts = []spec.Account{{Path: "new", Name: "new", PreviousName: "old"}}
				l.Accounts = []spec.Account{account("old", "acc_old", owner), account("old/kid", "acc_kid", owner)}
			},
			want:   []string{"update account new [name]"},
			counts: map[string][2]int{countAccounts: {1, 0}},
		},
	})
}

// Review finding 2: prune: false plans creates and updates only, members included.
func TestPruneFalseDeletesNoMember(t *testing.T) {
	runSafety(t, []safetyCase{
		{
			name: "undeclared member of a declared account is kept",
			setup: func(d, l *spec.State) {
				d.Prune = false
				d.Accounts = []spec.Account{account("p", "", "")}
				l.Accounts = []spec.Account{account("p", "acc_p", owner)}
				l.Members = []spec.Member{member("p", "z@x.com", "owner", "m1")}
			},
			want:   []string{},
			counts: map[string][2]int{countMembers: {1, 0}},
		},
		{
			name: "undeclared root member is kept",
			setup: func(d, l *spec.State) {
				d.Prune = false
				l.Members = []spec.Member{member("", "z@x.com", "owner", "m1")}
			},
			want: []string{},
		},
		{
			name: "creates and role updates of members are still planned",
			setup: func(d, l *spec.State) {
				d.Prune = false
				d.Users = []spec.User{{Email: "a@x.com"}, {Email: "b@x.com"}}
				d.Accounts = []spec.Account{account("p", "", "")}
				d.Members = []spec.Member{{AccountPath: "p", User: "a@x.com", Role: "admin"}, {AccountPath: "p", User: "b@x.com", Role: "viewer"}}
				l.Users = []spec.User{user("a@x.com", sp(""), "active", "usr_a", owner), user("b@x.com", sp(""), "active", "usr_b", owner)}
				l.Accounts = []spec.Account{account("p", "acc_p", owner)}
				l.Members = []spec.Member{member("p", "a@x.com", "viewer", "m1"), member("p", "z@x.com", "owner", "m2")}
			},
			want: []string{"update member p/a@x.com [role]", "create member p/b@x.com"},
		},
		{
			name: "many undeclared members: nothing deleted, delete check passes",
			setup: func(d, l *spec.State) {
				d.Prune = false
				for _, e := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"} {
					l.Members = append(l.Members, member("", e+"@x.com", "viewer", "m_"+e))
				}
			},
			want:   []string{},
			counts: map[string][2]int{countMembers: {12, 0}},
		},
	})
}

// Review finding 5: a rename into a name another rename frees runs after it; a swap (or any
// cycle of renames) cannot be applied in one run and is an error that says what to do.
func TestRenameIntoFreedName(t *testing.T) {
	runSafety(t, []safetyCase{
		{
			name: "id pins: b renamed to c, then a renamed to b",
			setup: func(d, l *spec.State) {
				d.Accounts = []spec.Account{{Path: "b", Name: "b", ID: "acc_a"}, {Path: "c", Name: "c", ID: "acc_b"}}
				l.Accounts = []spec.Account{account("a", "acc_a", owner), account("b", "acc_b", owner)}
			},
			want: []string{"update account c [name]", "update account b [name] deps=[0]"},
		},
		{
			name: "previousName into the name a pin frees, under a parent",
			setup: func(d, l *spec.State) {
				d.Accounts = []spec.Account{account("p", "", ""),
					{Path: "p/y", Name: "y", Parent: "p", PreviousName: "x"},
					{Path: "p/z", Name: "z", Parent: "p", ID: "acc_y"}}
				l.Accounts = []spec.Account{account("p", "acc_p", owner), account("p/x", "acc_x", owner), account("p/y", "acc_y", owner)}
			},
			want: []string{"update account p/z [name]", "update account p/y [name] deps=[0]"},
		},
		{
			name: "a swap is an error",
			setup: func(d, l *spec.State) {
				d.Accounts = []spec.Account{{Path: "a", Name: "a", ID: "acc_b"}, {Path: "b", Name: "b", ID: "acc_a"}}
				l.Accounts = []spec.Account{account("a", "acc_a", owner), account("b", "acc_b", owner)}
			},
			wantErr: []string{"plan: the renames of accounts a to b and b to a form a cycle",
				"rename one of them to a temporary name first, apply, then finish the renames in a second apply"},
		},
		{
			name: "a cycle of three is an error",
			setup: func(d, l *spec.State) {
				d.Accounts = []spec.Account{account("p", "", ""),
					{Path: "p/y", Name: "y", Parent: "p", PreviousName: "x"},
					{Path: "p/z", Name: "z", Parent: "p", ID: "acc_y"},
					{Path: "p/x", Name: "x", Parent: "p", ID: "acc_z"}}
				l.Accounts = []spec.Account{account("p", "acc_p", owner), account("p/x", "acc_x", owner),
					account("p/y", "acc_y", owner), account("p/z", "acc_z", owner)}
			},
			wantErr: []string{"plan: the renames of accounts p/x to p/y, p/y to p/z and p/z to p/x form a cycle"},
		},
	})
}

// A chain of renames converges: applied in plan order with the API's unique sibling names,
// it gives a tenant whose plan is empty.
func TestRenameChainConverges(t *testing.T) {
	d, l := newDesired(), newLive()
	d.Accounts = []spec.Account{{Path: "b", Name: "b", ID: "acc_a"}, {Path: "c", Name: "c", PreviousName: "b"},
		{Path: "d", Name: "d", ID: "acc_c"}}
	l.Accounts = []spec.Account{account("a", "acc_a", owner), account("b", "acc_b", owner), account("c", "acc_c", owner)}
	p := mustCompute(t, d, l, Options{MaxDeletePercent: 25})
	tn := newTenant(t, l, d.Mentions)
	tn.apply(p) // fails the test on a rename into a name still taken
	p2 := mustCompute(t, d, tn.state(), Options{MaxDeletePercent: 25})
	if diff := cmp.Diff([]string{}, brief(p2)); diff != "" {
		t.Errorf("plan after apply (-want +got):\n%s\nfirst plan: %v", diff, brief(p))
	}
}

// ignoredUserMembers adds, to the root and to the account p, one member of each of n users that
// ignore.users matches.
func ignoredUserMembers(d, l *spec.State, n int) {
	d.Ignore.Users = []string{"*@contractor.example.com"}
	for i := range n {
		e := string(rune('a'+i)) + "@contractor.example.com"
		l.Members = append(l.Members, member("", e, "viewer", "mr_"+e), member("p", e, "viewer", "mp_"+e))
	}
}

// Decision on review finding 7: the memberships of ignored users are never pruned and not in
// the delete check's L; the delete of their account still takes them down.
func TestIgnoredUsersMembershipsAreKept(t *testing.T) {
	runSafety(t, []safetyCase{
		{
			name: "members of ignored users in a declared account and the root are kept; others pruned",
			setup: func(d, l *spec.State) {
				d.Accounts = []spec.Account{account("p", "", "")}
				l.Accounts = []spec.Account{account("p", "acc_p", owner)}
				ignoredUserMembers(d, l, 2)
				l.Members = append(l.Members, member("p", "z@x.com", "viewer", "m_z"), member("", "z@x.com", "viewer", "mr_z"))
			},
			want:   []string{"delete member /z@x.com", "delete member p/z@x.com"},
			counts: map[string][2]int{countMembers: {2, 2}},
		},
		{
			name: "ignored users' members are not in L, so they cannot dilute the delete check",
			setup: func(d, l *spec.State) {
				d.Accounts = []spec.Account{account("p", "", "")}
				l.Accounts = []spec.Account{account("p", "acc_p", "")}
				ignoredUserMembers(d, l, 10)
				l.Members = append(l.Members, member("p", "z@x.com", "viewer", "m_z"), member("", "y@x.com", "viewer", "mr_y"))
			},
			want:   []string{"update account p [managed_by]", "delete member /y@x.com", "delete member p/z@x.com"},
			counts: map[string][2]int{countMembers: {2, 2}},
		},
		{
			name: "deleting the account still deletes its members of ignored users, under it",
			setup: func(d, l *spec.State) {
				d.Mentions.RootMembers = false
				l.Accounts = []spec.Account{account("p", "acc_p", owner)}
				ignoredUserMembers(d, l, 1)
			},
			want:      []string{"delete member p/a@contractor.example.com cause=1", "delete account p deps=[0]"},
			takesDown: map[string][]string{"p": {"member p/a@contractor.example.com"}},
			// The member is not in L as such, but what a plan deletes is live and deletable:
			// |L| is raised to |D|, as apply does when it redoes the check.
			counts: map[string][2]int{countMembers: {1, 1}},
		},
		{
			name: "members of another owner's users stay pruned",
			setup: func(d, l *spec.State) {
				d.Ignore.Users = []string{"*@contractor.example.com"}
				l.Users = []spec.User{user("o@x.com", sp(""), "active", "usr_o", "other")}
				l.Members = []spec.Member{member("", "o@x.com", "viewer", "m_o")}
			},
			want: []string{"delete member /o@x.com"},
		},
	})
}
