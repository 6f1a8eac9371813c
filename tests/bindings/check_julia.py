#!/usr/bin/env python3
"""Static check of the Julia bindings against include/torchebm.h and libtorchebm.so.

The header is parsed by scripts/c_header.py, the parser the binding generator
(scripts/generate_bindings.py) uses too.

No Julia runtime is needed: every .jl file is parsed with tree-sitter's Julia grammar and the
header with tree-sitter's C grammar. The check fails (exit status 1) on:

  * a syntax error in any .jl file (file:line:column);
  * a `ccall((:sym, lib), Ret, (T...), args...)`, `@ccall [gc_safe=true] lib.sym(a::T...)::Ret`
    or `@ebm_blocking cond lib.sym(a::T...)::Ret` (the package's own macro, which expands to
    `@ccall`) whose symbol is not declared in the header or not exported by the library,
    whose number of argument types differs from the C parameter count, whose number of
    actual arguments differs from the number of types, or whose argument or return types do
    not match the C types (table in `compatible`);
  * a header function that the Julia package's hand-written files (PACKAGE/src, not
    src/generated) never call, through a raw ccall or the generated layer;
  * a call of the generated layer (a function named as a C function, or its element-type
    dispatcher without _f32/_f64) whose number of positional arguments differs from the C
    parameter count, with a keyword its definition does not take, whose argument names a
    different C parameter than the one it is passed as (`n` for `dim`, `d` for `n`, `size(X, 1)`
    for `n`, `s.dim` for `n`...: C order is the contract), or that passes a buffer whose element
    type is written out (`X::Matrix{Float32}`, `Ref{Int32}(0)`, `Vector{Float64}(undef, n)`) to a
    C pointer of another type; a call `ebm_x(...)` of a function neither C nor defined;
  * a `@cfunction(f, R, (T...))` whose types differ from the header's callback typedef
    (ebm_energy_fn, ebm_progress_fn, ebm_allreduce_fn, ebm_free_fn, ...) of the parameter it is
    passed to (directly, through a local variable, or a package function returning it), whose
    function f declares other argument types or another count, or that is passed to no callback
    parameter at all;
  * a `const EBM_X = v` that the header does not define, or defines with another value;
  * a header function whose name does not appear as a call `name(` in the C++ wrapper
    given with --cpp (or a missing C++ wrapper);
  * a Julia `struct` named like a C struct of the header (ebm_*) whose fields differ in
    order, name or type, a Julia struct named ebm_* that the header does not define, or a C
    struct used by value or through a pointer in a call without a Julia mirror;
  * with --uses FILE_OR_DIR...: in the files that use the package (examples, the package's
    tests, the README's Julia snippet; also parsed and ccall-checked like --julia files), a call
    `f(...)`, `f!(...)`, `f.(...)` or macro `@m` whose name is neither bound in that file
    (function, assignment, parameter, closure/do/for/let/catch variable, `using M: f`), nor
    exported by the package (after `using TorchEBM`), nor in the allowlists BASE_NAMES /
    BASE_MACROS / QUALIFIED_NAMES, nor a name of a standard library the file `using`s
    (STDLIB_NAMES / STDLIB_MACROS) -- "file:line: unknown function 'sampel'"; a qualified
    `TorchEBM.f` / `T.f` (T an alias: `const T = TorchEBM`, `import TorchEBM as T`) whose f the
    package does not define at top level (calls and other names); and a keyword that no method
    of the package function takes -- "file:line: 'sample' has no keyword 'stepsize'". A method's
    `kwargs...` accepts what it is forwarded to: another package function's keywords, or, for
    `_with(X_default_params(); kwargs...)`, the fields of the params struct X returns; anything
    else accepts any keyword. Keywords inside `@test_throws` are not checked (expected to fail).
    The package's export list must name only names it defines. Names of the ecosystem
    packages that the package extensions extend (ECOSYSTEM_EXPORTS / ECOSYSTEM_QUALIFIED:
    AbstractMCMC, ChainRulesCore, LogDensityProblems) are known after `using M` (exported
    ones) or as `M.f` once the file loads M, and `using M: a, b` of such a package must name
    listed names;
  * the package extensions: every [extensions] entry of the package's Project.toml has its
    file ext/Name.jl defining `module Name`; its triggers are [weakdeps], each of those has a
    [compat] bound and triggers an extension; an extension loads the package, its triggers,
    and otherwise only the package's [deps] or Base modules; every ext/*.jl is listed. (Pass
    ext/ with --uses so that its calls are checked by name as well.)

Usage:
  check_julia.py --header include/torchebm.h --library target/release/libtorchebm.so \
      --julia bindings/julia examples/julia --cpp bindings/cpp/torchebm.hpp \
      --uses examples/julia bindings/julia/test build/readme_quickstart.jl
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import tree_sitter as ts
import tree_sitter_julia

# The header parser is shared with the binding generator (scripts/generate_bindings.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from c_header import CFunction, CType, Header, library_exports, parse_header  # noqa: E402,F401

JULIA = ts.Language(tree_sitter_julia.language())

# Macros that take an @ccall-style call `lib.sym(a::T, ...)::R` as their last argument, with
# the number of leading arguments to skip (the package's own @ebm_blocking has one, the
# may-call-Julia flag; @ccall may have `gc_safe=true`, skipped as an assignment).
CCALL_MACROS = {"ccall": 0, "ebm_blocking": 1}


# --------------------------------------------------------------------------------------
# Type compatibility

SCALARS = {
    "int8_t": {"Int8", "Cchar"}, "uint8_t": {"UInt8", "Cuchar"},
    "int16_t": {"Int16", "Cshort"}, "uint16_t": {"UInt16", "Cushort"},
    "int32_t": {"Int32", "Cint"}, "uint32_t": {"UInt32", "Cuint"},
    "int64_t": {"Int64", "Clonglong"}, "uint64_t": {"UInt64", "Culonglong"},
    "int": {"Cint", "Int32"}, "unsigned": {"Cuint", "UInt32"},
    "size_t": {"Csize_t", "UInt", "UInt64"}, "ptrdiff_t": {"Cptrdiff_t", "Int", "Int64"},
    "double": {"Cdouble", "Float64"}, "float": {"Cfloat", "Float32"},
    "bool": {"Bool"}, "char": {"Cchar", "UInt8", "Int8"},
}
VOID = {"Cvoid", "Nothing"}
STRING_TYPES = {"Cstring", "Ptr{UInt8}", "Ptr{Cchar}", "Ptr{Int8}", "Ptr{Cuchar}"}


def _split_param(jl: str) -> tuple[str, str] | None:
    """'Ptr{X}' -> ('Ptr', 'X'); None if not of that form."""
    m = re.fullmatch(r"(\w+)\{(.*)\}", jl)
    return (m.group(1), m.group(2)) if m else None


class TypeChecker:
    def __init__(self, header: Header, wrappers: set[str], mirrors: set[str]):
        self.h = header
        self.wrappers = wrappers    # Julia types with unsafe_convert(::Type{Ptr{Cvoid}}, ...)
        self.mirrors = mirrors      # Julia structs mirroring C structs

    def resolve(self, t: CType) -> CType:
        seen = 0
        while t.base in self.h.typedefs and seen < 10:
            inner = self.h.typedefs[t.base]
            t = CType(inner.base, inner.ptr + t.ptr)
            seen += 1
        return t

    def compatible(self, c: CType, jl: str, *, where: str, is_return: bool = False,
                   in_struct: bool = False) -> str | None:
        """None if the Julia type `jl` may stand for the C type `c`, else the reason."""
        jl = re.sub(r"\s+", "", jl)
        c = self.resolve(c)
        base = c.base
        if c.ptr == 0:
            if base == "void":
                return None if jl in VOID else f"{where}: C void needs Cvoid, not {jl}"
            if base in self.h.fnptrs:
                return None if jl == "Ptr{Cvoid}" else f"{where}: function pointer {base} needs Ptr{{Cvoid}}, not {jl}"
            if base.startswith("enum "):
                return None if jl in {"Cint", "Int32"} else f"{where}: {base} needs Cint/Int32, not {jl}"
            if base.startswith("struct "):
                name = base[len("struct "):]
                if name in self.h.opaque:
                    return f"{where}: opaque {base} cannot be passed by value"
                if jl != name:
                    return f"{where}: {base} by value needs the Julia mirror struct {name}, not {jl}"
                if name not in self.mirrors:
                    return f"{where}: {base} has no Julia mirror struct {name}"
                return None
            if base in SCALARS:
                return None if jl in SCALARS[base] else \
                    f"{where}: C {base} needs one of {sorted(SCALARS[base])}, not {jl}"
            return f"{where}: unsupported C type {c}"
        # pointers
        if c.ptr == 1 and base == "char" and jl in STRING_TYPES:
            return None
        if c.ptr == 1 and base in self.h.fnptrs:
            pass
        if c.ptr == 1 and base.startswith("struct ") and base[7:] in self.h.opaque:
            if jl == "Ptr{Cvoid}" or jl == f"Ptr{{{base[7:]}}}" or (jl in self.wrappers and not in_struct):
                return None
            return f"{where}: handle {c} needs Ptr{{Cvoid}} or a wrapper type with unsafe_convert, not {jl}"
        sp = _split_param(jl)
        if sp is None or sp[0] not in ("Ptr", "Ref"):
            return f"{where}: C pointer {c} needs Ptr{{...}}{'' if is_return or in_struct else ' or Ref{...}'}, not {jl}"
        if sp[0] == "Ref" and (is_return or in_struct):
            return f"{where}: Ref{{...}} is not valid here ({jl}); use Ptr{{...}}"
        inner = c.pointee()
        inner_r = self.resolve(inner)
        if inner_r.ptr == 0 and inner_r.base == "void":
            return None if sp[1] in VOID else f"{where}: void * needs Ptr{{Cvoid}}, not {jl}"
        if inner_r.ptr == 0 and inner_r.base.startswith("struct ") and inner_r.base[7:] in self.h.opaque:
            name = inner_r.base[7:]
            return None if sp[1] in ("Cvoid", name) else \
                f"{where}: pointer to opaque {inner_r.base} needs {sp[0]}{{Cvoid}}, not {jl}"
        return self.compatible(inner, sp[1], where=where, in_struct=True)


# --------------------------------------------------------------------------------------
# Julia files


@dataclasses.dataclass
class JuliaCall:
    file: Path
    line: int
    form: str                   # "ccall", "@ccall", "@ebm_blocking"
    symbol: str | None
    library: str | None
    ret: str | None
    types: list[str]
    args: list[str]
    problem: str | None = None  # could not be analysed


@dataclasses.dataclass
class JuliaStruct:
    file: Path
    line: int
    name: str
    fields: list[tuple[str, str]]


def _is_generated(path: Path) -> bool:
    """A file of the generated layer (scripts/generate_bindings.py), which calls every C function
    by construction: coverage counts the hand-written files' calls."""
    return path.parent.name == "generated"


