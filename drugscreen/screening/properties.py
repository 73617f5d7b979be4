"""Structural alerts and drug-likeness, computed fast enough for screening.

Alerts come from RDKit's :class:`~rdkit.Chem.FilterCatalog.FilterCatalog` (PAINS A/B/C and
Brenk). Calling ``FilterCatalog.GetMatches`` for PAINS costs ~1.2 ms per molecule, most of it
spent trying 480 SMARTS that cannot match. :class:`AlertScreen` therefore prescreens with
RDKit *pattern fingerprints*: a query can only match a molecule whose pattern fingerprint
holds every bit of the query's, so each molecule's fingerprint (computed once, shared with
the QED alert count below) is compared with all query fingerprints at once in numpy, and only
the surviving catalog entries are asked ``HasFilterMatch``. The entries are RDKit's own, so
the answer is exactly the catalog's (checked in the tests); only the prescreen uses the PAINS
SMARTS shipped with RDKit (``RDConfig.RDDataDir/Pains/wehi_pains.csv``). Brenk is prescreened
the same way, its query molecules read back from the catalog entries' own serialization.

Drug-likeness follows :func:`rdkit.Chem.QED.properties` but computes each property once and
reuses it: MW, cLogP (Crippen), TPSA, HBD, HBA, rotatable bonds feed both QED and the output
columns, and QED's own 116 unwanted-group alerts use the same pattern-fingerprint prescreen;
82 of them are Brenk entries with the same SMARTS, whose Brenk match is reused.
The QED value equals ``rdkit.Chem.QED.qed`` (checked in the tests).

Output columns (:data:`PROPERTY_COLUMNS`): ``alerts_pains``, ``alerts_brenk`` (names joined
with ``;``, ``""`` when none), ``qed``, ``mw`` (average molecular weight, g/mol), ``clogp``
(Crippen), ``tpsa`` (Å²), ``hbd``, ``hba`` (Lipinski-style donors/acceptors from
``rdMolDescriptors.CalcNumLipinskiHBD/HBA``: NH/OH and N/O counts), ``rotatable_bonds``
(RDKit's strict definition, as in QED), ``lipinski_violations`` (MW > 500,
cLogP > 5, HBD > 5, HBA > 10), ``permanent_charges`` (atoms carrying a positive charge no
proton can leave once the molecule is standardized: the N of a quaternary ammonium such as
methylnaltrexone or of an N-alkylpyridinium, a sulfonium S, a phosphonium P; the N of nitro
groups and N-oxides, whose charge is balanced by the O- next to it, is not counted). A molecule
an RDKit descriptor refuses gets NaN in every numeric column but ``permanent_charges`` (its
alerts are still matched).
"""

from __future__ import annotations

import csv
import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from rdkit import Chem, DataStructs, RDConfig, rdBase
from rdkit.Chem import QED, Crippen, rdMolDescriptors
from rdkit.Chem import FilterCatalog as FC

__all__ = [
    "ALERT_COLUMNS",
    "NUMERIC_PROPERTY_COLUMNS",
    "PROPERTY_COLUMNS",
    "AlertScreen",
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
)
PROPERTY_COLUMNS = ALERT_COLUMNS + NUMERIC_PROPERTY_COLUMNS
logger = logging.getLogger(__name__)

_FP_SIZE = 2048
_FP_WORDS = _FP_SIZE // 64


def _pattern_bits(mol: Chem.Mol) -> np.ndarray:
    """A molecule's (or query's) pattern fingerprint as ``_FP_WORDS`` uint64 words."""
    fp = Chem.PatternFingerprint(mol, fpSize=_FP_SIZE)
    return np.frombuffer(DataStructs.BitVectToBinaryText(fp), dtype=np.uint64).copy()


def _candidates(mol_fps: np.ndarray, query_fps: np.ndarray) -> np.ndarray:
    """Boolean (n_mols, n_queries): the query's bits are all set in the molecule's."""
    out = np.ones((mol_fps.shape[0], query_fps.shape[0]), dtype=bool)
    for w in range(query_fps.shape[1]):
        q = query_fps[:, w]
        if not q.any():
            continue
        out &= (mol_fps[:, w : w + 1] & q[None, :]) == q[None, :]
    return out


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


