#!/usr/bin/env bash
# `make run`: starts the seven mock legacy department systems, the identity
# platform (examples/identity) and `onewindow
# serve` with the seven adapters of plugins/ on SQLite, on 127.0.0.1:8080.
# BIN picks the build (default target/release); ONEWINDOW_DATA_DIR the data folder.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${BIN:-target/release}
data=${ONEWINDOW_DATA_DIR:-data}
source examples/mocks.sh 8080
source examples/identity.sh http://127.0.0.1:8080

"$bin/onewindow" serve --config examples/onewindow.toml
