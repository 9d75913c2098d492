#!/usr/bin/env bash
# Starts the machine's PostgreSQL for the tests and makes sure the test role
# exists; prints the URL the tests use (ONEWINDOW_TEST_POSTGRES). Each test
# creates a database of its own with that role.
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "installing PostgreSQL (Debian package)" >&2
  apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
fi
version=$(pg_lsclusters -h | awk 'NR==1 {print $1}')
cluster=$(pg_lsclusters -h | awk 'NR==1 {print $2}')
if [ -z "$version" ]; then
  echo "no PostgreSQL cluster on this machine" >&2
  exit 1
fi
if ! pg_lsclusters -h | awk 'NR==1 {print $4}' | grep -q online; then
  pg_ctlcluster "$version" "$cluster" start >&2
fi
port=$(pg_lsclusters -h | awk 'NR==1 {print $3}')
for _ in $(seq 50); do
  su postgres -c "psql -p $port -qtAc 'SELECT 1'" >/dev/null 2>&1 && break
  sleep 0.2
done
su postgres -c "psql -p $port -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = 'onewindow_test'\"" | grep -q 1 ||
  su postgres -c "psql -p $port -qc \"CREATE ROLE onewindow_test LOGIN CREATEDB PASSWORD 'onewindow_test'\"" >&2
echo "postgres://onewindow_test:onewindow_test@127.0.0.1:$port/postgres"
