"""Alerts and drug-likeness equal RDKit's own; profiles parse, validate, score and rank."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem
from rdkit.Chem import QED
from rdkit.Chem import FilterCatalog as FC

from drugscreen.exceptions import ConfigError, UnknownNameError
from drugscreen.screening.profiles import (
    Profile,
    available_profiles,
    desirability,
    load_profile,
    rank_scores,
)
from drugscreen.screening.properties import PROPERTY_COLUMNS, compute_properties

SMILES = [
    "CCO",
    "Oc1ccc(O)cc1",  # quinone-like / catechol alerts
    "O=C(C=Cc1ccccc1)c1ccccc1",  # chalcone (Michael acceptor)
    "CN(C)c1ccc(N=Nc2ccccc2)cc1",  # azo dye: PAINS azo_A
    "O=C1C(=Cc2ccccc2)SC(=S)N1",  # rhodanine: PAINS ene_rhod
    "Nc1ccc(cc1)S(=O)(=O)Nc1ccccn1",
    "CC(=O)Oc1ccccc1C(=O)O",
    "CCCCCCCCCCCCCCCCCC(=O)OC[C@H](COP(=O)(O)O)OC(=O)CCCCCCCCCCCCCCCCC",
    "[O-][N+](=O)c1ccc(cc1)C=O",
    "C1=CC(=O)C=CC1=O",
]


def _catalog(which):
    params = FC.FilterCatalogParams()
    params.AddCatalog(which)
    return FC.FilterCatalog(params)


def test_alerts_and_qed_equal_rdkit():
    mols = [Chem.MolFromSmiles(s) for s in SMILES]
    out = compute_properties(mols)
    assert set(out) == set(PROPERTY_COLUMNS)
    kinds = FC.FilterCatalogParams.FilterCatalogs
    pains, brenk = _catalog(kinds.PAINS), _catalog(kinds.BRENK)
    for i, m in enumerate(mols):
        want_p = sorted(e.GetDescription() for e in pains.GetMatches(m))
        got_p = sorted(x for x in out["alerts_pains"][i].split(";") if x)
        assert got_p == want_p, SMILES[i]
        want_b = sorted({e.GetDescription() for e in brenk.GetMatches(m)})
        assert sorted(x for x in out["alerts_brenk"][i].split(";") if x) == want_b
    np.testing.assert_allclose(out["qed"], [QED.qed(m) for m in mols], rtol=0, atol=1e-12)
    assert any(out["alerts_pains"]), "the test set should hold PAINS hits"
    lip = out["lipinski_violations"]
    assert lip[0] == 0 and lip[7] >= 2  # the phospholipid: MW > 500 and cLogP > 5


def test_exotic_molecules_do_not_stop_a_chunk():
    # bridging hydride: RemoveHs raises AtomValenceException on it
    smi = "CC(C)N(C(C)C)[P-]1(Br)[Mn+]2(C#[O+])(C#[O+])(C#[O+])[H-][Mn+]12(C#[O+])(C#[O+])C#[O+]"
    mols = [Chem.MolFromSmiles(smi), Chem.MolFromSmiles("CCO")]
    out = compute_properties(mols)
    assert np.isfinite(out["mw"]).all() and len(out["alerts_brenk"]) == 2


def test_shipped_profiles_load_and_are_listed():
    names = available_profiles()
    assert {"default", "cns"} <= set(names)
    for name in names:
        prof = load_profile(name)
        assert prof.objectives and prof.description
    with pytest.raises(UnknownNameError, match="cns"):
        load_profile("nope")


def test_desirability_curves():
    x = np.array([0.0, 0.25, 0.5, 1.0, np.nan])
    np.testing.assert_allclose(desirability(x, "up", (0.0, 0.5)), [0, 0.5, 1, 1, np.nan])
    np.testing.assert_allclose(desirability(x, "down", (0.0, 0.5)), [1, 0.5, 0, 0, np.nan])
    np.testing.assert_allclose(desirability(np.array([0, 1, 2, 3, 4, 5.0]), "window", (1, 2, 3, 4)), [0, 0, 1, 1, 0, 0])


@pytest.mark.parametrize(
    ("toml", "match"),
    [
        ("name='x'\n", "at least one"),
        ("[[objectives]]\nendpoint='a'\ndirection='sideways'\nthresholds=[0,1]\n", "direction"),
        ("[[objectives]]\nendpoint='a'\nthresholds=[1,0]\n", "increasing"),
        ("[[objectives]]\nendpoint='a'\ndirection='window'\nthresholds=[0,1]\n", "4 numbers"),
        ("[[objectives]]\nendpoint='a'\nthresholds=[0,1]\nweight=0\n", "weight"),
        ("[filters]\nbogus=1\n[[objectives]]\nendpoint='a'\nthresholds=[0,1]\n", "unknown filter"),
        ("[filters]\nmin_mw=-5\n[[objectives]]\nendpoint='a'\nthresholds=[0,1]\n", "min_mw"),
        ("[filters]\nmin_mw='heavy'\n[[objectives]]\nendpoint='a'\nthresholds=[0,1]\n", "min_mw"),
        ("name = \n", "not valid TOML"),
    ],
)
def test_profile_validation_errors(toml, match):
    with pytest.raises(ConfigError, match=match):
        Profile.from_toml(toml, source="p.toml")


def test_profile_scoring_filters_and_rank():
    prof = Profile.from_toml(
        """
