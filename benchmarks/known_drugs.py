"""Known-pharmacology check of the shipped panel on approved drugs, seen and never seen in training.

MoleculeNet test splits say how a model does on molecules like its training set. This script asks
what a pharmacologist would: do the endpoints rank drugs of a textbook class above drugs outside
it? The classes and their negatives are in ``benchmarks/known_drugs.toml`` (ATC codes or the
established mechanism, one source line per group; written before any scoring). For each
comparison and endpoint it reports

- how many positives and negatives were found in the shipped ChEMBL approved-drug list (one per
  standardized parent; names whose molecule the panel refuses are counted and left out);
- ROC-AUC of the endpoint separating them, with a 95 % bootstrap interval (positives and
  negatives resampled separately, fixed seed);
- the same restricted to drugs in NONE of the panel's training datasets (any split: the bundle's
  datasets, matched by standardized SMILES or InChIKey connectivity, so stereo-less rows count as seen);
- how many of them the panel puts in its applicability domain (``in_domain``).

    export DRUGSCREEN_DATA_DIR=../shared/datasets
    nice -n 10 python benchmarks/known_drugs.py --out benchmarks/results/known_drugs
"""

from __future__ import annotations

import argparse
import logging
import re
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger("known_drugs")

HERE = Path(__file__).resolve().parent
DEFAULT_LISTS = HERE / "known_drugs.toml"
ROLES = ("positive", "negative", "excluded")


# ---------------------------------------------------------------------------------------------
# the list file


@dataclass
class Comparison:
    """One row family: positives (group names) against negatives (group names or all others)."""

    name: str
    positives: list[str]
    negatives: list[str] | str  # group names, or "all_other"
    exclude: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class DrugClass:
    """A class of the list file: its groups of drug names and its comparisons."""

    id: str
    title: str
    endpoints: list[str]
    groups: dict[str, dict[str, Any]]
    comparisons: list[Comparison]
    note: str = ""

    def names(self) -> set[str]:
        """Every drug named in any group of the class, whatever its role."""
        return {n for g in self.groups.values() for n in g["drugs"]}


@dataclass
class KnownDrugs:
    """The parsed list file."""

    classes: list[DrugClass]
    exclusions: dict[str, dict[str, Any]]
    salt_forms: list[str]

    def all_names(self) -> set[str]:
        """Every drug name the file mentions."""
        out = {n for c in self.classes for n in c.names()}
        out |= {n for e in self.exclusions.values() for n in e["drugs"]}
        return out | set(self.salt_forms)


