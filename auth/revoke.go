package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// RevokeTimeout bounds Revoke as a whole.
const RevokeTimeout = 5 * time.Second

// Revoke ends the Source's tokens (RFC 7009): the refresh token first, then the access token.
// It is best effort: every revocation is tried, within RevokeTimeout, and the failures come back
// joined for the caller to print as a warning. The Source forgets both tokens either way. With no
// revoke URL or no token it does nothing.
func (s *Source) Revoke(ctx context.Context) error {
	s.mu.Lock()
	rt := s.refresh
	at := ""
	if s.cur != nil {
		at = s.cur.AccessToken
	}
	s.cur, s.refresh = nil, ""
	s.mu.Unlock()
	if s.cfg.RevokeURL == "" || (rt == "" && at == "") {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, RevokeTimeout)
	defer cancel()
	var errs []error
	if rt != "" {
		errs = append(errs, s.revoke(ctx, rt, "refresh_token"))
	}
	if at != "" {
		errs = append(errs, s.revoke(ctx, at, "access_token"))
	}
	return errors.Join(errs...)
}

func (s *Source) revoke(ctx context.Context, token, hint string) error {
	form := url.Values{
		"token": {token}, "token_type_hint": {hint},
		"client_id": {s.cfg.ClientID}, "client_secret": {s.cfg.ClientSecret},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.RevokeURL, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("auth: revoking the %s: %w", hint, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.hc.Do(req)
	if err != nil {
		// The error names the URL only; the form with the token is not part of it.
		return fmt.Errorf("auth: revoking the %s: %w", hint, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		s.log.Debug("auth: token revoked", "token_type", hint)
		return nil
	}
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body)
	msg := fmt.Sprintf("auth: revoking the %s: %d %s", hint, resp.StatusCode, http.StatusText(resp.StatusCode))
	if body.Error != "" {
		msg += ": " + body.Error
	}
	if body.Description != "" {
		msg += ": " + body.Description
	}
	return errors.New(msg)
}