def _errors(node, limit=5) -> list[tuple[int, int, str]]:
    found = []
    stack = [node]
    while stack and len(found) < limit:
        n = stack.pop()
        if n.type == "ERROR":
            found.append((n.start_point[0] + 1, n.start_point[1] + 1, "syntax error"))
            continue
        if n.is_missing:
            found.append((n.start_point[0] + 1, n.start_point[1] + 1, f"missing {n.type}"))
            continue
        if n.has_error:
            stack.extend(reversed(n.children))
    return found


def _text(node) -> str:
    return node.text.decode()


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _ccall_function(node, path: Path) -> JuliaCall:
    line = node.start_point[0] + 1
    args = [c for c in node.child_by_field_name("arguments").named_children
            if c.type not in ("line_comment", "block_comment")] \
        if node.child_by_field_name("arguments") is not None else \
        [c for c in node.named_children[1].named_children]
    call = JuliaCall(path, line, "ccall", None, None, None, [], [])
    if len(args) < 3:
        call.problem = "ccall needs (fn, lib), a return type and an argument-type tuple"
        return call
    target = args[0]
    if target.type == "tuple_expression" and len(target.named_children) == 2 \
            and target.named_children[0].type == "quote_expression":
        call.symbol = _text(target.named_children[0]).lstrip(":")
        call.library = _text(target.named_children[1])
    elif target.type == "quote_expression":
        call.symbol = _text(target).lstrip(":")
    else:
        call.problem = f"ccall target {_text(target)!r} is not a literal (:symbol, library) tuple"
        return call
    rest = args[1:]
    if rest and rest[0].type == "identifier" and _text(rest[0]) in ("cdecl", "stdcall", "fastcall", "thiscall"):
        rest = rest[1:]
    call.ret = _norm(_text(rest[0]))
    tup = rest[1]
    if tup.type != "tuple_expression":
        call.problem = f"argument types {_text(tup)!r} are not a tuple (a 1-tuple needs a trailing comma)"
        return call
    call.types = [_norm(_text(t)) for t in tup.named_children]
    call.args = [_text(a) for a in rest[2:]]
    return call


def _ccall_macro(node, path: Path, macro: str) -> JuliaCall:
    line = node.start_point[0] + 1
    call = JuliaCall(path, line, "@" + macro, None, None, None, [], [])
    margs = node.child_by_field_name("arguments")
    if margs is None:
        margs = next((c for c in node.named_children if c.type == "macro_argument_list"), None)
    items = [c for c in (margs.named_children if margs is not None else [])
             if c.type not in ("line_comment", "block_comment")]
    skip = CCALL_MACROS[macro]
    items = items[skip:]
    while items and items[0].type == "assignment":        # gc_safe=true
        opt = _norm(_text(items[0]))
        if not opt.startswith("gc_safe="):
            call.problem = f"unknown @ccall option {opt!r}"
            return call
        items = items[1:]
    if len(items) != 1 or items[0].type != "typed_expression":
        call.problem = f"@{macro} needs one `lib.sym(args...)::Ret` expression"
        return call
    typed = items[0]
    callee, rett = typed.named_children[0], typed.named_children[-1]
    call.ret = _norm(_text(rett))
    if callee.type != "call_expression":
        call.problem = f"@{macro}: {_text(callee)!r} is not a call"
        return call
    fn = callee.named_children[0]
    if fn.type == "field_expression" and len(fn.named_children) == 2:
        call.library = _text(fn.named_children[0])
        call.symbol = _text(fn.named_children[1])
    elif fn.type == "identifier":
        call.symbol = _text(fn)
    else:
        call.problem = f"@{macro}: cannot map {_text(fn)!r} to a C symbol"
        return call
    arglist = callee.named_children[1]
    for a in arglist.named_children:
        if a.type in ("line_comment", "block_comment"):
            continue
        if a.type != "typed_expression":
            call.problem = f"@{macro}: argument {_text(a)!r} has no ::Type"
            return call
        call.args.append(_text(a.named_children[0]))
        call.types.append(_norm(_text(a.named_children[-1])))
    return call


def parse_julia(path: Path, errors: list[str]):
    src = path.read_bytes()
    tree = ts.Parser(JULIA).parse(src)
    calls: list[JuliaCall] = []
    structs: list[JuliaStruct] = []
    wrappers: set[str] = set()
    if tree.root_node.has_error:
        for line, col, what in _errors(tree.root_node):
            errors.append(f"{path}:{line}:{col}: {what} (tree-sitter-julia)")
        return None, calls, structs, wrappers
    stack = [tree.root_node]
    while stack:
        n = stack.pop()
        if n.type == "call_expression" and n.named_children and _text(n.named_children[0]) == "ccall":
            calls.append(_ccall_function(n, path))
        elif n.type == "macrocall_expression":
            mid = next((c for c in n.named_children if c.type == "macro_identifier"), None)
            name = _text(mid).lstrip("@") if mid is not None else ""
            if name in CCALL_MACROS:
                calls.append(_ccall_macro(n, path, name))
        elif n.type == "struct_definition":
            head = next(c for c in n.named_children if c.type == "type_head")
            ident = head.named_children[0]
            while ident.type != "identifier" and ident.named_children:
                ident = ident.named_children[0]
            fields = []
            for c in n.named_children:
                if c.type == "typed_expression":
                    fields.append((_text(c.named_children[0]), _norm(_text(c.named_children[-1]))))
                elif c.type == "identifier":
                    fields.append((_text(c), "Any"))
            structs.append(JuliaStruct(path, n.start_point[0] + 1, _text(ident), fields))
        elif n.type in ("function_definition", "assignment"):
            # Base.unsafe_convert(::Type{Ptr{Cvoid}}, x::W) = ... marks W as a handle wrapper.
            t = _norm(_text(n)[:200])
            m = re.search(r"unsafe_convert\(::Type\{Ptr\{Cvoid\}\},\w+::\$?\(?(\w+)\)?\)", t)
            if m:
                wrappers.add(m.group(1))
        stack.extend(reversed(n.children))
    return tree, calls, structs, wrappers


def julia_files(paths: list[Path]) -> list[Path]:
    files = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(q for q in p.rglob("*.jl") if q.is_file()))
        elif p.is_file():
            files.append(p)
        else:
            raise SystemExit(f"check_julia: {p} does not exist")
    return files


