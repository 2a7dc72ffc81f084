# Python binding: bindings/python (crate sandvol-python, pyo3) + python/ (package
# sandvol). Included by the top Makefile.
#
#   make build-python   venv with pytest + mypy, native module from the debug build
#   make test-python    pytest (incl. mypy --strict on tests and example)
#   make demo-python    python/examples/walkthrough.py on $(DEMO_DIR)
#   make bench-python   4 KiB read_file/write_file: Python vs Rust, release build
#   make wheel-python   abi3 wheel via maturin into build/wheels

PY_DIR := $(ROOT)/python
PY_VENV := $(ROOT)/build/venv
PY := $(PY_VENV)/bin/python
PYTHON3 ?= python3
PY_STAMP := $(PY_VENV)/.sandvol-deps
PY_TEST_DEPS := "pytest>=8,<10" "mypy>=1.10,<3"
PY_NATIVE := $(PY_DIR)/sandvol/_native.abi3.so
PY_BENCH_DIR := $(ROOT)/build/py-release
PY_ENV := PYTHONPATH=$(PY_DIR) PYTHONDONTWRITEBYTECODE=1

BUILD_TARGETS += build-python
TEST_TARGETS += test-python
DEMO_TARGETS += demo-python
BENCH_TARGETS += bench-python

.PHONY: build-python test-python demo-python bench-python wheel-python py-venv

$(PY_STAMP):
	$(PYTHON3) -m venv $(PY_VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(PY_TEST_DEPS)
	touch $@

py-venv: $(PY_STAMP)

# Copy (then rename, so a running interpreter never sees a half-written file)
# the debug cdylib of `build-rust` into the package as an abi3 extension.
build-python: build-rust $(PY_STAMP)
	cp $(TARGET_DIR)/lib_native.so $(PY_NATIVE).tmp
	mv -f $(PY_NATIVE).tmp $(PY_NATIVE)

test-python: build-python
	cd $(PY_DIR) && $(PY_ENV) MYPY_CACHE_DIR=$(ROOT)/build/mypy-cache $(PY) -m pytest -q -p no:cacheprovider tests

demo-python: build-python
	$(PY_ENV) $(PY) $(PY_DIR)/examples/walkthrough.py $(DEMO_DIR)

# The bench needs optimized code on both sides: a release build of the binding
# only (never part of `make test`), staged next to a copy of the package.
bench-python: $(PY_STAMP)
	$(CARGO) build --release -p sandvol-python
	rm -rf $(PY_BENCH_DIR) && mkdir -p $(PY_BENCH_DIR)/sandvol
	cp $(PY_DIR)/sandvol/*.py $(PY_DIR)/sandvol/*.pyi $(PY_DIR)/sandvol/py.typed $(PY_BENCH_DIR)/sandvol/
	cp $(ROOT)/target/release/lib_native.so $(PY_BENCH_DIR)/sandvol/_native.abi3.so
	PYTHONPATH=$(PY_BENCH_DIR) $(PY) $(PY_DIR)/bench/bench_binding.py --results $(ROOT)/bench/RESULTS.md

wheel-python: $(PY_STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check "maturin>=1.16,<2"
	cd $(PY_DIR) && $(PY_VENV)/bin/maturin build --release --out $(ROOT)/build/wheels
