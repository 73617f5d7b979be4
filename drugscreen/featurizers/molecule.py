"""Parsing and standardization of molecules, keeping the reason when one fails.

Parsing never raises on bad chemistry: :func:`parse_smiles` returns a :class:`ParsedMolecule`
whose ``error`` holds RDKit's own message (e.g. ``"Explicit valence for atom # 1 C, 5, is
greater than permitted"``) captured with :class:`rdkit.rdBase.CaptureErrorLog`, so nothing is
printed and RDKit's global logging state is never touched.

Standardization is a policy object, :class:`Standardizer`, whose parameters are recorded in
every model bundle. Its default keeps the largest organic fragment (salts and solvents
stripped) and neutralizes charges, and refuses an input none of whose fragments is organic
(sodium chloride would otherwise be scored as hydrogen chloride, lithium carbonate as carbonic
acid; carbonates, cyanides, CO2 and the like count as inorganic, :data:`INORGANIC_CARBON`); the
canonical tautomer is optional because it is slow.
Steps that would change nothing are skipped cheaply, so the common case costs almost
nothing beyond parsing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cache
from typing import Any

from rdkit import Chem, rdBase
from rdkit.Chem import rdqueries
from rdkit.Chem.MolStandardize import rdMolStandardize

from drugscreen.featurizers.counterions import (
    COUNTERION_LIST_VERSION,
    counterion_list,
    drop_counterions,
)
from drugscreen.featurizers.counterions import _key as _fragment_key
from drugscreen.messages import EMPTY_SMILES

__all__ = [
    "DATASET_STANDARDIZER",
    "DEFAULT_STANDARDIZER",
    "INORGANIC_CARBON",
    "ParsedMolecule",
    "Standardizer",
    "has_carbon",
    "inorganic_kind",
    "parse_smiles",
    "prepare_molecule",
    "prepare_molecules",
]

_TIMESTAMP = re.compile(r"^\[\d\d:\d\d:\d\d\]\s*")
# Checks run in C++ (a Python loop over atoms costs ~20 us per molecule).
_CHARGED_ATOM = Chem.MolFromSmarts("[+,-]")
# The Uncharger is slow (~100 us); it is skipped when it cannot change anything: when every
# charge is +-1, no positive atom carries H, and negative atoms are balanced one for one by
# positive atoms without H (nitro groups, N-oxides, betaines). Checked to give the same
# canonical SMILES as always running it on 62k MoleculeNet molecules.
_POS_WITH_H = Chem.MolFromSmarts("[+;!H0]")
_MULTI_CHARGE = Chem.MolFromSmarts("[+2,+3,+4,-2,-3,-4]")
_NEGATIVE = Chem.MolFromSmarts("[-]")
_POS_NO_H = Chem.MolFromSmarts("[+;H0]")
_CARBON = Chem.MolFromSmarts("[#6]")
# aromatic anions (cyclopentadienide, tetrazolide) and hydride: the Uncharger's neutral form of
# these is checked for being readable (see _checked_uncharge); other anions need no check
_AROMATIC_OR_HYDRIDE_ANION = Chem.MolFromSmarts("[a-,#1-]")
_RADICAL = rdqueries.NumRadicalElectronsGreaterQueryAtom(0)
_ISOTOPE = rdqueries.IsotopeGreaterQueryAtom(0)
_CHARGE_BEYOND_ONE = Chem.MolFromSmarts("[!+0;!+1;!-1]")


def _suspect_query() -> Any:
    """An atom with an isotope label, a radical or a charge beyond +-1: one C++ pass (~3-5 us)
    decides whether the isotope, radical and charge checks need to run at all."""
    q = rdqueries.IsotopeGreaterQueryAtom(0)
    for other in (rdqueries.NumRadicalElectronsGreaterQueryAtom(0), rdqueries.FormalChargeGreaterQueryAtom(1),
                  rdqueries.FormalChargeLessQueryAtom(-1)):
        q.ExpandQuery(other, Chem.CompositeQueryType.COMPOSITE_OR)
    return q


_SUSPECT = _suspect_query()
#: The largest formal charge (either sign) an atom of these non-metals may carry in a molecule a
#: model scores: C, N, O and F one (an oxide or nitride ion is not a drug-like molecule); B, Si,
#: P, S, Se and the heavier halogens three (perchlorate writes chlorine +3). Metals are not limited.
MAX_ABS_CHARGE = {"C": 1, "N": 1, "O": 1, "F": 1, "B": 3, "Si": 3, "P": 3, "S": 3, "Se": 3, "Cl": 3, "Br": 3, "I": 3}
#: Elements whose radicals are refused: the non-metals above and the metalloids Ge, As, Sb, Te
#: (``C[As]C`` is the same typing slip as ``[CH2]C``); metal ions are not checked.
RADICAL_CHECKED = frozenset(MAX_ABS_CHARGE) | {"Ge", "As", "Sb", "Te"}
#: Metals of coordination-complex drugs often written as separate ions (cisplatin as
#: ``N.N.Cl[Pt]Cl``, cobalt ammines): a refused inorganic mixture holding one gets a hint to write
#: the bonds to the metal.
_COMPLEX_METALS = frozenset({"Co", "Ru", "Rh", "Pd", "Os", "Ir", "Pt", "Au"})


def has_carbon(mol: Chem.Mol) -> bool:
    """True when ``mol`` holds a carbon atom (one C++ substructure match, ~1 us)."""
    return bool(mol.HasSubstructMatch(_CARBON))


#: Carbon compounds that chemistry counts as inorganic, by name -> SMILES (any protonation state:
#: fragments are compared neutralized, as counter-ions are). Their salts (lithium carbonate,
#: potassium cyanide, sodium thiocyanate, sodium nitroprusside written as ions) are inorganic
#: salts, refused like sodium chloride, and the molecules themselves (CO2, HCN) are flagged
#: outside the domain like water. So are metal complexes whose only carbon is in such ligands
#: (sodium nitroprusside written with its bonds, nickel carbonyl, potassium ferrocyanide).
#: Urea, phosgene and carbon tetrachloride stay organic.
INORGANIC_CARBON: dict[str, str] = {
    "carbonic acid (carbonate, bicarbonate)": "OC(=O)O",
    "hydrogen cyanide (cyanide)": "C#N",
    "cyanic acid (cyanate)": "OC#N",
    "isocyanic acid": "O=C=N",
    "thiocyanic acid (thiocyanate)": "SC#N",
    "isothiocyanic acid": "S=C=N",
    "carbon monoxide": "[C-]#[O+]",
    "carbon dioxide": "O=C=O",
    "carbon disulfide": "S=C=S",
    "carbonyl sulfide": "O=C=S",
}
#: The largest of them (carbonic acid) has 4 heavy atoms: a larger fragment with carbon is organic.
_INORGANIC_CARBON_ATOMS = 4
#: Atomic numbers that are not metals here: hydrogen, the non-metals, the metalloids B, Si, Ge,
#: As, Sb and Te, the noble gases, and the dummy atom. Every other element is a metal.
_NON_METALS = frozenset({0, 1, 2, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 32, 33, 34, 35, 36, 51, 52, 53, 54, 85, 86})
#: A carbon bonded to a non-metal other than H, N, O or S: never in one of them, so organic. (A
#: carbon bonded to a metal may be a cyanide or CO ligand: see :func:`_complex_is_organic`.)
_CARBON_BEYOND_NOS = Chem.MolFromSmarts(
    "[#6]~[" + ",".join(f"#{z}" for z in sorted(_NON_METALS - {1, 7, 8, 16})) + "]"
)


@cache
def _inorganic_carbon_keys() -> frozenset[str]:
    return frozenset(_fragment_key(Chem.MolFromSmiles(s)) for s in INORGANIC_CARBON.values())


@cache
def _inorganic_ligand_shapes() -> frozenset[tuple[str, ...]]:
    """The elements around the one carbon of each of :data:`INORGANIC_CARBON` (``("N",)`` for
    cyanide, ``("O",)`` for CO, ``("O", "O", "O")`` for carbonate)."""
    shapes = set()
    for smiles in INORGANIC_CARBON.values():
        mol = Chem.MolFromSmiles(smiles)
        carbon = next(a for a in mol.GetAtoms() if a.GetAtomicNum() == 6)
        shapes.add(tuple(sorted(n.GetSymbol() for n in carbon.GetNeighbors())))
    return frozenset(shapes)


def _organic_fragment(frag: Chem.Mol) -> bool:
    """True when the connected ``frag`` holds carbon other than as one of :data:`INORGANIC_CARBON`."""
    if not frag.HasSubstructMatch(_CARBON):
        return False
    if any(_is_metal_bond(b) for b in frag.GetBonds()):
        return _complex_is_organic(frag)
    return frag.GetNumHeavyAtoms() > _INORGANIC_CARBON_ATOMS or _fragment_key(frag) not in _inorganic_carbon_keys()


def _is_metal_bond(bond: Chem.Bond) -> bool:
    """A bond between a metal and a non-metal."""
    return (bond.GetBeginAtom().GetAtomicNum() in _NON_METALS) != (bond.GetEndAtom().GetAtomicNum() in _NON_METALS)


def _complex_is_organic(mol: Chem.Mol) -> bool:
    """Whether the metal complex ``mol`` (one connected molecule with bonds to a metal) holds
    organic carbon: cut at its bonds to metals, some ligand holding carbon is not one of
    :data:`INORGANIC_CARBON` bound to the metal.

    A bound cyanide, CO, cyanate, thiocyanate or carbonate is recognised by its shape: one
    carbon without hydrogen, with only the N, O and S atoms of one of :data:`INORGANIC_CARBON`
    around it, and those bonded to nothing else but hydrogen and metals (however the bonds to
    the metal are written: ``N#C[Fe]``, ``[C-]#[O+]->[Ni]``, ``O=C=[Fe]``). A methyl, acetate or
    urea ligand is organic, so ``C[Hg]Cl`` and cyanocobalamin stay organic.
    """
    cut = Chem.RWMol(mol)  # the ligands: the molecule's pieces once its bonds to metals are removed
    for bond in mol.GetBonds():
        if _is_metal_bond(bond):
            cut.RemoveBond(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx())
    shapes = _inorganic_ligand_shapes()
    for atoms in Chem.GetMolFrags(cut, sanitizeFrags=False):
        carbons = [mol.GetAtomWithIdx(i) for i in atoms if mol.GetAtomWithIdx(i).GetAtomicNum() == 6]
        if not carbons:
            continue
        heavy = [i for i in atoms if mol.GetAtomWithIdx(i).GetAtomicNum() > 1]
        if len(carbons) > 1 or len(heavy) > _INORGANIC_CARBON_ATOMS or carbons[0].GetTotalNumHs(includeNeighbors=True) > 0:
            return True
        carbon = carbons[0]
        around = [n for n in carbon.GetNeighbors() if n.GetAtomicNum() in _NON_METALS and n.GetAtomicNum() > 1]
        if tuple(sorted(n.GetSymbol() for n in around)) not in shapes:
            return True
        for n in around:
            if any(m.GetIdx() != carbon.GetIdx() and m.GetAtomicNum() in _NON_METALS and m.GetAtomicNum() > 1
                   for m in n.GetNeighbors()):
                return True
    return False


#: :func:`inorganic_kind`'s answer for a molecule whose carbon is all inorganic.
_INORGANIC_CARBON_KIND = "carbon only as carbonate, cyanide, cyanate, thiocyanate, CO, CO2, CS2 or COS"


def inorganic_kind(mol: Chem.Mol) -> str:
    """Why ``mol`` counts as inorganic, or ``""`` when one of its fragments is organic.

    ``"no carbon atom"`` (water, sodium chloride, ``N[Pt](N)(Cl)Cl``), or ``"carbon only as
    ..."`` when every carbon is in one of :data:`INORGANIC_CARBON`, free or as a ligand of a
    metal (CO2, lithium carbonate, potassium cyanide, sodium nitroprusside, nickel carbonyl;
    :func:`_complex_is_organic`). A carbon bonded to a non-metal other than N, O or S (as in
    nearly every organic molecule, and in none of those) decides it in one substructure match
    (~1 us).
    """
    if mol.HasSubstructMatch(_CARBON_BEYOND_NOS):
        return ""
    if not mol.HasSubstructMatch(_CARBON):
        return "no carbon atom"
    frags = Chem.GetMolFrags(mol, asMols=True) if len(Chem.GetMolFrags(mol)) > 1 else (mol,)
    if any(_organic_fragment(f) for f in frags):
        return ""
    return _INORGANIC_CARBON_KIND


_WATER = Chem.MolFromSmarts("[O;D0;H2;+0]")


def _inorganic_parent(mol: Chem.Mol) -> Chem.Mol | None:
    """The molecule an input of several inorganic fragments stands for, or ``None`` (a salt).

    The one fragment that is not water (``N[Pt](N)(Cl)Cl.O`` -> cisplatin: a hydrate of a
    carbon-free molecule is that molecule, scored outside the domain as it is without its water
    of crystallization); or, in a salt of a metal complex ion, the complex: the one fragment left
    once water and simple ions (a metal or halide ion of one atom without hydrogen) are set
    aside, when it holds a bond to a metal (sodium
    nitroprusside ``[Na+].[Na+].N#C[Fe-2](C#N)(C#N)(C#N)(C#N)N=O`` -> the nitroprusside ion, the
    fragment kept before it counted as inorganic; ``N[Co](N)(N)(N)(N)N.[Cl-].[Cl-].[Cl-]``).
    Sodium chloride, copper sulfate, ``N.N.Cl[Pt]Cl`` or ``[NH2-].[NH2-].Cl[Pt+2]Cl`` (ligands
    written as ions) give ``None``.
    """
    frags = Chem.GetMolFrags(mol, asMols=True)
    rest = [f for f in frags if not (f.GetNumAtoms() == 1 and f.HasSubstructMatch(_WATER))]
    if len(rest) == 1:
        return rest[0]
    complexes = [f for f in rest if not _simple_ion(f)]
    if len(complexes) == 1 and any(_is_metal_bond(b) for b in complexes[0].GetBonds()):
        return complexes[0]
    return None


def _simple_ion(frag: Chem.Mol) -> bool:
    """A counter-ion of one metal or halogen atom without hydrogen (``[Na+]``, ``[Cl-]``)."""
    if frag.GetNumAtoms() != 1:
        return False
    atom = frag.GetAtomWithIdx(0)
    return (atom.GetFormalCharge() != 0 and atom.GetTotalNumHs() == 0
            and (atom.GetAtomicNum() not in _NON_METALS or atom.GetAtomicNum() in (9, 17, 35, 53)))


def _may_uncharge(mol: Chem.Mol) -> bool:
    """False when RDKit's Uncharger would leave ``mol`` unchanged (see above)."""
    if not mol.HasSubstructMatch(_CHARGED_ATOM):
        return False
    if mol.HasSubstructMatch(_POS_WITH_H) or mol.HasSubstructMatch(_MULTI_CHARGE):
        return True
    return len(mol.GetSubstructMatches(_NEGATIVE)) != len(mol.GetSubstructMatches(_POS_NO_H))
_DUMMY_ATOM = Chem.MolFromSmarts("[#0]")
_HYDROGEN_ATOM = Chem.MolFromSmarts("[#1]")


def _clean_log(text: str) -> str:
    """Turn RDKit's captured log into one short line (timestamps and echoes removed)."""
    lines: list[str] = []
    in_trace = False
    for raw in text.splitlines():
        line = _TIMESTAMP.sub("", raw).strip()
        if line and set(line) <= {"-"}:  # "----------" opens and closes a C++ stack trace
            in_trace = not in_trace
            continue
        if in_trace:
            continue
        if not line or set(line) <= set("^~* ") or line.startswith("SMILES Parse Error: Failed parsing"):
            continue
        if line.endswith("Violation") or line.startswith(("Violation occurred", "Failed Expression", "RDKIT:", "BOOST:")):
            continue  # the frame of an invariant violation: C++ file, line and expression
        if lines and line == lines[-1]:
            continue
        lines.append(line)
    # The line after "check for mistakes around position N:" echoes the input; drop it.
    out: list[str] = []
    skip_next = False
    for line in lines:
        if skip_next:
            skip_next = False
            continue
        if line.startswith("SMILES Parse Error: check for mistakes"):
            skip_next = True
            line = line.rstrip(":")
        out.append(line.replace("SMILES Parse Error: ", ""))
    return "; ".join(out)


class ParsedMolecule:
    """The outcome of parsing and standardizing one input (read-only).

    Attributes
    ----------
    smiles
        The input text, unchanged.
    mol
        The (standardized) RDKit molecule, or ``None`` when it failed.
    smiles_std
        Canonical SMILES of ``mol`` ("" when it failed). Computed on first access when not
        given (writing canonical SMILES costs about as much as featurizing the graph, and
        training does not need it).
    error
        Why it failed ("" when it did not).
    """

    __slots__ = ("smiles", "mol", "_smiles_std", "error")

    smiles: str
    mol: Chem.Mol | None
    error: str

    def __init__(self, smiles: str, mol: Chem.Mol | None, smiles_std: str | None = None, error: str = "") -> None:
        object.__setattr__(self, "smiles", smiles)
        object.__setattr__(self, "mol", mol)
        if mol is None and smiles_std is None:
            smiles_std = ""
        object.__setattr__(self, "_smiles_std", smiles_std or None if mol is not None else smiles_std)
        object.__setattr__(self, "error", error)

    @property
    def smiles_std(self) -> str:
        value = self._smiles_std
        if value is None:
            value = Chem.MolToSmiles(self.mol)
            object.__setattr__(self, "_smiles_std", value)
        return value

    @property
    def valid(self) -> bool:
        """True when the molecule parsed and passed the standardizer's checks."""
        return self.mol is not None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"ParsedMolecule is read-only (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"ParsedMolecule is read-only (cannot delete {name!r})")

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.smiles, self.mol, self._smiles_std, self.error)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for name, value in zip(self.__slots__, state, strict=True):
            object.__setattr__(self, name, value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ParsedMolecule):
            return NotImplemented
        return (self.smiles, self.mol, self.error) == (other.smiles, other.mol, other.error) and (
            self.smiles_std == other.smiles_std
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"ParsedMolecule(smiles={self.smiles!r}, valid={self.valid}, "
            f"smiles_std={self.smiles_std!r}, error={self.error!r})"
        )


