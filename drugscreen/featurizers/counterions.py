"""Organic counter-ions and solvents of pharmaceutical salts, to strip before choosing the parent.

Keeping the largest fragment of a salt picks the counter-ion whenever it is the bigger part:
olanzapine pamoate becomes pamoic acid, piperazine citrate citric acid, tafamidis meglumine
meglumine. :func:`drop_counterions` removes the fragments listed here first, as long as an
organic fragment that is not listed remains (sodium citrate stays citrate; citric acid alone
stays citric acid), and the largest-fragment rule then chooses among the rest.

The list holds organic acids, bases and crystallization solvents common in the salt forms of
approved drugs (checked against the ChEMBL approved-drug list: 9 of its 2,628 entries change
parent, among them the pamoates, citrates, meglumines and tromethamines;
``benchmarks/counterion_effect.py`` lists them and counts the changes per dataset). Fatty acids and alkyl sulfates are left out on purpose: in
products such as triethanolamine lauryl sulfate they are the active part. Fragments are
compared without stereochemistry and with charges neutralized, so maleate and fumarate, or
tartrate in any of its forms, match one entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from rdkit import Chem
from rdkit.Chem.MolStandardize import rdMolStandardize

__all__ = ["COUNTERIONS", "drop_counterions", "is_counterion"]

#: name -> SMILES (any protonation state: fragments are compared neutralized, without stereo).
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
def _keys() -> frozenset[str]:
    return frozenset(_key(Chem.MolFromSmiles(s)) for s in COUNTERIONS.values())


@cache
def _sizes() -> frozenset[int]:
    return frozenset(Chem.MolFromSmiles(s).GetNumHeavyAtoms() for s in COUNTERIONS.values())


def is_counterion(fragment: Chem.Mol) -> bool:
    """Whether ``fragment`` is one of :data:`COUNTERIONS` (in any protonation state)."""
    if fragment.GetNumHeavyAtoms() not in _sizes() or not fragment.HasSubstructMatch(_CARBON):
        return False
    return _key(fragment) in _keys()


def drop_counterions(fragments: Sequence[Chem.Mol]) -> list[Chem.Mol]:
    """``fragments`` without the listed counter-ions and solvents, if an organic fragment that
    is not one of them remains; otherwise all of ``fragments``, unchanged."""
    kept = [f for f in fragments if not is_counterion(f)]
    if len(kept) < len(fragments) and any(f.HasSubstructMatch(_CARBON) for f in kept):
        return kept
    return list(fragments)
