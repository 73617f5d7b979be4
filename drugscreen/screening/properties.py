"""Structural alerts and drug-likeness, computed fast enough for screening.

Alerts come from RDKit's :class:`~rdkit.Chem.FilterCatalog.FilterCatalog` (PAINS A/B/C and
Brenk). Calling ``FilterCatalog.GetMatches`` for PAINS costs ~1.2 ms per molecule, most of it
spent trying 480 SMARTS that cannot match. :class:`AlertScreen` therefore asks
``HasFilterMatch`` only of the (molecule, entry) pairs that pass two exact prescreens, each a
necessary condition for a match, on the entries' query molecules read back from their own
serialization:

1. RDKit *pattern fingerprints*: a query can only match a molecule whose pattern fingerprint
   holds every bit of the query's. Each molecule's fingerprint is computed once (shared with
   the QED alert count below) and compared with all query fingerprints at once in numpy. A
   query's fingerprint is taken with its atoms confined to one element written as bare element
   tests (a query the fingerprint sees more of; whatever the query matches, it matches too),
   which leaves a third of the PAINS candidates.
2. Atom counts: a match maps the query's atoms to distinct atoms of the molecule, so a query
   with k atoms that can only be, say, aromatic N cannot match a molecule with fewer than k
   of them. The classes (element, aromaticity, formal charge) a query atom can match are read
   from its query tree; a test this reading does not follow counts as "any atom".

The entries are RDKit's own, so the answer is exactly the catalog's (checked in the tests on
every pair, not only the candidates), with one exception: PAINS ``azo_A(324)``, whose SMARTS
``[#7;!R]=[#7]`` is meant for azo groups, is not reported where it matches only azides
(``N=[N+]=[N-]``; zidovudine, click-chemistry building blocks); Brenk's ``Azido_group`` is.

Drug-likeness follows :func:`rdkit.Chem.QED.properties` but computes each property once and
reuses it: MW, cLogP (Crippen), TPSA, HBD, HBA, rotatable bonds feed both QED and the output
columns, and QED's own 116 unwanted-group alerts use the same two prescreens (its 11 acceptor
patterns and ``permanent_charges``' pattern the atom counts); 82 of the alerts are Brenk
entries with the same SMARTS, whose Brenk match is reused.
The QED value equals ``rdkit.Chem.QED.qed`` (checked in the tests).

Output columns (:data:`PROPERTY_COLUMNS`): ``alerts_pains``, ``alerts_brenk`` (names joined
with ``;``, ``""`` when none), ``qed``, ``mw`` (average molecular weight, g/mol), ``clogp``
(Crippen), ``tpsa`` (Å²), ``hbd``, ``hba`` (Lipinski-style donors/acceptors from
``rdMolDescriptors.CalcNumLipinskiHBD/HBA``: NH/OH and N/O counts), ``rotatable_bonds``
(RDKit's strict definition, as in QED), ``lipinski_violations`` (MW > 500,
cLogP > 5, HBD > 5, HBA > 10), ``permanent_charges`` (atoms carrying a positive charge no
proton can leave once the molecule is standardized: the N of a quaternary ammonium such as
methylnaltrexone or of an N-alkylpyridinium, a sulfonium S, a phosphonium P; the N of nitro
groups and N-oxides, whose charge is balanced by the O- next to it, is not counted),
``acidic_groups`` (acidic groups mostly ionized at pH 7.4, which rarely cross the blood-brain
barrier: carboxylic acids, 1H-tetrazoles, acyl sulfonamides (sulfonylureas among them),
sulfonic and sulfuric acids, phosphonic, phosphinic and phosphoric acids, each counted once by
its acidic atom; phenols, sulfonamides and hydroxamic acids, weaker acids, are not). A
molecule an RDKit descriptor refuses gets NaN in every numeric column but ``permanent_charges``
and ``acidic_groups`` (its alerts are still matched).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from rdkit import Chem, DataStructs, rdBase
from rdkit.Chem import QED, Crippen, rdMolDescriptors
from rdkit.Chem import FilterCatalog as FC

__all__ = [
    "ALERT_COLUMNS",
    "NUMERIC_PROPERTY_COLUMNS",
    "PROPERTY_COLUMNS",
    "AlertScreen",
    "alert_names",
    "compute_properties",
    "get_alert_screen",
]

ALERT_COLUMNS = ("alerts_pains", "alerts_brenk")
NUMERIC_PROPERTY_COLUMNS = (
    "qed",
    "mw",
    "clogp",
    "tpsa",
    "hbd",
    "hba",
    "rotatable_bonds",
    "lipinski_violations",
    "permanent_charges",
    "acidic_groups",
)
PROPERTY_COLUMNS = ALERT_COLUMNS + NUMERIC_PROPERTY_COLUMNS
logger = logging.getLogger(__name__)

_FP_SIZE = 2048
_FP_WORDS = _FP_SIZE // 64


def _pattern_bits(mol: Chem.Mol) -> np.ndarray:
    """A molecule's (or query's) pattern fingerprint as ``_FP_WORDS`` uint64 words."""
    fp = Chem.PatternFingerprint(mol, fpSize=_FP_SIZE)
    return np.frombuffer(DataStructs.BitVectToBinaryText(fp), dtype=np.uint64).copy()


def _candidates(mol_fps: np.ndarray, query_fps: np.ndarray, order: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The (molecule, query) pairs where every bit of the query's fingerprint is set in the
    molecule's, as ``(rows, cols)`` index arrays ordered by molecule, then query.

    The words are tested in ``order`` (by default in turn), the first few on every pair, the
    others only on the pairs still standing. The result is the same in any order: a pair
    stands only if it passes on every word.
    """
    words = [w for w in (range(query_fps.shape[1]) if order is None else order.tolist()) if query_fps[:, w].any()]
    out = np.ones((mol_fps.shape[0], query_fps.shape[0]), dtype=bool)
    for w in words[:_FULL_WORDS]:
        q = query_fps[:, w]
        out &= (mol_fps[:, w : w + 1] & q[None, :]) == q[None, :]
    rows, cols = np.nonzero(out)
    for w in words[_FULL_WORDS:]:
        q = query_fps[cols, w]
        ok = (mol_fps[rows, w] & q) == q
        rows, cols = rows[ok], cols[ok]
    return rows, cols


