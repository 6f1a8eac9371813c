"""The one parser of include/torchebm.h, shared by the binding generator
(scripts/generate_bindings.py) and the Julia static check (tests/bindings/check_julia.py).

The header is parsed with tree-sitter's C grammar (preprocessor lines blanked, line numbers
kept); its #define constants, which the C grammar does not see once blanked, are read from the
text with the doc comment that precedes them. Every declaration carries its doc comment, so
that generated code can repeat it.
"""
from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import tree_sitter as ts
import tree_sitter_c

C = ts.Language(tree_sitter_c.language())


@dataclasses.dataclass(frozen=True)
class CType:
    base: str          # "double", "int32_t", "struct ebm_energy", "enum ebm_status", "ebm_energy_fn", ...
    ptr: int = 0       # pointer levels
    const: bool = False  # the pointee (or the value, for ptr == 0) is const

    def pointee(self) -> "CType":
        return CType(self.base, self.ptr - 1)

    def __str__(self) -> str:
        return self.base + " " + "*" * self.ptr if self.ptr else self.base

    def __eq__(self, other) -> bool:            # constness does not change the ABI
        return isinstance(other, CType) and (self.base, self.ptr) == (other.base, other.ptr)

    def __hash__(self) -> int:
        return hash((self.base, self.ptr))


@dataclasses.dataclass
class CFunction:
    name: str
    ret: CType
    params: list[tuple[str, CType]]
    line: int
    doc: str = ""


@dataclasses.dataclass
class CConstant:
    name: str
    value: int | float | str
    line: int
    doc: str = ""


@dataclasses.dataclass
class Header:
    functions: dict[str, CFunction]
    structs: dict[str, list[tuple[str, CType]]]      # struct name -> fields (name, type)
    opaque: set[str]                                # structs without a definition
    enums: set[str]
    fnptrs: set[str]                                # typedef'd function pointer types
    typedefs: dict[str, CType]                      # other typedef name -> type
    callbacks: dict[str, CFunction] = dataclasses.field(default_factory=dict)   # fnptr signatures
    enum_values: dict[str, list[CConstant]] = dataclasses.field(default_factory=dict)
    constants: dict[str, CConstant] = dataclasses.field(default_factory=dict)   # #define EBM_*
    struct_docs: dict[str, str] = dataclasses.field(default_factory=dict)
    field_docs: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)

    def twins(self) -> dict[str, tuple[str, str]]:
        """Functions that exist in float and double: stem -> (name_f32, name_f64)."""
        out = {}
        for name in self.functions:
            if name.endswith("_f32") and name[:-4] + "_f64" in self.functions:
                out[name[:-4]] = (name, name[:-4] + "_f64")
        return out

    def may_call_back(self, name: str, _seen: frozenset = frozenset()) -> bool:
        """Whether the function may run a user callback (energy, progress or all-reduce): its
        doc lists EBM_ERR_CALLBACK among its errors, directly or through "Errors: as f"."""
        fn = self.functions[name]
        if "EBM_ERR_CALLBACK" in fn.doc:
            return True
        m = re.search(r"Errors:\s+as\s+(ebm_\w+)", fn.doc)
        if m and m.group(1) in self.functions and m.group(1) not in _seen:
            return self.may_call_back(m.group(1), _seen | {name})
        return False


def first_error(node) -> tuple[int, int]:
    """(line, column), 1-based, of the first syntax error under node (tree-sitter)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            return n.start_point[0] + 1, n.start_point[1] + 1
        if n.has_error:
            stack.extend(reversed(n.children))
    return node.start_point[0] + 1, node.start_point[1] + 1


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


def comment_text(raw: str) -> str:
    """The text of a /** ... */ or // comment, without its markers and leading asterisks."""
    raw = raw.strip()
    if raw.startswith("//"):
        return raw[2:].strip()
    body = raw[2:-2] if raw.endswith("*/") else raw[2:]
    lines = [re.sub(r"^\s*\*? ?", "", ln, count=1).rstrip() for ln in body.lstrip("*").splitlines()]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def _doc_before(node) -> str:
    prev = node.prev_named_sibling
    if prev is not None and prev.type == "comment" and prev.end_point[0] >= node.start_point[0] - 1:
        return comment_text(prev.text.decode())
    return ""


def _c_base(node) -> str:
    t = node.type
    if t in ("primitive_type", "type_identifier", "sized_type_specifier"):
        return node.text.decode()
    if t in ("struct_specifier", "enum_specifier", "union_specifier"):
        name = node.child_by_field_name("name")
        kw = t.split("_")[0]
        return f"{kw} {name.text.decode()}" if name is not None else f"{kw} <anonymous>"
    raise ValueError(f"unsupported C type node {t}: {node.text.decode()}")


def _is_const(decl_node) -> bool:
    return any(c.type == "type_qualifier" and c.text == b"const" for c in decl_node.children)


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


def _params(plist, where: str) -> list[tuple[str, CType]]:
    params = []
    for p in plist.named_children:
        if p.type == "comment":
            continue
        if p.type != "parameter_declaration":
            raise SystemExit(f"{where}: unsupported parameter {p.text.decode()}")
        base = _c_base(p.child_by_field_name("type"))
        pptr, ident = _unwrap_declarator(p.child_by_field_name("declarator"))
        if base == "void" and pptr == 0 and ident is None:
            continue            # (void)
        pname = ident.text.decode() if ident is not None else f"arg{len(params)}"
        params.append((pname, CType(base, pptr, _is_const(p))))
    return params


