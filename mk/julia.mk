# The Julia package bindings/julia and its examples, checked statically (no Julia runtime is
# needed): tests/bindings/check_julia.py parses every .jl file with tree-sitter's Julia grammar
# and checks each ccall/@ccall against include/torchebm.h and the library's exports; its
# negative self-test runs first, so that the check cannot pass vacuously. The same run checks
# that the C++ wrapper calls every header function.
#
# The files that USE the package (--uses: the examples, the package's tests, its extensions in
# bindings/julia/ext and the README's Julia quickstart, extracted to
# $(BUILD)/readme_quickstart.jl by the Makefile's rule, hence the prerequisite) are also checked
# by name: every call and macro must be defined in the file,
# by the package (exported, or qualified TorchEBM.f / an alias's T.f), or be in the checker's
# allowlist of Base and standard-library names; keywords passed to the package's functions
# must be ones they accept; names of the packages the extensions extend (AbstractMCMC,
# ChainRulesCore, LogDensityProblems) must be in the checker's ECOSYSTEM_* lists. The
# extensions are also checked against Project.toml ([weakdeps], [compat], [extensions]).
#
# No Julia runtime can be installed here. With Julia installed, the package's own tests
# (test/runtests.jl, the extensions' included) run as:
#   TORCHEBM_LIB=$(LIBRARY) julia --project=bindings/julia -e 'using Pkg; Pkg.test()'

JULIA_USES := examples/julia bindings/julia/test bindings/julia/ext $(BUILD)/readme_quickstart.jl

JULIA_CHECK_ARGS := --header include/torchebm.h --library $(LIBRARY) \
                    --julia bindings/julia examples/julia --cpp bindings/cpp/torchebm.hpp bindings/cpp/torchebm_dispatch.hpp \
                    --uses $(JULIA_USES)

.PHONY: test-julia

test-julia: build bindings-check $(BUILD)/readme_quickstart.jl
	$(TOOLS)/python tests/bindings/test_check_julia.py --header include/torchebm.h --library $(LIBRARY)
	$(TOOLS)/python tests/bindings/check_julia.py $(JULIA_CHECK_ARGS)

# The generated binding layers (scripts/generate_bindings.py writes them from the header):
# `make bindings` regenerates them (commit the result); bindings-check fails when the committed
# files are not what the current header generates, as tests/header.rs does for the header.
.PHONY: bindings bindings-check

bindings:
	$(TOOLS)/python scripts/generate_bindings.py

bindings-check:
	$(TOOLS)/python scripts/generate_bindings.py --check
