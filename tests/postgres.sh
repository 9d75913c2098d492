#!/usr/bin/env bash
# Starts the machine's PostgreSQL for the tests and makes sure the test role
# exists; prints the URL the tests use (ONEWINDOW_TEST_POSTGRES). Each test
# creates a database of its own with that role. Everything but the URL goes to
# standard error, and any failure exits non-zero with the server's log.
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "installing PostgreSQL (Debian package)" >&2
  apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
fi
version=$(pg_lsclusters -h | awk 'NR==1 {print $1}')
cluster=$(pg_lsclusters -h | awk 'NR==1 {print $2}')
port=$(pg_lsclusters -h | awk 'NR==1 {print $3}')
log=$(pg_lsclusters -h | awk 'NR==1 {print $7}')
if [ -z "$version" ]; then
  echo "no PostgreSQL cluster on this machine" >&2
  exit 1
fi

ready() { su postgres -c "psql -p $port -qtAc 'SELECT 1'" >/dev/null 2>&1; }

# A server that was killed (as everything a session left running is, before CI)
# leaves its socket lock file behind, naming a process that is gone; the next
# start refuses to run while it is there. Such a lock is removed, never a live one.
postmaster_alive() {
  # A PostgreSQL process, not a zombie nor another program that got its number.
  local state
  state=$(ps -o stat=,comm= -p "$1" 2>/dev/null || true)
  [[ "$state" == *postgres* && "$state" != Z* ]]
}
clear_stale_locks() {
  for lock in /var/run/postgresql/.s.PGSQL."$port".lock; do
    [ -f "$lock" ] || continue
    pid=$(head -n 1 "$lock")
    if [ -n "$pid" ] && ! postmaster_alive "$pid"; then
      echo "removing $lock, left by PostgreSQL process $pid that is no longer running" >&2
      rm -f "$lock"
    fi
  done
}

if ! ready; then
  if ! pg_lsclusters -h | awk 'NR==1 {print $4}' | grep -q online; then
    clear_stale_locks
    pg_ctlcluster "$version" "$cluster" start >&2 || {
      echo "PostgreSQL $version/$cluster did not start; the end of $log:" >&2
      tail -n 20 "$log" >&2 || true
      exit 1
    }
  fi
  for _ in $(seq 100); do
    ready && break
    sleep 0.2
  done
  if ! ready; then
    echo "PostgreSQL $version/$cluster on port $port does not answer; the end of $log:" >&2
    tail -n 20 "$log" >&2 || true
    exit 1
  fi
fi
su postgres -c "psql -p $port -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = 'onewindow_test'\"" | grep -q 1 ||
  su postgres -c "psql -p $port -qc \"CREATE ROLE onewindow_test LOGIN CREATEDB PASSWORD 'onewindow_test'\"" >&2
echo "postgres://onewindow_test:onewindow_test@127.0.0.1:$port/postgres"
