"""Repurposing reviewed as a computational biologist would use it (session 10): rankings that
do not depend on the order of the inputs, ligands without names, output paths checked before
the run, user libraries with odd columns, and sequence files given in the wrong place."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_repurpose_inputs import DASATINIB, IMATINIB, NILOTINIB

KINASE_ACTIVES = [
    IMATINIB, NILOTINIB, DASATINIB,
    "COc1cc(Nc2c(C#N)cnc3cc(OCCCN4CCN(C)CC4)c(OC)cc23)c(Cl)cc1Cl",
    "CC(C)n1nc(-c2ccc(N)c(O)c2)c2c(N)ncnc21",
    "Cc1ccc(C(=O)Nc2ccc(CN3CCN(C)CC3)c(C(F)(F)F)c2)cc1C#Cc1cnc2cccnn12",
]  # fmt: skip
INACTIVES = ["CCO", "CC(=O)Oc1ccccc1C(=O)O", "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "O=C(O)c1ccccc1O", "Cn1cnc2c1c(=O)n(C)c(=O)n2C", "OCC(O)CO"]
LIBRARY = [
    "Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1N", "c1ccc2[nH]ccc2c1", "CN1CCC[C@H]1c1cccnc1", "CCN(CC)CCNC(=O)c1ccc(N)cc1",
    "COc1ccc2[nH]cc(CCNC(C)=O)c2c1", "Nc1ncnc2[nH]cnc12", "c1ccc(Nc2ncccn2)cc1", "CC(C)NCC(O)COc1cccc2ccccc12",
    "O=C(O)CCc1ccccc1", "Clc1ccc(cc1)C(c1ccccc1)N1CCNCC1", "CN(C)CCCN1c2ccccc2CCc2ccccc21", "NC(=O)c1cccnc1",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


def _library() -> pd.DataFrame:
    return pd.DataFrame({"id": [f"L{i}" for i in range(len(LIBRARY))], "smiles": LIBRARY})


def test_on_the_fly_model_does_not_depend_on_the_order_of_the_ligands() -> None:
    """The random forest (>= 5 actives and 5 inactives) drew its bootstrap samples by row position:
    the same ligands listed in reverse gave other probabilities and another ranking."""
    from drugscreen.repurposing.repurposer import Repurposer

    ligands = pd.DataFrame({"smiles": KINASE_ACTIVES + INACTIVES, "active": [1] * 6 + [0] * 6})
    rp = Repurposer(None, panel=False)
    a = rp.rank(ligands=ligands, activity_column="active", library=_library()).set_index("id")
    b = rp.rank(ligands=ligands.iloc[::-1].reset_index(drop=True), activity_column="active", library=_library()).set_index("id")
    assert "model_prob" in a.columns
    pd.testing.assert_series_equal(a["model_prob"], b.loc[a.index, "model_prob"])
    pd.testing.assert_series_equal(a["rank"], b.loc[a.index, "rank"])