# --------------------------------------------------------------------------------------
# Names: files that USE the package (examples, the package's tests, the README snippet) may
# only call functions and macros that exist, with keywords that the package's functions take.

# Julia Base names that the user files call (a plain allowlist, grown from what the files
# actually need: add a name here when a new example needs it). A call to a name that is not
# defined in the file, not exported by the package and not listed here is reported.
BASE_NAMES = {
    "println", "sprint", "round", "occursin", "error", "throw", "rethrow",             # output, errors
    "size", "length", "sum", "count", "sign", "abs", "all", "any", "isempty", "isfinite", "log",
    "zeros", "ones", "fill", "rand", "randn", "similar", "reshape", "view", "push!",          # arrays, numbers
    "Float64", "Float32", "Matrix", "DomainError",                                    # constructors
    "joinpath", "mktempdir", "isfile", "filesize", "close",                           # files
    "vec", "map", "eachcol", "copy", "reduce", "Int", "typeof",                       # more arrays, types
    "ArgumentError", "DimensionMismatch",                                             # exceptions
    "names", "isdefined",                                                             # reflection
}
BASE_MACROS = {"assert", "views"}
# Base submodules, always in scope, and the qualified names (of them or of a standard library
# in STDLIB_NAMES) that the files call.
BASE_MODULES = {"Base", "Core", "GC", "Threads", "Iterators", "Sys", "Libc", "Math"}
QUALIFIED_NAMES = {"GC.gc", "Random.seed!"}
QUALIFIED_MACROS: set[str] = set()
# Standard libraries: their names are in scope only after `using Module` (qualified
# `Module.f` after `using Module` or `import Module`).
STDLIB_NAMES = {
    "Test": {"detect_ambiguities"},
    "Printf": {"Format", "format"},
    "Statistics": {"mean", "std", "var", "median", "cor", "cov", "quantile"},
    "LinearAlgebra": {"norm", "dot", "det", "tr", "diag", "diagm", "cholesky", "eigen", "Symmetric", "I"},
    "Random": {"seed!", "randperm", "shuffle", "shuffle!", "MersenneTwister", "Xoshiro"},
}
STDLIB_MACROS = {
    "Test": {"test", "testset", "test_throws", "test_broken", "test_skip", "test_logs", "test_warn",
             "test_nowarn", "inferred"},
    "Printf": {"printf", "sprintf"},
}
# Packages of the ecosystem that the package extensions (bindings/julia/ext) extend and the
# package's tests load, with the names used from them: those each EXPORTS (in scope after
# `using M`) and the further public API used qualified as `M.f` (after `using M`,
# `using M: M` or `import M`). Only names these packages really define belong here.
ECOSYSTEM_EXPORTS = {
    "AbstractMCMC": {"sample", "MCMCThreads", "MCMCDistributed", "MCMCSerial"},
    "ChainRulesCore": {"rrule", "frule", "NoTangent", "ZeroTangent", "AbstractZero", "Thunk", "unthunk",
                       "Tangent"},
    "LogDensityProblems": set(),
}
ECOSYSTEM_QUALIFIED = {
    "AbstractMCMC": {"step", "steps", "AbstractSampler", "AbstractModel", "LogDensityModel",
                     "AbstractMCMCEnsemble", "bundle_samples"},
    "ChainRulesCore": set(),
    "LogDensityProblems": {"logdensity", "logdensity_and_gradient", "dimension", "capabilities",
                           "LogDensityOrder"},
}


def _ecosystem_names(module: str) -> set[str]:
    return ECOSYSTEM_EXPORTS.get(module, set()) | ECOSYSTEM_QUALIFIED.get(module, set())


# Calls inside these macros are expected to fail, so their keywords are not checked.
EXPECTS_FAILURE_MACROS = {"test_throws"}
# The package's `_with(params; kwargs...)` copies a params struct with the named fields
# replaced (an ArgumentError for any other name): a `kwargs...` forwarded to it accepts the
# fields of that struct, the return type of its first argument's call.
PARAMS_SETTER = "_with"


@dataclasses.dataclass
class _Method:
    name: str
    file: Path
    line: int
    keywords: set[str]
    splat: str | None           # name of a `kwargs...` keyword splat
    body: list                  # tree-sitter nodes of the body
    defaults: list = dataclasses.field(default_factory=list)   # (keyword, default value node)


@dataclasses.dataclass
class PackageAPI:
    module: str
    exports: dict[str, tuple[Path, int]]
    defined: set[str]                          # top-level functions, consts, globals, structs
    macros: set[str]
    methods: dict[str, list[_Method]]
    struct_fields: dict[str, list[str]]
    problems: list[str]
    _kw: dict = dataclasses.field(default_factory=dict)

    def keywords(self, name: str, _active: frozenset = frozenset()) -> set[str] | None:
        """The keywords that some method of `name` accepts; None when any may be."""
        if name in self._kw:
            return self._kw[name]
        if name in _active:
            return None
        out: set[str] | None = set()
        for m in self.methods.get(name, []):
            out |= m.keywords
            if m.splat is not None:
                more = self._forwarded(m, _active | {name})
                if more is None:
                    out = None
                    break
                out |= more
        if not _active:
            self._kw[name] = out
        return out

    def _forwarded(self, m: _Method, active: frozenset) -> set[str] | None:
        """Keywords accepted through `m`'s splat: every use of it must be a keyword splat
        `...; kwargs...)` (or `g(kwargs)...`) into a package function or into PARAMS_SETTER."""
        out: set[str] = set()
        uses = [n for b in m.body for n in _walk(b) if n.type == "identifier" and _text(n) == m.splat]
        if not uses:
            return out
        for use in uses:
            if _is_haskey_of(use):
                continue                        # haskey(kwargs, :k) only reads the keywords
            n = use
            while n is not None and n.type != "splat_expression":
                n = n.parent
            if n is None or n.parent is None or n.parent.type != "argument_list":
                return None
            arglist = n.parent
            if not _after_semicolon(arglist, n):
                return None
            call = arglist.parent
            if call is None or call.type != "call_expression" or call.named_children[0].type != "identifier":
                return None
            callee = _text(call.named_children[0])
            if callee == m.name:
                continue                        # another method of the same function: counted already
            if callee == PARAMS_SETTER:
                pos = _positional_args(arglist)
                if not pos or pos[0].type != "call_expression" or pos[0].named_children[0].type != "identifier":
                    return None
                struct = self._returned_struct(_text(pos[0].named_children[0]))
                if struct is None:
                    return None
                out |= {f for f in self.struct_fields[struct] if f != "struct_size"}
            elif callee in self.methods:
                more = self.keywords(callee, active)
                if more is None:
                    return None
                out |= more
            else:
                return None
        return out

    def _returned_struct(self, fn: str, _depth: int = 0) -> str | None:
        """The mirrored struct that `fn` returns straight from a ccall/@ccall, or from a call of
        the generated layer (a function named as the C function) that does."""
        for m in self.methods.get(fn, []):
            for b in m.body:
                for n in _walk(b):
                    call = None
                    if n.type == "call_expression" and n.named_children[0].type == "identifier" and _depth < 2:
                        inner = _text(n.named_children[0])
                        if inner.startswith("ebm_") and inner in self.methods and inner != fn:
                            found = self._returned_struct(inner, _depth + 1)
                            if found is not None:
                                return found
                    if n.type == "call_expression" and _text(n.named_children[0]) == "ccall":
                        call = _ccall_function(n, m.file)
                    elif n.type == "macrocall_expression":
                        mid = next((c for c in n.named_children if c.type == "macro_identifier"), None)
                        name = _text(mid).lstrip("@") if mid is not None else ""
                        if name in CCALL_MACROS:
                            call = _ccall_macro(n, m.file, name)
                    if call is not None and call.problem is None and call.ret in self.struct_fields:
                        return call.ret
        return None


def _is_haskey_of(identifier) -> bool:
    """Whether `identifier` is the first argument of a call `haskey(identifier, ...)`."""
    args = identifier.parent
    if args is None or args.type != "argument_list":
        return False
    call = args.parent
    return (call is not None and call.type == "call_expression" and call.named_children[0].type == "identifier"
            and _text(call.named_children[0]) == "haskey" and args.named_children
            and args.named_children[0].id == identifier.id)


def _walk(node):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def _after_semicolon(arglist, child) -> bool:
    seen = False
    for c in arglist.children:
        if c.type == ";":
            seen = True
        if c.id == child.id:
            return seen
    return False


def _positional_args(arglist) -> list:
    out = []
    for c in arglist.children:
        if c.type == ";":
            break
        if c.is_named and c.type not in ("named_argument", "line_comment", "block_comment"):
            out.append(c)
    return out