_WHITE_SPACE = re.compile(r"\s+")
#: ASCII control characters that are not white space (white space has its own message)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _text_problem(text: str) -> str:
    """Why stripped SMILES ``text`` must not go to RDKit, or ``""``.

    RDKit reads a SMILES up to the first white space and takes the rest as the molecule's name,
    so ``c1ccccc1 Cl`` would silently become benzene; only a CXSMILES extension (``CCO |$;;$|``)
    may follow a space. SMILES are ASCII: other characters are refused here with their position
    (RDKit's own message about them can be cut in the middle of a character). So are control
    characters: RDKit reads the text as a C string, so ``c1ccccc1\x00Cl`` was benzene. RDKit also
    reads the SMARTS any-bond ``~`` (``C~N``) and would score the query as a molecule.
    """
    control = _CONTROL.search(text)
    if control is not None:
        return (f"control character U+{ord(control.group()):04X} at position {control.start()}: SMILES hold "
                "none (a damaged or binary file?)")
    if not text.isascii():
        pos, char = next((i, c) for i, c in enumerate(text) if not c.isascii())
        return f"SMILES contain only ASCII characters; found {char!r} at position {pos}"
    parts = _WHITE_SPACE.split(text, maxsplit=1)
    if len(parts) == 2 and not parts[1].startswith("|"):
        return (f"white space inside the SMILES: RDKit would read only {parts[0]!r} and drop "
                f"{parts[1]!r} (a name or another molecule belongs in its own column)")
    if "~" in parts[0]:
        return (f"'~' (any bond) at position {parts[0].index('~')} is a query, not a bond: "
                "the structure is not defined (write the bond as -, =, # or :)")
    return ""


