"""Affinity metrics (CI, per-target ranking, screening metrics) and grouped cold-target splits."""

from __future__ import annotations

import itertools

import numpy as np

from drugscreen.repurposing.evaluation import (
    concordance_index,
    per_target_ranking,
    virtual_screening_metrics,
)
from drugscreen.repurposing.splits import base_target_name, group_split, group_targets


def _ci_brute(y, f) -> float:
    num = den = 0.0
    for i, j in itertools.combinations(range(len(y)), 2):
        if y[i] == y[j]:
            continue
        if y[i] < y[j]:
            i, j = j, i
        den += 1
        num += 1.0 if f[i] > f[j] else 0.5 if f[i] == f[j] else 0.0
    return num / den


def test_concordance_index_matches_brute_force_with_ties() -> None:
    rng = np.random.default_rng(0)
    for _ in range(5):
        y = rng.integers(0, 6, 60).astype(float)
        f = rng.integers(0, 8, 60).astype(float)
        assert abs(concordance_index(y, f) - _ci_brute(y, f)) < 1e-12
    y = np.arange(10.0)
    assert concordance_index(y, y) == 1.0
    assert concordance_index(y, -y) == 0.0
    assert np.isnan(concordance_index(np.ones(4), np.arange(4.0)))


def test_per_target_ranking_and_screening_metrics() -> None:
    t = np.repeat([0, 1], 20)
    y = np.tile(np.r_[np.full(4, 8.0), np.full(16, 5.0)], 2)
    perfect = per_target_ranking(t, y, y + np.tile(np.linspace(0, 0.1, 20), 2), binder_threshold=7.0)
    assert perfect["n_targets"] == 2 and perfect["hit_rate_top"] == 1.0 and perfect["base_rate"] == 0.2
    vs = virtual_screening_metrics(np.arange(100)[::-1], np.r_[np.ones(5), np.zeros(95)].astype(bool))
    assert vs["bedroc"] > 0.99 and vs["recall@10"] == 1.0 and vs["ef1"] > 15
    worst = virtual_screening_metrics(np.arange(100), np.r_[np.ones(5), np.zeros(95)].astype(bool))
    assert worst["bedroc"] < 0.01 and worst["recall@10"] == 0.0


def test_mutants_and_fragments_grouped_together() -> None:
    assert base_target_name("FLT3(D835H)") == "FLT3"
    assert base_target_name("ABL1p") == "ABL1"
    assert base_target_name("CDK2") == "CDK2"
    rng = np.random.default_rng(1)
    aa = np.array(list("ACDEFGHIKLMNPQRSTVWY"))
    kinase = "".join(rng.choice(aa, 400))
    other = "".join(rng.choice(aa, 400))
    mutant = kinase[:200] + ("A" if kinase[200] != "A" else "C") + kinase[201:]
    ids = ["KIN", "P99999", "MUTANT_X", "OTHER", "OTHER(L1P)"]
    seqs = [kinase, "MSE" + kinase[50:350] + "GG", mutant, other, other]
    g = group_targets(ids, seqs)
    assert g[0] == g[1] == g[2]
    assert g[3] == g[4] != g[0]
    train, valid, test = group_split(g, seed=0, frac_valid=0.3, frac_test=0.3)
    for mask in (train, valid, test):
        for grp in np.unique(g[mask]):
            assert mask[g == grp].all()  # a group never straddles parts