def load_lists(path: str | Path = DEFAULT_LISTS) -> KnownDrugs:
    """Read and check the list file; raise ``ValueError`` naming the first problem.

    Checks: every group has a role, a source line and drugs; every comparison names existing
    groups of the right role, has positives and negatives, and names existing exclusion lists.
    """
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    exclusions = raw.get("exclusions", {})
    for key, ex in exclusions.items():
        if not ex.get("drugs") or not ex.get("source"):
            raise ValueError(f"exclusion list {key!r} needs drugs and a source")
    classes = []
    for c in raw.get("classes", []):
        groups = c.get("groups", {})
        for g, spec in groups.items():
            if spec.get("role") not in ROLES:
                raise ValueError(f"class {c.get('id')!r}, group {g!r}: role must be one of {ROLES}")
            if not spec.get("drugs") or not str(spec.get("source", "")).strip():
                raise ValueError(f"class {c.get('id')!r}, group {g!r} needs drugs and a source line")
            dup = {n for n in spec["drugs"] if spec["drugs"].count(n) > 1}
            if dup:
                raise ValueError(f"class {c.get('id')!r}, group {g!r} names {sorted(dup)} twice")
        comps = []
        for k in c.get("comparisons", []):
            comp = Comparison(name=k["name"], positives=list(k["positives"]), negatives=k["negatives"],
                              exclude=list(k.get("exclude", [])), note=k.get("note", ""))
            if not comp.positives:
                raise ValueError(f"{c['id']}: comparison {comp.name!r} has no positives")
            for g in comp.positives:
                if groups.get(g, {}).get("role") != "positive":
                    raise ValueError(f"{c['id']}: comparison {comp.name!r}: {g!r} is not a positive group")
            if isinstance(comp.negatives, str):
                if comp.negatives != "all_other":
                    raise ValueError(f"{c['id']}: comparison {comp.name!r}: negatives must be group names or 'all_other'")
            else:
                if not comp.negatives:
                    raise ValueError(f"{c['id']}: comparison {comp.name!r} has no negatives")
                for g in comp.negatives:
                    if groups.get(g, {}).get("role") != "negative":
                        raise ValueError(f"{c['id']}: comparison {comp.name!r}: {g!r} is not a negative group")
            for e in comp.exclude:
                if e not in exclusions:
                    raise ValueError(f"{c['id']}: comparison {comp.name!r} names unknown exclusion list {e!r}")
            comps.append(comp)
        if not c.get("endpoints") or not comps:
            raise ValueError(f"class {c.get('id')!r} needs endpoints and comparisons")
        classes.append(DrugClass(id=c["id"], title=c["title"], endpoints=list(c["endpoints"]), groups=groups,
                                 comparisons=comps, note=c.get("note", "")))
    return KnownDrugs(classes=classes, exclusions=exclusions, salt_forms=list(raw.get("salt_forms", [])))


def resolve_names(names: set[str], pref_names: list[str], smiles: list[str]) -> tuple[dict[str, int], list[str]]:
    """Row of each name in the approved list (its salt-free row when it has several), and the
    names not found."""
    rows: dict[str, list[int]] = {}
    for i, n in enumerate(pref_names):
        rows.setdefault(n, []).append(i)
    found, missing = {}, []
    for n in sorted(names):
        if n not in rows:
            missing.append(n)
            continue
        parents = [i for i in rows[n] if "." not in smiles[i]]
        found[n] = (parents or rows[n])[0]
    return found, missing


# ---------------------------------------------------------------------------------------------
# figures


def roc_auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """ROC-AUC of scores ``pos`` (class 1) against ``neg`` (class 0): the Mann-Whitney U
    statistic over ``len(pos) * len(neg)``, ties counted one half (as sklearn's roc_auc_score).
    NaN when either side is empty."""
    pos = np.asarray(pos, dtype=float)
    neg = np.asarray(neg, dtype=float)
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([pos, neg]))  # mid-ranks for ties (1-based)
    u = ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2.0
    return float(u / (len(pos) * len(neg)))


