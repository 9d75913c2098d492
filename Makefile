# The two commands of the README: `make run` and `make test`. Both set up what
# they need on a fresh machine.

CARGO ?= cargo
# Cargo runs in plugins/ for adapter builds so that plugins/.cargo/config.toml applies.
PLUGINS = --manifest-path plugins/Cargo.toml
# Where adapters are built: Rust by cargo, Python by componentize-py.
COMPONENTS = plugins/target/wasm32-wasip2/release
# componentize-py from PyPI, in a virtual environment of its own.
PYTHON_TOOLS = target/toolchains/python
COMPONENTIZE_PY = $(PYTHON_TOOLS)/bin/componentize-py
COMPONENTIZE_PY_VERSION = 0.25.1
# componentize-js from npm, pinned by plugins/sdk/js/package-lock.json.
COMPONENTIZE_JS = plugins/sdk/js/node_modules/.bin/componentize-js
# The identity platform of the demo and the tests: oidc-provider from npm,
# pinned by examples/identity/package-lock.json.
IDENTITY = examples/identity/node_modules/.package-lock.json

.PHONY: run run-cluster demo-adapter fixtures test soak setup plugins python-plugins js-plugins lint bench

## Installs the WebAssembly target the Rust adapters are built for,
## componentize-py for the Python ones and componentize-js for the JavaScript ones,
## and oidc-provider for the demo's identity platform.
setup: $(COMPONENTIZE_PY) $(COMPONENTIZE_JS) $(IDENTITY)
	rustup target add wasm32-wasip2

$(COMPONENTIZE_PY):
	python3 -m venv $(PYTHON_TOOLS)
	$(PYTHON_TOOLS)/bin/pip install --quiet --disable-pip-version-check componentize-py==$(COMPONENTIZE_PY_VERSION)

$(COMPONENTIZE_JS): plugins/sdk/js/package.json plugins/sdk/js/package-lock.json
	npm ci --prefix plugins/sdk/js --no-audit --no-fund --loglevel=error
	touch $@

$(IDENTITY): examples/identity/package.json examples/identity/package-lock.json
	npm ci --prefix examples/identity --no-audit --no-fund --loglevel=error
	touch $@

## Builds every adapter in plugins/ as a wasm32-wasip2 component.
plugins: setup python-plugins js-plugins
	cd plugins && $(CARGO) build --release --target wasm32-wasip2

## The adapters written in Python: componentize-py builds app.py with the SDK's
## onewindow_http on the contract's department-adapter-http world.
python-plugins: $(COMPONENTS)/civil_affairs.wasm

$(COMPONENTS)/civil_affairs.wasm: plugins/civil-affairs/app.py plugins/sdk/python/onewindow_http.py \
		wit/adapter.wit | $(COMPONENTIZE_PY)
	mkdir -p $(COMPONENTS)
	cd plugins/civil-affairs && ../../$(COMPONENTIZE_PY) -d ../../wit \
		-w onewindow:adapter/department-adapter-http componentize app \
		-p . -p ../sdk/python -o ../../$@

## The adapters written in JavaScript: componentize-js builds adapter.js, which
## imports the SDK's onewindow_http.js by a relative path (resolved within
## plugins/, hence the build from there).
js-plugins: $(COMPONENTS)/medical_insurance.wasm

$(COMPONENTS)/medical_insurance.wasm: plugins/medical-insurance/adapter.js \
		plugins/sdk/js/onewindow_http.js wit/adapter.wit | $(COMPONENTIZE_JS)
	mkdir -p $(COMPONENTS)
	cd plugins && sdk/js/node_modules/.bin/componentize-js medical-insurance/adapter.js \
		-w ../wit -n department-adapter-http -o ../$@

## Starts the five mock legacy systems and the platform (onewindow serve) with
## the five adapters of plugins/ on 127.0.0.1:8080.
run: plugins
	$(CARGO) build --release -p onewindow -p legacy-systems
	bash examples/run.sh

## Two replicas of the platform on one PostgreSQL database (the machine's) on
## 127.0.0.1:8081 and :8082, with the five mock legacy systems.
run-cluster: plugins
	$(CARGO) build --release -p onewindow -p legacy-systems
	bash examples/run-cluster.sh

## Starts the mock legacy system and calls every function of the market-supervision
## adapter through `onewindow adapter call` (for integrators).
demo-adapter: plugins
	$(CARGO) build --release -p onewindow -p legacy-systems
	bash examples/demo.sh

