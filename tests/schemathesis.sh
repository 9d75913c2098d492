#!/usr/bin/env bash
# Schemathesis (from PyPI) against the OpenAPI document of a running platform
# with the five mock departments: every operation is fuzzed as each role, and
# the run fails on any 5xx or any answer that contradicts the document (status,
# content type, body schema). $1: seconds per role (default 20; `make soak`
# gives more). Package uploads (application/gzip) are left out: Schemathesis
# cannot make such bodies; tests/all covers them.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}

venv=target/schemathesis
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==4.32.5"
fi
# The workspace as `make test` builds it, so nothing is built twice.
cargo build -q --workspace --all-targets

work=$(mktemp -d)
export ONEWINDOW_DATA_DIR="$work/data" ONEWINDOW_TRUST_DIR="$work/data/trusted-keys" \
  ONEWINDOW_WATCH_DIR="$work/data/drop-in"
# The components as the tests compiled them, from the cache they share: a cold
# start would compile the Python and JavaScript interpreters again.
mkdir -p "$work/data" target/test-compile-cache
ln -s "$PWD/target/test-compile-cache" "$work/data/cache"
setsid env BIN=target/debug bash examples/run.sh > "$work/platform.log" 2>&1 &
platform=$!
trap 'kill -- -$platform 2>/dev/null || true; wait $platform 2>/dev/null || true; rm -rf "$work"' EXIT
# A cold start compiles seven components, two of them a Python and a
# JavaScript interpreter (10-20 s each on 2 cores): allow five minutes.
for _ in $(seq 1500); do
  curl -sf http://127.0.0.1:8080/readyz > /dev/null && break
  if ! kill -0 $platform 2>/dev/null; then
    cat "$work/platform.log" >&2
    echo "error: the platform did not start" >&2
    exit 1
  fi
  sleep 0.2
done
if ! curl -sf http://127.0.0.1:8080/readyz > /dev/null; then
  tail -n 80 "$work/platform.log" >&2
  echo "error: the platform was not ready within 300 s" >&2
  exit 1
fi

for token in demo-clerk-token-0001 demo-operator-token-0001 demo-auditor-token-0001 \
  demo-supervisor-token-0001 demo-department-token-0001; do
  echo "== schemathesis as ${token%-token-0001}"
  "$venv/bin/st" run http://127.0.0.1:8080/api/v1/openapi.json \
    -H "Authorization: Bearer $token" \
    --exclude-name 'POST /api/v1/admin/adapters' \
    --phases examples,fuzzing,stateful \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-time "$seconds" --workers 2 --warnings off --no-color
done
