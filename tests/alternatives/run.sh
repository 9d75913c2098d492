#!/usr/bin/env bash
# Issue 8, part 1: the market-supervision translation (`cases.on-notify`) run
# natively, as a onewindow adapter call, behind an HTTP microservice and as an
# Extism plugin, for 1, 100 and 10,000 records, in one run (`make bench` runs it).
#
# Sets up what it needs on a fresh machine: the wasm targets, the Extism plugin
# (extism-plugin/, built like the adapters: release, LTO, +simd128, 128 KiB
# stack), then the benchmark, which builds the adapters of plugins/ through
# tests/build.rs. Writes target/bench/alternatives.{md,json} at the repository's
# root. Arguments go to the benchmark, e.g. `--seconds 3` (per way and N).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cargo=${CARGO:-cargo}

rustup target add wasm32-wasip2 wasm32-unknown-unknown

# From its folder, so that extism-plugin/.cargo/config.toml (target, flags) applies.
(cd "$here/extism-plugin" && "$cargo" build --release --locked)

"$cargo" run --release --locked --manifest-path "$here/Cargo.toml" -- \
    --plugin "$here/target/wasm32-unknown-unknown/release/onewindow_extism_plugin.wasm" "$@"
