"""Each training dataset's own applicability domain: a bundle records which datasets each
training fingerprint comes from, and `screen` names the datasets whose own molecules a query
is far from (``out_of_domain_for``), beside the panel-wide ``ad_similarity`` / ``in_domain``."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from screen_fixtures import TINY_BUNDLE
from tiny_data import tiny_dataset, tiny_train_config

from drugscreen.bundle import FPS_FILE, load_bundle
from drugscreen.domain import (
    DatasetDomain,
    describe_out_of_domain,
    distinct_fingerprints,
    far_datasets,
    max_tanimoto,
)
from drugscreen.exceptions import BundleError

QUERIES = ["CCO", "c1ccccc1CCCCCCN", "CC(C)(C)c1ccc(O)cc1", "OC(=O)c1ccccc1O", "C1CC"]


def _random_fps(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.packbits(rng.random((n, 2048)) < 0.02, axis=1)


def test_dataset_similarity_is_each_datasets_own_max_tanimoto() -> None:
    fps = _random_fps(60, 0)
    member = np.zeros((60, 3), dtype=np.uint8)
    member[:30, 0] = 1
    member[20:, 1] = 1  # rows 20-29 in both
    member[20:, 2] = 1  # the same molecules as dataset 1
    dom = DatasetDomain(fps, member, ["x", "y", "y_pic50"])
    # a few queries (popcounts, nothing prepared) and many (the prepared whole set, one pass)
    for query in (np.concatenate([fps[[3, 45]], _random_fps(4, 1)]), np.concatenate([fps[[3, 45]], _random_fps(60, 1)])):
        sim = dom.similarity(query, whole=True)
        np.testing.assert_array_equal(sim[:, 0], max_tanimoto(query, fps))
        for j in range(3):
            np.testing.assert_array_equal(sim[:, 1 + j], max_tanimoto(query, fps[member[:, j] == 1]))
        np.testing.assert_array_equal(dom.similarity(query, ["y"]), sim[:, [2]])
    sim = sim[:, 1:]
    assert sim[0, 0] == 1.0 and sim[1, 1] == 1.0
    assert dom.groups() == [["x"], ["y", "y_pic50"]] and dom.groups(["y_pic50"]) == [["y_pic50"]]
    assert (dom.size("x"), dom.size("y")) == (30, 40)
    text = dom.describe(sim, dom.names, 0.5)
    assert text[0] == f"y, y_pic50 {np.floor(sim[0, 1] * 100) / 100:.2f}" and text[1].startswith("x ")
    assert dom.describe(sim, dom.names, 0.0) == [""] * len(sim)
    assert far_datasets(text[0]) == ["y", "y_pic50"]
    with pytest.raises(KeyError, match="no training fingerprints recorded for \\['z'\\]"):
        dom.similarity(query, ["z"])
    with pytest.raises(ValueError, match="membership must be"):
        DatasetDomain(fps, member[:, :2], ["x", "y", "z"])


def test_describe_rounds_down_and_skips_nan() -> None:
    """0.2996 under a threshold of 0.3 must not print as 0.30, which reads as reaching it."""
    sim = np.array([[0.2996, 0.5, np.nan], [0.31, 0.1, 0.05]])
    assert describe_out_of_domain(sim, ["a", "b", "c"], 0.3) == ["a 0.29", "b 0.10; c 0.05"]


def test_distinct_fingerprints_keep_first_order_and_every_dataset() -> None:
    fps = _random_fps(5, 2)
    rows = fps[[0, 1, 0, 2, 1, 3]]
    distinct, member = distinct_fingerprints(rows, np.array([0, 0, 1, 1, 2, 2]), 3)
    np.testing.assert_array_equal(distinct, fps[[0, 1, 2, 3]])
    np.testing.assert_array_equal(member, [[1, 1, 0], [1, 0, 1], [0, 1, 0], [0, 0, 1]])
    empty, none = distinct_fingerprints(rows[:0], np.zeros(0, dtype=int), 3)
    assert empty.shape == (0, 256) and none.shape == (0, 3)


@pytest.fixture(scope="module")
def two_dataset_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle trained on two tiny datasets: ``a`` (60 molecules) and ``b`` (96, ``a``'s and 36 more)."""
    from drugscreen.training.data import build_training_data
    from drugscreen.training.trainer import train_on_data

    root = tmp_path_factory.mktemp("two")
    data = build_training_data([tiny_dataset(60, name="a", with_regression=False), tiny_dataset(96, name="b")],
                               split="random", seed=0, cache_dir=str(root / "cache"))
    train_on_data(data, tiny_train_config(dataset=["a", "b"], epochs=1), root / "bundle")
    return root / "bundle"


