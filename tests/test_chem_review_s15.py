"""Review s15 (medicinal chemistry of standardization): a metal anion (an -ate complex such as
dicyanoaurate) keeps its charge instead of being given a hydrogen on the metal; entries of the
approved library that are one drug written as two tautomers are recognised as one compound."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
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


# ----------------------------------------------------------------- 2. one drug written as two tautomers

ACYCLOVIR = "Nc1nc2c(ncn2COCCO)c(=O)[nH]1"  # CHEMBL184, the lactam ChEMBL writes
ACYCLOVIR_SODIUM = "Nc1nc([O-])c2ncn(COCCO)c2n1.[Na+]"  # CHEMBL1200380: neutralized, the lactim
NORETHINDRONE = "C#C[C@]1(O)CC[C@H]2[C@@H]3CCC4=CC(=O)CC[C@@H]4[C@H]3CC[C@@]21C"
NORETHYNODREL = "C#C[C@]1(O)CC[C@H]2[C@@H]3CCC4=C(CCC(=O)C4)[C@H]3CC[C@@]21C"
LEVOTHYROXINE = "N[C@@H](Cc1cc(I)c(Oc2cc(I)c(O)c(I)c2)c(I)c1)C(=O)O"
DEXTROTHYROXINE = "N[C@H](Cc1cc(I)c(Oc2cc(I)c(O)c(I)c2)c(I)c1)C(=O)O"


def _stds(smiles: list[str]) -> list[str]:
    out = [prepare_molecule(s) for s in smiles]
    assert all(p.valid for p in out)
    return [p.smiles_std for p in out]


def test_compound_keys_join_tautomers_and_keep_isomers_apart() -> None:
    from drugscreen.repurposing.scoring import compound_keys

    stds = _stds([ACYCLOVIR, ACYCLOVIR_SODIUM, NORETHINDRONE, NORETHYNODREL, LEVOTHYROXINE, DEXTROTHYROXINE, "CCO"])
    assert stds[0] != stds[1]  # the standardizer does not choose tautomers (the panel learned them so)
    keys = compound_keys(stds)
    assert keys[0] == keys[1] == min(stds[:2])
    # norethynodrel is another drug (a double-bond isomer, not a mobile-hydrogen tautomer), the
    # thyroxines are enantiomers: each keeps its own key, its own SMILES
    assert keys[2:] == stds[2:]
    # the key does not depend on the order of the list
    assert compound_keys(stds[::-1]) == keys[::-1]
    # across=n compares only the first n with the rest (a library with ligands)
    assert compound_keys(stds[:2], across=1) == [keys[0]] * 2
    assert compound_keys([*stds[:2], "CCO"], across=2) == [*stds[:2], "CCO"]


def test_identical_ligands_recognise_a_tautomer_of_a_given_active() -> None:
    """Acyclovir given as a known active: acyclovir sodium's parent (the lactim) is the same
    drug; it was not recognised (ECFP4 Tanimoto 0.61 to acyclovir, another SMILES)."""
    from drugscreen.repurposing.scoring import fingerprint_sets, identical_ligands

    lib = [ACYCLOVIR_SODIUM, ACYCLOVIR, NORETHYNODREL, "N[C@@H](C)C(=O)O"]
    ligands = [NORETHINDRONE, ACYCLOVIR, "CC(N)C(=O)O"]
    lib_std, lig_std = _stds(lib), _stds(ligands)
    lib_fp = fingerprint_sets([Chem.MolFromSmiles(s) for s in lib_std], ("ecfp4",))["ecfp4"]
    lig_fp = fingerprint_sets([Chem.MolFromSmiles(s) for s in lig_std], ("ecfp4",))["ecfp4"]
    assert identical_ligands(lib_fp, lib_std, lig_fp, lig_std).tolist() == [1, 1, -1, 2]
    # a ligand written as the other tautomer and with stereo, a library entry without
    lig_std2 = _stds(["Nc1nc(O)c2ncn(COC[C@H](C)O)c2n1"])
    lib_std2 = _stds(["Nc1nc2c(ncn2COCC(C)O)c(=O)[nH]1", "Nc1nc2c(ncn2COC[C@@H](C)O)c(=O)[nH]1"])
    lib_fp2 = fingerprint_sets([Chem.MolFromSmiles(s) for s in lib_std2], ("ecfp4",))["ecfp4"]
    lig_fp2 = fingerprint_sets([Chem.MolFromSmiles(s) for s in lig_std2], ("ecfp4",))["ecfp4"]
    assert identical_ligands(lib_fp2, lib_std2, lig_fp2, lig_std2).tolist() == [0, -1]


#: The approved library's entries whose parents are one compound written as two tautomers (10
#: pairs; pemetrexed has three entries), and pralidoxime (its chloride written (E), the other
#: without the oxime's geometry; standard InChI does not keep it in the pyridinium): by name
APPROVED_SAME_COMPOUND = [
    {"VARDENAFIL HYDROCHLORIDE", "VARDENAFIL"},
    {"MERCAPTOPURINE"},
    {"GANCICLOVIR", "GANCICLOVIR SODIUM"},
    {"ACYCLOVIR", "ACYCLOVIR SODIUM"},
    {"PEMETREXED", "PEMETREXED DISODIUM", "PEMETREXED TROMETHAMINE"},
    {"ALLOPURINOL", "ALLOPURINOL SODIUM"},
    {"AZATHIOPRINE", "AZATHIOPRINE SODIUM"},
    {"VALGANCICLOVIR HYDROCHLORIDE", "VALGANCICLOVIR"},
    {"SAPROPTERIN", "SAPROPTERIN DIHYDROCHLORIDE"},
    {"PACRITINIB", "PACRITINIB CITRATE"},
    {"PRALIDOXIME CHLORIDE", "PRALIDOXIME"},
]


def test_approved_library_compounds_written_as_two_tautomers() -> None:
    from collections import defaultdict

    from rdkit import rdBase

    from drugscreen.data import approved_drugs
    from drugscreen.repurposing.scoring import compound_keys

    df = approved_drugs()
    with rdBase.BlockLogs():
        parsed = [prepare_molecule(s) if isinstance(s, str) else None for s in df["smiles"]]
    rows = [i for i, p in enumerate(parsed) if p is not None and p.valid]
    stds = [parsed[i].smiles_std for i in rows]
    keys = compound_keys(stds)
    joined: dict[str, set[str]] = defaultdict(set)
    names: dict[str, set[str]] = defaultdict(set)
    for i, s, k in zip(rows, stds, keys, strict=True):
        joined[k].add(s)
        names[k].add(df["pref_name"].iloc[i])
    found = [names[k] for k, v in joined.items() if len(v) > 1]
    assert sorted(map(sorted, found)) == sorted(map(sorted, APPROVED_SAME_COMPOUND))
    assert len(set(stds)) - len(set(keys)) == 11
    assert not np.any([{"NORETHINDRONE", "NORETHYNODREL"} <= n for n in names.values()])


def test_repurposing_names_acyclovir_sodium_a_known_active_when_acyclovir_is_given(tmp_path, monkeypatch) -> None:
    """What a user saw: acyclovir given as an active, ACYCLOVIR listed first as the known ligand,
    ACYCLOVIR SODIUM (the same drug, its parent the lactim) ranked as a prediction below it."""
    import pandas as pd

    from drugscreen.repurposing.repurposer import Repurposer

    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path / "cache"))
    lib = pd.DataFrame({"id": ["a", "a2", "b", "c"], "name": ["acyclovir", "acyclovir sodium", "aspirin", "caffeine"],
                        "smiles": [ACYCLOVIR, ACYCLOVIR_SODIUM, "CC(=O)Oc1ccccc1C(=O)O", "Cn1cnc2c1c(=O)n(C)c(=O)n2C"]})
    out = Repurposer(None, panel=False).rank(ligands=[ACYCLOVIR], library=lib, forms="all").set_index("id")
    assert out.loc[["a", "a2"], "known_ligand"].tolist() == ["ligand 1", "ligand 1"]
    assert out.loc[["a", "a2"], "rank"].tolist() == [1, 2]
    assert out.loc["a2", "evidence"].startswith("given as a known active")
