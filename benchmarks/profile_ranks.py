"""Where a ranking profile puts named approved drugs, with and without some of its objectives.

A profile's objective is easiest to judge by what it does to drugs whose fate is known: the
``cns`` profile's permanent-charge term should push methylnaltrexone (a quaternary ammonium
that does not cross the blood-brain barrier) far below naltrexone, and its acid term should
push acids down. This script scores the shipped ChEMBL approved-drug list once with the panel,
then ranks every valid row with the profile as shipped and with each ``--without`` objective left
out, and reports

- the rank of each ``--drug`` (by ``pref_name``; every row of that name) under each variant;
- for each ``--group PROPERTY``, how many valid rows have the property above 0 and their
  median rank under each variant;
- with ``--own-domain-weight W`` (repeatable), a variant with the profile's
  ``out_of_own_domain_weight`` set to W, and each variant's Spearman correlation with the shipped
  scores. The panel's columns are re-scored as the screen scores them, an endpoint's dataset
  being outside the molecule's domain where ``out_of_domain_for`` names it.

    python benchmarks/profile_ranks.py --profile cns --without permanent_charges --without acidic_groups \\
        --drug METHYLNALTREXONE --drug NALTREXONE --group permanent_charges --group acidic_groups \\
        --out benchmarks/results/profile_ranks_cns
    python benchmarks/profile_ranks.py --profile default --own-domain-weight 0.5 --own-domain-weight 0 \
        --drug DIAZEPAM --drug IBUPROFEN --drug CAFFEINE --drug ZIDOVUDINE --drug NEVIRAPINE \
        --out benchmarks/results/profile_ranks_default_own_domain
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

logger = logging.getLogger("profile_ranks")


def _variant(profile, without: str):
    """``profile`` with the objective on endpoint ``without`` left out."""
    from drugscreen.screening.profiles import Profile

    data = profile.to_dict()
    kept = [o for o in data["objectives"] if o["endpoint"] != without]
    if len(kept) == len(data["objectives"]):
        raise SystemExit(f"profile {profile.name} has no objective on {without!r} "
                         f"(it has {', '.join(o['endpoint'] for o in data['objectives'])})")
    return Profile.from_dict({**data, "objectives": kept}, source=f"{profile.name} without {without}")


def _with_own_weight(profile, weight: float):
    """``profile`` with ``out_of_own_domain_weight`` set to ``weight``."""
    from drugscreen.screening.profiles import Profile

    data = profile.to_dict()
    filters = {**data["filters"], "out_of_own_domain_weight": weight}
    return Profile.from_dict({**data, "filters": filters}, source=f"{profile.name} with out_of_own_domain_weight {weight:g}")


def _outside_own(scored: pd.DataFrame, screener) -> dict[str, np.ndarray]:
    """Endpoint column -> rows whose ``out_of_domain_for`` names the endpoint's dataset (what the
    screen computes from the similarities before writing that column)."""
    from drugscreen.domain import far_datasets

    far = [set(far_datasets(t)) for t in scored["out_of_domain_for"].fillna("").astype(str)]
    return {e.column: np.array([e.dataset in f for f in far]) for e in screener.all_endpoints}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--panel", default=None, help="model bundle (default: the shipped panel)")
    ap.add_argument("--profile", default="cns", help="shipped profile name or TOML file")
    ap.add_argument("--without", action="append", default=[], metavar="ENDPOINT", help="also rank without this objective (repeatable)")
    ap.add_argument("--drug", action="append", default=[], metavar="PREF_NAME", help="approved drug to report (repeatable)")
    ap.add_argument("--group", action="append", default=[], metavar="PROPERTY", help="report the median rank of rows with PROPERTY > 0 (repeatable)")
    ap.add_argument("--own-domain-weight", action="append", default=[], type=float, metavar="W",
                    help="also rank with the profile's out_of_own_domain_weight set to W (repeatable)")
    ap.add_argument("--out", type=Path, default=None, help="write OUT.md and OUT.json")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from drugscreen.benchmarking.records import code_version
    from drugscreen.data import approved_drugs
    from drugscreen.screening.profiles import load_profile, rank_scores
    from drugscreen.screening.screener import Screener

    table = approved_drugs()
    names = table["pref_name"].astype(str).str.upper().tolist()
    for d in args.drug:
        if d.upper() not in names:
            raise SystemExit(f"{d!r} is not a pref_name of the approved-drug list")
    base = load_profile(args.profile)
    variants = {"as shipped": base} | {f"without {w}": _variant(base, w) for w in args.without}
    variants |= {f"own-domain weight {w:g}": _with_own_weight(base, w) for w in args.own_domain_weight}

    t0 = time.perf_counter()
    cpu0 = time.process_time()
    screener = Screener.load(args.panel, profile=base)
    scored = screener.score(table["smiles"].tolist())
    valid = scored["valid"].to_numpy(dtype=bool)
    logger.info("scored %d approved rows (%d valid) in %.1f s", len(scored), valid.sum(), time.perf_counter() - t0)
    for g in args.group:
        if g not in scored.columns:
            raise SystemExit(f"no output column {g!r} to group by")

    # each variant re-scores the columns the panel wrote once (no second model run)
    column_of = screener.objective_columns
    ranks: dict[str, pd.Series] = {}
    scores: dict[str, np.ndarray] = {}
    outside = _outside_own(scored, screener) if args.own_domain_weight else None
    for label, prof in variants.items():
        scores[label] = prof.score(scored, prof.resolve(column_of), outside)
        ranks[label] = pd.Series(rank_scores(scores[label]), index=scored.index)
    if not ranks["as shipped"].equals(scored["rank"]):
        raise SystemExit("re-scoring the panel's columns did not give the screen's own ranks")
    for w in args.own_domain_weight[:1]:  # the screen's own scoring with that weight, once
        label = f"own-domain weight {w:g}"
        again = Screener.load(args.panel, profile=variants[label]).score(table["smiles"].tolist())
        if not ranks[label].equals(again["rank"]):
            raise SystemExit(f"re-scoring with {label} did not give the screen's own ranks")
    result: dict = {
        "command": "python " + " ".join([sys.argv[0], *(argv if argv is not None else sys.argv[1:])]),
        "commit": code_version() or "unknown",
        "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "panel": screener.bundle.name,
        "profile": base.name,
        "rows": len(scored),
        "valid_rows": int(valid.sum()),
        "variants": list(variants),
        "drugs": [],
        "groups": [],
        "spearman_with_shipped": {v: float(pd.Series(scores["as shipped"][valid]).corr(pd.Series(scores[v][valid]), method="spearman")) for v in variants},
        "rows_whose_score_changed": {v: int((scores["as shipped"][valid] != scores[v][valid]).sum()) for v in variants},
    }
    for d in args.drug:
        for i in np.flatnonzero(np.array(names) == d.upper()):
            result["drugs"].append({
                "drug": d.upper(), "row": int(i), "smiles": table["smiles"].iloc[i], "score": None if pd.isna(scored["score"].iloc[i]) else float(scored["score"].iloc[i]),
                "ranks": {v: None if pd.isna(ranks[v].iloc[i]) else int(ranks[v].iloc[i]) for v in variants},
            })  # fmt: skip
    for g in args.group:
        has = valid & (scored[g].to_numpy(dtype=float, na_value=0.0) > 0)
        result["groups"].append({
            "property": g, "rows": int(has.sum()),
            "median_rank": {v: float(np.median(ranks[v][has].dropna().to_numpy(dtype=float))) if has.any() else None for v in variants},
        })  # fmt: skip
    result["wall_s"] = round(time.perf_counter() - t0, 1)
    result["cpu_s"] = round(time.process_time() - cpu0, 1)

    lines = [f"# Profile `{base.name}`: ranks of named approved drugs", "",
             f"Command: `{result['command']}`  ",
             f"Git commit: `{result['commit']}` ({result['date_utc']}); panel `{result['panel']}`; "
             f"{result['rows']:,} approved rows, {result['valid_rows']:,} valid and ranked; {result['wall_s']} s wall.", "",
             "| drug | row | " + " | ".join(f"rank {v}" for v in variants) + " |",
             "|---|---|" + "---|" * len(variants)]  # fmt: skip
    for r in result["drugs"]:
        lines.append(f"| {r['drug']} | {r['row']} | " + " | ".join(f"{r['ranks'][v]:,}" if r["ranks"][v] else "–" for v in variants) + " |")
    lines += ["", "| | " + " | ".join(variants) + " |", "|---|" + "---|" * len(variants),
              "| Spearman ρ with the shipped scores | " + " | ".join(f"{result['spearman_with_shipped'][v]:.3f}" for v in variants) + " |",
              "| rows whose score changed | " + " | ".join(f"{result['rows_whose_score_changed'][v]:,}" for v in variants) + " |"]
    if result["groups"]:
        lines += ["", "| rows with | n | " + " | ".join(f"median rank {v}" for v in variants) + " |", "|---|---|" + "---|" * len(variants)]
        for g in result["groups"]:
            lines.append(f"| `{g['property']}` > 0 | {g['rows']} | " + " | ".join(f"{g['median_rank'][v]:,.0f}" if g["median_rank"][v] is not None else "–" for v in variants) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".md").write_text(text)
        args.out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
