# TorchScript energies (tests/c/test_torchscript.c): its fixtures are .pt files scripted at
# test time by tests/fixtures/make_torchscript.py with the cache's Python (torch 2.13).
#   make test-torchscript    the test, in a few seconds
#   make probe-torchscript   also loads the fixture archive with two bytes changed at every
#                            position, four times over (about a minute): no crash allowed

TORCHSCRIPT_FIXTURES := $(BUILD)/torchscript

.PHONY: test-torchscript probe-torchscript

$(TORCHSCRIPT_FIXTURES)/.complete: tests/fixtures/make_torchscript.py | setup
	@mkdir -p $(@D)
	"$$(scripts/setup-libtorch.sh --python)" $< $(@D)
	@touch $@

test-torchscript: build $(BUILD)/c/test_torchscript $(TORCHSCRIPT_FIXTURES)/.complete
	$(BUILD)/c/test_torchscript $(TORCHSCRIPT_FIXTURES)

probe-torchscript: build $(BUILD)/c/test_torchscript $(TORCHSCRIPT_FIXTURES)/.complete
	$(BUILD)/c/test_torchscript $(TORCHSCRIPT_FIXTURES) --probe-all

# test-c runs it without arguments (it defaults to $(TORCHSCRIPT_FIXTURES) relative to the
# repository root), under valgrind too; the sanitizer runs pass the directory explicitly.
test-c test-valgrind: $(TORCHSCRIPT_FIXTURES)/.complete
test-valgrind: $(BUILD)/c/test_torchscript
VALGRIND_TESTS += $(BUILD)/c/test_torchscript
C_TEST_FIXTURES += $(TORCHSCRIPT_FIXTURES)/.complete
C_TEST_ARGS_test_torchscript := $(TORCHSCRIPT_FIXTURES)
