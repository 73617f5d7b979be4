"""Summaries of the registered datasets for people (``drugscreen datasets list|info``)."""

from __future__ import annotations

import os
from typing import Any

from drugscreen.data.catalog import DATASETS, get_spec
from drugscreen.data.files import is_available, resolve_data_dir

__all__ = ["dataset_info", "list_datasets"]


def list_datasets(data_dir: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """One row per registered dataset: name, kind, category, rows, tasks, type, available.

    ``available`` is True when the files are in the data directory (or shipped with the
    package), i.e. loading needs no download.
    """
    rows = []
    for name in DATASETS.names():
        spec = DATASETS.get(name)
        rows.append(
            {
                "name": spec.name,
                "kind": spec.kind,
                "category": spec.category,
                "rows": spec.rows,
                "tasks": spec.n_tasks,
                "task_type": spec.task_type or "-",
                "available": is_available(spec, data_dir),
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
