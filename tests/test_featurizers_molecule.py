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
from drugscreen.featurizers.molecule import DEFAULT_STANDARDIZER

BAD_INPUTS = {
    "": "empty",
    "xyz": "syntax error",
    "C1CC": "unclosed ring",
    "c1cccc1": "kekulize",
    "CC(C)(C)(C)C": "valence",
    "[*]CC[*]": "dummy atoms",
    "C" * 400: "too large",
    # RDKit reads up to the first white space and takes the rest as a name: refused, not cut short
    "c1ccccc1 Cl": "white space",
    "CC\tO": "white space",
    # non-ASCII text: RDKit's error log cut such a character in two and crashed the whole run
    "CC(" + "\u00e9" * 30: "ASCII",
    "CC(\u4e59\u9170\u6c34\u6768\u9178\u4e00\u79cd\u5e38\u7528\u7684\u89e3\u70ed\u9547\u75db\u836f)": "ASCII",
    # RDKit reads the SMARTS any-bond '~' and scored the query 'C~N' as a molecule
    # bracket atoms without their hydrogens are radicals (a typo: [O] for O); no model saw one
    "CC(=O)Nc1ccc([O])cc1": "radical",
    "[#6]C": "radical",
    "[CH2]C": "radical",
    "C[As]C": "radical",
    # charges no C, N or O atom can carry
    "[C+4]": "unsupported charge",
    "[N+5]": "unsupported charge",
    "CC[O-5]": "unsupported charge",
    "C~N": "any bond",
    "c1ccccc1~C |$;;;;;;R$|": "any bond",
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
        "largest_fragment", "strip_counterions", "neutralize", "normalize", "canonical_tautomer", "max_heavy_atoms",
        "allow_dummy_atoms", "remove_isotopes", "allow_radicals", "allow_extreme_charges", "allow_inorganic_mixtures",
        "inner_salts", "reperceive_aromaticity", "hypervalent_oxides", "imidates_as_amides",
        "ranked_inner_salts", "counterion_list", "keep_metal_anions",
    }
    # a configuration from before an option existed (an older bundle's) keeps its behaviour
    new_options = {"strip_counterions": False, "remove_isotopes": False, "allow_radicals": True, "allow_extreme_charges": True,
                   "inner_salts": False, "reperceive_aromaticity": False, "hypervalent_oxides": False,
                   "imidates_as_amides": False, "ranked_inner_salts": False, "counterion_list": 1,
                   "keep_metal_anions": False}
    older = {k: v for k, v in Standardizer().to_config().items() if k not in new_options and k != "allow_inorganic_mixtures"}
    # ... except inorganic mixtures: refusing them changes no accepted molecule, so older bundles refuse them too
    assert Standardizer.from_config(older).to_config() == {**older, **new_options, "allow_inorganic_mixtures": False}
    assert not prepare_molecule("[Na+].[Cl-]", Standardizer.from_config(older)).valid
    flags = {k: v for k, v in new_options.items() if isinstance(v, bool)}
    assert {k: getattr(Standardizer(), k) for k in flags} == {k: not v for k, v in flags.items()}
    assert Standardizer().counterion_list > new_options["counterion_list"]
    assert prepare_molecule("CC[O-5]", Standardizer.from_config(older)).valid


@pytest.mark.parametrize(
    ("labelled", "parent"),
    [
        ("[2H]C([2H])([2H])C(=O)Nc1ccc(O)cc1", "CC(=O)Nc1ccc(O)cc1"),  # d3-paracetamol
        ("CC[13CH3]", "CCC"),
        ("[3H]OC(=O)CC", "CCC(=O)O"),
        ("CC(C)NC(C)Cc1ccc([123I])cc1.Cl", "CC(C)NC(C)Cc1ccc(I)cc1"),  # iofetamine (123I)
        ("[2H]/C=C/C", "C=CC"),  # a D that defined double-bond stereo must not stay as an H atom
        ("[2H]/C(F)=C(/F)", "F/C=C\\F"),
    ],
)
def test_isotope_labels_are_removed(labelled: str, parent: str) -> None:
    """A deuterated drug scored as a different molecule (its D atoms stayed graph nodes and
    the label entered the fingerprint): it now scores as its parent."""
    assert prepare_molecule(labelled).smiles_std == Chem.CanonSmiles(parent)
    kept = prepare_molecule(labelled, Standardizer(remove_isotopes=False)).smiles_std
    assert kept != Chem.CanonSmiles(parent)


def test_radicals_and_metal_ions() -> None:
    """Non-metal radicals are refused unless allowed; metal ions are not checked."""
    assert prepare_molecule("CC(=O)Nc1ccc([O])cc1", Standardizer(allow_radicals=True)).valid
    assert prepare_molecule("[Fe+3]").valid and prepare_molecule("[O-][Cl+3]([O-])([O-])[O-].C[N+](C)(C)C").valid


