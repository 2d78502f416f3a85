"""Terraform's HCL: parsing and the expression evaluation podcap needs (an edge).

Files are parsed with python-hcl2 (its Lark parse tree, which keeps every expression as written)
and evaluated here the way Terraform evaluates them, for what can be known without running
Terraform: literals, ``var.*`` (a variable's ``default``, ``terraform.tfvars``,
``*.auto.tfvars`` and values given on the command line), ``local.*``, ``path.*``, arithmetic,
comparisons, conditionals, ``for`` expressions, splats, string templates (quoted strings and
heredocs with ``${...}``) and the common functions (``jsonencode``, ``merge``, ``concat``,
``tomap``, ``coalesce``, ``try``, ``lookup``, ``cidrsubnet``, ...).

What Terraform itself only knows while planning or applying (data sources, resources, the
outputs of other modules) and what podcap does not evaluate (template directives ``%{...}``,
provider functions, the few functions not listed in :data:`FUNCTIONS`) evaluate to an
:class:`Unknown` that says which reference it is and why; a reader raises only when it needs
that value, and then names the file, the attribute, the expression and the way to override it.
"""

from __future__ import annotations

import base64
import difflib
import ipaddress
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

import yaml

from podcap import _yaml
from podcap.errors import InvalidManifestError, short_repr

if TYPE_CHECKING:  # lark (python-hcl2's parser) is imported when a file is parsed
    from lark import Token, Tree

__all__ = [
    "Block",
    "EvalError",
    "Expr",
    "HclFile",
    "Module",
    "Unknown",
    "find_unknown",
    "parse_file",
    "parse_value",
]

#: The most elements a list, map or ``range`` podcap builds while evaluating may have.
MAX_ELEMENTS = 1_000_000
#: The most expression nodes one evaluation may visit (nested ``for`` expressions multiply).
MAX_STEPS = 1_000_000
#: The widest field ``format()`` pads to [characters].
MAX_FORMAT_WIDTH = 10_000


class Unknown:
    """A value podcap cannot know without running Terraform.

    Attributes
    ----------
    ref : str
        The reference or call that cannot be evaluated (``data.aws_ami.eks.image_id``,
        ``var.node_count``, ``templatefile(...)``).
    reason : str
        Why, in words.
    variable : str or None
        The variable whose value is missing, when that is the cause (then ``--var NAME=VALUE``
        gives it).
    expr : str or None
        The text of the smallest attribute or object element holding the unknown value.
    """

    __slots__ = ("_grow", "expr", "reason", "ref", "variable")

    def __init__(
        self,
        ref: str,
        reason: str,
        *,
        variable: str | None = None,
        expr: str | None = None,
        grow: bool = True,
    ) -> None:
        self.ref = ref
        self.reason = reason
        self.variable = variable
        self.expr = expr
        self._grow = grow

    def traverse(self, suffix: str) -> Unknown:
        """The unknown value of an attribute or element of this one (``.image_id``, ``[0]``)."""
        if not self._grow:
            return self
        return Unknown(self.ref + suffix, self.reason, variable=self.variable, expr=self.expr)

    def used(self) -> Unknown:
        """This unknown after an operation: the reference stops growing."""
        if not self._grow:
            return self
        return Unknown(self.ref, self.reason, variable=self.variable, expr=self.expr, grow=False)

    def within(self, expr: str) -> Unknown:
        """This unknown, noting the (first, innermost) expression text that holds it."""
        if self.expr is not None:
            return self
        return Unknown(self.ref, self.reason, variable=self.variable, expr=expr, grow=self._grow)

    def __repr__(self) -> str:
        return f"Unknown({self.ref!r}: {self.reason})"


class EvalError(Exception):
    """An expression is wrong (Terraform would fail too): caught by ``try()`` and ``can()``."""


def find_unknown(value: Any) -> Unknown | None:
    """The first :class:`Unknown` in ``value`` (searched depth first), or None."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Mapping):
        for item in value.values():
            found = find_unknown(item)
            if found is not None:
                return found
    elif isinstance(value, list):
        for item in value:
            found = find_unknown(item)
            if found is not None:
                return found
    return None


# ---------------------------------------------------------------------------------------------
# parsing


@dataclass(frozen=True)
class HclFile:
    """One parsed ``.tf`` or ``.tfvars`` file."""

    path: Path
    text: str
    body: Tree[Token]


@dataclass(frozen=True)
class Expr:
    """An expression as written: its parse tree and the file it is in."""

    tree: Tree[Token]
    file: HclFile

    @property
    def text(self) -> str:
        """The expression's source text (whitespace collapsed, cut to 200 characters)."""
        meta = self.tree.meta
        if getattr(meta, "empty", True):
            return "<expression>"
        raw = self.file.text[meta.start_pos : meta.end_pos]
        flat = " ".join(raw.split())
        return flat if len(flat) <= 200 else flat[:197] + "..."

    @property
    def line(self) -> int:
        """1-based line of the expression in its file (0 when unknown)."""
        meta = self.tree.meta
        return 0 if getattr(meta, "empty", True) else int(meta.line)


@dataclass(frozen=True)
class Block:
    """A block (``module "eks" { ... }``) with its attributes and nested blocks."""

    type: str
    labels: tuple[str, ...]
    attributes: Mapping[str, Expr]
    blocks: tuple[Block, ...]
    file: HclFile
    line: int

    @property
    def title(self) -> str:
        """``module "eks"`` as written."""
        return " ".join([self.type, *(f'"{label}"' for label in self.labels)])

    @property
    def where(self) -> str:
        """``path:line``."""
        return f"{self.file.path}:{self.line}"


def _is_tree(node: Any) -> TypeGuard[Tree[Token]]:
    """A parse-tree node (Lark's tokens are strings, its trees are not)."""
    return not isinstance(node, str)


def _empty_body() -> Tree[Token]:
    from lark import Tree

    return Tree("body", [])


def _hcl2() -> Any:
    try:
        import hcl2
    except ImportError:  # pragma: no cover - a runtime dependency
        raise InvalidManifestError(
            "reading Terraform needs the python-hcl2 package: pip install python-hcl2"
        ) from None
    return hcl2