def parse_smiles(smiles: str) -> tuple[Chem.Mol | None, str]:
    """Parse one SMILES with sanitization, returning ``(mol, "")`` or ``(None, reason)``.

    Parameters
    ----------
    smiles
        SMILES text. Surrounding white space and a leading byte-order mark are ignored.

    Returns
    -------
    tuple
        The molecule and an empty string, or ``None`` and RDKit's reason.
    """
    if not isinstance(smiles, str):
        return None, f"not a SMILES string: {type(smiles).__name__}"
    text = smiles.strip()
    if text.startswith("\ufeff"):  # a byte-order mark: the first line of a file read as "utf-8"
        text = text[1:].strip()
    if not text:
        return None, EMPTY_SMILES
    problem = _text_problem(text)
    if problem:
        return None, problem
    # Blocking logs is cheaper than capturing them; only a failure is parsed again to
    # capture RDKit's reason (failures are rare, so this costs nothing on average).
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(text)
    if mol is None:
        with rdBase.CaptureErrorLog() as log:
            Chem.MolFromSmiles(text)
        try:
            reason = _clean_log(log.messages)
        except UnicodeDecodeError:  # RDKit's log can cut a multi-byte character in two
            reason = ""
        return None, reason or "RDKit could not parse the SMILES"
    if mol.GetNumAtoms() == 0:
        return None, "SMILES has no atoms"
    return mol, ""


