#!/usr/bin/env bash
# `make run`: starts the five mock legacy department systems and `onewindow
# serve` with the five adapters of plugins/ on SQLite, on 127.0.0.1:8080.
# BIN picks the build (default target/release); ONEWINDOW_DATA_DIR the data folder.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${BIN:-target/release}
data=${ONEWINDOW_DATA_DIR:-data}
ports=(9101 9102 9104 9105)
for port in "${ports[@]}" 8080; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "error: something already listens on 127.0.0.1:$port; stop it first (an earlier make run?)" >&2
    exit 1
  fi
done

# Each department moves a case one stage every 5 s; the real-estate batch job
# works in the platform's exchange folder for it.
pace=(--stage-ms 5000)
mocks=()
trap 'kill "${mocks[@]}" 2>/dev/null || true' EXIT INT TERM
"$bin/legacy-systems" market-supervision --listen 127.0.0.1:9101 "${pace[@]}" & mocks+=($!)
"$bin/legacy-systems" public-security --listen 127.0.0.1:9102 "${pace[@]}" & mocks+=($!)
"$bin/legacy-systems" social-security --listen 127.0.0.1:9104 "${pace[@]}" & mocks+=($!)
"$bin/legacy-systems" tax --listen 127.0.0.1:9105 "${pace[@]}" & mocks+=($!)
"$bin/legacy-systems" real-estate --exchange-dir "$data/exchange/real-estate" "${pace[@]}" & mocks+=($!)
for port in "${ports[@]}"; do
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
done

"$bin/onewindow" serve --config examples/onewindow.toml
