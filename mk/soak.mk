# Soak (tests/soak/soak.c, built as a user builds against the library): 10^6 energy
# create/evaluate/free cycles and 10^4 sampler and training cycles, failing when the resident
# set (or its anonymous part) grows by 1% or more after the warm-up. About a minute:
#   make soak                  the full soak
#   make soak SOAK_SCALE=0.1   a tenth of it (test-soak runs that, in a few seconds)
# test-soak also runs a deliberate leak (SOAK_LEAK_CONTROL=1), which must fail, so that the
# RSS check cannot pass vacuously.

SOAK_SCALE       ?= 1
SOAK_SHORT_SCALE ?= 0.1

.PHONY: soak test-soak

$(BUILD)/soak/soak: tests/soak/soak.c include/torchebm.h $(LIBRARY)
	@mkdir -p $(@D)
	$(CC) $(WARNINGS) $(CFLAGS) $< -o $@ $(LINK) -lm

soak: build $(BUILD)/soak/soak
	$(BUILD)/soak/soak $(SOAK_SCALE)

test-soak: build $(BUILD)/soak/soak
	@echo "== soak (scale $(SOAK_SHORT_SCALE))"; $(BUILD)/soak/soak $(SOAK_SHORT_SCALE)
	@echo "== soak leak control (must fail)"; \
	  if SOAK_LEAK_CONTROL=1 $(BUILD)/soak/soak $(SOAK_SHORT_SCALE) >$(BUILD)/soak/control.log 2>&1; then \
	    echo "the soak missed a deliberate leak"; exit 1; fi; \
	  grep 'FAILED: .*RSS grew' $(BUILD)/soak/control.log || \
	    { cat $(BUILD)/soak/control.log; echo "the leak control failed for another reason"; exit 1; }

# The short soak and its control are part of `make test`.
test: test-soak
