"""The Screener API on the tiny test bundle: columns, invalid rows, determinism, pickling."""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from screen_fixtures import BAD, GOOD, TINY_BUNDLE

from drugscreen.exceptions import ConfigError, InvalidMoleculeError, UnknownNameError
from drugscreen.messages import EMPTY_SMILES
from drugscreen.screening.screener import Screener, endpoint_column_name

pytestmark = pytest.mark.skipif(not (TINY_BUNDLE / "config.json").is_file(), reason="tiny bundle fixture missing")

MANY = [f"{a}{b}" for a in ("c1ccccc1", "C1CCNCC1", "c1ccncc1", "CCO", "CC(=O)N") for b in ("C", "O", "N", "Cl", "CC", "C(=O)O", "OC", "F")]


@pytest.fixture(scope="module")
def screener():
    return Screener.load(TINY_BUNDLE, profile="default")


def test_columns_in_order_and_types(screener):
    df = screener.score(GOOD + [b for b, _ in BAD])
    ends = [e.column for e in screener.endpoints]
    assert ends == ["has_N", "logp_Crippen"]
    expected = ["smiles", "id", "smiles_std", "valid", "error"]
    for c in ends:
        expected += [c, f"{c}_unc"]
    expected += ["ad_similarity", "in_domain", "out_of_range", "out_of_domain_for", "alerts_pains", "alerts_brenk", "qed", "mw", "clogp", "tpsa",
                 "hbd", "hba", "rotatable_bonds", "lipinski_violations", "permanent_charges", "acidic_groups", "score", "rank"]  # fmt: skip
    assert list(df.columns) == expected
    for c in ends + [f"{c}_unc" for c in ends] + ["ad_similarity", "qed", "mw", "score"]:
        assert df[c].dtype == np.float64, c
    assert df["rank"].dtype == "Int64"
    assert df["valid"].tolist() == [True] * len(GOOD) + [False] * len(BAD)
    ok = df[df["valid"]]
    assert ok["has_N"].between(0, 1).all() and ok["score"].between(0, 1).all()
    assert sorted(ok["rank"].tolist()) == list(range(1, len(GOOD) + 1))
    bad = df[~df["valid"]]
    assert bad[ends + ["score", "qed"]].isna().all().all() and bad["rank"].isna().all()


def test_invalid_inputs_flagged_in_place_with_reason(screener):
    inputs = ["CCO"] + [b for b, _ in BAD] + [None, float("nan"), "c1ccccc1"]
    df = screener.score(inputs)
    assert len(df) == len(inputs)
    assert df["id"].tolist() == list(range(len(inputs)))
    for i, (_, word) in enumerate(BAD, start=1):
        assert not df["valid"].iloc[i]
        assert word in df["error"].iloc[i].lower(), (i, df["error"].iloc[i])
    # None and NaN read as the blank cell "" does (BAD[0]): one wording, API and CLI alike
    assert df["error"].iloc[len(BAD) + 1] == EMPTY_SMILES and df["error"].iloc[len(BAD) + 2] == EMPTY_SMILES
    assert df["error"].iloc[1] == EMPTY_SMILES
    assert df["valid"].iloc[0] and df["valid"].iloc[-1] and df["error"].iloc[0] == ""


def test_on_invalid_raise(screener):
    with pytest.raises(InvalidMoleculeError) as info:
        screener.score(["CCO", "C1CC"], on_invalid="raise")
    assert info.value.index == 1 and "unclosed ring" in info.value.reason


def test_dataframe_input_keeps_columns(screener):
    frame = pd.DataFrame({"Compound": ["a", "b"], "SMILES": ["CCO", "CCN"], "x": [1, 2]})
    df = screener.score(frame, id_col="Compound")
    assert list(df.columns[:3]) == ["Compound", "SMILES", "x"] and df["id"].tolist() == ["a", "b"]


