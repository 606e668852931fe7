package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/inbox-manager/inboxctl/sandbox"
	"github.com/inbox-manager/inboxctl/sandbox/sandboxtest"
)

// client is a minimal admin-API client for the tests: one bearer token, raw statuses and bodies.
type client struct {
	t     testing.TB
	srv   *sandbox.Server
	hc    *http.Client
	token string
}

func newClient(t testing.TB, srv *sandbox.Server) *client {
	t.Helper()
	c := &client{t: t, srv: srv, hc: &http.Client{Timeout: 30 * time.Second}}
	c.token = c.clientCredentials()
	return c
}

// start is sandboxtest.New with a ready client.
func start(t testing.TB, opts sandbox.Options) (*sandbox.Server, *client) {
	t.Helper()
	srv := sandboxtest.New(t, opts)
	return srv, newClient(t, srv)
}

type tokenResp struct {
	AccessToken  string  `json:"access_token"`
	TokenType    string  `json:"token_type"`
	ExpiresIn    int64   `json:"expires_in"`
	RefreshToken string  `json:"refresh_token"`
	Scope        *string `json:"scope"`
	Error        string  `json:"error"`
	Description  string  `json:"error_description"`
}

// form posts a form to the token or revoke endpoint.
func (c *client) form(u string, v url.Values, basic ...string) (int, tokenResp, http.Header) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if len(basic) == 2 {
		req.SetBasicAuth(basic[0], basic[1])
	}
	return c.tokenCall(req)
}

func (c *client) jsonToken(u string, body any) (int, tokenResp, http.Header) {
	c.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return c.tokenCall(req)
}

func (c *client) tokenCall(req *http.Request) (int, tokenResp, http.Header) {
	c.t.Helper()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	var tr tokenResp
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 {
		if err := json.Unmarshal(b, &tr); err != nil {
			c.t.Fatalf("%s: body %q: %v", req.URL, b, err)
		}
	}
	return resp.StatusCode, tr, resp.Header
}

func ccForm() url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {"dev-admin"},
		"client_secret": {"dev-secret"}, "audience": {sandbox.DefaultAudience}}
}

func (c *client) clientCredentials() string {
	c.t.Helper()
	status, tr, _ := c.form(c.srv.TokenURL(), ccForm())
	if status != http.StatusOK || tr.AccessToken == "" {
		c.t.Fatalf("client credentials: %d %+v", status, tr)
	}
	return tr.AccessToken
}

func (c *client) passwordLogin() tokenResp {
	c.t.Helper()
	status, tr, _ := c.form(c.srv.TokenURL(), url.Values{"grant_type": {"password"}, "client_id": {"dev-admin"},
		"client_secret": {"dev-secret"}, "username": {"dev-user"}, "password": {"dev-password"}})
	if status != http.StatusOK || tr.RefreshToken == "" {
		c.t.Fatalf("password grant: %d %+v", status, tr)
	}
	return tr
}

// response is one admin-API answer.
type response struct {
	status int
	body   []byte
	header http.Header
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

// errCode is the code of an error envelope ("" when there is none).
func (r response) errCode() string {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	json.Unmarshal(r.body, &e)
	return e.Error.Code
}

func (r response) errMessage() string {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	json.Unmarshal(r.body, &e)
	return e.Error.Message
}

// do sends an admin-API request with the client's token. body is JSON-encoded unless it is a
// string (sent as is). hdr are header name/value pairs.
func (c *client) do(method, path string, body any, hdr ...string) response {
	c.t.Helper()
	r, err := c.try(method, path, body, hdr...)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func (c *client) try(method, path string, body any, hdr ...string) (response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.srv.URL()+path, rd)
	if err != nil {
		return response{}, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{status: resp.StatusCode, body: b, header: resp.Header}, nil
}

// want fails the test unless r has status (and, for an error, code).
func want(t testing.TB, r response, status int, code string) {
	t.Helper()
	if r.status != status || r.errCode() != code {
		t.Fatalf("got %d %s, want %d %q", r.status, r.body, status, code)
	}
}

type user struct {
	ID            string            `json:"id"`
	ApplicationID string            `json:"application_id"`
	Email         string            `json:"email"`
	Name          string            `json:"name"`
	Status        string            `json:"status"`
	Metadata      map[string]string `json:"metadata"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
}

type account struct {
	ID        string            `json:"id"`
	ParentID  string            `json:"parent_id"`
	Name      string            `json:"name"`
	Metadata  map[string]string `json:"metadata"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

type member struct {
	ID        string    `json:"id"`
	AccountID string    `json:"account_id"`
	UserID    string    `json:"user_id"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

type page[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor"`
}

func (c *client) createUser(email string) user {
	c.t.Helper()
	r := c.do("POST", "/api/applications/app_demo/users", map[string]any{"email": email})
	want(c.t, r, http.StatusCreated, "")
	var u user
	r.decode(c.t, &u)
	return u
}

func (c *client) createAccount(parent, name string) account {
	c.t.Helper()
	r := c.do("POST", "/api/accounts/"+parent+"/accounts", map[string]any{"name": name})
	want(c.t, r, http.StatusCreated, "")
	var a account
	r.decode(c.t, &a)
	return a
}

func (c *client) addMember(acc, userID, role string) member {
	c.t.Helper()
	r := c.do("POST", "/api/accounts/"+acc+"/members", map[string]any{"user_id": userID, "role": role})
	want(c.t, r, http.StatusCreated, "")
	var m member
	r.decode(c.t, &m)
	return m
}

// allUsers pages through the users of app_demo with limit.
func (c *client) allUsers(limit int) []user {
	c.t.Helper()
	var all []user
	cursor := ""
	for {
		r := c.do("GET", "/api/applications/app_demo/users?limit="+itoa(limit)+"&cursor="+url.QueryEscape(cursor), nil)
		want(c.t, r, http.StatusOK, "")
		var p page[user]
		r.decode(c.t, &p)
		all = append(all, p.Data...)
		if p.NextCursor == "" {
			return all
		}
		cursor = p.NextCursor
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
