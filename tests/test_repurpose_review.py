"""Repurposing from a user's point of view: a user library keeps its identifiers, names and
columns; a known ligand in the library ranks first; scores of a tiny library stay readable."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from tests.test_repurpose_inputs import DASATINIB, IMATINIB, NILOTINIB

OTHERS = ["CC(=O)Oc1ccccc1C(=O)O", "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "Cn1cnc2c1c(=O)n(C)c(=O)n2C", "CCO"]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


def _user_library(tmp_path) -> pd.DataFrame:
    lib = pd.DataFrame(
        {
            "ID": ["CMP1", "CMP2", "CMP3", "CMP4", "CMP5", "CMP6", "CMP7"],
            "Drug": ["imatinib", "imatinib mesylate", "nilotinib", "aspirin", "ibuprofen", "caffeine", ""],
            "SMILES": [IMATINIB, f"{IMATINIB}.CS(=O)(=O)O", NILOTINIB, *OTHERS],
            "vendor": ["acme", "acme", "bcd", "acme", "bcd", "acme", "bcd"],
            "score": [1, 2, 3, 4, 5, 6, 7],  # a name the ranking uses too
        }
    )
    lib.to_csv(tmp_path / "in.csv", index=False)
    return lib


def test_user_library_keeps_ids_names_and_columns(tmp_path, caplog) -> None:
    from drugscreen.repurposing.repurposer import Repurposer

    _user_library(tmp_path)
    rp = Repurposer(None, panel=False)
    with caplog.at_level(logging.INFO, logger="drugscreen.repurposing.repurposer"):
        out = rp.rank(ligands=[DASATINIB], library=tmp_path / "in.csv")
    assert "chembl_id" not in out.columns and out.attrs["id_column"] == "id"
    assert len(out) == 6 and set(out["id"]) == {"CMP1", "CMP3", "CMP4", "CMP5", "CMP6", "CMP7"}
    row = out.set_index("id").loc["CMP1"]
    assert row["name"] == "imatinib" and row["other_forms"] == "imatinib mesylate (CMP2)"
    assert out.set_index("id").loc["CMP7", "name"] == ""
    # the input's other columns follow each entry, renamed where the ranking has the name already
    assert out.columns[-2:].tolist() == ["vendor", "input_score"]
    assert out.set_index("id").loc["CMP3", ["vendor", "input_score"]].tolist() == ["bcd", "3"]  # as read
    assert "1 library entry merged into their parent forms" in caplog.text and "--all-forms" in caplog.text

    every = rp.rank(ligands=[DASATINIB], library=tmp_path / "in.csv", forms="all", top=3)
    assert len(every) == 3 and every["vendor"].notna().all()
    assert every["input_score"].tolist() == [i[3:] for i in every["id"]]  # each row its own entry's


def test_chembl_ids_stay_chembl_ids_and_unparsable_rows_keep_their_columns() -> None:
    from drugscreen.repurposing.repurposer import Repurposer

    lib = pd.DataFrame(
        {"chembl_id": ["CHEMBL941", "CHEMBLX", "CHEMBL25"], "smiles": [IMATINIB, "C1CC(", OTHERS[0]], "note": ["a", "b", "c"]}
    )
    out = Repurposer(None, panel=False).rank(ligands=[IMATINIB], library=lib)
    assert out["chembl_id"].tolist() == ["CHEMBL941", "CHEMBL25", "CHEMBLX"]
    assert out["note"].tolist() == ["a", "c", "b"] and out["error"].iloc[2]


def test_same_structures_new_identifiers_are_not_stale() -> None:
    """The in-memory library cache is keyed by structures: a second library with the same SMILES
    but other identifiers and names must not show the first one's."""
    from drugscreen.repurposing.repurposer import Repurposer

    rp = Repurposer(None, panel=False)
    a = pd.DataFrame({"id": ["A1", "A2"], "name": ["x", "y"], "smiles": [IMATINIB, OTHERS[0]]})
    b = pd.DataFrame({"id": ["B1", "B2"], "name": ["p", "q"], "smiles": [IMATINIB, OTHERS[0]], "lab": [1, 2]})
    assert rp.rank(ligands=[IMATINIB], library=a)["id"].tolist() == ["A1", "A2"]
    out = rp.rank(ligands=[IMATINIB], library=b)
    assert out["id"].tolist() == ["B1", "B2"] and out["name"].tolist() == ["p", "q"] and out["lab"].tolist() == [1, 2]
    assert "lab" not in rp.rank(ligands=[IMATINIB], library=a).columns


