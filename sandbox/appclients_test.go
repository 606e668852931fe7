package sandbox_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/inbox-manager/inboxctl/sandbox"
)

type appClient struct {
	AppName               string   `json:"appName"`
	ARN                   string   `json:"arn"`
	CustomerManagedKeyARN string   `json:"customerManagedKeyArn"`
	Description           string   `json:"description"`
	RedirectURLs          []string `json:"redirectUrls"`
	StarterUserEmails     []string `json:"starterUserEmails"`
	VerificationDetails   struct {
		VerificationStatus string `json:"verificationStatus"`
	} `json:"verificationDetails"`
}

type appClientSummary struct {
	Summary struct {
		ARN                string `json:"arn"`
		VerificationStatus string `json:"verificationStatus"`
		ClientID           string `json:"clientId"`
	} `json:"appClientSummary"`
}

type appClientList struct {
	List []struct {
		ARN                string `json:"appClientArn"`
		VerificationStatus string `json:"verificationStatus"`
	} `json:"appClientList"`
	NextToken *string `json:"nextToken"`
}

func validAppClient(name string) map[string]any {
	return map[string]any{"appName": name, "description": "d", "redirectUrls": []string{"https://localhost:8080"},
		"starterUserEmails": []string{"anyuser@example.com"}}
}

func (c *client) createAppClient(body map[string]any) appClientSummary {
	c.t.Helper()
	r := c.do("POST", "/appclients", body)
	want(c.t, r, 200, "")
	var s appClientSummary
	r.decode(c.t, &s)
	return s
}

const arnPrefix = "arn:aws:appfabric:us-east-1:123456789012:appclient/"

