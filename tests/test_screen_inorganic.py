"""Inorganic inputs: a salt or mixture without carbon is refused with the reason (it used to be
scored as its largest ion, neutralized: sodium chloride as hydrogen chloride); a carbon-free
molecule is scored but outside the applicability domain, with the reason in ``out_of_range``.
Organic salts and organometallics are standardized as before."""

from __future__ import annotations

import pandas as pd
import pytest
from screen_fixtures import TINY_BUNDLE

from drugscreen.featurizers.molecule import DATASET_STANDARDIZER, prepare_molecule
from drugscreen.screening.run import run_screen
from drugscreen.screening.screener import INORGANIC_CARBON_NOTE, INORGANIC_NOTE, Screener

pytestmark = pytest.mark.skipif(not (TINY_BUNDLE / "config.json").is_file(), reason="tiny bundle fixture missing")

#: inorganic salts and mixtures -> what keeping the largest fragment made of them
INORGANIC_MIXTURES = {
    "[Na+].[Cl-]": "Cl",
    "[K+].[I-]": "I",
    "[Cu+2].[O-]S([O-])(=O)=O": "O=S(=O)(O)O",
    "O.O.[Cu+2].[O-]S([O-])(=O)=O": "O=S(=O)(O)O",
    "N.N.Cl[Pt]Cl": "N",  # cisplatin written as fragments was scored as ammonia
    "[Fe+3].[Cl-].[Cl-].[Cl-]": "[Fe+3]",
    "[Na+].[OH-]": "O",
    "[NH4+].[Cl-]": "N",
    # carbon only as carbonate or cyanide: inorganic salts too (they were scored, in the domain,
    # as carbonic acid and hydrogen cyanide while sodium chloride was refused)
    "[Ca+2].[O-]C([O-])=O": "O=C(O)O",
    "[Li+].[Li+].[O-]C([O-])=O": "O=C(O)O",
    "[Na+].OC([O-])=O": "O=C(O)O",
    "[K+].[C-]#N": "C#N",
    "[Na+].[S-]C#N": "N#CS",
    "[Na+].[Na+].[C-]#N.[C-]#N.[C-]#N.[C-]#N.[C-]#N.N=O.[Fe+2]": "C#N",  # sodium nitroprusside as ions
}
#: organic salts, organometallics and metal complexes written as ions: unchanged
ORGANIC = {
    "[Na+].[O-]C(=O)c1ccccc1": "O=C(O)c1ccccc1",  # sodium benzoate
    "CN(C)C(=N)NC(N)=N.Cl": "CN(C)C(=N)NC(=N)N",  # metformin hydrochloride
    "C[Hg]Cl": "[CH3][Hg][Cl]",
    "[Fe+2].c1cc[cH-]c1.c1cc[cH-]c1": "C1=CCC=C1",  # ferrocene as ions: its ligand, as documented
    "CC(=O)Oc1ccccc1C(=O)[O-].[Na+]": "CC(=O)Oc1ccccc1C(=O)O",
    "NC(N)=O.Cl": "NC(N)=O",  # urea: no C-H bond, organic all the same
    "[Na+].[O-]C(=O)CC(O)(CC([O-])=O)C([O-])=O.[Na+].[Na+]": "O=C(O)CC(O)(CC(=O)O)C(=O)O",  # sodium citrate
    "[Pt+2].[NH3].[NH3].[O-]C(=O)C1(CCC1)C([O-])=O": "O=C(O)C1(C(=O)O)CCC1",  # carboplatin as ions: its ligand
}
#: single connected molecules without carbon: scored, out of the domain
CARBON_FREE = ["O", "Cl", "OS(=O)(=O)O", "N[Pt](N)(Cl)Cl", "[Gd+3]"]
#: single molecules whose carbon is inorganic: scored, out of the domain like water
INORGANIC_CARBON = ["O=C=O", "C#N", "OC(=O)O", "[C-]#[O+]"]
#: no C-H bond, yet organic: the domain is the similarity's
ORGANIC_WITHOUT_CH = ["NC(N)=O", "ClC(Cl)=O", "ClC(Cl)(Cl)Cl", "NC(N)=S"]


@pytest.fixture(scope="module")
def tiny() -> Screener:
    return Screener.load(TINY_BUNDLE, profile="default")


@pytest.mark.parametrize(("smiles", "instead"), list(INORGANIC_MIXTURES.items()))
def test_inorganic_mixture_refused_with_what_it_would_have_become(smiles: str, instead: str) -> None:
    result = prepare_molecule(smiles)
    assert not result.valid and result.smiles_std == ""
    assert result.error.startswith("inorganic salt or mixture: none of its")
    assert f"would score {instead} instead, another compound" in result.error
    # the datasets' policy keeps them as they were, so no training molecule or split moves
    assert prepare_molecule(smiles, DATASET_STANDARDIZER).smiles_std == instead


@pytest.mark.parametrize(("smiles", "parent"), list(ORGANIC.items()))
def test_organic_salts_and_organometallics_unchanged(smiles: str, parent: str) -> None:
    for policy in (None, DATASET_STANDARDIZER):
        result = prepare_molecule(smiles) if policy is None else prepare_molecule(smiles, policy)
        assert result.valid and result.smiles_std == parent, (smiles, policy)


