"""The known-pharmacology benchmark's list file and its figures (benchmarks/known_drugs.py).

No shared data: the list is checked against the approved-drug list shipped in the package, and
the ROC-AUC / bootstrap code against scikit-learn on small arrays.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "known_drugs.py"
LISTS = ROOT / "benchmarks" / "known_drugs.toml"


@pytest.fixture(scope="module")
def kd():
    spec = importlib.util.spec_from_file_location("known_drugs_benchmark", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def approved():
    from drugscreen.data import approved_drugs

    table = approved_drugs()
    return [str(n) for n in table["pref_name"]], [str(s) for s in table["smiles"]]


def test_list_file_parses_and_every_class_has_positives_and_negatives(kd):
    lists = kd.load_lists(LISTS)
    assert {c.id for c in lists.classes} == {"hiv", "er", "ar", "bbb"}
    for c in lists.classes:
        assert c.endpoints
        for comp in c.comparisons:
            pos = [n for g in comp.positives for n in c.groups[g]["drugs"]]
            assert len(pos) >= 3, (c.id, comp.name)
            if comp.negatives == "all_other":
                continue
            neg = [n for g in comp.negatives for n in c.groups[g]["drugs"]]
            assert len(neg) >= 3, (c.id, comp.name)
            assert not set(pos) & set(neg), (c.id, comp.name)
        # every group says where its class comes from
        assert all(str(g["source"]).strip() for g in c.groups.values())


def test_every_name_is_in_the_approved_list_and_salts_are_declared(kd, approved):
    pref, smiles = approved
    lists = kd.load_lists(LISTS)
    rows, missing = kd.resolve_names(lists.all_names(), pref, smiles)
    assert missing == []
    salts = {n for n, i in rows.items() if "." in smiles[i]}
    assert salts == set(lists.salt_forms)
    # a name with a salt-free row is read from it (CARBIDOPA: monohydrate and parent rows)
    assert "." not in smiles[rows["CARBIDOPA"]]


def test_list_file_errors_name_the_problem(kd, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[classes]]\nid = "x"\ntitle = "x"\nendpoints = ["hiv"]\n'
        '[classes.groups.a]\nrole = "positive"\nsource = "s"\ndrugs = ["A"]\n'
        '[[classes.comparisons]]\nname = "c"\npositives = ["a"]\nnegatives = ["a"]\n'
    )
    with pytest.raises(ValueError, match="'a' is not a negative group"):
        kd.load_lists(bad)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_auc_matches_sklearn_with_ties(kd, seed):
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    pos = rng.integers(0, 6, 17).astype(float)  # few distinct values: many ties
    neg = rng.integers(0, 5, 40).astype(float)
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    assert kd.roc_auc(pos, neg) == pytest.approx(roc_auc_score(y, np.r_[pos, neg]), abs=1e-12)


def test_roc_auc_toy_values(kd):
    assert kd.roc_auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert kd.roc_auc([0.1], [0.9]) == 0.0
    assert kd.roc_auc([0.5], [0.5]) == 0.5
    assert np.isnan(kd.roc_auc([], [0.5]))


def test_bootstrap_interval_is_reproducible_and_matches_a_direct_resampling(kd):
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    pos = rng.normal(1.0, 1.0, 12)
    neg = rng.normal(0.0, 1.0, 30)
    auc, lo, hi = kd.bootstrap_auc(pos, neg, n_boot=300, seed=7)
    assert (auc, lo, hi) == kd.bootstrap_auc(pos, neg, n_boot=300, seed=7)
    # the same resamples, scored by sklearn
    r = np.random.default_rng(7)
    vals = []
    for _ in range(300):
        p = pos[r.integers(0, len(pos), len(pos))]
        n = neg[r.integers(0, len(neg), len(neg))]
        vals.append(roc_auc_score(np.r_[np.ones(len(p)), np.zeros(len(n))], np.r_[p, n]))
    assert auc == pytest.approx(roc_auc_score(np.r_[np.ones(12), np.zeros(30)], np.r_[pos, neg]))
    assert (lo, hi) == pytest.approx(tuple(np.percentile(vals, [2.5, 97.5])))
    assert lo < auc < hi
    assert np.isnan(kd.bootstrap_auc(pos[:1], neg, n_boot=50)[1])


def test_heavy_atom_composition_read_from_smiles(kd):
    assert kd.heavy_atom_composition("CC(=O)Oc1ccccc1C(=O)O") == "C9O4"
    assert kd.heavy_atom_composition("C[N+](C)(C)CCOC(N)=O") == "C6N2O2"
    assert kd.heavy_atom_composition("[2H]C([2H])Cl.[Na+].c1cc[nH]c1Br") == "Br1C5Cl1N1Na1"
    assert kd.heavy_atom_composition("[se]1cccc1") == "C4Se1"


def test_verdict_needs_an_interval_and_enough_drugs(kd):
    assert kd.verdict(0.6, 0.9, 10, 10) == "separates"
    assert kd.verdict(0.4, 0.7, 10, 10).startswith("no signal")
    assert kd.verdict(0.1, 0.4, 10, 10).startswith("reversed")
    # a degenerate interval from 3 against 2 drugs is not evidence
    assert kd.verdict(1.0, 1.0, 3, 2).startswith("too few")
    assert kd.verdict(float("nan"), float("nan"), 1, 200).startswith("too few")
