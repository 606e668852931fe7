package api

import (
	"context"
	"errors"
	"net/http"
)

// errNotImplemented marks the methods still to be written (issue 4). TEMPORARY.
var errNotImplemented = errors.New("api: not implemented")

// Client is the admin API client. Its exported method set is the contract the live and apply
// packages code against; the api issue fills in the bodies.
type Client struct {
	baseURL string
	hc      *http.Client
}

// ListUsers returns every user of an application, reading all pages at the largest page size.
func (c *Client) ListUsers(ctx context.Context, applicationID string) ([]User, error) {
	return nil, errNotImplemented
}

// GetUser reads one user.
func (c *Client) GetUser(ctx context.Context, userID string) (*User, error) {
	return nil, errNotImplemented
}

// CreateUser creates a user; a retried create answered 409 is resolved by email.
func (c *Client) CreateUser(ctx context.Context, applicationID string, req CreateUserRequest) (*User, error) {
	return nil, errNotImplemented
}

// UpdateUser patches a user.
func (c *Client) UpdateUser(ctx context.Context, userID string, req UpdateUserRequest) (*User, error) {
	return nil, errNotImplemented
}

// DeleteUser deletes a user.
func (c *Client) DeleteUser(ctx context.Context, userID string) error { return errNotImplemented }

// GetAccount reads one account.
func (c *Client) GetAccount(ctx context.Context, accountID string) (*Account, error) {
	return nil, errNotImplemented
}

// ListChildAccounts returns every direct child of an account.
func (c *Client) ListChildAccounts(ctx context.Context, accountID string) ([]Account, error) {
	return nil, errNotImplemented
}

// CreateAccount creates a child account; a retried create answered 409 is resolved by name.
func (c *Client) CreateAccount(ctx context.Context, parentID string, req CreateAccountRequest) (*Account, error) {
	return nil, errNotImplemented
}

// UpdateAccount patches an account.
func (c *Client) UpdateAccount(ctx context.Context, accountID string, req UpdateAccountRequest) (*Account, error) {
	return nil, errNotImplemented
}

// DeleteAccount deletes an account.
func (c *Client) DeleteAccount(ctx context.Context, accountID string) error { return errNotImplemented }

// ListMembers returns every member of an account.
func (c *Client) ListMembers(ctx context.Context, accountID string) ([]Member, error) {
	return nil, errNotImplemented
}

// AddMember adds a member; a retried create answered 409 is resolved by user id.
func (c *Client) AddMember(ctx context.Context, accountID string, req CreateMemberRequest) (*Member, error) {
	return nil, errNotImplemented
}

// UpdateMember changes a member's role.
func (c *Client) UpdateMember(ctx context.Context, accountID, memberID string, req UpdateMemberRequest) (*Member, error) {
	return nil, errNotImplemented
}

// RemoveMember removes a member.
func (c *Client) RemoveMember(ctx context.Context, accountID, memberID string) error {
	return errNotImplemented
}

// ListAppClients returns the summaries of every app client.
func (c *Client) ListAppClients(ctx context.Context) ([]AppClientSummary, error) {
	return nil, errNotImplemented
}

// GetAppClient reads one app client by id (the UUID after "appclient/" in its ARN).
func (c *Client) GetAppClient(ctx context.Context, id string) (*AppClient, error) {
	return nil, errNotImplemented
}

// CreateAppClient creates an app client; a retried create answered 409 is resolved by appName.
func (c *Client) CreateAppClient(ctx context.Context, req CreateAppClientRequest) (*AppClientCreated, error) {
	return nil, errNotImplemented
}

// UpdateAppClient changes an app client's redirect URLs.
func (c *Client) UpdateAppClient(ctx context.Context, id string, req UpdateAppClientRequest) (*AppClient, error) {
	return nil, errNotImplemented
}

// DeleteAppClient deletes an app client.
func (c *Client) DeleteAppClient(ctx context.Context, id string) error { return errNotImplemented }

// Requests returns how many HTTP requests the client has sent, retries included.
func (c *Client) Requests() int64 { return 0 }