def bootstrap_auc(pos: np.ndarray, neg: np.ndarray, n_boot: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """ROC-AUC and its 95 % percentile bootstrap interval (positives and negatives resampled
    separately, with replacement, ``n_boot`` times, ``numpy.random.default_rng(seed)``).
    The interval is NaN with fewer than 2 positives or negatives."""
    pos = np.asarray(pos, dtype=float)
    neg = np.asarray(neg, dtype=float)
    auc = roc_auc(pos, neg)
    if len(pos) < 2 or len(neg) < 2 or n_boot <= 0:
        return auc, float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    vals = np.empty(n_boot)
    for b in range(n_boot):
        vals[b] = roc_auc(pos[rng.integers(0, len(pos), len(pos))], neg[rng.integers(0, len(neg), len(neg))])
    lo, hi = np.percentile(vals, [2.5, 97.5])
    return auc, float(lo), float(hi)


def _fmt(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "–"
    return f"{x:.{digits}f}"


#: fewest positives and negatives for a verdict: a bootstrap interval of 3 against 2 drugs is
#: degenerate (1.00-1.00 when they happen to separate), not evidence
MIN_PER_SIDE = 5


def verdict(lo: float, hi: float, n_pos: int = MIN_PER_SIDE, n_neg: int = MIN_PER_SIDE) -> str:
    """What a 95 % interval of a ROC-AUC says: separates, no signal shown, reversed, or too few
    drugs (fewer than :data:`MIN_PER_SIDE` on a side, or no interval)."""
    if np.isnan(lo) or min(n_pos, n_neg) < MIN_PER_SIDE:
        return f"too few drugs to judge ({n_pos} / {n_neg}; {MIN_PER_SIDE} a side needed)"
    if lo > 0.5:
        return "separates"
    if hi < 0.5:
        return "reversed (negatives score higher)"
    return "no signal shown (interval contains 0.5)"


def caveats(entry: dict[str, Any]) -> str:
    """Plain-words limits of one comparison's figures: positives all in the endpoint's training
    data (the row then measures recall of taught labels), and negatives the assay itself labels
    active (the panel follows its assay, not the pharmacology)."""
    out = []
    ds = entry["endpoint_dataset"]
    n_pos, n_out = entry["all"]["n_pos"], entry["not_in_endpoint_dataset"]["n_pos"]
    if n_pos and n_out == 0:
        out.append(f"every positive is in {ds}'s training data, so this row shows recall of taught labels, "
                   "not generalization")
    elif n_pos and n_out < 3:
        out.append(f"only {n_out} of {n_pos} positives are outside {ds}'s training data")
    top = entry["all"].get("pos_above_neg_p95")
    if n_pos and top is not None and top < n_pos / 2:
        out.append(f"only {top} of {n_pos} positives score above the negatives' 95th percentile: a screen "
                   "flagging its top 5 % would miss most of the class")
    neg = entry["assay_labels"]["negatives"]
    if neg["labelled"] >= 3 and neg["active"] / neg["labelled"] >= 0.5:
        out.append(f"{ds} itself labels {neg['active']} of its {neg['labelled']} labelled negatives active: the "
                   "panel reproduces its assay here, and the assay does not separate these classes")
    return "" if not out else " — " + "; ".join(out)


def _ci(lo: float, hi: float) -> str:
    return "–" if np.isnan(lo) else f"{lo:.2f}–{hi:.2f}"


# ---------------------------------------------------------------------------------------------
# chemistry: standardized parents and membership in the panel's datasets

_SMILES_ATOM = re.compile(r"\[([^\]]+)\]|Br|Cl|[BCNOPSFI]|[bcnops]")
_BRACKET_ELEMENT = re.compile(r"\d*([A-Z][a-z]?|[a-z][a-z]?)")


def heavy_atom_composition(smiles: str) -> str:
    """Heavy-atom composition read from a SMILES string without parsing it (``C9N1O2``-like,
    elements sorted, hydrogens and charges left out): a cheap pre-filter, so that InChIKeys
    are computed only for dataset molecules that could match a query."""
    counts: dict[str, int] = {}
    for m in _SMILES_ATOM.finditer(smiles):
        inner = m.group(1)
        if inner is None:
            sym = m.group(0)
        else:
            em = _BRACKET_ELEMENT.match(inner)
            if em is None:
                continue
            sym = em.group(1)
        sym = sym[0].upper() + sym[1:]
        if sym != "H":
            counts[sym] = counts.get(sym, 0) + 1
    return "".join(f"{k}{v}" for k, v in sorted(counts.items()))


def standardize_all(smiles: list[str]) -> tuple[list[str | None], list[str | None]]:
    """Standardized SMILES and InChIKey of each SMILES, standardized as the dataset loaders do
    (``DATASET_STANDARDIZER``); None where it fails."""
    from rdkit import Chem, rdBase

    from drugscreen.featurizers.molecule import DATASET_STANDARDIZER, prepare_molecule

    std: list[str | None] = []
    keys: list[str | None] = []
    with rdBase.BlockLogs():
        for s in smiles:
            p = prepare_molecule(s, DATASET_STANDARDIZER)
            if not p.valid:
                std.append(None)
                keys.append(None)
                continue
            std.append(p.smiles_std)
            keys.append(Chem.MolToInchiKey(p.mol) or None)
    return std, keys


@dataclass
class Membership:
    """Where each query molecule occurs in the panel's datasets: ``rows[i][dataset]`` is its
    row in that dataset (the first match), and ``labels[dataset]`` the dataset's ``y`` and
    task names, to read the assay's own label of a drug."""

    rows: list[dict[str, int]]
    labels: dict[str, tuple[np.ndarray, list[str]]]


def dataset_membership(datasets: list[str], std: list[str | None], keys: list[str | None]) -> Membership:
    """For each query molecule, the panel datasets (all rows, any split) that contain it, by
    standardized SMILES or by the first block of the InChIKey (the connectivity: a dataset row
    written without stereo, as HIV writes zidovudine, or as another stereoisomer counts as seen)."""
    from rdkit import Chem, rdBase

    from drugscreen.data import load_dataset

    wanted = {heavy_atom_composition(s) for s in std if s}
    out: list[dict[str, int]] = [{} for _ in std]
    labels: dict[str, tuple[np.ndarray, list[str]]] = {}
    for name in datasets:
        t0 = time.perf_counter()
        with rdBase.BlockLogs():
            ds = load_dataset(name)
            by_std: dict[str, int] = {}
            by_key: dict[str, int] = {}
            for j, s in enumerate(ds.smiles_std):
                by_std.setdefault(s, j)
                if heavy_atom_composition(s) in wanted:
                    mol = Chem.MolFromSmiles(s)
                    if mol is not None:
                        by_key.setdefault(Chem.MolToInchiKey(mol)[:14], j)
        labels[name] = (ds.y, [t.name for t in ds.tasks])
        for i, (s, k) in enumerate(zip(std, keys, strict=True)):
            j = by_std.get(s) if s is not None else None
            if j is None and k is not None:
                j = by_key.get(k[:14])
            if j is not None:
                out[i][name] = j
        logger.info("%s: %d molecules (%d InChIKeys computed); %d of the approved drugs in it (%.1f s)", name, len(ds),
                    len(by_key), sum(name in o for o in out), time.perf_counter() - t0)
    return Membership(rows=out, labels=labels)


# ---------------------------------------------------------------------------------------------


def _git(args: list[str]) -> str:
    """Output of ``git -C <repository> <args>``, or "" outside a checkout."""
    try:
        return subprocess.run(["git", "-C", str(HERE.parent), *args], capture_output=True, text=True, check=True,
                              timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _git_commit() -> str:
    """HEAD, with ``+dirty`` when the library, this script or its list differ from it."""
    sha = _git(["rev-parse", "HEAD"])
    if not sha:
        return "unknown"
    dirty = _git(["status", "--porcelain", "--", "drugscreen", "benchmarks/known_drugs.py", "benchmarks/known_drugs.toml"])
    return sha + ("+dirty" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--panel", default=None, help="installed bundle name or directory (default: the shipped panel)")
    ap.add_argument("--lists", type=Path, default=DEFAULT_LISTS, help="the class list file (TOML)")
    ap.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples per ROC-AUC")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="write <out>.json and <out>.md (default: print the markdown only)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    command = "python benchmarks/known_drugs.py " + " ".join(argv if argv is not None else sys.argv[1:])
    t_start = time.perf_counter()

    from drugscreen import Screener
    from drugscreen.benchmarking.records import versions, write_evidence
    from drugscreen.data import approved_drugs

    lists = load_lists(args.lists)
    table = approved_drugs()
    pref = [str(n) for n in table["pref_name"]]
    smiles = [str(s) for s in table["smiles"]]
    row_of, missing = resolve_names(lists.all_names(), pref, smiles)
    if missing:
        raise SystemExit(f"{args.lists}: {len(missing)} name(s) not in the approved-drug list: {missing}")
    salts = sorted(n for n, i in row_of.items() if "." in smiles[i])
    if set(salts) != set(lists.salt_forms):
        raise SystemExit(f"{args.lists}: salt_forms must list exactly the names whose only entry is a salt or hydrate; "
                         f"found {salts}, declared {sorted(lists.salt_forms)}")
    logger.info("list file %s: %d names, all in the approved list (%d rows); %d declared salt forms",
                args.lists, len(row_of), len(table), len(salts))

    # the panel's scores for every approved drug
    screener = Screener.load(args.panel, profile=None)
    t0 = time.perf_counter()
    scored = screener.score(smiles)
    logger.info("panel %s scored %d approved drugs in %.1f s", screener.bundle.name, len(smiles), time.perf_counter() - t0)
    valid = scored["valid"].astype("boolean").to_numpy(dtype=bool, na_value=False)
    in_dom = scored["in_domain"].astype("boolean").to_numpy(dtype=bool, na_value=False) & valid
    col_of = {e.name: e.column for e in screener.all_endpoints}
    for c in lists.classes:
        for e in c.endpoints:
            if e not in col_of:
                raise SystemExit(f"class {c.id}: endpoint {e!r} is not in panel {screener.bundle.name} ({sorted(col_of)})")

    # standardized parents, and which panel datasets hold each one
    t0 = time.perf_counter()
    std, keys = standardize_all(smiles)
    panel_sets = sorted({t["dataset"] for t in screener.bundle.tasks})
    member = dataset_membership(panel_sets, std, keys)
    logger.info("standardized and looked up in %s in %.1f s", ", ".join(panel_sets), time.perf_counter() - t0)
    source_of = {t["name"]: (t["dataset"], t["column"]) for t in screener.bundle.tasks}

    # one row per standardized parent: the first salt-free row, else the first row
    parent_row: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k is None:
            continue
        j = parent_row.get(k)
        if j is None or ("." in smiles[j] and "." not in smiles[i]):
            parent_row[k] = i
    n_unparsed = sum(k is None for k in keys)

    def key_of(name: str) -> str | None:
        return keys[row_of[name]]

    def dedupe(rows: list[int]) -> list[int]:
        seen, out = set(), []
        for i in rows:
            k = keys[i] or f"row{i}"
            if k not in seen:
                seen.add(k)
                out.append(i)
        return out

    def assay_labels(rows: list[int], endpoint: str) -> dict[str, int]:
        """How many of ``rows`` the endpoint's own dataset labels, and how many of those active."""
        dataset, column = source_of[endpoint]
        y, tasks = member.labels[dataset]
        t = tasks.index(column)
        vals = [y[member.rows[i][dataset], t] for i in rows if dataset in member.rows[i]]
        vals = [v for v in vals if not np.isnan(v)]
        return {"labelled": len(vals), "active": int(sum(v == 1 for v in vals))}

    lists_commit = _git(["log", "-1", "--format=%h %cs", "--", str(args.lists)]) or "not committed"
    result: dict[str, Any] = {
        "command": command, "git": _git_commit(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "panel": str(screener.bundle.path), "panel_datasets": panel_sets, "lists": str(args.lists),
        "lists_last_commit": lists_commit, "bootstrap": args.bootstrap, "seed": args.seed, "versions": versions(),
        "approved_rows": len(table), "approved_parents": len(parent_row), "approved_unparsed": n_unparsed,
        "approved_refused_by_panel": [pref[i] for i in np.flatnonzero(~valid)], "comparisons": [], "drugs": {},
    }  # fmt: skip
    rows_md: list[str] = []
    group_md: list[str] = []
    for c in lists.classes:
        class_skeletons = {k[:14] for k in (key_of(n) for n in c.names()) if k}
        for comp in c.comparisons:
            pos_names = [n for g in comp.positives for n in c.groups[g]["drugs"]]
            group_of = {n: g for g in comp.positives for n in c.groups[g]["drugs"]}
            if comp.negatives == "all_other":
                excluded = set(class_skeletons)
                for e in comp.exclude:
                    excluded |= {k[:14] for k in (key_of(n) for n in lists.exclusions[e]["drugs"]) if k}
                neg_rows = [i for k, i in parent_row.items() if k[:14] not in excluded]
                neg_desc = "all other approved drugs" + (f" except {', '.join(comp.exclude)}" if comp.exclude else "")
            else:
                neg_names = [n for g in comp.negatives for n in c.groups[g]["drugs"]]
                for g in comp.negatives:
                    group_of.update({n: g for n in c.groups[g]["drugs"]})
                neg_rows = [row_of[n] for n in neg_names]
                neg_desc = ", ".join(comp.negatives)
            pos_rows, neg_rows = dedupe([row_of[n] for n in pos_names]), dedupe(neg_rows)
            overlap = {keys[i] for i in pos_rows} & {keys[i] for i in neg_rows} - {None}
            if overlap:
                raise SystemExit(f"{c.id} / {comp.name}: a molecule is both positive and negative ({sorted(overlap)[:3]})")
            refused = {"positives": [pref[i] for i in pos_rows if not valid[i]],
                       "negatives": [pref[i] for i in neg_rows if not valid[i]]}
            pos_rows = [i for i in pos_rows if valid[i]]
            neg_rows = [i for i in neg_rows if valid[i]]
            for endpoint in c.endpoints:
                v = scored[col_of[endpoint]].to_numpy(dtype=float)
                own = source_of[endpoint][0]
                entry: dict[str, Any] = {"class": c.id, "comparison": comp.name, "endpoint": endpoint,
                                         "endpoint_dataset": own, "negatives": neg_desc, "note": comp.note,
                                         "refused_by_panel": refused}
                subsets = {
                    "all": (pos_rows, neg_rows),
                    "not_in_endpoint_dataset": ([i for i in pos_rows if own not in member.rows[i]],
                                                [i for i in neg_rows if own not in member.rows[i]]),
                    "unseen": ([i for i in pos_rows if not member.rows[i]], [i for i in neg_rows if not member.rows[i]]),
                }
                for subset, (pr, nr) in subsets.items():
                    p, n = v[pr], v[nr]
                    auc, lo, hi = bootstrap_auc(p[~np.isnan(p)], n[~np.isnan(n)], args.bootstrap, args.seed)
                    entry[subset] = {
                        "n_pos": len(pr), "n_neg": len(nr), "roc_auc": auc, "ci95": [lo, hi],
                        "pos_in_domain": int(in_dom[pr].sum()), "neg_in_domain": int(in_dom[nr].sum()),
                        "pos_median": float(np.nanmedian(p)) if len(p) else float("nan"),
                        "neg_median": float(np.nanmedian(n)) if len(n) else float("nan"),
                    }  # fmt: skip
                    q = np.nanpercentile(n, 95) if len(n) else float("nan")
                    entry[subset]["pos_above_neg_p95"] = int((p > q).sum()) if len(n) else None
                    if subset != "all":
                        entry[subset]["positives"] = [pref[i] for i in pr]
                entry["assay_labels"] = {"positives": assay_labels(pos_rows, endpoint),
                                         "negatives": assay_labels(neg_rows, endpoint)}
                result["comparisons"].append(entry)
                a, o, u, lab = entry["all"], entry["not_in_endpoint_dataset"], entry["unseen"], entry["assay_labels"]
                rows_md.append(
                    f"| {c.id} | {comp.name} | `{endpoint}` | {a['n_pos']} / {a['n_neg']} | {_fmt(a['roc_auc'])} "
                    f"({_ci(*a['ci95'])}) | {a['pos_above_neg_p95']} | {a['pos_in_domain']} / {a['neg_in_domain']} "
                    f"| {lab['positives']['active']}/{lab['positives']['labelled']} · "
                    f"{lab['negatives']['active']}/{lab['negatives']['labelled']} "
                    f"| {o['n_pos']} / {o['n_neg']} | {_fmt(o['roc_auc'])} ({_ci(*o['ci95'])}) "
                    f"| {u['n_pos']} / {u['n_neg']} | {_fmt(u['roc_auc'])} ({_ci(*u['ci95'])}) "
                    f"| {u['pos_in_domain']} / {u['neg_in_domain']} |"
                )
                logger.info("%s | %s | %s: AUC %s (%s); not in %s %s (%d/%d); unseen %s (%d/%d)", c.id, comp.name,
                            endpoint, _fmt(a["roc_auc"]), _ci(*a["ci95"]), own, _fmt(o["roc_auc"]), o["n_pos"],
                            o["n_neg"], _fmt(u["roc_auc"]), u["n_pos"], u["n_neg"])
            # per-drug figures of the listed drugs (JSON)
            for name, g in group_of.items():
                i = row_of[name]
                d = result["drugs"].setdefault(name, {
                    "smiles": smiles[i], "smiles_std": std[i], "inchikey": keys[i], "valid": bool(valid[i]),
                    "in_domain": bool(in_dom[i]), "in_datasets": sorted(member.rows[i]), "groups": {}, "scores": {},
                })  # fmt: skip
                d["groups"][c.id] = g
                for endpoint in c.endpoints:
                    d["scores"][endpoint] = float(scored[col_of[endpoint]].iloc[i])
        for g, spec in c.groups.items():
            if spec["role"] == "excluded":
                continue
            rows = [row_of[n] for n in spec["drugs"] if valid[row_of[n]]]
            meds = " / ".join(_fmt(float(np.nanmedian(scored[col_of[e]].to_numpy(dtype=float)[rows]))) if rows else "–"
                              for e in c.endpoints)
            labs = " / ".join(f"{x['active']}/{x['labelled']}" for x in (assay_labels(rows, e) for e in c.endpoints))
            n_unseen = sum(not member.rows[i] for i in rows)
            group_md.append(f"| {c.id} | {g} | {spec['role']} | {len(rows)} | {n_unseen} | "
                            + " / ".join(f"`{e}`" for e in c.endpoints) + f" | {meds} | {labs} |")

    cpu = time.process_time()
    lines = [
        "# Known pharmacology: does the shipped panel rank approved drugs of a class above the rest?",
        "",
        f"Command: `DRUGSCREEN_DATA_DIR=../shared/datasets nice -n 10 {command}`  ",
        f"Git commit: `{result['git']}` ({result['date']}); panel `{screener.bundle.name}`; bootstrap "
        f"{args.bootstrap} resamples, seed {args.seed}; {time.perf_counter() - t_start:.0f} s wall, {cpu:.0f} s CPU.",
        "",
        f"Lists: `{Path(args.lists).name}` (last changed in commit {lists_commit}), with an ATC code or the established "
        "mechanism for each group. **The lists were written and committed (2059dad) before any of these drugs was "
        "scored by the panel, and were not pruned or extended after seeing a score.** Names are the ChEMBL "
        "approved-drug list's `pref_name`; the parent entry is used where the list has one; the "
        f"{len(lists.salt_forms)} names listed only as a salt ({', '.join(lists.salt_forms)}) are scored as their "
        "standardized parent.",
        "",
        f"Approved list: {len(table):,} rows, {len(parent_row):,} distinct standardized parents (InChIKey); the panel "
        f"refuses {int((~valid).sum())} rows (no score; left out, named in the JSON). *All other approved drugs* = one "
        "row per parent, minus every drug named anywhere in the class (positives, negatives and its excluded groups) "
        "and minus the named exclusion lists, stereoisomers included (same InChIKey connectivity block).",
        "",
        "Columns: *n* = positives / negatives found; ROC-AUC with its 95 % percentile bootstrap interval (positives "
        "and negatives resampled separately; 0.5 = no separation); *pos > neg p95* = positives scoring above the 95th "
        "percentile of the negatives (what a screen flagging its top 5 % would catch); *in domain* = the panel's `in_domain` flag "
        "(positives / negatives); *assay labels* = of the drugs in the endpoint's own training dataset, how many it "
        "labels active (positives · negatives: active/labelled), i.e. what the panel was taught about them; "
        "*not in endpoint data* = drugs absent from the endpoint's own dataset (Tox21 for `tox21_*`, HIV for `hiv`, "
        "BBBP for `bbbp`; the shared trunk may still have seen them through another dataset); *unseen* = drugs in "
        f"none of the panel's training datasets ({', '.join(panel_sets)}; every row, whatever its split), matched "
        "by standardized SMILES or by InChIKey connectivity (first block), so a dataset row written without "
        "stereo (HIV writes zidovudine so) or as another stereoisomer counts as seen.",
        "",
        "| class | comparison | endpoint | n | ROC-AUC (95 % CI) | pos > neg p95 | in domain | assay labels "
        "| not in endpoint data: n | ROC-AUC (95 % CI) | unseen: n | ROC-AUC (95 % CI) | unseen in domain |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *rows_md,
        "",
        "## Per group: median score and the training labels (valid drugs)",
        "",
        "| class | group | role | n | unseen | endpoints | median score | assay labels (active/labelled) |",
        "|---|---|---|---|---|---|---|---|",
        *group_md,
    ]
    unseen_md = []
    for c in lists.classes:
        for g, spec in c.groups.items():
            if spec["role"] == "excluded":
                continue
            for name in spec["drugs"]:
                i = row_of[name]
                if valid[i] and not member.rows[i]:
                    vals = " / ".join(_fmt(float(scored[col_of[e]].iloc[i])) for e in c.endpoints)
                    unseen_md.append(f"| {c.id} | {name} | {g} ({spec['role']}) | "
                                     + " / ".join(f"`{e}`" for e in c.endpoints)
                                     + f" | {vals} | {'yes' if in_dom[i] else 'no'} |")
    lines += ["", "## Listed drugs in no panel dataset, one by one", "",
              "| class | drug | group | endpoints | score | in domain |", "|---|---|---|---|---|---|", *unseen_md]
    notes = [f"- {c.id} ({c.title}): {c.note}" for c in lists.classes if c.note]
    notes += [f"- {c.id}, {k.name}: {k.note}" for c in lists.classes for k in c.comparisons if k.note]
    if notes:
        lines += ["", "## Notes from the list file (written before scoring)", "", *notes]
    def judged(e: dict[str, Any], subset: str) -> str:
        x = e[subset]
        return verdict(*x["ci95"], x["n_pos"], x["n_neg"])

    verdicts = [f"- {e['class']} / {e['comparison']} / `{e['endpoint']}`: all drugs: {judged(e, 'all')}; "
                f"not in {e['endpoint_dataset']}: {judged(e, 'not_in_endpoint_dataset')}; "
                f"unseen: {judged(e, 'unseen')}{caveats(e)}" for e in result["comparisons"]]
    lines += ["", "## Signal (95 % CI above 0.5 = separates; containing 0.5 = no signal shown; below = reversed; "
              f"at least {MIN_PER_SIDE} positives and {MIN_PER_SIDE} negatives needed)", "", *verdicts]
    result["seconds"] = {"wall": round(time.perf_counter() - t_start, 1), "cpu": round(cpu, 1)}
    text = write_evidence(args.out, result, lines)
    if not args.out:
        sys.stdout.write(text)
    logger.info("done in %.0f s (%.0f s CPU)%s", time.perf_counter() - t_start, cpu,
                f"; wrote {args.out}.md and .json" if args.out else "")
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
