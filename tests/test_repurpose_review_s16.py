"""Repurposing reviewed as a computational biologist would use it (session 16): what the log
says about the on-the-fly model, the hint for an unused concentration column, and which error a
multi-record FASTA file gives."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

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