def _parse_tree(text: str, where: str) -> Tree[Token]:
    from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

    text = text.replace("\r\n", "\n")
    _yaml.check_size(text, where)
    try:
        tree: Tree[Token] = _hcl2().parses_to_tree(text)
    except UnexpectedCharacters as exc:
        raise InvalidManifestError(
            f"{where}:{exc.line}:{exc.column}: not valid HCL: unexpected character "
            f"{short_repr(exc.char)}"
        ) from None
    except UnexpectedToken as exc:
        got = "end of file" if exc.token.type == "$END" else short_repr(str(exc.token))
        raise InvalidManifestError(
            f"{where}:{exc.line}:{exc.column}: not valid HCL: unexpected {got}"
        ) from None
    except UnexpectedInput as exc:
        raise InvalidManifestError(
            f"{where}:{getattr(exc, 'line', '?')}:{getattr(exc, 'column', '?')}: not valid HCL"
        ) from None
    except (LarkError, RecursionError) as exc:
        raise InvalidManifestError(f"{where}: not valid HCL: {short_repr(str(exc))}") from None
    body = _trees(tree)
    return body[0] if body else _empty_body()


def parse_file(path: Path, text: str | None = None) -> HclFile:
    """Parse a ``.tf`` / ``.tfvars`` file (``text`` given, or read from ``path``)."""
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidManifestError(f"{path}: not UTF-8 text (byte {exc.start})") from None
        except OSError as exc:
            raise InvalidManifestError(f"{path}: cannot read: {exc.strerror}") from None
    text = text.replace("\r\n", "\n")
    return HclFile(path, text, _parse_tree(text, str(path)))


def _trees(node: Tree[Token]) -> list[Tree[Token]]:
    return [c for c in node.children if _is_tree(c) and c.data != "new_line_or_comment"]


def _name(node: Any) -> str:
    """The text of an identifier, keyword, literal_value or string label."""
    if isinstance(node, str):
        return str(node)
    if node.data == "string":
        return "".join(str(p.children[0]) for p in node.children if _is_tree(p) and p.children)
    return "".join(str(t) for t in node.scan_values(lambda v: isinstance(v, str)))


def blocks_and_attributes(body: Tree[Token], file: HclFile) -> tuple[dict[str, Expr], list[Block]]:
    """The attributes (by name) and blocks of a body."""
    attributes: dict[str, Expr] = {}
    blocks: list[Block] = []
    for node in _trees(body):
        if node.data == "attribute":
            kids = [c for c in node.children if _is_tree(c)]
            attributes[_name(kids[0])] = Expr(kids[-1], file)
        elif node.data == "block":
            head: list[str] = []
            inner: Tree[Token] | None = None
            for c in node.children:
                if _is_tree(c) and c.data == "body":
                    inner = c
                elif _is_tree(c) and c.data != "new_line_or_comment":
                    head.append(_name(c))
            attrs, nested = blocks_and_attributes(inner or _empty_body(), file)
            line = 0 if getattr(node.meta, "empty", True) else int(node.meta.line)
            blocks.append(Block(head[0], tuple(head[1:]), attrs, tuple(nested), file, line))
    return attributes, blocks


# ---------------------------------------------------------------------------------------------
# values


def _fmt_number(value: int | float) -> str:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    return str(value)


