"""Errors and warnings raised by podcap.

Every error derives from :class:`PodcapError`; the specific ones also derive from the matching
builtin (``KeyError``, ``ValueError``, ``TypeError``) so callers can catch either.  Messages say
what was wrong, where (file, document index, field path) and what is valid.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

__all__ = [
    "InstanceTableError",
    "InvalidManifestError",
    "InvalidOptionError",
    "InvalidQuantityError",
    "InvalidSpecError",
    "KubectlError",
    "MissingInstanceDataError",
    "PodcapError",
    "PodcapWarning",
    "SimulationTooLargeError",
    "SnapshotWriteError",
    "UnknownInstanceTypeError",
]


class PodcapError(Exception):
    """Base class of every error podcap raises on purpose."""


class PodcapWarning(UserWarning):
    """Base class of podcap's warnings (skipped objects, unknown fields, approximations)."""


def short_repr(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for messages about hostile values (a label
    or a quantity can be megabytes long)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class UnknownInstanceTypeError(KeyError, PodcapError):
    """An instance type name is not in the instance table."""

    def __init__(self, names: Sequence[str], known: Iterable[str], *, where: str = "") -> None:
        known_list = list(known)
        parts = []
        for name in list(names)[:10]:
            close = difflib.get_close_matches(str(name), known_list, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            parts.append(f"unknown instance type {name!r}{hint}")
        if len(names) > 10:
            parts.append(f"... and {len(names) - 10} more unknown instance types")
        self.names = list(names)
        self.known = known_list
        prefix = f"{where}: " if where else ""
        super().__init__(prefix + "; ".join(parts))

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class InvalidQuantityError(ValueError, PodcapError):
    """A Kubernetes quantity ("100m", "512Mi") could not be parsed or is out of range."""


class InvalidOptionError(ValueError, TypeError, PodcapError):
    """An unknown policy, overhead model or option name, or an invalid option value."""


class MissingInstanceDataError(ValueError, PodcapError):
    """The instance table lacks a value a calculation needs (e.g. vCPUs of a rare type)."""


class InvalidSpecError(ValueError, PodcapError):
    """A spec object (node group, CNI settings, workload) has an invalid field."""


class InstanceTableError(ValueError, PodcapError):
    """An instance table file is malformed (missing field, wrong type, bad schema version)."""


class InvalidManifestError(ValueError, PodcapError):
    """A Kubernetes manifest or cluster file is malformed."""


class SimulationTooLargeError(MemoryError, PodcapError):
    """A simulation's arrays would not fit in memory; raised before they are allocated
    (see :func:`podcap.check_simulation_size`)."""


class KubectlError(RuntimeError, PodcapError):
    """``podcap snapshot``: kubectl is not found, or a ``kubectl get`` fails (the message
    carries kubectl's error output)."""


class SnapshotWriteError(OSError, PodcapError):
    """``podcap snapshot``: the snapshot directory cannot be created or written."""
