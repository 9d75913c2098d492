#!/usr/bin/env bash
# Runs each cargo-fuzz target of tests/fuzz for the given number of seconds
# (default 30): the manifest parser, the SDK codecs, and the host's handling of
# adapter output (see the doc comment at the top of each target).
#
#   bash tests/fuzz.sh [seconds-per-target] [target...]
#
# Each target starts from its seeds (tests/fuzz/seeds/<target>, read only) and
# the working corpus it grew before (tests/fuzz/corpus/<target>, git-ignored).
# Exits non-zero if any target crashed, naming the input that did it
# (tests/fuzz/artifacts/<target>/...), which
# `RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir tests/fuzz <target> <file>` replays.
#
# cargo-fuzz needs nightly flags (-Zsanitizer, sanitizer coverage); the machine
# has stable Rust, whose compiler accepts them with RUSTC_BOOTSTRAP=1. The
# address sanitizer works that way too (its runtime ships with stable), so the
# targets run with cargo-fuzz's default `-s address`.
set -euo pipefail

seconds="${1:-30}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    targets=(manifest codecs adapter_output)
fi

cd "$(dirname "$0")/.."
fuzz_dir=tests/fuzz

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1
mkdir -p "$fuzz_dir/target"
# Built once up front (the first build takes minutes), so each target's time is
# spent fuzzing.
echo "fuzz: building the targets (log: $fuzz_dir/target/build.log)" >&2
if ! cargo fuzz build --fuzz-dir "$fuzz_dir" >"$fuzz_dir/target/build.log" 2>&1; then
    tail -n 40 "$fuzz_dir/target/build.log" >&2
    echo "fuzz: the targets do not build" >&2
    exit 1
fi
failed=()
for target in "${targets[@]}"; do
    corpus="$fuzz_dir/corpus/$target"
    artifacts="$fuzz_dir/artifacts/$target"
    log="$fuzz_dir/target/$target.log"
    mkdir -p "$corpus" "$artifacts"
    before=$(find "$artifacts" -type f | sort)
    echo "fuzz: $target for ${seconds}s (log: $log)" >&2
    status=0
    # One worker (the default); -timeout turns a hang into a reported crash.
    cargo fuzz run --fuzz-dir "$fuzz_dir" "$target" "$corpus" "$fuzz_dir/seeds/$target" -- \
        -max_total_time="$seconds" -timeout=30 -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs=$(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 || true)
    found=$(comm -13 <(echo "$before") <(find "$artifacts" -type f | sort) | grep . || true)
    if [ "$status" -ne 0 ] || [ -n "$found" ]; then
        tail -n 40 "$log" >&2
        echo "fuzz: $target FAILED (exit $status); crash input: ${found:-see $log}" >&2
        failed+=("$target")
    else
        echo "fuzz: $target ok: ${runs:-no summary, see $log}, corpus $(find "$corpus" -type f | wc -l) inputs" >&2
    fi
done

if [ "${#failed[@]}" -ne 0 ]; then
    echo "fuzz: crashes in ${failed[*]}" >&2
    exit 1
fi
echo "fuzz: no crashes" >&2