def _entry_query_bits(entry: Any) -> np.ndarray:
    """Pattern fingerprint of a catalog entry's query, for the prescreen.

    When the entry is not one query molecule (a compound matcher), an all-zero fingerprint
    is returned: every molecule is then a candidate, so nothing is ever missed.
    """
    query, _ = _entry_query(entry)
    if query is None:
        return np.zeros(_FP_WORDS, dtype=np.uint64)
    return _pattern_bits(query)


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
        smarts = self._pains_smarts()
        fps = []
        for name in self._pains_names:
            query = Chem.MolFromSmarts(smarts[name]) if name in smarts else None
            if query is None:  # no prescreen possible: every molecule is a candidate
                fps.append(np.zeros(_FP_WORDS, dtype=np.uint64))
                continue
            fps.append(_pattern_bits(Chem.MergeQueryHs(query)))
        self._pains_fps = np.stack(fps)
        self._brenk_entries = [self.brenk.GetEntryWithIdx(i) for i in range(self.brenk.GetNumEntries())]
        self._brenk_names = [e.GetDescription() for e in self._brenk_entries]
        self._brenk_fps = np.stack([_entry_query_bits(e) for e in self._brenk_entries])
        self._qed_alerts = list(QED.StructuralAlerts)
        self._qed_fps = np.stack([_pattern_bits(q) for q in self._qed_alerts])
        self._qed_acceptors = list(QED.Acceptors)
        # 82 of QED's 116 unwanted groups are Brenk entries with the same SMARTS (both come from
        # Brenk et al. 2008): for those, QED's count reuses the Brenk match instead of matching again
        plain_brenk: dict[str, int] = {}
        for k, entry in enumerate(self._brenk_entries):
            query, plain = _entry_query(entry)
            if query is not None and plain:
                plain_brenk.setdefault(Chem.MolToSmarts(query), k)
        self._qed_brenk = np.array([plain_brenk.get(Chem.MolToSmarts(q), -1) for q in self._qed_alerts], dtype=np.int64)

    @staticmethod
    def _pains_smarts() -> dict[str, str]:
        path = f"{RDConfig.RDDataDir}/Pains/wehi_pains.csv"
        out: dict[str, str] = {}
        try:
            with open(path, encoding="utf-8") as fh:
                for row in csv.reader(fh):
                    if len(row) >= 2:
                        out[row[1].replace("<regId=", "").rstrip(">")] = row[0]
        except OSError:  # no prescreen data: fall back to trying every entry
            return {}
        return out

    def fingerprints(self, mols: list[Chem.Mol]) -> np.ndarray:
        """Pattern fingerprints of ``mols`` as an (n, words) uint64 array."""
        if not mols:
            return np.zeros((0, _FP_WORDS), dtype=np.uint64)
        return np.stack([_pattern_bits(m) for m in mols])

    def pains_matches(self, mols: list[Chem.Mol], fps: np.ndarray) -> list[str]:
        """PAINS names per molecule, joined with ``;`` (exactly the catalog's matches)."""
        rows, cols = np.nonzero(_candidates(fps, self._pains_fps))  # by molecule, entries in catalog order
        entries, names = self._pains_entries, self._pains_names
        found: list[list[str]] = [[] for _ in mols]
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
            if entries[j].HasFilterMatch(mols[i]):
                found[i].append(names[j])
        return [";".join(f) for f in found]

    def brenk_hits(self, mols: list[Chem.Mol], fps: np.ndarray | None = None) -> np.ndarray:
        """Which Brenk entries each molecule matches: boolean ``(n, n_entries)``."""
        if fps is None:
            fps = self.fingerprints(mols)
        cand = _candidates(fps, self._brenk_fps)
        rows, cols = np.nonzero(cand)
        entries = self._brenk_entries
        cand[rows, cols] = [entries[j].HasFilterMatch(mols[i]) for i, j in zip(rows.tolist(), cols.tolist(), strict=True)]
        return cand

    def brenk_names(self, hits: np.ndarray) -> list[str]:
        """Brenk names per molecule from :meth:`brenk_hits`, joined with ``;``."""
        return [";".join(dict.fromkeys(self._brenk_names[j] for j in np.flatnonzero(row))) for row in hits]

    def brenk_matches(self, mols: list[Chem.Mol], fps: np.ndarray | None = None) -> list[str]:
        """Brenk names per molecule, joined with ``;`` (exactly the catalog's matches)."""
        return self.brenk_names(self.brenk_hits(mols, fps))

    def qed_alert_counts(self, mols: list[Chem.Mol], fps: np.ndarray, brenk_hits: np.ndarray | None = None) -> np.ndarray:
        """QED's count of unwanted groups (``QEDproperties.ALERTS``) per molecule.

        With ``brenk_hits`` (:meth:`brenk_hits` of the same molecules), the groups that are
        Brenk entries with the same SMARTS are read from it instead of being matched again.
        """
        cand = _candidates(fps, self._qed_fps)
        if brenk_hits is not None:
            shared = self._qed_brenk >= 0
            cand[:, shared] = False
            counts = brenk_hits[:, self._qed_brenk[shared]].sum(axis=1, dtype=np.int64)
        else:
            counts = np.zeros(len(mols), dtype=np.int64)
        rows, cols = np.nonzero(cand)
        alerts = self._qed_alerts
        hit = [mols[i].HasSubstructMatch(alerts[j]) for i, j in zip(rows.tolist(), cols.tolist(), strict=True)]
        counts += np.bincount(rows[np.array(hit, dtype=bool)], minlength=len(mols))
        return counts

    def qed_acceptors(self, mol: Chem.Mol) -> int:
        """QED's acceptor count (its own SMARTS, not Lipinski's; a pattern absent gives 0 matches)."""
        return sum(len(mol.GetSubstructMatches(p)) for p in self._qed_acceptors)


