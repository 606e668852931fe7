#!/usr/bin/env bash
# Starts a throw-away sandbox and walks the admin API by hand with curl and jq
# (examples/curl/auth_backend_admin_flow.sh). Run from a clone with `make demo-curl`.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${INBOXCTL_BIN:-bin/inboxctl}"
[ -x "$bin" ] || go build -o "$bin" ./cmd/inboxctl

tmp="$(mktemp -d)"
sandbox_pid=""
cleanup() {
  if [ -n "$sandbox_pid" ] && kill -0 "$sandbox_pid" 2>/dev/null; then
    kill -INT "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

"$bin" sandbox --addr 127.0.0.1:0 --db "$tmp/sandbox.db" >"$tmp/env" 2>"$tmp/sandbox.log" &
sandbox_pid=$!
for _ in $(seq 1 100); do
  [ "$(grep -c '^export ' "$tmp/env" 2>/dev/null || true)" -ge 4 ] && break
  kill -0 "$sandbox_pid" 2>/dev/null || { cat "$tmp/sandbox.log" >&2; exit 1; }
  sleep 0.1
done
# shellcheck disable=SC1091
. "$tmp/env"
echo "== sandbox at $INBOXCTL_API_URL"
examples/curl/auth_backend_admin_flow.sh
echo "== curl flow done"
