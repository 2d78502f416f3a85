"""Write a snapshot directory with ``kubectl get ... -o json`` (an edge).

podcap itself never calls a cloud or cluster API: this module runs the user's own ``kubectl``
(with their kubeconfig and context, as any command-line tool that wraps kubectl does) for the
objects :func:`podcap.io.snapshot.read_snapshot` reads, and writes each answer to a JSON file
that ``podcap simulate --cluster DIR`` reads back::

    podcap.io.kubectl.write_snapshot("snap", context="prod")
    podcap.read_cluster("snap")
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from podcap.errors import KubectlError, SnapshotWriteError

__all__ = ["SNAPSHOT_RESOURCES", "KubectlResource", "SnapshotFiles", "write_snapshot"]


@dataclass(frozen=True)
class KubectlResource:
    """One ``kubectl get`` of a snapshot.

    Attributes
    ----------
    file : str
        The file it is written to in the snapshot directory.
    resource : str
        The resource as kubectl names it (``resource[.version.group]``).
    all_namespaces : bool
        Whether the objects are namespaced (``--all-namespaces``).
    optional : bool
        Whether a cluster may lack the resource type (a CRD that is not installed): then it
        is left out with a note; a core type that is missing is an error.
    """

    file: str
    resource: str
    all_namespaces: bool = False
    optional: bool = False


#: The objects podcap reads from a cluster (:func:`podcap.io.snapshot.read_snapshot`): nodes,
#: the pods already running, LimitRanges and ResourceQuotas (admission of the new pods),
#: PriorityClasses (their priorities), and Karpenter's v1 NodePools and EC2NodeClasses when
#: Karpenter's CRDs are installed.
SNAPSHOT_RESOURCES: tuple[KubectlResource, ...] = (
    KubectlResource("nodes.json", "nodes"),
    KubectlResource("pods.json", "pods", all_namespaces=True),
    KubectlResource("limitranges.json", "limitranges", all_namespaces=True),
    KubectlResource("resourcequotas.json", "resourcequotas", all_namespaces=True),
    KubectlResource("priorityclasses.json", "priorityclasses.scheduling.k8s.io"),
    KubectlResource("nodepools.json", "nodepools.v1.karpenter.sh", optional=True),
    KubectlResource("ec2nodeclasses.json", "ec2nodeclasses.v1.karpenter.k8s.aws", optional=True),
)

# kubectl's message for a resource type the API server does not serve
# (k8s.io/cli-runtime resource builder, "the server doesn't have a resource type %q").
_NO_TYPE = "the server doesn't have a resource type"


@dataclass
class SnapshotFiles:
    """What :func:`write_snapshot` wrote.

    Attributes
    ----------
    directory : pathlib.Path
    files : list of pathlib.Path
        The JSON files written, one per resource the cluster has.
    items : dict of str to int
        Objects per file name.
    notes : list of str
        Resources left out (a CRD that is not installed), and other files in the directory
        that ``--cluster DIR`` reads too.
    """

    directory: Path
    files: list[Path] = field(default_factory=list)
    items: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _command(
    kubectl: str, res: KubectlResource, context: str | None, kubeconfig: str | None
) -> list[str]:
    cmd = [kubectl]
    if kubeconfig is not None:
        cmd += ["--kubeconfig", kubeconfig]
    if context is not None:
        cmd += ["--context", context]
    cmd += ["get", res.resource]
    if res.all_namespaces:
        cmd.append("--all-namespaces")
    return [*cmd, "-o", "json"]


def _resolve(kubectl: str) -> str:
    """The kubectl executable: a path, or a name looked up on PATH."""
    if os.sep in kubectl or (os.altsep and os.altsep in kubectl):
        if not (os.path.isfile(kubectl) and os.access(kubectl, os.X_OK)):
            raise KubectlError(
                f"kubectl not found: {kubectl} is not an executable file (give --kubectl PATH)"
            )
        return kubectl
    found = shutil.which(kubectl)
    if found is None:
        raise KubectlError(
            f"kubectl not found: no {kubectl!r} on PATH; install kubectl or give its path with "
            "--kubectl PATH"
        )
    return found


def _directory(directory: str | os.PathLike[str]) -> Path:
    path = Path(directory)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise SnapshotWriteError(
            f"{path}: exists and is not a directory; give a directory for the snapshot"
        ) from None
    except OSError as exc:
        raise SnapshotWriteError(
            f"{path}: cannot create the snapshot directory: {exc.strerror or exc}"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise SnapshotWriteError(f"{path}: the snapshot directory is not writable")
    return path


def _stderr_text(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace").strip()
    return text if len(text) <= 2000 else text[:1997] + "..."


def _get(
    cmd: list[str],
    res: KubectlResource,
    path: Path,
    shown: str,
    kept: list[tuple[Path, Path]],
) -> tuple[int | None, str | None]:
    """Run one ``kubectl get`` into a temporary file beside ``path``, appended to ``kept``
    with ``path`` when it holds a JSON List.

    Returns (objects, None), or (None, note) for an optional resource the cluster lacks.
    """
    try:
        fd, partial = tempfile.mkstemp(prefix=f".{res.file}.", dir=path.parent)
    except OSError as exc:
        raise SnapshotWriteError(f"{path.parent}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                proc = subprocess.run(
                    cmd, stdout=out, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, check=False
                )
            except OSError as exc:
                raise KubectlError(f"{shown}: cannot run kubectl: {exc.strerror or exc}") from None
        if proc.returncode != 0:
            err = _stderr_text(proc.stderr)
            if _NO_TYPE in err:
                if res.optional:
                    return None, (
                        f"{res.resource}: not served by this cluster (no Karpenter v1 CRD), "
                        f"{res.file} not written"
                    )
                raise KubectlError(
                    f"{shown}: the cluster has no resource type {res.resource!r}, which podcap "
                    f"reads from every cluster: {err}"
                )
            raise KubectlError(
                f"{shown} failed (exit status {proc.returncode}): {err or 'no error output'}"
            )
        try:
            with open(partial, "rb") as f:
                doc = json.load(f)
        except (ValueError, UnicodeDecodeError) as exc:
            raise KubectlError(f"{shown}: kubectl did not print JSON: {exc}") from None
        items = doc.get("items") if isinstance(doc, dict) else None
        if not isinstance(items, list):
            raise KubectlError(
                f"{shown}: expected a List with items from kubectl, got "
                f"{type(doc).__name__ if not isinstance(doc, dict) else doc.get('kind', 'an object')}"
            )
        kept.append((Path(partial), path))  # renamed once every kubectl get has succeeded
        return len(items), None
    finally:
        if not any(str(k) == partial for k, _ in kept) and os.path.exists(partial):
            os.unlink(partial)


def write_snapshot(
    directory: str | os.PathLike[str],
    *,
    kubectl: str = "kubectl",
    context: str | None = None,
    kubeconfig: str | None = None,
    resources: Sequence[KubectlResource] = SNAPSHOT_RESOURCES,
) -> SnapshotFiles:
    """Run ``kubectl get ... -o json`` for the objects podcap reads and write a snapshot
    directory that :func:`podcap.read_cluster` (``--cluster DIR``) reads.

    The directory is written whole or not at all: kubectl's output goes to temporary files in
    the directory, each checked to be a JSON List, and they replace the old files only once
    every ``kubectl get`` has succeeded.  A resource the cluster does not serve
    is an error for the core kinds; Karpenter's NodePools and EC2NodeClasses are left out with
    a note (and a file of theirs from an earlier snapshot is removed).

    Parameters
    ----------
    directory : path
        Created if missing.
    kubectl : str
        The kubectl executable: a name looked up on ``PATH`` or a path.
    context, kubeconfig : str, optional
        kubectl's ``--context`` and ``--kubeconfig``.
    resources : sequence of KubectlResource
        What to get; default :data:`SNAPSHOT_RESOURCES`.

    Returns
    -------
    SnapshotFiles

    Raises
    ------
    KubectlError
        kubectl is not found or cannot run, a ``kubectl get`` fails (its error output is in the
        message), a core resource type is missing, or kubectl prints no JSON List.
    SnapshotWriteError
        The directory cannot be created or written.
    """
    exe = _resolve(kubectl)
    path = _directory(directory)
    written = SnapshotFiles(path)
    kept: list[tuple[Path, Path]] = []
    stale: list[Path] = []
    try:
        for res in resources:
            cmd = _command(exe, res, context, kubeconfig)
            shown = " ".join([kubectl, *cmd[1:]])
            target = path / res.file
            count, note = _get(cmd, res, target, shown, kept)
            if note is not None:
                written.notes.append(note)
                stale.append(target)
                continue
            written.files.append(target)
            written.items[res.file] = int(count or 0)
    except BaseException:
        for partial, _ in kept:  # a failed snapshot leaves the directory as it was
            partial.unlink(missing_ok=True)
        raise
    # every kubectl get succeeded: the files replace the old ones together
    umask = os.umask(0)
    os.umask(umask)
    for partial, target in kept:
        try:
            os.chmod(partial, 0o666 & ~umask)
            os.replace(partial, target)
        except OSError as exc:
            raise SnapshotWriteError(f"{target}: cannot write: {exc.strerror or exc}") from None
    for target in stale:
        target.unlink(missing_ok=True)
    ours = {res.file for res in resources}
    others = sorted(
        p.name
        for p in [*path.glob("*.json"), *path.glob("*.yaml"), *path.glob("*.yml")]
        if p.name not in ours
    )
    if others:
        written.notes.append(
            f"{path} also holds {', '.join(others[:10])}{' ...' if len(others) > 10 else ''}, "
            "which --cluster reads with the snapshot"
        )
    return written