def test_library_without_id_column_numbers_rows_from_one() -> None:
    from drugscreen.repurposing.inputs import load_library

    lib = load_library(pd.DataFrame({"smiles": [IMATINIB, OTHERS[0]]}), parse=False)
    assert lib.ids == ["1", "2"] and lib.id_column == "id" and lib.extra is not None and lib.extra.empty
    assert np.isnan(lib.first_approval).all()


def test_tiny_library_scores_stay_off_zero_and_salts_do_not_weigh() -> None:
    """In a library of 3 the last drug scores 1/6, not 0 (the score is a percentile rank among the
    library's molecules, 0.5 = median), its position is still 0; and listing a salt form of a drug
    changes no score (percentiles count parent molecules)."""
    from drugscreen.repurposing.repurposer import Repurposer
    from drugscreen.repurposing.scoring import percentile_rank

    assert percentile_rank(np.array([5.50, 5.52, 5.51])).tolist() == pytest.approx([1 / 6, 5 / 6, 1 / 2])
    assert percentile_rank(np.array([1.0, 1.0])).tolist() == [0.5, 0.5] and percentile_rank(np.array([3.0])).tolist() == [0.5]
    rp = Repurposer(None, panel=False)
    lib = pd.DataFrame({"id": ["a", "b", "c"], "smiles": [IMATINIB, NILOTINIB, OTHERS[0]]})
    out = rp.rank(ligands=[IMATINIB], library=lib)
    assert out["id"].tolist() == ["a", "b", "c"]
    assert out["score"].tolist() == pytest.approx([5 / 6, 1 / 2, 1 / 6])
    assert out["percentile"].tolist() == [100.0, 50.0, 0.0]
    salted = pd.concat([lib, pd.DataFrame({"id": ["a2", "a3"], "smiles": [f"{IMATINIB}.Cl", f"{IMATINIB}.O"]})], ignore_index=True)
    every = rp.rank(ligands=[IMATINIB], library=salted, forms="all").set_index("id")
    assert every.loc[["a", "a2", "a3", "b", "c"], "score"].tolist() == pytest.approx([5 / 6] * 3 + [1 / 2, 1 / 6])
    parent = rp.rank(ligands=[IMATINIB], library=salted)
    pd.testing.assert_frame_equal(parent.drop(columns="other_forms"), out.drop(columns="other_forms"))


def test_identical_ligands_by_parent_structure() -> None:
    from drugscreen.featurizers.molecule import prepare_molecule
    from drugscreen.repurposing.scoring import fingerprint_sets, identical_ligands

    def prep(smiles):
        ps = [prepare_molecule(s) for s in smiles]
        return fingerprint_sets([p.mol for p in ps], ("ecfp4",))["ecfp4"], [p.smiles_std for p in ps]

    lib = prep(["C[C@H](N)C(=O)O", "C[C@@H](N)C(=O)O", "CC(N)C(=O)O", "CC(N)C(=O)O.Cl", f"{IMATINIB}.CS(=O)(=O)O", "CCO"])
    # a ligand without stereo matches every stereoisomer; salts match their parent
    assert identical_ligands(*lib, *prep(["CC(N)C(=O)O", IMATINIB])).tolist() == [0, 0, 0, 0, 1, -1]
    # a ligand with stereo: its own stereoisomer and the stereo-free entries, not the other one
    assert identical_ligands(*lib, *prep(["C[C@H](N)C(=O)O"])).tolist() == [0, -1, 0, 0, -1, -1]
    assert identical_ligands(*lib, *prep(["CCCO"])).tolist() == [-1] * 6
