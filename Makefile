# sandvol — top-level verbs: build | demo | test | bench | gen | check
#
# One `cargo build --workspace` (debug) serves every language; each binding
# adds its own targets in mk/<lang>.mk by appending to the lists below.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never
ROOT := $(CURDIR)
TARGET_DIR := $(ROOT)/target/debug
DEMO_DIR ?= $(ROOT)/sandvol-data

BUILD_TARGETS := build-rust
DEMO_TARGETS := demo-rust
TEST_TARGETS := test-rust
BENCH_TARGETS := bench-rust
GEN_TARGETS :=
CHECK_TARGETS :=

-include mk/*.mk

.PHONY: all build demo test bench gen check clean build-rust demo-rust test-rust bench-rust
all: build

build: $(BUILD_TARGETS)

build-rust:
	$(CARGO) build --workspace --all-targets

demo: build $(DEMO_TARGETS)

demo-rust: build-rust
	$(TARGET_DIR)/examples/walkthrough $(DEMO_DIR)

# The Python crate is a cdylib whose symbols come from its host: its tests
# run in Python, not under cargo test. The Node crate's (napi-rs loads Node's
# symbols at run time) links without Node, for its few Rust unit tests; the
# rest of its tests run in Node.
test: build $(TEST_TARGETS) $(CHECK_TARGETS)
	@echo "all test suites passed"

test-rust: build-rust
	$(CARGO) test --workspace --exclude sandvol-python

bench: build $(BENCH_TARGETS)

# Benchmarks need an optimized build; it is not part of `make test`.
# BENCH_ARGS=--quick shrinks every size for a smoke run.
bench-rust:
	$(CARGO) build --release -p sandvol-bench
	$(ROOT)/target/release/sandvol-bench --dir $(ROOT)/target $(BENCH_ARGS) | tee $(ROOT)/target/bench-rust.txt

gen: $(GEN_TARGETS)

check: $(CHECK_TARGETS)

clean:
	$(CARGO) clean
	rm -rf $(DEMO_DIR)
