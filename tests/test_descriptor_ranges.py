"""Descriptor ranges (the size/composition half of the applicability domain): fitting, the
stored form, the text users read, training data, bundles and the Screener's out_of_range."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from tiny_data import tiny_dataset

from drugscreen.bundle import load_bundle
from drugscreen.descriptor_ranges import RANGE_FEATURIZER, DescriptorRanges
from drugscreen.exceptions import BundleError
from drugscreen.featurizers.descriptors import FastDescriptors
from drugscreen.featurizers.molecule import prepare_molecule
from drugscreen.screening.screener import Screener
from drugscreen.training.data import build_training_data

TINY_BUNDLE = Path(__file__).parent / "data" / "tiny_bundle"
C64 = "C" * 64


def _ranges() -> DescriptorRanges:
    raw = np.array([[1.0, 10.0, np.nan], [3.0, 20.0, np.nan], [2.0, 15.0, 0.5], [5.0, 100.0, 0.25]])
    return DescriptorRanges.fit(raw, np.array([0, 0, 0, 1]), ["small", "big"], ["atoms", "mw", "frac"])


def test_fit_records_each_groups_min_and_max_ignoring_nan() -> None:
    r = _ranges()
    np.testing.assert_array_equal(r.low, [[1.0, 10.0, 0.5], [5.0, 100.0, 0.25]])
    np.testing.assert_array_equal(r.high, [[3.0, 20.0, 0.5], [5.0, 100.0, 0.25]])
    assert r.n_train == [3, 1]
    empty = DescriptorRanges.fit(np.array([[np.nan], [np.nan]]), np.array([0, 0]), ["g"], ["d"])
    assert np.isnan(empty.low).all() and not empty.outside(np.array([[1e9]])).any()  # no range, never flagged


def test_round_trip_through_json() -> None:
    r = DescriptorRanges.fit(np.array([[1.0, np.nan], [2.0, np.nan]]), np.array([0, 0]), ["g"], ["a", "b"])
    back = DescriptorRanges.from_dict(json.loads(json.dumps(r.to_dict())))
    np.testing.assert_array_equal(back.low, r.low)
    np.testing.assert_array_equal(back.high, r.high)
    assert (back.names, back.groups, back.n_train, back.featurizer) == (r.names, r.groups, r.n_train, RANGE_FEATURIZER)
    with pytest.raises(ValueError, match="unknown format"):
        DescriptorRanges.from_dict({**r.to_dict(), "format": 99})
    with pytest.raises(ValueError, match="expected"):
        DescriptorRanges.from_dict({**r.to_dict(), "low": [[1.0]]})


def test_describe_names_the_furthest_descriptor_per_group() -> None:
    r = _ranges()
    raw = np.array([
        [2.0, 12.0, 0.5],    # inside "small"; outside "big" (atoms 2 < 5, mw 12 < 100, frac 0.5 > 0.25)
        [4.0, 60.0, 0.5],    # small: atoms 4 > 3 by 1/2 width, mw 60 > 20 by 4 widths -> mw named
        [np.nan, 15.0, 0.5],  # a NaN descriptor is not flagged
    ])  # fmt: skip
    out = r.outside(raw)
    assert out.tolist() == [[False, True], [True, True], [False, True]]
    text = r.describe(raw)
    assert text[0] == "big: mw 12 < 100 (+2 more)"  # widths of a one-molecule range count as 1
    assert text[1].startswith("small: mw 60 > 20 (+1 more); big: ")
    assert r.describe(raw, groups=["small"]) == ["", "small: mw 60 > 20 (+1 more)", ""]
    # groups with the same message are joined
    twin = DescriptorRanges.fit(np.array([[1.0], [1.0]]), np.array([0, 1]), ["bace_c", "bace_r"], ["TPSA"])
    assert twin.describe(np.array([[0.25]])) == ["bace_c, bace_r: TPSA 0.25 < 1"]
    with pytest.raises(ValueError, match="expected 3 descriptors"):
        r.excess(np.zeros((1, 2)))


def test_training_data_records_per_dataset_ranges(tmp_path: Path) -> None:
    a, b = tiny_dataset(64, name="first"), tiny_dataset(40, name="second", with_regression=False)
    data = build_training_data([a, b], split="random", seed=0, cache_dir=str(tmp_path))
    r = DescriptorRanges.from_dict(data.descriptor_ranges)
    assert r.groups == ["first", "second"] and r.featurizer == RANGE_FEATURIZER
    raw = FastDescriptors().featurize_many([prepare_molecule(s).mol for s in data.train.smiles_std])
    for k in range(2):
        rows = raw[data.train.dataset_index == k]
        assert r.n_train[k] == len(rows)
        # (recomputed from the standardized SMILES: Chi1v may differ in the last bit)
        np.testing.assert_allclose(r.low[k], np.nanmin(rows, axis=0), rtol=1e-12)
        np.testing.assert_allclose(r.high[k], np.nanmax(rows, axis=0), rtol=1e-12)
    assert data.train.desc is None  # the scaled hybrid input is only built when asked for


def test_screener_flags_molecules_larger_than_any_training_molecule() -> None:
    s = Screener.load(TINY_BUNDLE, profile=None)
    df = s.score(["c1ccccc1C", C64, "not a smiles"])
    assert df["out_of_range"].iloc[0] == ""
    assert df["out_of_range"].iloc[1].startswith("tiny: ") and "> " in df["out_of_range"].iloc[1]
    assert df["out_of_range"].iloc[2] == ""  # invalid row
    ranges = s.bundle.descriptor_ranges
    assert ranges.outside(s.bundle.range_inputs([prepare_molecule(C64).mol])).all()


def test_bundle_without_ranges_scores_with_empty_column(tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(TINY_BUNDLE, old)
    cfg = json.loads((old / "config.json").read_text())
    del cfg["domain"]["descriptor_ranges"]
    (old / "config.json").write_text(json.dumps(cfg))
    s = Screener.load(old, profile=None)
    assert s.bundle.descriptor_ranges is None and s.bundle.range_inputs([prepare_molecule("CCO").mol]) is None
    assert s.score([C64])["out_of_range"].tolist() == [""]
    cfg["domain"]["descriptor_ranges"] = {"format": 1, "names": ["a"]}
    (old / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(BundleError, match="bad descriptor ranges"):
        _ = load_bundle(old).descriptor_ranges


def test_trained_bundle_records_ranges_and_held_out_evidence() -> None:
    b = load_bundle(TINY_BUNDLE)
    dom = b.config["domain"]
    assert b.descriptor_ranges.groups == ["tiny"] and b.descriptor_ranges.n_train == [b.config["data"]["tiny"]["n_train"]]
    for part in ("valid", "test"):
        (ev,) = dom["range_evidence"][part]
        assert ev["group"] == "tiny" and ev["n_in"] + ev["n_out"] == b.config["data"]["tiny"][f"n_{part}"]
    assert "### Descriptor ranges" in b.card()


def test_predict_smiles_reports_out_of_range_like_the_screener() -> None:
    b = load_bundle(TINY_BUNDLE)
    smiles = ["c1ccccc1C", C64, "not a smiles"]
    pred = b.predict_smiles(smiles)
    screened = Screener.load(TINY_BUNDLE, profile=None).score(smiles)
    assert pred.out_of_range == screened["out_of_range"].tolist()
    assert pred.out_of_range[1] and pred.out_of_range[2] == ""


def test_mentions_reads_the_group_names_describe_writes() -> None:
    from drugscreen.descriptor_ranges import mentions

    r = DescriptorRanges.fit(np.array([[1.0], [1.0], [5.0]]), np.array([0, 1, 2]), ["bace_c", "bace", "esol"], ["TPSA"])
    texts = r.describe(np.array([[0.5], [5.0], [1.0]]))
    assert texts == ["bace_c, bace: TPSA 0.5 < 1; esol: TPSA 0.5 < 5", "bace_c, bace: TPSA 5 > 1", "esol: TPSA 1 < 5"]
    assert mentions(texts, "bace").tolist() == [True, True, False]
    assert mentions(texts, "bace_c").tolist() == [True, True, False]
    assert mentions(texts, "esol").tolist() == [True, False, True]
    assert mentions(texts, "bac").tolist() == [False, False, False]
