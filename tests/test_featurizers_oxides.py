"""Charge-separated oxides of S, Se, P and As (``Standardizer.hypervalent_oxides``): one
molecule, one standardized SMILES, however its S=O is written."""

from __future__ import annotations

import pytest
from rdkit import Chem

from drugscreen.featurizers.molecule import DATASET_STANDARDIZER, Standardizer, prepare_molecule

ESOMEPRAZOLE = "COc1ccc2[nH]c([S@@+]([O-])Cc3ncc(C)c(OC)c3C)nc2c1"  # as ChEMBL writes it


def _std(smiles: str, policy: Standardizer | None = None) -> str:
    rec = prepare_molecule(smiles, policy) if policy is not None else prepare_molecule(smiles)
    assert rec.mol is not None, rec.error
    return Chem.MolToSmiles(rec.mol)


@pytest.mark.parametrize(
    ("charged", "neutral"),
    [("C[S+](C)[O-]", "CS(C)=O"),  # DMSO
     ("NC(=O)C[S+]([O-])C(c1ccccc1)c1ccccc1", "NC(=O)CS(=O)C(c1ccccc1)c1ccccc1"),  # modafinil
     ("C[S+2]([O-])([O-])c1ccccc1", "CS(=O)(=O)c1ccccc1"),  # a sulfone
     ("C[P+](C)(C)[O-]", "CP(C)(C)=O"),  # a phosphine oxide
     ("CC[Se+](C)[O-]", "CC[Se](C)=O"),
     ("[Na+].C[S+]([O-])c1ccccc1", "CS(=O)c1ccccc1")],
)
def test_charge_separated_oxide_is_the_double_bond(charged: str, neutral: str) -> None:
    assert _std(charged) == _std(neutral)
    assert _std(charged, DATASET_STANDARDIZER) == _std(neutral, DATASET_STANDARDIZER)  # training molecules too


def test_sulfoxide_stereo_kept_however_written() -> None:
    mol = Chem.MolFromSmiles(ESOMEPRAZOLE)
    expected = _std(ESOMEPRAZOLE)
    assert "@" in expected and "+" not in expected
    for _ in range(10):
        assert _std(Chem.MolToSmiles(mol, doRandom=True, canonical=False)) == expected
    assert _std(ESOMEPRAZOLE.replace("@@", "@")) != expected  # the enantiomer stays another molecule
    assert _std(ESOMEPRAZOLE.replace("[S@@+]([O-])", "[S@@](=O)")) == expected


@pytest.mark.parametrize("smiles", ["C[N+](C)(C)[O-]", "[O-][n+]1ccccc1", "C[N+](=O)[O-]", "C[S+](C)C"])
def test_n_oxides_nitro_and_sulfonium_left_alone(smiles: str) -> None:
    assert _std(smiles) == Chem.MolToSmiles(Chem.MolFromSmiles(smiles))


def test_configurations_from_before_keep_the_charge_separated_form() -> None:
    older = {k: v for k, v in Standardizer().to_config().items() if k != "hypervalent_oxides"}
    policy = Standardizer.from_config(older)
    assert policy.hypervalent_oxides is False
    assert _std("C[S+](C)[O-]", policy) == "C[S+](C)[O-]"


def test_dmso_written_charge_separated_is_still_the_listed_solvent() -> None:
    """Glycine with DMSO written C[S+](C)[O-]: the solvent is dropped, as CS(C)=O is."""
    assert _std("NCC(=O)O.C[S+](C)[O-]") == _std("NCC(=O)O.CS(C)=O") == "NCC(=O)O"


def test_model_card_states_the_standardization_options() -> None:
    """The card said 'charges neutralized' whatever else the recorded policy did."""
    from drugscreen.training.card import _standardizer_lines

    line = _standardizer_lines(Standardizer().to_config())[0]
    assert "[S+][O-] as S=O" in line and "inner salt" in line and "aromaticity perceived again" in line
    older = {k: v for k, v in Standardizer().to_config().items()
             if k not in ("hypervalent_oxides", "inner_salts", "reperceive_aromaticity")}
    assert "S=O" not in _standardizer_lines(older)[0] and "inner salt" not in _standardizer_lines(older)[0]