OLANZAPINE = "Cc1cc2c(s1)Nc1ccccc1N=C2N1CCN(C)CC1"
PAMOIC_ACID = "O=C(O)c1cc2ccccc2c(Cc2c(O)c(C(=O)O)cc3ccccc23)c1O"
CITRIC_ACID = "OC(=O)CC(O)(CC(=O)O)C(=O)O"


@pytest.mark.parametrize(
    ("smiles", "parent"),
    [
        # the counter-ion is the larger fragment: dropped first, in any protonation state
        (f"{OLANZAPINE}.{PAMOIC_ACID}", OLANZAPINE),
        ("C1CNCCN1.C1CNCCN1.C1CNCCN1." + CITRIC_ACID + "." + CITRIC_ACID, "C1CNCCN1"),
        ("O=C(O)c1ccc2nc(-c3cc(Cl)cc(Cl)c3)oc2c1.CNC[C@H](O)[C@@H](O)[C@H](O)[C@H](O)CO",
         "O=C(O)c1ccc2nc(-c3cc(Cl)cc(Cl)c3)oc2c1"),  # tafamidis meglumine
        ("C[C@@H]1O[C@@H]1P(=O)([O-])O.[NH3+]C(CO)(CO)CO", "C[C@@H]1O[C@@H]1P(=O)(O)O"),  # fosfomycin tromethamine
        # nothing else organic: the listed fragment stays (sodium citrate is citrate; citric acid itself)
        ("[Na+].[Na+].[Na+].[O-]C(=O)CC(O)(CC([O-])=O)C([O-])=O", CITRIC_ACID),
        (CITRIC_ACID, CITRIC_ACID),
        ("CCO.O", "CCO"),
        # basic amino acids as salt formers: lysine acetylsalicylate is aspirin, ibuprofen lysine ibuprofen
        ("CC(=O)Oc1ccccc1C(=O)[O-].NCCCC[C@H]([NH3+])C(=O)O", "CC(=O)Oc1ccccc1C(=O)O"),
        ("CC(C)Cc1ccc(C(C)C(=O)O)cc1.NC(=N)NCCC[C@H](N)C(=O)O", "CC(C)Cc1ccc(C(C)C(=O)O)cc1"),
        ("NCCCC[C@H](N)C(=O)O", "NCCCC[C@H](N)C(=O)O"),
        # fatty acids and alkyl sulfates are not listed: triethanolamine lauryl sulfate is lauryl sulfate
        ("OCCN(CCO)CCO.CCCCCCCCCCCCOS(=O)(=O)O", "CCCCCCCCCCCCOS(=O)(=O)O"),
    ],
)
def test_counterions_stripped_before_the_largest_fragment(smiles: str, parent: str) -> None:
    assert prepare_molecule(smiles).smiles_std == Chem.CanonSmiles(parent)


def test_counterion_stripping_can_be_switched_off() -> None:
    assert prepare_molecule(f"{OLANZAPINE}.{PAMOIC_ACID}", Standardizer(strip_counterions=False)).smiles_std == Chem.CanonSmiles(PAMOIC_ACID)


def test_every_listed_counterion_is_recognised() -> None:
    from drugscreen.featurizers.counterions import COUNTERIONS, is_counterion

    for name, smiles in COUNTERIONS.items():
        assert is_counterion(Chem.MolFromSmiles(smiles)), name
    assert not is_counterion(Chem.MolFromSmiles(OLANZAPINE)) and not is_counterion(Chem.MolFromSmiles("[Na+]"))


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
        "[Na+].[Cl-]",  # no organic fragment (refused by default; the datasets' policy keeps it)
        "OC(=O)C(O)C(O)C(=O)O.CN1CCC[C@H]1c1cccnc1",
    ]
    keep_inorganic = Standardizer(allow_inorganic_mixtures=True)
    for smiles in cases:
        mol = Chem.MolFromSmiles(smiles)
        expected = Chem.MolToSmiles(uncharger.uncharge(chooser.choose(mol)))
        assert prepare_molecule(smiles, keep_inorganic).smiles_std == expected, smiles


def test_cxsmiles_extension_after_a_space_is_accepted() -> None:
    result = prepare_molecule("CCO |$;;$|")
    assert result.valid and result.smiles_std == "CCO"


