# Fuzzing (fuzz/, cargo-fuzz with AddressSanitizer): see fuzz/README.md.
#   make fuzz                  every target for FUZZ_SECONDS (default 300) each
#   make fuzz-ci               every target for FUZZ_CI_SECONDS (default 20) each: make test's
#   make fuzz-repro TARGET=t FILE=path   runs target t once on a crash reproducer
#   make fuzz-history          per target, runs and seconds fuzzed since its last crash
# FUZZ_TARGETS limits the targets run (default: all); FUZZ_TOOLCHAIN forces a toolchain.

FUZZ_SECONDS    ?= 300
FUZZ_CI_SECONDS ?= 20
FUZZ_TARGETS    ?=
FUZZ_RUN        := FUZZ_WORK=$(BUILD)/fuzz fuzz/run.sh

.PHONY: fuzz fuzz-ci fuzz-build fuzz-repro fuzz-history

fuzz-build: setup
	@$(FUZZ_RUN) build

fuzz: fuzz-build
	@$(FUZZ_RUN) run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-ci: fuzz-build
	@$(FUZZ_RUN) run $(FUZZ_CI_SECONDS) $(FUZZ_TARGETS)

fuzz-repro:
	@test -n "$(TARGET)" -a -n "$(FILE)" || { echo "usage: make fuzz-repro TARGET=<target> FILE=<reproducer>"; exit 2; }
	@$(FUZZ_RUN) repro $(TARGET) $(FILE)

fuzz-history:
	@$(FUZZ_RUN) history