def test_a_trained_bundle_records_each_fingerprints_datasets(two_dataset_bundle: Path) -> None:
    bundle = load_bundle(two_dataset_bundle)
    assert bundle.config["domain"]["datasets"] == ["a", "b"]
    assert "datasets are recorded (a, b), so the screen's `out_of_domain_for`" in (two_dataset_bundle / "MODEL_CARD.md").read_text()
    dom = bundle.dataset_domain
    assert dom.size("b") > dom.size("a") > 0 and dom.size("b") == len(bundle.train_fps)  # b holds a's molecules
    # the union similarity is the largest of the datasets' own
    fps = bundle.train_fps[:5]
    np.testing.assert_array_equal(dom.similarity(fps).max(axis=1), bundle.applicability(fps)[0])
    sim, ind, per, names = bundle.domain_by_dataset(fps, ["b"])
    np.testing.assert_array_equal(sim, bundle.applicability(fps)[0])
    assert names == ["b"] and per.shape == (5, 1) and (per[:, 0] == 1.0).all()


def test_screen_names_the_datasets_a_molecule_is_far_from(two_dataset_bundle: Path) -> None:
    from drugscreen.screening.screener import Screener

    bundle = load_bundle(two_dataset_bundle)
    thr = bundle.domain_threshold
    df = Screener.load(two_dataset_bundle, profile=None).score(QUERIES)
    cols = list(df.columns)
    assert cols.index("out_of_domain_for") == cols.index("out_of_range") + 1
    pred = bundle.predict_smiles(QUERIES)
    assert df["out_of_domain_for"].tolist() == pred.out_of_domain_for
    assert pred.domain_datasets == ["a", "b"] and np.isnan(pred.dataset_similarity[-1]).all()
    np.testing.assert_array_equal(df["ad_similarity"].to_numpy(), np.round(pred.domain_similarity, 6))
    assert df["out_of_domain_for"].iloc[-1] == ""  # invalid row
    from drugscreen.domain import ecfp4_packed
    from drugscreen.featurizers.molecule import prepare_molecule

    mols = [prepare_molecule(s).mol for s in QUERIES[:-1]]
    own = bundle.dataset_domain.similarity(ecfp4_packed(mols))
    for text, row in zip(df["out_of_domain_for"].iloc[:-1], own, strict=True):
        listed = {part.rsplit(" ", 1)[0] for part in text.split("; ") if part}
        assert listed == {name for name, s in zip(["a", "b"], row, strict=True) if s < thr}, (text, row, thr)
    # only the datasets of the endpoints asked for
    only_b = Screener.load(two_dataset_bundle, endpoints="b", profile=None).score(QUERIES)
    assert not only_b["out_of_domain_for"].str.contains("a ", regex=False).any()


def test_membership_survives_save_and_tampering_is_refused(two_dataset_bundle: Path, tmp_path: Path) -> None:
    copy = load_bundle(two_dataset_bundle).save(tmp_path / "copy")
    again = load_bundle(copy)
    assert again.config["domain"]["datasets"] == ["a", "b"] and again.dataset_domain.size("a") > 0
    raw = bytearray((copy / FPS_FILE).read_bytes())
    raw[-1] ^= 1
    (copy / FPS_FILE).write_bytes(bytes(raw))
    with pytest.raises(BundleError):
        load_bundle(copy)


