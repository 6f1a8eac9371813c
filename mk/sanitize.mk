# Sanitizers (not part of `make test`; each is a separate, slower run).
#
# make test-asan
#   The C tests (tests/c/test_*.c) built again with AddressSanitizer and UndefinedBehavior-
#   Sanitizer on the C side, into $(BUILD)/asan/, and run. libtorchebm and libtorch stay
#   uninstrumented: ASan's runtime comes in with the executable and intercepts every malloc,
#   free, new and delete (Rust's and libtorch's included), so LeakSanitizer sees handles of ours
#   that are never freed, and ASan sees C buffers misused around the calls. Strict: the first
#   error ends the run (halt_on_error=1, -fno-sanitize-recover=all), stack use after return,
#   initialisation order and ODR are checked; tests/sanitize/lsan.supp holds the leak
#   suppressions (none needed today). Then tests/sanitize/control.c commits each kind of error
#   on purpose and every one must be reported, so that the check cannot pass vacuously. A
#   test that needs arguments takes them from C_TEST_ARGS_<test> (e.g.
#   C_TEST_ARGS_test_torchscript), after making C_TEST_FIXTURES. About 35 s.
#   On a CUDA machine add protect_shadow_gap=0 to ASAN_OPTIONS (the CUDA driver maps memory
#   where ASan's shadow gap is).
#
# make test-tsan
#   tests/concurrency.rs, tests/c/test_threads.c and tests/tsan/threads.c (the C API's
#   thread-safety promises) under ThreadSanitizer, with the crate, tch and every dependency
#   instrumented (-Zsanitizer=thread, through RUSTC_BOOTSTRAP=1 on the stable toolchain, in
#   target/tsan so that the normal build is untouched). Rust's std is not rebuilt (no rust-src,
#   so no -Zbuild-std): -Cunsafe-allow-abi-mismatch=sanitizer accepts the uninstrumented std,
#   and tests/tsan/tsan.supp silences what TSan cannot see through it and through libtorch
#   and its OpenMP runtime (uninstrumented). Then tests/tsan/main.rs and `threads control`
#   race on purpose in code of ours, and TSan must report both with the same suppressions.
#   Limit: std's Mutex waits in uninstrumented code, so two threads contending for one
#   sampler, loss or optimizer (src/exclusive.rs) would be reported falsely; that case is not
#   run here (see tests/tsan/threads.c). First run about 15 min (it
#   builds tch and the dependencies again), later ones about 1 min. By hand:
#     RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zsanitizer=thread -Cunsafe-allow-abi-mismatch=sanitizer" \
#     CARGO_TARGET_DIR=target/tsan TSAN_OPTIONS="suppressions=$PWD/tests/tsan/tsan.supp" \
#     cargo test --release --target x86_64-unknown-linux-gnu --test concurrency

ASAN_CFLAGS   := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_TESTS    := $(patsubst $(BUILD)/c/%,$(BUILD)/asan/%,$(C_TESTS))
ASAN_CONTROLS := heap-overflow use-after-free leak leak-user-data ubsan

TSAN_TARGET   := x86_64-unknown-linux-gnu
TSAN_CARGO    := RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zsanitizer=thread -Cunsafe-allow-abi-mismatch=sanitizer" \
                 CARGO_TARGET_DIR=$(CURDIR)/target/tsan $(CARGO)
TSAN_TEST     := $(TSAN_CARGO) test --release --target $(TSAN_TARGET)
TSAN_ENV      := TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan/tsan.supp"

.PHONY: test-asan test-tsan

$(BUILD)/asan/%: tests/c/%.c tests/c/check.h include/torchebm.h $(LIBRARY)
	@mkdir -p $(@D)
	$(CC) $(WARNINGS) $(ASAN_CFLAGS) $< -o $@ $(LINK) -lm -pthread

$(BUILD)/asan/control: tests/sanitize/control.c include/torchebm.h $(LIBRARY)
	@mkdir -p $(@D)
	$(CC) $(WARNINGS) $(ASAN_CFLAGS) $< -o $@ $(LINK) -lm -pthread