name = "t"
[filters]
exclude_pains = true
out_of_domain_penalty = 0.5
[[objectives]]
endpoint = "act"
direction = "up"
thresholds = [0.0, 1.0]
weight = 3
[[objectives]]
endpoint = "tox_*"
combine = "max"
direction = "down"
thresholds = [0.0, 1.0]
"""
    )
    df = pd.DataFrame(
        {
            "act": [1.0, 0.5, 1.0, 1.0, np.nan],
            "tox_a": [0.0, 0.0, 0.0, 0.0, np.nan],
            "tox_b": [0.0, 1.0, 0.0, 0.0, np.nan],
            "valid": [True, True, True, True, False],
            "in_domain": pd.array([True, True, False, True, pd.NA], dtype="boolean"),
            "alerts_pains": ["", "", "", "azo_A(324)", ""],
            "alerts_brenk": [""] * 5,
            "lipinski_violations": [0.0] * 5,
        }
    )
    resolved = prof.resolve({c: c for c in ("act", "tox_a", "tox_b")})
    assert [cols for _, cols in resolved] == [["act"], ["tox_a", "tox_b"]]
    score = prof.score(df, resolved)
    np.testing.assert_allclose(score, [1.0, (3 * 0.5 + 0) / 4, 0.5, 0.0, np.nan])
    assert rank_scores(score).tolist() == [1, 3, 2, 4, pd.NA]
    again = Profile.from_dict(prof.to_dict())
    assert again == prof


def test_min_mw_filter_zeroes_light_molecules():
    prof = Profile.from_toml("[filters]\nmin_mw = 100\n[[objectives]]\nendpoint = 'act'\nthresholds = [0, 1]\n")
    df = pd.DataFrame({"act": [1.0, 1.0, 1.0, np.nan], "mw": [18.0, 99.9, 100.0, np.nan], "valid": [True, True, True, False]})
    score = prof.score(df, prof.resolve({"act": "act"}))
    np.testing.assert_allclose(score, [0.0, 0.0, 1.0, np.nan])
    assert Profile.from_dict(prof.to_dict()) == prof
    # the shipped default profile: water, benzene and glycine are not hits, whatever the models say
    assert load_profile("default").min_mw == 100.0
    assert load_profile("cns").min_mw == 100.0  # dichloromethane and methane ranked above diazepam


def _profile_toml(*endpoints: str) -> str:
    return "".join(f'[[objectives]]\nendpoint = "{e}"\nthresholds = [0, 1]\n' for e in endpoints)


def test_unknown_endpoint_in_a_user_profile_is_an_error_with_suggestions():
    names = {n: n for n in ("bbbp", "hiv", "tox21_nr_ar", "qed")}
    prof = Profile.from_toml(_profile_toml("bbpb", "hiv"), source="mine.toml")
    assert not prof.shipped
    with pytest.raises(ConfigError, match=r"profile mine.toml: this panel has no bbpb \(did you mean 'bbbp'\?\)"):
        prof.resolve(names)
    with pytest.raises(ConfigError, match="none of its objectives matches"):
        Profile.from_toml(_profile_toml("nothing_*"), source="mine.toml").resolve(names)


def test_shipped_profile_with_a_smaller_panel_warns(caplog):
    prof = load_profile("cns")
    assert prof.shipped and prof.name == "cns"
    names = {n: n for n in ("bbb", "tpsa", "mw", "hbd", "clogp", "permanent_charges", "acidic_groups")}
    with caplog.at_level(logging.WARNING, logger="drugscreen.screening.profiles"):
        resolved = prof.resolve(names)
    assert [o.endpoint for o, _ in resolved] == ["tpsa", "mw", "hbd", "clogp", "permanent_charges", "acidic_groups"]
    assert "this panel has no bbbp (did you mean 'bbb'?), tox21_*, clintox_ct_tox" in caplog.text
    with pytest.raises(ConfigError, match="none of its objectives matches"):
        prof.resolve({"other": "other"})
    # the mark survives the round trip worker processes make (Screener pickles to_dict + source)
    assert Profile.from_dict(prof.to_dict(), source=prof.source).shipped


def test_panel_without_any_profile_endpoint_says_ranking_is_drug_likeness_alone(caplog):
    """A bundle trained on the user's own data (here the tiny test bundle: has_N, logp) with the
    default profile ranks on drug-likeness only; the run says so plainly, naming the endpoints."""
    from pathlib import Path

    from drugscreen.bundle import load_bundle
    from drugscreen.screening.screener import Screener

    bundle = load_bundle(Path(__file__).parent / "data" / "tiny_bundle")
    with caplog.at_level(logging.WARNING, logger="drugscreen.screening.screener"):
        Screener(bundle, profile="default")
    assert "`score` and `rank` use drug-likeness alone" in caplog.text
    assert "(has_N, logp)" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="drugscreen.screening.screener"):
        Screener(load_bundle(Path(__file__).parent / "data" / "tiny_bundle"), profile=None)
    assert "drug-likeness alone" not in caplog.text


def test_pains_azo_a_is_not_reported_for_an_azide_alone():
    """RDKit's azo_A(324) SMARTS ([#7;!R]=[#7]) matches an azide's N=N+ bond: zidovudine, an
    HIV drug, was a PAINS hit and the default profile zeroed it. An azo group still counts, also
    beside an azide; the Brenk column keeps naming the azide."""
    kinds = FC.FilterCatalogParams.FilterCatalogs
    pains = _catalog(kinds.PAINS)
    smiles = {
        "zidovudine": ("Cc1cn([C@H]2C[C@H](N=[N+]=[N-])[C@@H](CO)O2)c(=O)[nH]c1=O", False),
        "azido azo dye": ("[N-]=[N+]=Nc1ccc(/N=N/c2ccccc2)cc1", True),
        "phenazopyridine": ("Nc1ccc(/N=N/c2ccccc2)c(N)n1", True),
        "ethyl azide": ("CCN=[N+]=[N-]", False),
        "diazomethane": ("C=[N+]=[N-]", True),  # a diazo group is not an azide: reported as RDKit does
    }
    mols = [Chem.MolFromSmiles(s) for s, _ in smiles.values()]
    out = compute_properties(mols)
    for (name, (_, azo)), mol, found, brenk in zip(smiles.items(), mols, out["alerts_pains"], out["alerts_brenk"], strict=True):
        assert any(e.GetDescription() == "azo_A(324)" for e in pains.GetMatches(mol)), name  # RDKit's catalog: all
        assert ("azo_A(324)" in found.split(";")) is azo, (name, found)
        if name in ("zidovudine", "ethyl azide"):
            assert "Azido_group" in brenk.split(";")
    from screen_fixtures import TINY_BUNDLE

    from drugscreen.screening.screener import Screener

    screened = Screener.load(TINY_BUNDLE).score([smiles["zidovudine"][0]])
    assert screened["alerts_pains"].iloc[0] == "" and screened["score"].iloc[0] > 0
