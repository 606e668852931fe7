#!/usr/bin/env bash
# The demo: starts a throw-away sandbox (a temporary database, a free port), runs the curl backend
# admin flow against it, and stops it. Run from a clone with `make demo`.
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

echo "== starting a sandbox (database in $tmp)"
"$bin" sandbox --addr 127.0.0.1:0 --db "$tmp/sandbox.db" >"$tmp/env" 2>"$tmp/sandbox.log" &
sandbox_pid=$!

# The sandbox prints four export lines once it listens.
for _ in $(seq 1 100); do
  [ "$(grep -c '^export ' "$tmp/env" 2>/dev/null || true)" -ge 4 ] && break
  kill -0 "$sandbox_pid" 2>/dev/null || { echo "sandbox failed to start:" >&2; cat "$tmp/sandbox.log" >&2; exit 1; }
  sleep 0.1
done
[ "$(grep -c '^export ' "$tmp/env" || true)" -ge 4 ] || { echo "sandbox did not start in time" >&2; exit 1; }
# shellcheck disable=SC1091
. "$tmp/env"
echo "== sandbox at $INBOXCTL_API_URL"

echo "== curl backend admin flow"
examples/curl/auth_backend_admin_flow.sh

echo "== stopping the sandbox"
kill -INT "$sandbox_pid"
wait "$sandbox_pid"
sandbox_pid=""
echo "== demo done"