@dataclass(frozen=True)
class Standardizer:
    """Standardization policy applied after parsing.

    Parameters
    ----------
    largest_fragment
        Keep only the largest organic fragment (strips counter-ions and solvents).
    strip_counterions
        Before choosing the largest fragment, drop the organic counter-ions and solvents of
        :data:`~drugscreen.featurizers.counterions.COUNTERIONS` (pamoate, citrate, meglumine,
        ...) while another organic fragment remains, so that olanzapine pamoate is olanzapine,
        not pamoic acid. Configurations written before this option existed read as ``False``.
    counterion_list
        Which version of that list (:func:`~drugscreen.featurizers.counterions.counterion_list`):
        2 (the default) adds hippuric and glucaric acid, the larger part of methenamine hippurate
        and dextroamphetamine saccharate, and other acids of approved salts. Configurations
        written before this option existed read as 1, so a bundle keeps the parents it learned.
    neutralize
        Neutralize charges where a neutral form exists (RDKit ``Uncharger``).
    normalize
        Apply RDKit's functional-group normalizations (``Cleanup``); slower.
    canonical_tautomer
        Replace the molecule by RDKit's canonical tautomer; much slower.
    max_heavy_atoms
        Larger molecules are refused (not drug-like; slow and outside every training set).
    allow_dummy_atoms
        Accept ``*`` atoms (R-groups, polymer ends). Off by default: no model has seen them.
    remove_isotopes
        Score the isotope parent: ``[2H]``, ``[13C]``, ``[131I]`` become ordinary atoms (and
        deuterium an ordinary hydrogen), so a deuterated drug scores as its parent instead of
        as a molecule with extra heavy atoms. Configurations written before this option
        existed read as ``False``.
    allow_radicals
        Accept non-metal and metalloid atoms (:data:`RADICAL_CHECKED`) with unpaired electrons;
        metal ions are not checked. Off by default: a bracket atom written without its
        hydrogens (``[O]`` for ``O``, ``[CH2]C``, ``[#6]``) is read by RDKit as a radical, which
        in a screened file is almost always a typing slip; the training datasets hold only a
        handful of real radicals (:data:`DATASET_STANDARDIZER` keeps them). Configurations
        written before this option existed read as ``True``.
    allow_extreme_charges
        Accept atoms charged beyond :data:`MAX_ABS_CHARGE` (``[C+4]``, ``[N+5]``, ``C[O-2]``).
        Off by default. Configurations written before this option existed read as ``True``.
    inner_salts
        With ``neutralize``: a molecule still positively charged once neutralized, its charge
        on atoms no proton can leave (a quaternary ammonium, pyridinium, sulfonium or
        phosphonium), gives protons of its acid groups (sulfonic and phosphorus acids first,
        then carboxylic acids) until it is neutral: the inner salt, as such a zwitterion is
        written. L-carnitine hydrochloride (``C[N+](C)(C)C[C@@H](O)CC(=O)O.[Cl-]``) is then
        L-carnitine (``C[N+](C)(C)C[C@@H](O)CC(=O)[O-]``), as written in its neutral form; before
        this, the two were scored as different molecules. Which acid group gives its proton is
        chosen by canonical atom rank, so it does not depend on how the molecule is written.
        Configurations written before this option existed read as ``False``.
    reperceive_aromaticity
        With ``neutralize``: sanitize a molecule again (aromaticity perceived anew) once the
        Uncharger has changed it. The Uncharger takes the proton off a ring ``[NH+]`` without
        perceiving the ring's aromaticity again, so the standardized SMILES wrote an aromatic
        ring as a Kekule one (``C[NH+]1C(=N)C=CN(R)C1=O`` gave ``CN1C(=N)C=CN(R)C1=O``), which,
        read back, is aromatic (``Cn1c(=N)ccn(R)c1=O``): standardizing a standardized SMILES
        gave another SMILES, and screening ``smiles_std`` again another molecule (15 of HIV's
        41,120 molecules, 12 of them metal complexes such as zinc porphyrins; 5 of BACE's, whose
        ``[N@H+]`` kept a stereo tag on the neutral amine). Configurations written before this
        option existed read as ``False``, so a bundle scores each molecule as it learned it.
    hypervalent_oxides
        Write an oxide bonded to a sulfur, selenium, phosphorus or arsenic cation as a double
        bond: ``C[S+](C)[O-]`` (a sulfoxide as ChEMBL writes it) is ``CS(C)=O``, a sulfone
        ``[S+2]([O-])([O-])`` is ``S(=O)=O``, a phosphine oxide ``[P+][O-]`` is ``P=O``; stereo
        tags are kept (esomeprazole stays esomeprazole). N-oxides and nitro groups, which have no
        such form, are left alone. Before this, the two writings of one sulfoxide were two
        molecules (omeprazole's logD 1.18 against 2.70 on the panel of 2026-11-30): Lipophilicity
        writes 28 of its 29 sulfoxides charge-separated, every other panel dataset 356 of 357 with
        ``S=O``. Configurations written before this option existed read as ``False``.
    imidates_as_amides
        With ``neutralize``: an imidate anion, an oxide on a non-aromatic carbon double-bonded to
        nitrogen (``[O-]C=N``, as the sodium salts of barbiturates and hydantoins are written),
        takes its proton on the nitrogen, giving the amide the drug is (``O=C-NH``), not on the
        oxygen, which gave an imidic acid: phenytoin sodium scored as another molecule than
        phenytoin (likewise pentobarbital and methohexital sodium; Tox21, SIDER and ToxCast hold
        2 such salts each). Aromatic oxide anions are neutralized as before (a hydroxy-heteroarene):
        ChEMBL writes acyclovir as a lactam but ceftriaxone and allopurinol as hydroxy forms,
        so their tautomers stay as written. Configurations written before this option existed
        read as ``False``.
    ranked_inner_salts
        With ``inner_salts``: a zwitterion written with its negative charge on one of several
        acid groups has it moved to the acid :func:`_inner_salt` chooses (the strongest kind,
        then canonical atom rank), as a salt of it gets. Ceftazidime written with its
        carboxylate on the beta-lactam ring and ceftazidime sodium (the other carboxylic acid
        once neutralized) were two molecules; so were two writings of isosulfan blue (Tox21 8,
        ToxCast 10, HIV 5, ClinTox 3 molecules change). Configurations written before this
        option existed read as ``False``.
    keep_metal_anions
        With ``neutralize``: a metal atom carrying a negative charge (an -ate complex:
        dicyanoaurate ``N#C[Au-]C#N``, Zeise's anion ``Cl[Pt-](Cl)(Cl)C=C``) keeps it. RDKit's
        Uncharger neutralized such a metal by giving it a hydrogen, so potassium dicyanoaurate
        (Tox21, ToxCast) was scored as gold(I) hydride ``N#[C][AuH][C]#N``, a molecule no chemist
        writes; the parent is the complex anion, as nitroprusside's ``[Fe-2]`` always was (4
        molecules of the panel's datasets change: 2 in HIV, 1 in Tox21, 1 in ToxCast).
        Configurations written before this option existed read as ``False``, so a bundle scores
        each molecule as it learned it.
    allow_inorganic_mixtures
        With ``largest_fragment``: accept an input of several fragments none of which is
        organic: none holds a carbon atom (``[Na+].[Cl-]``, ``[Cu+2].[O-]S([O-])(=O)=O``,
        hydrated salts, ``N.N.Cl[Pt]Cl``), or carbon only as one of :data:`INORGANIC_CARBON`
        (``[Li+].[Li+].[O-]C([O-])=O``, ``[K+].[C-]#N``; :func:`inorganic_kind`). Its largest
        fragment, neutralized, is then kept: sodium chloride becomes hydrogen chloride, copper
        sulfate sulfuric acid, lithium carbonate carbonic acid, cisplatin written as fragments
        ammonia, another compound than the one written. Off by default: such an input is
        refused with the reason (one connected molecule, ``N[Pt](N)(Cl)Cl`` or CO2, is still
        accepted, also with water of crystallization: ``N[Pt](N)(Cl)Cl.O`` is cisplatin). :data:`DATASET_STANDARDIZER` keeps them (43 molecules of the panel's
        datasets are such mixtures), so training molecules and splits do not change.
        Configurations written before this option existed read as ``False`` too: the option
        only refuses inputs and changes how no accepted molecule is standardized, so a bundle
        scores every molecule it still accepts exactly as before.
    """

    largest_fragment: bool = True
    strip_counterions: bool = True
    neutralize: bool = True
    normalize: bool = False
    canonical_tautomer: bool = False
    max_heavy_atoms: int = 250
    allow_dummy_atoms: bool = False
    remove_isotopes: bool = True
    allow_radicals: bool = False
    allow_extreme_charges: bool = False
    allow_inorganic_mixtures: bool = False
    inner_salts: bool = True
    reperceive_aromaticity: bool = True
    hypervalent_oxides: bool = True
    imidates_as_amides: bool = True
    ranked_inner_salts: bool = True
    counterion_list: int = COUNTERION_LIST_VERSION
    keep_metal_anions: bool = True
    _chooser: Any = field(default=None, init=False, repr=False, compare=False)
    _uncharger: Any = field(default=None, init=False, repr=False, compare=False)
    _tautomers: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        counterion_list(self.counterion_list)  # ValueError for an unknown version

    def to_config(self) -> dict[str, Any]:
        """The policy's parameters, for a model bundle's ``config.json``."""
        # not asdict(): it deep-copies the cached (unpicklable) RDKit helpers once they exist
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Standardizer:
        """Rebuild a policy from :meth:`to_config`'s output.

        A configuration without ``strip_counterions``, ``remove_isotopes``, ``allow_radicals``
        or ``allow_extreme_charges`` (written before the option existed, e.g. by a bundle
        trained then) keeps the behaviour it was made with (see :data:`_BEFORE_OPTIONS`); one
        without ``allow_inorganic_mixtures`` refuses them, as the default does (see the
        option).
        """
        return cls(**{**_BEFORE_OPTIONS, **config})

    def __getstate__(self) -> dict[str, Any]:
        return self.to_config()

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key, value in {**_BEFORE_OPTIONS, **state}.items():
            object.__setattr__(self, key, value)
        for key in ("_chooser", "_uncharger", "_tautomers"):
            object.__setattr__(self, key, None)

    # RDKit helpers are built lazily (they are not picklable) and cached on the instance.
    def _get(self, attr: str, factory: Any) -> Any:
        obj = getattr(self, attr)
        if obj is None:
            obj = factory()
            object.__setattr__(self, attr, obj)
        return obj

    def __call__(self, mol: Chem.Mol) -> tuple[Chem.Mol | None, str]:
        """Standardize ``mol``; return ``(mol, "")`` or ``(None, reason)``."""
        suspect = bool(mol.GetAtomsMatchingQuery(_SUSPECT))  # standardizing adds none of these
        try:
            with rdBase.CaptureErrorLog() as log:
                if suspect and self.remove_isotopes and mol.GetAtomsMatchingQuery(_ISOTOPE):
                    mol = _isotope_parent(mol)
                if self.normalize:
                    mol = rdMolStandardize.Cleanup(mol)
                if self.hypervalent_oxides and mol.HasSubstructMatch(_HYPERVALENT_OXIDE):
                    # before the fragments are told apart: DMSO written C[S+](C)[O-] is the listed solvent
                    mol = _oxides_as_double_bonds(mol)
                if self.largest_fragment and len(Chem.GetMolFrags(mol)) > 1:
                    if not self.allow_inorganic_mixtures and (kind := inorganic_kind(mol)):
                        # one molecule with water of crystallization is that molecule, and a
                        # complex ion with its counter-ions that complex, not a salt
                        parent = _inorganic_parent(mol)
                        if parent is None:
                            return None, self._inorganic_mixture_reason(mol, kind)
                        mol = parent
                    else:
                        mol = _largest_fragment(mol, self.strip_counterions, self.counterion_list)
                # this edit and the ranked inner salt below need a negative atom: a cheap first match
                if (self.neutralize and self.imidates_as_amides and mol.HasSubstructMatch(_NEGATIVE)
                        and mol.HasSubstructMatch(_IMIDATE)):
                    mol = _imidates_as_amides(mol)
                if self.neutralize and _may_uncharge(mol):
                    uncharger = self._get("_uncharger", lambda: rdMolStandardize.Uncharger())
                    neutral = _checked_uncharge(uncharger, mol)
                    if self.keep_metal_anions and neutral is not mol:
                        neutral = _metal_anions_kept(mol, neutral)
                    if self.reperceive_aromaticity and neutral is not mol:
                        neutral = _sanitized(neutral)
                    mol = neutral
                if (self.neutralize and self.inner_salts and self.ranked_inner_salts
                        and Chem.GetFormalCharge(mol) >= 0 and mol.HasSubstructMatch(_NEGATIVE)
                        and mol.HasSubstructMatch(_ACID_ANION)):
                    mol = _acid_anions_protonated(mol)  # then charged > 0: _inner_salt chooses the acid
                if self.neutralize and self.inner_salts and Chem.GetFormalCharge(mol) > 0:
                    mol = _inner_salt(mol)
                if self.canonical_tautomer:
                    enumerator = self._get("_tautomers", rdMolStandardize.TautomerEnumerator)
                    mol = enumerator.Canonicalize(mol)
        except Exception as exc:  # RDKit raises plain RuntimeError/ValueError on odd input
            return None, f"standardization failed: {exc}"
        if mol is None:
            return None, _clean_log(log.messages) or "standardization failed"
        if not self.allow_dummy_atoms and mol.HasSubstructMatch(_DUMMY_ATOM):
            return None, "contains dummy atoms (*): R-groups and polymer ends cannot be scored"
        if suspect and not self.allow_radicals:
            radicals = [a for a in mol.GetAtomsMatchingQuery(_RADICAL) if a.GetSymbol() in RADICAL_CHECKED]
            if radicals:
                a = radicals[0]
                metal = next((m for m in a.GetNeighbors() if m.GetAtomicNum() not in _NON_METALS), None)
                if metal is not None:
                    return None, _bound_radical_reason(a, metal)
                n = a.GetNumRadicalElectrons()
                return None, (f"radical: atom {a.GetIdx() + 1} ({a.GetSymbol()}) has {n} unpaired electron{'s' * (n > 1)}; "
                              "a bracket atom without its hydrogens ([O] for O or [OH], [CH2] for [CH3]) reads as a "
                              "radical; the training sets hold almost none")
        if suspect and not self.allow_extreme_charges and mol.HasSubstructMatch(_CHARGE_BEYOND_ONE):
            for a in mol.GetAtoms():
                limit = MAX_ABS_CHARGE.get(a.GetSymbol())
                if limit is not None and abs(a.GetFormalCharge()) > limit:
                    return None, (f"unsupported charge: atom {a.GetIdx() + 1} ({a.GetSymbol()}) carries "
                                  f"{a.GetFormalCharge():+d}; models score {a.GetSymbol()} charged at most "
                                  f"{limit} either way")
        heavy = mol.GetNumHeavyAtoms()
        if heavy > self.max_heavy_atoms:
            return None, f"too large: {heavy} heavy atoms (limit {self.max_heavy_atoms})"
        if heavy == 0:
            return None, "no heavy atoms"
        return mol, ""

    def _inorganic_mixture_reason(self, mol: Chem.Mol, kind: str) -> str:
        """Why ``mol`` (several fragments, none organic: :func:`inorganic_kind` says ``kind``) is
        refused, naming what it would have been scored as."""
        n = len(Chem.GetMolFrags(mol))
        instead = _largest_fragment(mol, self.strip_counterions, self.counterion_list)
        if self.neutralize and _may_uncharge(instead):
            instead = _checked_uncharge(self._get("_uncharger", lambda: rdMolStandardize.Uncharger()), instead)
        which = "holds carbon" if kind == "no carbon atom" else f"is organic ({kind})"
        if any(_is_metal_bond(b) for b in instead.GetBonds()):
            # a complex ion with counter-ions other than water and simple ions (_inorganic_parent)
            return (f"inorganic salt or mixture: none of its {n} fragments {which}, so it has no organic "
                    f"parent to score; its largest fragment, the metal complex {Chem.MolToSmiles(instead)}, is "
                    "scored (outside the domain) when given alone or with only water and metal or halide ions")
        hint = ""
        if any(a.GetSymbol() in _COMPLEX_METALS for a in mol.GetAtoms()):
            hint = "; a metal complex written as separate ions is scored once its bonds to the metal are written, e.g. N[Pt](N)(Cl)Cl"
        return (f"inorganic salt or mixture: none of its {n} fragments {which}, so it has no organic "
                f"parent to score (keeping the largest fragment would score {Chem.MolToSmiles(instead)} "
                f"instead, another compound){hint}")


