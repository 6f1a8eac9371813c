#!/usr/bin/env python3
"""Writes the C examples of include/torchebm.h's doc comments to OUT_DIR, one file each.

An example is a ```c fenced block inside a doc comment; its file is named after the function
or type whose comment holds it (the next declaration below it). A complete program (one
defining main) is linked and run by mk/docs.mk; any other snippet is compiled only. Also
checks that every section banner of the header ("SECTION: <title>") has at least one complete
program.

usage: extract.py HEADER OUT_DIR   (prints the programs' names, then the snippets' names)
"""

import re
import sys
from pathlib import Path

def examples(header: str):
    """(section, name, code) per example, in header order."""
    lines = header.split("\n")
    section, found, block = None, [], None
    for i, line in enumerate(lines):
        if line.startswith(" * SECTION: "):
            section = line[len(" * SECTION: "):]
        text = line[3:] if line.startswith(" * ") else ("" if line == " *" else None)
        if block is None:
            if text is not None and text.strip() == "```c":
                block = []
        elif text is not None and text.strip() == "```":
            # The declaration the comment documents: a function, or a callback typedef.
            name = next(m.group(1) for m in (re.search(r"\b(ebm_\w+)\)?\(", l)
                                              for l in lines[i + 1:] if not l.startswith((" *", "/*")))
                        if m)
            found.append((section, name, "\n".join(block) + "\n"))
            block = None
        elif text is None:
            sys.exit(f"line {i + 1}: a ```c block is not closed inside its doc comment")
        else:
            block.append(text)
    return found


def main() -> None:
    header, out = Path(sys.argv[1]).read_text(), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    sections = re.findall(r"^ \* SECTION: (.*)$", header, re.M)
    found = examples(header)
    programs, snippets, names = [], [], set()
    for section, name, code in found:
        base = name
        k = 2
        while base in names:
            base, k = f"{name}_{k}", k + 1
        names.add(base)
        is_program = re.search(r"\bint main\s*\(", code) is not None
        # A fragment (a callback, say) is compiled with the header it is written against.
        (out / f"{base}.c").write_text(code if is_program else f'#include "torchebm.h"\n\n{code}')
        (programs if is_program else snippets).append((section, base))
    with_program = {section for section, _ in programs}
    missing = [s for s in sections if s not in with_program]
    if missing:
        sys.exit(f"header sections without a worked example (a complete C program): {missing}")
    if not sections:
        sys.exit("the header has no SECTION banners")
    print(" ".join(base for _, base in programs))
    print(" ".join(base for _, base in snippets))


if __name__ == "__main__":
    main()
