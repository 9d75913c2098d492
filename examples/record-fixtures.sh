#!/usr/bin/env bash
# `make fixtures`: records every adapter's test fixtures (plugins/*/fixtures)
# against its mock legacy system, started here with fast lifecycle stages, then
# replays them to check. Review the diff of the golden files before committing.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=target/release
exchange=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$exchange"' EXIT INT TERM
for port in 9101 9102 9104 9105 9106 9107; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "error: something already listens on 127.0.0.1:$port; stop it first (make run?)" >&2
    exit 1
  fi
done
pace=(--stage-ms 300)
"$bin/legacy-systems" market-supervision "${pace[@]}" & pids+=($!)
"$bin/legacy-systems" public-security "${pace[@]}" & pids+=($!)
"$bin/legacy-systems" social-security "${pace[@]}" & pids+=($!)
"$bin/legacy-systems" tax "${pace[@]}" & pids+=($!)
"$bin/legacy-systems" civil-affairs "${pace[@]}" & pids+=($!)
"$bin/legacy-systems" medical-insurance "${pace[@]}" & pids+=($!)
"$bin/legacy-systems" real-estate --exchange-dir "$exchange/real-estate" "${pace[@]}" & pids+=($!)
for port in 9101 9102 9104 9105 9106 9107; do
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
done

for adapter in market-supervision public-security social-security tax real-estate civil-affairs medical-insurance; do
  echo "== $adapter"
  "$bin/onewindow" adapter test "plugins/$adapter" --fixtures "plugins/$adapter/fixtures" \
    --record --exchange-root "$exchange"
  "$bin/onewindow" adapter test "plugins/$adapter" --fixtures "plugins/$adapter/fixtures"
done
