"""Parsing and standardization: reasons instead of exceptions, salts, charges, policy config."""

from __future__ import annotations

import pytest
from rdkit import Chem

from drugscreen.featurizers import (
    ParsedMolecule,
    Standardizer,
    parse_smiles,
    prepare_molecule,
    prepare_molecules,
)

BAD_INPUTS = {
    "": "empty",
    "xyz": "syntax error",
    "C1CC": "unclosed ring",
    "c1cccc1": "kekulize",
    "CC(C)(C)(C)C": "valence",
    "[*]CC[*]": "dummy atoms",
    "C" * 400: "too large",
}


@pytest.mark.parametrize("smiles", list(BAD_INPUTS))
def test_bad_input_gives_reason_not_exception(smiles: str) -> None:
    result = prepare_molecule(smiles)
    assert isinstance(result, ParsedMolecule)
    assert not result.valid
    assert result.mol is None and result.smiles_std == ""
    assert result.smiles == smiles
    assert BAD_INPUTS[smiles] in result.error.lower() or BAD_INPUTS[smiles] in result.error


def test_valence_reason_names_the_atom() -> None:
    assert prepare_molecule("CC(C)(C)(C)C").error == (
        "Explicit valence for atom # 1 C, 5, is greater than permitted"
    )


def test_parse_smiles_non_string() -> None:
    mol, error = parse_smiles(None)  # type: ignore[arg-type]
    assert mol is None and "not a SMILES string" in error


def test_salts_stripped_and_original_kept() -> None:
    result = prepare_molecule("CC(=O)Oc1ccccc1C(=O)[O-].[Na+]")
    assert result.valid
    assert result.smiles == "CC(=O)Oc1ccccc1C(=O)[O-].[Na+]"
    assert result.smiles_std == Chem.CanonSmiles("CC(=O)Oc1ccccc1C(=O)O")
    assert prepare_molecule("CCO.Cl").smiles_std == "CCO"
    assert prepare_molecule("Cl.O.c1ccncc1").smiles_std == "c1ccncc1"


def test_charges_neutralized() -> None:
    assert prepare_molecule("[NH3+]CC(=O)[O-]").smiles_std == "NCC(=O)O"
    assert prepare_molecule("CC[O-]").smiles_std == "CCO"
    # a quaternary ammonium has no neutral form: kept as is
    assert prepare_molecule("C[N+](C)(C)C").smiles_std == "C[N+](C)(C)C"
    # a nitro group stays in its charge-separated form
    assert prepare_molecule("C[N+](=O)[O-]").smiles_std == "C[N+](=O)[O-]"


def test_policy_switches() -> None:
    keep_all = Standardizer(largest_fragment=False, neutralize=False)
    assert prepare_molecule("CC[O-].[Na+]", keep_all).smiles_std == Chem.CanonSmiles("CC[O-].[Na+]")
    assert prepare_molecule("[*]CC", Standardizer(allow_dummy_atoms=True)).valid
    assert not prepare_molecule("CCCCC", Standardizer(max_heavy_atoms=4)).valid
    tautomer = Standardizer(canonical_tautomer=True)
    assert prepare_molecule("Oc1ccccn1", tautomer).smiles_std == prepare_molecule("O=c1cccc[nH]1", tautomer).smiles_std
    # no standardizer: parse only
    assert prepare_molecule("CC[O-].[Na+]", None).smiles_std == Chem.CanonSmiles("CC[O-].[Na+]")


def test_standardizer_config_round_trip() -> None:
    policy = Standardizer(canonical_tautomer=True, max_heavy_atoms=100)
    assert Standardizer.from_config(policy.to_config()) == policy
    assert set(policy.to_config()) == {
        "largest_fragment", "neutralize", "normalize", "canonical_tautomer", "max_heavy_atoms", "allow_dummy_atoms",
    }


def test_prepare_molecules_keeps_order() -> None:
    out = prepare_molecules(["CCO", "xyz", "c1ccccc1"])
    assert [r.valid for r in out] == [True, False, True]
    assert [r.smiles for r in out] == ["CCO", "xyz", "c1ccccc1"]


def test_fast_paths_agree_with_rdkit_standardizer() -> None:
    from rdkit.Chem.MolStandardize import rdMolStandardize

    chooser = rdMolStandardize.LargestFragmentChooser(preferOrganic=True)
    uncharger = rdMolStandardize.Uncharger()
    cases = [
        "O=[N+]([O-])[O-].[Na+]",  # nitrate: one O- neutralized
        "C[N+](C)(C)CC(=O)[O-]",  # betaine: kept
        "Cc1ccccc1[N+](=O)[O-]",  # nitro: kept
        "C[n+]1ccccc1.[Cl-]",
        "[O-]c1ccccc1.[NH4+]",
        "CCN(CC)Cc1c(OC)ccc2[nH]c3c4ccc(Cl)cc4ncc3c12.CCN(CC)Cc1cc2[nH]c3c4ccc(Cl)cc4ncc3c2cc1OC",  # tie
        "[Na+].[Cl-]",  # no organic fragment
        "OC(=O)C(O)C(O)C(=O)O.CN1CCC[C@H]1c1cccnc1",
    ]
    for smiles in cases:
        mol = Chem.MolFromSmiles(smiles)
        expected = Chem.MolToSmiles(uncharger.uncharge(chooser.choose(mol)))
        assert prepare_molecule(smiles).smiles_std == expected, smiles
