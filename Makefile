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
BENCH_TARGETS :=
GEN_TARGETS :=
CHECK_TARGETS :=

-include mk/*.mk

.PHONY: all build demo test bench gen check clean build-rust demo-rust test-rust
all: build

build: $(BUILD_TARGETS)

build-rust:
	$(CARGO) build --workspace --all-targets

demo: build $(DEMO_TARGETS)

demo-rust: build-rust
	$(TARGET_DIR)/examples/walkthrough $(DEMO_DIR)

# Binding crates are cdylibs whose symbols come from their host (Python, Node):
# their tests run in that host, not under cargo test.
test: build $(TEST_TARGETS) $(CHECK_TARGETS)
	@echo "all test suites passed"

test-rust: build-rust
	$(CARGO) test --workspace --exclude sandvol-python --exclude sandvol-node

bench: build $(BENCH_TARGETS)

gen: $(GEN_TARGETS)

check: $(CHECK_TARGETS)

clean:
	$(CARGO) clean
	rm -rf $(DEMO_DIR)
