# The C++ wrapper (bindings/cpp/torchebm.hpp): its tests in C++17 with exceptions, in C++20
# with std::span, and without exceptions (-fno-exceptions, and -DTORCHEBM_NO_EXCEPTIONS);
# then the four examples in order (train_2d writes the model load_model reads). The
# exceptions test also runs under valgrind (test-cpp-valgrind, about 1.5 minutes).

CPP_BUILD    := $(BUILD)/cpp
CPP_HEADER   := bindings/cpp/torchebm.hpp bindings/cpp/torchebm_dispatch.hpp
CPP_WARNINGS := -Wall -Wextra -Wpedantic -Werror
CPP_FLAGS    := $(CPP_WARNINGS) -O1 -g -I$(CURDIR)/bindings/cpp
CPP_TESTDEPS := $(CPP_HEADER) tests/cpp/check.hpp include/torchebm.h $(LIBRARY)
CPP_EXAMPLES := sample_double_well user_energy train_2d load_model
CPP_MODEL    := $(CPP_BUILD)/two_moons.safetensors

.PHONY: test-cpp test-cpp-valgrind test-cpp-compile-fail

test-cpp: build bindings-check test-cpp-compile-fail $(CPP_BUILD)/test_wrapper $(CPP_BUILD)/test_wrapper_cxx20 $(CPP_BUILD)/test_defaults $(CPP_BUILD)/test_no_exceptions \
          $(CPP_BUILD)/test_no_exceptions_macro $(addprefix $(CPP_BUILD)/,$(CPP_EXAMPLES)) test-cpp-valgrind
	@set -e; \
	echo "== C++17 test_wrapper"; $(CPP_BUILD)/test_wrapper $(CPP_BUILD); \
	echo "== C++20 test_wrapper (std::span)"; $(CPP_BUILD)/test_wrapper_cxx20 $(CPP_BUILD); \
	echo "== C++ defaults equal the library's (test_defaults)"; $(CPP_BUILD)/test_defaults; \
	echo "== -fno-exceptions test_no_exceptions"; $(CPP_BUILD)/test_no_exceptions; \
	echo "== -DTORCHEBM_NO_EXCEPTIONS test_no_exceptions"; $(CPP_BUILD)/test_no_exceptions_macro; \
	echo "== example sample_double_well"; $(CPP_BUILD)/sample_double_well; \
	echo "== example user_energy"; $(CPP_BUILD)/user_energy; \
	echo "== example train_2d"; rm -f $(CPP_MODEL); $(CPP_BUILD)/train_2d $(CPP_MODEL); \
	echo "== example load_model"; $(CPP_BUILD)/load_model $(CPP_MODEL)

# The exceptions test under valgrind: no error, no leak of ours (libtorch's one-time
# allocations are suppressed), including the callables owned by callback energies.
test-cpp-valgrind: build $(CPP_BUILD)/test_wrapper
	@echo "== valgrind test_wrapper"; $(VALGRIND) --quiet $(CPP_BUILD)/test_wrapper $(CPP_BUILD) >/dev/null

$(CPP_BUILD)/test_wrapper: tests/cpp/test_wrapper.cpp $(CPP_TESTDEPS) | $(CPP_BUILD)
	$(CXX) -std=c++17 $(CPP_FLAGS) $< -o $@ $(LINK)

$(CPP_BUILD)/test_wrapper_cxx20: tests/cpp/test_wrapper.cpp $(CPP_TESTDEPS) | $(CPP_BUILD)
	$(CXX) -std=c++20 $(CPP_FLAGS) $< -o $@ $(LINK)

$(CPP_BUILD)/test_defaults: tests/cpp/test_defaults.cpp $(CPP_TESTDEPS) | $(CPP_BUILD)
	$(CXX) -std=c++17 $(CPP_FLAGS) $< -o $@ $(LINK)

$(CPP_BUILD)/test_no_exceptions: tests/cpp/test_no_exceptions.cpp $(CPP_TESTDEPS) | $(CPP_BUILD)
	$(CXX) -std=c++17 -fno-exceptions $(CPP_FLAGS) $< -o $@ $(LINK)

$(CPP_BUILD)/test_no_exceptions_macro: tests/cpp/test_no_exceptions.cpp $(CPP_TESTDEPS) | $(CPP_BUILD)
	$(CXX) -std=c++17 -DTORCHEBM_NO_EXCEPTIONS $(CPP_FLAGS) $< -o $@ $(LINK)

$(CPP_BUILD)/%: examples/cpp/%.cpp $(CPP_HEADER) include/torchebm.h $(LIBRARY) | $(CPP_BUILD)
	$(CXX) -std=c++17 $(CPP_FLAGS) $< -o $@ $(LINK)

$(CPP_BUILD):
	mkdir -p $@

# Mistakes the wrapper refuses at compile time: each tests/cpp/compile_fail/X.cpp must fail to
# compile with the static_assert message below, and compile when -DRETURN_PROGRESS fixes it.
COMPILE_FAIL_MESSAGE := must return torchebm::Progress::Continue or torchebm::Progress::Cancel
test-cpp-compile-fail: | $(CPP_BUILD)
	@set -e; for src in tests/cpp/compile_fail/*.cpp; do \
	  echo "== must not compile: $$src"; \
	  if $(CXX) -std=c++17 $(CPP_FLAGS) -I$(CURDIR)/include -fsyntax-only $$src \
	       >$(CPP_BUILD)/compile_fail.log 2>&1; then \
	    echo "$$src compiled, but must not"; exit 1; fi; \
	  grep -q "$(COMPILE_FAIL_MESSAGE)" $(CPP_BUILD)/compile_fail.log || \
	    { cat $(CPP_BUILD)/compile_fail.log; echo "$$src failed without the expected message"; exit 1; }; \
	  $(CXX) -std=c++17 $(CPP_FLAGS) -I$(CURDIR)/include -fsyntax-only -DRETURN_PROGRESS $$src; \
	done
