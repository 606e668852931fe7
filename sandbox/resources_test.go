package sandbox_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/inbox-manager/inboxctl/sandbox"
)

// errCase is one request expected to fail with status and code, and a message starting with field.
type errCase struct {
	name   string
	method string
	path   string
	body   any
	status int
	code   string
	field  string
}

func runErrCases(t *testing.T, c *client, cases []errCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do(tt.method, tt.path, tt.body)
			got := []any{r.status, r.errCode()}
			if diff := cmp.Diff([]any{tt.status, tt.code}, got); diff != "" {
				t.Fatalf("(-want +got):\n%s\nbody %s", diff, r.body)
			}
			if tt.field != "" && !strings.HasPrefix(r.errMessage(), tt.field+": ") {
				t.Errorf("message %q does not name %q", r.errMessage(), tt.field)
			}
			if r.header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
			}
		})
	}
}

func TestUsers(t *testing.T) {
	_, c := start(t, sandbox.Options{})

	r := c.do("POST", "/api/applications/app_demo/users", map[string]any{
		"email": "Alice@Example.COM", "name": "Alice", "status": "suspended", "metadata": map[string]string{"managed-by": "t"}})
	want(t, r, http.StatusCreated, "")
	var alice user
	r.decode(t, &alice)
	wantUser := user{ID: alice.ID, ApplicationID: "app_demo", Email: "alice@example.com", Name: "Alice",
		Status: "suspended", Metadata: map[string]string{"managed-by": "t"}}
	if diff := cmp.Diff(wantUser, alice, cmpopts.IgnoreFields(user{}, "CreatedAt", "UpdatedAt")); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(alice.ID, "usr_") || alice.CreatedAt.IsZero() || !alice.CreatedAt.Equal(alice.UpdatedAt) {
		t.Errorf("id/timestamps: %+v", alice)
	}

	t.Run("defaults", func(t *testing.T) {
		r := c.do("POST", "/api/applications/app_demo/users", `{"email":"bob@example.com"}`)
		want(t, r, 201, "")
		var bob user
		r.decode(t, &bob)
		if bob.Status != "active" || bob.Metadata == nil || len(bob.Metadata) != 0 || !strings.Contains(string(r.body), `"metadata":{}`) {
			t.Errorf("got %s", r.body)
		}
	})
	t.Run("get", func(t *testing.T) {
		r := c.do("GET", "/api/users/"+alice.ID, nil)
		want(t, r, 200, "")
		var got user
		r.decode(t, &got)
		if diff := cmp.Diff(alice, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("patch merges metadata", func(t *testing.T) {
		want(t, c.do("PATCH", "/api/users/"+alice.ID, map[string]any{"metadata": map[string]any{"a": "1", "b": "2"}}), 200, "")
		r := c.do("PATCH", "/api/users/"+alice.ID, `{"name":"Alice L","status":"active","metadata":{"a":null,"c":"3"}}`)
		want(t, r, 200, "")
		var got user
		r.decode(t, &got)
		wantMD := map[string]string{"managed-by": "t", "b": "2", "c": "3"}
		if diff := cmp.Diff([]any{"Alice L", "active", wantMD}, []any{got.Name, got.Status, got.Metadata}); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if !got.UpdatedAt.After(got.CreatedAt) {
			t.Errorf("updated_at not moved: %+v", got)
		}
		// An empty patch changes nothing; an empty name is allowed.
		r = c.do("PATCH", "/api/users/"+alice.ID, `{"name":""}`)
		want(t, r, 200, "")
		r.decode(t, &got)
		if got.Name != "" || got.Email != "alice@example.com" {
			t.Errorf("got %+v", got)
		}
	})

	runErrCases(t, c, []errCase{
		{"email taken, other case", "POST", "/api/applications/app_demo/users", map[string]any{"email": "ALICE@example.com"}, 409, "email_taken", ""},
		{"email missing", "POST", "/api/applications/app_demo/users", map[string]any{"name": "x"}, 400, "validation_failed", "email"},
		{"email bad", "POST", "/api/applications/app_demo/users", map[string]any{"email": "not-an-email"}, 400, "validation_failed", "email"},
		{"email with name", "POST", "/api/applications/app_demo/users", map[string]any{"email": "Al <al@example.com>"}, 400, "validation_failed", "email"},
		{"status bad", "POST", "/api/applications/app_demo/users", map[string]any{"email": "s@example.com", "status": "deleted"}, 400, "validation_failed", "status"},
		{"unknown field", "POST", "/api/applications/app_demo/users", map[string]any{"email": "u@example.com", "emial": "x"}, 400, "validation_failed", "emial"},
		{"wrong type", "POST", "/api/applications/app_demo/users", `{"email": 5}`, 400, "validation_failed", "email"},
		{"bad JSON", "POST", "/api/applications/app_demo/users", `{"email":`, 400, "validation_failed", "body"},
		{"empty body", "POST", "/api/applications/app_demo/users", "", 400, "validation_failed", "body"},
		{"trailing data", "POST", "/api/applications/app_demo/users", `{"email":"t@example.com"} {}`, 400, "validation_failed", "body"},
		{"empty metadata key", "POST", "/api/applications/app_demo/users", `{"email":"m@example.com","metadata":{"":"x"}}`, 400, "validation_failed", "metadata"},
		{"unknown application", "POST", "/api/applications/app_nope/users", map[string]any{"email": "n@example.com"}, 404, "not_found", ""},
		{"list unknown application", "GET", "/api/applications/app_nope/users", nil, 404, "not_found", ""},
		{"get unknown", "GET", "/api/users/usr_nope", nil, 404, "not_found", ""},
		{"patch unknown", "PATCH", "/api/users/usr_nope", map[string]any{"name": "x"}, 404, "not_found", ""},
		{"patch bad status", "PATCH", "/api/users/" + alice.ID, map[string]any{"status": "gone"}, 400, "validation_failed", "status"},
		{"patch email", "PATCH", "/api/users/" + alice.ID, map[string]any{"email": "x@example.com"}, 400, "validation_failed", "email"},
		{"delete unknown", "DELETE", "/api/users/usr_nope", nil, 404, "not_found", ""},
		{"unknown endpoint", "GET", "/api/nothing", nil, 404, "not_found", ""},
	})

	t.Run("delete refused while a member", func(t *testing.T) {
		u := c.createUser("member@example.com")
		acc := c.createAccount("acc_root", "with-member")
		m := c.addMember(acc.ID, u.ID, "viewer")
		want(t, c.do("DELETE", "/api/users/"+u.ID, nil), 409, "user_has_memberships")
		want(t, c.do("GET", "/api/users/"+u.ID, nil), 200, "")
		want(t, c.do("DELETE", "/api/accounts/"+acc.ID+"/members/"+m.ID, nil), 204, "")
		r := c.do("DELETE", "/api/users/"+u.ID, nil)
		want(t, r, 204, "")
		if len(r.body) != 0 {
			t.Errorf("204 with body %q", r.body)
		}
		want(t, c.do("GET", "/api/users/"+u.ID, nil), 404, "not_found")
		want(t, c.do("DELETE", "/api/users/"+u.ID, nil), 404, "not_found")
		// The email is free again.
		c.createUser("member@example.com")
	})
}

func TestAccounts(t *testing.T) {
	_, c := start(t, sandbox.Options{})

	r := c.do("GET", "/api/accounts/acc_root", nil)
	want(t, r, 200, "")
	var root account
	r.decode(t, &root)
	if root.ID != "acc_root" || root.ParentID != "" || !strings.Contains(string(r.body), `"parent_id":""`) {
		t.Errorf("root: %s", r.body)
	}

	r = c.do("POST", "/api/accounts/acc_root/accounts", map[string]any{"name": "ops", "metadata": map[string]string{"managed-by": "t"}})
	want(t, r, 201, "")
	var ops account
	r.decode(t, &ops)
	if diff := cmp.Diff(account{ID: ops.ID, ParentID: "acc_root", Name: "ops", Metadata: map[string]string{"managed-by": "t"}},
		ops, cmpopts.IgnoreFields(account{}, "CreatedAt", "UpdatedAt")); diff != "" || !strings.HasPrefix(ops.ID, "acc_") {
		t.Errorf("(-want +got):\n%s", diff)
	}
	teamA := c.createAccount(ops.ID, "team-a")
	teamB := c.createAccount(ops.ID, "team-b")
	c.createAccount("acc_root", "team-a") // the same name under another parent is fine

	t.Run("list children", func(t *testing.T) {
		r := c.do("GET", "/api/accounts/"+ops.ID+"/accounts", nil)
		want(t, r, 200, "")
		var p page[account]
		r.decode(t, &p)
		var names []string
		for _, a := range p.Data {
			names = append(names, a.Name)
		}
		if diff := cmp.Diff([]string{"team-a", "team-b"}, names); diff != "" || p.NextCursor != "" {
			t.Errorf("(-want +got):\n%s cursor %q", diff, p.NextCursor)
		}
		r = c.do("GET", "/api/accounts/"+teamA.ID+"/accounts", nil)
		if !strings.Contains(string(r.body), `"data":[]`) || !strings.Contains(string(r.body), `"next_cursor":""`) {
			t.Errorf("empty list: %s", r.body)
		}
	})
	t.Run("rename and metadata", func(t *testing.T) {
		r := c.do("PATCH", "/api/accounts/"+teamB.ID, `{"name":"team-c","metadata":{"managed-by":null,"x":"y"}}`)
		want(t, r, 200, "")
		var got account
		r.decode(t, &got)
		if diff := cmp.Diff([]any{"team-c", map[string]string{"x": "y"}, ops.ID}, []any{got.Name, got.Metadata, got.ParentID}); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		want(t, c.do("PATCH", "/api/accounts/"+teamB.ID, `{"name":"team-c"}`), 200, "") // its own name
	})
	t.Run("root can be read and updated but not deleted", func(t *testing.T) {
		want(t, c.do("PATCH", "/api/accounts/acc_root", `{"metadata":{"k":"v"}}`), 200, "")
		want(t, c.do("DELETE", "/api/accounts/acc_root", nil), 403, "forbidden")
	})

	u := c.createUser("m@example.com")
	runErrCases(t, c, []errCase{
		{"name taken", "POST", "/api/accounts/" + ops.ID + "/accounts", map[string]any{"name": "team-a"}, 409, "name_taken", ""},
		{"rename to a sibling's name", "PATCH", "/api/accounts/" + teamB.ID, map[string]any{"name": "team-a"}, 409, "name_taken", ""},
		{"name empty", "POST", "/api/accounts/acc_root/accounts", map[string]any{"name": ""}, 400, "validation_failed", "name"},
		{"name blank", "POST", "/api/accounts/acc_root/accounts", map[string]any{"name": "  "}, 400, "validation_failed", "name"},
		{"name slash", "POST", "/api/accounts/acc_root/accounts", map[string]any{"name": "a/b"}, 400, "validation_failed", "name"},
		{"rename slash", "PATCH", "/api/accounts/" + teamA.ID, map[string]any{"name": "a/b"}, 400, "validation_failed", "name"},
		{"rename empty", "PATCH", "/api/accounts/" + teamA.ID, map[string]any{"name": ""}, 400, "validation_failed", "name"},
		{"unknown field", "POST", "/api/accounts/acc_root/accounts", map[string]any{"name": "x", "parent": "y"}, 400, "validation_failed", "parent"},
		{"patch unknown field", "PATCH", "/api/accounts/" + teamA.ID, map[string]any{"parent_id": "acc_root"}, 400, "validation_failed", "parent_id"},
		{"unknown parent", "POST", "/api/accounts/acc_nope/accounts", map[string]any{"name": "x"}, 404, "not_found", ""},
		{"list unknown parent", "GET", "/api/accounts/acc_nope/accounts", nil, 404, "not_found", ""},
		{"get unknown", "GET", "/api/accounts/acc_nope", nil, 404, "not_found", ""},
		{"patch unknown", "PATCH", "/api/accounts/acc_nope", map[string]any{"name": "x"}, 404, "not_found", ""},
		{"delete unknown", "DELETE", "/api/accounts/acc_nope", nil, 404, "not_found", ""},
		{"delete with children", "DELETE", "/api/accounts/" + ops.ID, nil, 409, "account_not_empty", ""},
		{"bad limit", "GET", "/api/accounts/acc_root/accounts?limit=0", nil, 400, "validation_failed", "limit"},
	})

	t.Run("delete with members, then empty", func(t *testing.T) {
		m := c.addMember(teamA.ID, u.ID, "admin")
		want(t, c.do("DELETE", "/api/accounts/"+teamA.ID, nil), 409, "account_not_empty")
		want(t, c.do("DELETE", "/api/accounts/"+teamA.ID+"/members/"+m.ID, nil), 204, "")
		want(t, c.do("DELETE", "/api/accounts/"+teamA.ID, nil), 204, "")
		want(t, c.do("GET", "/api/accounts/"+teamA.ID, nil), 404, "not_found")
		want(t, c.do("DELETE", "/api/accounts/"+teamB.ID, nil), 204, "")
		want(t, c.do("DELETE", "/api/accounts/"+ops.ID, nil), 204, "")
	})
}

func TestMembers(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	u := c.createUser("u@example.com")
	u2 := c.createUser("u2@example.com")
	acc := c.createAccount("acc_root", "a")
	other := c.createAccount("acc_root", "b")

	r := c.do("POST", "/api/accounts/"+acc.ID+"/members", map[string]any{"user_id": u.ID, "role": "viewer"})
	want(t, r, 201, "")
	var m member
	r.decode(t, &m)
	if diff := cmp.Diff(member{ID: m.ID, AccountID: acc.ID, UserID: u.ID, Role: "viewer"}, m,
		cmpopts.IgnoreFields(member{}, "CreatedAt")); diff != "" || !strings.HasPrefix(m.ID, "mem_") || m.CreatedAt.IsZero() {
		t.Errorf("(-want +got):\n%s", diff)
	}
	rootMember := c.addMember("acc_root", u.ID, "owner") // root members work too
	c.addMember(acc.ID, u2.ID, "editor")

	t.Run("patch role", func(t *testing.T) {
		r := c.do("PATCH", "/api/accounts/"+acc.ID+"/members/"+m.ID, map[string]any{"role": "admin"})
		want(t, r, 200, "")
		var got member
		r.decode(t, &got)
		if got.Role != "admin" || got.ID != m.ID {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("list", func(t *testing.T) {
		r := c.do("GET", "/api/accounts/"+acc.ID+"/members?limit=1", nil)
		want(t, r, 200, "")
		var p page[member]
		r.decode(t, &p)
		if len(p.Data) != 1 || p.Data[0].Role != "admin" || p.NextCursor == "" {
			t.Fatalf("page 1: %s", r.body)
		}
		r = c.do("GET", "/api/accounts/"+acc.ID+"/members?limit=1&cursor="+p.NextCursor, nil)
		var p2 page[member]
		r.decode(t, &p2)
		if len(p2.Data) != 1 || p2.Data[0].UserID != u2.ID || p2.NextCursor != "" {
			t.Errorf("page 2: %s", r.body)
		}
		// A cursor of one list is refused by another.
		want(t, c.do("GET", "/api/accounts/"+other.ID+"/members?cursor="+p.NextCursor, nil), 400, "validation_failed")
	})

	runErrCases(t, c, []errCase{
		{"already member", "POST", "/api/accounts/" + acc.ID + "/members", map[string]any{"user_id": u.ID, "role": "owner"}, 409, "already_member", ""},
		{"unknown user", "POST", "/api/accounts/" + acc.ID + "/members", map[string]any{"user_id": "usr_nope", "role": "viewer"}, 404, "not_found", ""},
		{"no user", "POST", "/api/accounts/" + acc.ID + "/members", map[string]any{"role": "viewer"}, 400, "validation_failed", "user_id"},
		{"bad role", "POST", "/api/accounts/" + acc.ID + "/members", map[string]any{"user_id": u2.ID, "role": "god"}, 400, "validation_failed", "role"},
		{"no role", "POST", "/api/accounts/" + other.ID + "/members", map[string]any{"user_id": u2.ID}, 400, "validation_failed", "role"},
		{"unknown field", "POST", "/api/accounts/" + other.ID + "/members", map[string]any{"user_id": u2.ID, "role": "viewer", "x": 1}, 400, "validation_failed", "x"},
		{"unknown account", "POST", "/api/accounts/acc_nope/members", map[string]any{"user_id": u2.ID, "role": "viewer"}, 404, "not_found", ""},
		{"list unknown account", "GET", "/api/accounts/acc_nope/members", nil, 404, "not_found", ""},
		{"patch bad role", "PATCH", "/api/accounts/" + acc.ID + "/members/" + m.ID, map[string]any{"role": "x"}, 400, "validation_failed", "role"},
		{"patch user_id", "PATCH", "/api/accounts/" + acc.ID + "/members/" + m.ID, map[string]any{"role": "viewer", "user_id": u2.ID}, 400, "validation_failed", "user_id"},
		{"patch under another account", "PATCH", "/api/accounts/" + other.ID + "/members/" + m.ID, map[string]any{"role": "viewer"}, 404, "not_found", ""},
		{"patch unknown", "PATCH", "/api/accounts/" + acc.ID + "/members/mem_nope", map[string]any{"role": "viewer"}, 404, "not_found", ""},
		{"delete under another account", "DELETE", "/api/accounts/" + other.ID + "/members/" + m.ID, nil, 404, "not_found", ""},
		{"delete unknown", "DELETE", "/api/accounts/" + acc.ID + "/members/mem_nope", nil, 404, "not_found", ""},
	})

	want(t, c.do("DELETE", "/api/accounts/"+acc.ID+"/members/"+m.ID, nil), 204, "")
	want(t, c.do("DELETE", "/api/accounts/"+acc.ID+"/members/"+m.ID, nil), 404, "not_found")
	want(t, c.do("DELETE", "/api/accounts/acc_root/members/"+rootMember.ID, nil), 204, "")
	// The user can be added again after removal.
	c.addMember(acc.ID, u.ID, "viewer")
}