def _keyword_args(arglist) -> list[tuple[str, object]]:
    """(name, node) of the keyword arguments of a call: `k = v` anywhere, and after `;` also
    the shorthands `k` and `a.k`; splats are skipped."""
    out = []
    after = False
    for c in arglist.children:
        if c.type == ";":
            after = True
            continue
        if c.type == "named_argument":
            name = c.named_children[0]
            if name.type == "typed_expression":
                name = name.named_children[0]
            out.append((_text(name), c))
        elif after and c.type == "identifier":
            out.append((_text(c), c))
        elif after and c.type == "field_expression":
            out.append((_text(c.named_children[-1]), c))
    return out


def _unwrap_signature(node):
    """The call_expression of a method signature (under ::Ret and `where`), or None."""
    while node is not None and node.type in ("signature", "typed_expression", "where_expression"):
        node = node.named_children[0] if node.named_children else None
    return node if node is not None and node.type == "call_expression" else None


def _method_from(sig_call, body: list, path: Path) -> _Method | None:
    callee = sig_call.named_children[0]
    if callee.type != "identifier":
        return None                     # Base.show(...) and the like extend other modules
    args = sig_call.child_by_field_name("arguments") or next(
        (c for c in sig_call.named_children if c.type == "argument_list"), None)
    keywords, splat, defaults = set(), None, []
    after = False
    for c in (args.children if args is not None else []):
        if c.type == ";":
            after = True
            continue
        if not after or not c.is_named:
            continue
        if c.type == "splat_expression":
            splat = _text(c.named_children[0]) if c.named_children else "..."
            continue
        n = c.named_children[0] if c.type == "named_argument" else c
        if n.type == "typed_expression":
            n = n.named_children[0]
        if n.type == "identifier":
            keywords.add(_text(n))
            if c.type == "named_argument":
                defaults.append((_text(n), c.named_children[-1]))
    return _Method(_text(callee), path, sig_call.start_point[0] + 1, keywords, splat, body, defaults)


def _definition(node, path: Path):
    """(kind, name, method) for a definition statement: kind is "function", "var", "struct",
    "macro" or None."""
    t = node.type
    if t == "function_definition":
        sig = next((c for c in node.named_children if c.type == "signature"), None)
        call = _unwrap_signature(sig)
        if call is None:
            return None, None, None
        body = [c for c in node.named_children if c.id != sig.id]
        m = _method_from(call, body, path)
        return ("function", m.name, m) if m else (None, None, None)
    if t == "assignment":
        lhs, rhs = node.named_children[0], node.named_children[-1]
        call = _unwrap_signature(lhs)
        if call is not None:
            m = _method_from(call, [rhs], path)
            return ("function", m.name, m) if m else (None, None, None)
        if lhs.type == "typed_expression":
            lhs = lhs.named_children[0]
        if lhs.type == "identifier":
            return "var", _text(lhs), None
        return None, None, None
    if t in ("struct_definition", "abstract_definition", "primitive_definition"):
        head = next((c for c in node.named_children if c.type == "type_head"), None)
        ident = head.named_children[0] if head is not None and head.named_children else None
        while ident is not None and ident.type != "identifier" and ident.named_children:
            ident = ident.named_children[0]
        return ("struct", _text(ident), None) if ident is not None else (None, None, None)
    if t == "macro_definition":
        sig = next((c for c in node.named_children if c.type == "signature"), None)
        call = _unwrap_signature(sig)
        if call is not None and call.named_children[0].type == "identifier":
            return "macro", _text(call.named_children[0]), None
    return None, None, None


def _toplevel(node):
    """Top-level statements, looking through module, const/global, @macro and begin wrappers."""
    for c in node.named_children:
        if c.type in ("module_definition", "const_statement", "global_statement", "compound_statement"):
            yield from _toplevel(c)
        elif c.type == "macrocall_expression":
            args = next((a for a in c.named_children if a.type == "macro_argument_list"), None)
            if args is not None:
                yield from _toplevel(args)
        else:
            yield c


def collect_api(src: Path, module: str = "TorchEBM") -> PackageAPI:
    api = PackageAPI(module, {}, set(), set(), {}, {}, [])
    for f in julia_files([src]):
        tree, _, structs, _ = parse_julia(f, api.problems)
        if tree is None:
            continue
        for s in structs:
            api.struct_fields[s.name] = [n for n, _ in s.fields]
        for n in _toplevel(tree.root_node):
            if n.type == "export_statement":
                for c in n.named_children:
                    name = _text(c)
                    api.exports.setdefault(name.lstrip("@") if c.type == "macro_identifier" else name,
                                           (f, c.start_point[0] + 1))
                continue
            kind, name, method = _definition(n, f)
            if kind == "macro":
                api.macros.add(name)
            elif kind is not None:
                api.defined.add(name)
                if method is not None:
                    api.methods.setdefault(name, []).append(method)
            if n.type == "struct_definition":          # inner constructors
                for c in n.named_children:
                    k2, n2, m2 = _definition(c, f)
                    if k2 == "function" and n2 == name:
                        api.methods.setdefault(name, []).append(m2)
    for name, (f, line) in sorted(api.exports.items()):
        if name not in api.defined and name not in api.macros:
            api.problems.append(f"{f}:{line}: {module} exports '{name}', which the package does not define")
    return api


def _loaded_modules(tree) -> list[tuple[str, int]]:
    """(module, line) of every module that `using`/`import` statements of the file load."""
    out = []
    for n in _walk(tree.root_node):
        if n.type not in ("using_statement", "import_statement"):
            continue
        for c in n.named_children:
            node = c
            if c.type in ("import_alias", "selected_import"):
                node = c.named_children[0]
            if node.type == "identifier":
                out.append((_text(node), n.start_point[0] + 1))
    return out


def check_extensions(package: Path, module: str, problems: list[str]) -> int:
    """Checks the package extensions that Project.toml declares against ext/; returns how many
    extensions it checked."""
    import tomllib
    where = package / "Project.toml"
    proj = tomllib.loads(where.read_text())
    deps, weak = set(proj.get("deps", {})), set(proj.get("weakdeps", {}))
    compat = proj.get("compat", {})
    exts = {name: ([t] if isinstance(t, str) else list(t)) for name, t in proj.get("extensions", {}).items()}
    triggering = {t for ts in exts.values() for t in ts}
    for w in sorted(weak):
        if w not in compat:
            problems.append(f"{where}: weak dependency {w} has no [compat] bound")
        if w in deps:
            problems.append(f"{where}: {w} is both a dependency and a weak dependency")
        if w not in triggering:
            problems.append(f"{where}: weak dependency {w} triggers no extension")
    ext_dir = package / "ext"
    listed: set[Path] = set()
    for name, triggers in sorted(exts.items()):
        for t in triggers:
            if t not in weak:
                problems.append(f"{where}: extension {name}: trigger {t} is not in [weakdeps]")
        f = ext_dir / f"{name}.jl"
        if not f.is_file():
            f = ext_dir / name / f"{name}.jl"
        if not f.is_file():
            problems.append(f"{where}: extension {name} has no file ext/{name}.jl")
            continue
        listed.add(f.resolve())
        tree = ts.Parser(JULIA).parse(f.read_bytes())
        if tree.root_node.has_error:
            continue                                    # reported as a syntax error
        mods = [c for c in tree.root_node.named_children if c.type == "module_definition"]
        names = [_text(next(c for c in m.named_children if c.type == "identifier")) for m in mods]
        if names != [name]:
            problems.append(f"{f}: an extension file must define the one module {name}, defines {names or 'none'}")
        loaded = _loaded_modules(tree)
        allowed = {module} | set(triggers) | deps | BASE_MODULES
        for mod, line in loaded:
            if mod not in allowed:
                problems.append(f"{f}:{line}: extension {name} loads {mod}, which is neither its trigger "
                                f"([extensions]) nor a dependency of the package ([deps])")
        for needed in [module] + triggers:
            if needed not in {m for m, _ in loaded}:
                problems.append(f"{f}: extension {name} does not load {needed}")
    if ext_dir.is_dir():
        for f in sorted(ext_dir.glob("*.jl")):
            if f.resolve() not in listed:
                problems.append(f"{f}: not an extension of {where} ([extensions] {f.stem} = ...)")
    return len(exts)


NUMBER_LITERALS = {"integer_literal", "float_literal", "boolean_literal"}


def _number_literal(node) -> bool:
    """A number or Bool written out: `2`, `-1`, `1e-8`, `false` (not a name or a call)."""
    if node.type == "unary_expression" and len(node.named_children) == 2:
        node = node.named_children[-1]
    return node.type in NUMBER_LITERALS