## Records every adapter's fixtures (plugins/*/fixtures) against its mock
## legacy system, for `onewindow adapter test` (for integrators).
fixtures: plugins
	$(CARGO) build --release -p onewindow -p legacy-systems
	bash examples/record-fixtures.sh

## Formatting, lints, and every test: host, end to end (on SQLite and on the
## machine's PostgreSQL, started by tests/postgres.sh), mocks, adapters, codecs,
## a short run of the fault-injection suite (tests/src/bin/faults.rs), a short
## Schemathesis run against the running platform, and the front end in headless
## Chromium (tests/browser.sh installs Debian's chromium; screenshots land in
## target/browser/screenshots). The workspace is built once: clippy's driver
## compiles its crates (tests/clippy-rustc), so the build that runs the tests is
## also the lint that `make lint` does with `cargo clippy`. Everything after it
## (tests/src's onewindow_binary, schemathesis.sh, browser.sh) builds the same
## selection, `--workspace --all-targets`, so cargo resolves the same features
## and finds it built; `-p onewindow` alone would rebuild wasmtime.
test: export RUSTC_WORKSPACE_WRAPPER = $(CURDIR)/tests/clippy-rustc
test: setup python-plugins js-plugins
	$(CARGO) fmt --all --check
	$(CARGO) fmt $(PLUGINS) --all --check
	cd plugins && $(CARGO) clippy --target wasm32-wasip2 --workspace -- -D warnings
	cd plugins && $(CARGO) clippy --target wasm32-wasip2 -p fixture-adapter --features contract-0-2 -- -D warnings
	$(CARGO) build --workspace --all-targets
	pg=$$(bash tests/postgres.sh) && ONEWINDOW_TEST_POSTGRES=$$pg $(CARGO) test --workspace
	RUSTC_WORKSPACE_WRAPPER= $(CARGO) test $(PLUGINS) -p onewindow-codes -p market-supervision \
		-p public-security -p social-security -p tax -p real-estate
	pg=$$(bash tests/postgres.sh) && ONEWINDOW_TEST_POSTGRES=$$pg target/debug/faults --seconds 9
	bash tests/schemathesis.sh 15
	bash tests/browser.sh

## The long sweep: Schemathesis for two minutes per role against the running
## platform (tests/schemathesis.sh), each cargo-fuzz target for 30 s (tests/fuzz.sh),
## and the fault-injection suite for a minute per scenario (tests/src/bin/faults.rs).
soak: setup plugins
	bash tests/schemathesis.sh 120
	pg=$$(bash tests/postgres.sh) && ONEWINDOW_TEST_POSTGRES=$$pg $(CARGO) run -q -p onewindow-tests --bin faults -- --seconds 60 --strict
	bash tests/fuzz.sh 30

lint: setup
	$(CARGO) fmt --all --check
	$(CARGO) fmt $(PLUGINS) --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	cd plugins && $(CARGO) clippy --target wasm32-wasip2 --workspace -- -D warnings
	cd plugins && $(CARGO) clippy --target wasm32-wasip2 -p fixture-adapter --features contract-0-2 -- -D warnings

## The benchmarks: adapter call cost against native code (criterion), memory and
## call cost with 1, 10 and 100 adapters loaded, and the platform under HTTP load on
## SQLite and PostgreSQL, then PostgreSQL's acceptance alone (no delivery); the
## tables, JSON and the latency plot land in tests/benches/results/ (the README
## shows them).
bench: setup python-plugins js-plugins
	bash tests/alternatives/run.sh
	$(CARGO) bench -p onewindow-tests --bench adapter_call
	$(CARGO) bench -p onewindow-tests --bench adapter_scale
	$(CARGO) bench -p onewindow-tests --bench adapter_languages
	pg=$$(bash tests/postgres.sh) && ONEWINDOW_TEST_POSTGRES=$$pg $(CARGO) bench -p onewindow-tests --bench platform_load
	pg=$$(bash tests/postgres.sh) && ONEWINDOW_TEST_POSTGRES=$$pg $(CARGO) bench -p onewindow-tests \
		--bench platform_load -- --db postgres --clients 16 --no-delivery \
		--out $(CURDIR)/target/bench-results/acceptance/platform_load.md
	mkdir -p tests/benches/results && cp target/bench-results/*.md target/bench-results/*.json \
		target/bench-results/latency.svg target/bench/alternatives.* tests/benches/results/
	cp target/bench-results/acceptance/platform_load.md tests/benches/results/platform_load_acceptance.md
	cp target/bench-results/acceptance/platform_load.json tests/benches/results/platform_load_acceptance.json
