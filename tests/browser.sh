#!/usr/bin/env bash
# Browser tests of the web front end (tests/browser/*.test.mjs, node:test with
# playwright-core driving Debian's headless Chromium) against a running platform
# with the five mock departments, started as tests/schemathesis.sh does: debug
# build, fresh temporary data folder, stopped (whole process group) on exit.
#
# The tests get, besides ONEWINDOW_URL and SCREENSHOT_DIR (target/browser/screenshots):
#   ONEWINDOW_TEST_PACKAGES          two packages (.tar.gz, separated by `:`) for
#                                    the upload test: the market-supervision
#                                    adapter at two versions above the one the
#                                    platform runs, packed by `onewindow adapter
#                                    pack` with a throwaway key the platform does
#                                    not trust (so they count as unsigned, which
#                                    the demo configuration accepts)
#   ONEWINDOW_TEST_PACKAGE_VERSIONS  their versions, likewise
# Arguments, if any, replace the test files (e.g. tests/browser/smoke.test.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
url=http://127.0.0.1:8080

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Debian's Chromium, and a Chinese font (else the screenshots show boxes).
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
[ -n "$(fc-list :lang=zh 2> /dev/null)" ] || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]} (Debian packages) with apt-get, for the browser tests"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"; then
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  fi
fi

if [ ! -d tests/browser/node_modules ] ||
  [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then
  (cd tests/browser && npm ci --no-audit --no-fund)
fi

if ! compgen -G 'plugins/target/wasm32-wasip2/release/*.wasm' > /dev/null; then
  make plugins
fi
# The workspace as `make test` builds it, so nothing is built twice.
cargo build -q --workspace --all-targets
bin=target/debug

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The packages for the upload test: plugins/market-supervision with its version
# raised (minor + 1, then minor + 2), the component copied beside the manifest.
src=plugins/market-supervision
current=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$src/adapter.toml" | head -n 1)
component=$(sed -n 's/^component *= *"\([^"]*\)".*/\1/p' "$src/adapter.toml" | head -n 1)
component=${component:-adapter.wasm}
IFS=. read -r major minor _ <<< "${current%%[-+]*}"
"$bin/onewindow" keys new browser-tests --dir "$work/keys" > /dev/null
packages=() versions=()
for step in 1 2; do
  version="$major.$((minor + step)).0"
  pkg=$work/package-$version/market-supervision
  mkdir -p "$pkg"
  cp "$src/$component" "$pkg/adapter.wasm"
  sed -e "s/^version *= *\"[^\"]*\"/version = \"$version\"/" \
    -e 's/^component *= *"[^"]*"/component = "adapter.wasm"/' \
    "$src/adapter.toml" > "$pkg/adapter.toml"
  "$bin/onewindow" adapter pack "$pkg" --key "$work/keys/browser-tests.key" \
    --out "$work/market-supervision-$version.tar.gz"
  packages+=("$work/market-supervision-$version.tar.gz") versions+=("$version")
done
export ONEWINDOW_TEST_PACKAGES=$(IFS=:; echo "${packages[*]}")
export ONEWINDOW_TEST_PACKAGE_VERSIONS=$(IFS=:; echo "${versions[*]}")

# Another platform (an earlier `make run`?) would answer /readyz in place of ours.
for port in 8080 9101 9102 9104 9105 9106 9107; do
  if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then
    echo "error: something already listens on 127.0.0.1:$port; stop it first (an earlier make run?)" >&2
    exit 1
  fi
done
export ONEWINDOW_DATA_DIR="$work/data" ONEWINDOW_TRUST_DIR="$work/data/trusted-keys" \
  ONEWINDOW_WATCH_DIR="$work/data/drop-in"
# The components as the tests compiled them, from the cache they share: a cold
# start would compile the Python and JavaScript interpreters again.
mkdir -p "$work/data" target/test-compile-cache
ln -s "$PWD/target/test-compile-cache" "$work/data/cache"
setsid env BIN="$bin" bash examples/run.sh > "$work/platform.log" 2>&1 &
platform=$!
trap 'kill -- -$platform 2>/dev/null || true; wait $platform 2>/dev/null || true; rm -rf "$work"' EXIT
# A cold start compiles seven components, two of them a Python and a
# JavaScript interpreter (10-20 s each on 2 cores): allow five minutes.
for _ in $(seq 1500); do
  if ! kill -0 $platform 2> /dev/null; then
    cat "$work/platform.log" >&2
    echo "error: the platform did not start" >&2
    exit 1
  fi
  curl -sf "$url/readyz" > /dev/null && break
  sleep 0.2
done
if ! curl -sf "$url/readyz" > /dev/null; then
  cat "$work/platform.log" >&2
  echo "error: the platform was not ready within 300 s" >&2
  exit 1
fi

export ONEWINDOW_URL=$url SCREENSHOT_DIR=target/browser/screenshots
mkdir -p "$SCREENSHOT_DIR"
if [ $# -eq 0 ]; then set -- tests/browser/*.test.mjs; fi
echo "== browser tests against $url (screenshots in $SCREENSHOT_DIR)"
if ! node --test --test-concurrency=1 "$@"; then
  echo "== the last 80 lines of the platform's log" >&2
  tail -n 80 "$work/platform.log" >&2
  exit 1
fi
# The people the tests typed in never reach the platform's log unmasked (it and
# its adapters mask ID numbers and names). The mock departments share the log
# file; their own lines (legacy_systems::…) are the departments', not ours.
for person in 330122198203150014 王镕 11010519491231002X 110105194912310021 陈晓东; do
  if grep -v 'legacy_systems::' "$work/platform.log" | grep -n -- "$person" >&2; then
    echo "error: the platform's log holds $person in full" >&2
    exit 1
  fi
done
