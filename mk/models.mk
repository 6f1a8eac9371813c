# Neural models' files and precision (tests/c/test_models.c): its fixtures are PyTorch
# state_dicts (safetensors), PyTorch's energies for them and a TorchScript module, written at
# test time by tests/fixtures/make_state_dicts.py with the cache's Python (torch 2.13).
#   make test-models    the test, in a few seconds

MODEL_FIXTURES := $(BUILD)/models

.PHONY: test-models

$(MODEL_FIXTURES)/.complete: tests/fixtures/make_state_dicts.py | setup
	@mkdir -p $(@D)
	"$$(scripts/setup-libtorch.sh --python)" $< $(@D)
	@touch $@

test-models: build $(BUILD)/c/test_models $(MODEL_FIXTURES)/.complete
	$(BUILD)/c/test_models $(MODEL_FIXTURES)

# test-c runs it without arguments (it defaults to $(MODEL_FIXTURES) relative to the
# repository root); the sanitizer runs pass the directory explicitly.
test-c test-valgrind: $(MODEL_FIXTURES)/.complete
C_TEST_FIXTURES += $(MODEL_FIXTURES)/.complete
C_TEST_ARGS_test_models := $(MODEL_FIXTURES)