_FULL_WORDS = 4  # words tested on every (molecule, query) pair before the survivors are gathered


def _word_order(query_fps: np.ndarray) -> np.ndarray:
    """The fingerprint words by how many query bits they hold, most first: the order in which
    :func:`_candidates` tests them, so that the pairs thin out early."""
    bits = np.unpackbits(query_fps.view(np.uint8), axis=1).reshape(len(query_fps), -1, 64).sum(axis=(0, 2)).tolist()
    return np.array(sorted(range(len(bits)), key=lambda w: -bits[w]), dtype=np.int64)


_PICKLED_MOL = re.compile(rb"(\d+) (\xef\xbe\xad\xde)")  # "<length> " + RDKit mol-pickle magic


_UNBOUNDED = 4294967295  # a SmartsMatcher's maxCount when it has none


def _entry_query(entry: Any) -> tuple[Chem.Mol | None, bool]:
    """A catalog entry's query molecule, read back from the entry's own serialization, and
    whether the entry is exactly "the query matches at least once" (min count 1, no max).

    ``(None, False)`` when the entry is not one pickled query molecule (a compound matcher)
    or the serialization is not understood.
    """
    try:
        data = entry.Serialize()
        hits = list(_PICKLED_MOL.finditer(data))
        if len(hits) == 1:
            length, start = int(hits[0].group(1)), hits[0].start(2)
            counts = re.match(rb" (\d+) (\d+) ", data[start + length :])
            plain = counts is not None and (int(counts.group(1)), int(counts.group(2))) == (1, _UNBOUNDED)
            return Chem.Mol(data[start : start + length]), plain
    except Exception:  # unknown serialization
        pass
    return None, False


# ---- second prescreen: how many atoms of each element a query needs ----------------------------
#
# An atom class is (atomic number 0..118, aromatic or not, formal charge -3..3 or "other"). For
# each query atom, the classes it can match are read from its query tree (``DescribeQuery``):
# atomic number, atom type (element + aromaticity), aromatic/aliphatic and formal-charge tests,
# combined by AND/OR; any other test (H count, degree, ring, recursive SMARTS...) is read as
# "any class", so the set read is never smaller than the true one. A match maps the query atoms
# to distinct atoms of the molecule, so a molecule holding fewer atoms in a set of classes than
# the query has atoms confined to it cannot match: those pairs are dropped without calling RDKit.

_CHARGES = (-3, -2, -1, 0, 1, 2, 3)  # formal charges with a class of their own; others share one
_N_CHARGE = len(_CHARGES) + 1
_N_Z = 119
_N_CLASSES = _N_Z * 2 * _N_CHARGE
# sets of classes are Python ints used as bit sets (bit k: class k)
_ANY_CLASS = (1 << _N_CLASSES) - 1
_QUERY_LINE = re.compile(r"( *)(\S+) ?(.*)")
_LEAF_VALUE = re.compile(r"(-?\d+) (=|!=) val")


def _charge_index(charge: int) -> int:
    return _CHARGES.index(charge) if charge in _CHARGES else len(_CHARGES)


def _atom_class(z: int, aromatic: bool, charge: int) -> int:
    return (z * 2 + int(aromatic)) * _N_CHARGE + _charge_index(charge)


def _class_set(zs: range | list[int], aromatic: tuple[bool, ...] = (False, True), charges: range | None = None) -> int:
    """The bit set of the classes with an atomic number in ``zs``, aromaticity in ``aromatic``
    and charge index in ``charges`` (default: all)."""
    out = 0
    for z in zs:
        for a in aromatic:
            for c in range(_N_CHARGE) if charges is None else charges:
                out |= 1 << ((z * 2 + int(a)) * _N_CHARGE + c)
    return out


_AROMATIC = _class_set(range(_N_Z), (True,))
_ALIPHATIC = _ANY_CLASS & ~_AROMATIC


def _query_tree(description: str) -> tuple[str, str, list[Any]]:
    """``Atom.DescribeQuery()`` text as a ``(name, rest, children)`` tree (children are indented)."""
    lines = [m.groups() for m in map(_QUERY_LINE.fullmatch, description.splitlines()) if m is not None]
    pos = 0

    def node() -> tuple[str, str, list[Any]]:
        nonlocal pos
        indent, name, rest = lines[pos]
        pos += 1
        children = []
        while pos < len(lines) and len(lines[pos][0]) > len(indent):
            children.append(node())
        return name, rest, children

    if not lines:
        raise ValueError("empty query description")
    return node()