def test_screener_refuses_salts_and_flags_carbon_free_molecules(tiny: Screener) -> None:
    inputs = list(INORGANIC_MIXTURES) + CARBON_FREE + list(ORGANIC)
    df = tiny.score(inputs)
    assert len(df) == len(inputs) and df["smiles"].tolist() == inputs  # one row per input, in order
    salts = df.iloc[: len(INORGANIC_MIXTURES)]
    assert not salts["valid"].any() and salts["error"].str.startswith("inorganic salt or mixture").all()
    assert salts["has_N"].isna().all() and salts["rank"].isna().all()
    free = df.iloc[len(INORGANIC_MIXTURES) : len(INORGANIC_MIXTURES) + len(CARBON_FREE)]
    assert free["valid"].all() and (free["error"] == "").all() and free["has_N"].notna().all()
    assert (free["in_domain"] == False).all()  # noqa: E712
    assert free["out_of_range"].str.startswith(INORGANIC_NOTE).all()
    organic = df.iloc[len(INORGANIC_MIXTURES) + len(CARBON_FREE) :]
    assert organic["valid"].all() and organic["smiles_std"].tolist() == list(ORGANIC.values())
    assert not organic["out_of_range"].str.contains("inorganic", regex=False).any()
    # the domain of organic molecules is the similarity's, as before
    expected = organic["ad_similarity"] >= tiny.bundle.config["domain"]["threshold"]
    assert organic["in_domain"].astype(bool).tolist() == expected.tolist()


def test_run_counts_carbon_free_molecules_outside_the_domain(tmp_path) -> None:
    src = tmp_path / "in.smi"
    src.write_text("CCO ethanol\n[Na+].[Cl-] salt\nO water\n")
    summary = run_screen(src, tmp_path / "out.csv", panel=TINY_BUNDLE, jobs=1)
    out = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    assert out["id"].tolist() == ["ethanol", "salt", "water"]
    assert out["valid"].tolist() == [True, False, True] and out["error"].iloc[1].startswith("inorganic salt")
    assert out["in_domain"].iloc[2] == "False" and out["out_of_range"].iloc[2].startswith(INORGANIC_NOTE)
    assert summary.invalid == 1 and summary.out_of_domain >= 1


def test_shipped_panel_water_out_of_domain_though_its_similarity_is_one() -> None:
    """Water and hydrogen chloride are in the training data (similarity 1): the similarity alone
    put them in the domain, and sodium chloride was scored as hydrogen chloride."""
    from drugscreen.bundle import installed_models

    if not any(m.name == "panel" for m in installed_models()):
        pytest.skip("shipped panel not installed")
    s = Screener.load(endpoints="hiv", profile=None)
    df = s.score(["O", "Cl", "[Na+].[Cl-]", "CC(=O)Oc1ccccc1C(=O)O", "[Na+].[O-]C(=O)c1ccccc1"])
    assert df["ad_similarity"].iloc[:2].tolist() == [1.0, 1.0]
    assert df["in_domain"].iloc[:2].tolist() == [False, False]
    assert df["out_of_range"].iloc[0].startswith(INORGANIC_NOTE)
    assert not df["valid"].iloc[2] and "would score Cl instead" in df["error"].iloc[2]
    assert df["in_domain"].iloc[3:].tolist() == [True, True] and df["smiles_std"].iloc[4] == "O=C(O)c1ccccc1"


def test_inorganic_carbon_molecules_flagged_like_water(tiny: Screener) -> None:
    """CO2, HCN, carbonic acid and CO are inorganic (their salts are refused); urea, phosgene,
    CCl4 and thiourea, without a C-H bond too, are organic."""
    df = tiny.score(INORGANIC_CARBON + ORGANIC_WITHOUT_CH)
    flagged = df.iloc[: len(INORGANIC_CARBON)]
    assert flagged["valid"].all() and (flagged["in_domain"] == False).all()  # noqa: E712
    assert flagged["out_of_range"].str.startswith(INORGANIC_CARBON_NOTE).all()
    organic = df.iloc[len(INORGANIC_CARBON) :]
    assert organic["valid"].all() and not organic["out_of_range"].str.contains("inorganic", regex=False).any()
    expected = organic["ad_similarity"] >= tiny.bundle.config["domain"]["threshold"]
    assert organic["in_domain"].astype(bool).tolist() == expected.tolist()


def test_inorganic_carbon_salt_reason_and_metal_complex_hint() -> None:
    carbonate = prepare_molecule("[Li+].[Li+].[O-]C([O-])=O").error
    assert "none of its 3 fragments is organic (carbon only as carbonate" in carbonate
    assert "N[Pt]" not in carbonate
    cisplatin = prepare_molecule("N.N.Cl[Pt]Cl").error  # PubChem's way of writing cisplatin
    assert "none of its 3 fragments holds carbon" in cisplatin
    assert cisplatin.endswith("scored once its bonds to the metal are written, e.g. N[Pt](N)(Cl)Cl")
    assert prepare_molecule("N[Pt](N)(Cl)Cl").valid
