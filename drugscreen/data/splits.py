"""Train/validation/test splits, all in one place.

Every splitter returns a :class:`Split` of sorted ``int64`` index arrays into the dataset it
was given (for affinity data: indices into its pairs). Seeded splitters are reproducible: the
same inputs and seed give the same split on any machine (``numpy.random.default_rng``). A
split saves to and loads from JSON, so other tools can train on identical partitions, and
:meth:`Split.sha256` identifies it in run records.

Molecule splits
    :func:`random_split`, :func:`stratified_split` (classification), :func:`scaffold_split`
    (deterministic, identical to DeepChem's ``ScaffoldSplitter``), and
    :func:`balanced_scaffold_split` (chemprop's balanced scaffold split, seeded).
Affinity splits (DAVIS, KIBA)
    :func:`warm_split` (random pairs), :func:`cold_drug_split`, :func:`cold_target_split` (test
    drugs / targets never seen in training) and :func:`cold_pair_split` (neither).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from drugscreen.exceptions import ConfigError, DatasetError, InvalidMoleculeError, UnknownNameError

__all__ = [
    "SPLIT_KINDS",
    "Split",
    "balanced_scaffold_split",
    "cold_drug_split",
    "cold_pair_split",
    "cold_target_split",
    "make_split",
    "murcko_scaffold",
    "random_split",
    "scaffold_sets",
    "scaffold_split",
    "stratified_split",
    "warm_split",
]

logger = logging.getLogger(__name__)

SCHEMA = "drugscreen.split/1"
Sizes = tuple[float, float, float]
DEFAULT_SIZES: Sizes = (0.8, 0.1, 0.1)


def _index_array(values: Any) -> np.ndarray:
    arr = np.asarray(values, dtype=np.int64).reshape(-1)
    return np.sort(arr)


@dataclass(frozen=True)
class Split:
    """Indices of the train, validation and test parts.

    Attributes
    ----------
    train, valid, test
        Sorted ``int64`` index arrays (disjoint).
    kind
        How it was made (``"scaffold"``, ``"cold_drug"`` ...).
    seed
        The seed, for seeded splitters.
    sizes
        The requested fractions.
    meta
        Anything else worth recording (dataset name, data sha256, discarded pairs ...).
    """

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    kind: str = ""
    seed: int | None = None
    sizes: tuple[float, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("train", "valid", "test"):
            object.__setattr__(self, name, _index_array(getattr(self, name)))
        seen = np.concatenate([self.train, self.valid, self.test])
        if len(np.unique(seen)) != len(seen):
            raise ValueError("split parts overlap or repeat an index")
        if len(seen) and seen.min() < 0:
            raise ValueError("split indices must be >= 0")

    def __iter__(self):  # allows ``train, valid, test = split``
        return iter((self.train, self.valid, self.test))

    def __len__(self) -> int:
        return len(self.train) + len(self.valid) + len(self.test)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Split):
            return NotImplemented
        return all(np.array_equal(a, b) for a, b in zip(self, other, strict=True))

    def __hash__(self) -> int:
        return hash(self.sha256())

    @property
    def fractions(self) -> tuple[float, float, float]:
        """Actual fractions of the indices in each part."""
        n = max(len(self), 1)
        return (len(self.train) / n, len(self.valid) / n, len(self.test) / n)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (schema ``drugscreen.split/1``)."""
        return {
            "schema": SCHEMA,
            "kind": self.kind,
            "seed": self.seed,
            "sizes": [float(s) for s in self.sizes],
            "meta": self.meta,
            "train": self.train.tolist(),
            "valid": self.valid.tolist(),
            "test": self.test.tolist(),
        }

    def to_json(self) -> str:
        """Canonical JSON text (sorted keys, no spaces): equal splits give equal text."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Split:
        """Rebuild a split from :meth:`to_dict`'s output."""
        if data.get("schema") != SCHEMA:
            raise ConfigError(
                f"not a drugscreen split (schema {data.get('schema')!r}, expected {SCHEMA!r})"
            )
        try:
            return cls(
                train=np.asarray(data["train"], dtype=np.int64),
                valid=np.asarray(data["valid"], dtype=np.int64),
                test=np.asarray(data["test"], dtype=np.int64),
                kind=str(data.get("kind", "")),
                seed=data.get("seed"),
                sizes=tuple(data.get("sizes", ())),
                meta=dict(data.get("meta", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"malformed split: {exc}") from None

    @classmethod
    def from_json(cls, text: str) -> Split:
        """Rebuild a split from :meth:`to_json`'s output."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"split file is not JSON: {exc}") from None
        return cls.from_dict(data)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_json` to ``path`` (atomically); the file's sha256 equals :meth:`sha256`."""
        from drugscreen.data.files import atomic_write

        with atomic_write(path) as fh:
            fh.write(self.to_json().encode("utf-8"))
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Split:
        """Read a split written by :meth:`save`."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read split file {path}: {exc}") from None
        return cls.from_json(text)

    def sha256(self) -> str:
        """sha256 of :meth:`to_json` (equal to the sha256 of the file :meth:`save` writes)."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    def __repr__(self) -> str:
        return (
            f"Split(kind={self.kind!r}, seed={self.seed}, train={len(self.train)}, "
            f"valid={len(self.valid)}, test={len(self.test)})"
        )


def _check_sizes(sizes: Sequence[float]) -> Sizes:
    if len(sizes) != 3:
        raise ConfigError(f"sizes must be three fractions (train, valid, test), got {tuple(sizes)}")
    s = tuple(float(x) for x in sizes)
    if any(x < 0 for x in s) or abs(sum(s) - 1.0) > 1e-6:
        raise ConfigError(f"split sizes must be >= 0 and sum to 1, got {s}")
    return s  # type: ignore[return-value]


def _cutoffs(n: int, sizes: Sizes) -> tuple[int, int]:
    """DeepChem's cutoffs: ``int(f_train * n)`` and ``int((f_train + f_valid) * n)``."""
    return int(sizes[0] * n), int((sizes[0] + sizes[1]) * n)


# ----------------------------------------------------------------------------- random


def random_split(n: int, sizes: Sequence[float] = DEFAULT_SIZES, seed: int = 0) -> Split:
    """Shuffle ``range(n)`` with ``seed`` and cut it at the given fractions.

    Parameters
    ----------
    n
        Number of items.
    sizes
        Train, validation and test fractions (sum to 1).
    seed
        Seed of ``numpy.random.default_rng``.
    """
    s = _check_sizes(sizes)
    perm = np.random.default_rng(seed).permutation(n)
    a, b = _cutoffs(n, s)
    return Split(perm[:a], perm[a:b], perm[b:], kind="random", seed=seed, sizes=s)


def stratified_split(
    y: np.ndarray | Sequence[float], sizes: Sequence[float] = DEFAULT_SIZES, seed: int = 0
) -> Split:
    """Random split that keeps each class's share the same in every part (classification).

    Parameters
    ----------
    y
        Labels, shape ``(n,)`` or ``(n, n_tasks)``. With one task the strata are its classes
        (NaN, i.e. unlabelled, is a stratum of its own). With several tasks the strata are
        "has at least one positive label" vs not, which keeps rare actives spread evenly.
    sizes
        Train, validation and test fractions.
    seed
        Seed of ``numpy.random.default_rng``.
    """
    s = _check_sizes(sizes)
    arr = np.asarray(y, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim == 2:
        strata = (np.nan_to_num(arr, nan=0.0) > 0.5).any(axis=1).astype(np.int64)
    else:
        strata = np.where(np.isnan(arr), -1, np.round(arr)).astype(np.int64)
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    for label in np.unique(strata):
        members = rng.permutation(np.flatnonzero(strata == label))
        m = len(members)
        n_train = int(round(s[0] * m))
        n_valid = min(int(round(s[1] * m)), m - n_train)
        parts[0].append(members[:n_train])
        parts[1].append(members[n_train : n_train + n_valid])
        parts[2].append(members[n_train + n_valid :])
    train, valid, test = (np.concatenate(p) if p else np.array([], dtype=np.int64) for p in parts)
    return Split(train, valid, test, kind="stratified", seed=seed, sizes=s)


# ----------------------------------------------------------------------------- scaffolds


def murcko_scaffold(smiles: str, include_chirality: bool = False) -> str:
    """Bemis-Murcko scaffold SMILES of ``smiles`` ("" for acyclic molecules).

    Raises
    ------
    InvalidMoleculeError
        When the SMILES does not parse.
    """
    from rdkit import Chem, rdBase
    from rdkit.Chem.Scaffolds.MurckoScaffold import MurckoScaffoldSmiles

    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise InvalidMoleculeError(None, smiles, "RDKit could not parse the SMILES")
    return MurckoScaffoldSmiles(mol=mol, includeChirality=include_chirality)


def scaffold_sets(smiles: Sequence[str], include_chirality: bool = False) -> dict[str, list[int]]:
    """Group indices by Bemis-Murcko scaffold, in order of first appearance.

    Raises
    ------
    InvalidMoleculeError
        Naming the first SMILES that does not parse (with its index).
    """
    groups: dict[str, list[int]] = {}
    for i, smi in enumerate(smiles):
        try:
            key = murcko_scaffold(smi, include_chirality)
        except InvalidMoleculeError as exc:
            raise InvalidMoleculeError(i, smi, exc.reason) from None
        groups.setdefault(key, []).append(i)
    return groups


def scaffold_split(
    smiles: Sequence[str],
    sizes: Sequence[float] = DEFAULT_SIZES,
    *,
    include_chirality: bool = False,
) -> Split:
    """Deterministic scaffold split, identical to DeepChem's ``ScaffoldSplitter``.

    Molecules are grouped by Bemis-Murcko scaffold (``includeChirality=False``); the groups are
    ordered by ``(size, first index)`` descending (largest first; among equal sizes the group
    whose first member comes *later* goes first, exactly as ``deepchem.splits.ScaffoldSplitter``
    sorts with ``reverse=True``). Groups fill train while it stays within ``f_train * n``
    molecules, then valid within ``(f_train + f_valid) * n``, and the rest go to test, which
    therefore holds the rarest scaffolds.

    Parameters
    ----------
    smiles
        SMILES, one per molecule (e.g. ``MoleculeDataset.smiles``).
    sizes
        Train, validation and test fractions.
    include_chirality
        Keep stereo in scaffolds (DeepChem's default is False).

    Returns
    -------
    Split
        ``kind="scaffold"``, no seed (it is deterministic).
    """
    s = _check_sizes(sizes)
    n = len(smiles)
    groups = scaffold_sets(smiles, include_chirality)
    ordered = sorted(groups.values(), key=lambda g: (len(g), g[0]), reverse=True)
    train_cut, valid_cut = s[0] * n, (s[0] + s[1]) * n
    train: list[int] = []
    valid: list[int] = []
    test: list[int] = []
    for group in ordered:
        if len(train) + len(group) > train_cut:
            if len(train) + len(valid) + len(group) > valid_cut:
                test += group
            else:
                valid += group
        else:
            train += group
    return Split(
        np.array(train),
        np.array(valid),
        np.array(test),
        kind="scaffold",
        seed=None,
        sizes=s,
        meta={"n_scaffolds": len(groups)},
    )


def balanced_scaffold_split(
    smiles: Sequence[str],
    sizes: Sequence[float] = DEFAULT_SIZES,
    seed: int = 0,
    *,
    include_chirality: bool = False,
) -> Split:
    """Seeded scaffold split that balances part sizes (chemprop's ``balanced`` scaffold split).

    Scaffold groups larger than half the validation or half the test size go first (in an
    order shuffled by ``seed``), so big groups land in train; the small groups follow, shuffled
    too. Each group goes to train if it fits, else to valid if it fits, else to test. Different
    seeds give different (still scaffold-disjoint) splits, which is what repeated runs need.

    Parameters
    ----------
    smiles
        SMILES, one per molecule.
    sizes
        Train, validation and test fractions.
    seed
        Seed of ``numpy.random.default_rng``.
    """
    s = _check_sizes(sizes)
    n = len(smiles)
    train_size, valid_size, test_size = s[0] * n, s[1] * n, s[2] * n
    groups = list(scaffold_sets(smiles, include_chirality).values())
    big = [g for g in groups if len(g) > valid_size / 2 or len(g) > test_size / 2]
    small = [g for g in groups if not (len(g) > valid_size / 2 or len(g) > test_size / 2)]
    rng = np.random.default_rng(seed)
    ordered = [big[i] for i in rng.permutation(len(big))] + [
        small[i] for i in rng.permutation(len(small))
    ]
    train: list[int] = []
    valid: list[int] = []
    test: list[int] = []
    for group in ordered:
        if len(train) + len(group) <= train_size:
            train += group
        elif len(valid) + len(group) <= valid_size:
            valid += group
        else:
            test += group
    return Split(
        np.array(train),
        np.array(valid),
        np.array(test),
        kind="balanced_scaffold",
        seed=seed,
        sizes=s,
        meta={"n_scaffolds": len(groups)},
    )


# ----------------------------------------------------------------------------- affinity


def warm_split(n_pairs: int, sizes: Sequence[float] = DEFAULT_SIZES, seed: int = 0) -> Split:
    """Random split of drug-target pairs: drugs and targets of test pairs are seen in training."""
    split = random_split(n_pairs, sizes, seed)
    return Split(*split, kind="warm", seed=seed, sizes=split.sizes)


def _entity_parts(
    ids: np.ndarray, sizes: Sizes, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle the distinct entities with ``seed`` and cut them into train/valid/test groups."""
    unique = np.unique(ids)
    perm = np.random.default_rng(seed).permutation(unique)
    a, b = _cutoffs(len(unique), sizes)
    return perm[:a], perm[a:b], perm[b:]


def _cold(ids: np.ndarray, sizes: Sequence[float], seed: int, kind: str) -> Split:
    s = _check_sizes(sizes)
    ids = np.asarray(ids)
    tr, va, te = _entity_parts(ids, s, seed)
    train = np.flatnonzero(np.isin(ids, tr))
    valid = np.flatnonzero(np.isin(ids, va))
    test = np.flatnonzero(np.isin(ids, te))
    meta = {"n_entities": [len(tr), len(va), len(te)]}
    return Split(train, valid, test, kind=kind, seed=seed, sizes=s, meta=meta)


def cold_drug_split(
    drug_idx: np.ndarray | Sequence[int], sizes: Sequence[float] = DEFAULT_SIZES, seed: int = 0
) -> Split:
    """Split pairs so that validation and test drugs never occur in training.

    The distinct drugs are shuffled with ``seed`` and cut at ``sizes`` (fractions of *drugs*);
    every pair follows its drug. ``meta["n_entities"]`` holds the drug counts per part.
    """
    return _cold(np.asarray(drug_idx), sizes, seed, "cold_drug")


def cold_target_split(
    target_idx: np.ndarray | Sequence[int], sizes: Sequence[float] = DEFAULT_SIZES, seed: int = 0
) -> Split:
    """Split pairs so that validation and test targets never occur in training (see
    :func:`cold_drug_split`)."""
    return _cold(np.asarray(target_idx), sizes, seed, "cold_target")


def cold_pair_split(
    drug_idx: np.ndarray | Sequence[int],
    target_idx: np.ndarray | Sequence[int],
    sizes: Sequence[float] = DEFAULT_SIZES,
    seed: int = 0,
) -> Split:
    """Split pairs so that neither the drug nor the target of a test pair is seen in training.

    Drugs and targets are each cut at ``sizes`` (fractions of entities, seeds ``seed`` and
    ``seed + 1``). A pair goes to a part when its drug *and* its target belong to that part;
    pairs that mix parts are left out of every part (their count is in
    ``meta["n_discarded"]``), so the parts hold about ``f**2`` of the pairs each.
    """
    s = _check_sizes(sizes)
    d = np.asarray(drug_idx)
    t = np.asarray(target_idx)
    if d.shape != t.shape:
        raise ValueError("drug_idx and target_idx must have the same length")
    d_parts = _entity_parts(d, s, seed)
    t_parts = _entity_parts(t, s, seed + 1)
    parts = [
        np.flatnonzero(np.isin(d, dp) & np.isin(t, tp))
        for dp, tp in zip(d_parts, t_parts, strict=True)
    ]
    n_used = sum(len(p) for p in parts)
    meta = {
        "n_drugs": [len(p) for p in d_parts],
        "n_targets": [len(p) for p in t_parts],
        "n_discarded": int(len(d) - n_used),
    }
    return Split(*parts, kind="cold_pair", seed=seed, sizes=s, meta=meta)


# ----------------------------------------------------------------------------- dispatch

SPLIT_KINDS = {
    "molecule": ["random", "scaffold", "balanced_scaffold", "stratified"],
    "affinity": ["warm", "random", "cold_drug", "cold_target", "cold_pair"],
}


def make_split(
    kind: str, dataset: Any, seed: int = 0, sizes: Sequence[float] = DEFAULT_SIZES
) -> Split:
    """Split a loaded dataset by name of the split kind.

    Parameters
    ----------
    kind
        For a :class:`~drugscreen.data.loaders.MoleculeDataset`: ``random``, ``scaffold``
        (deterministic; ``seed`` ignored), ``balanced_scaffold``, ``stratified``
        (classification only). For an :class:`~drugscreen.data.loaders.AffinityDataset`:
        ``warm`` (= ``random``), ``cold_drug``, ``cold_target``, ``cold_pair``.
    dataset
        A loaded dataset.
    seed, sizes
        Passed to the splitter.

    Returns
    -------
    Split
        With ``meta`` holding the dataset name and data sha256.
    """
    from drugscreen.data.loaders import AffinityDataset, MoleculeDataset
    from drugscreen.registry import normalize_name

    key = normalize_name(kind)
    if isinstance(dataset, AffinityDataset):
        choices = SPLIT_KINDS["affinity"]
        n = len(dataset)
        if key in ("warm", "random"):
            split = warm_split(n, sizes, seed)
        elif key == "colddrug":
            split = cold_drug_split(dataset.drug_idx, sizes, seed)
        elif key == "coldtarget":
            split = cold_target_split(dataset.target_idx, sizes, seed)
        elif key == "coldpair":
            split = cold_pair_split(dataset.drug_idx, dataset.target_idx, sizes, seed)
        else:
            raise UnknownNameError("affinity split", kind, choices)
        data_sha = dataset.sha256.get("affinities.csv.gz", "")
    elif isinstance(dataset, MoleculeDataset):
        choices = SPLIT_KINDS["molecule"]
        if key == "random":
            split = random_split(len(dataset), sizes, seed)
        elif key == "scaffold":
            split = scaffold_split(dataset.smiles, sizes)
        elif key == "balancedscaffold":
            split = balanced_scaffold_split(dataset.smiles, sizes, seed)
        elif key == "stratified":
            if dataset.task_type != "classification":
                raise ConfigError(
                    f"stratified splits need classification data; {dataset.name} is {dataset.task_type}"
                )
            split = stratified_split(dataset.y, sizes, seed)
        else:
            raise UnknownNameError("molecule split", kind, choices)
        data_sha = dataset.sha256
    else:
        raise DatasetError(
            f"cannot split a {type(dataset).__name__}; load it with load_dataset/load_affinity"
        )
    meta = {**split.meta, "dataset": dataset.name, "data_sha256": data_sha, "n": len(dataset)}
    return Split(*split, kind=split.kind, seed=split.seed, sizes=split.sizes, meta=meta)