def _leaf_classes(name: str, value: int) -> tuple[int, bool] | None:
    """Classes an ``= value`` leaf test can hold, and whether exactly those (None: unknown test)."""
    if name == "AtomAtomicNum" and 0 <= value < _N_Z:
        return _class_set([value]), True
    if name == "AtomType" and 0 <= value % 1000 < _N_Z and value < 2000:  # Z + 1000 if aromatic
        return _class_set([value % 1000], (value >= 1000,)), True
    if name == "AtomIsAromatic" and value == 1:
        return _AROMATIC, True
    if name == "AtomIsAliphatic" and value == 1:
        return _ALIPHATIC, True
    if name == "AtomFormalCharge":
        k = _charge_index(value)
        return _class_set(range(_N_Z), charges=range(k, k + 1)), value in _CHARGES
    return None


def _tree_classes(tree: tuple[str, str, list[Any]]) -> tuple[int, bool]:
    """A superset of the classes a query (sub)tree matches, and whether it is exactly them."""
    name, rest, children = tree
    if name in ("AtomAnd", "AtomOr") and not rest and children:
        parts = [_tree_classes(c) for c in children]
        exact = all(p[1] for p in parts)
        out = parts[0][0]
        for classes, _ in parts[1:]:
            out = out & classes if name == "AtomAnd" else out | classes
        return out, exact
    leaf = _LEAF_VALUE.fullmatch(rest)
    if children or leaf is None:
        return _ANY_CLASS, name == "AtomNull" and not rest and not children
    found = _leaf_classes(name, int(leaf.group(1)))
    if found is None:
        return _ANY_CLASS, False
    classes, exact = found
    if leaf.group(2) == "!=":
        return (_ANY_CLASS & ~classes, True) if exact else (_ANY_CLASS, False)
    return classes, exact


def _without_recursion(smarts: str) -> str:
    """``smarts`` with every recursive ``$(...)`` part cut out."""
    if "$(" not in smarts:
        return smarts
    out, i = [], 0
    while i < len(smarts):
        if smarts.startswith("$(", i):
            depth, i = 1, i + 2
            while i < len(smarts) and depth:
                depth += {"(": 1, ")": -1}.get(smarts[i], 0)
                i += 1
            continue
        out.append(smarts[i])
        i += 1
    return "".join(out)


def _query_atom_classes(atom: Chem.Atom) -> int | None:
    """The classes a query atom can match (a superset, as a bit set), or None when it may match
    any atom.

    ``DescribeQuery`` does not show a negated AND/OR node; RDKit's SMARTS writer shows every
    negation as a ``!`` (pushing it down to the tests). An atom whose SMARTS, recursive parts
    cut out, holds another number of ``!`` than its query tree has negated tests is read as
    "any class".
    """
    if not atom.HasQuery():
        return None
    try:
        return _described_classes(atom.DescribeQuery(), _without_recursion(atom.GetSmarts()).count("!"))
    except Exception:  # a query this reading does not follow: no prescreen for the atom
        return None


@lru_cache(maxsize=4096)
def _described_classes(description: str, negations: int) -> int | None:
    if description.count(" != val") + description.count(" val not in") != negations:
        return None
    classes, _ = _tree_classes(_query_tree(description))
    return None if classes == _ANY_CLASS else classes


#: Probe query atoms and molecules for :func:`_query_reading_agrees`: element, aromaticity and
#: charge tests, AND/OR, negations (also of an OR) and tests read as "any atom".
_PROBE_QUERIES = ("[#7]", "n", "[N+]", "[O-]", "[!#6]", "[C,N]", "[c,n;+0]", "[!C&!N]", "[#6;!H0]", "[S;X2]", "a",
                  "[Cl,Br,I]", "[n+;H0]", "[$(C=O)]")
_PROBE_MOLECULES = ("C[n+]1ccccc1", "O=C([O-])c1ccncc1", "CC(=O)Nc1ccc(Cl)cc1Br", "C[N+](C)(C)CCO", "c1ccsc1CSC",
                    "[O-][N+](=O)c1ccccc1I", "[NH3+]CC(=O)[O-]", "Oc1cccc2ncccc12")
#: Probes that must be read (not left as "any atom"): a format RDKit stopped writing would leave
#: every atom unread, a safe but silent loss of the prescreen.
_PROBES_READ = ("[#7]", "n", "[N+]", "[O-]", "[!#6]", "[C,N]")


def _query_reading_agrees() -> bool:
    """Whether :func:`_query_atom_classes` reads this RDKit's query descriptions soundly: on
    probe queries, every atom RDKit matches in probe molecules is in the classes read, and the
    plain probes are read at all. Checked once when the alert screen is built (a few ms)."""
    mols = [Chem.MolFromSmiles(s) for s in _PROBE_MOLECULES]
    for smarts in _PROBE_QUERIES:
        classes = _query_atom_classes(Chem.MolFromSmarts(smarts).GetAtomWithIdx(0))
        if classes is None:
            if smarts in _PROBES_READ:
                return False
            continue
        for mol in mols:
            for (i,) in mol.GetSubstructMatches(Chem.MolFromSmarts(smarts), uniquify=False):
                atom = mol.GetAtomWithIdx(i)
                if not classes >> _atom_class(atom.GetAtomicNum(), atom.GetIsAromatic(), atom.GetFormalCharge()) & 1:
                    return False
    return True


def _atom_classes(query: Chem.Mol) -> list[int | None]:
    """:func:`_query_atom_classes` of each atom of ``query``."""
    return [_query_atom_classes(atom) for atom in query.GetAtoms()]


def _query_needs(atom_classes: list[int | None]) -> list[tuple[int, int]]:
    """What a query (its :func:`_atom_classes`) needs of a molecule: ``(classes, k)`` pairs,
    "at least k atoms in classes"."""
    sets = [c for c in atom_classes if c is not None]
    return [(c, sum(1 for t in sets if t & c == t)) for c in dict.fromkeys(sets)]


