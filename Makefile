# The README's quick start: `make demo` and `make test`. CI runs `.ci/run`, which calls `make test`.
CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
NEXUS := $(TARGET_DIR)/debug/nexus
# The fake API server is a crate and binary of its own (crates/fakeapi); nexus does not link it.
FAKE_APISERVER := $(TARGET_DIR)/debug/nexus-fake-apiserver

.PHONY: build demo test lint bench

build:
	$(CARGO) build --locked --workspace

# `make demo ARGS=--keep` leaves the workspace and the fake API server running.
demo: build
	@scripts/demo.sh $(ARGS) $(NEXUS) $(FAKE_APISERVER)

# The root's tests start nexus-fake-apiserver as a process: build it first (another package's
# binary is not built for the root's tests on its own).
test:
	$(CARGO) build --locked -p nexus-fakeapi
	$(CARGO) test --locked --workspace --lib --bins --tests --examples
	$(CARGO) test --locked --workspace --doc

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

bench:
	$(CARGO) bench --locked
