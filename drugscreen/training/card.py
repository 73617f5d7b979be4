"""Model cards: a markdown summary rendered from a bundle's ``config.json``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from drugscreen.jsonio import number

#: Heading of the card section with each dataset's own metric by similarity to the training set
#: (written by ``benchmarks/publish_panel.py`` from ``benchmarks/domain_evidence.py``).
METRIC_EVIDENCE_HEADING = "## Applicability domain: each dataset's own metric by similarity (test)"

__all__ = ["mean_sd_text", "render_card"]



def _range_lines(dom: dict[str, Any]) -> list[str]:
    """Card lines on the descriptor ranges and their held-out evidence (none for old bundles)."""
    ranges = dom.get("descriptor_ranges")
    if not ranges:
        return []
    names = ranges.get("names", [])
    lines = ["", "### Descriptor ranges", "",
             f"Each dataset's training molecules span a range of {len(names)} `{ranges['featurizer']['name']}` descriptors "
             f"({', '.join(names[:6])}{', ...' if len(names) > 6 else ''}); a screened molecule outside a dataset's range "
             "is named in `out_of_range` with the descriptor it leaves furthest (size and composition, which the "
             "fingerprint similarity cannot see)."]
    test = dom.get("range_evidence", {}).get("test", [])
    if test:
        lines += ["", "Test molecules outside their own dataset's range (raw errors):", "",
                  "| dataset | n inside | n outside | mean error inside | mean error outside |", "|---|---|---|---|---|"]
        lines += [f"| {g['group']} | {g['n_in']} | {g['n_out']} | {_fmt(g['mean_error_in'])} | {_fmt(g['mean_error_out'])} |" for g in test]
    return lines

def _fmt(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}f}"


def mean_sd_text(entry: dict[str, Any] | None, of: int | None = None) -> str:
    """``"0.781 ± 0.012"`` from a ``{"mean", "sd", "n"}`` summary; ``"0.781 (one seed)"`` when one
    seed gave it (its sd of 0 would read as no spread); ``"–"`` when none did. With ``of`` (the
    seeds trained) larger than ``n``, the seeds whose test part could be scored are counted:
    ``"0.781 (1 of 2 seeds scored)"``."""
    if not entry or entry.get("n", 0) == 0:
        return "–"
    n = int(entry.get("n", 0))
    if of is not None and n < of:
        spread = "" if n == 1 else f" ± {_fmt(entry['sd'])}"
        return f"{_fmt(entry['mean'])}{spread} ({n} of {of} seeds scored)"
    if n == 1:
        return f"{_fmt(entry['mean'])} (one seed)"
    return f"{_fmt(entry['mean'])} ± {_fmt(entry['sd'])}"


def _auto_calibration_lines(cal: dict[str, Any]) -> list[str]:
    """For ``auto`` calibration: which calibrator each dataset got, with the log losses that chose it."""
    groups = cal.get("by_group") or {}
    if cal.get("method") != "auto" or not groups:
        return []
    names = {"platt": "Platt", "intercept": "intercept only"}
    parts = []
    for group, got in groups.items():
        pick, losses = got["method"], got.get("cv_log_loss")
        if not losses:
            parts.append(f"{group} {names.get(pick, pick)} (too few validation molecules of a class to compare)")
            continue
        others = ", ".join(f"{names.get(m, m)} {v:.1f}" for m, v in losses.items() if m != pick)
        parts.append(f"{group} {names.get(pick, pick)} ({losses[pick]:.1f} vs {others})")
    return ["", "Per dataset, Platt scaling or an intercept alone (the shift that class weighting puts on the logits), "
            "whichever had the lower log loss on validation in 5-fold cross-validation (3 repeats, summed over the "
            "dataset's tasks): " + "; ".join(parts) + "."]


def dataset_domain_lines(domain: dict[str, Any]) -> list[str]:
    """The card's sentence on each dataset's own domain (nothing for a bundle that does not
    record each training fingerprint's datasets)."""
    names = domain.get("datasets")
    if not names:
        return []
    return ["", f"Each training fingerprint's datasets are recorded ({', '.join(names)}), so the screen's "
            "`out_of_domain_for` names the datasets whose own training molecules a molecule is less similar to "
            "than the threshold: `in_domain` asks about all of them together."]


def _forest_lines(forest: dict[str, Any] | None) -> list[str]:
    """The card section on a blended fingerprint forest (nothing without one)."""
    if not forest:
        return []
    weights = ", ".join(f"{name} {w:.1f}" for name, w in forest.get("weights_by_dataset", {}).items())
    params = ", ".join(f"{k} = {v}" for k, v in forest.get("params", {}).items() if k != "datasets")
    return [
        "## Fingerprint forest blend",
        "",
        f"An ECFP4 random forest per listed dataset and seed ({params or 'defaults'}; {forest.get('n_trees')} trees, "
        f"{forest.get('n_nodes')} nodes in all) is blended into those datasets' tasks: value = w * member + (1 - w) * forest, "
        f"before calibration. Members' weight w per dataset (chosen on validation): {weights}.",
        "",
    ]


def _head_descriptor_lines(head_descriptors: dict[str, list[str]] | None) -> list[str]:
    """The card's line for descriptors that only some heads take (none: no line)."""
    if not head_descriptors:
        return []
    given = "; ".join(f"{d}: {', '.join(names)}" for d, names in head_descriptors.items())
    return [f"- Head-only inputs (past the trunk, to these datasets' heads only): {given}"]


def _standardizer_lines(std: dict[str, Any] | None, datasets: list[str] | None = None) -> list[str]:
    """The card's line on how molecules are standardized (training and screening alike);
    ``datasets`` (the training config's entries) says whether some are the user's own tables."""
    if not std:
        return []
    steps = []
    if std.get("remove_isotopes"):
        steps.append("isotope labels removed")
    if std.get("largest_fragment"):
        listed = f"listed counter-ions and solvents (list version {int(std.get('counterion_list', 1))}) dropped"
        steps.append(f"{listed}, then the largest organic fragment kept" if std.get("strip_counterions")
                     else "the largest organic fragment kept")
    for key, text in (("normalize", "functional groups normalized"),
                      ("hypervalent_oxides", "charge-separated S, Se, P and As oxides written as double bonds ([S+][O-] as S=O)"),
                      ("neutralize", "charges neutralized"),
                      ("reperceive_aromaticity", "aromaticity perceived again once neutralized"),
                      ("canonical_tautomer", "canonical tautomer")):
        if std.get(key):
            steps.append(text)
    if std.get("neutralize") and std.get("inner_salts"):
        steps.append("a permanent cation with an acid group written as its inner salt"
                     + (" (of several acid groups, the strongest, then by canonical atom rank, however written)"
                        if std.get("ranked_inner_salts") else ""))
    if std.get("neutralize") and std.get("imidates_as_amides"):
        steps.append("imidate anions ([O-]C=N, sodium barbiturates and hydantoins) protonated on nitrogen, as amides")
    steps.append(f"at most {std.get('max_heavy_atoms')} heavy atoms")
    lines = [f"- Standardization (training and screening): {'; '.join(steps)}"]
    refused = [text for key, text in (("allow_radicals", "radicals on non-metals"),
                                      ("allow_extreme_charges", "charges beyond what the models score"),
                                      ("allow_inorganic_mixtures", "inorganic salts and mixtures (no carbon, or carbon only as carbonate, cyanide, CO2, ...)"))
               if key in std and not std[key]]
    if refused:
        listed = refused[0] if len(refused) == 1 else f"{', '.join(refused[:-1])} and {refused[-1]}"
        from drugscreen.data.loaders import is_table_path

        tables = [d for d in datasets or [] if isinstance(d, str) and is_table_path(d)]
        if tables and len(tables) == len(datasets or []):
            why = "your tables' rows of these kinds were refused in training too, with their reasons"
        elif tables:
            why = ("the registered training datasets keep the few they hold, so their splits are the literature's; "
                   "your tables' rows of these kinds were refused in training, with their reasons")
        else:
            why = "the training datasets keep the few they hold, so their splits are the literature's"
        lines.append(f"- Refused when screening: {listed} ({why})")
    return lines


def _pooled_error_caveat(test: dict[str, Any], selection: dict[str, Any], extra_sections: str) -> list[str]:
    """A warning under the domain's error table when its test errors are not larger outside."""
    if not test or not test.get("n_out") or not number(test["mean_error_out"]) <= number(test["mean_error_in"]):
        return []
    where = ("the per-dataset table at the end of this card" if METRIC_EVIDENCE_HEADING in extra_sections
             else "`python benchmarks/domain_evidence.py`")
    ratio = selection.get("error_ratio")
    chosen = (f" The threshold's criterion averages the out/in ratio over datasets with at least 5 validation "
              f"molecules on each side ({ratio:.2f} at this threshold), so small datasets weigh as much as HIV."
              if isinstance(ratio, (int, float)) else "")
    return ["", f"**Read this table with care.** On test, the mean error outside the domain is not larger than "
            f"inside ({_fmt(test['mean_error_out'])} vs {_fmt(test['mean_error_in'])}): |y - p| is small for the many "
            "molecules far from the training set that are inactive and predicted inactive (HIV, Tox21), so it says "
            "little about how well they are ranked. Read each dataset's own metric (ROC-AUC, RMSE) by similarity "
            f"instead, which is where the flag can show its worth (and where it does not): see {where}.{chosen}"]


def _table_rows_lines(data: dict[str, Any]) -> list[str]:
    """How a user's table's rows became the dataset's molecules (rows left out as refused or for
    having no label, duplicates merged), for the datasets whose record has them (tables read by
    :func:`drugscreen.data.load_table`)."""
    out = []
    for name, d in data.items():
        r = d.get("rows") if isinstance(d, dict) else None
        if not r:
            continue
        n_invalid, n_dup, conflicts = r.get("n_invalid", 0), r.get("n_duplicates_merged", 0), r.get("n_labels_conflicting", 0)
        n_unlabelled = r.get("n_unlabelled", 0)
        parts = [f"{n_invalid} left out as unparsable or refused (listed in `{name}.invalid.csv` in the training output)"] * bool(n_invalid)
        parts += [f"{n_unlabelled} left out without any label (every label cell empty: not measured)"] * bool(n_unlabelled)
        left_out = "; ".join(parts) or "none left out"
        merged = f"{n_dup} duplicate row(s) (same standardized molecule) merged" + (
            f", {conflicts} disagreeing class label(s) set missing" if conflicts else "")
        out.append(f"- {name}: {r.get('n_rows')} rows read; {left_out}; {merged}; {d.get('n_molecules')} molecules")
    return ["", "Rows of the tables trained on:", "", *out] if out else []


def _duration_text(seconds: Any) -> str:
    """A training time as the card gives it: minutes, or seconds for a run under a minute
    (``0.0 min`` said nothing about a small table's run)."""
    if not isinstance(seconds, (int, float)) or math.isnan(seconds):
        return "– min"
    return f"{seconds:.1f} s" if seconds < 60 else f"{_fmt(seconds / 60, 1)} min"


def _calibration_lines(cal: dict[str, Any]) -> list[str]:
    """The calibration section's text for a bundle with classification tasks."""
    return [f"Method `{cal.get('method')}`, fitted on the validation split only (one calibrator per classification task; "
            "tasks with fewer than 3 validation positives keep the identity).", *_auto_calibration_lines(cal)]


def _per_seed_text(tcfg: dict[str, Any]) -> str:
    """What one seed's figure is: one model, or (``ensemble`` > 1) that seed's members averaged."""
    per_seed = tcfg.get("ensemble", 1)
    if not isinstance(per_seed, int) or per_seed <= 1:
        return "each seed one model"
    return f"each seed its {per_seed} members together, as an ensemble"


def render_card(bundle_dir: str | Path, extra_sections: str = "") -> str:
    """Markdown card for the bundle in ``bundle_dir`` (metrics, data, calibration, domain, command)."""
    root = Path(bundle_dir)
    cfg = json.loads((root / "config.json").read_text())
    tr = cfg.get("training", {})
    tcfg = tr.get("config", {})
    summary = cfg.get("metrics", {}).get("summary", {})
    ens = cfg.get("metrics", {}).get("ensemble", {}).get("test", {})
    lines = [f"# Model card: {cfg.get('name', root.name)}", ""]
    if cfg.get("description"):
        lines += [cfg["description"], ""]
    mp = cfg["model"]["params"]
    lines += [
        "## Model",
        "",
        f"- Architecture: `{cfg['model']['name']}` "
        + ", ".join(f"{k}={v}" for k, v in mp.items() if k in ("hidden", "depth", "dropout", "virtual_node", "pooling", "extra_dim", "head_hidden", "head_groups")),
        f"- Input: graph featurizer `{cfg['featurizer']['name']}` {cfg['featurizer'].get('params', {})}"
        + {"fingerprint": " + ECFP4 bits (hybrid)",
           "descriptors": f" + {((cfg.get('extra_features') or {}).get('featurizer') or {}).get('name', 'fast_descriptors')} (hybrid)",
           "fingerprint+descriptors": " + ECFP4 bits + fast_descriptors (hybrid)"}.get(
            (cfg.get("extra_features") or {}).get("kind"), ""),
        *_head_descriptor_lines(tcfg.get("head_descriptors")),
        *_standardizer_lines(cfg.get("standardizer"), (tr.get("config") or {}).get("dataset")),
        f"- Ensemble: {cfg['n_members']} member{'s' * (cfg['n_members'] != 1)} (seeds {cfg.get('member_seeds')}), "
        f"weights stored as {cfg.get('weights_dtype')}",
        f"- Trained with drugscreen {cfg['versions'].get('drugscreen')}, torch {cfg['versions'].get('torch')}, rdkit {cfg['versions'].get('rdkit')}",
        *([f"- Training command: `{tr['command']}`" + (f" (run in `{tr['working_dir']}`)" if tr.get("working_dir") else "")]
          if tr.get("command") else []),
        f"- Training time on this machine: {_duration_text(tr.get('train_s'))} in total "
        f"({tr.get('cpus')} CPUs, {tr.get('torch_threads')} torch threads, device {tr.get('device')}); best epochs {tr.get('member_best_epochs')}",
        "",
        f"## Test metrics (each dataset's own {cfg.get('split', {}).get('kind')} split)",
        "",
        f"Mean ± sd over seeds ({_per_seed_text(tcfg)}), and the shipped ensemble of all members.",
        "",
        "| dataset | metric | per-seed mean ± sd | ensemble | ECE before → after calibration (ensemble) |",
        "|---|---|---|---|---|",
    ]
    for name, s in summary.items():
        e = ens.get(name, {})
        if "roc_auc" in s:
            lines.append(f"| {name} | ROC-AUC | {mean_sd_text(s['roc_auc'], len(s.get('seeds') or []) or None)} | {_fmt(e.get('roc_auc'))} | {_fmt(e.get('ece_uncalibrated'))} → {_fmt(e.get('ece'))} |")
        if "rmse" in s:
            lines.append(f"| {name} | RMSE | {mean_sd_text(s.get('rmse'), len(s.get('seeds') or []) or None)} | {_fmt(e.get('rmse'))} | – |")
    lines += ["", "## Tasks", "", "| task | dataset | column | type | units | direction |", "|---|---|---|---|---|---|"]
    for t in cfg["tasks"]:
        lines.append(f"| {t['name']} | {t['dataset']} | {t['column']} | {t['type']} | {t['units']} | {t['direction']} |")
    lines += ["", "## Data", "", "| dataset | sha256 | split sha256 | train | valid | test | train removed (in another split) |", "|---|---|---|---|---|---|---|"]
    for name, d in cfg.get("data", {}).items():
        lines.append(f"| {name} | `{d['sha256'][:16]}…` | `{d['split_sha256'][:16]}…` | {d['n_train']} | {d['n_valid']} | {d['n_test']} | {d['n_train_removed_leak']} |")
    lines += _table_rows_lines(cfg.get("data", {}))
    cal = cfg.get("calibration", {})
    dom = cfg.get("domain", {})
    ev = dom.get("evidence", {})
    lines += [
        "",
        f"Split: {cfg.get('split', {}).get('kind')} 80/10/10, computed per dataset; the joint training set leaves out every molecule found in any dataset's validation or test part.",
        "",
        "## Calibration",
        "",
        *(_calibration_lines(cal) if any(t.get("type") == "classification" for t in cfg["tasks"]) else
          ["No classification task: there are no probabilities to calibrate (regression predictions are used as "
           "the model gives them)."]),
        "",
        *_forest_lines(cfg.get("forest")),
        "## Applicability domain",
        "",
        f"Max Tanimoto (ECFP4, 2048 bits) to the {dom.get('n_train_fps')} distinct training fingerprints. "
        f"Threshold **{_fmt(dom.get('threshold'), 3)}**, chosen on validation ({dom.get('selection', {}).get('method')}).",
        *dataset_domain_lines(dom),
        "",
        f"Error = {ev.get('error', '')}.",
        "",
        "| split | n in | n out | mean error in domain | mean error out of domain |",
        "|---|---|---|---|---|",
    ]
    for p in ("valid", "test"):
        e = ev.get(p, {})
        if e:
            lines.append(f"| {p} | {e['n_in']} | {e['n_out']} | {_fmt(e['mean_error_in'])} | {_fmt(e['mean_error_out'])} |")
    relative = ev.get("test", {}).get("relative_to_group_mean", False)
    if relative:
        lines += ["", "Errors in the table above and the bins below are relative to each dataset's mean error "
                  "(1.0 = that dataset's average), so in and out of domain are compared within datasets."]
    lines += _pooled_error_caveat(ev.get("test", {}), dom.get("selection", {}), extra_sections or "")
    bins = ev.get("test", {}).get("by_similarity", [])
    if bins:
        lines += ["", "Test error by similarity bin:", "", "| similarity | n | mean error |", "|---|---|---|"]
        lines += [f"| {b['from']:.1f}–{b['to']:.1f} | {b['n']} | {_fmt(b['mean_error'])} |" for b in bins]
    groups = ev.get("test", {}).get("by_group", [])
    if groups:
        lines += ["", "Test error per dataset (raw errors):", "",
                  "| dataset | n in | n out | mean error in domain | mean error out of domain | out / in |", "|---|---|---|---|---|---|"]
        for g in groups:
            ratio = g["mean_error_out"] / g["mean_error_in"] if g["n_in"] and g["n_out"] and g["mean_error_in"] > 0 else float("nan")
            lines.append(f"| {g['group']} | {g['n_in']} | {g['n_out']} | {_fmt(g['mean_error_in'])} | {_fmt(g['mean_error_out'])} | {_fmt(ratio, 2)} |")
    lines += _range_lines(dom)
    lines += ["", "## Training configuration", "", "```json", json.dumps(tcfg, indent=1), "```", ""]
    if extra_sections:
        lines += [extra_sections, ""]
    return "\n".join(lines)