test-asan: export ASAN_OPTIONS := halt_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:detect_odr_violation=2:alloc_dealloc_mismatch=1:new_delete_type_mismatch=1
test-asan: export LSAN_OPTIONS := suppressions=$(CURDIR)/tests/sanitize/lsan.supp:print_suppressions=0
test-asan: export UBSAN_OPTIONS := halt_on_error=1:print_stacktrace=1
test-asan: build $(ASAN_TESTS) $(BUILD)/asan/control
	@$(if $(strip $(C_TEST_FIXTURES)),$(MAKE) --no-print-directory $(C_TEST_FIXTURES))
	@set -e; $(foreach t,$(ASAN_TESTS),echo "== asan $(notdir $(t))"; \
	  $(t) $(C_TEST_ARGS_$(notdir $(t))) >/dev/null;)
	@set -e; for mode in $(ASAN_CONTROLS); do echo "== asan control $$mode (must be reported)"; \
	  if $(BUILD)/asan/control $$mode >$(BUILD)/asan/control-$$mode.log 2>&1; then \
	    echo "the sanitizers missed a deliberate $$mode"; exit 1; fi; \
	  grep -q -e '^SUMMARY: AddressSanitizer' -e 'runtime error:' $(BUILD)/asan/control-$$mode.log || \
	    { cat $(BUILD)/asan/control-$$mode.log; echo "control $$mode failed without a sanitizer report"; exit 1; }; \
	done

# The C side: test_threads.c and tests/tsan/threads.c compiled with GCC's -fsanitize=thread
# instrumentation but linked with the TSan runtime that rustc links into Rust executables (GCC
# 12's libtsan lacks __tsan_memcpy and friends that the Rust library calls), against the
# instrumented libtorchebm.so that the test build leaves in $(TSAN_DEPS).
TSAN_DEPS     := $(CURDIR)/target/tsan/$(TSAN_TARGET)/release/deps
TSAN_RUNTIME   = $(shell rustc --print sysroot)/lib/rustlib/$(TSAN_TARGET)/lib/librustc-stable_rt.tsan.a
TSAN_C_TESTS  := $(BUILD)/tsan/test_threads $(BUILD)/tsan/threads

$(BUILD)/tsan/%.o: tests/c/%.c tests/c/check.h include/torchebm.h
	@mkdir -p $(@D)
	$(CC) $(WARNINGS) -O1 -g -fsanitize=thread -c $< -o $@ -I$(CURDIR)/include

$(BUILD)/tsan/threads.o: tests/tsan/threads.c include/torchebm.h
	@mkdir -p $(@D)
	$(CC) $(WARNINGS) -O1 -g -fsanitize=thread -c $< -o $@ -I$(CURDIR)/include

$(TSAN_C_TESTS): %: %.o FORCE
	@$(call link_soname,$(TSAN_DEPS)/libtorchebm.so)
	$(CC) $< -o $@ -Wl,--whole-archive $(TSAN_RUNTIME) -Wl,--no-whole-archive \
	  -L$(TSAN_DEPS) -ltorchebm -Wl,-rpath,$(TSAN_DEPS) -lstdc++ -lm -ldl -lrt -pthread

.PHONY: FORCE
FORCE:

test-tsan: setup
	$(TSAN_TEST) --test concurrency --test tsan --no-run
	@$(MAKE) --no-print-directory $(TSAN_C_TESTS)
	@echo "== tsan concurrency"; $(TSAN_ENV) $(TSAN_TEST) --test concurrency
	@set -e; for t in $(TSAN_C_TESTS); do echo "== tsan $$(basename $$t)"; $(TSAN_ENV) $$t >/dev/null; done
	@echo "== tsan control (must report a data race in racy_increment)"; \
	  if TORCHEBM_TSAN_CONTROL=1 $(TSAN_ENV) $(TSAN_TEST) --test tsan >target/tsan/control.log 2>&1; then \
	    echo "ThreadSanitizer missed a deliberate data race"; exit 1; fi; \
	  grep -q 'WARNING: ThreadSanitizer: data race' target/tsan/control.log && grep -q racy_increment target/tsan/control.log || \
	    { cat target/tsan/control.log; echo "the control failed without reporting its race"; exit 1; }
	@echo "== tsan C control (must report a data race in racer)"; \
	  if $(TSAN_ENV) $(BUILD)/tsan/threads control >$(BUILD)/tsan/control.log 2>&1; then \
	    echo "ThreadSanitizer missed a deliberate data race"; exit 1; fi; \
	  grep -q 'SUMMARY: ThreadSanitizer: data race .* in racer' $(BUILD)/tsan/control.log || \
	    { cat $(BUILD)/tsan/control.log; echo "the C control failed without reporting its race"; exit 1; }
