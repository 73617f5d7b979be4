"""Organic counter-ions and solvents of pharmaceutical salts, to strip before choosing the parent.

Keeping the largest fragment of a salt picks the counter-ion whenever it is the bigger part:
olanzapine pamoate becomes pamoic acid, piperazine citrate citric acid, tafamidis meglumine
meglumine. :func:`drop_counterions` removes the fragments listed here first, as long as an
organic fragment that is not listed remains (sodium citrate stays citrate; citric acid alone
stays citric acid), and the largest-fragment rule then chooses among the rest.

The list holds organic acids, bases and crystallization solvents common in the salt forms of
approved drugs (checked against the ChEMBL approved-drug list: 11 of its 2,628 entries change
parent, among them the pamoates, citrates, meglumines and tromethamines;
``benchmarks/counterion_effect.py`` lists them and counts the changes per dataset). Fatty acids and alkyl sulfates are left out on purpose: in
products such as triethanolamine lauryl sulfate they are the active part. Fragments are
compared without stereochemistry and with charges neutralized, so maleate and fumarate, or
tartrate in any of its forms, match one entry.

The list has versions (:data:`COUNTERION_LIST_VERSION`), so that a model bundle keeps the parents
it was trained on: version 2 (2026-12-01) adds :data:`ADDED_IN_VERSION_2`, whose first two entries
were the larger part of approved salts (methenamine hippurate was scored as hippuric acid,
dextroamphetamine saccharate as glucaric acid).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from rdkit import Chem
from rdkit.Chem.MolStandardize import rdMolStandardize

__all__ = ["ADDED_IN_VERSION_2", "COUNTERIONS", "COUNTERION_LIST_VERSION", "counterion_list", "drop_counterions",
           "is_counterion"]

#: Version 1 of the list: name -> SMILES (any protonation state: fragments are compared
#: neutralized, without stereo).
COUNTERIONS: dict[str, str] = {
    # acids
    "acetic acid": "CC(=O)O",
    "formic acid": "OC=O",
    "trifluoroacetic acid": "OC(=O)C(F)(F)F",
    "oxalic acid": "OC(=O)C(=O)O",
    "maleic / fumaric acid": "OC(=O)C=CC(=O)O",
    "succinic acid": "OC(=O)CCC(=O)O",
    "adipic acid": "OC(=O)CCCCC(=O)O",
    "malic acid": "OC(=O)CC(O)C(=O)O",
    "tartaric acid": "OC(=O)C(O)C(O)C(=O)O",
    "citric acid": "OC(=O)CC(O)(CC(=O)O)C(=O)O",
    "lactic acid": "CC(O)C(=O)O",
    "gluconic acid": "OCC(O)C(O)C(O)C(O)C(=O)O",
    "benzoic acid": "OC(=O)c1ccccc1",
    "pamoic (embonic) acid": "OC(=O)c1cc2ccccc2c(Cc2c(O)c(C(=O)O)cc3ccccc23)c1O",
    "xinafoic acid": "OC(=O)c1cc2ccccc2cc1O",
    "methanesulfonic acid (mesylate)": "CS(=O)(=O)O",
    "ethanesulfonic acid (esylate)": "CCS(=O)(=O)O",
    "ethanedisulfonic acid (edisylate)": "OS(=O)(=O)CCS(=O)(=O)O",
    "isethionic acid": "OCCS(=O)(=O)O",
    "benzenesulfonic acid (besylate)": "OS(=O)(=O)c1ccccc1",
    "p-toluenesulfonic acid (tosylate)": "Cc1ccc(S(=O)(=O)O)cc1",
    "naphthalene-2-sulfonic acid (napsylate)": "OS(=O)(=O)c1ccc2ccccc2c1",
    "camphorsulfonic acid (camsylate)": "CC1(C)C2CCC1(CS(=O)(=O)O)C(=O)C2",
    # bases
    "meglumine": "CNCC(O)C(O)C(O)C(O)CO",
    "tromethamine": "NC(CO)(CO)CO",
    "choline": "C[N+](C)(C)CCO",
    "ethanolamine": "NCCO",
    "diethanolamine": "OCCNCCO",
    "benzathine": "c1ccc(CNCCNCc2ccccc2)cc1",
    # basic amino acids as salt formers (ibuprofen lysine, lysine acetylsalicylate, ketoprofen
    # arginine): alone, or with an amino-acid drug, they stay
    "lysine": "NCCCCC(N)C(=O)O",
    "arginine": "NC(=N)NCCCC(N)C(=O)O",
    # solvents of crystallization
    "methanol": "CO",
    "ethanol": "CCO",
    "isopropanol": "CC(C)O",
    "acetone": "CC(C)=O",
    "dimethyl sulfoxide": "CS(C)=O",
}

#: What version 2 adds: acids seen as the counter-ion of an approved drug in ChEMBL (the first two
#: the larger part of their salts). Piperazine, glycine and ethylenediamine are left out: they are
#: drugs in their own right, and a salt of two listed fragments keeps both (piperazine citrate
#: would become citric acid again).
ADDED_IN_VERSION_2: dict[str, str] = {
    "hippuric acid": "OC(=O)CNC(=O)c1ccccc1",
    "saccharic (glucaric) acid": "OC(=O)C(O)C(O)C(O)C(O)C(=O)O",
    "glucuronic acid": "OC1OC(C(=O)O)C(O)C(O)C1O",
    "lactobionic acid": "OCC(O)C(OC1OC(CO)C(O)C(O)C1O)C(O)C(O)C(=O)O",
    "glucoheptonic acid (gluceptate)": "OCC(O)C(O)C(O)C(O)C(O)C(=O)O",
    "terephthalic acid": "OC(=O)c1ccc(C(=O)O)cc1",
    "sulfosalicylic acid": "OC(=O)c1cc(S(=O)(=O)O)ccc1O",
    "triphenylacetic acid (trifenatate)": "OC(=O)C(c1ccccc1)(c1ccccc1)c1ccccc1",
    "methyl sulfate": "COS(=O)(=O)O",
}

#: The newest version of the list, the one :class:`~drugscreen.featurizers.molecule.Standardizer`
#: uses unless a configuration names another.
COUNTERION_LIST_VERSION = 2


def counterion_list(version: int = COUNTERION_LIST_VERSION) -> dict[str, str]:
    """The counter-ions and solvents of a version of the list (name -> SMILES).

    Raises
    ------
    ValueError
        For a version other than 1 or 2.
    """
    if version == 1:
        return dict(COUNTERIONS)
    if version == 2:
        return {**COUNTERIONS, **ADDED_IN_VERSION_2}
    raise ValueError(f"counterion_list must be 1 or {COUNTERION_LIST_VERSION}, not {version!r}")

_CARBON = Chem.MolFromSmarts("[#6]")


def _key(fragment: Chem.Mol) -> str:
    """Canonical SMILES without stereochemistry, charges neutralized where possible."""
    mol = Chem.Mol(fragment)
    Chem.RemoveStereochemistry(mol)
    mol = _uncharger().uncharge(mol)
    return Chem.MolToSmiles(mol)


@cache
def _uncharger() -> rdMolStandardize.Uncharger:
    return rdMolStandardize.Uncharger()


@cache
def _keys(version: int) -> frozenset[str]:
    return frozenset(_key(Chem.MolFromSmiles(s)) for s in counterion_list(version).values())


@cache
def _sizes(version: int) -> frozenset[int]:
    return frozenset(Chem.MolFromSmiles(s).GetNumHeavyAtoms() for s in counterion_list(version).values())


def is_counterion(fragment: Chem.Mol, version: int = COUNTERION_LIST_VERSION) -> bool:
    """Whether ``fragment`` is on version ``version`` of the list (in any protonation state)."""
    if fragment.GetNumHeavyAtoms() not in _sizes(version) or not fragment.HasSubstructMatch(_CARBON):
        return False
    return _key(fragment) in _keys(version)


def drop_counterions(fragments: Sequence[Chem.Mol], version: int = COUNTERION_LIST_VERSION) -> list[Chem.Mol]:
    """``fragments`` without the counter-ions and solvents of version ``version`` of the list, if
    an organic fragment that is not one of them remains; otherwise all of ``fragments``, unchanged."""
    kept = [f for f in fragments if not is_counterion(f, version)]
    if len(kept) < len(fragments) and any(f.HasSubstructMatch(_CARBON) for f in kept):
        return kept
    return list(fragments)