def test_an_id_column_in_any_case_is_the_id_and_empty_ids_fall_back_to_the_row(screener):
    frame = pd.DataFrame({"ID": ["m1", "m2"], "SMILES": ["CCO", "CCN"]})
    df = screener.score(frame)
    assert list(df.columns[:2]) == ["id", "SMILES"] and df["id"].tolist() == ["m1", "m2"]
    assert list(df.columns).count("id") == 1 and "ID" not in df.columns
    # the output scores again without an ambiguous-id error (its scored columns get _input)
    again = screener.score(df[["id", "SMILES"]])
    assert again["id"].tolist() == ["m1", "m2"]
    named = pd.DataFrame({"smiles": ["CCO", "CCN", "CCC"], "name": ["ethanol", "", None]})
    assert screener.score(named)["id"].tolist() == ["ethanol", "row 1", "row 2"]  # never another row's id "1"
    # an empty cell of the input's own id column too (it stayed empty)
    own = pd.DataFrame({"ID": ["a", "", "c"], "smiles": ["CCO", "CCN", "CCC"]})
    assert screener.score(own)["id"].tolist() == ["a", "row 1", "c"]


def test_deterministic_across_batch_composition(screener):
    alone = pd.concat([screener.score([s]) for s in MANY[:6]], ignore_index=True)
    mixed = screener.score(MANY[::-1] + MANY[:6]).iloc[len(MANY):].reset_index(drop=True)
    num = [c for c in alone.columns if alone[c].dtype == np.float64 and c != "score"]
    pd.testing.assert_frame_equal(alone[num], mixed[num], check_exact=True)
    other = Screener.load(TINY_BUNDLE, profile="default", batch_size=64)
    pd.testing.assert_frame_equal(other.score(MANY[:6])[num], alone[num], check_exact=True)


def test_score_iter_matches_score(screener):
    whole = screener.score(MANY)
    parts = list(screener.score_iter(iter(MANY), batch_size=7))
    assert [len(p) for p in parts] == [7] * (len(MANY) // 7) + ([len(MANY) % 7] if len(MANY) % 7 else [])
    joined = pd.concat(parts)
    assert list(joined.index) == list(range(len(MANY)))
    pd.testing.assert_series_equal(joined["score"], whole["score"], check_names=False)


def test_pickle_and_threads(screener):
    clone = pickle.loads(pickle.dumps(screener))
    ref = screener.score(MANY)
    pd.testing.assert_frame_equal(clone.score(MANY), ref)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda chunk: screener.score(chunk), [MANY] * 4))
    for r in results:
        pd.testing.assert_frame_equal(r, ref)


def test_endpoint_selection_and_errors():
    s = Screener.load(TINY_BUNDLE, endpoints="has_*", profile=None)
    assert [e.column for e in s.endpoints] == ["has_N"]
    df = s.score(["CCO"])
    assert "logp_Crippen" not in df.columns and np.isnan(df["score"].iloc[0])
    with pytest.raises(UnknownNameError, match="has_N"):
        Screener.load(TINY_BUNDLE, endpoints="nope")
    with pytest.raises(ConfigError, match="device"):
        Screener.load(TINY_BUNDLE, device="tpu")


def test_endpoint_column_names():
    assert endpoint_column_name({"name": "tox21_nr_ar", "type": "classification"}) == "tox21_nr_ar"
    assert endpoint_column_name({"name": "esol", "type": "regression", "units": "log10(mol/L)"}) == "esol_log_mol_per_L"
    assert endpoint_column_name({"name": "bace_pic50", "type": "regression", "units": "pIC50 (-log10 IC50/M)"}) == "bace_pic50"
    assert endpoint_column_name({"name": "lipophilicity", "type": "regression", "units": "logD7.4"}) == "lipophilicity_logD7_4"


