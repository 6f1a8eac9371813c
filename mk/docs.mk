# The worked examples in include/torchebm.h's doc comments: tests/header_examples/extract.py
# writes each ```c block to $(BUILD)/header_examples/<function>.c (and fails when a section of
# the header has none); complete programs are built exactly as a user would (the header,
# -ltorchebm) and run in that directory, each exiting nonzero when its result is implausible;
# fragments are compiled. The README's links to the header's sections are checked by
# tests/header.rs.

HEADER_EXAMPLES := $(BUILD)/header_examples

.PHONY: test-header-examples

test-header-examples: build
	@set -e; mkdir -p $(HEADER_EXAMPLES); \
	lists=$$($(PYTHON) tests/header_examples/extract.py include/torchebm.h $(HEADER_EXAMPLES)); \
	programs=$$(echo "$$lists" | sed -n 1p); snippets=$$(echo "$$lists" | sed -n 2p); \
	for p in $$programs; do echo "== header example $$p"; \
	  $(CC) $(WARNINGS) $(CFLAGS) $(HEADER_EXAMPLES)/$$p.c -o $(HEADER_EXAMPLES)/$$p $(LINK) -lm; \
	  (cd $(HEADER_EXAMPLES) && ./$$p >$$p.out) || { cat $(HEADER_EXAMPLES)/$$p.out; \
	    echo "header example $$p failed"; exit 1; }; done; \
	for s in $$snippets; do echo "== header snippet $$s (compiled)"; \
	  $(CC) $(WARNINGS) -Wno-unused-function $(CFLAGS) -c $(HEADER_EXAMPLES)/$$s.c -o $(HEADER_EXAMPLES)/$$s.o $(LINK); done