func TestAppClients(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	body := validAppClient("Test App")
	body["customerManagedKeyIdentifier"] = "arn:aws:kms:us-east-1:111122223333:key/abc"
	created := c.createAppClient(body)
	id, ok := strings.CutPrefix(created.Summary.ARN, arnPrefix)
	if !ok || len(id) != 36 || created.Summary.ClientID == "" || created.Summary.VerificationStatus != "pending_verification" {
		t.Fatalf("created %+v", created)
	}

	t.Run("get by id and by ARN", func(t *testing.T) {
		for _, ref := range []string{id, url.PathEscape(created.Summary.ARN)} {
			r := c.do("GET", "/appclients/"+ref, nil)
			want(t, r, 200, "")
			var got struct{ AppClient appClient }
			r.decode(t, &got)
			wantClient := appClient{AppName: "Test App", ARN: created.Summary.ARN, Description: "d",
				CustomerManagedKeyARN: "arn:aws:kms:us-east-1:111122223333:key/abc",
				RedirectURLs:          []string{"https://localhost:8080"}, StarterUserEmails: []string{"anyuser@example.com"}}
			wantClient.VerificationDetails.VerificationStatus = "pending_verification"
			if diff := cmp.Diff(wantClient, got.AppClient); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		}
	})
	t.Run("patch redirect URLs", func(t *testing.T) {
		r := c.do("PATCH", "/appclients/"+id, map[string]any{"redirectUrls": []string{"https://a.example.com/cb", "http://127.0.0.1:9000/cb"}})
		want(t, r, 200, "")
		var got struct{ AppClient appClient }
		r.decode(t, &got)
		if diff := cmp.Diff([]string{"https://a.example.com/cb", "http://127.0.0.1:9000/cb"}, got.AppClient.RedirectURLs); diff != "" || got.AppClient.Description != "d" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})

	tooMany := validAppClient("x")
	tooMany["redirectUrls"] = []string{"https://a/1", "https://a/2", "https://a/3", "https://a/4", "https://a/5", "https://a/6"}
	with := func(k string, v any) map[string]any {
		b := validAppClient("x")
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	runErrCases(t, c, []errCase{
		{"no name", "POST", "/appclients", with("appName", ""), 400, "validation_failed", "appName"},
		{"no redirect", "POST", "/appclients", with("redirectUrls", []string{}), 400, "validation_failed", "redirectUrls"},
		{"six redirects", "POST", "/appclients", tooMany, 400, "validation_failed", "redirectUrls"},
		{"http not localhost", "POST", "/appclients", with("redirectUrls", []string{"http://example.com/cb"}), 400, "validation_failed", "redirectUrls[0]"},
		{"relative", "POST", "/appclients", with("redirectUrls", []string{"https://ok.example.com", "/cb"}), 400, "validation_failed", "redirectUrls[1]"},
		{"ftp", "POST", "/appclients", with("redirectUrls", []string{"ftp://example.com"}), 400, "validation_failed", "redirectUrls[0]"},
		{"no starter", "POST", "/appclients", with("starterUserEmails", nil), 400, "validation_failed", "starterUserEmails"},
		{"two starters", "POST", "/appclients", with("starterUserEmails", []string{"a@example.com", "b@example.com"}), 400, "validation_failed", "starterUserEmails"},
		{"bad starter", "POST", "/appclients", with("starterUserEmails", []string{"nope"}), 400, "validation_failed", "starterUserEmails[0]"},
		{"bad key", "POST", "/appclients", with("customerManagedKeyIdentifier", "key"), 400, "validation_failed", "customerManagedKeyIdentifier"},
		{"unknown field", "POST", "/appclients", with("clientId", "x"), 400, "validation_failed", "clientId"},
		{"patch description", "PATCH", "/appclients/" + id, map[string]any{"redirectUrls": []string{"https://a.example.com"}, "description": "n"}, 400, "validation_failed", "description"},
		{"patch bad URL", "PATCH", "/appclients/" + id, map[string]any{"redirectUrls": []string{"http://example.com"}}, 400, "validation_failed", "redirectUrls[0]"},
		{"patch none", "PATCH", "/appclients/" + id, map[string]any{}, 400, "validation_failed", "redirectUrls"},
		{"get unknown", "GET", "/appclients/00000000-0000-4000-8000-000000000000", nil, 404, "not_found", ""},
		{"patch unknown", "PATCH", "/appclients/00000000-0000-4000-8000-000000000000", map[string]any{"redirectUrls": []string{"https://a.example.com"}}, 404, "not_found", ""},
		{"delete unknown", "DELETE", "/appclients/00000000-0000-4000-8000-000000000000", nil, 404, "not_found", ""},
		{"maxResults 0", "GET", "/appclients?maxResults=0", nil, 400, "validation_failed", "maxResults"},
		{"maxResults 101", "GET", "/appclients?maxResults=101", nil, 400, "validation_failed", "maxResults"},
		{"bad nextToken", "GET", "/appclients?nextToken=garbage", nil, 400, "validation_failed", "nextToken"},
	})

	t.Run("same name twice is allowed", func(t *testing.T) {
		c.createAppClient(validAppClient("Test App"))
	})
	t.Run("delete", func(t *testing.T) {
		want(t, c.do("DELETE", "/appclients/"+id, nil), 204, "")
		want(t, c.do("GET", "/appclients/"+id, nil), 404, "not_found")
		want(t, c.do("DELETE", "/appclients/"+id, nil), 404, "not_found")
	})
}

func TestAppClientsAutoVerify(t *testing.T) {
	_, c := start(t, sandbox.Options{AutoVerify: true})
	s := c.createAppClient(validAppClient("a"))
	if s.Summary.VerificationStatus != "verified" {
		t.Errorf("status %q, want verified", s.Summary.VerificationStatus)
	}
}

// TestAppClientPagination pages over 2,500 app clients with maxResults, deleting and adding
// between pages: no duplicates, none of those that lived throughout missing.
func TestAppClientPagination(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 2,500 app clients")
	}
	srv, c := start(t, sandbox.Options{})
	const n = 2500
	var seed sandbox.SeedData
	for range n {
		seed.AppClients = append(seed.AppClients, sandbox.SeedAppClient{AppName: "app",
			RedirectURLs: []string{"https://localhost"}, StarterUserEmails: []string{"a@example.com"}})
	}
	res, err := srv.Seed(context.Background(), seed)
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, id := range res.AppClientIDs {
		arns = append(arns, arnPrefix+id)
	}
	if len(arns) != n {
		t.Fatalf("seeded %d", len(arns))
	}

	seen := map[string]bool{}
	deleted := map[string]bool{}
	token, pages := "", 0
	for {
		r := c.do("GET", "/appclients?maxResults=100&nextToken="+url.QueryEscape(token), nil)
		want(t, r, 200, "")
		var p appClientList
		r.decode(t, &p)
		for _, e := range p.List {
			if seen[e.ARN] {
				t.Fatalf("duplicate %s", e.ARN)
			}
			seen[e.ARN] = true
		}
		pages++
		if p.NextToken == nil {
			if strings.Contains(string(r.body), "nextToken") {
				t.Errorf("last page has a nextToken: %s", r.body)
			}
			break
		}
		if *p.NextToken == "" {
			t.Fatal("empty nextToken instead of none")
		}
		token = *p.NextToken
		// Between pages: delete one not yet seen, add one.
		victim := ""
		for _, a := range arns {
			if !seen[a] && !deleted[a] {
				victim = a
			}
		}
		if victim == "" {
			t.Fatal("nothing left to delete")
		}
		want(t, c.do("DELETE", "/appclients/"+strings.TrimPrefix(victim, arnPrefix), nil), 204, "")
		deleted[victim] = true
		c.createAppClient(validAppClient("late"))
	}
	for _, a := range arns {
		if !deleted[a] && !seen[a] {
			t.Errorf("missing %s", a)
		}
		if deleted[a] && seen[a] {
			t.Errorf("deleted before its page, yet listed: %s", a)
		}
	}
	if pages < 25 {
		t.Errorf("%d pages, want at least 25", pages)
	}
}