def _single_dataset_bundle(tmp_path):
    """The tiny bundle with its tasks stored as a single-dataset run stores them (raw file columns)."""
    import json
    import shutil

    root = tmp_path / "single"
    shutil.copytree(TINY_BUNDLE, root)
    config = json.loads((root / "config.json").read_text())
    esol = "measured log solubility in mols per litre"
    config["tasks"][0].update(name="p_np", column="p_np", dataset="bbbp")
    config["tasks"][1].update(name=esol, column=esol, dataset="esol", units="log10(mol/L)")
    (root / "config.json").write_text(json.dumps(config))
    return root


def test_single_dataset_bundle_endpoints_take_panel_names(tmp_path):
    # a bundle trained on one dataset stores p_np / the ESOL column; its endpoints, output
    # columns and profile objectives use the shipped panel's names (bbbp, esol)
    root = _single_dataset_bundle(tmp_path)
    s = Screener.load(root, profile="cns")
    assert [(e.name, e.column, e.alias) for e in s.endpoints] == [
        ("bbbp", "bbbp", "p_np"),
        ("esol", "esol_log_mol_per_L", "measured log solubility in mols per litre"),
    ]
    assert any(cols == ["bbbp"] for _, cols in s._resolved)  # the cns profile's bbbp objective is used
    df = s.score(GOOD)
    assert {"bbbp", "bbbp_unc", "esol_log_mol_per_L"} <= set(df.columns) and "p_np" not in df.columns
    assert df["score"].notna().all()
    # the stored names still select their endpoint, and name it in a profile
    assert [e.name for e in Screener.load(root, endpoints="p_np", profile=None).endpoints] == ["bbbp"]
    custom = {"name": "mine", "objectives": [{"endpoint": "p_np", "direction": "up", "thresholds": [0.5, 0.9]}]}
    from drugscreen.screening.profiles import Profile

    s2 = Screener.load(root, profile=Profile.from_dict(custom))
    assert [cols for _, cols in s2._resolved] == [["bbbp"]]


def test_panel_and_tiny_names_unchanged():
    from drugscreen.bundle import installed_models, load_bundle

    # toy datasets the registry does not know keep their stored names
    assert [(e.name, e.alias) for e in Screener.load(TINY_BUNDLE, profile=None).all_endpoints] == [("has_N", ""), ("logp", "")]
    if not any(m.name == "panel" for m in installed_models()):
        pytest.skip("shipped panel not installed")
    s = Screener.load(profile=None)
    assert [e.name for e in s.all_endpoints] == load_bundle("panel").task_names
    assert not any(e.alias for e in s.all_endpoints)


def test_score_iter_refuses_a_frame_a_string_and_records(screener):
    frame = pd.DataFrame({"smiles": ["CCO", "c1ccccc1O"], "id": ["a", "b"]})
    for rows in (frame, "CCO"):
        with pytest.raises(TypeError, match=r"score_iter takes an iterable.*score\(\)"):
            next(screener.score_iter(rows))
    with pytest.raises(TypeError, match="dict"):
        next(screener.score_iter([{"smiles": "CCO", "id": "a"}]))
    with pytest.raises(TypeError, match="iterable"):
        next(screener.score_iter(42))
    # what it takes: strings (missing ones flagged), DataFrame chunks, lists of SMILES
    parts = list(screener.score_iter(["CCO", None, frame, ["CCN", "CCC"]], batch_size=64))
    assert [len(p) for p in parts] == [2, 2, 2]
    out = pd.concat(parts)
    assert list(out.index) == list(range(6))
    assert out["valid"].tolist() == [True, False, True, True, True, True]
    assert out["id"].tolist()[2:4] == ["a", "b"]


# ----------------------------------------------------------------------------- review: the Python API


