"""Applicability-domain evidence of an installed panel, recomputed on its own validation and test parts.

Rebuilds the panel's training data (same datasets, same deterministic scaffold splits, same
leak removal), scores the validation and test molecules with the installed bundle (calibrated
probabilities, ensemble mean, max-Tanimoto similarity to the training fingerprints), and reports
per-molecule errors in and out of the domain *within each dataset* — pooled errors mostly say
which dataset a molecule comes from. Also reports the threshold the current rule
(:func:`drugscreen.domain.choose_threshold` with datasets as groups) picks on validation, beside
the bundle's stored one.

    DRUGSCREEN_DATA_DIR=../shared/datasets python benchmarks/domain_evidence.py [--bundle panel]
        [--out benchmarks/results/panel/domain_evidence]

Error per molecule = mean over its labelled tasks of |y - p| (classification, calibrated p) or
|y - y_hat| / sd_train (regression), as in the model card. Because that error says little for
rare positives, the script also reports each dataset's own metric (ROC-AUC / RMSE) by
similarity tertile and in vs out of the domain on the test split
(:func:`drugscreen.domain.domain_metric_evidence`), and the same metric by tertile of the
ensemble's spread (the screen's ``<endpoint>_unc``, averaged over the dataset's tasks), with the
rank correlation between spread and absolute error for the regressions. Last, the other half of
the domain: held-out molecules outside their own dataset's training descriptor range
(:mod:`drugscreen.descriptor_ranges`, the screen's ``out_of_range``) against those inside.
"""

from __future__ import annotations

import argparse
import math

import numpy as np


