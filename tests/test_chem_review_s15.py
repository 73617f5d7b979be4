"""Review s15 (medicinal chemistry of standardization): a metal anion (an -ate complex such as
dicyanoaurate) keeps its charge instead of being given a hydrogen on the metal; entries of the
approved library that are one drug written as two tautomers are recognised as one compound."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdkit import Chem

from drugscreen.featurizers.molecule import (
    _BEFORE_OPTIONS,
    DATASET_STANDARDIZER,
    DEFAULT_STANDARDIZER,
    Standardizer,
    prepare_molecule,
)

#: Atomic numbers of the non-metals (as in drugscreen.featurizers.molecule)
_NON_METALS = {0, 1, 2, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 32, 33, 34, 35, 36, 51, 52, 53, 54, 85, 86}


def _metal_hydrogens(mol: Chem.Mol) -> int:
    return sum(a.GetTotalNumHs() for a in mol.GetAtoms() if a.GetAtomicNum() not in _NON_METALS)


# ----------------------------------------------------------------- 1. metal anions

#: (input, the parent a chemist expects): an anionic metal centre is an -ate complex, not the
#: conjugate base of a metal hydride; the Uncharger gave the metal a hydrogen ([AuH], [FeH], [PtH])
METAL_ANIONS = [
    # potassium dicyanoaurate(I) (Tox21, ToxCast): was N#[C][AuH][C]#N, gold(I) hydride
    ("N#C[Au-]C#N", "N#C[Au-]C#N"),
    ("[K+].N#C[Au-]C#N", "N#C[Au-]C#N"),
    ("N#C[Ag-]C#N", "N#C[Ag-]C#N"),  # dicyanoargentate
    ("[K+].Cl[Pt-](Cl)(Cl)C=C", "Cl[Pt-](Cl)(Cl)C=C"),  # Zeise's salt
    # HIV row 28722: a tris(dithiocarbamate)-like iron complex with a mercaptosuccinic acid
    ("CCN(CC)C(=S)S[Fe-](SC(=S)N(CC)CC)SC(CC(=O)O)C(=O)O", "CCN(CC)C(=S)S[Fe-](SC(=S)N(CC)CC)SC(CC(=O)O)C(=O)O"),
]


@pytest.mark.parametrize(("smiles", "expected"), METAL_ANIONS)
def test_a_metal_anion_keeps_its_charge_and_gets_no_hydrogen(smiles: str, expected: str) -> None:
    for policy in (DEFAULT_STANDARDIZER, DATASET_STANDARDIZER):
        parsed = prepare_molecule(smiles, policy)
        assert parsed.valid, parsed.error
        assert _metal_hydrogens(parsed.mol) == 0, parsed.smiles_std
        assert parsed.smiles_std == Chem.MolToSmiles(Chem.MolFromSmiles(expected))
        assert all(a.GetNumRadicalElectrons() == 0 for a in parsed.mol.GetAtoms())
        # standardizing the standardized SMILES gives it back
        assert prepare_molecule(parsed.smiles_std, policy).smiles_std == parsed.smiles_std


def test_the_bracketed_carbons_of_a_cyanide_ligand_are_no_radicals() -> None:
    """RDKit writes an atom bonded to a metal in brackets (``N#[C][Au-][C]#N``); read back, the
    carbon has its four bonds and no unpaired electron."""
    std = prepare_molecule("N#C[Au-]C#N").smiles_std
    assert std == "N#[C][Au-][C]#N"
    mol = Chem.MolFromSmiles(std)
    assert [a.GetNumRadicalElectrons() for a in mol.GetAtoms()] == [0] * 5


def test_metal_anions_elsewhere_as_before() -> None:
    """Metal anions the Uncharger never touched, and ordinary anions, are unchanged."""
    for smiles, std in [
        ("N#C[Fe-2](C#N)(C#N)(C#N)(C#N)N=O", "N#[C][Fe-2]([C]#N)([C]#N)([C]#N)([C]#N)[N]=O"),
        ("[Na+].[O-]C(=O)c1ccccc1", "O=C(O)c1ccccc1"),
        ("F[B-](F)(F)F.CC[N+](C)(C)C", "CC[N+](C)(C)C"),
        ("C[N+](C)(C)CC(=O)[O-]", "C[N+](C)(C)CC(=O)[O-]"),
    ]:
        assert prepare_molecule(smiles).smiles_std == std, smiles


def test_bundles_saved_before_keep_the_metal_hydride() -> None:
    """A configuration written before the option scores the molecule as its models learned it;
    the shipped panel (trained before) keeps the old parent until it is retrained."""
    assert _BEFORE_OPTIONS["keep_metal_anions"] is False
    config = {k: v for k, v in DEFAULT_STANDARDIZER.to_config().items() if k != "keep_metal_anions"}
    old = Standardizer.from_config(config)
    assert old.keep_metal_anions is False
    assert prepare_molecule("N#C[Au-]C#N", old).smiles_std == "N#[C][AuH][C]#N"
    assert DEFAULT_STANDARDIZER.to_config()["keep_metal_anions"] is True
    panel = Path(__file__).resolve().parents[1] / "drugscreen" / "resources" / "models" / "panel" / "config.json"
    if panel.is_file():
        recorded = json.loads(panel.read_text())["standardizer"]
        assert "keep_metal_anions" not in recorded
        assert Standardizer.from_config(recorded).keep_metal_anions is False