def test_series_keeps_its_index_and_name(screener):
    """score(Series) renumbered the rows 0..n-1: assigning the result back to a filtered frame
    put each value on another molecule (pandas aligns by index)."""
    df = pd.DataFrame({"smiles": ["CCO", "C1CC", "c1ccccc1O", "CCCCCCCCN"]})
    sub = df[df.smiles != "C1CC"]
    out = screener.score(sub["smiles"])
    assert list(out.index) == [0, 2, 3] and out["id"].tolist() == [0, 2, 3]
    assert out["smiles"].tolist() == ["CCO", "c1ccccc1O", "CCCCCCCCN"]
    col = [c for c in out.columns if c.startswith("has_n") or c == "score"][0]
    alone = screener.score(["c1ccccc1O"])
    assert out.loc[2, col] == alone.loc[0, col]
    named = screener.score(pd.Series(["CCO"], index=["ethanol"], name="SMILES"))
    assert named["id"].tolist() == ["ethanol"] and "SMILES" in named.columns


def test_label_index_is_the_id_and_invalid_raise_names_it(screener):
    frame = pd.DataFrame({"smiles": ["CCO", "C1CC"]}, index=["x", "y"])
    out = screener.score(frame)
    assert out["id"].tolist() == ["x", "y"] and out["valid"].tolist() == [True, False]
    with pytest.raises(InvalidMoleculeError) as err:
        screener.score(frame, on_invalid="raise")
    assert err.value.index == "y"


def test_bad_arguments_are_refused(screener, tmp_path):
    with pytest.raises(ConfigError, match="on_invalid"):
        screener.score(["CCO"], on_invalid="drop")
    with pytest.raises(ConfigError, match="on_invalid"):
        list(screener.score_iter(["CCO"], on_invalid="bogus"))
    with pytest.raises(ConfigError, match="batch_size"):
        list(screener.score_iter(["CCO"], batch_size=0))
    with pytest.raises(TypeError, match="bytes"):
        screener.score(b"CCO")
    with pytest.raises(TypeError, match="no order"):
        screener.score({"CCO", "CCN"})
    path = tmp_path / "hits.smi"
    path.write_text("CCO\n")
    with pytest.raises(TypeError, match="file path"):
        screener.score(str(path))


def test_pandas_na_is_an_empty_smiles(screener):
    out = screener.score(pd.Series(["CCO", pd.NA, "  "], dtype="string"))
    assert out["error"].tolist() == ["", "empty SMILES", "empty SMILES"]
    chunks = list(screener.score_iter(["CCO", pd.NA, None, ""], batch_size=2))
    assert pd.concat(chunks)["error"].tolist() == ["", "empty SMILES", "empty SMILES", "empty SMILES"]


def test_a_glob_matches_dataset_names_too():
    """`bace_*` selected only bace_pic50: the classification endpoint is named `bace`."""
    from drugscreen.screening.screener import Endpoint, _select_endpoints

    eps = [Endpoint("bace", "bace", "classification", "", "up", "bace_classification", 0),
           Endpoint("bace_pic50", "bace_pic50", "regression", "", "up", "bace_regression", 1),
           Endpoint("bbbp", "bbbp", "classification", "", "none", "bbbp", 2)]
    assert [e.name for e in _select_endpoints(eps, "bace_*")] == ["bace", "bace_pic50"]
    assert [e.name for e in _select_endpoints(eps, "bbb*")] == ["bbbp"]


def test_stereo_molecule_scores_do_not_depend_on_how_it_is_written() -> None:
    """L-alanine written N[C@@H](C)C(=O)O got D-alanine's numbers, not C[C@H](N)C(=O)O's: the
    graph's chirality tag followed the written atom order (113 of 127 stereo molecules of a
    ClinTox sample scored differently when written in another order)."""
    from screen_fixtures import TINY_BUNDLE

    s = Screener.load(TINY_BUNDLE, profile=None)
    d = s.score(["C[C@H](N)C(=O)O", "N[C@@H](C)C(=O)O", "OC(=O)[C@@H](N)C", "C[C@@H](N)C(=O)O"])
    assert d["smiles_std"].nunique() == 2
    for e in s.endpoints:
        assert d[e.column][0] == d[e.column][1] == d[e.column][2], e.column