def test_a_bundle_without_membership_gives_an_empty_column(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Bundles trained before it (the tiny test bundle) screen as before, with the column empty;
    a config naming datasets that its fingerprint file lacks is refused in one line."""
    from drugscreen.bundle import CONFIG_FILE
    from drugscreen.screening.screener import Screener

    bundle = load_bundle(TINY_BUNDLE)
    assert bundle.dataset_domain is None and bundle.predict_smiles(["CCO"]).out_of_domain_for is None
    assert Screener.load(TINY_BUNDLE, profile=None).score(["CCO", "c1ccccc1"])["out_of_domain_for"].tolist() == ["", ""]
    # a profile asking to weigh by it is told that this panel cannot
    from drugscreen.screening.profiles import Profile

    endpoint = Screener.load(TINY_BUNDLE, profile=None).all_endpoints[0].name
    weighed = Profile.from_toml(_OWN.format(w=0).replace('"a"', f'"{endpoint}"'))
    with caplog.at_level(logging.WARNING, logger="drugscreen.screening.screener"):
        same = Screener.load(TINY_BUNDLE, profile=weighed).score(["CCO", "c1ccccc1"])["score"]
    assert "out_of_own_domain_weight changes nothing with panel" in caplog.text
    plain = Profile.from_toml(_OWN.format(w=1).replace('"a"', f'"{endpoint}"'))
    np.testing.assert_array_equal(same, Screener.load(TINY_BUNDLE, profile=plain).score(["CCO", "c1ccccc1"])["score"])

    import shutil

    broken = Path(shutil.copytree(TINY_BUNDLE, tmp_path / "broken"))
    config = json.loads((broken / CONFIG_FILE).read_text())
    config["domain"]["datasets"] = ["tiny"]
    (broken / CONFIG_FILE).write_text(json.dumps(config))
    with pytest.raises(BundleError, match="has no 'datasets' tensor"):
        _ = load_bundle(broken).dataset_domain


# -- a profile's out_of_own_domain_weight: objectives on an endpoint whose own dataset is far ------

_OWN = """
[filters]
out_of_own_domain_weight = {w}

[[objectives]]
endpoint = "a"
direction = "up"
thresholds = [0.0, 1.0]

[[objectives]]
endpoint = "qed"
direction = "up"
thresholds = [0.0, 1.0]
"""


def test_profile_weighs_objectives_outside_their_own_dataset() -> None:
    import pandas as pd

    from drugscreen.exceptions import ConfigError
    from drugscreen.screening.profiles import Profile

    prof = Profile.from_toml(_OWN.format(w=0.5) + '\n[[objectives]]\nendpoint = "t_*"\ndirection = "down"\nthresholds = [0.0, 1.0]\n')
    assert prof.out_of_own_domain_weight == 0.5
    assert Profile.from_dict(prof.to_dict()) == prof
    assert "out_of_own_domain_weight" not in Profile.from_toml(_OWN.format(w=1)).to_dict()["filters"]
    for bad, message in (("1.5", "must be in 0..1"), ("-0.1", "must be in 0..1"), ('"half"', "must be a finite number")):
        with pytest.raises(ConfigError, match=f"out_of_own_domain_weight {message}"):
            Profile.from_toml(_OWN.format(w=bad))
    df = pd.DataFrame({"a": [0.8, 0.8, 0.8, 0.0], "qed": [0.2, 0.2, 0.2, 0.5], "t_1": [0.1, 0.1, 0.1, 0.1],
                       "t_2": [0.3, 0.3, 0.3, 0.3], "valid": True})
    resolved = prof.resolve({"a": "a", "qed": "qed", "t_1": "t_1", "t_2": "t_2"})
    outside = {"a": np.array([False, True, False, True]), "t_2": np.array([False, False, True, False])}
    score = prof.score(df, resolved, outside)
    full = (0.8 + 0.2 + 0.7) / 3
    np.testing.assert_allclose(score, [full, (0.5 * 0.8 + 0.2 + 0.7) / 2.5, (0.8 + 0.2 + 0.5 * 0.7) / 2.5,
                                       (0.5 * 0.0 + 0.5 + 0.7) / 2.5])  # t_*: one column outside is enough
    # without the flags (a panel that does not record each dataset's molecules) nothing changes
    inside = prof.score(df, resolved, {c: np.zeros(4, dtype=bool) for c in outside})
    np.testing.assert_allclose(inside[:3], full)
    np.testing.assert_allclose(prof.score(df, resolved), inside)
    np.testing.assert_allclose(prof.score(df, resolved, {}), inside)
    # weight 0 leaves the objective out: its 0 no longer sinks a geometric mean
    zero = Profile.from_toml('aggregate = "geometric"\n' + _OWN.format(w=0))
    geo = zero.score(df, zero.resolve({"a": "a", "qed": "qed"}), {"a": np.array([False, False, False, True])})
    assert geo[3] == pytest.approx(0.5) and geo[0] == pytest.approx(np.sqrt(0.8 * 0.2))
    from drugscreen.screening.report import _filters_text

    assert "left out where its endpoint's own training dataset" in _filters_text(zero)
    assert "weight × 0.5" in _filters_text(prof)


def test_screen_scores_with_the_own_domain_weight(two_dataset_bundle: Path) -> None:
    """Objectives on endpoint ``a`` count for the molecules ``a``'s own training molecules cover
    and not for the others, also when ``a`` is not among the endpoints output."""
    from tiny_data import tiny_smiles

    from drugscreen.domain import ecfp4_packed
    from drugscreen.featurizers.molecule import prepare_molecule
    from drugscreen.screening.profiles import Profile
    from drugscreen.screening.screener import Screener

    bundle = load_bundle(two_dataset_bundle)
    queries = tiny_smiles(96)[60:] + QUERIES
    mols = [prepare_molecule(s).mol for s in queries[:-1]]
    far = np.append(bundle.dataset_domain.similarity(ecfp4_packed(mols), ["a"])[:, 0] < bundle.domain_threshold, False)
    assert 0 < far.sum() < len(queries) - 1
    scored = {w: Screener.load(two_dataset_bundle, endpoints="b", profile=Profile.from_toml(_OWN.format(w=w))).score(queries)
              for w in (1, 0)}
    assert "a" not in scored[0].columns
    kept, dropped = scored[1]["score"].to_numpy(), scored[0]["score"].to_numpy()
    np.testing.assert_array_equal(dropped[~far], kept[~far])
    np.testing.assert_array_equal(dropped[far], scored[0]["qed"].to_numpy()[far])  # qed's desirability alone
    assert np.isnan(dropped[-1])  # the invalid row
    half = Screener.load(two_dataset_bundle, profile=Profile.from_toml(_OWN.format(w=0.5))).score(queries)
    a, qed = half["a"].to_numpy(), half["qed"].to_numpy()
    np.testing.assert_allclose(half["score"].to_numpy()[far], ((0.5 * a + qed) / 1.5)[far], rtol=1e-5)
    np.testing.assert_allclose(half["score"].to_numpy()[:-1][~far[:-1]], kept[:-1][~far[:-1]], rtol=1e-5)