def check_keyword_defaults(api: PackageAPI) -> list[str]:
    """One owner for every default: a method that fills a params struct through
    `_with(X_default_params(); ...)` (or any call returning a mirrored struct) must not give a
    keyword of the same name as one of that struct's fields a number as its default: the
    library's value, which the struct already holds, would be written a second time (and the
    keyword's would win). Leave the keyword out, or default it to `nothing`."""
    problems = []
    for name, methods in sorted(api.methods.items()):
        for m in methods:
            filled: dict[str, str] = {}
            for b in m.body:
                for n in _walk(b):
                    if n.type != "call_expression" or _text(n.named_children[0]) != PARAMS_SETTER:
                        continue
                    arglist = next((c for c in n.named_children if c.type == "argument_list"), None)
                    pos = _positional_args(arglist) if arglist is not None else []
                    if pos and pos[0].type == "call_expression" and pos[0].named_children[0].type == "identifier":
                        source = _text(pos[0].named_children[0])
                        struct = api._returned_struct(source)
                        if struct is not None:
                            for f in api.struct_fields[struct]:
                                filled.setdefault(f, f"{struct}.{f} (from {source}())")
            for keyword, value in m.defaults:
                if keyword in filled and _number_literal(value):
                    problems.append(
                        f"{m.file}:{value.start_point[0] + 1}: {name}: keyword default "
                        f"`{keyword} = {_text(value)}` repeats the library's default of "
                        f"{filled[keyword]}; leave it out so that the library's value is used")
    return problems


def _bind_params(node, out: set[str]):
    """Adds the names bound by a parameter list / assignment target / loop variable."""
    t = node.type
    if t == "identifier":
        out.add(_text(node))
    elif t in ("typed_expression", "named_argument", "splat_expression"):
        if node.named_children:
            _bind_params(node.named_children[0], out)
    elif t in ("argument_list", "tuple_expression", "open_tuple", "parenthesized_expression"):
        for c in node.named_children:
            _bind_params(c, out)


@dataclasses.dataclass
class _FileScope:
    local: set[str]
    imported: set[str]                 # names from `using M: a, b` (any module)
    modules: set[str]                  # modules named by using/import
    using: set[str]                    # modules whose exports are in scope (`using M`)
    aliases: set[str]                  # names of the package module (itself and aliases)


def _file_scope(tree, api: PackageAPI, path: Path, problems: list[str]) -> _FileScope:
    sc = _FileScope(set(), set(), set(), set(), set())
    for n in _walk(tree.root_node):
        t = n.type
        if t in ("using_statement", "import_statement"):
            for c in n.named_children:
                if c.type == "identifier":                          # using M / import M
                    sc.modules.add(_text(c))
                    if t == "using_statement":
                        sc.using.add(_text(c))
                elif c.type == "import_alias":                      # import M as A
                    mod, alias = _text(c.named_children[0]), _text(c.named_children[-1])
                    if mod == api.module:                           # binds A, not M
                        sc.aliases.add(alias)
                    else:
                        sc.local.add(alias)
                elif c.type == "selected_import":                   # using M: a, b as c
                    mod = _text(c.named_children[0])
                    if any(_text(x) == mod for x in c.named_children[1:]):
                        sc.modules.add(mod)                         # using M: M binds M; using M: a does not
                    for s in c.named_children[1:]:
                        orig = s.named_children[0] if s.type == "import_alias" else s
                        bound = s.named_children[-1] if s.type == "import_alias" else s
                        name = _text(orig).lstrip("@")
                        if mod == api.module and name not in api.defined and name not in api.macros \
                                and name != api.module:
                            problems.append(f"{path}:{s.start_point[0] + 1}: {api.module} defines no "
                                            f"'{name}' to import")
                        if mod in ECOSYSTEM_EXPORTS and name != mod and name not in _ecosystem_names(mod):
                            problems.append(f"{path}:{s.start_point[0] + 1}: '{name}' is not among the "
                                            f"{mod} names this checker knows (ECOSYSTEM_EXPORTS/_QUALIFIED)")
                        sc.imported.add(_text(bound).lstrip("@"))
            continue
        if t in ("function_definition", "macro_definition"):
            sig = next((c for c in n.named_children if c.type == "signature"), None)
            call = _unwrap_signature(sig)
            if call is not None:
                if call.named_children[0].type == "identifier":
                    sc.local.add(_text(call.named_children[0]))
                _bind_params(call.named_children[-1], sc.local)
            elif sig is not None and sig.named_children:                # function (x) ... end
                _bind_params(sig.named_children[0], sc.local)
        elif t == "assignment":
            lhs, rhs = n.named_children[0], n.named_children[-1]
            call = _unwrap_signature(lhs)
            if call is not None:
                if call.named_children[0].type == "identifier":
                    sc.local.add(_text(call.named_children[0]))
                _bind_params(call.named_children[-1], sc.local)
            elif lhs.type == "identifier" and rhs.type == "identifier" and _text(rhs) == api.module:
                sc.aliases.add(_text(lhs))                          # const T = TorchEBM
            else:
                _bind_params(lhs, sc.local)
        elif t == "arrow_function_expression":
            _bind_params(n.named_children[0], sc.local)
        elif t == "do_clause":
            args = next((c for c in n.named_children if c.type == "argument_list"), None)
            if args is not None:
                _bind_params(args, sc.local)
        elif t in ("for_binding", "let_binding"):
            _bind_params(n.named_children[0], sc.local)
        elif t == "let_statement":
            for c in n.named_children:
                if c.type == "identifier":
                    sc.local.add(_text(c))
        elif t == "catch_clause":
            if n.named_children and n.named_children[0].type == "identifier":
                sc.local.add(_text(n.named_children[0]))
        elif t in ("struct_definition", "abstract_definition"):
            kind, name, _ = _definition(n, path)
            if name:
                sc.local.add(name)
    if api.module in sc.modules:
        sc.aliases.add(api.module)
    return sc


def _callee_name(node) -> tuple[str | None, str | None]:
    """(qualifier, name) of a callee: `f` -> (None, "f"), `M.f` -> ("M", "f"),
    `Matrix{T}` -> (None, "Matrix"); (None, None) when not a plain name."""
    if node.type == "parametrized_type_expression":
        node = node.named_children[0]
    if node.type == "identifier":
        return None, _text(node)
    if node.type == "field_expression" and len(node.named_children) == 2 \
            and node.named_children[1].type == "identifier":
        obj = node.named_children[0]
        return (_text(obj) if obj.type == "identifier" else "?" + _text(obj)), _text(node.named_children[1])
    return None, None


def check_uses(api: PackageAPI, files: list[Path], problems: list[str]) -> int:
    """Checks the calls, macro uses and package-qualified names of `files`; returns the number
    of calls checked."""
    checked = 0
    exported = set(api.exports)
    for path in files:
        tree = ts.Parser(JULIA).parse(path.read_bytes())
        if tree.root_node.has_error:
            continue                                    # reported as a syntax error
        sc = _file_scope(tree, api, path, problems)
        std = sc.using | sc.modules

        def known_plain(name: str) -> bool:
            return (name in sc.local or name in sc.imported or name in BASE_NAMES
                    or (api.module in sc.using and name in exported)
                    or any(name in STDLIB_NAMES.get(m, ()) for m in sc.using)
                    or any(name in ECOSYSTEM_EXPORTS.get(m, ()) for m in sc.using))

        def known_qualified(q: str, name: str, macro: bool) -> bool | None:
            """True/False for a qualified name we can judge, None to skip (`obj.f(...)`)."""
            if q in sc.aliases:
                return name in (api.macros if macro else api.defined)
            full = f"{q}.@{name}" if macro else f"{q}.{name}"
            if q in BASE_MODULES:
                return full in (QUALIFIED_MACROS if macro else QUALIFIED_NAMES)
            if q in ECOSYSTEM_EXPORTS:
                return q in std and not macro and name in _ecosystem_names(q)
            if q in STDLIB_NAMES or q in STDLIB_MACROS:
                if q not in std:
                    return False
                return full in (QUALIFIED_MACROS if macro else QUALIFIED_NAMES) or \
                    name in (STDLIB_MACROS if macro else STDLIB_NAMES).get(q, ())
            if q.startswith("?") or q in sc.local:
                return None                             # a field of a value
            return False

        stack = [(tree.root_node, False)]
        while stack:
            n, expect_fail = stack.pop()
            t = n.type
            line = n.start_point[0] + 1
            if t in ("call_expression", "broadcast_call_expression") and n.named_children:
                callee = n.named_children[0]
                q, name = _callee_name(callee)
                if name is not None:
                    checked += 1
                    shown = f"{q}.{name}" if q and not q.startswith("?") else name
                    if q is None:
                        ok = known_plain(name)
                    else:
                        ok = known_qualified(q, name, False)
                    if ok is False:
                        problems.append(f"{path}:{line}: unknown function '{shown}'")
                    pkg_fn = (q in sc.aliases) or (q is None and name not in sc.local and name not in BASE_NAMES
                                                   and api.module in sc.using and name in exported)
                    args = next((c for c in n.named_children if c.type == "argument_list"), None)
                    if ok and pkg_fn and not expect_fail and args is not None and name in api.methods:
                        accepted = api.keywords(name)
                        if accepted is not None:
                            for kw, node in _keyword_args(args):
                                if kw not in accepted:
                                    hint = ", ".join(sorted(accepted)) or "none"
                                    problems.append(f"{path}:{node.start_point[0] + 1}: "
                                                    f"'{shown}' has no keyword '{kw}' (accepts: {hint})")
            elif t == "macrocall_expression":
                mid = next((c for c in n.named_children if c.type == "macro_identifier"), None)
                if mid is not None and mid.named_children:
                    name = _text(mid.named_children[0])
                    qual = n.named_children[0] if n.named_children[0].type == "identifier" else None
                    if qual is not None:
                        ok = known_qualified(_text(qual), name, True)
                        shown = f"{_text(qual)}.@{name}"
                    else:
                        ok = (name in BASE_MACROS or name in sc.local or name in sc.imported
                              or (api.module in sc.using and name in exported and name in api.macros)
                              or any(name in STDLIB_MACROS.get(m, ()) for m in sc.using))
                        shown = "@" + name
                    checked += 1
                    if ok is False:
                        problems.append(f"{path}:{line}: unknown macro '{shown}'")
                    if name in EXPECTS_FAILURE_MACROS:
                        expect_fail = True
            elif t == "field_expression" and len(n.named_children) == 2 \
                    and n.named_children[0].type == "identifier" and _text(n.named_children[0]) in sc.aliases \
                    and not (n.parent is not None and n.parent.type in ("call_expression", "broadcast_call_expression")
                             and n.parent.named_children[0].id == n.id):
                name = _text(n.named_children[1])
                if name not in api.defined and name not in api.macros:
                    problems.append(f"{path}:{line}: unknown name '{_text(n)}'")
            stack.extend((c, expect_fail) for c in reversed(n.children))
    return checked


