// Package sandboxtest starts sandbox servers for tests.
package sandboxtest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/inbox-manager/inboxctl/sandbox"
)

// New starts a sandbox on 127.0.0.1:0 with a database in t.TempDir() (unless opts say otherwise)
// and the development credentials, and closes it when the test ends. Zero fields of opts get the
// sandbox defaults.
func New(t testing.TB, opts sandbox.Options) *sandbox.Server {
	t.Helper()
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.DB == "" {
		opts.DB = filepath.Join(t.TempDir(), "sandbox.db")
	}
	if opts.ClientID == "" {
		opts.ClientID = sandbox.DefaultClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = sandbox.DefaultClientSecret
	}
	if opts.Username == "" {
		opts.Username = sandbox.DefaultUsername
	}
	if opts.Password == "" {
		opts.Password = sandbox.DefaultPassword
	}
	if opts.Audience == "" {
		opts.Audience = sandbox.DefaultAudience
	}
	srv, err := sandbox.Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("sandboxtest: start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("sandboxtest: close: %v", err)
		}
	})
	return srv
}