@pytest.mark.parametrize(
    ("smiles", "expected"),
    [
        ("[Fe+2].c1cc[cH-]c1.c1cc[cH-]c1", "C1=CCC=C1"),  # ferrocene: its ligand, neutral and readable
        ("c1cc[cH-]c1", "C1=CCC=C1"),
        ("COC(=O)c1c(C(=O)OC)c(C(=O)OC)[c-](C(=O)OC)c1C(=O)OC.[K+]",
         "COC(=O)C1=C(C(=O)OC)C(C(=O)OC)C(C(=O)OC)=C1C(=O)OC"),
        ("[O-]c1ccccc1", "Oc1ccccc1"),  # an ordinary anion is neutralized as before
    ],
)
def test_neutralized_smiles_can_be_read_back(smiles: str, expected: str) -> None:
    result = prepare_molecule(smiles)
    assert result.valid
    assert result.smiles_std == expected
    assert Chem.MolFromSmiles(result.smiles_std) is not None


def test_datasets_keep_their_radicals_screening_refuses_them() -> None:
    """Curated datasets hold a few radicals on purpose (TEMPOL in Tox21): the datasets' policy
    keeps them, so molecule counts and deterministic splits stay those the literature uses; a
    screened file is held to the default policy."""
    from drugscreen.data.loaders import _DEFAULT, _dataset_policy
    from drugscreen.featurizers.molecule import DATASET_STANDARDIZER, DEFAULT_STANDARDIZER

    tempol = "CC1(C)CC(O)CC(C)(C)N1[O]"
    assert not prepare_molecule(tempol).valid
    assert prepare_molecule(tempol, DATASET_STANDARDIZER).valid
    assert prepare_molecule("[2H]C([2H])([2H])C(=O)Nc1ccc(O)cc1", DATASET_STANDARDIZER).smiles_std == "CC(=O)Nc1ccc(O)cc1"
    assert _dataset_policy(_DEFAULT) is DATASET_STANDARDIZER and _dataset_policy(None) is None
    assert _dataset_policy(DEFAULT_STANDARDIZER) is DEFAULT_STANDARDIZER
    # nothing else differs between the two policies
    differ = {k for k, v in DATASET_STANDARDIZER.to_config().items() if DEFAULT_STANDARDIZER.to_config()[k] != v}
    assert differ == {"allow_radicals", "allow_extreme_charges", "allow_inorganic_mixtures"}
    # Tox21's potassium iodide stays what the datasets always made of it; a screened file is refused
    assert prepare_molecule("[I-].[K+]", DATASET_STANDARDIZER).smiles_std == "I"
    assert "inorganic salt" in prepare_molecule("[I-].[K+]").error


@pytest.mark.parametrize(
    "written",
    [
        "C[N+](C)(C)C[C@@H](O)CC(=O)O.[Cl-]",  # L-carnitine hydrochloride
        "OC(=O)C[C@H](O)C[N+](C)(C)C.[Br-]",
        "C[N+](C)(C)C[C@@H](O)CC(=O)O",  # the cation alone
        "C[N+](C)(C)C[C@@H](O)CC(=O)[O-]",  # the inner salt, as L-carnitine is written
    ],
)
def test_a_permanent_cation_with_an_acid_is_its_inner_salt(written: str) -> None:
    # the hydrochloride stayed a cation with a carboxylic acid and scored as another molecule
    # than the zwitterion (BBBP 0.25 vs 0.74 on the shipped panel)
    p = prepare_molecule(written)
    assert p.valid and Chem.MolToSmiles(p.mol) == "C[N+](C)(C)C[C@@H](O)CC(=O)[O-]"


def test_inner_salt_takes_the_strongest_acid_and_does_not_depend_on_the_writing() -> None:
    thiamine_pp = "Cc1ncc(C[n+]2csc(CCOP(=O)(O)OP(=O)(O)O)c2C)c(N)n1.[Cl-]"
    first = Chem.MolToSmiles(prepare_molecule(thiamine_pp).mol)
    assert Chem.GetFormalCharge(Chem.MolFromSmiles(first)) == 0 and "C(=O)[O-]" not in first
    two_acids = Chem.MolFromSmiles("OC(=O)CC[N+](C)(C)CC(=O)O")
    outs = {Chem.MolToSmiles(prepare_molecule(Chem.MolToSmiles(two_acids, doRandom=True)).mol) for _ in range(20)}
    assert len(outs) == 1
    # a cation without an acid, an ester, and a bundle's older policy are left alone
    assert Chem.MolToSmiles(prepare_molecule("C[N+](C)(C)CC(=O)OC.[Cl-]").mol) == "COC(=O)C[N+](C)(C)C"
    old = Standardizer.from_config({k: v for k, v in DEFAULT_STANDARDIZER.to_config().items() if k != "inner_salts"})
    assert old.inner_salts is False
    assert Chem.MolToSmiles(prepare_molecule("C[N+](C)(C)CC(=O)O.[Cl-]", old).mol) == "C[N+](C)(C)CC(=O)O"
