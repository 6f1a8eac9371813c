#!/usr/bin/env python3
"""Rewrites raw library calls in hand-written Julia files into calls of the generated layer
(bindings/julia/src/generated/functions.jl), in place:

  @ccall libtorchebm.ebm_f(a::T, b::U)::R            ->  ebm_f(a, b)
  ccall((:ebm_f, libtorchebm), R, (T, U), a, b)      ->  ebm_f(a, b)
  @ebm_blocking cond libtorchebm.ebm_f(a::T)::R      ->  ebm_f(a; may_call_julia = cond)

For merging branches written before the generated layer existed; the types are the generated
function's (exact C types), so the rewritten call converts its arguments as the raw one did.
Review the diff, then run make test-julia.

  $(scripts/setup-tools.sh)/python scripts/convert_ccalls.py bindings/julia/src/*.jl
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "bindings"))
sys.path.insert(0, str(ROOT / "scripts"))
import check_julia as cj  # noqa: E402
import generate_bindings as gb  # noqa: E402


def convert(path: Path, blocking: set[str]) -> int:
    src = path.read_bytes()
    tree = cj.ts.Parser(cj.JULIA).parse(src)
    edits = []
    for n in cj._walk(tree.root_node):
        call, cond = None, None
        if n.type == "call_expression" and n.named_children and cj._text(n.named_children[0]) == "ccall":
            call = cj._ccall_function(n, path)
        elif n.type == "macrocall_expression":
            mid = next((c for c in n.named_children if c.type == "macro_identifier"), None)
            name = cj._text(mid).lstrip("@") if mid is not None else ""
            if name in cj.CCALL_MACROS:
                call = cj._ccall_macro(n, path, name)
                if name == "ebm_blocking":
                    margs = next(c for c in n.named_children if c.type == "macro_argument_list")
                    cond = cj._text([c for c in margs.named_children
                                     if c.type not in ("line_comment", "block_comment")][0])
        if call is None or call.problem or call.library != "libtorchebm":
            continue
        kw = f"; may_call_julia = {cond}" if cond and call.symbol in blocking else ""
        edits.append((n.start_byte, n.end_byte, f"{call.symbol}({', '.join(a.strip() for a in call.args)}{kw})"))
    out = bytearray(src)
    for start, end, text in sorted(edits, reverse=True):
        out[start:end] = text.encode()
    path.write_bytes(bytes(out))
    return len(edits)


def main(argv: list[str]) -> int:
    header = cj.parse_header(ROOT / gb.HEADER)
    blocking = {name for name, fn in header.functions.items() if gb.is_blocking(header, fn)}
    for f in map(Path, argv):
        if f.parent.name == "generated":
            continue
        print(f"convert_ccalls: {f}: {convert(f, blocking)} calls rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
