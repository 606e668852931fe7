#!/usr/bin/env bash
# The backend admin flow of the inbox-manager guide, end to end with curl and jq:
# mint a client-credentials token (JSON body, with audience), create an application user and a child
# account, add the user as a viewer, make them an editor, remove the membership, rename and delete
# the account, delete the user. Any unexpected HTTP status ends the script with a non-zero exit.
#
# Reads INBOXCTL_API_URL, INBOXCTL_TOKEN_URL, AUTH_BACKEND_ADMIN_CLIENT_ID and
# AUTH_BACKEND_ADMIN_CLIENT_SECRET (as `inboxctl sandbox` prints them), and optionally
# INBOXCTL_APPLICATION (default app_demo), INBOXCTL_ACCOUNT (default acc_root) and
# INBOXCTL_AUDIENCE (default https://api.inbox-manager.com). The secret and the token are never
# printed.
set -euo pipefail

api="${INBOXCTL_API_URL:?set INBOXCTL_API_URL (see: inboxctl sandbox)}"
token_url="${INBOXCTL_TOKEN_URL:?set INBOXCTL_TOKEN_URL}"
: "${AUTH_BACKEND_ADMIN_CLIENT_ID:?set AUTH_BACKEND_ADMIN_CLIENT_ID}"
: "${AUTH_BACKEND_ADMIN_CLIENT_SECRET:?set AUTH_BACKEND_ADMIN_CLIENT_SECRET}"
app="${INBOXCTL_APPLICATION:-app_demo}"
root="${INBOXCTL_ACCOUNT:-acc_root}"
audience="${INBOXCTL_AUDIENCE:-https://api.inbox-manager.com}"

for tool in curl jq; do
  command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is required" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
body="$work/body"

# call EXPECTED_STATUS METHOD URL [JSON]: one request; the response body is left in $body.
# Headers (with the token) go to curl through a file, so they are not in the process list.
call() {
  local want="$1" method="$2" url="$3" data="${4:-}" status
  local args=(-sS -o "$body" -w '%{http_code}' -X "$method" -H @"$work/headers")
  [ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data "$data")
  status="$(curl "${args[@]}" "$url")" || { echo "error: $method $url: curl failed" >&2; exit 1; }
  if [ "$status" != "$want" ]; then
    echo "error: $method $url: HTTP $status, expected $want: $(head -c 500 "$body")" >&2
    exit 1
  fi
  echo "ok: $method ${url#"$api"} -> $status"
}

# 1. Mint a token: client credentials in a JSON body, with the audience. The request body (with
# the secret) is built by jq into a file, never on a command line.
jq -n --arg id "$AUTH_BACKEND_ADMIN_CLIENT_ID" --arg secret "$AUTH_BACKEND_ADMIN_CLIENT_SECRET" \
  --arg aud "$audience" \
  '{grant_type: "client_credentials", client_id: $id, client_secret: $secret, audience: $aud}' >"$work/token_request"
status="$(curl -sS -o "$body" -w '%{http_code}' -X POST "$token_url" \
  -H 'Content-Type: application/json' --data @"$work/token_request")" || { echo "error: token request failed" >&2; exit 1; }
if [ "$status" != 200 ]; then
  echo "error: token endpoint: HTTP $status: $(jq -r '.error + ": " + (.error_description // "")' "$body" 2>/dev/null)" >&2
  exit 1
fi
token="$(jq -r '.access_token // empty' "$body")"
[ -n "$token" ] || { echo "error: token endpoint returned no access_token" >&2; exit 1; }
printf 'Authorization: Bearer %s\n' "$token" >"$work/headers"
rm -f "$body"
echo "ok: token minted"

suffix="$(date +%s)-$$"
email="curl-flow-$suffix@example.com"

# 2. Create an application user.
call 201 POST "$api/api/applications/$app/users" \
  "$(jq -nc --arg e "$email" '{email: $e, name: "Curl Flow", status: "active"}')"
user_id="$(jq -r .id "$body")"

# 3. Create a child account of the root.
call 201 POST "$api/api/accounts/$root/accounts" "$(jq -nc --arg n "ops-provisioned-$suffix" '{name: $n}')"
account_id="$(jq -r .id "$body")"

# 4. Add the user as a viewer.
call 201 POST "$api/api/accounts/$account_id/members" \
  "$(jq -nc --arg u "$user_id" '{user_id: $u, role: "viewer"}')"
member_id="$(jq -r .id "$body")"

# 5. Change the role to editor.
call 200 PATCH "$api/api/accounts/$account_id/members/$member_id" '{"role":"editor"}'
[ "$(jq -r .role "$body")" = editor ] || { echo "error: role not changed" >&2; exit 1; }

# 6. Remove the membership.
call 204 DELETE "$api/api/accounts/$account_id/members/$member_id"

# 7. Rename the account, then delete it.
call 200 PATCH "$api/api/accounts/$account_id" "$(jq -nc --arg n "renamed-$suffix" '{name: $n}')"
[ "$(jq -r .name "$body")" = "renamed-$suffix" ] || { echo "error: account not renamed" >&2; exit 1; }
call 204 DELETE "$api/api/accounts/$account_id"

# 8. Delete the user; reading it back is now a 404.
call 204 DELETE "$api/api/users/$user_id"
call 404 GET "$api/api/users/$user_id"

echo "backend admin flow: all steps succeeded"
