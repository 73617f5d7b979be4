"""Split index files shared by every model of a benchmark cell (and by peers such as chemprop).

A split is written once to ``<splits_dir>/<dataset>_<split>_<seed>.json`` (the JSON of
:class:`drugscreen.data.splits.Split`: index arrays into the loaded
:class:`~drugscreen.data.MoleculeDataset`, not data) and reused by every later run, so our
models, the baselines and chemprop are trained and tested on identical molecules. The
file's SHA-256 goes into each run record.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from drugscreen.exceptions import DatasetError

logger = logging.getLogger(__name__)

__all__ = ["file_sha256", "get_split", "split_path"]


def split_path(splits_dir: str | Path, dataset: str, kind: str, seed: int) -> Path:
    """``<splits_dir>/<dataset>_<kind>_<seed>.json``."""
    return Path(splits_dir) / f"{dataset}_{kind}_{seed}.json"


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def get_split(
    dataset: Any,
    kind: str,
    seed: int,
    splits_dir: str | Path,
    sizes: tuple[float, float, float] = (0.8, 0.1, 0.1),
    *,
    remake_on_change: bool = False,
) -> tuple[Any, Path, str]:
    """Load the committed split file of a cell, or make and write it the first time.

    Parameters
    ----------
    dataset
        The loaded :class:`~drugscreen.data.MoleculeDataset`.
    kind
        ``"scaffold"`` (deterministic; the seed does not change it), ``"balanced_scaffold"``
        or ``"random"``.
    seed
        Seed of the split (and of the models trained on it).
    splits_dir
        Folder of split files.
    sizes
        Train/valid/test fractions, used only when the file is made.
    remake_on_change
        Remake (and overwrite) an existing file made from other data (its recorded data
        sha256 differs) instead of reusing its indices: a user's table that was edited since
        (its rows may have moved, so the indices would pick other molecules).

    Returns
    -------
    (Split, Path, str)
        The split, its file and the file's SHA-256.

    Raises
    ------
    DatasetError
        When an existing split file refers to molecules the dataset does not have (the
        dataset changed since the split was written).
    """
    from drugscreen.data.splits import Split, make_split

    path = split_path(splits_dir, dataset.name, kind, seed)
    if remake_on_change and path.exists():
        meta = Split.load(path).meta
        want = meta.get("data_sha256")
        if want != dataset.sha256:
            logger.info("split file %s was made from other %s data (sha256 %s...); remaking it for this copy (%s...)",
                        path, dataset.name, str(want)[:12], dataset.sha256[:12])
            path.unlink()
        elif meta.get("n", len(dataset)) != len(dataset):  # the same file read into other molecules
            logger.info("split file %s covers %s molecules of this file, which now gives %d (read with other options, "
                        "or by another drugscreen version?); remaking it", path, meta.get("n"), len(dataset))
            path.unlink()
    if path.exists():
        made_with = tuple(Split.load(path).sizes)
        if made_with and any(abs(float(a) - float(b)) > 1e-9 for a, b in zip(made_with, sizes, strict=False)):
            if remake_on_change:
                logger.info("split file %s was made with sizes %s; remaking it with %s", path, list(made_with), list(sizes))
                path.unlink()
            else:
                raise DatasetError(
                    f"split file {path} was made with sizes {list(made_with)}, but the config asks for {list(sizes)}; "
                    "its cells would silently keep the old fractions: delete the file, or give the config its own splits_dir"
                )
    if path.exists():
        split = Split.load(path)
        n = len(dataset)
        top = max((int(a.max()) for a in (split.train, split.valid, split.test) if len(a)), default=-1)
        total = len(split.train) + len(split.valid) + len(split.test)
        want = split.meta.get("data_sha256")
        if want and want != dataset.sha256:
            logger.warning(
                "split file %s was made from %s data sha256 %s..., this copy is %s...; the indices "
                "still fit, but check the molecules are the same", path, dataset.name, want[:12], dataset.sha256[:12],
            )
        if top >= n or total != n:
            raise DatasetError(
                f"split file {path} covers {total} molecules (max index {top}) but {dataset.name} "
                f"has {n}; the dataset changed since the split was written — delete the file to remake it"
            )
        logger.debug("reusing split %s", path)
    else:
        split = make_split(kind, dataset, seed=seed, sizes=sizes)
        path.parent.mkdir(parents=True, exist_ok=True)
        split.save(path)
        logger.info("wrote split %s (%d/%d/%d)", path, len(split.train), len(split.valid), len(split.test))
    return split, path, file_sha256(path)