def _bound_radical_reason(atom: Chem.Atom, metal: Chem.Atom) -> str:
    """Why a molecule is refused whose radical ``atom`` is bonded to ``metal``.

    In HIV's metal complexes (``N[Co-4](N)(N)([I-])([I-])[I-]``, ``[I-][Pd-2]...``) a halide
    ligand is written as an ion and bonded to the metal too; RDKit counts both the charge and the
    bond, which leaves the halogen an unpaired electron no chemist meant (neutralizing it then
    gives ``[IH]``). The molecule is not a radical: it is written in a way the standardizer
    cannot turn into one it can score.
    """
    sym, m = atom.GetSymbol(), metal.GetSymbol()
    where = f"atom {atom.GetIdx() + 1} ({sym}) bonded to {m}"
    if sym in ("F", "Cl", "Br", "I"):
        return (f"metal complex the standardizer cannot handle: {where} reads as a radical, as a halide written "
                f"as an ion ([{sym}-]) and bonded to the metal too does; write the bond with a neutral {sym} "
                f"({sym}[{m}]) or the ion as a separate fragment without the bond")
    return (f"metal complex the standardizer cannot handle: {where} has an unpaired electron; write its bond "
            f"order to the metal (=) or its hydrogens")


#: What a configuration written before an option existed means (:meth:`Standardizer.from_config`).
_BEFORE_OPTIONS: dict[str, Any] = {
    "strip_counterions": False, "remove_isotopes": False, "allow_radicals": True, "allow_extreme_charges": True,
    "allow_inorganic_mixtures": False, "inner_salts": False, "reperceive_aromaticity": False, "hypervalent_oxides": False,
    "imidates_as_amides": False, "ranked_inner_salts": False, "counterion_list": 1, "keep_metal_anions": False,
}