def _fmt(x: float, digits: int = 3) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", default="panel", help="installed bundle name or directory")
    ap.add_argument("--out", default=None, help="write <out>.json and <out>.md")
    args = ap.parse_args()

    from drugscreen.bundle import load_bundle
    from drugscreen.domain import (
        choose_threshold,
        domain_error_evidence,
        domain_metric_evidence,
        per_molecule_error,
    )
    from drugscreen.training.data import build_training_data, predict_part

    bundle = load_bundle(args.bundle)
    tcfg = bundle.config["training"]["config"]
    data = build_training_data(list(tcfg["dataset"]), split=tcfg.get("split", "scaffold"))
    names = [t["name"] for t in bundle.tasks]
    if len(names) != len(data.tasks):
        raise SystemExit(f"bundle has {len(names)} tasks, rebuilt data {len(data.tasks)}: not the same panel")
    is_cls = np.array([t["type"] == "classification" for t in bundle.tasks])
    scaler = bundle.config.get("scalers", {}).get("y") or {}
    std = np.array([1.0 if v is None else v for v in scaler.get("std", [1.0] * len(names))], dtype=np.float64)
    ds_names = [d.name for d in data.datasets]

    sims, errs, groups, preds, spreads = {}, {}, {}, {}, {}
    for part_name in ("valid", "test"):
        part = getattr(data, part_name)
        pred = predict_part(bundle, part)
        errs[part_name] = per_molecule_error(part.y, pred.mean, is_cls, std)
        sims[part_name] = pred.domain_similarity
        groups[part_name] = part.dataset_index
        preds[part_name] = pred.mean
        spreads[part_name] = pred.std

    stored = float(bundle.domain_threshold)
    chosen = choose_threshold(sims["valid"], errs["valid"], groups=groups["valid"])
    result = {"bundle": str(bundle.path), "stored_threshold": stored, "rechosen": chosen, "evidence": {}}
    lines = [
        f"# Applicability-domain evidence: {bundle.name}",
        "",
        "Command: `python benchmarks/domain_evidence.py" + (f" --bundle {args.bundle}" if args.bundle != "panel" else "")
        + (f" --out {args.out}" if args.out else "") + "`",
        "",
        f"Stored threshold (chosen at training time): **{stored:.3f}**. The current rule "
        f"({chosen.get('method')}) picks **{chosen['threshold']:.3f}** on validation "
        f"(out/in error ratio {_fmt(chosen.get('error_ratio', float('nan')), 2)}).",
        "",
        "Error = mean over labelled tasks of |y - p| (classification, calibrated) or |y - ŷ| / sd_train (regression).",
    ]
    for label, thr in (("stored", stored), ("re-chosen", chosen["threshold"])):
        ev = {p: domain_error_evidence(sims[p], errs[p], thr, groups[p], ds_names) for p in ("valid", "test")}
        result["evidence"][label] = ev
        lines += ["", f"## Test split, {label} threshold {thr:.3f}", "",
                  "| dataset | n in | n out | mean error in domain | out of domain | out / in |", "|---|---|---|---|---|---|"]
        worse = 0
        counted = 0
        for g in ev["test"]["by_group"]:
            ratio = g["mean_error_out"] / g["mean_error_in"] if g["n_in"] and g["n_out"] and g["mean_error_in"] > 0 else float("nan")
            if not math.isnan(ratio):
                counted += 1
                worse += ratio > 1.0
            lines.append(f"| {g['group']} | {g['n_in']} | {g['n_out']} | {_fmt(g['mean_error_in'])} | {_fmt(g['mean_error_out'])} | {_fmt(ratio, 2)} |")
        t = ev["test"]
        lines += ["", f"All datasets, errors relative to each dataset's mean: in domain {_fmt(t['mean_error_in'])}, "
                  f"out of domain {_fmt(t['mean_error_out'])}; out-of-domain error larger in {worse} of {counted} datasets.", "",
                  "| similarity | n | mean relative error |", "|---|---|---|"]
        lines += [f"| {b['from']:.1f}–{b['to']:.1f} | {b['n']} | {_fmt(b['mean_error'])} |" for b in t["by_similarity"]]
    # the metric users rely on (ROC-AUC / RMSE), per dataset, by similarity tertile and in/out
    test = data.test
    metric_ev = []
    for k, ds in enumerate(data.datasets):
        a, b = ds.task_slice
        rows = test.dataset_index == k
        ev = domain_metric_evidence(sims["test"][rows], test.y[rows, a:b], preds["test"][rows, a:b], ds.task_type, stored)
        metric_ev.append({"dataset": ds.name, **ev})
    result["metric_evidence_test"] = metric_ev
    lines += ["", f"## Test split: each dataset's own metric by similarity to the training set (stored threshold {stored:.3f})", "",
              "Tertiles = the dataset's test molecules in three equal-count similarity bins, lowest first "
              "(ROC-AUC: mean over tasks with both classes in the bin).", "",
              "| dataset | metric | low tertile (sim range, n) | middle | high | in domain (n) | out of domain (n) |",
              "|---|---|---|---|---|---|---|"]
    worse_low = worse_out = n_low = n_out = 0
    for ev in metric_ev:
        bins = ev["by_bin"]
        arrow = "↑" if ev["higher_is_better"] else "↓"
        cells = [f"{_fmt(bn['metric'])} ({bn['from']:.2f}–{bn['to']:.2f}, {bn['n']})" for bn in bins]
        cells += ["–"] * (3 - len(cells))
        lines.append(f"| {ev['dataset']} | {ev['metric']} {arrow} | " + " | ".join(cells)
                     + f" | {_fmt(ev['in']['metric'])} ({ev['in']['n']}) | {_fmt(ev['out']['metric'])} ({ev['out']['n']}) |")
        sign = 1.0 if ev["higher_is_better"] else -1.0
        if len(bins) == 3 and not (math.isnan(bins[0]["metric"]) or math.isnan(bins[2]["metric"])):
            n_low += 1
            worse_low += sign * (bins[0]["metric"] - bins[2]["metric"]) < 0
        if not (math.isnan(ev["in"]["metric"]) or math.isnan(ev["out"]["metric"])):
            n_out += 1
            worse_out += sign * (ev["out"]["metric"] - ev["in"]["metric"]) < 0
    lines += ["", f"The lowest-similarity tertile scores worse than the highest in {worse_low} of {n_low} datasets; "
              f"out-of-domain molecules score worse than in-domain ones in {worse_out} of {n_out} datasets "
              "where both sides have a defined metric (out-of-domain groups are small: see n)."]
    lines += _own_dataset_section(data, sims["test"], preds["test"], stored, result)
    lines += _uncertainty_section(data, preds["test"], spreads["test"], result)
    # the second half of the domain: each dataset's training descriptor ranges
    ranges = bundle.descriptor_ranges
    if ranges is not None:
        from drugscreen.descriptor_ranges import range_error_evidence

        if ranges.groups != ds_names:
            raise SystemExit(f"bundle's descriptor ranges are for {ranges.groups}, the rebuilt data has {ds_names}")
        range_ev = {p: range_error_evidence(ranges, getattr(data, p).desc_raw, groups[p], errs[p]) for p in ("valid", "test")}
        result["range_evidence"] = range_ev
        lines += ["", "## Descriptor ranges: held-out molecules outside their own dataset's training range", "",
                  f"A molecule is outside when one of its {len(ranges.names)} `{ranges.featurizer['name']}` descriptors "
                  "lies beyond the min–max of that dataset's training molecules (the screen's `out_of_range` column). "
                  "Raw errors as above.", "",
                  "| dataset | valid: n out of range / n | error inside | error outside | test: n out of range / n | error inside | error outside |",
                  "|---|---|---|---|---|---|---|"]
        worse = counted = 0
        for gv, gt in zip(range_ev["valid"], range_ev["test"], strict=True):
            lines.append(f"| {gt['group']} | {gv['n_out']} / {gv['n_in'] + gv['n_out']} | {_fmt(gv['mean_error_in'])} | "
                         f"{_fmt(gv['mean_error_out'])} | {gt['n_out']} / {gt['n_in'] + gt['n_out']} | "
                         f"{_fmt(gt['mean_error_in'])} | {_fmt(gt['mean_error_out'])} |")
            if gt["n_in"] and gt["n_out"]:
                counted += 1
                worse += gt["mean_error_out"] > gt["mean_error_in"]
        lines += ["", f"On test, molecules outside their dataset's range have the larger mean error in {worse} of {counted} "
                  "datasets with molecules on both sides (most have only a handful outside: see n)."]
        # how often a screening-library molecule leaves each range: HIV's test molecules (NCI compounds)
        if "hiv" in ds_names:
            lib = data.test.desc_raw[groups["test"] == ds_names.index("hiv")]
            share = ranges.outside(lib).mean(axis=0)
            result["hiv_test_share_outside"] = dict(zip(ranges.groups, share.tolist(), strict=True))
            lines += ["", f"Share of HIV's {len(lib)} test molecules (NCI screening compounds) outside each dataset's range: "
                      + ", ".join(f"{g} {x:.1%}" for g, x in zip(ranges.groups, share, strict=True))
                      + f"; outside at least one: {ranges.outside(lib).any(axis=1).mean():.1%}."]
    from drugscreen.benchmarking.records import write_evidence

    print(write_evidence(args.out, result, lines))


