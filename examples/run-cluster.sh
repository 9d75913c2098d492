#!/usr/bin/env bash
# `make run-cluster`: the five mock legacy systems and two `onewindow serve`
# replicas on one PostgreSQL database (the machine's, started by
# tests/postgres.sh), on 127.0.0.1:8081 and 127.0.0.1:8082. Both deliver from one
# outbox, number cases from one counter, keep one audit chain, and follow one
# adapter registry.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=target/release
data=data/cluster
server=$(bash tests/postgres.sh)
database=onewindow_cluster
psql "$server" -q -c "CREATE DATABASE $database" 2>/dev/null || true
url="${server%/*}/$database"
mkdir -p "$data"
source examples/mocks.sh 8081 8082
source examples/identity.sh http://127.0.0.1:8081 http://127.0.0.1:8082

replicas=()
trap 'kill "${replicas[@]}" "${mocks[@]}" 2>/dev/null || true' EXIT INT TERM
for port in 8081 8082; do
  ONEWINDOW_DATA_DIR="$data" ONEWINDOW_DATABASE_URL="$url" ONEWINDOW_LISTEN="127.0.0.1:$port" \
    ONEWINDOW_PUBLIC_URL="http://127.0.0.1:$port" \
    "$bin/onewindow" serve --config examples/onewindow.toml &
  replicas+=($!)
done
echo "replicas on http://127.0.0.1:8081 and http://127.0.0.1:8082, database $database" >&2
wait -n "${replicas[@]}"
