# libtorchebm — the two commands of the README:
#   make demo   sets everything up (libtorch included) and runs the demo
#   make test   runs every test
#
# LIBTORCH=/path/to/libtorch (2.13.x) uses an existing libtorch instead of the shared cache.

CC       ?= cc
CXX      ?= c++
CFLAGS   ?= -O2 -g
WARNINGS := -std=c11 -Wall -Wextra -Wpedantic -Werror
CARGO    ?= cargo
PYTHON   ?= python3

LIB_DIR   := $(CURDIR)/target/release
LIBRARY   := $(LIB_DIR)/libtorchebm.so
# A shell command printing the SONAME of library $(1): libtorchebm.so.<major>, set by build.rs
# from Cargo.toml's version and read back from the file so that it is defined in one place.
soname_of = readelf -d $(1) | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'
# Links the SONAME to library $(1) in its own directory: programs linked with -ltorchebm
# record that name (NEEDED) and find it there through their rpath.
link_soname = soname=$$($(call soname_of,$(1))); \
  test -n "$$soname" || { echo "$(1) has no SONAME" >&2; exit 1; }; \
  ln -sfn $(notdir $(1)) $(dir $(1))$$soname
BUILD     := $(CURDIR)/build
# Link exactly as a user would: the header, -ltorchebm, and an rpath to find the library.
LINK      := -I$(CURDIR)/include -L$(LIB_DIR) -ltorchebm -Wl,-rpath,$(LIB_DIR)
C_TESTS   := $(patsubst tests/c/%.c,$(BUILD)/c/%,$(wildcard tests/c/test_*.c))
# Under valgrind each program takes over a minute (mostly loading libtorch), so the tests
# that create and free every kind of handle run there; threads are exercised without it.
VALGRIND_TESTS := $(BUILD)/c/test_energies $(BUILD)/c/test_callback $(BUILD)/c/test_errors $(BUILD)/c/test_samplers \
                  $(BUILD)/c/test_training $(BUILD)/c/test_hardening
VALGRIND  := valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
             --errors-for-leak-kinds=definite,indirect --suppressions=$(CURDIR)/tests/valgrind/libtorch.supp

.PHONY: demo test setup build header test-rust test-library test-c test-readme test-valgrind test-parity bench \
        bench-busy bench-startup bench-ess clean

demo: build $(BUILD)/demo
	$(BUILD)/demo $(BUILD)

test: build test-rust test-library test-c test-asan test-readme test-header-examples test-valgrind test-parity test-cpp test-julia \
      test-install test-examples-c test-mpi fuzz-ci
	@echo "all tests passed"

setup:
	@scripts/setup-libtorch.sh >/dev/null

# CMake and tree-sitter (with its C and Julia grammars) from PyPI, for the binding and install
# tests; TOOLS is their bin directory.
TOOLS = $(shell scripts/setup-tools.sh)

build: setup
	$(CARGO) build --release
	@$(call link_soname,$(LIBRARY))

# Regenerates include/torchebm.h from src/ffi (commit the result).
header: setup
	TORCHEBM_UPDATE_HEADER=1 $(CARGO) build --release

$(BUILD)/demo: examples/demo.c include/torchebm.h $(LIBRARY) | $(BUILD)
	$(CC) $(WARNINGS) $(CFLAGS) $< -o $@ $(LINK) -lm

test-rust: build
	$(CARGO) test --release

# Exports, SONAME, RUNPATH and libtorch_cuda as the linker sees them.
test-library: build
	tests/check_library.sh $(LIBRARY) include/torchebm.h

$(BUILD)/c/%: tests/c/%.c tests/c/check.h include/torchebm.h $(LIBRARY) | $(BUILD)/c
	$(CC) $(WARNINGS) $(CFLAGS) $< -o $@ $(LINK) -lm -pthread

test-c: build $(C_TESTS)
	@set -e; for t in $(C_TESTS); do echo "== $$(basename $$t)"; $$t; done

# The README's quickstarts, extracted and built as the README says: C and C++ are compiled
# and run here; the Julia one is checked statically by test-julia (mk/julia.mk).
test-readme: build $(BUILD)/readme_quickstart $(BUILD)/readme_quickstart_cpp $(BUILD)/readme_quickstart.jl
	@echo "== README C quickstart"; $(BUILD)/readme_quickstart
	@echo "== README C++ quickstart"; $(BUILD)/readme_quickstart_cpp

# The first block of the given language in README.md.
readme_block = awk '/^```$(1)$$/{on=1; next} /^```$$/{if (on) exit} on' README.md

$(BUILD)/readme_quickstart: README.md include/torchebm.h $(LIBRARY) | $(BUILD)
	$(call readme_block,c) > $(BUILD)/readme_quickstart.c
	$(CC) $(WARNINGS) $(CFLAGS) $(BUILD)/readme_quickstart.c -o $@ $(LINK)

$(BUILD)/readme_quickstart_cpp: README.md include/torchebm.h bindings/cpp/torchebm.hpp bindings/cpp/torchebm_dispatch.hpp $(LIBRARY) | $(BUILD)
	$(call readme_block,cpp) > $(BUILD)/readme_quickstart.cpp
	$(CXX) -std=c++17 -Wall -Wextra -Wpedantic -Werror $(CFLAGS) $(BUILD)/readme_quickstart.cpp -o $@ \
	  -I$(CURDIR)/bindings/cpp $(LINK)