#: An oxide anion on a sulfur, selenium, phosphorus or arsenic cation: the charge-separated
#: writing of S=O, Se=O, P=O or As=O (``Standardizer.hypervalent_oxides``).
_HYPERVALENT_OXIDE = Chem.MolFromSmarts("[#15,#16,#33,#34;+1,+2]-[#8;-1;X1]")


def _oxides_as_double_bonds(mol: Chem.Mol) -> Chem.Mol:
    """``mol`` with each :data:`_HYPERVALENT_OXIDE` written as a neutral double bond
    (``C[S+](C)[O-]`` -> ``CS(C)=O``, ``[S+2]([O-])[O-]`` -> ``S(=O)=O``); the atoms and their
    bond order are not moved, so stereo tags stay valid. ``mol`` itself when the result cannot
    be sanitized."""
    rw = Chem.RWMol(mol)
    for center, oxygen in mol.GetSubstructMatches(_HYPERVALENT_OXIDE):
        atom = rw.GetAtomWithIdx(center)
        if atom.GetFormalCharge() <= 0:  # [S+]([O-])[O-]: one oxide takes the charge
            continue
        atom.SetFormalCharge(atom.GetFormalCharge() - 1)
        rw.GetAtomWithIdx(oxygen).SetFormalCharge(0)
        rw.GetBondBetweenAtoms(center, oxygen).SetBondType(Chem.BondType.DOUBLE)
    return _sanitized(rw.GetMol(), fallback=mol)  # AtomValenceException, ...: keep it as written


