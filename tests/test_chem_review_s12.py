"""Review s12 (medicinal chemistry of standardization): metal cyanide and carbonyl complexes are
inorganic, a halide ion bonded to a metal is refused as what it is, standardizing a standardized
SMILES again gives it back, and the cns profile holds back permanently charged molecules."""

from __future__ import annotations

import pytest
from rdkit import Chem
from screen_fixtures import TINY_BUNDLE

from drugscreen.domain import INORGANIC_CARBON_NOTE
from drugscreen.featurizers.molecule import (
    DATASET_STANDARDIZER,
    inorganic_kind,
    prepare_molecule,
)

# ----------------------------------------------------------------- 1. metal cyanides and carbonyls

#: sodium nitroprusside in the writings met in files, then other complexes whose only carbon is in
#: cyanide or CO ligands (or a bound carbonate): all were scored in the domain as organic molecules
INORGANIC_COMPLEXES = [
    "[Na+].[Na+].N#C[Fe-2](C#N)(C#N)(C#N)(C#N)N=O",
    "N#C[Fe-2](C#N)(C#N)(C#N)(C#N)N=O",
    "[Na+].[Na+].[O-][N+]#[Fe-4](C#N)(C#N)(C#N)(C#N)C#N",
    "O.O.[Na+].[Na+].N#C[Fe-2](C#N)(C#N)(C#N)(C#N)N=O",
    "N#C[Fe](C#N)(C#N)(C#N)(C#N)[N]=O",
    "[K+].[K+].[K+].[K+].N#C[Fe-4](C#N)(C#N)(C#N)(C#N)C#N",  # potassium ferrocyanide
    "[C-]#[O+][Ni]([C-]#[O+])([C-]#[O+])[C-]#[O+]",  # nickel carbonyl
    "O=C=[Fe](=C=O)(=C=O)(=C=O)=C=O",  # iron pentacarbonyl
    "N#C[Ag]",
    "[K+].N#C[Au-]C#N",
    "O=C1O[Pt](N)(N)O1",  # a bound carbonate
]
#: carbon bonded to a metal, and organic all the same: methyl, cyclopentadienyl, acetate and
#: urea ligands, cyanocobalamin's cyanide next to its corrin (here a small stand-in)
ORGANOMETALLICS = [
    "C[Hg]Cl",
    "C[Pt](C)(N)N",
    "CC(=O)O[Pt](N)(N)OC(C)=O",
    "NC(N)=O->[Pt](N)(N)Cl",
    "[Fe]12345C6=C1C2=C3C4=C56",
    "N#C[Co]N1C=CC=C1",
    "C[O][Na]",
]


@pytest.mark.parametrize("smiles", INORGANIC_COMPLEXES)
def test_metal_cyanide_and_carbonyl_complexes_are_inorganic(smiles: str) -> None:
    parsed = prepare_molecule(smiles)
    assert parsed.valid, parsed.error
    assert inorganic_kind(parsed.mol).startswith("carbon only as")


@pytest.mark.parametrize("smiles", ORGANOMETALLICS)
def test_organometallics_stay_organic(smiles: str) -> None:
    mol = Chem.MolFromSmiles(smiles)
    assert mol is not None
    assert inorganic_kind(mol) == ""


def test_nitroprusside_salt_scored_as_its_anion_as_before() -> None:
    """The salt keeps the standardized form it had (the complex anion, with its sodium ions
    dropped): only the domain flag changes."""
    salt = prepare_molecule("[Na+].[Na+].N#C[Fe-2](C#N)(C#N)(C#N)(C#N)N=O")
    anion = prepare_molecule("N#C[Fe-2](C#N)(C#N)(C#N)(C#N)N=O")
    assert salt.smiles_std == anion.smiles_std == prepare_molecule(anion.smiles, DATASET_STANDARDIZER).smiles_std
    # a salt of ions that are no complex is refused as before
    assert prepare_molecule("[K+].[C-]#N").error.startswith("inorganic salt or mixture")
    assert prepare_molecule("[Fe+3].[Cl-].[Cl-].[Cl-]").error.startswith("inorganic salt or mixture")
    # ligands written as ions are no counter-ions: cisplatin so written is not PtCl2
    assert prepare_molecule("[NH2-].[NH2-].Cl[Pt+2]Cl").error.startswith("inorganic salt or mixture")
    # a complex with a counter-ion of several atoms: refused, saying what would be scored
    error = prepare_molecule("N#C[SH+][Co-4](N)(N)(N)(N)N.O=S([O-])(O)=[OH+]").error
    assert error.startswith("inorganic salt or mixture") and "the metal complex N#C[SH+][Co-4]" in error


@pytest.mark.skipif(not (TINY_BUNDLE / "config.json").is_file(), reason="tiny bundle fixture missing")
def test_screener_flags_nitroprusside_outside_the_domain() -> None:
    from drugscreen.screening.screener import Screener

    tiny = Screener.load(TINY_BUNDLE, profile="default")
    df = tiny.score(INORGANIC_COMPLEXES[:2] + ["CCO"])
    assert df["valid"].all()
    assert df["in_domain"].iloc[:2].tolist() == [False, False]
    assert df["out_of_range"].iloc[:2].str.startswith(INORGANIC_CARBON_NOTE).all()
    assert "inorganic" not in df["out_of_range"].iloc[2]


# ----------------------------------------------------------------- 2. halide ions bonded to a metal

#: HIV writes halide ligands as ions bonded to the metal ([I-][Pd]): RDKit gives such an atom an
#: unpaired electron, and the refusal spoke of "a bracket atom without its hydrogens"
BOUND_HALIDE_IONS = [
    "N[Co-4](N)(N)([I-])([I-])[I-]",
    "[I-][Pd-2]([I-])([PH](N1CC1)(N1CC1)N1CC1)[PH](N1CC1)(N1CC1)N1CC1",
    "CN(C)[PH](F)(F)[Fe+2]1234([I-])([PH](F)(F)N(C)C)C5=C1[C-]2C3=C54",
]


@pytest.mark.parametrize("smiles", BOUND_HALIDE_IONS)
def test_halide_ion_bonded_to_a_metal_refused_as_such(smiles: str) -> None:
    error = prepare_molecule(smiles).error
    assert error.startswith("metal complex the standardizer cannot handle: ")
    assert "[I-]" in error and "bonded to" in error
    assert "bracket atom without its hydrogens" not in error
    assert "\n" not in error
    # the datasets' policy keeps them, as before
    assert prepare_molecule(smiles, DATASET_STANDARDIZER).valid


def test_ordinary_radicals_keep_their_message() -> None:
    for smiles in ("C[O]", "[CH2]C", "C[Hg]CC[O]"):
        assert prepare_molecule(smiles).error.startswith("radical: "), smiles