# --------------------------------------------------------------------------------------
# Calls of the generated layer, callbacks and constants

# Argument names that mean a C parameter name (what the package calls `d` is C's `dim`).
NAME_ALIASES = {"d": "dim", "dims": "dim", "ndim": "dim", "n_points": "n", "npoints": "n"}
# `size(X, 1)` of a (dim, n) matrix is the dimension, `size(X, 2)` the number of points.
SIZE_NAMES = {"1": "dim", "2": "n"}
ELEMENT_CTORS = {"Ref", "Vector", "Matrix", "Array"}


def _arg_meaning(node) -> str | None:
    """The C parameter name an argument expression stands for, when it says so."""
    if node.type == "identifier":
        name = _text(node)
    elif node.type == "field_expression" and node.named_children:
        name = _text(node.named_children[-1])
    elif node.type == "call_expression" and _text(node.named_children[0]) == "size":
        args = _positional_args(node.named_children[1]) if len(node.named_children) > 1 else []
        return SIZE_NAMES.get(_text(args[1])) if len(args) == 2 else None
    else:
        return None
    return NAME_ALIASES.get(name, name)


def _elem_of_type(t: str) -> str | None:
    """Float64 for `Matrix{Float64}`, `Vector{Cdouble}`, `Array{Float32,3}`, `Ref{Int64}`..."""
    m = re.fullmatch(r"(?:Abstract)?(?:Vector|Matrix|Array|Ref|DenseArray|VecOrMat)\{(\w+)(?:,\d+)?\}", _norm(t))
    return m.group(1) if m else None


def _local_types(fn_node, before: int) -> dict[str, str]:
    """Element types of a method's array/Ref parameters and locals, when written out (the last
    assignment before byte `before` wins)."""
    out: dict[str, str] = {}
    for n in _walk(fn_node):
        if n.type == "typed_expression" and n.parent is not None and n.parent.type in ("argument_list", "tuple_expression") \
                and n.named_children[0].type == "identifier":
            elem = _elem_of_type(_text(n.named_children[-1]))
            if elem in _SCALAR_NAMES:
                out[_text(n.named_children[0])] = elem
        elif n.type == "assignment" and n.named_children[0].type == "identifier" and n.start_byte < before:
            rhs = n.named_children[-1]
            if rhs.type == "call_expression":
                callee = rhs.named_children[0]
                if callee.type == "parametrized_type_expression":
                    elem = _elem_of_type(_text(callee))
                    if elem in _SCALAR_NAMES:
                        out[_text(n.named_children[0])] = elem
                elif _text(callee) in ("zeros", "ones", "fill") and len(rhs.named_children) > 1:
                    pos = _positional_args(rhs.named_children[1])
                    if pos and pos[0].type == "identifier" and _text(pos[0]) in _SCALAR_NAMES:
                        out[_text(n.named_children[0])] = _text(pos[0])
    return out


_SCALAR_NAMES = {j for js in SCALARS.values() for j in js}


def _enclosing_function(node):
    while node is not None:
        if node.type == "function_definition" or (node.type == "assignment" and _unwrap_signature(node.named_children[0])):
            return node
        node = node.parent
    return None


def _package_functions(files: list[Path]) -> dict[str, list]:
    """Methods defined in the given files, by name (with their keywords)."""
    out: dict[str, list] = {}
    for f in files:
        tree = ts.Parser(JULIA).parse(f.read_bytes())
        if tree.root_node.has_error:
            continue
        for n in _toplevel(tree.root_node):
            kind, name, method = _definition(n, f)
            if kind == "function" and method is not None:
                out.setdefault(name, []).append(method)
    return out


def _cfunction_types(node):
    """(function name, return type, [argument types]) of a @cfunction(f, R, (T...)) macro call."""
    margs = next((c for c in node.named_children if c.type == "macro_argument_list"), None)
    if margs is None:
        args = next((c for c in node.named_children if c.type == "argument_list"), None)
    else:
        args = margs.named_children[0] if margs.named_children and margs.named_children[0].type in (
            "tuple_expression", "parenthesized_expression") else None
    if args is None:
        args = next((c for c in _walk(node) if c.type in ("argument_list", "tuple_expression")), None)
    items = [c for c in (args.named_children if args is not None else []) if c.type not in ("line_comment", "block_comment")]
    if len(items) != 3:
        return None
    tup = items[2]
    types = [_norm(_text(t)) for t in tup.named_children] if tup.type == "tuple_expression" else \
        [_norm(_text(tup.named_children[0]))] if tup.type == "parenthesized_expression" and tup.named_children else None
    if types is None:
        return None
    return _text(items[0]), _norm(_text(items[1])), types