#: An imidate anion: an oxide on a non-aromatic carbon double-bonded to a neutral nitrogen
#: (``Standardizer.imidates_as_amides``).
_IMIDATE = Chem.MolFromSmarts("[#8X1-]-[#6X3;!a]=[#7;!a;+0]")


def _imidates_as_amides(mol: Chem.Mol) -> Chem.Mol:
    """``mol`` with each :data:`_IMIDATE` written as the neutral amide: ``[O-]C=N`` becomes
    ``O=C-[NH]`` (the proton on the nitrogen). ``mol`` itself when the result cannot be
    sanitized."""
    rw = Chem.RWMol(mol)
    for oxygen, carbon, nitrogen in mol.GetSubstructMatches(_IMIDATE):
        imine = rw.GetBondBetweenAtoms(carbon, nitrogen)
        if imine.GetBondType() != Chem.BondType.DOUBLE:  # [O-]C(=N)[O-]: the carbon's first oxide took it
            continue
        rw.GetAtomWithIdx(oxygen).SetFormalCharge(0)
        rw.GetBondBetweenAtoms(carbon, oxygen).SetBondType(Chem.BondType.DOUBLE)
        imine.SetBondType(Chem.BondType.SINGLE)
        imine.SetStereo(Chem.BondStereo.STEREONONE)
        atom = rw.GetAtomWithIdx(nitrogen)
        if atom.GetNoImplicit():  # a bracket atom: its hydrogens are explicit
            atom.SetNumExplicitHs(atom.GetNumExplicitHs() + 1)
    return _sanitized(rw.GetMol(), fallback=mol)


def _isotope_parent(mol: Chem.Mol) -> Chem.Mol:
    """``mol`` with every isotope label removed; deuterium and tritium atoms become ordinary
    hydrogens and are folded back into their heavy atoms."""
    rw = Chem.RWMol(mol)
    for atom in rw.GetAtomsMatchingQuery(_ISOTOPE):
        atom.SetIsotope(0)
    out = rw.GetMol()
    if not out.HasSubstructMatch(_HYDROGEN_ATOM):
        return out
    params = Chem.RemoveHsParameters()
    params.removeDefiningBondStereo = True  # [2H]/C=C/C: the H would stay as a graph node
    with rdBase.BlockLogs():  # "not removing hydrogen atom without neighbors" ([2H] alone) on stderr
        return Chem.RemoveHs(out, params, sanitize=True)


#: Acid O-H groups, most acidic first: sulfonic (and sulfuric) and phosphorus acids, then
#: carboxylic acids.
_ACID_OH = (
    Chem.MolFromSmarts("[OX2H1][$([SX4](=O)=O),$([PX4]=O)]"),
    Chem.MolFromSmarts("[OX2H1][CX3]=O"),
)


#: A deprotonated acid group of :data:`_ACID_OH` (``Standardizer.ranked_inner_salts``).
_ACID_ANION = Chem.MolFromSmarts("[OX1-;$(*[$([SX4](=O)=O),$([PX4]=O),$([CX3]=O)])]")


def _acid_anions_protonated(mol: Chem.Mol) -> Chem.Mol:
    """``mol`` with every :data:`_ACID_ANION` given its proton back (``mol`` itself when the
    result cannot be sanitized)."""
    rw = Chem.RWMol(mol)
    for (idx,) in mol.GetSubstructMatches(_ACID_ANION):
        atom = rw.GetAtomWithIdx(idx)
        atom.SetFormalCharge(0)
        atom.SetNumExplicitHs(1)
        atom.SetNoImplicit(True)
    return _sanitized(rw.GetMol(), fallback=mol)


def _inner_salt(mol: Chem.Mol) -> Chem.Mol:
    """``mol`` (net charge > 0 after neutralization) with protons taken from its acid groups
    until it is neutral or none is left (see ``Standardizer.inner_salts``); ``mol`` itself
    when it has no acid group, or when the result would not sanitize."""
    charge = Chem.GetFormalCharge(mol)
    groups = [{m[0] for m in mol.GetSubstructMatches(query)} for query in _ACID_OH]
    if not any(groups):
        return mol
    ranks = list(Chem.CanonicalRankAtoms(mol, breakTies=True))
    chosen: list[int] = []
    for found in groups:  # the stronger acids first, each class in canonical order
        group = sorted(found - set(chosen), key=ranks.__getitem__)
        chosen.extend(group[: charge - len(chosen)])
        if len(chosen) == charge:
            break
    rw = Chem.RWMol(mol)
    for idx in chosen:
        atom = rw.GetAtomWithIdx(idx)
        atom.SetFormalCharge(-1)
        atom.SetNumExplicitHs(0)
        atom.SetNoImplicit(True)
    return _sanitized(rw.GetMol(), fallback=mol)  # a failure was never seen; keep the molecule as it was


