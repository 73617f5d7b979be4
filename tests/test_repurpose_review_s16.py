"""Repurposing reviewed as a computational biologist would use it (session 16): what the log
says about the on-the-fly model, the hint for an unused concentration column, and which error a
multi-record FASTA file gives."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from drugscreen.exceptions import InputFormatError
from tests.test_repurpose_inputs import IMATINIB
from tests.test_repurpose_review_s10 import LIBRARY


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


def test_too_few_labelled_ligands_do_not_claim_an_on_the_fly_model(caplog) -> None:
    """One active and two inactives logged '1 actives and 2 inactives given: a model is trained
    on the fly from 5 of each', though no model was trained (no model_prob column)."""
    from drugscreen.repurposing.repurposer import Repurposer

    ligands = pd.DataFrame({"smiles": [IMATINIB, "CC(=O)Oc1ccccc1C(=O)O", "CCO"], "active": [1, 0, 0]})
    with caplog.at_level(logging.INFO, logger="drugscreen"):
        out = Repurposer(None, panel=False).rank(ligands=ligands, activity_column="active", library=pd.DataFrame({"smiles": LIBRARY}))
    assert "model_prob" not in out.columns
    lines = [r.getMessage() for r in caplog.records if "inactives given" in r.getMessage()]
    assert len(lines) == 1
    assert "1 active and 2 inactives given" in lines[0]
    assert "no model is trained on the fly" in lines[0] and "at least 5 of each" in lines[0]


def test_unused_concentration_column_is_not_offered_as_the_activity_column(caplog) -> None:
    """An IC50_nM column left unused was warned about with 'give --activity-column IC50_nM', an
    option value that is then refused as a concentration; the hint now says how to convert."""
    from drugscreen.repurposing.inputs import load_ligands

    df = pd.DataFrame({"smiles": [IMATINIB, "CCO"], "IC50_nM": [30.0, 1e5]})
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        load_ligands(df)
    (msg,) = [r.getMessage() for r in caplog.records if "not used" in r.getMessage()]
    assert "--activity-column IC50_nM" not in msg
    assert "9 - log10" in msg
    with pytest.raises(InputFormatError, match="9 - log10"):
        load_ligands(df, activity_column="IC50_nM")
    # a potency column is still offered as it is
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        load_ligands(pd.DataFrame({"smiles": [IMATINIB, "CCO"], "pIC50": [7.5, 3.0]}))
    (msg,) = [r.getMessage() for r in caplog.records if "not used" in r.getMessage()]
    assert "--activity-column pIC50" in msg

