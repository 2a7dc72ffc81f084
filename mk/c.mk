# C ABI: bindings/c (crate sandvol-ffi) -> libsandvol.{so,a}, include/sandvol.h,
# sandvol.pc, and the C tests in tests/c. Included by the top Makefile.
#
#   make build-c     libraries (from the workspace debug build)
#   make gen-c       regenerate include/sandvol.h with cbindgen 0.29.4
#   make check-c     fail when the checked-in header is stale
#   make test-c      header check, install into a temp PREFIX, C tests under valgrind
#   make demo-c      the seed walkthrough in C, on $(DEMO_DIR)
#   make install PREFIX=/usr/local [DESTDIR=]   lib, header, pkg-config file

C_CRATE := $(ROOT)/bindings/c
C_HEADER := $(ROOT)/include/sandvol.h
C_TESTS_DIR := $(ROOT)/tests/c
C_BUILD := $(TARGET_DIR)/c
CBINDGEN_VERSION := 0.29.4
CBINDGEN ?= cbindgen
CC ?= cc
C_WARN := -std=c11 -Wall -Wextra -Werror -pedantic -g
VALGRIND ?= valgrind
VALGRIND_FLAGS := --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,possible --suppressions=$(C_TESTS_DIR)/valgrind.supp --quiet
PREFIX ?= /usr/local
DESTDIR ?=
C_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' $(ROOT)/Cargo.toml | head -n1)
# What a static link of a Rust staticlib needs on Linux (cargo rustc -- --print native-static-libs).
C_PRIVATE_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

C_TEST_PROGRAMS := test_api test_errors test_args test_handles test_threads
C_TEST_PREFIX := $(C_BUILD)/prefix

.PHONY: build-c gen-c check-c test-c demo-c install install-c cbindgen-tool c-test-install

BUILD_TARGETS += build-c
TEST_TARGETS += test-c
DEMO_TARGETS += demo-c
GEN_TARGETS += gen-c
CHECK_TARGETS += check-c

build-c: build-rust
	@test -f $(TARGET_DIR)/libsandvol.so && test -f $(TARGET_DIR)/libsandvol.a

# cbindgen is pinned; install it (once per machine) when missing or another version.
cbindgen-tool:
	@if ! $(CBINDGEN) --version 2>/dev/null | grep -qx 'cbindgen $(CBINDGEN_VERSION)'; then \
	  echo "installing cbindgen $(CBINDGEN_VERSION)"; \
	  $(CARGO) install cbindgen --version $(CBINDGEN_VERSION) --locked --quiet; \
	fi

gen-c: cbindgen-tool
	cd $(C_CRATE) && $(CBINDGEN) --quiet --config cbindgen.toml --crate sandvol-ffi --output $(C_HEADER) .

# Regenerate, then fail if the checked-in header differs.
check-c: gen-c
	@git -C $(ROOT) diff --exit-code -- include/sandvol.h || \
	  { echo "include/sandvol.h is stale: run 'make gen-c' and commit it" >&2; exit 1; }

define C_PC
	mkdir -p $(1)/lib/pkgconfig
	sed -e 's|@PREFIX@|$(2)|' -e 's|@VERSION@|$(C_VERSION)|' -e 's|@PRIVATE_LIBS@|$(C_PRIVATE_LIBS)|' \
	  $(C_CRATE)/sandvol.pc.in > $(1)/lib/pkgconfig/sandvol.pc
endef

install-c: build-c
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include
	install -m 0755 $(TARGET_DIR)/libsandvol.so $(DESTDIR)$(PREFIX)/lib/libsandvol.so
	install -m 0644 $(TARGET_DIR)/libsandvol.a $(DESTDIR)$(PREFIX)/lib/libsandvol.a
	install -m 0644 $(C_HEADER) $(DESTDIR)$(PREFIX)/include/sandvol.h
	$(call C_PC,$(DESTDIR)$(PREFIX),$(PREFIX))

install: install-c

# The tests build against an installed copy, as a user would.
c-test-install: build-c
	rm -rf $(C_TEST_PREFIX)
	$(MAKE) --no-print-directory install-c PREFIX=$(C_TEST_PREFIX) DESTDIR=

C_PKG = PKG_CONFIG_PATH=$(C_TEST_PREFIX)/lib/pkgconfig pkg-config

test-c: build-c check-c c-test-install
	mkdir -p $(C_BUILD)/bin
	@test "$$($(C_PKG) --modversion sandvol)" = "$(C_VERSION)"
	for t in walkthrough $(C_TEST_PROGRAMS); do \
	  $(CC) $(C_WARN) -DSANDVOL_EXPECTED_VERSION='"$(C_VERSION)"' $$($(C_PKG) --cflags sandvol) \
	    -o $(C_BUILD)/bin/$$t $(C_TESTS_DIR)/$$t.c \
	    $$($(C_PKG) --libs sandvol) -Wl,-rpath,$(C_TEST_PREFIX)/lib -lpthread; \
	done
	$(CC) $(C_WARN) $$($(C_PKG) --cflags sandvol) -o $(C_BUILD)/bin/walkthrough-static \
	  $(C_TESTS_DIR)/walkthrough.c $(C_TEST_PREFIX)/lib/libsandvol.a $$($(C_PKG) --static --libs-only-l sandvol | sed 's/-lsandvol//')
	@if ldd $(C_BUILD)/bin/walkthrough-static | grep -q libsandvol; then echo "static build links libsandvol.so" >&2; exit 1; fi
	rm -rf $(C_BUILD)/data && mkdir -p $(C_BUILD)/data
	$(C_BUILD)/bin/walkthrough-static $(C_BUILD)/data/static > /dev/null
	cd $(C_BUILD)/data && $(VALGRIND) $(VALGRIND_FLAGS) $(C_BUILD)/bin/walkthrough $(C_BUILD)/data/walkthrough
	cd $(C_BUILD)/data && export RUST_BACKTRACE=0 && for t in $(C_TEST_PROGRAMS); do \
	  echo "== $$t (valgrind)"; \
	  $(VALGRIND) $(VALGRIND_FLAGS) $(C_BUILD)/bin/$$t $(C_BUILD)/data/$$t || exit 1; \
	done
	@echo "test-c: $(words walkthrough $(C_TEST_PROGRAMS)) passed, 0 failed (C programs under valgrind)"

demo-c: build-c
	mkdir -p $(C_BUILD)/bin
	$(CC) $(C_WARN) -I$(ROOT)/include -o $(C_BUILD)/bin/walkthrough $(C_TESTS_DIR)/walkthrough.c \
	  -L$(TARGET_DIR) -lsandvol -Wl,-rpath,$(TARGET_DIR)
	$(C_BUILD)/bin/walkthrough $(DEMO_DIR)