def _literal(text: str) -> int | float | str | None:
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    if re.fullmatch(r'"[^"\\]*"', text):
        return text[1:-1]
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?", text):
        return float(text)
    return None


def _defines(text: str, path: Path) -> dict[str, CConstant]:
    """#define EBM_* constants with the doc comment right above them (a run of defines without
    a blank line between shares the comment above its first)."""
    out: dict[str, CConstant] = {}
    lines = text.splitlines()
    doc, comment, in_comment, last_define = "", [], False, -2
    for i, line in enumerate(lines):
        s = line.strip()
        if in_comment:
            comment.append(line)
            if "*/" in s:
                in_comment = False
                doc = comment_text("\n".join(comment))
                doc_end = i
            continue
        if s.startswith("/*"):
            comment = [line]
            if "*/" in s[2:]:
                doc = comment_text(line)
                doc_end = i
            else:
                in_comment = True
            continue
        m = re.match(r"#define\s+(EBM_\w+)\s+(.+?)\s*$", s)
        if m:
            value = _literal(m.group(2))
            if value is None:
                raise SystemExit(f"{path}:{i + 1}: #define {m.group(1)}: not a literal constant ({m.group(2)})")
            if doc and doc_end == i - 1:
                mine = doc
            elif last_define == i - 1:
                mine = out[prev_name].doc if prev_name in out else ""
            else:
                mine = ""
            out[m.group(1)] = CConstant(m.group(1), value, i + 1, mine)
            last_define, prev_name = i, m.group(1)
            continue
        if s:
            doc = ""
    return out


def parse_header(path: Path) -> Header:
    raw = path.read_text()
    text = _strip_preprocessor(raw)
    tree = ts.Parser(C).parse(text.encode())
    if tree.root_node.has_error:
        bad = first_error(tree.root_node)
        raise SystemExit(f"{path}:{bad[0]}:{bad[1]}: the header does not parse as C")
    h = Header({}, {}, set(), set(), set(), {})
    h.constants = _defines(raw, path)
    defined = set()

    def struct_fields(name, spec) -> list[tuple[str, CType]]:
        fields = []
        docs = h.field_docs.setdefault(name, {})
        body = spec.child_by_field_name("body")
        for fd in body.named_children:
            if fd.type != "field_declaration":
                continue
            base = _c_base(fd.child_by_field_name("type"))
            ptr, ident = _unwrap_declarator(fd.child_by_field_name("declarator"))
            fname = ident.text.decode()
            fields.append((fname, CType(base, ptr, _is_const(fd))))
            docs[fname] = _doc_before(fd)
        return fields

    def enum_values(spec) -> list[CConstant]:
        out, value = [], -1
        for e in spec.child_by_field_name("body").named_children:
            if e.type != "enumerator":
                continue
            v = e.child_by_field_name("value")
            value = _literal(v.text.decode()) if v is not None else value + 1
            out.append(CConstant(e.child_by_field_name("name").text.decode(), value,
                                 e.start_point[0] + 1, _doc_before(e)))
        return out

    def visit_specifier(spec, doc_node):
        if spec.type == "struct_specifier" and spec.child_by_field_name("body") is not None:
            name = spec.child_by_field_name("name").text.decode()
            h.structs[name] = struct_fields(name, spec)
            h.struct_docs[name] = _doc_before(doc_node)
            defined.add(name)
        elif spec.type == "struct_specifier":
            h.opaque.add(spec.child_by_field_name("name").text.decode())
        elif spec.type == "enum_specifier":
            name = spec.child_by_field_name("name").text.decode()
            h.enums.add(name)
            if spec.child_by_field_name("body") is not None:
                h.enum_values[name] = enum_values(spec)

    for node in tree.root_node.named_children:
        if node.type == "type_definition":
            spec = node.child_by_field_name("type")
            visit_specifier(spec, node)
            decl = node.child_by_field_name("declarator")
            if decl.type == "function_declarator":
                rptr, ident = _unwrap_declarator(decl.child_by_field_name("declarator"))
                name = ident.text.decode()
                h.fnptrs.add(name)
                h.callbacks[name] = CFunction(name, CType(_c_base(spec), rptr - 1, _is_const(node)),
                                              _params(decl.child_by_field_name("parameters"), f"{path}: {name}"),
                                              node.start_point[0] + 1, _doc_before(node))
            else:
                ptr, ident = _unwrap_declarator(decl)
                name = ident.text.decode()
                base = _c_base(spec)
                if base not in (f"struct {name}", f"enum {name}"):
                    h.typedefs[name] = CType(base, ptr)
        elif node.type == "struct_specifier" or node.type == "enum_specifier":
            visit_specifier(node, node)
        elif node.type == "declaration":
            spec = node.child_by_field_name("type")
            visit_specifier(spec, node)
            ptr, decl = _unwrap_declarator(node.child_by_field_name("declarator"))
            if decl is None or decl.type != "function_declarator":
                continue
            name = decl.child_by_field_name("declarator").text.decode()
            params = _params(decl.child_by_field_name("parameters"), f"{path}: {name}")
            h.functions[name] = CFunction(name, CType(_c_base(spec), ptr, _is_const(node)), params,
                                          node.start_point[0] + 1, _doc_before(node))
    h.opaque -= defined
    return h


def library_exports(path: Path) -> set[str]:
    out = subprocess.run(["nm", "-D", "--defined-only", str(path)], check=True,
                         capture_output=True, text=True).stdout
    return {parts[-1] for parts in (line.split() for line in out.splitlines()) if len(parts) >= 3}