def to_str(value: Any) -> str:
    """Terraform's conversion to string (numbers and bools; null and collections fail)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _fmt_number(value)
    if value is None:
        raise EvalError("a null value cannot be used in a string")
    raise EvalError(f"a {_type_name(value)} cannot be converted to a string")


_NUMBER = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$")


def to_number(value: Any) -> int | float:
    """Terraform's conversion to number (numeric strings convert)."""
    if isinstance(value, bool):
        raise EvalError(f"a bool ({to_str(value)}) is not a number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        text = value.strip()
        number = float(text)
        if number.is_integer() and re.fullmatch(r"-?\d+", text):
            return int(text)
        return int(number) if number.is_integer() and abs(number) < 1e16 else number
    raise EvalError(f"{short_repr(value)} is not a number")


def to_bool(value: Any) -> bool:
    """Terraform's conversion to bool (``"true"`` / ``"false"`` convert)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    raise EvalError(f"{short_repr(value)} is not a bool")


def _type_name(value: Any) -> str:
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return "list"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "null" if value is None else type(value).__name__


def _arith(op: str, a: Any, b: Any) -> Any:
    x, y = to_number(a), to_number(b)
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if y == 0:
        raise EvalError("division by zero")
    if op == "/":
        if isinstance(x, int) and isinstance(y, int) and x % y == 0:
            return x // y
        return x / y
    # Terraform's % keeps the dividend's sign (truncated division)
    return math.fmod(x, y) if isinstance(x, float) or isinstance(y, float) else _int_mod(x, y)


def _int_mod(x: int, y: int) -> int:
    r = abs(x) % abs(y)
    return -r if x < 0 else r


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and bool(a == b)


# ---------------------------------------------------------------------------------------------
# namespaces (var, local, data, module, resources)


class _Namespace:
    """Something whose attributes are looked up by name (``var``, ``local``, ``data``...)."""

    def get(self, name: str) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError


class _Unknowns(_Namespace):
    """A namespace whose every member is unknown (``data.TYPE``, ``module``, a resource type)."""

    def __init__(self, prefix: str, reason: str, depth: int = 1) -> None:
        self.prefix = prefix
        self.reason = reason
        self.depth = depth

    def get(self, name: str) -> Any:
        ref = f"{self.prefix}.{name}"
        if self.depth > 1:
            return _Unknowns(ref, self.reason, self.depth - 1)
        return Unknown(ref, self.reason.format(ref=ref))


class _Dict(_Namespace):
    def __init__(self, prefix: str, values: Mapping[str, Any]) -> None:
        self.prefix = prefix
        self.values = values

    def get(self, name: str) -> Any:
        if name not in self.values:
            raise EvalError(f"{self.prefix}.{name} is not defined")
        return self.values[name]


_DATA_REASON = "{ref} is a data source, which podcap does not query"
_RESOURCE_REASON = "{ref} is a resource, known only once Terraform has created it"
_MODULE_REASON = "{ref} is another module, whose outputs podcap does not compute"


# ---------------------------------------------------------------------------------------------
# the module: variables, locals and the evaluator


@dataclass
class Variable:
    """A ``variable`` block."""

    name: str
    default: Expr | None
    type: str
    block: Block


@dataclass
class Module:
    """A Terraform module directory: its files, variables, locals and blocks.

    Parameters
    ----------
    directory : Path
        The module's directory (``path.module``).
    files : list of HclFile
        Its ``.tf`` files.
    values : mapping
        Variable values set from outside (tfvars files, the command line), by name.
    value_sources : mapping
        Where each of ``values`` came from (for messages).
    root : Path
        The root module's directory (``path.root``, ``path.cwd``).
    """

    directory: Path
    files: list[HclFile]
    values: Mapping[str, Any] = field(default_factory=dict)
    value_sources: Mapping[str, str] = field(default_factory=dict)
    root: Path | None = None
    variables: dict[str, Variable] = field(init=False)
    locals: dict[str, Expr] = field(init=False)
    blocks: list[Block] = field(init=False)
    _local_values: dict[str, Any] = field(init=False, default_factory=dict)
    _var_values: dict[str, Any] = field(init=False, default_factory=dict)
    _busy: set[str] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self.variables = {}
        self.locals = {}
        self.blocks = []
        for f in self.files:
            _, blocks = blocks_and_attributes(f.body, f)
            for b in blocks:
                if b.type == "variable" and b.labels:
                    type_expr = b.attributes.get("type")
                    self.variables[b.labels[0]] = Variable(
                        b.labels[0],
                        b.attributes.get("default"),
                        type_expr.text if type_expr is not None else "",
                        b,
                    )
                elif b.type == "locals":
                    self.locals.update(b.attributes)
                self.blocks.append(b)

    # -- references ---------------------------------------------------------------------------

    def var(self, name: str) -> Any:
        """The value of ``var.NAME`` (an :class:`Unknown` when it has none)."""
        if name in self._var_values:
            return self._var_values[name]
        spec = self.variables.get(name)
        if spec is None:
            close = difflib.get_close_matches(name, list(self.variables), n=1)
            hint = f" (did you mean var.{close[0]}?)" if close else ""
            raise EvalError(f"var.{name} is not declared by a variable block{hint}")
        if name in self.values:
            value = convert_to_type(self.values[name], spec.type, f"var.{name}")
        elif spec.default is not None:
            value = self.evaluate(spec.default)
            if not isinstance(value, Unknown):
                value = convert_to_type(value, spec.type, f"var.{name}")
        else:
            value = Unknown(
                f"var.{name}",
                f"variable {name!r} ({spec.block.where}) has no default and no value in "
                "terraform.tfvars or *.auto.tfvars",
                variable=name,
            )
        self._var_values[name] = value
        return value

    def local(self, name: str) -> Any:
        """The value of ``local.NAME``."""
        if name in self._local_values:
            return self._local_values[name]
        expr = self.locals.get(name)
        if expr is None:
            close = difflib.get_close_matches(name, list(self.locals), n=1)
            hint = f" (did you mean local.{close[0]}?)" if close else ""
            raise EvalError(f"local.{name} is not defined in a locals block{hint}")
        if name in self._busy:
            raise EvalError(f"local.{name} refers to itself")
        self._busy.add(name)
        try:
            value = self.evaluate(expr)
        finally:
            self._busy.discard(name)
        if isinstance(value, Unknown):
            value = value.within(expr.text)
        self._local_values[name] = value
        return value

    def _root_scope(self) -> dict[str, Any]:
        module_dir = str(self.directory)
        root = str(self.root or self.directory)
        module = self

        class _Var(_Namespace):
            def get(self, name: str) -> Any:
                return module.var(name)

        class _Local(_Namespace):
            def get(self, name: str) -> Any:
                return module.local(name)

        return {
            "var": _Var(),
            "local": _Local(),
            "data": _Unknowns("data", _DATA_REASON, depth=2),
            "module": _Unknowns("module", _MODULE_REASON, depth=1),
            "path": {"module": module_dir, "root": root, "cwd": root},
            "terraform": {"workspace": "default"},
        }

    # -- evaluation ---------------------------------------------------------------------------

    def evaluate(self, expr: Expr, bindings: Mapping[str, Any] | None = None) -> Any:
        """Evaluate an expression; wrong expressions raise :class:`EvalError`."""
        scope = self._root_scope()
        if bindings:
            scope.update(bindings)
        ctx = _Context(self, expr.file, scope)
        try:
            return ctx.eval(expr.tree)
        except RecursionError:
            raise EvalError("the expression is nested too deeply") from None


def convert_to_type(value: Any, type_text: str, what: str) -> Any:
    """Convert a variable's value to its primitive type constraint (string, number, bool)."""
    kind = type_text.strip()
    if isinstance(value, Unknown) or value is None:
        return value
    try:
        if kind == "number":
            return to_number(value)
        if kind == "bool":
            return to_bool(value)
        if kind == "string":
            return to_str(value)
    except EvalError as exc:
        raise EvalError(f"{what} must be a {kind}: {exc}") from None
    return value


def parse_value(text: str, type_text: str = "") -> Any:
    """A value given as text (``--var NAME=VALUE``), as Terraform reads ``-var``: a literal
    string for a variable of type string (or no type), otherwise an HCL expression of literals
    (``3``, ``["m5.large"]``, ``{a = 1}``); text that is not one is taken as a string."""
    if type_text.strip() in ("", "string"):
        return text
    try:
        tree = _parse_tree(f"__podcap_value = {text}\n", "<value>")
    except InvalidManifestError:
        return text
    nodes = _trees(tree)
    if len(nodes) != 1 or nodes[0].data != "attribute":
        return text
    file = HclFile(Path("<value>"), f"__podcap_value = {text}\n", tree)
    ctx = _Context(None, file, {})
    try:
        value = ctx.eval([c for c in nodes[0].children if _is_tree(c)][-1])
    except EvalError:
        return text
    return text if isinstance(value, Unknown) else value


def literal_values(file: HclFile) -> dict[str, Any]:
    """The assignments of a ``.tfvars`` file (literal values; references are errors)."""
    attributes, blocks = blocks_and_attributes(file.body, file)
    if blocks:
        raise InvalidManifestError(
            f"{blocks[0].where}: a .tfvars file holds only NAME = VALUE assignments, found a "
            f"{blocks[0].type} block"
        )
    out: dict[str, Any] = {}
    for name, expr in attributes.items():
        ctx = _Context(None, file, {})
        try:
            value = ctx.eval(expr.tree)
        except (EvalError, RecursionError) as exc:
            raise InvalidManifestError(
                f"{file.path}:{expr.line}: {name} = {expr.text}: {exc}"
            ) from None
        unknown = find_unknown(value)
        if unknown is not None:
            raise InvalidManifestError(
                f"{file.path}:{expr.line}: {name} = {expr.text}: a .tfvars file takes literal "
                f"values; {unknown.ref} cannot be evaluated here"
            )
        out[name] = value
    return out


# ---------------------------------------------------------------------------------------------
# the evaluator proper


_UNESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))", re.S)
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def _unescape(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        if m[1] or m[2]:
            return chr(int(m[1] or m[2], 16))
        if m[3] in _SIMPLE:
            return _SIMPLE[m[3]]
        raise EvalError(f"invalid escape sequence \\{m[3]} in a string")

    return _UNESCAPE.sub(one, text)


_HEREDOC = re.compile(r"^<<(-?)([A-Za-z][A-Za-z0-9._-]*)\n(.*?)\n?[ \t]*\2\n?$", re.S)


def _heredoc_body(token: str) -> str:
    m = _HEREDOC.match(token)
    if m is None:
        raise EvalError("malformed heredoc")
    body = m[3]
    if not body:
        return ""
    lines = body.split("\n")
    if m[1]:  # <<- strips the smallest indentation of the non-blank lines
        indents = [len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()]
        cut = min(indents) if indents else 0
        lines = [ln[cut:] if ln.strip() else ln.lstrip(" \t") for ln in lines]
    return "\n".join(lines) + "\n"


def _match_brace(text: str, start: int) -> int:
    """Index of the ``}`` closing a ``${`` whose content starts at ``start``."""
    depth = 0
    i = start
    quoted = False
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    raise EvalError("unterminated ${ in a template")


class _Steps:
    """The expression nodes one evaluation has visited (bounded by :data:`MAX_STEPS`)."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


class _Context:
    """Evaluates parse trees in a scope (the module's namespaces plus bound names)."""

    def __init__(
        self,
        module: Module | None,
        file: HclFile,
        scope: dict[str, Any],
        steps: _Steps | None = None,
    ) -> None:
        self.module = module
        self.file = file
        self.scope = scope
        self.steps = steps or _Steps()

    def child(self, bindings: Mapping[str, Any]) -> _Context:
        return _Context(self.module, self.file, {**self.scope, **bindings}, self.steps)

    def text(self, node: Tree[Token]) -> str:
        return Expr(node, self.file).text

    # -- dispatch -----------------------------------------------------------------------------

    def eval(self, node: Any) -> Any:
        if isinstance(node, str):
            raise EvalError(f"unexpected {short_repr(str(node))}")
        self.steps.count += 1
        if self.steps.count > MAX_STEPS:
            raise EvalError(
                f"the expression takes more than {MAX_STEPS:,} steps to evaluate; podcap stops"
            )
        method: Callable[[Tree[Token]], Any] | None = getattr(self, f"_{node.data}", None)
        if method is None:
            raise EvalError(f"podcap does not evaluate {node.data} expressions")
        return method(node)

    def _expr_term(self, node: Tree[Token]) -> Any:
        kids = _trees(node)
        return self.eval(kids[0])

    def _int_lit(self, node: Tree[Token]) -> Any:
        return int(str(node.children[0]))

    def _float_lit(self, node: Tree[Token]) -> Any:
        return to_number(str(node.children[0]))

    def _literal_value(self, node: Tree[Token]) -> Any:
        return {"true": True, "false": False, "null": None}[str(node.children[0])]

    def _identifier(self, node: Tree[Token]) -> Any:
        name = str(node.children[0])
        if name in self.scope:
            return self.scope[name]
        if name in ("true", "false", "null"):  # python-hcl2 8.1.0 parses these as names
            return {"true": True, "false": False, "null": None}[name]
        if self.module is None:
            raise EvalError(f"{name}: a reference is not allowed here, only literal values")
        if name in ("each", "count", "self"):
            raise EvalError(f"{name} is not available here")
        return _Unknowns(name, _RESOURCE_REASON)

    # -- collections --------------------------------------------------------------------------

    def _tuple(self, node: Tree[Token]) -> Any:
        out = []
        for kid in _trees(node):
            value = self.eval(kid)
            out.append(value.within(self.text(kid)) if isinstance(value, Unknown) else value)
        _check_size(len(out))
        return out

    def _object(self, node: Tree[Token]) -> Any:
        out: dict[str, Any] = {}
        for elem in _trees(node):
            key_node, value_node = [c for c in elem.children if _is_tree(c)][:2]
            key = self._object_key(key_node)
            if isinstance(key, Unknown):
                return key.used()
            value = self.eval(value_node)
            if isinstance(value, Unknown):
                value = value.within(self.text(value_node))
            out[key] = value
        return out

    def _object_key(self, node: Tree[Token]) -> Any:
        inner = _trees(node)[0] if _trees(node) else node
        if inner.data == "keyword":
            return _name(inner)
        if inner.data == "expr_term":
            kids = _trees(inner)
            if (
                len(kids) == 1
                and kids[0].data in ("identifier", "literal_value")
                and not any(isinstance(c, str) and c.type == "LPAR" for c in inner.children)
            ):
                return _name(kids[0])  # a bare name is the key itself
        key = self.eval(inner)
        return key if isinstance(key, Unknown) else to_str(key)

    # -- strings and templates ----------------------------------------------------------------

    def _string(self, node: Tree[Token]) -> Any:
        parts: list[str] = []
        for part in node.children:
            if not _is_tree(part):
                continue
            if not part.children:
                continue
            piece = part.children[0]
            if isinstance(piece, str):
                if piece.type == "ESCAPED_INTERPOLATION" or piece.type == "ESCAPED_DIRECTIVE":
                    parts.append(str(piece)[1:])
                else:
                    parts.append(_unescape(str(piece)))
            elif piece.data == "interpolation":
                value = self.eval(_trees(piece)[0])
                if isinstance(value, Unknown):
                    return value.used()
                parts.append(to_str(value))
            else:
                return Unknown(
                    self.text(node),
                    "podcap does not evaluate template directives (%{if}, %{for})",
                    grow=False,
                )
        return "".join(parts)

    def _template_string(self, node: Tree[Token]) -> Any:
        return _unescape(str(node.children[0])[2:-2])

    def _heredoc_template(self, node: Tree[Token]) -> Any:
        return self.template(_heredoc_body(str(node.children[0])))

    _heredoc_template_trim = _heredoc_template

    def template(self, text: str) -> Any:
        """Render a template (a heredoc's body, a ``templatefile``): ``${...}`` only."""
        out: list[str] = []
        i = 0
        plain = 0
        while i < len(text):
            if text.startswith(("$${", "%%{"), i):
                out.append(text[plain:i] + text[i + 1 : i + 3])
                i += 3
                plain = i
            elif text.startswith("${", i):
                end = _match_brace(text, i + 2)
                inner = text[i + 2 : end].strip().strip("~").strip()
                value = self.inline(inner)
                if isinstance(value, Unknown):
                    return value.used()
                out.append(text[plain:i] + to_str(value))
                i = end + 1
                plain = i
            elif text.startswith("%{", i):
                return Unknown(
                    f"%{{{text[i + 2 : i + 40]}...",
                    "podcap does not evaluate template directives (%{if}, %{for})",
                    grow=False,
                )
            else:
                i += 1
        out.append(text[plain:])
        return "".join(out)

    def inline(self, source: str) -> Any:
        """Evaluate an expression given as text (inside a heredoc ``${...}``)."""
        wrapped = f"__podcap_inline = {source}\n"
        try:
            tree = _parse_tree(wrapped, f"{self.file.path} (template)")
        except InvalidManifestError as exc:
            raise EvalError(f"invalid expression ${{{source}}} in a template: {exc}") from None
        nodes = _trees(tree)
        if len(nodes) != 1 or nodes[0].data != "attribute":
            raise EvalError(f"invalid expression ${{{source}}} in a template")
        expr = [c for c in nodes[0].children if _is_tree(c)][-1]
        inner = HclFile(self.file.path, wrapped, tree)
        return _Context(self.module, inner, self.scope, self.steps).eval(expr)

    # -- operators ----------------------------------------------------------------------------

    def _conditional(self, node: Tree[Token]) -> Any:
        cond_node, yes, no = _trees(node)
        cond = self.eval(cond_node)
        if isinstance(cond, Unknown):
            return cond.used()
        return self.eval(yes if to_bool(cond) else no)

    def _binary_op(self, node: Tree[Token]) -> Any:
        lhs_node, term = _trees(node)[:2]
        op_node, rhs_node = _trees(term)[:2]
        op = str(op_node.children[0])
        lhs = self.eval(lhs_node)
        if op in ("&&", "||"):
            if isinstance(lhs, Unknown):
                return lhs.used()
            left = to_bool(lhs)
            if op == "&&" and not left:
                return False
            if op == "||" and left:
                return True
            rhs = self.eval(rhs_node)
            return rhs.used() if isinstance(rhs, Unknown) else to_bool(rhs)
        rhs = self.eval(rhs_node)
        for side in (lhs, rhs):
            if isinstance(side, Unknown):
                return side.used()
        if op == "==":
            return _equal(lhs, rhs)
        if op == "!=":
            return not _equal(lhs, rhs)
        if op in ("<", ">", "<=", ">="):
            x, y = to_number(lhs), to_number(rhs)
            return {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]
        return _arith(op, lhs, rhs)

    def _unary_op(self, node: Tree[Token]) -> Any:
        op = str(node.children[0])
        value = self.eval(_trees(node)[0])
        if isinstance(value, Unknown):
            return value.used()
        if op == "!":
            return not to_bool(value)
        return -to_number(value)

    # -- traversals ---------------------------------------------------------------------------

    def _get_attr_expr_term(self, node: Tree[Token]) -> Any:
        base_node, attr = _trees(node)
        return self.attr(self.eval(base_node), _name(_trees(attr)[0]))

    def _index_expr_term(self, node: Tree[Token]) -> Any:
        base_node, index = _trees(node)
        return self.index(self.eval(base_node), self._key(index))

    def _key(self, index: Tree[Token]) -> Any:
        if index.data == "short_index":
            return int(str(index.children[-1]))
        return self.eval(_trees(index)[0])

    def attr(self, base: Any, name: str) -> Any:
        if isinstance(base, Unknown):
            return base.traverse(f".{name}")
        if isinstance(base, _Namespace):
            return base.get(name)
        if isinstance(base, Mapping):
            if name not in base:
                raise EvalError(f"the object has no attribute {name!r}")
            return base[name]
        raise EvalError(f"a {_type_name(base)} has no attribute {name!r}")

    def index(self, base: Any, key: Any) -> Any:
        if isinstance(key, Unknown):
            return key.used()
        if isinstance(base, Unknown):
            return base.traverse(f"[{json.dumps(key) if isinstance(key, str) else key}]")
        if isinstance(base, _Namespace):
            return base.get(to_str(key))
        if isinstance(base, Mapping):
            name = to_str(key)
            if name not in base:
                raise EvalError(f"the map has no key {name!r}")
            return base[name]
        if isinstance(base, list):
            pos = to_number(key)
            if not isinstance(pos, int) or not 0 <= pos < len(base):
                raise EvalError(f"index {key} is out of range for a list of {len(base)}")
            return base[pos]
        if base is None:
            raise EvalError("a null value cannot be indexed")
        raise EvalError(f"a {_type_name(base)} cannot be indexed")

    def _splat(self, node: Tree[Token]) -> Any:
        base_node, splat = _trees(node)
        base = self.eval(base_node)
        if isinstance(base, Unknown):
            return base.used()
        items = [] if base is None else base if isinstance(base, list) else [base]
        out = []
        for item in items:
            value = item
            for step in _trees(splat):
                if step.data == "get_attr":
                    value = self.attr(value, _name(_trees(step)[0]))
                else:
                    value = self.index(value, self._key(step))
            out.append(value)
        return out

    _attr_splat_expr_term = _splat
    _full_splat_expr_term = _splat

    # -- for expressions ----------------------------------------------------------------------

    def _for_intro(self, node: Tree[Token]) -> tuple[list[str], Any]:
        kids = _trees(node)
        names = [_name(k) for k in kids if k.data == "identifier"]
        collection = self.eval([k for k in kids if k.data != "identifier"][-1])
        return names, collection

    def _iterate(self, names: list[str], collection: Any) -> Iterator[_Context]:
        if isinstance(collection, Mapping):
            pairs: list[tuple[Any, Any]] = [(k, collection[k]) for k in sorted(collection)]
        elif isinstance(collection, list):
            pairs = list(enumerate(collection))
        else:
            raise EvalError(f"a for expression needs a list or map, got a {_type_name(collection)}")
        _check_size(len(pairs))
        for key, value in pairs:
            if len(names) == 1:
                yield self.child({names[0]: value})
            else:
                yield self.child({names[0]: key, names[1]: value})

    def _for_parts(self, node: Tree[Token]) -> tuple[Tree[Token], list[Tree[Token]], Any]:
        kids = _trees(node)
        intro = kids[0]
        cond = kids[-1] if kids[-1].data == "for_cond" else None
        body = [k for k in kids[1:] if k is not cond]
        return intro, body, cond

    def _for_tuple_expr(self, node: Tree[Token]) -> Any:
        intro, body, cond = self._for_parts(node)
        names, collection = self._for_intro(intro)
        if isinstance(collection, Unknown):
            return collection.used()
        out = []
        for ctx in self._iterate(names, collection):
            if cond is not None:
                keep = ctx.eval(_trees(cond)[0])
                if isinstance(keep, Unknown):
                    return keep.used()
                if not to_bool(keep):
                    continue
            out.append(ctx.eval(body[0]))
        return out

    def _for_object_expr(self, node: Tree[Token]) -> Any:
        intro, body, cond = self._for_parts(node)
        group = any(isinstance(c, str) and c.type == "ELLIPSIS" for c in node.children)
        names, collection = self._for_intro(intro)
        if isinstance(collection, Unknown):
            return collection.used()
        out: dict[str, Any] = {}
        for ctx in self._iterate(names, collection):
            if cond is not None:
                keep = ctx.eval(_trees(cond)[0])
                if isinstance(keep, Unknown):
                    return keep.used()
                if not to_bool(keep):
                    continue
            key = ctx.eval(body[0])
            if isinstance(key, Unknown):
                return key.used()
            name = to_str(key)
            value = ctx.eval(body[1])
            if group:
                out.setdefault(name, []).append(value)
            elif name in out:
                raise EvalError(f"duplicate key {name!r} in a for expression (use ... to group)")
            else:
                out[name] = value
        return out

    # -- functions ----------------------------------------------------------------------------

    def _function_call(self, node: Tree[Token]) -> Any:
        idents = [c for c in node.children if _is_tree(c) and c.data == "identifier"]
        name = _name(idents[0])
        if len(idents) > 1:
            return Unknown(
                f"{'::'.join(_name(i) for i in idents)}(...)",
                "podcap does not evaluate provider-defined functions",
                grow=False,
            )
        args_node = next((c for c in node.children if _is_tree(c) and c.data == "arguments"), None)
        arg_nodes = _trees(args_node) if args_node is not None else []
        expand = args_node is not None and any(
            isinstance(c, str) and c.type == "ELLIPSIS" for c in args_node.children
        )
        if name in ("try", "can"):
            return self._try(name, arg_nodes)
        if name in ("templatefile", "file", "fileexists"):
            args = [self.eval(a) for a in arg_nodes]
            return self._file_function(name, args, node)
        fn = FUNCTIONS.get(name)
        if fn is None:
            return Unknown(
                f"{name}(...)", f"podcap does not evaluate the function {name}()", grow=False
            )
        args = [self.eval(a) for a in arg_nodes]
        if expand and args:
            last = args.pop()
            if isinstance(last, Unknown):
                return last.used()
            if not isinstance(last, list):
                raise EvalError(f"{name}(...): the argument before ... must be a list")
            args.extend(last)
        if name not in _TAKES_UNKNOWN:
            for a in args:
                unknown = find_unknown(a) if name in _DEEP else a
                if isinstance(unknown, Unknown):
                    return unknown.used()
        try:
            return fn(*args)
        except EvalError as exc:
            raise EvalError(f"{name}(): {exc}") from None
        except (TypeError, ValueError, KeyError, IndexError, OverflowError) as exc:
            raise EvalError(f"{name}(): {short_repr(str(exc), 120)}") from None

    def _try(self, name: str, arg_nodes: list[Tree[Token]]) -> Any:
        if not arg_nodes:
            raise EvalError(f"{name}() needs at least one argument")
        if name == "can":
            try:
                value = self.eval(arg_nodes[0])
            except EvalError:
                return False
            return value.used() if isinstance(value, Unknown) else True
        last: EvalError | None = None
        for a in arg_nodes:
            try:
                value = self.eval(a)
            except EvalError as exc:
                last = exc
                continue
            return value.used() if isinstance(value, Unknown) else value
        raise EvalError(f"no argument of try() could be evaluated (last: {last})")

    def _file_function(self, name: str, args: list[Any], node: Tree[Token]) -> Any:
        for a in args:
            if isinstance(a, Unknown):
                return a.used()
        if not args or not isinstance(args[0], str):
            raise EvalError(f"{name}() needs a path")
        base = self.module.directory if self.module is not None else Path(".")
        path = Path(args[0])
        if not path.is_absolute():
            path = base / path
        root = (self.module.root or self.module.directory) if self.module is not None else base
        try:
            resolved = path.resolve()
            inside = resolved.is_relative_to(root.resolve())
        except OSError:
            inside = False
        if not inside:
            return Unknown(
                f"{name}({json.dumps(args[0])})",
                "podcap reads files only inside the Terraform directory it was given",
                grow=False,
            )
        if name == "fileexists":
            return resolved.is_file()
        try:
            text = resolved.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise EvalError(f"{name}(): cannot read {args[0]}") from None
        _yaml.check_size(text, str(resolved))
        if name == "file":
            return text
        variables = args[1] if len(args) > 1 else {}
        if not isinstance(variables, Mapping):
            raise EvalError("templatefile() takes a map of variables")
        unknown = find_unknown(variables)
        if unknown is not None:
            return unknown.used()
        ctx = _Context(
            self.module, HclFile(resolved, text, _empty_body()), dict(variables), self.steps
        )
        return ctx.template(text)


def _check_size(n: int) -> None:
    if n > MAX_ELEMENTS:
        raise EvalError(f"a collection of {n:,} elements is more than podcap evaluates")


# ---------------------------------------------------------------------------------------------
# functions (Terraform's names and behaviour)


def _list(value: Any, what: str = "argument") -> list[Any]:
    if isinstance(value, list):
        return value
    raise EvalError(f"the {what} must be a list, got a {_type_name(value)}")


def _map(value: Any, what: str = "argument") -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    raise EvalError(f"the {what} must be a map or object, got a {_type_name(value)}")


def _merge(*maps: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in maps:
        if m is None:
            continue
        out.update(_map(m))
    return out


def _concat(*lists: Any) -> list[Any]:
    out: list[Any] = []
    for item in lists:
        out.extend(_list(item))
    _check_size(len(out))
    return out


def _coalesce(*values: Any) -> Any:
    for v in values:
        if isinstance(v, Unknown):
            return v.used()
        if v is not None and v != "":
            return v
    raise EvalError("no non-null, non-empty argument")


def _coalescelist(*values: Any) -> Any:
    for v in values:
        if isinstance(v, Unknown):
            return v.used()
        if _list(v):
            return v
    return []


def _lookup(m: Any, key: Any, *default: Any) -> Any:
    mapping = _map(m)
    name = to_str(key)
    if name in mapping:
        return mapping[name]
    if default:
        return default[0]
    raise EvalError(f"no key {name!r} and no default")


def _json_ready(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _json_ready(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value


def _jsonencode(value: Any) -> str:
    return json.dumps(_json_ready(value), separators=(",", ":"), ensure_ascii=False)


def _jsondecode(text: Any) -> Any:
    try:
        return json.loads(to_str(text))
    except json.JSONDecodeError as exc:
        raise EvalError(f"not valid JSON: {exc.msg}") from None


def _yamlencode(value: Any) -> str:
    return yaml.safe_dump(_json_ready(value), default_flow_style=False, sort_keys=True)


def _yamldecode(text: Any) -> Any:
    try:
        return _yaml.load(to_str(text), "<yamldecode>")
    except yaml.YAMLError as exc:
        raise EvalError(f"not valid YAML: {short_repr(str(exc), 120)}") from None


def _toset(value: Any) -> list[Any]:
    seen: list[Any] = []
    for v in _list(value):
        if not any(_equal(v, s) for s in seen):
            seen.append(v)
    if all(isinstance(v, str) for v in seen):
        return sorted(seen)
    return seen


def _flatten(value: Any) -> list[Any]:
    out: list[Any] = []
    for v in _list(value):
        if isinstance(v, list):
            out.extend(_flatten(v))
        else:
            out.append(v)
    _check_size(len(out))
    return out


def _element(value: Any, index: Any) -> Any:
    items = _list(value)
    if not items:
        raise EvalError("element() of an empty list")
    return items[int(to_number(index)) % len(items)]


def _slice(value: Any, start: Any, end: Any) -> list[Any]:
    items = _list(value)
    a, b = int(to_number(start)), int(to_number(end))
    if not 0 <= a <= b <= len(items):
        raise EvalError(f"slice({a}, {b}) is out of range for a list of {len(items)}")
    return items[a:b]


def _length(value: Any) -> int:
    if isinstance(value, (str, list, Mapping)):
        return len(value)
    raise EvalError(f"a {_type_name(value)} has no length")


def _one(value: Any) -> Any:
    items = _list(value)
    if len(items) > 1:
        raise EvalError(f"one() of a list of {len(items)} elements")
    return items[0] if items else None


def _range(*args: Any) -> list[Any]:
    nums = [to_number(a) for a in args]
    start: int | float
    stop: int | float
    step: int | float
    if len(nums) == 1:
        start, stop, step = 0, nums[0], 1
    elif len(nums) == 2:
        start, stop, step = nums[0], nums[1], 1 if nums[1] >= nums[0] else -1
    elif len(nums) == 3:
        start, stop, step = nums
    else:
        raise EvalError("range() takes one to three numbers")
    if step == 0:
        raise EvalError("range() step must not be zero")
    count = max(0, math.ceil((stop - start) / step))
    _check_size(count)
    return [start + i * step for i in range(count)]


def _format(fmt: Any, *args: Any) -> str:
    text = to_str(fmt)
    values = list(args)
    out: list[str] = []

    def one(m: re.Match[str]) -> str:
        spec, verb = m[1] or "", m[2]
        if any(int(n) > MAX_FORMAT_WIDTH for n in re.findall(r"\d+", spec)):
            raise EvalError(f"format(): a field wider than {MAX_FORMAT_WIDTH:,} characters")
        if verb == "%":
            return "%"
        if not values:
            raise EvalError(f"format(): not enough arguments for {text!r}")
        v = values.pop(0)
        if verb == "d":
            return f"%{spec}d" % int(to_number(v))
        if verb == "f":
            return f"%{spec}f" % float(to_number(v))
        if verb == "q":
            return json.dumps(to_str(v))
        if verb in ("s", "v"):
            shown = _jsonencode(v) if isinstance(v, (list, Mapping)) else to_str(v)
            return f"%{spec}s" % shown
        raise EvalError(f"format(): unsupported verb %{verb}")

    out.append(re.sub(r"%([-+# 0]*\d*(?:\.\d+)?)?([a-z%])", one, text))
    return "".join(out)


def _replace(s: Any, old: Any, new: Any) -> Any:
    text, pattern, repl = to_str(s), to_str(old), to_str(new)
    if len(pattern) > 1 and pattern.startswith("/") and pattern.endswith("/"):
        # Terraform's regular expressions are RE2 (linear time); Python's backtrack
        return Unknown(
            f"replace(..., {json.dumps(pattern)}, ...)",
            "podcap does not evaluate regular expressions",
            grow=False,
        )
    return text.replace(pattern, repl)


def _substr(s: Any, offset: Any, length: Any) -> str:
    text = to_str(s)
    start, n = int(to_number(offset)), int(to_number(length))
    if start < 0:
        start = max(0, len(text) + start)
    return text[start:] if n < 0 else text[start : start + n]


def _split(sep: Any, s: Any) -> list[str]:
    text, separator = to_str(s), to_str(sep)
    if not separator:
        raise EvalError("split() needs a non-empty separator")
    return text.split(separator)


def _join(sep: Any, *lists: Any) -> str:
    return to_str(sep).join(to_str(v) for lst in lists for v in _list(lst))


def _trim(s: Any, chars: Any) -> str:
    return to_str(s).strip(to_str(chars))


def _keys(m: Any) -> list[str]:
    return sorted(_map(m))


def _values(m: Any) -> list[Any]:
    mapping = _map(m)
    return [mapping[k] for k in sorted(mapping)]


def _zipmap(keys: Any, values: Any) -> dict[str, Any]:
    ks, vs = _list(keys), _list(values)
    if len(ks) != len(vs):
        raise EvalError("zipmap() needs two lists of the same length")
    return {to_str(k): v for k, v in zip(ks, vs, strict=True)}


def _compact(value: Any) -> list[Any]:
    return [v for v in _list(value) if v is not None and v != ""]


def _distinct(value: Any) -> list[Any]:
    out: list[Any] = []
    for v in _list(value):
        if not any(_equal(v, o) for o in out):
            out.append(v)
    return out


def _contains(collection: Any, value: Any) -> bool:
    return any(_equal(v, value) for v in _list(collection))


def _cidrsubnet(prefix: Any, newbits: Any, netnum: Any) -> str:
    try:
        net = ipaddress.ip_network(to_str(prefix), strict=False)
    except ValueError as exc:
        raise EvalError(str(exc)) from None
    bits = int(to_number(newbits))
    num = int(to_number(netnum))
    new_prefix = net.prefixlen + bits
    if bits < 0 or new_prefix > net.max_prefixlen or not 0 <= num < 2**bits:
        raise EvalError(f"cannot make subnet {num} of {bits} new bits in {net}")
    size = 2 ** (net.max_prefixlen - new_prefix)
    address = int(net.network_address) + num * size
    return f"{ipaddress.ip_address(address)}/{new_prefix}"


def _cidrhost(prefix: Any, hostnum: Any) -> str:
    try:
        net = ipaddress.ip_network(to_str(prefix), strict=False)
    except ValueError as exc:
        raise EvalError(str(exc)) from None
    num = int(to_number(hostnum))
    if num < 0:
        num += net.num_addresses
    if not 0 <= num < net.num_addresses:
        raise EvalError(f"host {num} is not in {net}")
    return str(ipaddress.ip_address(int(net.network_address) + num))


def _base64decode(s: Any) -> str:
    try:
        return base64.b64decode(to_str(s), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise EvalError("not valid base64 of UTF-8 text") from None


def _tomap(value: Any) -> dict[str, Any]:
    return dict(_map(value))


def _tolist(value: Any) -> list[Any]:
    return list(_list(value))


def _numbers(args: Sequence[Any]) -> list[int | float]:
    values = [to_number(a) for a in args]
    if not values:
        raise EvalError("needs at least one number")
    return values


FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "abs": lambda n: abs(to_number(n)),
    "alltrue": lambda xs: all(to_bool(x) for x in _list(xs)),
    "anytrue": lambda xs: any(to_bool(x) for x in _list(xs)),
    "base64decode": _base64decode,
    "base64encode": lambda s: base64.b64encode(to_str(s).encode()).decode(),
    "basename": lambda s: to_str(s).rstrip("/").rsplit("/", 1)[-1],
    "ceil": lambda n: math.ceil(to_number(n)),
    "chomp": lambda s: to_str(s).rstrip("\r\n"),
    "cidrhost": _cidrhost,
    "cidrsubnet": _cidrsubnet,
    "coalesce": _coalesce,
    "coalescelist": _coalescelist,
    "compact": _compact,
    "concat": _concat,
    "contains": _contains,
    "dirname": lambda s: to_str(s).rstrip("/").rsplit("/", 1)[0] if "/" in to_str(s) else ".",
    "distinct": _distinct,
    "element": _element,
    "endswith": lambda s, suffix: to_str(s).endswith(to_str(suffix)),
    "flatten": _flatten,
    "floor": lambda n: math.floor(to_number(n)),
    "format": _format,
    "join": _join,
    "jsondecode": _jsondecode,
    "jsonencode": _jsonencode,
    "keys": _keys,
    "length": _length,
    "lookup": _lookup,
    "lower": lambda s: to_str(s).lower(),
    "max": lambda *ns: max(_numbers(ns)),
    "merge": _merge,
    "min": lambda *ns: min(_numbers(ns)),
    "one": _one,
    "range": _range,
    "replace": _replace,
    "reverse": lambda xs: list(reversed(_list(xs))),
    "slice": _slice,
    "sort": lambda xs: sorted(to_str(x) for x in _list(xs)),
    "split": _split,
    "startswith": lambda s, prefix: to_str(s).startswith(to_str(prefix)),
    "substr": _substr,
    "sum": lambda xs: sum(_numbers(_list(xs))),
    "title": lambda s: to_str(s).title(),
    "tobool": lambda v: None if v is None else to_bool(v),
    "tolist": _tolist,
    "tomap": _tomap,
    "tonumber": lambda v: None if v is None else to_number(v),
    "toset": _toset,
    "tostring": lambda v: None if v is None else to_str(v),
    "trim": _trim,
    "trimprefix": lambda s, p: to_str(s).removeprefix(to_str(p)),
    "trimspace": lambda s: to_str(s).strip(),
    "trimsuffix": lambda s, p: to_str(s).removesuffix(to_str(p)),
    "upper": lambda s: to_str(s).upper(),
    "values": _values,
    "yamldecode": _yamldecode,
    "yamlencode": _yamlencode,
    "zipmap": _zipmap,
}
# functions that look at unknown arguments themselves, and those whose arguments must be
# known all the way down (an encoding of an object with an unknown member is unknown)
_TAKES_UNKNOWN = frozenset({"coalesce", "coalescelist"})
_DEEP = frozenset({"jsonencode", "yamlencode", "format", "join", "sort", "flatten", "toset"})