$(BUILD)/readme_quickstart.jl: README.md | $(BUILD)
	$(call readme_block,julia) > $@

# C tests again under valgrind: no error and no leak of ours (libtorch's one-time
# allocations are suppressed in tests/valgrind/libtorch.supp); then a deliberate leak must
# be caught, so that this check cannot pass vacuously.
test-valgrind: build $(VALGRIND_TESTS) $(BUILD)/c/leak_control
	@set -e; for t in $(VALGRIND_TESTS); do echo "== valgrind $$(basename $$t)"; \
	  $(VALGRIND) --quiet $$t >/dev/null; done
	@echo "== valgrind leak_control (must report a leak)"; \
	  if $(VALGRIND) --quiet $(BUILD)/c/leak_control >/dev/null 2>&1; then \
	    echo "valgrind missed a deliberate leak"; exit 1; fi

$(BUILD)/c/leak_control: tests/valgrind/leak_control.c include/torchebm.h $(LIBRARY) | $(BUILD)/c
	$(CC) $(WARNINGS) $(CFLAGS) $< -o $@ $(LINK)

# Against TorchEBM 0.8.9 and PyTorch, through the C ABI (ctypes): energies and gradients,
# seeded Langevin chains, models, losses, optimizers and datasets; and the convergence
# diagnostics against ArviZ.
test-parity: build
	@python="$$(scripts/setup-libtorch.sh --python)"; set -e; \
	  "$$python" tests/python/parity_torchebm.py $(LIBRARY); \
	  "$$python" tests/python/parity_langevin.py $(LIBRARY); \
	  "$$python" tests/python/parity_training.py $(LIBRARY); \
	  "$$python" tests/python/diagnostics_arviz.py $(LIBRARY)

# Timings, not tests: the start-up of small embedding programs (bench-startup), then against
# TorchEBM 0.8.9 in the same run, unadjusted Langevin and a CD-10 training step.
bench: build bench-startup bench-ess $(BUILD)/langevin_bench $(BUILD)/cd_step_bench
	@python="$$(scripts/setup-libtorch.sh --python)"; set -e; echo; \
	  "$$python" benchmarks/langevin_vs_torchebm.py $(BUILD)/langevin_bench; echo; \
	  "$$python" benchmarks/cd_vs_torchebm.py $(BUILD)/cd_step_bench

# Every benchmark configuration quiet and with one spinning process per CPU, with the
# default thread count and with one thread (benchmarks/busy.py states the targets).
bench-busy: build $(BUILD)/langevin_bench $(BUILD)/cd_step_bench
	$(PYTHON) benchmarks/busy.py $(BUILD)/langevin_bench $(BUILD)/cd_step_bench

# Wall and CPU time and peak resident memory of the README's C quickstart and of programs
# that only call ebm_version(), sample an analytic or a callback energy, or load the CUDA
# backend, next to libtorch's own libraries loaded alone (benchmarks/startup.py; the README's
# Deployment table). STARTUP_RUNS runs of each.
STARTUP_RUNS ?= 15
bench-startup: build $(BUILD)/readme_quickstart $(BUILD)/startup_bench $(BUILD)/dlopen_bench
	@"$$(scripts/setup-libtorch.sh --python)" benchmarks/startup.py $(BUILD) "$$(scripts/setup-libtorch.sh)/lib" \
	  $(STARTUP_RUNS)

# Effective samples per second of MALA, HMC and NUTS on the 10-D anisotropic Gaussian
# (benchmarks/ess.c; arguments: chains, timed draws, warm-up steps).
bench-ess: build $(BUILD)/ess_bench
	$(BUILD)/ess_bench 16 2000 1000

$(BUILD)/ess_bench: benchmarks/ess.c include/torchebm.h $(LIBRARY) | $(BUILD)
	$(CC) $(WARNINGS) -O2 $< -o $@ $(LINK) -lm

$(BUILD)/langevin_bench: benchmarks/langevin.c include/torchebm.h $(LIBRARY) | $(BUILD)
	$(CC) $(WARNINGS) -O2 $< -o $@ $(LINK)

$(BUILD)/cd_step_bench: benchmarks/cd_step.c include/torchebm.h $(LIBRARY) | $(BUILD)
	$(CC) $(WARNINGS) -O2 $< -o $@ $(LINK)

$(BUILD)/startup_bench: benchmarks/startup.c include/torchebm.h $(LIBRARY) | $(BUILD)
	$(CC) $(WARNINGS) -O2 $< -o $@ $(LINK)

# Not linked with the library: it loads only what it is given.
$(BUILD)/dlopen_bench: benchmarks/dlopen.c | $(BUILD)
	$(CC) $(WARNINGS) -O2 $< -o $@ -ldl

$(BUILD) $(BUILD)/c:
	mkdir -p $@

# The C++ wrapper (mk/cpp.mk), the Julia package (mk/julia.mk), install and packaging
# (mk/install.mk), several processes through MPI (mk/mpi.mk).
include $(wildcard mk/*.mk)

clean:
	rm -rf $(BUILD)
	$(CARGO) clean
