# The C examples (examples/c/): built as a user would build them (the header, -ltorchebm and
# an rpath) into $(BUILD)/examples/, then run in order. Each example exits nonzero when its
# result is implausible; train_2d's saved model feeds load_model.

EXAMPLES_C := sample_double_well user_energy train_2d load_model parallel_tempering ais_log_z nuts_gaussian cd_eight_gaussians
EXAMPLES_C_BIN := $(addprefix $(BUILD)/examples/,$(EXAMPLES_C))

.PHONY: test-examples-c

$(EXAMPLES_C_BIN): $(BUILD)/examples/%: examples/c/%.c include/torchebm.h $(LIBRARY)
	@mkdir -p $(@D)
	$(CC) $(WARNINGS) $(CFLAGS) $< -o $@ $(LINK) -lm

test-examples-c: build $(EXAMPLES_C_BIN)
	@set -e; for example in sample_double_well user_energy parallel_tempering ais_log_z nuts_gaussian cd_eight_gaussians; do \
	  echo "== examples/c/$$example.c"; $(BUILD)/examples/$$example; done
	@echo "== examples/c/train_2d.c"; $(BUILD)/examples/train_2d $(BUILD)/examples/model_2d.safetensors
	@echo "== examples/c/load_model.c"; $(BUILD)/examples/load_model $(BUILD)/examples/model_2d.safetensors