def _own_dataset_section(data, panel_sim: np.ndarray, pred: np.ndarray, threshold: float, result: dict) -> list[str]:
    """The screen's similarity is to the panel's whole training set (every dataset's training
    molecules): a test molecule of one dataset may be close to another dataset's molecules only.
    Here each dataset's test metric by tertile of the similarity to that dataset's own training
    molecules, beside the tertiles of the panel-wide similarity, and how many test molecules each
    similarity puts below the threshold; last, for HIV's test molecules (NCI screening compounds,
    the nearest thing here to a screening library), the share below the threshold for each
    dataset's own training set."""
    from drugscreen.domain import DatasetDomain, distinct_fingerprints, domain_metric_evidence

    train, test = data.train, data.test
    names = [d.name for d in data.datasets]
    # each dataset's own training molecules, as a bundle records them for the screen's out_of_domain_for
    own_domain = DatasetDomain(*distinct_fingerprints(train.fps, train.dataset_index, len(names)), names)
    rows_out = []
    lines = ["", "## Test split: similarity to the dataset's own training molecules against the panel-wide similarity", "",
             "The screen's `ad_similarity` is the highest ECFP4 Tanimoto similarity to any training molecule of the "
             "panel; here it is set beside the similarity to the molecule's own dataset's training part. Each "
             "dataset's test metric by tertile of either (lowest first; ROC-AUC: mean over tasks with both classes "
             f"in the bin), and the test molecules under the stored threshold {threshold:.2f} by either.", "",
             "| dataset | metric | panel-wide: low / middle / high tertile | own dataset: low / middle / high tertile "
             "| under threshold: panel-wide | own dataset | own dataset: metric at or above / under the threshold |",
             "|---|---|---|---|---|---|---|"]
    sharper = counted = worse_out = n_out = 0
    for k, ds in enumerate(data.datasets):
        a, b = ds.task_slice
        rows = test.dataset_index == k
        own = own_domain.similarity(test.fps[rows], [ds.name])[:, 0]
        y, p = test.y[rows, a:b], pred[rows, a:b]
        evs = {name: domain_metric_evidence(sim, y, p, ds.task_type, threshold)
               for name, sim in (("panel", panel_sim[rows]), ("own", own))}
        gaps = {}
        for name, ev in evs.items():
            bins = ev["by_bin"]
            sign = 1.0 if ev["higher_is_better"] else -1.0
            ok = len(bins) == 3 and not (math.isnan(bins[0]["metric"]) or math.isnan(bins[2]["metric"]))
            gaps[name] = sign * (bins[2]["metric"] - bins[0]["metric"]) if ok else float("nan")
        if not (math.isnan(gaps["panel"]) or math.isnan(gaps["own"])):
            counted += 1
            sharper += gaps["own"] > gaps["panel"]
        under = {"panel": int((panel_sim[rows] < threshold).sum()), "own": int((own < threshold).sum())}
        rows_out.append({"dataset": ds.name, "metric": evs["own"]["metric"], "n": int(rows.sum()),
                         "under_threshold": under, "high_minus_low_tertile": gaps,
                         "by_tertile": {name: ev["by_bin"] for name, ev in evs.items()}})
        tert = {name: " / ".join(_fmt(bn["metric"]) for bn in ev["by_bin"]) for name, ev in evs.items()}
        arrow = "↑" if evs["own"]["higher_is_better"] else "↓"
        own_in, own_out = evs["own"]["in"], evs["own"]["out"]
        if not (math.isnan(own_in["metric"]) or math.isnan(own_out["metric"])):
            n_out += 1
            worse_out += (1.0 if evs["own"]["higher_is_better"] else -1.0) * (own_out["metric"] - own_in["metric"]) < 0
        lines.append(f"| {ds.name} | {evs['own']['metric']} {arrow} | {tert['panel']} | {tert['own']} | "
                     f"{under['panel']} of {int(rows.sum())} | {under['own']} of {int(rows.sum())} | "
                     f"{_fmt(own_in['metric'])} ({own_in['n']}) / {_fmt(own_out['metric'])} ({own_out['n']}) |")
    lines += ["", f"The gap between the highest and lowest tertile is wider by own-dataset similarity in {sharper} of "
              f"{counted} datasets; molecules under the threshold for their own dataset (the screen's "
              f"`out_of_domain_for`) score worse than the others in {worse_out} of {n_out} datasets with a metric on "
              "both sides."]
    result["own_dataset_similarity_test"] = rows_out
    if "hiv" in names:
        lib = test.fps[test.dataset_index == names.index("hiv")]
        share = dict(zip(names, (own_domain.similarity(lib) < threshold).mean(axis=0).tolist(), strict=True))
        panel_share = float((panel_sim[test.dataset_index == names.index("hiv")] < threshold).mean())
        result["hiv_test_share_under_threshold"] = {"panel": panel_share, "own_dataset": share}
        lines += ["", f"HIV's {len(lib)} test molecules under the threshold: {panel_share:.1%} by the panel-wide similarity; "
                  "by similarity to each dataset's own training molecules: "
                  + ", ".join(f"{d} {x:.1%}" for d, x in share.items()) + "."]
    return lines