_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _build_alert_screen() -> AlertScreen:
    return AlertScreen()


def get_alert_screen() -> AlertScreen:
    """The process-wide :class:`AlertScreen` (built on first use, ~50 ms)."""
    with _LOCK:
        return _build_alert_screen()


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
    qed_hba: int
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
        qed_hba=screen.qed_acceptors(mol),
        qed_hbd=rdMolDescriptors.CalcNumHBD(mol),
        arom=len(Chem.GetSSSR(Chem.DeleteSubstructs(mol, _ALIPHATIC_RINGS))),  # a new molecule: mol is untouched
    )


_NAN_PROPS = _Props(*([float("nan")] * 9))  # type: ignore[arg-type]

#: A positively charged N, P, S, As, Se or O without hydrogen and with no negatively charged
#: neighbour: a permanent cation (quaternary ammonium, pyridinium, sulfonium, phosphonium), not a
#: protonated base (which carries H and which the standardizer neutralizes anyway) nor the
#: charge-separated writing of a neutral group (nitro, N-oxide, azide, diazo, nitrone, isocyanide).
_PERMANENT_CATION = Chem.MolFromSmarts("[#7,#8,#15,#16,#33,#34;+;H0;!$(*~[-])]")


def _permanent_charges(mol: Chem.Mol) -> float:
    return float(len(mol.GetSubstructMatches(_PERMANENT_CATION, uniquify=True, maxMatches=1000)))


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
    out["alerts_pains"] = screen.pains_matches(mols, fps)
    brenk = screen.brenk_hits(mols, fps)
    out["alerts_brenk"] = screen.brenk_names(brenk)
    alerts = screen.qed_alert_counts(mols, fps, brenk)
    props = [_safe_props(m, screen) for m in mols]
    qed = np.empty(n)
    for i, p in enumerate(props):
        if p is _NAN_PROPS:
            qed[i] = np.nan
            continue
        qp = QED.QEDproperties(
            MW=p.mw, ALOGP=p.clogp, HBA=p.qed_hba, HBD=p.qed_hbd, PSA=p.tpsa, ROTB=p.rotb, AROM=p.arom, ALERTS=int(alerts[i])
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
    out["permanent_charges"] = np.array([_permanent_charges(m) for m in mols], dtype=float)
    return out
