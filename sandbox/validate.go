package sandbox

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
)

var (
	userStatuses = []string{"active", "suspended"}
	memberRoles  = []string{"viewer", "editor", "admin", "owner"}
)

// checkEmail returns the address lower-cased, or a validation error naming field.
func checkEmail(field, email string) (string, error) {
	if email == "" {
		return "", invalid(field, "is required")
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" || !strings.Contains(email, "@") {
		return "", invalid(field, "%q is not an email address", email)
	}
	local, domain, _ := strings.Cut(email, "@")
	if local == "" || domain == "" || strings.ContainsAny(email, " \t\r\n") {
		return "", invalid(field, "%q is not an email address", email)
	}
	return strings.ToLower(email), nil
}

func checkEnum(field, v string, allowed []string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return invalid(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
}

// checkAccountName: non-empty, no "/", at most 200 characters.
func checkAccountName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return invalid("name", "must not be empty")
	case strings.Contains(name, "/"):
		return invalid("name", "%q must not contain \"/\"", name)
	case len(name) > 200:
		return invalid("name", "longer than 200 characters")
	}
	return nil
}

func checkMetadata(field string, keys []string) error {
	for _, k := range keys {
		if k == "" {
			return invalid(field, "keys must not be empty")
		}
	}
	return nil
}

// checkRedirectURLs: 1 to 5 absolute URLs, https, or http for localhost only.
func checkRedirectURLs(urls []string) error {
	if len(urls) < 1 || len(urls) > 5 {
		return invalid("redirectUrls", "must hold 1 to 5 URLs, not %d", len(urls))
	}
	for i, raw := range urls {
		field := fmt.Sprintf("redirectUrls[%d]", i)
		u, err := url.Parse(raw)
		if err != nil || !u.IsAbs() || u.Host == "" {
			return invalid(field, "%q is not an absolute URL", raw)
		}
		switch u.Scheme {
		case "https":
		case "http":
			if !isLocalhost(u.Hostname()) {
				return invalid(field, "%q: http is allowed for localhost only", raw)
			}
		default:
			return invalid(field, "%q: scheme must be https", raw)
		}
	}
	return nil
}

func isLocalhost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
