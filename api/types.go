package api

import "time"

// User is an application user (CONTRACT 4).
type User struct {
	ID            string            `json:"id"`
	ApplicationID string            `json:"application_id"`
	Email         string            `json:"email"`
	Name          string            `json:"name"`
	Status        string            `json:"status"`
	Metadata      map[string]string `json:"metadata"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
}

// Account is an account of the account tree.
type Account struct {
	ID        string            `json:"id"`
	ParentID  string            `json:"parent_id"`
	Name      string            `json:"name"`
	Metadata  map[string]string `json:"metadata"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Member is a user's membership of an account.
type Member struct {
	ID        string    `json:"id"`
	AccountID string    `json:"account_id"`
	UserID    string    `json:"user_id"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// CreateUserRequest is the body of POST /api/applications/{id}/users.
type CreateUserRequest struct {
	Email    string            `json:"email"`
	Name     string            `json:"name,omitempty"`
	Status   string            `json:"status,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// UpdateUserRequest is the body of PATCH /api/users/{id}; nil fields are left unchanged.
// A metadata value of nil removes that key.
type UpdateUserRequest struct {
	Name     *string            `json:"name,omitempty"`
	Status   *string            `json:"status,omitempty"`
	Metadata map[string]*string `json:"metadata,omitempty"`
}

// CreateAccountRequest is the body of POST /api/accounts/{id}/accounts.
type CreateAccountRequest struct {
	Name     string            `json:"name"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// UpdateAccountRequest is the body of PATCH /api/accounts/{id}.
type UpdateAccountRequest struct {
	Name     *string            `json:"name,omitempty"`
	Metadata map[string]*string `json:"metadata,omitempty"`
}

// CreateMemberRequest is the body of POST /api/accounts/{id}/members.
type CreateMemberRequest struct {
	UserID string `json:"user_id"`
	Role   string `json:"role"`
}

// UpdateMemberRequest is the body of PATCH /api/accounts/{id}/members/{member_id}.
type UpdateMemberRequest struct {
	Role string `json:"role"`
}

// AppClientSummary is one entry of GET /appclients.
type AppClientSummary struct {
	AppClientARN       string `json:"appClientArn"`
	VerificationStatus string `json:"verificationStatus"`
}

// VerificationDetails holds an app client's verification status.
type VerificationDetails struct {
	VerificationStatus string `json:"verificationStatus"`
}

// AppClient is an app client as GET /appclients/{id} returns it.
type AppClient struct {
	AppName               string              `json:"appName"`
	ARN                   string              `json:"arn"`
	CustomerManagedKeyARN string              `json:"customerManagedKeyArn,omitempty"`
	Description           string              `json:"description"`
	RedirectURLs          []string            `json:"redirectUrls"`
	StarterUserEmails     []string            `json:"starterUserEmails"`
	VerificationDetails   VerificationDetails `json:"verificationDetails"`
}

// CreateAppClientRequest is the body of POST /appclients.
type CreateAppClientRequest struct {
	AppName                      string   `json:"appName"`
	Description                  string   `json:"description"`
	RedirectURLs                 []string `json:"redirectUrls"`
	StarterUserEmails            []string `json:"starterUserEmails"`
	CustomerManagedKeyIdentifier string   `json:"customerManagedKeyIdentifier,omitempty"`
}

// AppClientCreated is the summary POST /appclients returns.
type AppClientCreated struct {
	ARN                string `json:"arn"`
	VerificationStatus string `json:"verificationStatus"`
	ClientID           string `json:"clientId"`
}

// UpdateAppClientRequest is the body of PATCH /appclients/{id}: only redirect URLs change in place.
type UpdateAppClientRequest struct {
	RedirectURLs []string `json:"redirectUrls"`
}

// ErrorBody is the error envelope of the admin API: {"error":{"code","message"}}.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// MaxPageSize is the largest page the admin API serves for users, accounts and members;
// MaxAppClientPageSize the largest for app clients.
const (
	MaxPageSize          = 1000
	MaxAppClientPageSize = 100
)
