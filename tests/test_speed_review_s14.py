"""The prescreens of the structural alerts and QED, pinned to plain RDKit.

``drugscreen.screening.properties`` asks RDKit only about the (molecule, query) pairs that pass
two exact prescreens (pattern fingerprints, then atom counts per element, aromaticity and
charge read from each query). These tests compare every column with the plain computation it
stands for (``FilterCatalog.GetMatches``, ``QED.qed``, the RDKit descriptors) on a few hundred
diverse and awkward molecules, and check the count prescreen's reading of each query against
RDKit's own matching. No timings here: speed is measured by ``benchmarks/screen_speed.py``.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from rdkit import Chem, rdBase
from rdkit.Chem import QED, Crippen, rdMolDescriptors
from rdkit.Chem import FilterCatalog as FC

from drugscreen.screening import properties

#: Molecules the prescreens could get wrong: charges (on aromatic atoms too), metals and
#: salts, isotopes, explicit and bridging hydrogens, rare aromatic elements, a dummy atom,
#: huge rings, one-atom and no-carbon molecules, many copies of one alert.
TRICKY = [
    "C",
    "O",
    "[H][H]",
    "[He]",
    "[Na+].[Cl-]",
    "[Cl-].[Cl-].[Ca+2]",
    "[Fe+2]",
    "[Cu]",
    "[Hg]",
    "C[Hg]Cl",
    "O=[Os](=O)(=O)=O",
    "[O-][N+](=O)c1ccccc1",
    "C[N+](C)(C)Cc1ccccc1",
    "C[n+]1ccccc1",
    "c1cc[o+]cc1",
    "C[S+](C)C",
    "C[P+](C)(C)C",
    "[CH3-]",
    "[CH2+]C",
    "C[C-](C)C",
    "[NH4+]",
    "[O-]C(=O)CC[N+](C)(C)C",
    "OC(=O)C[N+]1(C)CCCC1",
    "[13CH4]",
    "[2H]C([2H])([2H])c1ccccc1",
    "[2H]OC",
    "c1cc[se]c1",
    "c1cc[te]c1",
    "B1=CC=C1",
    "OB(O)c1ccccc1",
    "[SiH3]c1ccccc1",
    "C[As](C)C",
    "C[Se]C",
    "CC(=O)Oc1ccccc1C(=O)O",
    "O=C1C=CC(=O)C=C1",
    "Oc1ccccc1O",
    "Nc1ccc(N=Nc2ccccc2)cc1",
    "O=C(C=Cc1ccccc1)c1ccccc1",
    "C=CC(=O)OC",
    "ClCCCl",
    "BrCC(=O)c1ccccc1",
    "C1CC1",
    "C1CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC1",
    "c1ccc2cc3ccccc3cc2c1",
    "O=C(Oc1ccccc1)Oc1ccccc1",
    "CCCCCCCCCCCCCCCCCCCCCCCC(=O)O",
    "OC(=O)CC(=O)OC(=O)CC(=O)OC(=O)C",
    "S=C=S",
    "N#N",
    "O=O",
    "*CC",
    "N=[N+]=[N-]",
    "C[N+]([O-])(C)C",
    "[O-][n+]1ccccc1",
    "Cn1cc[n+](C)c1",
    "c1ccc2[nH]ccc2c1",
    "O=c1cc[nH]cc1",
    "CC1=C(C)C(=O)C(C)=C(C)C1=O",
    "OO",
    "NN",
    "C1=CC=CC=CC=C1",
    "[Li]C",
    "C[Mg]Br",
    "[Pt](Cl)(Cl)(N)N",
    "F[B-](F)(F)F",
    "[I-].C[N+](C)(C)C",
]


BRIDGING_HYDRIDE = "CC(C)N(C(C)C)[P-]1(Br)[Mn+]2(C#[O+])(C#[O+])(C#[O+])[H-][Mn+]12(C#[O+])(C#[O+])C#[O+]"


def _mols() -> list[Chem.Mol]:
    from drugscreen.data import approved_drugs

    out = []
    with rdBase.BlockLogs():
        for smi in TRICKY:
            mol = Chem.MolFromSmiles(smi)
            assert mol is not None, smi
            out.append(mol)
        params = Chem.SmilesParserParams()
        params.removeHs = False
        for smi in ("[H]OC([H])([H])[H]", "[H]c1c([H])c([H])c([H])c([H])c1[H]", "[H][N+]([H])([H])C"):
            mol = Chem.MolFromSmiles(smi, params)
            assert mol is not None, smi
            out.append(mol)
        # a bridging hydride (RemoveHs refuses it, so its H atom stays) with charged metals
        out.append(Chem.MolFromSmiles(BRIDGING_HYDRIDE))
        out.append(Chem.AddHs(Chem.MolFromSmiles("Oc1ccc(C=CC(=O)c2ccccc2)cc1")))
        drugs = approved_drugs()["smiles"].dropna().tolist()[::9]
        out += [m for m in map(Chem.MolFromSmiles, drugs) if m is not None]
    assert len(out) > 350
    return out


@cache
def _catalogs() -> tuple[FC.FilterCatalog, FC.FilterCatalog]:
    kinds = FC.FilterCatalogParams.FilterCatalogs
    return properties._catalog(kinds.PAINS), properties._catalog(kinds.BRENK)


def _azide_azo(pains: FC.FilterCatalog, entry, mol: Chem.Mol) -> bool:
    """The one documented departure from the catalog: ``azo_A(324)`` is not reported when the
    molecule with its azides (N=[N+]=[N-]) cut out no longer matches it."""
    if entry.GetDescription() != "azo_A(324)":
        return False
    cut = Chem.DeleteSubstructs(mol, Chem.MolFromSmarts("[#7]=[#7+]=[#7-]"))
    return cut.GetNumAtoms() < mol.GetNumAtoms() and not any(e.GetDescription() == "azo_A(324)" for e in pains.GetMatches(cut))


def _nan_or(f, mol: Chem.Mol) -> float:
    try:
        return float(f(mol))
    except Exception:
        return float("nan")


def test_every_column_is_plain_rdkits() -> None:
    """Alerts equal ``FilterCatalog.GetMatches`` (names in catalog order), QED equals
    ``QED.qed`` to the last bit, and the other columns the RDKit descriptors, on awkward molecules
    and every ninth approved drug."""
    mols = _mols()
    pains, brenk = _catalogs()
    with rdBase.BlockLogs():
        got = properties.compute_properties(mols)
        plain = [properties._without_hs(m) for m in mols]  # the documented convention (QED's)
        want_pains = [";".join(e.GetDescription() for e in pains.GetMatches(m) if not _azide_azo(pains, e, m)) for m in plain]
        want_brenk = [";".join(dict.fromkeys(e.GetDescription() for e in brenk.GetMatches(m))) for m in plain]
        want_qed = np.array([_nan_or(QED.qed, m) for m in plain])
        want = {
            "mw": [_nan_or(rdMolDescriptors._CalcMolWt, m) for m in plain],
            "clogp": [_nan_or(Crippen.MolLogP, m) for m in plain],
            "tpsa": [_nan_or(rdMolDescriptors.CalcTPSA, m) for m in plain],
            "hbd": [_nan_or(rdMolDescriptors.CalcNumLipinskiHBD, m) for m in plain],
            "hba": [_nan_or(rdMolDescriptors.CalcNumLipinskiHBA, m) for m in plain],
            "permanent_charges": [len(m.GetSubstructMatches(properties._PERMANENT_CATION, maxMatches=1000)) for m in plain],
            "rotatable_bonds": [
                _nan_or(lambda m: rdMolDescriptors.CalcNumRotatableBonds(m, rdMolDescriptors.NumRotatableBondsOptions.Strict), m)
                for m in plain
            ],
        }
    assert got["alerts_pains"] == want_pains
    assert got["alerts_brenk"] == want_brenk
    assert sum(bool(p) for p in want_pains) >= 10 and sum(bool(b) for b in want_brenk) >= 100  # the test has teeth
    ok = ~np.isnan(got["qed"])
    np.testing.assert_array_equal(got["qed"][ok], want_qed[ok])
    assert ok.sum() >= len(mols) - 2
    for column, values in want.items():
        np.testing.assert_array_equal(got[column][ok], np.array(values, dtype=float)[ok], err_msg=column)
    assert got["permanent_charges"].sum() >= 10


def test_matching_in_batches_is_matching_one_by_one() -> None:
    """A molecule's alerts and QED do not depend on the batch it comes in (the prescreens are
    computed per batch)."""
    mols = _mols()[:120]
    with rdBase.BlockLogs():
        whole = properties.compute_properties(mols)
        single = [properties.compute_properties([m]) for m in mols]
    for column in ("alerts_pains", "alerts_brenk"):
        assert whole[column] == [s[column][0] for s in single]
    np.testing.assert_array_equal(whole["qed"], np.array([s["qed"][0] for s in single]))


def _atom_class(atom: Chem.Atom) -> int:
    return properties._atom_class(atom.GetAtomicNum(), atom.GetIsAromatic(), atom.GetFormalCharge())


def test_count_prescreen_drops_only_pairs_rdkit_does_not_match() -> None:
    """Every (molecule, query) pair of every catalog is put to the count prescreen (not only the
    fingerprint's survivors): a pair it drops must not match in RDKit, and it must drop some."""
    screen = properties.get_alert_screen()
    mols = [properties._without_hs(m) for m in _mols()]
    counts = screen.atom_counts(mols)
    groups = {
        "pains": [lambda m, e=e: e.HasFilterMatch(m) for e in screen._pains_entries],
        "brenk": [lambda m, e=e: e.HasFilterMatch(m) for e in screen._brenk_entries],
        "qed": [lambda m, q=q: m.HasSubstructMatch(q) for q in screen._qed_alerts],
        "acceptors": [lambda m, q=q: m.HasSubstructMatch(q) for q in screen._qed_acceptors],
        "permanent": [lambda m: m.HasSubstructMatch(properties._PERMANENT_CATION)],
    }
    with rdBase.BlockLogs():
        for group, matchers in groups.items():
            rows, cols = np.divmod(np.arange(len(mols) * len(matchers)), len(matchers))
            keep = screen._count_screen.keep(group, counts, rows, cols)
            dropped = [(mols[i], matchers[j]) for i, j in zip(rows[~keep].tolist(), cols[~keep].tolist(), strict=True)]
            assert len(dropped) > len(rows) // 10, group
            wrong = [Chem.MolToSmiles(m) for m, match in dropped if match(m)]
            assert wrong == [], (group, wrong[:5])


def test_atom_classes_read_from_molecules_are_their_atoms() -> None:
    """The per-class atom counts (formula, charged atoms, aromatic heteroatoms) equal a count
    atom by atom, or are refused (None) for the molecule."""
    refused = 0
    for mol in _mols():
        got = properties._mol_classes(mol)
        if got is None:
            refused += 1
            continue
        want: dict[int, int] = {}
        for atom in mol.GetAtoms():
            want[_atom_class(atom)] = want.get(_atom_class(atom), 0) + 1
        assert got == want, Chem.MolToSmiles(mol)
    assert refused <= 2


def test_query_atom_classes_hold_every_atom_rdkit_matches() -> None:
    """For each query atom of the catalogs and of hand-written SMARTS (negations, charges,
    aromatic types, recursive SMARTS), every molecule atom that RDKit matches to it (the atom
    alone as a SMARTS query, so recursive tests are evaluated) is in the classes read."""
    screen = properties.get_alert_screen()
    queries = [properties._entry_query(e)[0] for e in (*screen._pains_entries, *screen._brenk_entries)]
    queries += [*screen._qed_alerts, *screen._qed_acceptors, properties._PERMANENT_CATION]
    smarts = ["[!#6]", "[!c;!n]", "[#6;!a]", "[N,O]", "[!N]", "[c,n]", "[N+]", "[!#1;!#6]", "[a]", "[A]", "[n;H0]", "[C-,c-]"]
    smarts += ["[!+0]", "[+2]", "[!+5]", "[se,te]", "[#7;+;!$(*~[-])]", "[Cl,Br,I]", "*", "[!a;#7,#8]", "[#6&-]"]
    smarts += ["[$(C=O),$(N=O);!R]", "[$([#8,#16;H1]),$([n+]);!$(*=*)]", "[$([$([NH2])]C=O),$(S)]", "[!$(C=O);$([O,N])]"]
    queries += [Chem.MolFromSmarts(s) for s in smarts]
    distinct: dict[str, Chem.Atom] = {}
    for query in queries:
        assert query is not None
        for qatom in query.GetAtoms():
            distinct.setdefault(qatom.GetSmarts(), qatom)
    mols = _mols()
    read = 0
    for atom_smarts, qatom in distinct.items():
        alone = Chem.MolFromSmarts(atom_smarts)
        allowed = properties._query_atom_classes(alone.GetAtomWithIdx(0))
        original = properties._query_atom_classes(qatom)
        assert allowed == original, atom_smarts
        if allowed is None:
            continue
        read += 1
        for mol in mols:
            for (i,) in mol.GetSubstructMatches(alone, uniquify=False, maxMatches=100_000):
                assert allowed >> _atom_class(mol.GetAtomWithIdx(i)) & 1, (atom_smarts, Chem.MolToSmiles(mol), i)
    assert read > 150


class _Described:
    """A query atom as the count prescreen sees it (``DescribeQuery`` and ``GetSmarts``)."""

    def __init__(self, description: str, smarts: str) -> None:
        self._description, self._smarts = description, smarts

    def HasQuery(self) -> bool:  # noqa: N802 (RDKit's name)
        return True

    def DescribeQuery(self) -> str:  # noqa: N802
        return self._description

    def GetSmarts(self) -> str:  # noqa: N802
        return self._smarts


@pytest.mark.parametrize(
    ("description", "smarts"),
    [
        # a negated OR shows no negation in DescribeQuery; RDKit writes it as [!C&!N]
        ("AtomOr\n  AtomType 6 = val\n  AtomType 7 = val\n", "[!C&!N]"),
        # an unknown test, and an unknown operator
        ("AtomHCount 1 = val\n", "[H1]"),
        ("AtomAtomicNum 6 < val\n", "[#6]"),
    ],
)
def test_query_atoms_not_understood_may_match_anything(description: str, smarts: str) -> None:
    assert properties._query_atom_classes(_Described(description, smarts)) is None


def test_query_atom_classes_of_plain_tests() -> None:
    allowed = properties._query_atom_classes(_Described("AtomAnd\n  AtomType 1007 = val\n  AtomFormalCharge 1 = val\n", "[n&+]"))
    assert allowed == 1 << properties._atom_class(7, True, 1)
    not_carbon = properties._query_atom_classes(_Described("AtomAtomicNum 6 != val\n", "[!#6]"))
    assert not_carbon is not None
    assert not not_carbon >> properties._atom_class(6, False, 0) & 1 and not_carbon >> properties._atom_class(7, True, 0) & 1


def test_qed_alert_counts_with_and_without_the_brenk_hits() -> None:
    """QED's unwanted-group count, read partly from the Brenk hits or matched group by group,
    equals counting every group with ``HasSubstructMatch``."""
    screen = properties.get_alert_screen()
    mols = [properties._without_hs(m) for m in _mols()]
    with rdBase.BlockLogs():
        fps = screen.fingerprints(mols)
        want = [sum(m.HasSubstructMatch(q) for q in QED.StructuralAlerts) for m in mols]
        alone = screen.qed_alert_counts(mols, fps)
        shared = screen.qed_alert_counts(mols, fps, screen.brenk_hits(mols, fps))
    assert alone.tolist() == want and shared.tolist() == want
    assert sum(want) > 100


def test_query_fingerprints_keep_every_match_and_see_the_elements() -> None:
    """The query fingerprints are taken of copies with one-element atoms written as bare element
    tests: every (molecule, entry) pair RDKit matches still passes the fingerprint test, and
    far fewer PAINS pairs pass than with the fingerprints of the queries as they are."""
    screen = properties.get_alert_screen()
    mols = [properties._without_hs(m) for m in _mols()]
    fps = screen.fingerprints(mols)
    groups = [
        (screen._pains_fps, [lambda m, e=e: e.HasFilterMatch(m) for e in screen._pains_entries]),
        (screen._brenk_fps, [lambda m, e=e: e.HasFilterMatch(m) for e in screen._brenk_entries]),
        (screen._qed_fps, [lambda m, q=q: m.HasSubstructMatch(q) for q in screen._qed_alerts]),
    ]
    with rdBase.BlockLogs():
        for query_fps, matchers in groups:
            rows, cols = properties._candidates(fps, query_fps)
            passed = set(zip(rows.tolist(), cols.tolist(), strict=True))
            matched = {(i, j) for i, m in enumerate(mols) for j, match in enumerate(matchers) if match(m)}
            assert matched and matched <= passed
    as_they_are = np.stack([properties._pattern_bits(properties._entry_query(e)[0]) for e in screen._pains_entries])
    assert len(properties._candidates(fps, screen._pains_fps)[0]) < 0.5 * len(properties._candidates(fps, as_they_are)[0])