def check_generated_calls(header: Header, tc: "TypeChecker", files: list[Path], defs: dict[str, list],
                          problems: list[str]) -> dict[Path, set[str]]:
    """Checks the calls of the generated layer (functions named as the C functions, and the
    element-type dispatchers named without _f32/_f64): argument count, keywords, argument names
    against the C parameter names, element types of buffers; and each @cfunction against the
    callback typedef of the parameter it is passed to. Returns the C functions so called, by file."""
    twins = header.twins()
    called_by_file: dict[Path, set[str]] = {}
    all_cfunctions: dict[tuple[str, int], str] = {}    # (file, byte) -> where, every @cfunction
    checked_cfunctions: set[tuple[str, int]] = set()
    for path in files:
        tree = ts.Parser(JULIA).parse(path.read_bytes())
        if tree.root_node.has_error:
            continue
        called = called_by_file.setdefault(path, set())
        cfunctions = {}                     # local variable -> @cfunction node, per enclosing function
        for n in _walk(tree.root_node):
            if n.type == "macrocall_expression":
                mid = next((c for c in n.named_children if c.type == "macro_identifier"), None)
                if mid is not None and _text(mid) == "@cfunction":
                    a = n.parent
                    while a is not None and a.type not in ("assignment", "argument_list"):
                        a = a.parent
                    key = (_enclosing_function(n).id if _enclosing_function(n) is not None else None,
                           _text(a.named_children[0]) if a is not None and a.type == "assignment" else None)
                    cfunctions.setdefault(key, []).append(n)
                    all_cfunctions[(str(path), n.start_byte)] = f"{path}:{n.start_point[0] + 1}"
        for n in _walk(tree.root_node):
            if n.type != "call_expression" or n.named_children[0].type != "identifier":
                continue
            name = _text(n.named_children[0])
            if n.parent is not None and n.parent.type in ("signature", "macro_definition"):
                continue                                        # a definition, not a call
            if not name.startswith("ebm_") or name not in defs and name not in header.functions:
                if name.startswith("ebm_") and name not in defs and name not in twins \
                        and name not in header.structs:
                    problems.append(f"{path}:{n.start_point[0] + 1}: {name} is neither a C function of the "
                                    f"header nor defined by the package")
                continue
            cname = name if name in header.functions else twins.get(name, (None,))[0]
            if cname is None:
                continue
            called |= {cname} if name in header.functions else set(twins[name])
            fn = header.functions[cname]
            where = f"{path}:{n.start_point[0] + 1}: {name}"
            arglist = n.named_children[1] if len(n.named_children) > 1 else None
            if arglist is None or arglist.type != "argument_list":
                continue
            pos = _positional_args(arglist)
            if any(p.type == "splat_expression" for p in pos):
                continue
            if len(pos) != len(fn.params):
                problems.append(f"{where}: {len(pos)} arguments, but the C function takes {len(fn.params)} "
                                f"({', '.join(p for p, _ in fn.params)})")
                continue
            accepted = set()
            for m in defs.get(name, []):
                accepted |= m.keywords
                if m.splat:
                    accepted.add("*")
            for kw, knode in _keyword_args(arglist):
                if "*" not in accepted and kw not in accepted:
                    problems.append(f"{where}: no keyword '{kw}' (accepts: {', '.join(sorted(accepted)) or 'none'})")
            meanings = [_arg_meaning(p) for p in pos]
            cnames = [p for p, _ in fn.params]
            for i, (arg, meaning) in enumerate(zip(pos, meanings)):
                if meaning is None or meaning == cnames[i] or meaning not in cnames:
                    continue
                problems.append(f"{where}: argument {i + 1} `{_text(arg)}` is passed as C parameter "
                                f"'{cnames[i]}' but names parameter '{meaning}' (C order: {', '.join(cnames)})")
            scope = _enclosing_function(n)
            types = _local_types(scope, n.start_byte) if scope is not None else {}
            for i, (arg, (pname, ptype)) in enumerate(zip(pos, fn.params)):
                if arg.type == "identifier" and _text(arg) in types:
                    rt = tc.resolve(ptype)
                    if rt.ptr == 1 and rt.base in SCALARS and types[_text(arg)] not in SCALARS[rt.base]:
                        problems.append(f"{where}: `{_text(arg)}` holds {types[_text(arg)]} but C parameter "
                                        f"'{pname}' is {ptype}")
                # callbacks
                if ptype.ptr == 0 and ptype.base in header.callbacks:
                    key = (scope.id if scope is not None else None, _text(arg) if arg.type == "identifier" else None)
                    nodes = [(path, cf) for cf in cfunctions.get(key, [])] if arg.type == "identifier" else \
                        [(path, c) for c in _walk(arg) if c.type == "macrocall_expression"]
                    if arg.type == "call_expression" and arg.named_children[0].type == "identifier":
                        # a package function returning a @cfunction: `_f_cfunction() = @cfunction(...)`
                        for m in defs.get(_text(arg.named_children[0]), []):
                            nodes += [(m.file, c) for b in m.body for c in _walk(b)
                                      if c.type == "macrocall_expression" and _is_cfunction(c)]
                    for where_file, cf in nodes:
                        if not _is_cfunction(cf):
                            continue
                        checked_cfunctions.add((str(where_file), cf.start_byte))
                        _check_cfunction(header, tc, header.callbacks[ptype.base], cf, defs, where_file, problems)
    for key, where in sorted(all_cfunctions.items()):
        if key not in checked_cfunctions:
            problems.append(f"{where}: @cfunction not passed to a C callback parameter (directly, through a "
                            f"local variable or a package function returning it): its signature cannot be "
                            f"checked against the header's typedef")
    return called_by_file


def _is_cfunction(node) -> bool:
    mid = next((c for c in node.named_children if c.type == "macro_identifier"), None)
    return mid is not None and _text(mid) == "@cfunction"


def _check_cfunction(header: Header, tc: "TypeChecker", cb, node, defs, path: Path, problems: list[str]):
    where = f"{path}:{node.start_point[0] + 1}: @cfunction for {cb.name}"
    sig = _cfunction_types(node)
    if sig is None:
        problems.append(f"{where}: cannot read `@cfunction(f, Ret, (Types...))`")
        return
    fname, ret, types = sig
    if len(types) != len(cb.params):
        problems.append(f"{where}: {len(types)} argument types, but {cb.name} takes {len(cb.params)} "
                        f"({', '.join(p for p, _ in cb.params)})")
        return
    for (pname, ptype), jt in zip(cb.params, types):
        why = tc.compatible(ptype, jt, where=f"{where}: argument {pname}", in_struct=True)
        if why:
            problems.append(why)
    why = tc.compatible(cb.ret, ret, where=f"{where}: return type", is_return=True)
    if why:
        problems.append(why)
    for m in defs.get(fname, []):           # the Julia function itself
        sig_types = _method_param_types(m)
        if sig_types is None:
            continue
        if len(sig_types) != len(types):
            problems.append(f"{m.file}:{m.line}: {fname} takes {len(sig_types)} arguments, but its @cfunction "
                            f"({path}:{node.start_point[0] + 1}) and {cb.name} pass {len(types)}")
            continue
        for (pname, ptype), jt in zip(cb.params, sig_types):
            if jt is not None and tc.compatible(ptype, jt, where="", in_struct=True):
                problems.append(f"{m.file}:{m.line}: {fname}'s argument for {cb.name}'s {pname} ({ptype}) "
                                f"is declared {jt}")


def _method_param_types(m) -> list[str | None] | None:
    """Declared types of a method's positional parameters (None for untyped ones)."""
    node = m.body[0].parent if m.body else None
    while node is not None and node.type not in ("function_definition", "assignment"):
        node = node.parent
    if node is None:
        return None
    sig = next((c for c in node.named_children if c.type == "signature"), None) if node.type == "function_definition" \
        else node.named_children[0]
    call = _unwrap_signature(sig)
    if call is None or len(call.named_children) < 2:
        return None
    out = []
    for p in _positional_args(call.named_children[1]):
        out.append(_norm(_text(p.named_children[-1])) if p.type == "typed_expression" else None)
    return out


def _julia_constant_value(node):
    t = _norm(_text(node))
    m = re.fullmatch(r"(?:Int32|Cint)\((-?\d+)\)", t)
    if m:
        return int(m.group(1))
    if re.fullmatch(r"-?\d+\.\d*(e-?\d+)?", t):
        return float(t)
    if node.type == "string_literal":
        return t[1:-1]
    return ("?", t)


def check_constants(header: Header, files: list[Path], problems: list[str]) -> int:
    """`const EBM_X = v` in the package must be a constant of the header with its value."""
    expected = {c.name: c.value for c in header.constants.values()}
    for values in header.enum_values.values():
        expected.update({c.name: c.value for c in values})
    checked = 0
    seen: dict[str, str] = {}
    for path in files:
        tree = ts.Parser(JULIA).parse(path.read_bytes())
        if tree.root_node.has_error:
            continue
        for n in _walk(tree.root_node):
            if n.type != "const_statement":
                continue
            a = next((c for c in n.named_children if c.type == "assignment"), None)
            if a is None or a.named_children[0].type != "identifier":
                continue
            name = _text(a.named_children[0])
            if not name.startswith("EBM_"):
                continue
            where = f"{path}:{n.start_point[0] + 1}: const {name}"
            if name in seen:      # e.g. a hand-written copy of a generated constant
                problems.append(f"{where}: defined again (first at {seen[name]}); the generated "
                                f"constants are the only definition")
                continue
            seen[name] = f"{path}:{n.start_point[0] + 1}"
            if name not in expected:
                problems.append(f"{where}: no such constant in the header")
                continue
            checked += 1
            got, want = _julia_constant_value(a.named_children[-1]), expected[name]
            if got != want or type(got) is not type(want):
                problems.append(f"{where} = {_text(a.named_children[-1])}, but the header has {want!r}"
                                + (" (integers as Int32(...))" if isinstance(want, int) else ""))
    return checked


# --------------------------------------------------------------------------------------
# The check


@dataclasses.dataclass
class Result:
    problems: list[str]
    files: int = 0
    calls: int = 0
    covered: int = 0
    functions: int = 0
    structs: int = 0
    cpp_covered: int | None = None
    use_files: int = 0           # files checked by the names check (--uses)
    use_calls: int = 0           # calls and macro uses checked in them
    extensions: int = 0          # package extensions checked against Project.toml
    constants: int = 0           # EBM_* constants compared with the header