def _uncertainty_section(data, pred: np.ndarray, spread: np.ndarray, result: dict) -> list[str]:
    """Each dataset's test metric by tertile of the ensemble spread (``pred.std``), lowest spread
    last; Spearman correlation of spread and absolute error for the regressions."""
    from scipy.stats import spearmanr

    from drugscreen.domain import domain_metric_evidence

    if np.isnan(spread).all():
        return ["", "## Test split: metric by ensemble spread", "", "One-member bundle: no spread to test."]
    test = data.test
    rows_out, lines = [], ["", "## Test split: each dataset's own metric by the ensemble's spread (`<endpoint>_unc`)", "",
                           "Tertiles of the molecule's spread (standard deviation over the members, mean over the "
                           "dataset's tasks; probabilities for classification, units for regression), the most "
                           "uncertain third first. Spearman ρ: spread against absolute error, regressions only "
                           "(a classifier's spread follows its probability, so there it says little).", "",
                           "| dataset | metric | most uncertain third (spread range, n) | middle | least uncertain | Spearman ρ (spread, abs. error) |",
                           "|---|---|---|---|---|---|"]
    better = counted = 0
    for k, ds in enumerate(data.datasets):
        a, b = ds.task_slice
        rows = test.dataset_index == k
        sd = np.nanmean(spread[rows, a:b], axis=1)
        y, p = test.y[rows, a:b], pred[rows, a:b]
        # the evidence function bins on "higher = more trusted": the negated spread
        ev = domain_metric_evidence(-sd, y, p, ds.task_type, float(-np.median(sd)))
        rho = float("nan")
        if ds.task_type != "classification":
            ok = ~np.isnan(y).all(axis=1)
            err = np.nanmean(np.abs(y - p), axis=1)
            rho = float(spearmanr(sd[ok], err[ok]).statistic)
        bins = ev["by_bin"]
        rows_out.append({"dataset": ds.name, "metric": ev["metric"], "spearman_spread_abs_error": rho,
                         "by_tertile": [{**bn, "from": -bn["to"], "to": -bn["from"]} for bn in bins]})
        cells = [f"{_fmt(bn['metric'])} ({-bn['to']:.3g}–{-bn['from']:.3g}, {bn['n']})" for bn in bins]
        cells += ["–"] * (3 - len(cells))
        arrow = "↑" if ev["higher_is_better"] else "↓"
        lines.append(f"| {ds.name} | {ev['metric']} {arrow} | " + " | ".join(cells) + f" | {_fmt(rho, 2)} |")
        if len(bins) == 3 and not (math.isnan(bins[0]["metric"]) or math.isnan(bins[2]["metric"])):
            counted += 1
            sign = 1.0 if ev["higher_is_better"] else -1.0
            better += sign * (bins[2]["metric"] - bins[0]["metric"]) > 0
    result["spread_evidence_test"] = rows_out
    lines += ["", f"The least uncertain third scores better than the most uncertain third in {better} of {counted} datasets."]
    return lines


if __name__ == "__main__":
    main()
