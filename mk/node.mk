# Node binding (bindings/node → node/). Included by the top Makefile.
#   build-node  copy the debug cdylib from the shared `cargo build` to node/sandvol.node
#   test-node   npm ci (typescript for the d.ts check), tsc --noEmit, node --test
#   demo-node   node/examples/walkthrough.js on $(DEMO_DIR)
#   bench-node  release build of the module, then node/bench/readwrite.js

NODE ?= node
NPM ?= npm
NODE_DIR := $(ROOT)/node
NODE_DEPS := $(NODE_DIR)/node_modules/.package-lock.json
NODE_BENCH_NATIVE := $(NODE_DIR)/bench/sandvol-release.node

BUILD_TARGETS += build-node
TEST_TARGETS += test-node
DEMO_TARGETS += demo-node
BENCH_TARGETS += bench-node

.PHONY: build-node test-node demo-node bench-node

build-node: build-rust
	cp $(TARGET_DIR)/libsandvol_node.so $(NODE_DIR)/sandvol.node

# npm ci writes node_modules/.package-lock.json; reinstall when the lock changes.
$(NODE_DEPS): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && $(NPM) ci --no-audit --no-fund
	touch $@

test-node: build-node $(NODE_DEPS)
	cd $(NODE_DIR) && $(NODE) node_modules/typescript/bin/tsc --noEmit -p test/tsconfig.json
	cd $(NODE_DIR) && $(NODE) --test test/*.test.js

demo-node: build-node
	$(NODE) $(NODE_DIR)/examples/walkthrough.js $(DEMO_DIR)

bench-node: build-node
	$(CARGO) build --release -p sandvol-node
	cp $(ROOT)/target/release/libsandvol_node.so $(NODE_BENCH_NATIVE)
	cd $(NODE_DIR) && SANDVOL_NODE_NATIVE=$(NODE_BENCH_NATIVE) $(NODE) bench/readwrite.js
