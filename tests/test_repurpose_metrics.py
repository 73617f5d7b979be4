"""Affinity metrics (CI, per-target ranking, screening metrics) and grouped cold-target splits."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

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


def test_davis_style_mutant_names_share_the_base() -> None:
    for tid in ("ABL1(E255K)", "ABL1(E255K)-phosphorylated", "ABL1-nonphosphorylated", "ABL1p", "ABL1(T315I)"):
        assert base_target_name(tid) == "ABL1"
    assert base_target_name("KIT(V559D-T670I)") == "KIT" and base_target_name("JAK1(JH2domain-pseudokinase)") == "JAK1"
    # an ABL1 point mutant is grouped with ABL1 by name; a renamed copy is caught by its sequence
    rng = np.random.default_rng(2)
    aa = np.array(list("ACDEFGHIKLMNPQRSTVWY"))
    abl1 = "".join(rng.choice(aa, 500))
    e255k = abl1[:254] + "K" + abl1[255:]
    g = group_targets(["ABL1p", "ABL1(E255K)", "P00519", "SRC"], [abl1, e255k, abl1[200:480], "".join(rng.choice(aa, 500))])
    assert g[0] == g[1] == g[2] != g[3]


def test_fusion_rules() -> None:
    from drugscreen.repurposing.scoring import fuse, percentile_rank, standardize

    a = np.array([1.0, 0.5, 0.45, 0.4, 0.1])
    b = np.array([0.5, 0.6, 0.7, 0.65, 0.0])
    rank, contrib, spread = fuse({"ecfp4": a, "fcfp4": b}, {"ecfp4": 1.0, "fcfp4": 1.0}, rule="rank")
    assert np.allclose(rank, (percentile_rank(a) + percentile_rank(b)) / 2)
    assert np.allclose(contrib["ecfp4"] + contrib["fcfp4"], 1.0) and spread.shape == (5,)
    z, _, _ = fuse({"ecfp4": a, "fcfp4": b}, {"ecfp4": 1.0, "fcfp4": 1.0}, rule="zscore")
    assert np.allclose(z, (standardize(a) + standardize(b)) / 2)
    # the rank rule flattens a standout: drug 0 (far above the rest on ECFP4) wins only under zscore
    assert np.argmax(z) == 0 and np.argmax(rank) != 0
    single, _, _ = fuse({"ecfp4": a}, {"ecfp4": 1.0}, rule="zscore")
    assert (np.argsort(single) == np.argsort(a)).all()
    assert np.allclose(standardize(np.ones(4)), 0.0)
    with pytest.raises(ValueError, match="unknown fusion rule"):
        fuse({"ecfp4": a}, {"ecfp4": 1.0}, rule="borda")
    with pytest.raises(ValueError, match="positive weight"):
        fuse({"ecfp4": a}, {"ecfp4": 0.0})


@pytest.mark.shared_data
def test_cold_target_split_of_davis_and_kiba_is_really_cold() -> None:
    """No test target, nor a mutant/fragment/re-measured form of it, has pairs in training."""
    from drugscreen.data import load_affinity
    from drugscreen.repurposing.training import AffinityTask, make_splits

    tasks = []
    for name in ("davis", "kiba"):
        ds = load_affinity(name)
        tasks.append(AffinityTask(name, ds.drug_ids, ds.drug_smiles, [], list(ds.target_ids), list(ds.target_sequences),
                                  ds.drug_idx, ds.target_idx, ds.value))  # fmt: skip
    splits = make_splits(tasks, "cold_target", seed=0)
    part_targets = {p: [] for p in ("train", "valid", "test")}  # (dataset, id, sequence)
    for t in tasks:
        for p in part_targets:
            ti = np.unique(t.target_idx[getattr(splits[t.name], p)])
            part_targets[p] += [(t.name, t.target_ids[i], t.sequences[i]) for i in ti]
    train_names = {base_target_name(tid) for _, tid, _ in part_targets["train"]}
    davis_ids = set(tasks[0].target_ids)
    # DAVIS mutants (e.g. FLT3(D835H), KIT(D816V), BRAF(V600E)) sit in the same part as their wild type
    parts = {tid: p for p in part_targets for ds, tid, _ in part_targets[p] if ds == "davis"}
    mutants = [tid for tid in davis_ids if "(" in tid and tid.split("(")[0] in davis_ids]
    assert len(mutants) >= 20
    for tid in mutants:
        assert parts[tid] == parts[tid.split("(")[0]], tid
    # independent check on the sequences (8-mers, not the splitter's 5-mers): nothing held out is
    # near-identical to, or contained in, a training protein
    def kmers(s: str, k: int = 8) -> set[str]:
        return {s[i : i + k] for i in range(len(s) - k + 1)}

    train_kmers = [kmers(s) for _, _, s in part_targets["train"]]
    for p in ("valid", "test"):
        assert part_targets[p]
        for ds, tid, seq in part_targets[p]:
            if ds == "davis":
                assert base_target_name(tid) not in train_names, tid
            km = kmers(seq)
            worst = max(len(km & tk) / min(len(km), len(tk)) for tk in train_kmers)
            assert worst < 0.5, (ds, tid, worst)
