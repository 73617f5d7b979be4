"""Splits of drug-target affinity data that keep "new" really new.

* ``warm``: random pairs.
* ``cold_drug``: drugs are grouped by standardized canonical SMILES across datasets (a drug in
  both DAVIS and KIBA is one group), and whole groups go to train, valid or test.
* ``cold_target``: targets are grouped so that no test protein, and no mutant, fragment or
  re-measured form of it, reaches training. Two targets (from any dataset) are in one group when

  - they share a base name (DAVIS: ``FLT3(D835H)``, ``FLT3(ITD)`` and ``FLT3`` -> ``FLT3``; a
    trailing ``p`` after a digit marks the phosphorylated form: ``ABL1p`` -> ``ABL1``), or
  - their sequences are near-identical or one contains most of the other: the fraction of the
    shorter sequence's distinct 5-mers found in the longer one is at least ``0.5`` (point
    mutants share ~99%, a kinase domain inside a full-length protein ~100%, while distinct
    kinases of one family share far fewer exact 5-mers).

  Groups are the connected components of these links (union-find), computed jointly over
  DAVIS and KIBA so that a DAVIS test kinase is also kept out of KIBA training.

Groups are shuffled with the seed and taken in that order into test, then valid, until each
holds its fraction of the items; the rest is train.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "SPLIT_KINDS",
    "PairSplit",
    "base_target_name",
    "group_targets",
    "group_split",
    "kmer_containment_groups",
]

SPLIT_KINDS = ("warm", "cold_drug", "cold_target")
_PHOSPHO = re.compile(r"(?<=\d)p$")


@dataclass(frozen=True)
class PairSplit:
    """Indices of the pairs of one dataset in each part."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray

    def to_json(self) -> dict[str, list[int]]:
        return {k: getattr(self, k).tolist() for k in ("train", "valid", "test")}


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)

    def labels(self) -> np.ndarray:
        roots = [self.find(i) for i in range(len(self.parent))]
        _, labels = np.unique(roots, return_inverse=True)
        return labels.astype(np.int64)


def base_target_name(target_id: str) -> str:
    """Gene-level name of a DAVIS-style target id (mutation/domain/phospho tags removed)."""
    base = target_id.split("(")[0].strip()
    base = re.sub(r"-(non)?phosphorylated$", "", base)
    return _PHOSPHO.sub("", base).upper()


def kmer_containment_groups(sequences: Sequence[str], k: int = 5, threshold: float = 0.5) -> list[tuple[int, int]]:
    """Pairs ``(i, j)`` whose shorter sequence has >= ``threshold`` of its distinct k-mers in the other."""
    sets = [frozenset(s[i : i + k] for i in range(len(s) - k + 1)) for s in sequences]
    # inverted index: k-mer -> sequences holding it; count shared k-mers per pair
    index: dict[str, list[int]] = {}
    for i, kmers in enumerate(sets):
        for km in kmers:
            index.setdefault(km, []).append(i)
    n = len(sequences)
    shared = np.zeros((n, n), dtype=np.int32)
    for holders in index.values():
        if len(holders) > 1:
            h = np.asarray(holders)
            shared[np.ix_(h, h)] += 1
    sizes = np.array([max(len(s), 1) for s in sets])
    frac = shared / np.minimum(sizes[:, None], sizes[None, :])
    ii, jj = np.nonzero(np.triu(frac >= threshold, 1))
    return list(zip(ii.tolist(), jj.tolist(), strict=True))


def group_targets(target_ids: Sequence[str], sequences: Sequence[str], threshold: float = 0.5) -> np.ndarray:
    """Group label of each target (see the module docstring for the rules)."""
    n = len(target_ids)
    uf = _UnionFind(n)
    first: dict[str, int] = {}
    for i, tid in enumerate(target_ids):
        key = base_target_name(tid)
        if key in first:
            uf.union(first[key], i)
        else:
            first[key] = i
    for i, j in kmer_containment_groups(sequences, threshold=threshold):
        uf.union(i, j)
    return uf.labels()


def group_split(
    groups: np.ndarray, seed: int, frac_valid: float = 0.1, frac_test: float = 0.1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Assign whole groups to (train, valid, test); returns boolean masks over the items."""
    rng = np.random.default_rng(seed)
    uniq = np.unique(groups)
    order = rng.permutation(uniq)
    counts = np.bincount(groups, minlength=int(groups.max()) + 1)
    n = len(groups)
    test_g: list[int] = []
    valid_g: list[int] = []
    n_test = n_valid = 0
    for g in order:
        if n_test < frac_test * n:
            test_g.append(int(g))
            n_test += int(counts[g])
        elif n_valid < frac_valid * n:
            valid_g.append(int(g))
            n_valid += int(counts[g])
    test = np.isin(groups, test_g)
    valid = np.isin(groups, valid_g)
    return ~(test | valid), valid, test
