"""Salt forms that standardized to another molecule than their parent: imidate anions
(``Standardizer.imidates_as_amides``: a sodium barbiturate or hydantoin written ``[O-]C=N`` is
scored as the drug, an amide, not as an imidic acid) and zwitterions with several acid groups
(``Standardizer.ranked_inner_salts``)."""

from __future__ import annotations

import pytest
from rdkit import Chem

from drugscreen.featurizers.molecule import DATASET_STANDARDIZER, Standardizer, prepare_molecule


def _std(smiles: str, policy: Standardizer | None = None) -> str:
    rec = prepare_molecule(smiles, policy) if policy is not None else prepare_molecule(smiles)
    assert rec.mol is not None, rec.error
    return Chem.MolToSmiles(rec.mol)


# (salt as ChEMBL's approved-drug list writes it, the parent as the same list writes it)
SALT_AND_PARENT = [
    ("O=C1N=C([O-])NC1(c1ccccc1)c1ccccc1.[Na+]", "O=C1NC(=O)C(c2ccccc2)(c2ccccc2)N1"),  # phenytoin sodium
    ("CCCC(C)C1(CC)C(=O)N=C([O-])NC1=O.[Na+]", "CCCC(C)C1(CC)C(=O)NC(=O)NC1=O"),  # pentobarbital sodium
    ("C=CCC1(C(C)C#CCC)C(=O)N=C([O-])N(C)C1=O.[Na+]", "C=CCC1(C(C)C#CCC)C(=O)NC(=O)N(C)C1=O"),  # methohexital sodium
    ("C=CCC1(C(C)CCC)C(=O)[N-]C(=O)NC1=O.[Na+]", "C=CCC1(C(C)CCC)C(=O)NC(=O)NC1=O"),  # secobarbital sodium ([N-] already)
    ("CC[C@]1(C)C(=O)N=C([O-])N1", "CC[C@]1(C)C(=O)NC(=O)N1"),  # stereo kept
    ("[O-]C(=N)[O-].[Na+].[Na+]", "NC(=O)O"),  # two oxides on one carbon: one takes the amide
]


@pytest.mark.parametrize(("salt", "parent"), SALT_AND_PARENT)
def test_imidate_salt_is_its_amide_parent(salt: str, parent: str) -> None:
    assert _std(salt) == _std(parent)
    assert _std(salt, DATASET_STANDARDIZER) == _std(parent, DATASET_STANDARDIZER)  # training molecules too


def test_the_imidate_is_found_however_the_salt_is_written() -> None:
    salt, parent = SALT_AND_PARENT[0]
    mol = Chem.MolFromSmiles(salt)
    for seed in range(8):
        assert _std(Chem.MolToSmiles(mol, doRandom=True, canonical=False)) == _std(parent), seed


@pytest.mark.parametrize(
    "smiles",
    [
        # aromatic oxide anions keep the hydroxy form: ChEMBL writes acyclovir as a lactam but
        # ceftriaxone and allopurinol as hydroxy-heteroarenes, so no one rule serves all
        "Nc1nc([O-])c2ncn(COCCO)c2n1",
        "CN1N=C([O-])C(=O)N=C1S",
        # not imidates: a carboxylate, an N-oxide, an oxime anion
        "CC(=O)[O-]", "C[N+](C)(C)[O-]", "CC(C)=N[O-]",
    ],
)
def test_other_oxide_anions_are_neutralized_as_before(smiles: str) -> None:
    older = {k: v for k, v in Standardizer().to_config().items() if k != "imidates_as_amides"}
    assert _std(smiles) == _std(smiles, Standardizer.from_config(older))


def test_neutral_imidic_acid_as_written_is_left_alone() -> None:
    """Only the anion's proton is placed: a molecule written neutral keeps its tautomer."""
    assert _std("OC1=NC(=O)C(CC)(CC)C(=O)N1") == Chem.MolToSmiles(Chem.MolFromSmiles("OC1=NC(=O)C(CC)(CC)C(=O)N1"))


def test_configurations_from_before_keep_the_imidic_acid() -> None:
    older = {k: v for k, v in Standardizer().to_config().items() if k != "imidates_as_amides"}
    policy = Standardizer.from_config(older)
    assert policy.imidates_as_amides is False
    assert _std(SALT_AND_PARENT[0][0], policy) == "O=C1N=C(O)NC1(c1ccccc1)c1ccccc1"
    assert _std(SALT_AND_PARENT[0][0], Standardizer(neutralize=False)).count("-") == 1  # no neutralizing, no proton


def test_model_card_states_the_option() -> None:
    from drugscreen.training.card import _standardizer_lines

    assert "imidate" in _standardizer_lines(Standardizer().to_config())[0]
    older = {k: v for k, v in Standardizer().to_config().items() if k != "imidates_as_amides"}
    assert "imidate" not in _standardizer_lines(older)[0]
    assert "several acid groups" in _standardizer_lines(Standardizer().to_config())[0]


CEFTAZIDIME = "CC(C)(O/N=C(\\C(=O)N[C@@H]1C(=O)N2C(C(=O)[O-])=C(C[n+]3ccccc3)CS[C@H]12)c1csc(N)n1)C(=O)O"  # ChEMBL's parent
ISOSULFAN_BLUE = "CCN(CC)c1ccc(C(=C2C=CC(=[N+](CC)CC)C=C2)c2cc(S(=O)(=O)O)ccc2S(=O)(=O)[O-])cc1"


def test_zwitterion_charge_goes_to_the_ranked_acid_however_written() -> None:
    other = CEFTAZIDIME[:-len("C(=O)O")] + "C(=O)[O-]"
    other = other.replace("N2C(C(=O)[O-])=C", "N2C(C(=O)O)=C")
    assert other != CEFTAZIDIME and Chem.MolFromSmiles(other) is not None
    sodium = other.replace("C(=O)O)=C", "C(=O)[O-])=C") + ".[Na+]"  # the disodium writing, one Na lost
    assert _std(CEFTAZIDIME) == _std(other) == _std(sodium)
    swapped = ISOSULFAN_BLUE.replace("S(=O)(=O)O)", "S(=O)(=O)[O-])", 1).replace("ccc2S(=O)(=O)[O-]", "ccc2S(=O)(=O)O")
    assert swapped != ISOSULFAN_BLUE
    assert _std(ISOSULFAN_BLUE) == _std(swapped)
    older = {k: v for k, v in Standardizer().to_config().items() if k != "ranked_inner_salts"}
    assert _std(CEFTAZIDIME, Standardizer.from_config(older)) != _std(other, Standardizer.from_config(older))


@pytest.mark.parametrize("smiles", ["C[N+](C)(C)CC(=O)[O-]", "C[N+](C)(C)CC(=O)O.[Cl-]", "CC(=O)[O-]", "OC(=O)CC(=O)[O-].[Na+]",
                                    "C[n+]1ccccc1", "CC(=O)O"])
def test_ranked_inner_salts_leave_one_acid_zwitterions_and_plain_acids(smiles: str) -> None:
    older = {k: v for k, v in Standardizer().to_config().items() if k != "ranked_inner_salts"}
    assert _std(smiles) == _std(smiles, Standardizer.from_config(older))
