#!/usr/bin/env bash
# The demo: what inboxctl does, on a throw-away local tenant. It starts a sandbox (a temporary
# database on a free port), plans and applies examples/quickstart, plans again (No changes.),
# changes one thing and shows its plan, then stops the sandbox. Run from a clone with `make demo`.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${INBOXCTL_BIN:-bin/inboxctl}"
[ -x "$bin" ] || go build -o "$bin" ./cmd/inboxctl
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
repo="$(pwd)"

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

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
[ -t 1 ] || step() { printf '\n== %s\n' "$*"; }
# show prints a command as a user would type it, then runs it with this build of inboxctl.
show() { printf '$ %s\n' "$*"; shift; "$bin" "$@"; }

step "1. Start a local inbox-manager (the sandbox), with a throw-away database"
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
echo "sandbox at $INBOXCTL_API_URL (client credentials exported as AUTH_BACKEND_ADMIN_CLIENT_ID/SECRET)"

# The state: a copy of examples/quickstart that the demo can edit.
# Work in the temporary directory, so the plan names files as a repository would: state/tenant.yaml.
mkdir -p "$tmp/state"
cp "$repo"/examples/quickstart/*.yaml "$tmp/state/"
cd "$tmp"
state=state

step "2. The desired state, in git: users, an account tree, members, an app client"
sed -n '/^users:/,$p' "$state/tenant.yaml"

step "3. Plan: what would change (nothing is sent but GET requests)"
show inboxctl plan "$state"

step "4. Apply it (--auto-approve because this is not a terminal conversation)"
show inboxctl apply "$state" --auto-approve

step "5. Plan again: the tenant matches the files"
show inboxctl plan "$state" --detailed-exitcode

step "6. Change one thing in the files: Bob becomes an admin of platform/on-call"
sed -i 's/role: editor/role: admin/' "$state/tenant.yaml"
set +e
show inboxctl plan "$state" --detailed-exitcode
code=$?
set -e
[ "$code" -eq 2 ] || { echo "expected exit 2 (changes), got $code" >&2; exit 1; }
echo "(exit code 2 with --detailed-exitcode: there are changes)"

step "7. Stop the sandbox"
kill -INT "$sandbox_pid"
wait "$sandbox_pid" || true
sandbox_pid=""
echo "demo done: a plan, an apply, a plan with no changes, and the plan of one edit."
echo "Next: docs/guide.md, and examples/ for more state repositories and CI pipelines."
