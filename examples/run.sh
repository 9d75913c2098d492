#!/usr/bin/env bash
# `make run`: starts the mock legacy systems and `onewindow serve` with the
# example adapters on SQLite, listening on 127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=target/release
for port in 9101 8080; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "error: something already listens on 127.0.0.1:$port; stop it first (an earlier make run?)" >&2
    exit 1
  fi
done

"$bin/legacy-systems" market-supervision --listen 127.0.0.1:9101 --stage-ms 5000 &
mock=$!
trap 'kill $mock 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/9101) 2>/dev/null && break
  sleep 0.1
done

"$bin/onewindow" serve --config examples/onewindow.toml
