package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// SeedData are resources to insert straight into the store (no HTTP), for benchmarks and large
// tests.
type SeedData struct {
	Users      []SeedUser
	Accounts   []SeedAccount
	Members    []SeedMember
	AppClients []SeedAppClient
}

// SeedAppClient is an app client, validated like POST /appclients; Status "" means
// pending_verification (or verified with AutoVerify).
type SeedAppClient struct {
	AppName, Description  string
	RedirectURLs          []string
	StarterUserEmails     []string
	CustomerManagedKeyARN string
	Status                string
}

// SeedUser is a user of app_demo. Status "" means active.
type SeedUser struct {
	Email, Name, Status string
	Metadata            map[string]string
}

// SeedAccount is an account at Path ("a/b/c", names from acc_root); its parent must exist already
// or come earlier in the same SeedData.
type SeedAccount struct {
	Path     string
	Metadata map[string]string
}

// SeedMember makes the user with Email (a user of app_demo) a member with Role of the account at
// AccountPath ("" is acc_root).
type SeedMember struct {
	AccountPath string
	Email       string
	Role        string
}

// SeedResult holds the ids Seed created, by key.
type SeedResult struct {
	UserIDs    map[string]string // lower-cased email -> id
	AccountIDs map[string]string // path -> id
	// AppClientIDs are the ids (UUIDs) of the seeded app clients, in order.
	AppClientIDs []string
}

// Seed inserts d in one transaction, validated like the API would (an error rolls everything
// back).
func (s *Server) Seed(ctx context.Context, d SeedData) (*SeedResult, error) {
	res := &SeedResult{UserIDs: map[string]string{}, AccountIDs: map[string]string{"": DefaultRootAccountID}}
	err := s.writeTx(ctx, func(tx *txn) error {
		now := time.Now()
		for i, u := range d.Users {
			email, err := checkEmail(fmt.Sprintf("users[%d].email", i), u.Email)
			if err != nil {
				return err
			}
			status := u.Status
			if status == "" {
				status = "active"
			}
			if err := checkEnum(fmt.Sprintf("users[%d].status", i), status, userStatuses); err != nil {
				return err
			}
			created, err := insertUser(ctx, tx, DefaultApplicationID, email, u.Name, status, u.Metadata, now)
			if err != nil {
				return err
			}
			res.UserIDs[email] = created.ID
		}
		for i, a := range d.Accounts {
			parentPath, name := path.Split(a.Path)
			parentPath = strings.TrimSuffix(parentPath, "/")
			if err := checkAccountName(name); err != nil {
				return fmt.Errorf("accounts[%d] %q: %w", i, a.Path, err)
			}
			parent, err := resolveAccount(ctx, tx, res.AccountIDs, parentPath)
			if err != nil {
				return err
			}
			created, err := insertAccount(ctx, tx, parent, name, a.Metadata, now)
			if err != nil {
				return fmt.Errorf("accounts[%d] %q: %w", i, a.Path, err)
			}
			res.AccountIDs[a.Path] = created.ID
		}
		for i, m := range d.Members {
			if err := checkEnum(fmt.Sprintf("members[%d].role", i), m.Role, memberRoles); err != nil {
				return err
			}
			account, err := resolveAccount(ctx, tx, res.AccountIDs, m.AccountPath)
			if err != nil {
				return err
			}
			email := strings.ToLower(m.Email)
			userID, ok := res.UserIDs[email]
			if !ok {
				err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE application_id = ? AND email = ?`,
					DefaultApplicationID, email).Scan(&userID)
				if errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("members[%d]: no user %q", i, m.Email)
				}
				if err != nil {
					return err
				}
			}
			if _, err := insertMember(ctx, tx, account, userID, m.Role, now); err != nil {
				return fmt.Errorf("members[%d]: %w", i, err)
			}
		}
		for i, a := range d.AppClients {
			req := appClientCreate{AppName: a.AppName, Description: a.Description, RedirectURLs: a.RedirectURLs,
				StarterUserEmails: a.StarterUserEmails, CustomerManagedKeyIdentifier: a.CustomerManagedKeyARN}
			if err := checkAppClient(req); err != nil {
				return fmt.Errorf("appClients[%d]: %w", i, err)
			}
			status := a.Status
			if status == "" {
				status = s.initialVerification()
			}
			if err := checkEnum(fmt.Sprintf("appClients[%d].status", i), status, verificationStatuses); err != nil {
				return err
			}
			id, _, err := insertAppClient(ctx, tx, req, status, now)
			if err != nil {
				return err
			}
			res.AppClientIDs = append(res.AppClientIDs, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: seed: %w", err)
	}
	delete(res.AccountIDs, "")
	return res, nil
}

// resolveAccount finds the id of the account at p under acc_root, from known or the store.
func resolveAccount(ctx context.Context, tx *txn, known map[string]string, p string) (string, error) {
	if id, ok := known[p]; ok {
		return id, nil
	}
	id := DefaultRootAccountID
	for _, name := range strings.Split(p, "/") {
		err := tx.QueryRowContext(ctx, `SELECT id FROM accounts WHERE parent_id = ? AND name = ?`, id, name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("no account at path %q", p)
		}
		if err != nil {
			return "", err
		}
	}
	known[p] = id
	return id, nil
}
