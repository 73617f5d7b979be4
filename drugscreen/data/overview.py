"""Summaries of the registered datasets for people (``drugscreen datasets list|info``)."""

from __future__ import annotations

import logging
import os
import zlib
from typing import Any

from drugscreen.data.catalog import DATASETS, get_spec
from drugscreen.data.files import count_data_rows, is_available, resolve_data_dir, sha256_file
from drugscreen.data.specs import DatasetSpec

__all__ = ["affinity_counts", "dataset_info", "list_datasets"]

logger = logging.getLogger(__name__)

#: Where the sizes of an affinity dataset come from (``counts`` of :func:`list_datasets`).
COUNTS_LOCAL = "local files"
COUNTS_REGISTRY = "registry"


def affinity_counts(
    spec: DatasetSpec, data_dir: str | os.PathLike[str] | None = None
) -> tuple[dict[str, int | None], str]:
    """Measured pairs, drugs and targets of an affinity dataset, and where they come from.

    With the dataset's files on disk, the counts are those of the local files: the registry's
    recorded counts when a file's sha256 is the recorded one (hashing a file is much cheaper
    than decompressing it), else its lines after the header (a converted DeepDTA download
    holds more targets than the shared copy). Nothing is parsed: no SMILES, no numbers. Without
    the files (not downloaded) the counts are the registry's reference copy.

    Parameters
    ----------
    spec
        An affinity dataset (``spec.kind == "affinity"``; files ``drugs``, ``targets``,
        ``affinities`` in that order).
    data_dir
        The data directory (see :func:`~drugscreen.data.files.resolve_data_dir`).

    Returns
    -------
    tuple
        ``({"pairs": n, "drugs": n, "targets": n}, source)`` with ``source`` either
        :data:`COUNTS_LOCAL` or :data:`COUNTS_REGISTRY`. A local file that cannot be read gives
        ``None`` for its count, with a logged warning; listing never fails on it.
    """
    drugs, targets, pairs = spec.files
    reference = {"pairs": pairs.rows, "drugs": drugs.rows, "targets": targets.rows}
    if not is_available(spec, data_dir):
        return reference, COUNTS_REGISTRY
    root = resolve_data_dir(data_dir)
    counts: dict[str, int | None] = {}
    for key, entry in zip(("drugs", "targets", "pairs"), spec.files, strict=True):
        path = root / entry.path
        try:
            if entry.rows is not None and sha256_file(path) in entry.sha256.values():
                counts[key] = entry.rows
            else:
                counts[key] = count_data_rows(path)
        except (OSError, EOFError, zlib.error) as exc:
            logger.warning("%s: cannot count the rows of %s (%s)", spec.name, path, exc)
            counts[key] = None
    return {k: counts[k] for k in ("pairs", "drugs", "targets")}, COUNTS_LOCAL


def list_datasets(data_dir: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """One row per registered dataset: name, kind, category, rows, tasks, type, available.

    ``available`` is True when the files are in the data directory (or shipped with the
    package), i.e. loading needs no download. Affinity datasets also have ``pairs``, ``drugs``
    and ``targets`` (``rows`` = ``pairs``) and ``counts``, where those come from: the local
    files when available, else the registry's reference copy (see :func:`affinity_counts`);
    the other datasets have None there. ``rows`` of the others is the registry's.
    """
    rows = []
    for name in DATASETS.names():
        spec = DATASETS.get(name)
        available = is_available(spec, data_dir)
        sizes: dict[str, int | None] = {"pairs": None, "drugs": None, "targets": None}
        source = None
        n_rows = spec.rows
        if spec.kind == "affinity":
            sizes, source = affinity_counts(spec, data_dir)
            n_rows = sizes["pairs"]
        rows.append(
            {
                "name": spec.name,
                "kind": spec.kind,
                "category": spec.category,
                "rows": n_rows,
                **sizes,
                "counts": source,
                "tasks": spec.n_tasks,
                "task_type": spec.task_type or "-",
                "available": available,
                "description": spec.description,
            }
        )
    return rows


def dataset_info(name: str, data_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Everything the registry records about ``name``, plus where its files are expected."""
    spec = get_spec(name)
    info = spec.to_dict()
    root = resolve_data_dir(data_dir)
    info["data_dir"] = str(root)
    info["available"] = is_available(spec, data_dir)
    for f in info["files"]:
        f["local_path"] = (
            str(root / f["path"]) if spec.kind != "library" else "(shipped in package)"
        )
    return info