def _bits(classes: int) -> np.ndarray:
    """A bit set of classes as a boolean array over the classes."""
    raw = np.frombuffer(classes.to_bytes((_N_CLASSES + 7) // 8, "little"), dtype=np.uint8)
    return np.unpackbits(raw, bitorder="little")[:_N_CLASSES].astype(bool)


_FORMULA = re.compile(r"((?:(?:\*|[A-Z][a-z]?)\d*)*)([+-]\d*)?")
_FORMULA_PART = re.compile(r"(\*|[A-Z][a-z]?)(\d*)")
_CHARGED_ATOM = Chem.MolFromSmarts("[!+0]")
_NEUTRAL_AROMATIC_HETERO = Chem.MolFromSmarts("[a;!#6;+0]")
_PERIODIC = Chem.GetPeriodicTable()


@lru_cache(maxsize=256)
def _atomic_number(symbol: str) -> int:
    return 0 if symbol == "*" else _PERIODIC.GetAtomicNumber(symbol)


def _mol_classes(mol: Chem.Mol) -> dict[int, int] | None:
    """Atoms of ``mol`` per class, or None if the counts cannot be read (no prescreen then).

    Heavy atoms per element come from the molecular formula, explicit H atoms from the atom
    counts; the few charged atoms and neutral aromatic heteroatoms are visited one by one and
    the remaining aromatic atoms are neutral aromatic carbons. The counts must add up to the
    number of atoms, else the molecule is not prescreened.
    """
    found = _FORMULA.fullmatch(rdMolDescriptors.CalcMolFormula(mol))
    if found is None:
        return None
    element: dict[int, int] = {}
    for symbol, count in _FORMULA_PART.findall(found.group(1)):
        z = _atomic_number(symbol)
        if z != 1:
            element[z] = element.get(z, 0) + (int(count) if count else 1)
    n_atoms = mol.GetNumAtoms()
    element[1] = n_atoms - mol.GetNumHeavyAtoms() - element.get(0, 0)  # H atoms in the graph
    out: dict[int, int] = {}
    aromatic_left = len(mol.GetAromaticAtoms())
    visited = []
    for (i,) in mol.GetSubstructMatches(_CHARGED_ATOM, uniquify=False, maxMatches=n_atoms):
        atom = mol.GetAtomWithIdx(i)
        visited.append((atom.GetAtomicNum(), atom.GetIsAromatic(), atom.GetFormalCharge()))
    for (i,) in mol.GetSubstructMatches(_NEUTRAL_AROMATIC_HETERO, uniquify=False, maxMatches=n_atoms):
        visited.append((mol.GetAtomWithIdx(i).GetAtomicNum(), True, 0))
    for z, aromatic, charge in visited:
        k = _atom_class(z, aromatic, charge)
        out[k] = out.get(k, 0) + 1
        element[z] = element.get(z, 0) - 1
        aromatic_left -= bool(aromatic)
    if aromatic_left:
        out[_atom_class(6, True, 0)] = aromatic_left
        element[6] = element.get(6, 0) - aromatic_left
    for z, count in element.items():
        if count < 0 or z >= _N_Z:
            return None
        if count:
            k = _atom_class(z, False, 0)
            out[k] = out.get(k, 0) + count
    return out if sum(out.values()) == n_atoms else None


class _CountScreen:
    """The element-count prescreen for several groups of queries (one per catalog).

    ``needs`` maps a group name to its queries, each as its :func:`_atom_classes` (None: no
    prescreen for that query). For each query, :meth:`keep` tests "at least k atoms in these
    classes" for every class set one of its atoms is confined to.
    """

    def __init__(self, needs: dict[str, list[list[int | None] | None]]) -> None:
        bins: dict[int, int] = {}
        bin_sets: list[np.ndarray] = []
        tables: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for group, queries in needs.items():
            rows = []
            for query in queries:
                row = []
                for classes, k in _query_needs(query) if query is not None else []:  # query: atom classes
                    if classes not in bins:
                        bins[classes] = len(bin_sets)
                        bin_sets.append(_bits(classes))
                    row.append((bins[classes], k))
                rows.append(row)
            width = max([len(r) for r in rows] + [1])
            which = np.zeros((len(rows), width), dtype=np.int64)
            least = np.zeros((len(rows), width), dtype=np.int64)
            for i, row in enumerate(rows):
                for j, (b, k) in enumerate(row):
                    which[i, j], least[i, j] = b, k
            tables[group] = (which, least)
        self._tables = tables
        member = np.stack(bin_sets, axis=1) if bin_sets else np.zeros((_N_CLASSES, 1), dtype=bool)
        # classes in the same bins are one column of the molecules' count matrix
        column: dict[bytes, int] = {}
        self._class_column = np.array([column.setdefault(row.tobytes(), len(column)) for row in member], dtype=np.int64)
        self._member = np.zeros((len(column), member.shape[1]))  # (columns, bins)
        self._member[self._class_column] = member

    def counts(self, mols: list[Chem.Mol]) -> np.ndarray:
        """Atoms of each molecule in each bin: float ``(n, bins)``; inf for a molecule whose
        classes could not be read (every one of its pairs is kept)."""
        per_column = np.zeros((len(mols), self._member.shape[0]))
        unread = []
        for i, mol in enumerate(mols):
            try:
                classes = _mol_classes(mol)
            except Exception:  # e.g. a formula symbol RDKit's periodic table does not know
                classes = None
            if classes is None:
                unread.append(i)
                continue
            for k, count in classes.items():
                per_column[i, self._class_column[k]] += count
        out = per_column @ self._member
        out[unread] = np.inf
        return out

    def keep(self, group: str, counts: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Which (molecule ``rows``, query ``cols``) pairs of ``group`` pass the count test."""
        which, least = self._tables[group]
        return (counts[rows[:, None], which[cols]] >= least[cols]).all(axis=1)


def _bare_atom(z: int) -> Chem.Atom:
    return Chem.AtomFromSmarts(f"[#{z}]")


@lru_cache(maxsize=_N_Z)
def _element(z: int) -> int:
    return _class_set([z])


def _single_element(classes: int | None) -> int | None:
    """The atomic number when every class in ``classes`` has it, else None."""
    if not classes:
        return None
    z = ((classes & -classes).bit_length() - 1) // (2 * _N_CHARGE)
    return z if classes & ~_element(z) == 0 else None


def _query_bits(query: Chem.Mol | None, atom_classes: list[int | None] | None = None) -> np.ndarray:
    """Pattern fingerprint of a query, for the prescreen.

    The fingerprint sets bits for a query atom's element only when the atom is a plain element
    test, not for e.g. ``[#6;!H0]`` or ``[O+0]``. So it is taken of a relaxed copy of the query
    where every atom confined to one element (read as in :func:`_query_atom_classes`) is a bare
    ``[#Z]``: whatever the query matches, the relaxed copy matches too, so its bits are still
    all set in any molecule the query matches, and there are more of them.

    For no query (a compound matcher), or one RDKit cannot fingerprint, an all-zero
    fingerprint is returned: every molecule is then a candidate, so nothing is ever missed.
    ``atom_classes``: the query's :func:`_atom_classes`, if already read.
    """
    if query is None:
        return np.zeros(_FP_WORDS, dtype=np.uint64)
    relaxed = Chem.RWMol(query)
    for idx, classes in enumerate(_atom_classes(query) if atom_classes is None else atom_classes):
        z = _single_element(classes)
        if z is not None:
            relaxed.ReplaceAtom(idx, _bare_atom(z))
    for candidate in (relaxed.GetMol(), query):
        try:
            return _pattern_bits(candidate)
        except Exception:  # RDKit refusing the copy: the query's own bits, else none
            continue
    return np.zeros(_FP_WORDS, dtype=np.uint64)


#: PAINS' azo class. Its SMARTS, ``[#7;!R]=[#7]``, is meant for azo compounds (diazenes, the azo
#: dyes of Baell and Holloway's screens) but also matches an azide's N=N+ bond.
AZO_A = "azo_A(324)"
_AZIDE = Chem.MolFromSmarts("[#7]=[#7+]=[#7-]")


def _azo_only_in_azides(mol: Chem.Mol, query: Chem.Mol) -> bool:
    """Whether every match of the PAINS ``azo_A`` entry's ``query`` in ``mol`` lies within an
    azide (``N=[N+]=[N-]``): zidovudine, or a click-chemistry building block, and no azo group.
    ``azo_A`` is then not reported (Brenk's ``Azido_group`` still is)."""
    azide_atoms = {a for match in mol.GetSubstructMatches(_AZIDE) for a in match}
    if not azide_atoms:
        return False
    hits = mol.GetSubstructMatches(query, uniquify=True, maxMatches=10_000)
    return bool(hits) and all(set(h) <= azide_atoms for h in hits)


def _catalog(which: Any) -> FC.FilterCatalog:
    params = FC.FilterCatalogParams()
    params.AddCatalog(which)
    return FC.FilterCatalog(params)


class AlertScreen:
    """PAINS and Brenk alerts plus QED's alert count, built once per process.

    Use :func:`get_alert_screen` for the shared, cached instance. Matching is read-only and
    safe to call from several threads.
    """

    def __init__(self) -> None:
        kinds = FC.FilterCatalogParams.FilterCatalogs
        self.pains = _catalog(kinds.PAINS)
        self.brenk = _catalog(kinds.BRENK)
        self._pains_entries = [self.pains.GetEntryWithIdx(i) for i in range(self.pains.GetNumEntries())]
        self._pains_names = [e.GetDescription() for e in self._pains_entries]
        pains_queries = [_entry_query(e) for e in self._pains_entries]
        # azo_A's query, to tell an azide's match from an azo group's (-1: not read, all reported)
        self._azo_entry = next((k for k, n in enumerate(self._pains_names) if n == AZO_A and pains_queries[k][0] is not None), -1)
        self._azo_query = pains_queries[self._azo_entry][0] if self._azo_entry >= 0 else None
        self._brenk_entries = [self.brenk.GetEntryWithIdx(i) for i in range(self.brenk.GetNumEntries())]
        self._brenk_names = [e.GetDescription() for e in self._brenk_entries]
        brenk_queries = [_entry_query(e) for e in self._brenk_entries]
        self._qed_alerts = list(QED.StructuralAlerts)
        self._qed_acceptors = list(QED.Acceptors)
        classes_of = _atom_classes
        if not _query_reading_agrees():  # another RDKit's query descriptions: no reading, no risk
            logger.warning("RDKit %s describes query atoms otherwise than drugscreen reads them: the alerts' count "
                           "prescreen is off (the same alerts, found more slowly)", rdBase.rdkitVersion)
            classes_of = lambda q: [None] * q.GetNumAtoms()  # noqa: E731
        read = {  # each query with its atoms' classes, read once for both prescreens
            "pains": [(q, classes_of(q) if q is not None else None, plain) for q, plain in pains_queries],
            "brenk": [(q, classes_of(q) if q is not None else None, plain) for q, plain in brenk_queries],
            "qed": [(q, classes_of(q), True) for q in self._qed_alerts],
            "acceptors": [(q, classes_of(q), True) for q in self._qed_acceptors],
            "permanent": [(_PERMANENT_CATION, classes_of(_PERMANENT_CATION), True)],
        }
        self._pains_fps = np.stack([_query_bits(q, c) for q, c, _ in read["pains"]])
        self._brenk_fps = np.stack([_query_bits(q, c) for q, c, _ in read["brenk"]])
        self._qed_fps = np.stack([_query_bits(q, c) for q, c, _ in read["qed"]])
        # the count prescreen reads each entry's own query, and only "matches at least once" entries
        self._count_screen = _CountScreen({g: [c if plain else None for _, c, plain in v] for g, v in read.items()})
        # 82 of QED's 116 unwanted groups are Brenk entries with the same SMARTS (both come from
        # Brenk et al. 2008): for those, QED's count reuses the Brenk match instead of matching again
        plain_brenk: dict[str, int] = {}
        for k, (query, plain) in enumerate(brenk_queries):
            if query is not None and plain:
                plain_brenk.setdefault(Chem.MolToSmarts(query), k)
        self._qed_brenk = np.array([plain_brenk.get(Chem.MolToSmarts(q), -1) for q in self._qed_alerts], dtype=np.int64)
        self._qed_own = np.flatnonzero(self._qed_brenk < 0)  # the groups matched for QED itself
        self._order = {
            "pains": _word_order(self._pains_fps),
            "brenk": _word_order(self._brenk_fps),
            "qed": _word_order(self._qed_fps),
            "qed_own": _word_order(self._qed_fps[self._qed_own]),
        }

    def fingerprints(self, mols: list[Chem.Mol]) -> np.ndarray:
        """Pattern fingerprints of ``mols`` as an (n, words) uint64 array."""
        if not mols:
            return np.zeros((0, _FP_WORDS), dtype=np.uint64)
        return np.stack([_pattern_bits(m) for m in mols])

    def atom_counts(self, mols: list[Chem.Mol]) -> np.ndarray:
        """What the element-count prescreen needs of ``mols`` (pass it to the matching methods
        to compute it once per batch)."""
        return self._count_screen.counts(mols)

    def _pairs(
        self, group: str, mols: list[Chem.Mol], fps: np.ndarray, counts: np.ndarray | None, qed_own: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """The (molecule, query) pairs of ``group`` that pass both prescreens, by molecule, then
        query; with ``qed_own``, only QED's groups that are not Brenk entries."""
        query_fps = {"pains": self._pains_fps, "brenk": self._brenk_fps, "qed": self._qed_fps}[group]
        if not qed_own:
            rows, cols = _candidates(fps, query_fps, self._order[group])
        else:
            rows, cols = _candidates(fps, query_fps[self._qed_own], self._order["qed_own"])
            cols = self._qed_own[cols]
        if counts is None:
            counts = self.atom_counts(mols)
        ok = self._count_screen.keep(group, counts, rows, cols)
        return rows[ok], cols[ok]

    def pains_matches(self, mols: list[Chem.Mol], fps: np.ndarray, counts: np.ndarray | None = None) -> list[str]:
        """PAINS names per molecule, joined with ``;``: the catalog's matches, less ``azo_A(324)``
        where each of its matches lies in an azide (:func:`_azo_only_in_azides`)."""
        rows, cols = self._pairs("pains", mols, fps, counts)  # by molecule, entries in catalog order
        entries, names = self._pains_entries, self._pains_names
        found: list[list[str]] = [[] for _ in mols]
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
            if entries[j].HasFilterMatch(mols[i]):
                if j == self._azo_entry and _azo_only_in_azides(mols[i], self._azo_query):
                    continue
                found[i].append(names[j])
        return [";".join(f) for f in found]

    def brenk_hits(self, mols: list[Chem.Mol], fps: np.ndarray | None = None, counts: np.ndarray | None = None) -> np.ndarray:
        """Which Brenk entries each molecule matches: boolean ``(n, n_entries)``."""
        if fps is None:
            fps = self.fingerprints(mols)
        rows, cols = self._pairs("brenk", mols, fps, counts)
        entries = self._brenk_entries
        hits = np.zeros((len(mols), len(entries)), dtype=bool)
        hits[rows, cols] = [entries[j].HasFilterMatch(mols[i]) for i, j in zip(rows.tolist(), cols.tolist(), strict=True)]
        return hits

    def brenk_names(self, hits: np.ndarray) -> list[str]:
        """Brenk names per molecule from :meth:`brenk_hits`, joined with ``;``."""
        return [";".join(dict.fromkeys(self._brenk_names[j] for j in np.flatnonzero(row))) for row in hits]

    def brenk_matches(self, mols: list[Chem.Mol], fps: np.ndarray | None = None) -> list[str]:
        """Brenk names per molecule, joined with ``;`` (exactly the catalog's matches)."""
        return self.brenk_names(self.brenk_hits(mols, fps))

    def qed_alert_counts(
        self, mols: list[Chem.Mol], fps: np.ndarray, brenk_hits: np.ndarray | None = None, counts: np.ndarray | None = None
    ) -> np.ndarray:
        """QED's count of unwanted groups (``QEDproperties.ALERTS``) per molecule.

        With ``brenk_hits`` (:meth:`brenk_hits` of the same molecules), the groups that are
        Brenk entries with the same SMARTS are read from it instead of being matched again.
        """
        if brenk_hits is not None:
            rows, cols = self._pairs("qed", mols, fps, counts, qed_own=True)
            shared = self._qed_brenk >= 0
            out = brenk_hits[:, self._qed_brenk[shared]].sum(axis=1, dtype=np.int64)
        else:
            rows, cols = self._pairs("qed", mols, fps, counts)
            out = np.zeros(len(mols), dtype=np.int64)
        alerts = self._qed_alerts
        hit = [mols[i].HasSubstructMatch(alerts[j]) for i, j in zip(rows.tolist(), cols.tolist(), strict=True)]
        out += np.bincount(rows[np.array(hit, dtype=bool)], minlength=len(mols))
        return out

    def qed_acceptors(self, mol: Chem.Mol) -> int:
        """QED's acceptor count (its own SMARTS, not Lipinski's; a pattern absent gives 0 matches)."""
        return sum(len(mol.GetSubstructMatches(p)) for p in self._qed_acceptors)

    def qed_acceptor_counts(self, mols: list[Chem.Mol], counts: np.ndarray | None = None) -> np.ndarray:
        """:meth:`qed_acceptors` of each molecule (float; NaN where RDKit raised), skipping the
        patterns the element-count prescreen rules out (they match 0 times)."""
        if counts is None:
            counts = self.atom_counts(mols)
        n, k = len(mols), len(self._qed_acceptors)
        rows, cols = np.divmod(np.arange(n * k), k)
        ok = self._count_screen.keep("acceptors", counts, rows, cols)
        out = np.zeros(n)
        patterns = self._qed_acceptors
        for i, j in zip(rows[ok].tolist(), cols[ok].tolist(), strict=True):
            try:
                out[i] += len(mols[i].GetSubstructMatches(patterns[j]))
            except Exception:  # as _safe_props: a molecule RDKit refuses gets NaN
                out[i] = np.nan
        return out

    def permanent_charge_counts(self, mols: list[Chem.Mol], counts: np.ndarray | None = None) -> np.ndarray:
        """The ``permanent_charges`` column (float): 0 without matching RDKit when the molecule
        holds no positively charged N, O, P, S, As or Se (the count prescreen)."""
        if counts is None:
            counts = self.atom_counts(mols)
        rows = np.arange(len(mols))
        ok = self._count_screen.keep("permanent", counts, rows, np.zeros_like(rows))
        out = np.zeros(len(mols))
        for i in np.flatnonzero(ok).tolist():
            out[i] = _permanent_charges(mols[i])
        return out


_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _build_alert_screen() -> AlertScreen:
    return AlertScreen()


def get_alert_screen() -> AlertScreen:
    """The process-wide :class:`AlertScreen` (built on first use, ~50 ms)."""
    with _LOCK:
        return _build_alert_screen()


def alert_names() -> dict[str, tuple[str, ...]]:
    """The alert names each catalog can write, ``{"PAINS": (...), "Brenk": (...)}``: the
    values of the ``alerts_pains`` and ``alerts_brenk`` columns (what a profile's
    ``exclude_alerts`` may name)."""
    screen = get_alert_screen()
    return {"PAINS": tuple(dict.fromkeys(screen._pains_names)), "Brenk": tuple(dict.fromkeys(screen._brenk_names))}


_ALIPHATIC_RINGS = QED.AliphaticRings
_ROTB_STRICT = rdMolDescriptors.NumRotatableBondsOptions.Strict


@dataclass(frozen=True, slots=True)
class _Props:
    mw: float
    clogp: float
    tpsa: float
    hbd: int
    hba: int
    rotb: int
    qed_hbd: int
    arom: int


def _mol_props(mol: Chem.Mol, screen: AlertScreen) -> _Props:
    # QED works on the H-suppressed molecule; ours already is (parsed from SMILES).
    return _Props(
        mw=rdMolDescriptors._CalcMolWt(mol),
        clogp=Crippen.MolLogP(mol),
        tpsa=rdMolDescriptors.CalcTPSA(mol),
        hbd=rdMolDescriptors.CalcNumLipinskiHBD(mol),
        hba=rdMolDescriptors.CalcNumLipinskiHBA(mol),
        rotb=rdMolDescriptors.CalcNumRotatableBonds(mol, _ROTB_STRICT),
        qed_hbd=rdMolDescriptors.CalcNumHBD(mol),
        arom=len(Chem.GetSSSR(Chem.DeleteSubstructs(mol, _ALIPHATIC_RINGS))),  # a new molecule: mol is untouched
    )


_NAN_PROPS = _Props(*([float("nan")] * 8))  # type: ignore[arg-type]

#: A positively charged N, P, S, As, Se or O without hydrogen and with no negatively charged
#: neighbour: a permanent cation (quaternary ammonium, pyridinium, sulfonium, phosphonium), not a
#: protonated base (which carries H and which the standardizer neutralizes anyway) nor the
#: charge-separated writing of a neutral group (nitro, N-oxide, azide, diazo, nitrone, isocyanide).
_PERMANENT_CATION = Chem.MolFromSmarts("[#7,#8,#15,#16,#33,#34;+;H0;!$(*~[-])]")


def _permanent_charges(mol: Chem.Mol) -> float:
    return float(len(mol.GetSubstructMatches(_PERMANENT_CATION, uniquify=True, maxMatches=1000)))


#: The acidic atom of a group mostly ionized at pH 7.4 (pKa under ~6): the C of a carboxylic
#: acid (or carboxylate), the S of a sulfonic or sulfuric acid, the P of a phosphonic,
#: phosphinic or phosphoric acid (once however many OH it has), the C of a 5-substituted 1H- or
#: 2H-tetrazole, the N of an acyl sulfonamide (N-acylsulfonamides, sulfonylureas). One match is
#: one group; standardized molecules are neutral, the anions are matched too.
_ACIDIC_GROUP = Chem.MolFromSmarts(
    "[$([CX3](=O)[OX2H1,OX1-]),"
    "$([SX4](=O)(=O)[OX2H1,OX1-]),"
    "$([PX4](=O)[OX2H1,OX1-]),"
    "$([#6]1:[#7]:[#7]:[#7]:[#7;H1,-]:1),$([#6]1:[#7]:[#7;H1,-]:[#7]:[#7]:1),"
    "$([NX3H1,NX2-]([CX3]=O)[SX4](=O)=O)]"
)


def _acidic_groups(mol: Chem.Mol) -> float:
    return float(len(mol.GetSubstructMatches(_ACIDIC_GROUP, uniquify=True, maxMatches=1000)))


def _without_hs(mol: Chem.Mol) -> Chem.Mol:
    """Drop explicit H atoms (QED's convention); keep the molecule if RDKit refuses (bridging H)."""
    if mol.GetNumHeavyAtoms() == mol.GetNumAtoms() or not any(a.GetAtomicNum() == 1 for a in mol.GetAtoms()):
        return mol  # the first test settles the usual case without a Python loop over atoms
    try:
        return Chem.RemoveHs(mol)
    except Exception:  # e.g. AtomValenceException for a bridging hydrogen in a borane
        return mol


def _safe_props(mol: Chem.Mol, screen: AlertScreen) -> _Props:
    try:
        return _mol_props(mol, screen)
    except Exception as exc:  # an RDKit descriptor refusing an exotic molecule must not stop a run
        logger.debug("drug-likeness failed for %s: %s", Chem.MolToSmiles(mol), exc)
        return _NAN_PROPS


def compute_properties(mols: list[Chem.Mol]) -> dict[str, Any]:
    """Alerts and drug-likeness for valid molecules.

    Parameters
    ----------
    mols
        Sanitized RDKit molecules without explicit hydrogens.

    Returns
    -------
    dict
        Column name -> list (alerts, ``str``) or ``numpy`` array (float64; counts are whole
        numbers), one entry per molecule, keys as :data:`PROPERTY_COLUMNS`.
    """
    with rdBase.BlockLogs():
        return _compute_properties(mols)


def _compute_properties(mols: list[Chem.Mol]) -> dict[str, Any]:
    screen = get_alert_screen()
    n = len(mols)
    out: dict[str, Any] = {}
    if n == 0:
        out.update({c: [] for c in ALERT_COLUMNS})
        out.update({c: np.zeros(0) for c in NUMERIC_PROPERTY_COLUMNS})
        return out
    mols = [_without_hs(m) for m in mols]
    fps = screen.fingerprints(mols)
    counts = screen.atom_counts(mols)
    out["alerts_pains"] = screen.pains_matches(mols, fps, counts)
    brenk = screen.brenk_hits(mols, fps, counts)
    out["alerts_brenk"] = screen.brenk_names(brenk)
    alerts = screen.qed_alert_counts(mols, fps, brenk, counts)
    acceptors = screen.qed_acceptor_counts(mols, counts)
    props = [_safe_props(m, screen) for m in mols]
    props = [_NAN_PROPS if np.isnan(a) else p for p, a in zip(props, acceptors.tolist(), strict=True)]
    qed = np.empty(n)
    for i, p in enumerate(props):
        if p is _NAN_PROPS:
            qed[i] = np.nan
            continue
        qp = QED.QEDproperties(
            MW=p.mw, ALOGP=p.clogp, HBA=int(acceptors[i]), HBD=p.qed_hbd, PSA=p.tpsa, ROTB=p.rotb, AROM=p.arom, ALERTS=int(alerts[i])
        )
        qed[i] = QED.qed(mols[i], qedProperties=qp)
    mw = np.array([p.mw for p in props])
    clogp = np.array([p.clogp for p in props])
    hbd = np.array([p.hbd for p in props], dtype=float)
    hba = np.array([p.hba for p in props], dtype=float)
    out["qed"] = qed
    out["mw"] = mw
    out["clogp"] = clogp
    out["tpsa"] = np.array([p.tpsa for p in props])
    out["hbd"] = hbd
    out["hba"] = hba
    out["rotatable_bonds"] = np.array([p.rotb for p in props], dtype=float)
    violations = ((mw > 500).astype(float) + (clogp > 5) + (hbd > 5) + (hba > 10)).astype(float)
    # a molecule whose descriptors could not be computed has no count (NaN > 500 is False: it
    # read 0 violations, and passed a profile's max_lipinski_violations filter)
    violations[np.isnan(mw) | np.isnan(clogp) | np.isnan(hbd) | np.isnan(hba)] = np.nan
    out["lipinski_violations"] = violations
    out["permanent_charges"] = screen.permanent_charge_counts(mols, counts)
    out["acidic_groups"] = _acidic_group_counts(mols)
    return out


def _acidic_group_counts(mols: list[Chem.Mol]) -> np.ndarray:
    """The ``acidic_groups`` column (float; NaN where RDKit raised)."""
    out = np.zeros(len(mols))
    for i, mol in enumerate(mols):
        try:
            out[i] = _acidic_groups(mol)
        except Exception:  # as _safe_props: a molecule RDKit refuses gets NaN
            out[i] = np.nan
    return out
