"""Repurposing lists one drug written as two tautomers once (forms="parent").

The approved library holds ten drugs whose salt's parent is another tautomer than the free
form as ChEMBL writes it (acyclovir: the lactam; acyclovir sodium, neutralized: the lactim).
Before, each tautomer was a ranked row of its own, so the same drug took two places.
"""

from __future__ import annotations

import pandas as pd

from drugscreen.repurposing.repurposer import ANOTHER_TAUTOMER, Repurposer, _same_parent
from drugscreen.repurposing.scoring import compound_keys

ACYCLOVIR = "Nc1nc2c(ncn2COCCO)c(=O)[nH]1"  # CHEMBL184, the lactam
ACYCLOVIR_SODIUM = "Nc1nc([O-])c2ncn(COCCO)c2n1.[Na+]"  # CHEMBL1200380: its parent is the lactim
ACYCLOVIR_LACTIM = "Nc1nc(O)c2ncn(COCCO)c2n1"


def test_same_parent_joins_tautomers_at_the_best_place_and_keeps_that_parents_entry() -> None:
    # ranking order: the lactim's salt first (scored best), then aspirin, the lactam, the lactim itself
    parents = ["lactim", "aspirin", "lactam", "lactim"]
    labels = ["ACYCLOVIR SODIUM (s)", "ASPIRIN (a)", "ACYCLOVIR (l)", "ACYCLOVIR LACTIM (f)"]
    single = [False, True, True, True]
    first, other = _same_parent(parents, labels, single, ["acv", "aspirin", "acv", "acv"])
    # one row per compound at its best place; of the best parent's entries the single-fragment one
    # (not the lactam, which is single too but another tautomer that scored lower)
    assert first.tolist() == [3, 1]
    assert other[3] == f"ACYCLOVIR SODIUM (s); ACYCLOVIR (l){ANOTHER_TAUTOMER}"
    assert other[2] == f"ACYCLOVIR SODIUM (s){ANOTHER_TAUTOMER}; ACYCLOVIR LACTIM (f){ANOTHER_TAUTOMER}"
    assert other[1] == ""
    # without compound keys: parents alone, as before
    first, other = _same_parent(parents, labels, single)
    assert first.tolist() == [3, 1, 2]
    assert other[2] == "" and other[3] == "ACYCLOVIR SODIUM (s)"


def test_acyclovir_and_its_sodium_salt_are_one_ranked_row(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path / "cache"))
    lib = pd.DataFrame({
        "id": ["a", "a2", "b", "c", "d"],
        "name": ["acyclovir", "acyclovir sodium", "aspirin", "caffeine", "ganciclovir"],
        "smiles": [ACYCLOVIR, ACYCLOVIR_SODIUM, "CC(=O)Oc1ccccc1C(=O)O", "Cn1cnc2c1c(=O)n(C)c(=O)n2C",
                   "Nc1nc2n(COC(CO)CO)cnc2c(=O)[nH]1"],
    })  # fmt: skip
    ligands = ["Nc1nc2c(ncn2COCC)c(=O)[nH]1", "CCn1cnc2c1c(=O)n(C)c(=O)n2C"]
    every = Repurposer(None, panel=False).rank(ligands=ligands, library=lib, forms="all").set_index("id")
    assert len(every) == 5 and every.loc["a", "score"] != every.loc["a2", "score"]  # scored as written
    assert every.loc["a", "other_forms"] == f"acyclovir sodium (a2){ANOTHER_TAUTOMER}"
    assert every.loc["a2", "other_forms"] == f"acyclovir (a){ANOTHER_TAUTOMER}"

    out = Repurposer(None, panel=False).rank(ligands=ligands, library=lib)
    assert len(out) == 4 and out.attrs["forms_merged"] == 1
    assert out["rank"].tolist() == [1, 2, 3, 4]
    assert out["score"].is_monotonic_decreasing
    kept = "a" if every.loc["a", "rank"] < every.loc["a2", "rank"] else "a2"
    gone = {"a": "a2", "a2": "a"}[kept]
    row = out.set_index("id").loc[kept]
    assert gone not in set(out["id"])
    assert row["other_forms"].endswith(ANOTHER_TAUTOMER) and f"({gone})" in row["other_forms"]
    # the kept row is the drug's better-ranked tautomer, with that tautomer's score
    assert row["score"] == every.loc[kept, "score"]


def test_compound_keys_of_the_two_acyclovir_parents_agree() -> None:
    from drugscreen.featurizers.molecule import prepare_molecule

    stds = [prepare_molecule(s).smiles_std for s in (ACYCLOVIR, ACYCLOVIR_SODIUM, ACYCLOVIR_LACTIM)]
    assert stds[0] != stds[1] and stds[1] == stds[2]
    keys = compound_keys(stds)
    assert len(set(keys)) == 1


def test_compound_keys_are_cached_with_the_library_features(tmp_path, monkeypatch) -> None:
    import json

    from drugscreen.repurposing import repurposer

    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path / "cache"))
    lib = pd.DataFrame({"id": ["a", "a2", "b"], "smiles": [ACYCLOVIR, ACYCLOVIR_SODIUM, "CC(=O)Oc1ccccc1C(=O)O"]})
    first = Repurposer(None, panel=False).rank(ligands=["CCO"], library=lib)
    (meta,) = (tmp_path / "cache" / "repurpose").glob("*.json")
    compounds = json.loads(meta.read_text())["compounds"]
    assert len(compounds) == 3 and len(set(compounds.values())) == 2  # two parents, one compound

    repurposer._LIBRARY_CACHE.clear()  # a new process: read back from the disk cache
    calls = []
    monkeypatch.setattr(repurposer, "compound_keys", lambda *a, **k: calls.append(1) or [])
    again = Repurposer(None, panel=False).rank(ligands=["CCO"], library=lib)
    assert not calls
    pd.testing.assert_frame_equal(first, again)
    assert len(again) == 2
