package auth

import (
	"net/http"
	"net/url"
	"strings"
)

// ReadOnly returns a transport that sends GET requests and POSTs to postURLs (the token
// and revoke endpoints) through base, and refuses anything else with a *ReadOnlyError, without
// sending it. Nil base means http.DefaultTransport. It is the transport of plan, validate, drift
// and export (CONTRACT 2.3): whatever bug is above it, a read-only command cannot write.
func ReadOnly(base http.RoundTripper, postURLs ...string) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	ro := &readOnly{base: base, post: map[string]bool{}}
	for _, raw := range postURLs {
		if u, err := url.Parse(raw); err == nil && raw != "" {
			ro.post[endpointKey(u)] = true
		}
	}
	return ro
}

type readOnly struct {
	base http.RoundTripper
	post map[string]bool
}

func (ro *readOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	switch {
	case req.Method == http.MethodGet:
		return ro.base.RoundTrip(req)
	case req.Method == http.MethodPost && ro.post[endpointKey(req.URL)]:
		return ro.base.RoundTrip(req)
	}
	closeBody(req)
	u := *req.URL
	u.RawQuery, u.User, u.Fragment = "", nil, ""
	return nil, &ReadOnlyError{Method: req.Method, URL: u.String()}
}

// endpointKey is a URL reduced to what identifies an endpoint: scheme, host with port, path.
func endpointKey(u *url.URL) string {
	host := strings.ToLower(u.Host)
	switch {
	case u.Scheme == "https" && strings.HasSuffix(host, ":443"):
		host = strings.TrimSuffix(host, ":443")
	case u.Scheme == "http" && strings.HasSuffix(host, ":80"):
		host = strings.TrimSuffix(host, ":80")
	}
	return strings.ToLower(u.Scheme) + "://" + host + "/" + strings.Trim(u.EscapedPath(), "/")
}
