package auth

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// CheckURL refuses a URL that is not absolute http(s), and plain http to anything but a loopback
// address (127.0.0.0/8, ::1, localhost) unless insecure is set. what names the URL in the error.
func CheckURL(what, raw string, insecure bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("auth: %s is not a valid URL", what) // url's error quotes the URL, password and all
	}
	raw = u.Redacted() // a URL may carry user:password; errors show it without the password
	if u.Host == "" {
		return fmt.Errorf("auth: %s %q is not an absolute URL", what, raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if insecure || IsLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("auth: %s %q uses plain http to a host that is not loopback: use https, or --insecure-http", what, raw)
	default:
		return fmt.Errorf("auth: %s %q: scheme must be https (or http to loopback)", what, raw)
	}
}

// IsLoopback reports whether host (without a port) is localhost or a loopback IP address.
func IsLoopback(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// DefaultRevokeURL is the token URL with its last path segment replaced by "revoke".
func DefaultRevokeURL(tokenURL string) string {
	u, err := url.Parse(tokenURL)
	if err != nil {
		return ""
	}
	p := strings.TrimRight(u.Path, "/")
	if i := strings.LastIndex(p, "/"); i >= 0 {
		p = p[:i]
	}
	u.Path = p + "/revoke"
	u.RawPath = ""
	return u.String()
}
