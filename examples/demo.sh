#!/usr/bin/env bash
# `make run`: starts the mock 县市场监督管理局 legacy system and shows the
# market-supervision adapter working against it through `onewindow adapter call`.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=target/release
adapter=plugins/market-supervision
listen=127.0.0.1:9101

if (exec 3<>/dev/tcp/127.0.0.1/9101) 2>/dev/null; then
  echo "error: something already listens on $listen; stop it first (an earlier make run?)" >&2
  exit 1
fi

"$bin/legacy-systems" market-supervision --listen "$listen" --stage-ms 1500 &
mock=$!
trap 'kill $mock 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/9101) 2>/dev/null && break
  sleep 0.1
done

call() {
  printf '\n\033[1m$ onewindow adapter call %s %s\033[0m\n' "$adapter" "$*"
  "$bin/onewindow" adapter call "$adapter" "$@"
}

call matters.list | head -n 40
echo "… (the full catalogue continues)"
call cases.submit "$(cat examples/requests/enterprise-registration.json)"
echo "(submitting the same case again gives the same reference and stores nothing new)"
call cases.submit "$(cat examples/requests/enterprise-registration.json)"
call cases.events
echo "(the department reviews, approves and completes the case; waiting 5 s …)"
sleep 5
call cases.events '"1"'
call licenses.by-holder '{"type": "organization", "credit_code": "91330122704218653L", "name": "桐庐富春蜂语蜂业有限公司"}'
call licenses.verify '["YYZZ", "91330122MA28C4W1XW"]'

cat <<MSG

The mock legacy system keeps running at http://$listen/ws/djzc. Try for example:
  $bin/onewindow adapter call $adapter cases.events
  $bin/onewindow adapter call $adapter --help
Press Ctrl-C to stop.
MSG
wait $mock
