package spec

import "testing"

// TestCheckRedirectURL checks the loader's rule for redirect URLs against the API's: https
// anywhere, http for the host "localhost" (any case) and loopback addresses only.
func TestCheckRedirectURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://app.example.com/cb", true},
		{"http://localhost:8080", true},
		{"http://LOCALHOST:1/x", true},
		{"http://LocalHost", true},
		{"http://127.0.0.1/cb", true},
		{"http://127.0.0.2/cb", true},
		{"http://127.255.255.254", true},
		{"http://[::1]:3000/cb", true},
		{"http://[::ffff:127.0.0.1]/cb", true},
		{"http://app.example.com/cb", false},
		{"http://localhost.example.com/cb", false},
		{"http://app.localhost/cb", false},
		{"http://128.0.0.1/cb", false},
		{"http://[::2]/cb", false},
		{"http://0.0.0.0/cb", false},
		{"ftp://localhost/cb", false},
		{"/relative", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := checkRedirectURL(tt.url)
			if (err == nil) != tt.ok {
				t.Errorf("checkRedirectURL(%q) = %v, want ok %t", tt.url, err, tt.ok)
			}
		})
	}
}

// TestCheckEmail checks that the loader refuses the addresses the API refuses.
func TestCheckEmail(t *testing.T) {
	tests := []struct {
		email string
		ok    bool
	}{
		{"a@example.com", true},
		{"A.B+tag@Example.com", true},
		{`"a b"@example.com`, false},
		{"a b@example.com", false},
		{"Alice <a@example.com>", false},
		{"a@", false},
		{"@example.com", false},
		{"example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.email, func(t *testing.T) {
			if err := checkEmail(tt.email); (err == nil) != tt.ok {
				t.Errorf("checkEmail(%q) = %v, want ok %t", tt.email, err, tt.ok)
			}
		})
	}
}
