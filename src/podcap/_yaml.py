"""Safe, bounded YAML with Kubernetes' semantics (one loader for every file podcap reads).

* Only plain data is constructed (no Python tags); a bare ``=`` is the string ``"="`` as kubectl
  reads it (PyYAML would take it for the YAML 1.1 ``value`` tag and fail).
* Limits, each raised by an environment variable named in its error:
  input size (``PODCAP_MAX_INPUT_BYTES``, default 64 MiB), nesting depth
  (``PODCAP_MAX_YAML_DEPTH``, default 200), and the number of nodes a document expands to
  through aliases (``PODCAP_MAX_YAML_NODES``, default 5,000,000; a few hundred bytes of nested
  aliases, a "billion laughs", expand to more than any manifest has).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import yaml

from podcap.errors import InvalidManifestError

__all__ = ["YAMLError", "check_size", "load", "load_all"]

YAMLError = yaml.YAMLError
_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_VALUE_TAG = "tag:yaml.org,2002:value"


class _Loader(_BASE):  # type: ignore[misc]
    """SafeLoader without the YAML 1.1 ``=`` (value) resolver."""


# YAML 1.1's int and float forms without the base-60 ones (``1:30`` = 90): kubectl's parser
# reads those as strings.
_INT = re.compile(
    r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"
)
_FLOAT = re.compile(
    r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


def _no_base60(tag: str, regexp: re.Pattern[str]) -> re.Pattern[str]:
    if tag == "tag:yaml.org,2002:int":
        return _INT
    if tag == "tag:yaml.org,2002:float":
        return _FLOAT
    return regexp


_Loader.yaml_implicit_resolvers = {
    first: [(tag, _no_base60(tag, regexp)) for tag, regexp in resolvers if tag != _VALUE_TAG]
    for first, resolvers in _BASE.yaml_implicit_resolvers.items()
}


def _limit(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidManifestError(
            f"environment variable {name}={raw!r}: expected a whole number"
        ) from None
    if value < 1:
        raise InvalidManifestError(f"environment variable {name}={raw!r}: expected a number >= 1")
    return value


def check_size(text: str | bytes, source: str) -> None:
    """Refuse input above the size limit."""
    limit = _limit("PODCAP_MAX_INPUT_BYTES", 64 << 20)
    size = len(text)
    if size > limit:
        raise InvalidManifestError(
            f"{source}: {size:,} bytes is more than the input limit of {limit:,} bytes; "
            "set PODCAP_MAX_INPUT_BYTES to raise it"
        )


def _check_graph(node: yaml.Node, source: str, index: int) -> None:
    """Depth and expanded size of a composed document (aliases counted each time used)."""
    max_depth = _limit("PODCAP_MAX_YAML_DEPTH", 200)
    max_nodes = _limit("PODCAP_MAX_YAML_NODES", 5_000_000)
    sizes: dict[int, int] = {}
    # iterative post-order walk with memoised subtree sizes (shared through anchors)
    stack: list[tuple[yaml.Node, int, bool]] = [(node, 1, False)]
    on_path: set[int] = set()
    while stack:
        current, depth, done = stack.pop()
        key = id(current)
        if done:
            on_path.discard(key)
            total = 1
            for child in _children(current):
                total += sizes[id(child)]
                if total > max_nodes:
                    raise InvalidManifestError(
                        f"{source}, document {index}: expands to more than {max_nodes:,} YAML "
                        "nodes through aliases; set PODCAP_MAX_YAML_NODES to raise the limit"
                    )
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if depth > max_depth:
            raise InvalidManifestError(
                f"{source}, document {index}: nested deeper than {max_depth} levels; set "
                "PODCAP_MAX_YAML_DEPTH to raise the limit"
            )
        if key in on_path:
            raise InvalidManifestError(f"{source}, document {index}: a YAML alias refers to itself")
        on_path.add(key)
        stack.append((current, depth, True))
        for child in _children(current):
            if id(child) not in sizes:
                stack.append((child, depth + 1, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def load_all(text: str, source: str) -> Iterator[Any]:
    """The documents of a YAML stream, as plain data; bounded as the module says."""
    check_size(text, source)
    loader = _Loader(text)
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                _check_graph(node, source, index)
                yield loader.construct_document(node)
            else:
                yield None
            index += 1
    finally:
        loader.dispose()


def load(text: str, source: str) -> Any:
    """One YAML document (the first; None for an empty stream)."""
    for doc in load_all(text, source):
        return doc
    return None
