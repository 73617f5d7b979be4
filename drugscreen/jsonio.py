"""JSON files written by drugscreen: strict JSON that any parser reads.

Python's :mod:`json` writes a missing number (NaN) as the bare token ``NaN`` and an infinite one
as ``Infinity``. Neither is JSON: ``jq``, JavaScript's ``JSON.parse``, Go, Rust's serde and
many other readers refuse the whole file. Every JSON file the project writes (bundle configs,
metrics, run records, evidence files, screening manifests) goes through :func:`dumps`, which
writes non-finite numbers as ``null`` and numpy values as plain numbers and lists. Readers of
figures treat ``null`` as "no value" (:func:`number` turns it back into NaN).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["dumps", "jsonable", "number", "write_json"]


def jsonable(obj: Any, fallback: Callable[[Any], Any] | None = None) -> Any:
    """``obj`` with every value JSON can hold as is: non-finite floats become ``None``,
    numpy scalars and arrays plain numbers and lists, paths strings, tuples lists.

    Parameters
    ----------
    obj
        Nested dicts, lists and tuples of plain values, numpy values and paths.
    fallback
        Called on any other value (``str`` to write its text); without it such a value raises
        :class:`TypeError`, naming its type.
    """
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is None or isinstance(obj, (str, bool, int)):
        return obj
    if isinstance(obj, dict):
        return {str(k) if not isinstance(k, str) else k: jsonable(v, fallback) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v, fallback) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    import numpy as np

    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return jsonable(float(obj))
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist(), fallback)
    if fallback is not None:
        return fallback(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def dumps(obj: Any, indent: int | None = 1, sort_keys: bool = False, fallback: Callable[[Any], Any] | None = None) -> str:
    """Strict JSON text of ``obj`` (see :func:`jsonable`); never writes ``NaN`` or ``Infinity``."""
    return json.dumps(jsonable(obj, fallback), indent=indent, sort_keys=sort_keys, allow_nan=False)


def write_json(
    path: str | Path, obj: Any, indent: int | None = 1, sort_keys: bool = False, fallback: Callable[[Any], Any] | None = None
) -> Path:
    """Write ``obj`` as strict JSON to ``path`` atomically (a temporary file, then a rename), with
    a final newline; parent folders are created."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(dumps(obj, indent=indent, sort_keys=sort_keys, fallback=fallback) + "\n")
    os.replace(tmp, path)
    return path


def number(value: Any) -> float:
    """A figure read from a JSON file as a float: ``None`` (a missing value) becomes NaN."""
    return float("nan") if value is None else float(value)