def _sanitized(mol: Chem.Mol, fallback: Chem.Mol | None = None) -> Chem.Mol:
    """``mol`` sanitized again (aromaticity perceived anew), as reading its SMILES back would;
    ``fallback`` (default ``mol`` itself) when that fails (``Standardizer.reperceive_aromaticity``,
    and the edits of :func:`_inner_salt` and :func:`_oxides_as_double_bonds`)."""
    out = Chem.Mol(mol)
    try:
        Chem.SanitizeMol(out)
    except Exception:  # KekulizeException, AtomValenceException, ...: keep it as it was
        return mol if fallback is None else fallback
    return out


def _checked_uncharge(uncharger: Any, mol: Chem.Mol) -> Chem.Mol:
    """``uncharger.uncharge(mol)``, made readable again where RDKit's Uncharger leaves it unreadable.

    The Uncharger adds a hydrogen to an aromatic carbanion without perceiving aromaticity
    again: cyclopentadienide (``c1cc[cH-]c1``, the ligand of ferrocene) became ``c1cccc1``,
    which no SMILES reader accepts. Only when the neutral form's SMILES cannot be read back is
    it sanitized (cyclopentadiene, ``C1=CCC=C1``); if that fails too, the molecule keeps its
    charge. Readable forms are returned unchanged, so other molecules' SMILES do not move; only
    molecules with an aromatic or hydride anion are checked (the cases seen to break, 10 of
    72,574 dataset and library molecules), which keeps the check off the common path.
    """
    neutral = uncharger.uncharge(mol)
    if not mol.HasSubstructMatch(_AROMATIC_OR_HYDRIDE_ANION):  # the only cases seen to break
        return neutral
    if Chem.MolFromSmiles(Chem.MolToSmiles(neutral)) is not None:
        return neutral
    fixed = Chem.Mol(neutral)
    try:
        Chem.SanitizeMol(fixed)
    except Exception:  # KekulizeException, AtomValenceException, ...
        return mol
    return fixed if Chem.MolFromSmiles(Chem.MolToSmiles(fixed)) is not None else mol


_NEGATIVE_ATOM = rdqueries.FormalChargeLessQueryAtom(0)


def _metal_anions_kept(before: Chem.Mol, after: Chem.Mol) -> Chem.Mol:
    """``after`` (``before`` as RDKit's Uncharger left it, atoms in the same order) with every
    negatively charged metal atom of ``before`` given back its charge and hydrogen count
    (``Standardizer.keep_metal_anions``): the Uncharger neutralized ``N#C[Au-]C#N`` as
    ``N#[C][AuH][C]#N``. ``after`` itself when no metal atom was changed, or when the result
    cannot be sanitized."""
    changed = [a.GetIdx() for a in before.GetAtomsMatchingQuery(_NEGATIVE_ATOM)
               if a.GetAtomicNum() not in _NON_METALS
               and after.GetAtomWithIdx(a.GetIdx()).GetFormalCharge() != a.GetFormalCharge()]
    if not changed or before.GetNumAtoms() != after.GetNumAtoms():
        return after
    rw = Chem.RWMol(after)
    for idx in changed:
        old, atom = before.GetAtomWithIdx(idx), rw.GetAtomWithIdx(idx)
        atom.SetFormalCharge(old.GetFormalCharge())
        atom.SetNumExplicitHs(old.GetNumExplicitHs())
        atom.SetNoImplicit(old.GetNoImplicit())
    return _sanitized(rw.GetMol(), fallback=after)


def _largest_fragment(mol: Chem.Mol, strip_counterions: bool = False, counterions: int = 1) -> Chem.Mol:
    """The fragment RDKit's ``LargestFragmentChooser(preferOrganic=True)`` picks, ~20x faster.

    Organic fragments (with a carbon atom) first; then most atoms counting hydrogens, then
    highest molecular weight, then the alphabetically first canonical SMILES. Checked to give the same
    canonical SMILES as RDKit's chooser on 62k MoleculeNet molecules. With ``strip_counterions``
    the counter-ions and solvents of version ``counterions`` of the list are dropped first
    (:func:`~drugscreen.featurizers.counterions.drop_counterions`).
    """
    frags = Chem.GetMolFrags(mol, asMols=True)
    if strip_counterions:
        frags = tuple(drop_counterions(frags, counterions))
    organic = [f for f in frags if f.HasSubstructMatch(_CARBON)]
    pool = organic or list(frags)
    if len(pool) == 1:
        return pool[0]
    from rdkit.Chem import rdMolDescriptors

    def key(frag: Chem.Mol) -> tuple[int, float]:
        return (rdMolDescriptors.CalcNumAtoms(frag), round(rdMolDescriptors._CalcMolWt(frag), 4))

    keys = [key(f) for f in pool]
    best = max(keys)
    tied = [f for f, k in zip(pool, keys, strict=True) if k == best]
    if len(tied) == 1:
        return tied[0]
    return min(tied, key=Chem.MolToSmiles)


DEFAULT_STANDARDIZER = Standardizer()

#: The policy training and benchmark datasets are loaded with: the default, except that the few
#: radicals and unusually charged molecules curated datasets hold on purpose (TEMPOL and 4-oxo-
#: TEMPO in Tox21, nitric oxide in ClinTox and SIDER, 20 molecules across the panel's files) and
#: their inorganic salts and mixtures (43: potassium iodide in Tox21, barium sulfate in SIDER,
#: cobalt ammines in HIV) are kept as before, so every model and every peer tool sees the
#: molecules and deterministic splits the literature counts. A screened file is held to the
#: default: there a radical is almost always a typing slip, and an inorganic salt would be
#: scored as another compound.
DATASET_STANDARDIZER = replace(
    DEFAULT_STANDARDIZER, allow_radicals=True, allow_extreme_charges=True, allow_inorganic_mixtures=True
)


def prepare_molecule(smiles: str, standardizer: Standardizer | None = DEFAULT_STANDARDIZER) -> ParsedMolecule:
    """Parse and standardize one SMILES.

    Parameters
    ----------
    smiles
        The input text.
    standardizer
        The policy to apply; ``None`` parses only (no standardization, no size checks).

    Returns
    -------
    ParsedMolecule
        Never raises for bad chemistry: check ``.valid`` and ``.error``.
    """
    mol, error = parse_smiles(smiles)
    if mol is not None and standardizer is not None:
        mol, error = standardizer(mol)
    if mol is None:
        return ParsedMolecule(smiles if isinstance(smiles, str) else str(smiles), None, "", error)
    return ParsedMolecule(smiles, mol, None, "")  # canonical SMILES written on first access


def prepare_molecules(
    smiles: Sequence[str] | Iterable[str],
    standardizer: Standardizer | None = DEFAULT_STANDARDIZER,
) -> list[ParsedMolecule]:
    """Parse and standardize many SMILES, one result per input, in input order."""
    return [prepare_molecule(s, standardizer) for s in smiles]
