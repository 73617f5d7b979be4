"""Training data: datasets loaded, split, featurized (cached) and joined into one table.

A run trains on one dataset or on several at once (a panel). Each dataset keeps its own
split (the deterministic scaffold split by default). The joint training set is the union of
the datasets' training parts *minus* every molecule (standardized SMILES) that appears in
any dataset's validation or test part, so nothing leaks across datasets. Each row carries
labels only for its own dataset's tasks (NaN elsewhere).

Graph featurization and ECFP4 bits are computed once per dataset file and cached as plain
numpy archives (``np.load(allow_pickle=False)``) under ``~/.cache/drugscreen/features``.
The cheap RDKit descriptors (``fast_descriptors``) are computed too (cached in their own
archive, so graph caches stay valid): their range over each dataset's training molecules is
recorded for the applicability domain (:attr:`TrainingData.descriptor_ranges`), and with
``descriptors=True`` they are standardized by a
:class:`~drugscreen.featurizers.descriptors.DescriptorScaler` fitted on the joint training
part only and stored scaled in :attr:`Part.desc` (the hybrid models' extra input).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from drugscreen.descriptor_ranges import RANGE_FEATURIZER
from drugscreen.domain import ECFP4_CONFIG, ecfp4_packed
from drugscreen.featurizers.graph import GraphFeaturizer, MolGraph
from drugscreen.messages import snake_name

__all__ = ["FEATURE_CACHE_VERSION", "DatasetPart", "Part", "TrainingData", "build_training_data", "featurize_smiles", "predict_part"]

logger = logging.getLogger(__name__)

FEATURE_CACHE_VERSION = 3  # 2: neutralized carbanions read back (e.g. cyclopentadienide); 3: canonical atom order and chirality
#: Identity of the cached fingerprint (ECFP4, 2048 bits, no chirality) in cache keys.
_FP_CACHE_KEY = {"name": "morgan", "params": {"radius": 2, "n_bits": 2048}}

#: Names of the single-task datasets' tasks in a panel (others: the dataset's name).
_SINGLE_TASK_NAME = {"bace_classification": "bace", "bace_regression": "bace_pic50"}


def task_name(dataset: str, column: str, multi: bool, n_tasks: int = 1) -> str:
    """The task's name in a bundle (what the Screener's endpoints and profiles refer to).

    One dataset: the column name (``p_np``). A panel: lower-case snake case; a single-task
    dataset is named after the dataset (``hiv``, ``bbbp``, ``esol``, ``lipophilicity``,
    ``bace``, ``bace_pic50``), a multitask one ``<dataset>_<column>`` (``tox21_nr_ar``,
    ``clintox_ct_tox``, ``sider_hepatobiliary_disorders``).
    """
    if not multi:
        return column
    if n_tasks == 1:
        return _SINGLE_TASK_NAME.get(dataset, snake_name(dataset))
    return f"{snake_name(dataset)}_{snake_name(column)}"


@dataclass
class Part:
    """One side of the split (train / valid / test), all datasets joined."""

    graphs: list[MolGraph]
    y: np.ndarray  # (n, n_tasks) float64, NaN = not labelled
    fps: np.ndarray  # (n, 256) uint8 packed ECFP4
    smiles_std: list[str]
    dataset_index: np.ndarray  # (n,) index into TrainingData.datasets
    desc: np.ndarray | None = None  # (n, n_desc) float32 scaled fast_descriptors, when built
    desc_raw: np.ndarray | None = None  # (n, n_desc) float64 raw fast_descriptors (NaN = failed)
    desc_featurizer: dict[str, Any] | None = None  # the featurizer config desc_raw was computed with

    def __len__(self) -> int:
        return len(self.graphs)


@dataclass
class DatasetPart:
    """What is recorded about one source dataset."""

    name: str
    sha256: str
    split_sha256: str
    n_molecules: int
    n_train: int
    n_valid: int
    n_test: int
    n_removed_leak: int
    task_slice: tuple[int, int]
    task_type: str
    load_stats: dict[str, int] | None = None  # a user's table: rows read, invalid, duplicates merged


@dataclass
class TrainingData:
    """Everything a trainer needs."""

    tasks: list[dict[str, Any]]
    datasets: list[DatasetPart]
    train: Part
    valid: Part
    test: Part
    featurizer_config: dict[str, Any]
    standardizer_config: dict[str, Any]
    split_kind: str
    meta: dict[str, Any] = field(default_factory=dict)
    #: ``{"featurizer": ..., "scaler": DescriptorScaler.to_dict()}`` when descriptors were built.
    descriptors: dict[str, Any] | None = None
    #: Each dataset's training descriptor ranges (:meth:`DescriptorRanges.to_dict
    #: <drugscreen.descriptor_ranges.DescriptorRanges.to_dict>`), for the applicability domain.
    descriptor_ranges: dict[str, Any] | None = None
    #: Training-split molecules left out of :attr:`train` only because another dataset holds
    #: them out for validation or test (labels of their own dataset only; duplicates of their
    #: own dataset's validation or test molecules are not here); a model that predicts only its
    #: own dataset's tasks, such as a per-dataset forest, may still learn from them.
    left_out: Part | None = None

    @property
    def n_tasks(self) -> int:
        return len(self.tasks)

    @property
    def is_classification(self) -> np.ndarray:
        return np.array([t["type"] == "classification" for t in self.tasks], dtype=bool)

    @property
    def group_sizes(self) -> list[int]:
        return [d.task_slice[1] - d.task_slice[0] for d in self.datasets]

    def classification_groups(self) -> list[tuple[int, DatasetPart, list[int]]]:
        """``(k, dataset, task columns)`` for each dataset with classification tasks; a part's
        rows of dataset ``k`` are ``part.dataset_index == k``."""
        out = []
        for k, d in enumerate(self.datasets):
            cols = [c for c in range(*d.task_slice) if self.is_classification[c]]
            if cols:
                out.append((k, d, cols))
        return out


# ----------------------------------------------------------------------------- featurization


def default_cache_dir() -> Path:
    base = os.environ.get("DRUGSCREEN_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "drugscreen")
    return Path(base) / "features"


def featurize_smiles(smiles: list[str], featurizer: GraphFeaturizer | None = None) -> tuple[list[MolGraph], np.ndarray]:
    """Graphs and packed ECFP4 bits of input SMILES, parsed and standardized by
    :func:`~drugscreen.featurizers.molecule.prepare_molecule` with the datasets' policy
    (:data:`~drugscreen.featurizers.molecule.DATASET_STANDARDIZER`: the Screener's, except that
    the datasets' few radicals are kept); they must be valid."""
    from rdkit import rdBase

    from drugscreen.featurizers.molecule import DATASET_STANDARDIZER, prepare_molecule

    featurizer = featurizer or GraphFeaturizer()
    with rdBase.BlockLogs():
        parsed = [prepare_molecule(s, DATASET_STANDARDIZER) for s in smiles]
    bad = [p for p in parsed if not p.valid]
    if bad:
        raise ValueError(f"{len(bad)} SMILES are invalid, e.g. {bad[0].smiles!r}: {bad[0].error}")
    mols = [p.mol for p in parsed]
    return [featurizer(m) for m in mols], ecfp4_packed(mols, ECFP4_CONFIG)


def _save_graphs(path: Path, graphs: list[MolGraph], fps: np.ndarray) -> None:
    n_atoms = np.array([g.x.shape[0] for g in graphs], dtype=np.int64)
    n_edges = np.array([g.edge_index.shape[1] for g in graphs], dtype=np.int64)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(
        tmp,
        x=np.concatenate([g.x for g in graphs]),
        edge_index=np.concatenate([g.edge_index for g in graphs], axis=1).astype(np.int32),
        edge_attr=np.concatenate([g.edge_attr for g in graphs]),
        n_atoms=n_atoms,
        n_edges=n_edges,
        fps=fps,
    )
    os.replace(tmp, path)


def _load_graphs(path: Path) -> tuple[list[MolGraph], np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        x, ei, ea = z["x"], z["edge_index"].astype(np.int64), z["edge_attr"]
        n_atoms, n_edges, fps = z["n_atoms"], z["n_edges"], z["fps"]
    a_off = np.concatenate([[0], np.cumsum(n_atoms)])
    e_off = np.concatenate([[0], np.cumsum(n_edges)])
    graphs = [
        MolGraph(x[a_off[i] : a_off[i + 1]], ei[:, e_off[i] : e_off[i + 1]], ea[e_off[i] : e_off[i + 1]])
        for i in range(len(n_atoms))
    ]
    return graphs, fps


def cached_features(
    key_parts: dict[str, Any], smiles: list[str], cache_dir: str | os.PathLike[str] | None = None
) -> tuple[list[MolGraph], np.ndarray]:
    """Featurize input ``smiles`` (see :func:`featurize_smiles`) or read them from the feature cache."""
    from drugscreen.featurizers.molecule import DATASET_STANDARDIZER

    featurizer = GraphFeaturizer()
    key = json.dumps(
        {"v": FEATURE_CACHE_VERSION, "featurizer": featurizer.to_config(), "fp": _FP_CACHE_KEY,
         "standardizer": DATASET_STANDARDIZER.to_config(), **key_parts, "n": len(smiles)},
        sort_keys=True,
    )  # fmt: skip
    digest = hashlib.sha256(key.encode() + "\n".join(smiles).encode()).hexdigest()[:24]
    path = Path(cache_dir) if cache_dir else default_cache_dir()
    path = path / f"{digest}.npz"
    if path.is_file():
        try:
            graphs, fps = _load_graphs(path)
            if len(graphs) == len(smiles):
                return graphs, fps
        except (OSError, ValueError, KeyError) as exc:
            logger.debug("ignoring unreadable feature cache %s: %s", path, exc)
    graphs, fps = featurize_smiles(smiles, featurizer)
    try:
        _save_graphs(path, graphs, fps)
    except OSError as exc:
        logger.debug("could not write feature cache %s: %s", path, exc)
    return graphs, fps


#: Descriptor set of ``extra_features = "descriptors"`` / ``"ecfp+descriptors"`` (the same set the
#: descriptor ranges are recorded on, so a screen computes it once) and the clip of its scaler.
DESCRIPTOR_FEATURIZER = RANGE_FEATURIZER
DESCRIPTOR_CLIP = 5.0
#: The descriptor set when some heads take descriptors of their own (``head_descriptors``):
#: :data:`DESCRIPTOR_FEATURIZER`'s list followed by :data:`HEAD_DESCRIPTORS`.
HEAD_DESCRIPTOR_FEATURIZER: dict[str, Any] = {"name": "fast_descriptors", "params": {"version": 2}}
#: The names ``head_descriptors`` may give: those the trunk's descriptor set lacks.
HEAD_DESCRIPTORS = ("MolLogP", "MolMR")


def cached_descriptors(
    key_parts: dict[str, Any], smiles: list[str], cache_dir: str | os.PathLike[str] | None = None,
    featurizer_config: dict[str, Any] | None = None,
) -> np.ndarray:
    """Raw descriptor values ``(n, n_desc)`` float64 of input ``smiles`` (parsed and
    standardized as the Screener does), read from or written to the feature cache.
    ``featurizer_config`` defaults to :data:`DESCRIPTOR_FEATURIZER`."""
    from rdkit import rdBase

    from drugscreen.featurizers.base import build_featurizer, featurize_rows
    from drugscreen.featurizers.molecule import DATASET_STANDARDIZER, prepare_molecule

    config = featurizer_config or DESCRIPTOR_FEATURIZER
    featurizer = build_featurizer(config)
    # a featurizer of one's own may have __call__ only (no to_config): its config is then the one given
    desc_key = featurizer.to_config() if hasattr(featurizer, "to_config") else config
    key = json.dumps({"v": FEATURE_CACHE_VERSION, "desc": desc_key,
                      "standardizer": DATASET_STANDARDIZER.to_config(), **key_parts, "n": len(smiles)}, sort_keys=True)
    digest = hashlib.sha256(key.encode() + "\n".join(smiles).encode()).hexdigest()[:24]
    path = (Path(cache_dir) if cache_dir else default_cache_dir()) / f"desc_{digest}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as z:
                values = z["desc"]
            if values.shape[0] == len(smiles):
                return values
        except (OSError, ValueError, KeyError) as exc:
            logger.debug("ignoring unreadable descriptor cache %s: %s", path, exc)
    with rdBase.BlockLogs():
        parsed = [prepare_molecule(s, DATASET_STANDARDIZER) for s in smiles]
    bad = [p for p in parsed if not p.valid]
    if bad:
        raise ValueError(f"{len(bad)} SMILES are invalid, e.g. {bad[0].smiles!r}: {bad[0].error}")
    values = featurize_rows(featurizer, [p.mol for p in parsed])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, desc=values)
        os.replace(tmp, path)
    except OSError as exc:
        logger.debug("could not write descriptor cache %s: %s", path, exc)
    return values


# ----------------------------------------------------------------------------- assembly


def _direction(task: Any) -> str:
    return getattr(task, "direction", "neutral")


def _check_split_parts(ds: Any, sp: Any) -> str:
    """Refuse an empty validation or test part; warn about tasks that cannot be scored there.

    Returns the reason no task of ``ds`` can be scored on the validation part ("" when one can):
    early stopping reads that part, and a classification task needs both classes among its
    labelled molecules there (a regression task two labels). :func:`drugscreen.training.train`
    refuses a run in which no dataset can be scored on validation (no epoch could ever be chosen
    and the untrained weights would be kept).
    """
    from drugscreen.exceptions import DatasetError

    def scorable(idx: Any, t: int, kind: str) -> tuple[bool, str]:
        col = ds.y[np.asarray(idx, dtype=np.int64), t] if len(idx) else np.zeros(0)
        col = col[~np.isnan(col)]
        if kind == "classification":
            n_pos = int((col > 0.5).sum())
            ok = 0 < n_pos < len(col)
            return ok, f"{len(col)} labelled, {n_pos} positive"
        return len(col) >= 2, f"{len(col)} labelled"

    reason = ""
    for part_name, idx in (("valid", sp.valid), ("test", sp.test)):
        if len(idx) == 0:
            what = ("give more molecules (with fewer than 10, any 80/10/10 split leaves a part empty)" if len(ds) < 10
                    else "give more molecules or another --split")
            raise DatasetError(f"{ds.name}: the {sp.kind} split of its {len(ds)} molecules leaves the {part_name} part empty; {what}")
        bad = []
        for t, task in enumerate(ds.tasks):
            ok, what = scorable(idx, t, task.type)
            if not ok:
                bad.append(f"{task.name} ({what})")
        if not bad:
            continue
        metric = "ROC-AUC" if ds.task_type == "classification" else "RMSE"
        if part_name == "valid" and len(bad) == len(ds.tasks):
            reason = (f"{ds.name}: no task can be scored on the {part_name} part of the {sp.kind} split "
                      f"({'; '.join(bad[:5])}{'; ...' if len(bad) > 5 else ''})")
            one_class = _one_class_columns(ds)
            if len(one_class) == len(ds.tasks):  # no split can help: the labels hold one class
                reason += (f": {'; '.join(one_class[:5])}{'; ...' if len(one_class) > 5 else ''}, so no split can "
                           "give validation both classes; a classifier needs labels of both 0 and 1")
            else:  # stratified splits classification data only
                kinds = ("stratified", "random") if ds.task_type == "classification" else ("random",)
                others = [k for k in kinds if k != sp.kind]
                reason += f"; try --split {' or '.join(others)}, or more molecules" if others else "; give more molecules"
            reason += (" (no epoch could be chosen: a classification task needs both classes among its labelled "
                       "validation molecules)" if ds.task_type == "classification" else
                       " (no epoch could be chosen: a regression task needs two labelled validation molecules)")
        logger.warning("%s: %s %s cannot be computed for %d task(s) (%s); %s",
                       ds.name, part_name, metric, len(bad), "; ".join(bad[:5]) + ("; ..." if len(bad) > 5 else ""),
                       "they do not steer early stopping" if part_name == "valid"
                       else ("there is no test metric" if len(bad) == len(ds.tasks) else "the test metric averages the others"))
    return reason


def _one_class_columns(ds: Any) -> list[str]:
    """The classification tasks of ``ds`` whose labels (all of them, every part) hold one class,
    each as ``"<task> holds only <value>s (<n> labels)"``."""
    out = []
    for t, task in enumerate(ds.tasks):
        if task.type != "classification":
            continue
        col = ds.y[:, t][~np.isnan(ds.y[:, t])]
        values = np.unique(col > 0.5)
        if len(values) == 1:
            out.append(f"{task.name} holds only {int(values[0])}s ({len(col)} labels)")
    return out


def _load_one(name: str, data_dir: str | None, table_options: dict[str, Any] | None) -> Any:
    """A registered dataset by name, or a user's table by path."""
    from drugscreen.data import load_dataset
    from drugscreen.data.loaders import is_table_path, load_table

    if is_table_path(name):
        return load_table(name, **{k: v for k, v in (table_options or {}).items() if v is not None})
    return load_dataset(name, data_dir)


def build_training_data(
    datasets: list[str] | list[Any],
    split: str = "scaffold",
    seed: int = 0,
    data_dir: str | None = None,
    cache_dir: str | None = None,
    descriptors: bool = False,
    head_descriptors: bool = False,
    table_options: dict[str, Any] | None = None,
    per_table: dict[str, dict[str, Any]] | None = None,
    extra_featurizer: dict[str, Any] | None = None,
) -> TrainingData:
    """Load, split, featurize and join datasets.

    Parameters
    ----------
    datasets
        Registered dataset names, paths of a user's own tables (read by
        :func:`~drugscreen.data.load_table` with ``table_options``), or already-loaded
        ``MoleculeDataset`` objects.
    table_options, per_table
        Options of :func:`~drugscreen.data.load_table` for every table, and for each table by
        its path as in ``datasets`` (those win; ``None`` values are not given).
    split
        Split kind (:func:`drugscreen.data.splits.make_split`), applied to each dataset.
    seed
        Split seed (ignored by the deterministic scaffold split).
    data_dir, cache_dir
        Dataset directory and feature cache directory.
    descriptors
        Also store the scaled ``fast_descriptors`` (:attr:`Part.desc`, scaled with a scaler
        fitted on the training part; its state in :attr:`TrainingData.descriptors`). The raw
        values are computed either way, for :attr:`TrainingData.descriptor_ranges`.
    head_descriptors
        With ``descriptors``: use :data:`HEAD_DESCRIPTOR_FEATURIZER` (the trunk's set followed
        by :data:`HEAD_DESCRIPTORS`, which a model may hand to chosen heads only). The
        descriptor ranges stay on :data:`DESCRIPTOR_FEATURIZER`'s columns.
    extra_featurizer
        With ``descriptors``: the config of another featurizer whose vectors (e.g. MACCS keys, or
        a plugin's fingerprint) are scaled into :attr:`Part.desc` in place of the descriptors
        (``TrainConfig.extra_features`` naming a featurizer); :attr:`Part.desc_raw` keeps the
        descriptor ranges' values.
    """
    from drugscreen.data.splits import make_split
    from drugscreen.featurizers.molecule import DEFAULT_STANDARDIZER

    if head_descriptors and not descriptors:
        raise ValueError("head_descriptors needs descriptors=True")
    if extra_featurizer is not None and (head_descriptors or not descriptors):
        raise ValueError("extra_featurizer needs descriptors=True and no head_descriptors")
    desc_config = HEAD_DESCRIPTOR_FEATURIZER if head_descriptors else DESCRIPTOR_FEATURIZER
    loaded = [_load_one(d, data_dir, {**(table_options or {}), **(per_table or {}).get(d, {})}) if isinstance(d, str) else d
              for d in datasets]
    multi = len(loaded) > 1
    tasks: list[dict[str, Any]] = []
    parts_raw = []
    unscorable: list[str] = []
    for ds in loaded:
        start = len(tasks)
        for t in ds.tasks:
            tasks.append(
                {
                    "name": task_name(ds.name, t.name, multi, len(ds.tasks)),
                    "column": t.name,
                    "type": t.type,
                    "units": t.units,
                    "direction": _direction(t),
                    "dataset": ds.name,
                }
            )
        sp = make_split(split, ds, seed=seed)
        reason = _check_split_parts(ds, sp)
        if reason:
            unscorable.append(reason)
        key = {"dataset": ds.name, "sha256": ds.sha256}
        graphs, fps = cached_features(key, list(ds.smiles), cache_dir)
        desc = cached_descriptors(key, list(ds.smiles), cache_dir, desc_config)  # raw; also for the descriptor ranges
        extra = None if extra_featurizer is None else cached_descriptors(key, list(ds.smiles), cache_dir, extra_featurizer)
        parts_raw.append((ds, sp, graphs, fps, (desc, extra), (start, len(tasks))))
    names = [t["name"] for t in tasks]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate task names in {names}")

    held_out: set[str] = set()
    for ds, sp, *_ in parts_raw:
        for idx in (sp.valid, sp.test):
            held_out.update(ds.smiles_std[i] for i in idx)

    n_tasks = len(tasks)
    acc: dict[str, dict[str, list[Any]]] = {
        p: {"graphs": [], "y": [], "fps": [], "desc": [], "extra": [], "smiles": [], "ds": []} for p in ("train", "valid", "test", "left_out")
    }
    infos: list[DatasetPart] = []
    for k, (ds, sp, graphs, fps, (desc, extra), (a, b)) in enumerate(parts_raw):
        removed = 0
        counts = {}
        train_idx = np.asarray(sp.train, dtype=np.int64)
        keep = np.array([ds.smiles_std[i] not in held_out for i in train_idx], dtype=bool)
        removed = int((~keep).sum())
        # left out for another dataset's sake only: a duplicate of this dataset's own
        # validation or test molecule must not come back through left_out
        own = {ds.smiles_std[i] for idx in (sp.valid, sp.test) for i in idx}
        other = ~keep & np.array([ds.smiles_std[i] not in own for i in train_idx], dtype=bool)
        for part_name, idx in (
            ("train", train_idx[keep]), ("left_out", train_idx[other]),
            ("valid", np.asarray(sp.valid, dtype=np.int64)), ("test", np.asarray(sp.test, dtype=np.int64)),
        ):
            y = np.full((len(idx), n_tasks), np.nan)
            y[:, a:b] = ds.y[idx]
            store = acc[part_name]
            store["graphs"].extend(graphs[i] for i in idx)
            store["y"].append(y)
            store["fps"].append(fps[idx])
            store["desc"].append(desc[idx])
            if extra is not None:
                store["extra"].append(extra[idx])
            store["smiles"].extend(ds.smiles_std[i] for i in idx)
            store["ds"].append(np.full(len(idx), k, dtype=np.int64))
            counts[part_name] = len(idx)
        infos.append(
            DatasetPart(
                name=ds.name, sha256=ds.sha256, split_sha256=sp.sha256(), n_molecules=len(ds),
                n_train=counts["train"], n_valid=counts["valid"], n_test=counts["test"],
                n_removed_leak=removed, task_slice=(a, b), task_type=ds.task_type or "classification",
                load_stats=getattr(ds, "load_stats", None),
            )
        )
        if removed:
            n_other = int(other.sum())
            why = [f"{removed - n_other} duplicate{'s' * (removed - n_other != 1)} of its own valid/test molecules"] * (removed > n_other)
            why += [f"{n_other} in another dataset's valid/test part"] * (n_other > 0)
            logger.info("%s: %d training molecules left out (%s)", ds.name, removed, "; ".join(why))

    from drugscreen.descriptor_ranges import DescriptorRanges
    from drugscreen.featurizers.base import build_featurizer

    desc_names = build_featurizer(desc_config).names
    range_names = build_featurizer(DESCRIPTOR_FEATURIZER).names
    if desc_names[: len(range_names)] != range_names:  # pragma: no cover - a later set only appends
        raise ValueError(f"{desc_config} does not start with the descriptor ranges' set {DESCRIPTOR_FEATURIZER}")
    train_desc = np.concatenate(acc["train"]["desc"]) if acc["train"]["desc"] else np.zeros((0, len(desc_names)))
    train_ds = np.concatenate(acc["train"]["ds"]) if acc["train"]["ds"] else np.zeros(0, dtype=np.int64)
    ranges = DescriptorRanges.fit(
        train_desc[:, : len(range_names)], train_ds, [d.name for d in infos], range_names, DESCRIPTOR_FEATURIZER
    )
    desc_state: dict[str, Any] | None = None
    scaler = None
    if descriptors:
        from drugscreen.featurizers.descriptors import DescriptorScaler

        if extra_featurizer is None:
            scaler = DescriptorScaler(clip=DESCRIPTOR_CLIP).fit(train_desc, desc_names)
            desc_state = {"featurizer": dict(desc_config), "scaler": scaler.to_dict()}
        else:  # another featurizer's vectors, scaled as the descriptors are
            scaler = DescriptorScaler(clip=DESCRIPTOR_CLIP).fit(np.concatenate(acc["train"]["extra"]).astype(np.float64))
            desc_state = {"featurizer": dict(extra_featurizer), "scaler": scaler.to_dict()}

    def part(name: str) -> Part:
        s = acc[name]
        raw = np.concatenate(s["desc"]) if s["desc"] else np.zeros((0, len(desc_names)))
        desc_scaled = None
        if scaler is not None:
            x = raw if extra_featurizer is None else np.concatenate(s["extra"]).astype(np.float64)
            desc_scaled = scaler.transform(x) if len(x) else x.astype(np.float32)
        return Part(
            graphs=s["graphs"],
            y=np.concatenate(s["y"]) if s["y"] else np.zeros((0, n_tasks)),
            fps=np.concatenate(s["fps"]) if s["fps"] else np.zeros((0, 256), dtype=np.uint8),
            smiles_std=s["smiles"],
            dataset_index=np.concatenate(s["ds"]) if s["ds"] else np.zeros(0, dtype=np.int64),
            desc=desc_scaled,
            desc_raw=raw,
            desc_featurizer=dict(desc_config),
        )

    return TrainingData(
        tasks=tasks,
        datasets=infos,
        train=part("train"),
        valid=part("valid"),
        test=part("test"),
        left_out=part("left_out"),
        featurizer_config=GraphFeaturizer().to_config(),
        standardizer_config=DEFAULT_STANDARDIZER.to_config(),
        split_kind=split,
        meta={"unscorable_valid": unscorable} if len(unscorable) == len(loaded) else {},
        descriptors=desc_state,
        descriptor_ranges=ranges.to_dict(),
    )


def predict_part(bundle: Any, part: Part, batch_size: int = 512) -> Any:
    """``bundle.predict`` (a :class:`~drugscreen.bundle.Prediction`) on one part of rebuilt
    training data: its graphs and fingerprints and, for a descriptor hybrid, the raw descriptors
    (``Part.desc`` holds scaled values): the part's own :attr:`Part.desc_raw` when the bundle
    takes that descriptor set, else recomputed from the part's standardized SMILES."""
    from drugscreen.featurizers.molecule import DATASET_STANDARDIZER, prepare_molecule

    extra = None
    cfg = bundle.extra_featurizer_config
    if cfg is not None and part.desc_raw is not None and cfg == (part.desc_featurizer or DESCRIPTOR_FEATURIZER):
        extra = part.desc_raw
    elif cfg is not None:
        extra = bundle.extra_inputs([prepare_molecule(s, DATASET_STANDARDIZER).mol for s in part.smiles_std])
    return bundle.predict(part.graphs, extra=extra, fps=part.fps, batch_size=batch_size)
