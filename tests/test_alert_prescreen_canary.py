"""The alert prescreen reads RDKit's query descriptions (``Atom.DescribeQuery``). drugscreen
installs with any RDKit from 2024.3 on: if a version describes queries otherwise, the reading is
checked against RDKit's own matching on probe queries when the alert screen is built, and a
reading that disagrees turns the count prescreen off (same alerts, more RDKit calls)."""

from __future__ import annotations

import logging

import pytest
from rdkit import Chem

from drugscreen.screening import properties


def test_the_reading_agrees_with_this_rdkit() -> None:
    assert properties._query_reading_agrees()


def test_a_reading_that_disagrees_turns_the_count_prescreen_off(monkeypatch: pytest.MonkeyPatch,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    # a misreading: every query atom taken for carbon only
    carbon = properties._element(6)
    monkeypatch.setattr(properties, "_query_atom_classes", lambda atom: carbon if atom.HasQuery() else None)
    assert not properties._query_reading_agrees()
    with caplog.at_level(logging.WARNING, logger="drugscreen.screening.properties"):
        screen = properties.AlertScreen()
    assert "count prescreen is off" in caplog.text
    mols = [Chem.MolFromSmiles(s) for s in ("O=C(C=Cc1ccccc1)c1ccccc1", "Nc1ccc(N=Nc2ccccc2)cc1", "CCO")]
    fps = screen.fingerprints(mols)
    for found, catalog in ((screen.pains_matches(mols, fps), screen.pains), (screen.brenk_matches(mols, fps), screen.brenk)):
        want = [{m.GetDescription() for m in catalog.GetMatches(mol)} for mol in mols]
        assert [set(filter(None, f.split(";"))) for f in found] == want
    assert any(want)