def check(header_path: Path, julia_paths: list[Path], *, exports: set[str] | None = None,
          library: Path | None = None, package: Path | None = None, cpp: list[Path] | Path | None = None,
          check_coverage: bool = True, lib_var: str = "libtorchebm",
          uses: list[Path] | None = None, module: str = "TorchEBM") -> Result:
    header = parse_header(header_path)
    if isinstance(cpp, Path):
        cpp = [cpp]
    if exports is None:
        exports = library_exports(library) if library is not None else set(header.functions)
    res = Result([])
    problems = res.problems
    files = julia_files(julia_paths)
    use_files = julia_files(uses) if uses else []
    seen = {f.resolve() for f in files}
    files += [f for f in use_files if f.resolve() not in seen]     # syntax and ccalls too
    res.files = len(files)
    all_calls: list[JuliaCall] = []
    all_structs: list[JuliaStruct] = []
    wrappers: set[str] = set()
    for f in files:
        _, calls, structs, w = parse_julia(f, problems)
        all_calls.extend(calls)
        all_structs.extend(structs)
        wrappers |= w

    # mirrored structs
    mirrors = {s.name for s in all_structs if s.name in header.structs}
    tc = TypeChecker(header, wrappers, mirrors)
    first_struct: dict[str, str] = {}
    for s in all_structs:
        where = f"{s.file}:{s.line}: struct {s.name}"
        if s.name in header.structs and s.name in first_struct:
            problems.append(f"{where}: defined again (first at {first_struct[s.name]}); the generated "
                            f"mirror is the only definition")
            continue
        first_struct.setdefault(s.name, f"{s.file}:{s.line}")
        if s.name not in header.structs:
            if s.name.startswith("ebm_"):
                problems.append(f"{where}: no struct {s.name} in the header")
            continue
        res.structs += 1
        cfields = header.structs[s.name]
        if [n for n, _ in s.fields] != [n for n, _ in cfields]:
            problems.append(f"{where}: fields {[n for n, _ in s.fields]} differ from the header's "
                            f"{[n for n, _ in cfields]} (names and order must match)")
            continue
        for (jn, jt), (cn, ct) in zip(s.fields, cfields):
            why = tc.compatible(ct, jt, where=f"{where}.{jn}", in_struct=True)
            if why:
                problems.append(why)

    # calls
    covered: set[str] = set()
    pkg_src = (package / "src").resolve() if package is not None else None
    for call in all_calls:
        where = f"{call.file}:{call.line}: {call.form} {call.symbol or ''}".rstrip()
        if call.problem:
            problems.append(f"{where}: {call.problem}")
            continue
        ours = call.symbol.startswith("ebm_") or (call.library == lib_var)
        if not ours:
            continue
        res.calls += 1
        if call.library != lib_var:
            problems.append(f"{where}: library is {call.library!r}, expected the global {lib_var}")
        fn = header.functions.get(call.symbol)
        if fn is None:
            problems.append(f"{where}: {call.symbol} is not declared in {header_path}")
            continue
        if call.symbol not in exports:
            problems.append(f"{where}: {call.symbol} is not exported by the library")
        if pkg_src is not None and str(call.file.resolve()).startswith(str(pkg_src) + os.sep) \
                and not _is_generated(call.file):
            covered.add(call.symbol)
        if len(call.types) != len(fn.params):
            problems.append(f"{where}: {len(call.types)} argument types, but the C function has "
                            f"{len(fn.params)} parameters ({', '.join(n for n, _ in fn.params) or 'none'})")
            continue
        if len(call.args) != len(call.types):
            problems.append(f"{where}: {len(call.args)} arguments passed for {len(call.types)} argument types")
        for (pname, ptype), jt in zip(fn.params, call.types):
            why = tc.compatible(ptype, jt, where=f"{where}: parameter {pname} ({ptype})")
            if why:
                problems.append(why)
        why = tc.compatible(fn.ret, call.ret, where=f"{where}: return type ({fn.ret})", is_return=True)
        if why:
            problems.append(why)

    # the generated layer's calls, @cfunction signatures and constants
    defs = _package_functions(files)
    called_by_file = check_generated_calls(header, tc, files, defs, problems)
    if pkg_src is not None:
        for f, called in called_by_file.items():
            if str(f.resolve()).startswith(str(pkg_src) + os.sep) and not _is_generated(f):
                covered |= called
    res.constants = check_constants(header, files, problems)
    # defaults written again in the package
    api = collect_api(package / "src", module) if package is not None else None
    if api is not None:
        problems.extend(check_keyword_defaults(api))

    # names in the files that use the package
    if use_files:
        if api is None:
            raise SystemExit("check_julia: --uses needs the Julia package (--package or --julia)")
        problems.extend(api.problems)
        res.use_files = len(use_files)
        res.use_calls = check_uses(api, use_files, problems)

    if package is not None and (package / "Project.toml").is_file():
        res.extensions = check_extensions(package, module, problems)

    res.functions = len(header.functions)
    res.covered = len(covered & set(header.functions))
    if check_coverage and package is not None:
        missing = sorted(set(header.functions) - covered)
        for name in missing:
            problems.append(f"{header_path}:{header.functions[name].line}: {name} is never called by "
                            f"the Julia package ({package / 'src'})")
    if cpp:
        cpp, *cpp_more = cpp
        twins = header.twins()
    if cpp is not None:
        if not cpp.is_file():
            problems.append(f"{cpp}: C++ wrapper not found: none of the {len(header.functions)} "
                            f"header functions is covered")
            res.cpp_covered = 0
        else:
            text = cpp.read_text()
            dispatch = "".join(m.read_text() for m in cpp_more if m.is_file())
            # a _f32/_f64 function is also covered when the wrapper calls Api<T>::stem (the
            # generated table) and the table holds it
            via_table = {n for stem, pair in twins.items() for n in pair
                         if re.search(r"Api<T>::" + re.escape(stem[len("ebm_"):]) + r"\s*\(", text)
                         and re.search(r"&" + re.escape(n) + r"\b", dispatch)}
            cpp_missing = [n for n in sorted(header.functions) if n not in via_table
                           and not re.search(r"\b" + re.escape(n) + r"\s*\(", text)]
            res.cpp_covered = len(header.functions) - len(cpp_missing)
            for name in cpp_missing:
                problems.append(f"{cpp}: {name} is never called (no `{name}(`) in the C++ wrapper")
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--header", type=Path, required=True)
    ap.add_argument("--library", type=Path, required=True)
    ap.add_argument("--julia", type=Path, nargs="+", required=True,
                    help="Julia package directories and files; the first with a Project.toml is the package")
    ap.add_argument("--cpp", type=Path, nargs="+", help="the C++ wrapper, checked for a call to every function "
                    "(directly, or through the generated dispatch table given after it)")
    ap.add_argument("--package", type=Path, help="the Julia package (default: first --julia with Project.toml)")
    ap.add_argument("--uses", type=Path, nargs="+", default=[], metavar="FILE_OR_DIR",
                    help="Julia files (or directories of them) that use the package: each call and "
                         "macro must exist (in the file, the package or the Base allowlist) and take "
                         "the keywords given; they are also parsed and ccall-checked like --julia")
    args = ap.parse_args(argv)
    package = args.package or next((p for p in args.julia if (p / "Project.toml").is_file()), None)
    if package is None:
        print("check_julia: no Julia package (a directory with Project.toml) among --julia", file=sys.stderr)
        return 2
    res = check(args.header, args.julia, library=args.library, package=package, cpp=args.cpp,
                uses=args.uses)
    for p in res.problems:
        print(p)
    if any(": unknown function '" in p or ": unknown macro '" in p for p in res.problems):
        print("check_julia: a name is known when the file defines it, the package exports it (after "
              "`using TorchEBM`), or it is in this checker's BASE_NAMES/BASE_MACROS/QUALIFIED_NAMES or, "
              "after `using M`, STDLIB_NAMES/STDLIB_MACROS[M] or ECOSYSTEM_EXPORTS/_QUALIFIED[M]; "
              "add a genuine Julia name there")
    cpp = "" if res.cpp_covered is None else f"; C++ wrapper calls {res.cpp_covered}/{res.functions}"
    if args.uses:
        cpp += f"; {res.use_calls} calls/macros in {res.use_files} files using the package checked by name"
    print(f"check_julia: {res.files} Julia files parsed, {res.calls} library calls checked, "
          f"{res.structs} mirrored structs and {res.constants} constants checked, {res.extensions} package extensions checked, "
          f"{res.covered}/{res.functions} header functions "
          f"called by {package}{cpp}: "
          + ("OK" if not res.problems else f"{len(res.problems)} problem(s)"))
    return 1 if res.problems else 0


if __name__ == "__main__":
    sys.exit(main())
