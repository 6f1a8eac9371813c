#!/usr/bin/env python3
"""Static check of the Julia bindings against include/torchebm.h and libtorchebm.so.

No Julia runtime is needed: every .jl file is parsed with tree-sitter's Julia grammar and the
header with tree-sitter's C grammar. The check fails (exit status 1) on:

  * a syntax error in any .jl file (file:line:column);
  * a `ccall((:sym, lib), Ret, (T...), args...)`, `@ccall [gc_safe=true] lib.sym(a::T...)::Ret`
    or `@ebm_blocking cond lib.sym(a::T...)::Ret` (the package's own macro, which expands to
    `@ccall`) whose symbol is not declared in the header or not exported by the library,
    whose number of argument types differs from the C parameter count, whose number of
    actual arguments differs from the number of types, or whose argument or return types do
    not match the C types (table in `compatible`);
  * a header function that the Julia package (PACKAGE/src) never calls;
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
    The package's export list must name only names it defines.

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
import tree_sitter_c
import tree_sitter_julia

JULIA = ts.Language(tree_sitter_julia.language())
C = ts.Language(tree_sitter_c.language())

# Macros that take an @ccall-style call `lib.sym(a::T, ...)::R` as their last argument, with
# the number of leading arguments to skip (the package's own @ebm_blocking has one, the
# may-call-Julia flag; @ccall may have `gc_safe=true`, skipped as an assignment).
CCALL_MACROS = {"ccall": 0, "ebm_blocking": 1}


# --------------------------------------------------------------------------------------
# The header


@dataclasses.dataclass(frozen=True)
class CType:
    base: str          # "double", "int32_t", "struct ebm_energy", "enum ebm_status", "ebm_energy_fn", ...
    ptr: int = 0       # pointer levels

    def pointee(self) -> "CType":
        return CType(self.base, self.ptr - 1)

    def __str__(self) -> str:
        return self.base + " " + "*" * self.ptr if self.ptr else self.base


@dataclasses.dataclass
class CFunction:
    name: str
    ret: CType
    params: list[tuple[str, CType]]
    line: int


@dataclasses.dataclass
class Header:
    functions: dict[str, CFunction]
    structs: dict[str, list[tuple[str, CType]]]      # struct name -> fields (name, type)
    opaque: set[str]                                # structs without a definition
    enums: set[str]
    fnptrs: set[str]                                # typedef'd function pointer types
    typedefs: dict[str, CType]                      # other typedef name -> type


def _strip_preprocessor(text: str) -> str:
    """Blank out preprocessor lines and `#ifdef __cplusplus` blocks (keeping line numbers)."""
    out = []
    skipping = False
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("#ifdef __cplusplus"):
            skipping = True
            out.append("")
            continue
        if skipping:
            if s.startswith("#endif"):
                skipping = False
            out.append("")
            continue
        out.append("" if s.startswith("#") else line)
    return "\n".join(out)


def _c_base(node) -> str:
    t = node.type
    if t in ("primitive_type", "type_identifier", "sized_type_specifier"):
        return node.text.decode()
    if t in ("struct_specifier", "enum_specifier", "union_specifier"):
        name = node.child_by_field_name("name")
        kw = t.split("_")[0]
        return f"{kw} {name.text.decode()}" if name is not None else f"{kw} <anonymous>"
    raise ValueError(f"unsupported C type node {t}: {node.text.decode()}")


def _unwrap_declarator(node):
    """Counts pointer levels down to the innermost declarator; returns (ptr, node)."""
    ptr = 0
    while node is not None and node.type in ("pointer_declarator", "abstract_pointer_declarator",
                                             "parenthesized_declarator"):
        if node.type != "parenthesized_declarator":
            ptr += 1
        inner = node.child_by_field_name("declarator")
        if inner is None:
            inner = next((c for c in node.named_children if c.type != "type_qualifier"), None)
        node = inner
    return ptr, node


def parse_header(path: Path) -> Header:
    text = _strip_preprocessor(path.read_text())
    tree = ts.Parser(C).parse(text.encode())
    if tree.root_node.has_error:
        bad = _first_error(tree.root_node)
        raise SystemExit(f"{path}:{bad[0]}:{bad[1]}: the header does not parse as C")
    h = Header({}, {}, set(), set(), set(), {})
    defined = set()

    def struct_fields(spec) -> list[tuple[str, CType]]:
        fields = []
        body = spec.child_by_field_name("body")
        for fd in body.named_children:
            if fd.type != "field_declaration":
                continue
            base = _c_base(fd.child_by_field_name("type"))
            ptr, ident = _unwrap_declarator(fd.child_by_field_name("declarator"))
            fields.append((ident.text.decode(), CType(base, ptr)))
        return fields

    def visit_specifier(spec):
        if spec.type == "struct_specifier" and spec.child_by_field_name("body") is not None:
            name = spec.child_by_field_name("name").text.decode()
            h.structs[name] = struct_fields(spec)
            defined.add(name)
        elif spec.type == "struct_specifier":
            h.opaque.add(spec.child_by_field_name("name").text.decode())
        elif spec.type == "enum_specifier":
            h.enums.add(spec.child_by_field_name("name").text.decode())

    for node in tree.root_node.named_children:
        if node.type == "type_definition":
            spec = node.child_by_field_name("type")
            visit_specifier(spec)
            decl = node.child_by_field_name("declarator")
            if decl.type == "function_declarator":
                _, ident = _unwrap_declarator(decl.child_by_field_name("declarator"))
                h.fnptrs.add(ident.text.decode())
            else:
                ptr, ident = _unwrap_declarator(decl)
                name = ident.text.decode()
                base = _c_base(spec)
                if base not in (f"struct {name}", f"enum {name}"):
                    h.typedefs[name] = CType(base, ptr)
        elif node.type == "struct_specifier" or node.type == "enum_specifier":
            visit_specifier(node)
        elif node.type == "declaration":
            spec = node.child_by_field_name("type")
            visit_specifier(spec)
            ptr, decl = _unwrap_declarator(node.child_by_field_name("declarator"))
            if decl is None or decl.type != "function_declarator":
                continue
            name = decl.child_by_field_name("declarator").text.decode()
            params = []
            for p in decl.child_by_field_name("parameters").named_children:
                if p.type != "parameter_declaration":
                    raise SystemExit(f"{path}: {name}: unsupported parameter {p.text.decode()}")
                base = _c_base(p.child_by_field_name("type"))
                pptr, ident = _unwrap_declarator(p.child_by_field_name("declarator"))
                if base == "void" and pptr == 0 and ident is None:
                    continue            # (void)
                pname = ident.text.decode() if ident is not None else f"arg{len(params)}"
                params.append((pname, CType(base, pptr)))
            h.functions[name] = CFunction(name, CType(_c_base(spec), ptr), params, node.start_point[0] + 1)
    h.opaque -= defined
    return h


def library_exports(path: Path) -> set[str]:
    out = subprocess.run(["nm", "-D", "--defined-only", str(path)], check=True,
                         capture_output=True, text=True).stdout
    return {parts[-1] for parts in (line.split() for line in out.splitlines()) if len(parts) >= 3}


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


def _first_error(node) -> tuple[int, int]:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            return n.start_point[0] + 1, n.start_point[1] + 1
        if n.has_error:
            stack.extend(reversed(n.children))
    return node.start_point[0] + 1, node.start_point[1] + 1


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
}
BASE_MACROS = {"assert"}
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

    def _returned_struct(self, fn: str) -> str | None:
        """The mirrored struct that `fn` returns straight from a ccall/@ccall."""
        for m in self.methods.get(fn, []):
            for b in m.body:
                for n in _walk(b):
                    call = None
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
                    sc.modules.add(mod)
                    for s in c.named_children[1:]:
                        orig = s.named_children[0] if s.type == "import_alias" else s
                        bound = s.named_children[-1] if s.type == "import_alias" else s
                        name = _text(orig).lstrip("@")
                        if mod == api.module and name not in api.defined and name not in api.macros \
                                and name != api.module:
                            problems.append(f"{path}:{s.start_point[0] + 1}: {api.module} defines no "
                                            f"'{name}' to import")
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
                    or any(name in STDLIB_NAMES.get(m, ()) for m in sc.using))

        def known_qualified(q: str, name: str, macro: bool) -> bool | None:
            """True/False for a qualified name we can judge, None to skip (`obj.f(...)`)."""
            if q in sc.aliases:
                return name in (api.macros if macro else api.defined)
            full = f"{q}.@{name}" if macro else f"{q}.{name}"
            if q in BASE_MODULES:
                return full in (QUALIFIED_MACROS if macro else QUALIFIED_NAMES)
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


def check(header_path: Path, julia_paths: list[Path], *, exports: set[str] | None = None,
          library: Path | None = None, package: Path | None = None, cpp: Path | None = None,
          check_coverage: bool = True, lib_var: str = "libtorchebm",
          uses: list[Path] | None = None, module: str = "TorchEBM") -> Result:
    header = parse_header(header_path)
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
    for s in all_structs:
        where = f"{s.file}:{s.line}: struct {s.name}"
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
        if pkg_src is not None and str(call.file.resolve()).startswith(str(pkg_src) + os.sep):
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

    res.functions = len(header.functions)
    res.covered = len(covered & set(header.functions))
    if check_coverage and package is not None:
        missing = sorted(set(header.functions) - covered)
        for name in missing:
            problems.append(f"{header_path}:{header.functions[name].line}: {name} is never called by "
                            f"the Julia package ({package / 'src'})")
    if cpp is not None:
        if not cpp.is_file():
            problems.append(f"{cpp}: C++ wrapper not found: none of the {len(header.functions)} "
                            f"header functions is covered")
            res.cpp_covered = 0
        else:
            text = cpp.read_text()
            cpp_missing = [n for n in sorted(header.functions)
                           if not re.search(r"\b" + re.escape(n) + r"\s*\(", text)]
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
    ap.add_argument("--cpp", type=Path, help="the C++ wrapper, checked for a call to every function")
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
              "after `using M`, STDLIB_NAMES/STDLIB_MACROS[M]; add a genuine Julia name there")
    cpp = "" if res.cpp_covered is None else f"; C++ wrapper calls {res.cpp_covered}/{res.functions}"
    if args.uses:
        cpp += f"; {res.use_calls} calls/macros in {res.use_files} files using the package checked by name"
    print(f"check_julia: {res.files} Julia files parsed, {res.calls} library calls checked, "
          f"{res.structs} mirrored structs checked, {res.covered}/{res.functions} header functions "
          f"called by {package}{cpp}: "
          + ("OK" if not res.problems else f"{len(res.problems)} problem(s)"))
    return 1 if res.problems else 0


if __name__ == "__main__":
    sys.exit(main())
