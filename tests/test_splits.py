"""Splits: reproducibility, disjointness, the DeepChem scaffold convention, JSON round trip."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from drugscreen.data.splits import (
    Split,
    balanced_scaffold_split,
    cold_drug_split,
    cold_pair_split,
    cold_target_split,
    make_split,
    random_split,
    scaffold_sets,
    scaffold_split,
    stratified_split,
    warm_split,
)
from drugscreen.exceptions import ConfigError, InvalidMoleculeError, UnknownNameError

# 20 molecules over a few scaffolds (benzene x6, pyridine x4, cyclohexane x3, naphthalene x2,
# acyclic x3 -> scaffold "", indole x1, thiophene x1)
SMILES = [
    "c1ccccc1C", "c1ccccc1CC", "c1ccccc1O", "c1ccccc1N", "c1ccccc1Cl", "c1ccccc1F",
    "c1ccncc1C", "c1ccncc1O", "c1ccncc1N", "c1ccncc1CC",
    "C1CCCCC1C", "C1CCCCC1O", "C1CCCCC1N",
    "c1ccc2ccccc2c1C", "c1ccc2ccccc2c1O",
    "CCO", "CCCN", "CC(=O)O",
    "c1ccc2[nH]ccc2c1", "c1ccsc1C",
]  # fmt: skip


def _check_partition(split: Split, n: int) -> None:
    allidx = np.concatenate(list(split))
    assert len(allidx) == len(np.unique(allidx))
    assert set(allidx.tolist()) <= set(range(n))
    for part in split:
        assert part.dtype == np.int64 and np.all(np.diff(part) > 0)


def test_random_split_reproducible_and_complete():
    a, b, c = random_split(100, seed=1), random_split(100, seed=1), random_split(100, seed=2)
    assert a == b and a != c
    _check_partition(a, 100)
    assert len(a) == 100 and (len(a.train), len(a.valid), len(a.test)) == (80, 10, 10)


def test_sizes_are_validated():
    with pytest.raises(ConfigError):
        random_split(10, sizes=(0.8, 0.3, 0.1))
    with pytest.raises(ConfigError):
        random_split(10, sizes=(0.9, 0.1))


def test_stratified_keeps_class_shares():
    y = np.array([1] * 20 + [0] * 180, dtype=float)
    s = stratified_split(y, seed=3)
    _check_partition(s, 200)
    assert len(s) == 200
    assert y[s.train].sum() == 16 and y[s.valid].sum() == 2 and y[s.test].sum() == 2
    assert stratified_split(y, seed=3) == s
    multi = np.column_stack([y, np.full(200, np.nan)])
    assert len(stratified_split(multi, seed=0)) == 200


def test_scaffold_split_keeps_scaffolds_together_and_is_deterministic():
    s = scaffold_split(SMILES)
    _check_partition(s, len(SMILES))
    assert len(s) == len(SMILES) and s.seed is None
    groups = scaffold_sets(SMILES)
    part_of = {i: k for k, part in enumerate(s) for i in part.tolist()}
    for members in groups.values():
        assert len({part_of[i] for i in members}) == 1
    assert scaffold_split(list(SMILES)) == s
    # largest scaffold sets go to train first: benzene (6) and pyridine (4)
    assert set(range(10)) <= set(s.train.tolist())


def test_scaffold_ties_follow_deepchem_order():
    # Two singleton scaffolds: DeepChem sorts (size, first index) descending, so the *later*
    # one is placed first: with three singletons and equal thirds, the last molecule is train.
    smiles = ["c1ccccc1C", "C1CCCCC1C", "c1ccncc1C"]
    s = scaffold_split(smiles, sizes=(1 / 3, 1 / 3, 1 / 3))
    assert s.train.tolist() == [2] and s.valid.tolist() == [1] and s.test.tolist() == [0]


def test_scaffold_split_rejects_invalid_smiles():
    with pytest.raises(InvalidMoleculeError, match="row 1"):
        scaffold_split(["CCO", "C1CC"])


def test_balanced_scaffold_seeded_and_scaffold_disjoint():
    a = balanced_scaffold_split(SMILES, seed=0)
    assert balanced_scaffold_split(SMILES, seed=0) == a
    _check_partition(a, len(SMILES))
    assert len(a) == len(SMILES)
    groups = scaffold_sets(SMILES)
    for seed in range(5):
        s = balanced_scaffold_split(SMILES, seed=seed)
        part_of = {i: k for k, part in enumerate(s) for i in part.tolist()}
        assert all(len({part_of[i] for i in m}) == 1 for m in groups.values())
    assert len({balanced_scaffold_split(SMILES, seed=k).sha256() for k in range(5)}) > 1


def test_affinity_splits():
    rng = np.random.default_rng(0)
    drug = rng.integers(0, 30, 600)
    target = rng.integers(0, 20, 600)
    w = warm_split(600, seed=0)
    _check_partition(w, 600)
    assert len(w) == 600 and w.kind == "warm"
    cd = cold_drug_split(drug, seed=0)
    assert len(cd) == 600
    assert not set(drug[cd.train]) & set(drug[cd.test])
    assert not set(drug[cd.train]) & set(drug[cd.valid])
    assert cd.meta["n_entities"] == [24, 3, 3]
    ct = cold_target_split(target, seed=0)
    assert not set(target[ct.train]) & set(target[ct.test])
    cp = cold_pair_split(drug, target, seed=0)
    _check_partition(cp, 600)
    assert not set(drug[cp.train]) & set(drug[cp.test])
    assert not set(target[cp.train]) & set(target[cp.test])
    assert len(cp) + cp.meta["n_discarded"] == 600
    assert cold_pair_split(drug, target, seed=0) == cp


def test_json_round_trip_and_file_sha(tmp_path):
    s = scaffold_split(SMILES)
    path = s.save(tmp_path / "split.json")
    loaded = Split.load(path)
    assert loaded == s and loaded.kind == "scaffold" and loaded.sizes == s.sizes
    assert hashlib.sha256(path.read_bytes()).hexdigest() == s.sha256() == loaded.sha256()
    assert Split.from_json(s.to_json()) == s
    with pytest.raises(ConfigError, match="schema"):
        Split.from_json('{"train": [1]}')
    with pytest.raises(ConfigError):
        Split.load(tmp_path / "missing.json")
    with pytest.raises(ValueError, match="overlap"):
        Split([0, 1], [1], [2])


def test_make_split_dispatch(tmp_path, monkeypatch):
    from drugscreen.data.loaders import AffinityDataset, MoleculeDataset
    from drugscreen.data.specs import TaskSpec

    n = len(SMILES)
    y = (np.arange(n) % 2).astype(float)[:, None]
    ds = MoleculeDataset("toy", list(SMILES), list(SMILES), y, [TaskSpec("t", "classification")],
                         "classification", np.arange(n), [], "ab" * 32)  # fmt: skip
    s = make_split("scaffold", ds)
    assert s == scaffold_split(SMILES) and s.meta["dataset"] == "toy" and s.meta["n"] == n
    assert make_split("Balanced-Scaffold", ds, seed=1) == balanced_scaffold_split(SMILES, seed=1)
    assert make_split("stratified", ds, seed=1).kind == "stratified"
    with pytest.raises(UnknownNameError):
        make_split("butina", ds)
    aff = AffinityDataset("toyaff", ["a", "b"], ["C", "N"], ["p"], ["M"], np.array([0, 1, 0, 1]),
                          np.zeros(4, dtype=np.int64), np.ones(4), TaskSpec("v", "regression"))  # fmt: skip
    assert make_split("cold_drug", aff).kind == "cold_drug"
    with pytest.raises(UnknownNameError):
        make_split("scaffold", aff)
