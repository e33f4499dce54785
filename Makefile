# The README's quick start: `make demo` and `make test`. CI runs `.ci/run`, which calls `make test`.
CARGO ?= cargo
NEXUS := target/debug/nexus

.PHONY: build demo test lint bench

build:
	$(CARGO) build --locked

demo: build
	@scripts/demo.sh $(NEXUS)

test:
	$(CARGO) test --locked --lib --bins --tests --examples
	$(CARGO) test --locked --doc

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

bench:
	$(CARGO) bench --locked
