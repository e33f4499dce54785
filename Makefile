# The README's quick start: `make demo` and `make test`. CI runs `.ci/run`, which calls `make test`.
CARGO ?= cargo
NEXUS := target/debug/nexus
# The fake API server is a crate and binary of its own (crates/fakeapi); nexus does not link it.
FAKE_APISERVER := target/debug/nexus-fake-apiserver

.PHONY: build demo test lint bench

build:
	$(CARGO) build --locked --workspace

demo: build
	@scripts/demo.sh $(NEXUS) $(FAKE_APISERVER)

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
