"""The screening report: one self-contained HTML file that opens offline.

Everything is inline: CSS, the molecule drawings (RDKit ``MolDraw2DSVG``), and the
per-endpoint histograms (SVG drawn here). There are no scripts, fonts, images or styles
fetched from anywhere, so the file renders the same from an e-mail attachment, a shared
drive or an air-gapped laptop.

Sections: run summary; the top-N molecules as a grid (drawing, rank, id, score, key
endpoints, PAINS and Brenk alerts named by catalog, why a filter set the score to 0); one
histogram per endpoint (plus QED and score); invalid rows with the reason (first 1000).

Check the rendering with headless Chromium (Debian package ``chromium``)::

    chromium --headless --no-sandbox --disable-gpu --window-size=1280,2000 \\
        --screenshot=report.png file://$PWD/report.html
"""

from __future__ import annotations

import datetime as _dt
import html
import logging
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from drugscreen.exceptions import InputFormatError

if TYPE_CHECKING:
    import pandas as pd

    from drugscreen.screening.run import RunSummary
    from drugscreen.screening.screener import Screener

__all__ = ["check_report_path", "mol_svg", "histogram_svg", "write_report", "render_report"]

logger = logging.getLogger(__name__)

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;margin:24px;color:#1d2430;background:#fff}
h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid #dde3ea;padding-bottom:4px}
.muted{color:#5f6b7a;font-size:13px}
table.summary td{padding:2px 14px 2px 0;font-size:14px;vertical-align:top} table.summary td:first-child{color:#5f6b7a}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:12px}
.card{border:1px solid #dde3ea;border-radius:8px;padding:8px;background:#fafbfc}
.card svg{display:block;margin:0 auto;background:#fff;border-radius:4px}
.card .head{display:flex;justify-content:space-between;font-weight:600;font-size:14px;margin-bottom:4px}
.card .id{font-size:12px;color:#5f6b7a;overflow-wrap:anywhere}
.card table{font-size:12px;width:100%;border-collapse:collapse} .card td{padding:1px 2px} .card td.v{text-align:right;font-variant-numeric:tabular-nums}
.alert{display:inline-block;background:#fde8e6;color:#8a1c12;border-radius:3px;padding:0 4px;margin:1px;font-size:11px}
.ood{display:inline-block;background:#fff3cd;color:#7a5a00;border-radius:3px;padding:0 4px;font-size:11px}
.note{font-size:11px;color:#8a1c12;font-weight:600;margin:2px 0}
.hists{display:grid;grid-template-columns:repeat(auto-fill,minmax(270px,1fr));gap:10px}
.hist{border:1px solid #dde3ea;border-radius:6px;padding:6px}
.hist .t{font-size:13px;font-weight:600;margin-bottom:2px;overflow-wrap:anywhere}
table.invalid{border-collapse:collapse;font-size:13px} table.invalid td,table.invalid th{border:1px solid #dde3ea;padding:3px 6px;text-align:left;vertical-align:top}
table.invalid td.smi{font-family:ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere;max-width:360px}
"""


def _esc(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


#: Characters of an invalid row's input or reason shown in the report (the output has them whole).
_MAX_CELL = 200


def _clip(value: Any, limit: int = _MAX_CELL) -> str:
    """``value`` escaped, cut to ``limit`` characters with a note of its full length: a long
    SMILES (and RDKit's reason, which quotes it) would otherwise make the page grow with it."""
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    if len(text) <= limit:
        return _esc(text)
    return _esc(text[:limit]) + f'<span class="muted">&hellip; ({len(text):,} characters, whole in the output)</span>'


def _fmt(value: Any, digits: int = 3) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return _esc(value)
    if math.isnan(v):
        return "–"
    return f"{v:.{digits}f}" if abs(v) < 1000 else f"{v:.0f}"


#: Decimals of a property on a card where the default 3 would misstate it: counts are whole
#: numbers ("hbd 2", not "2.000"), TPSA has 2 decimals in the output.
_CARD_DIGITS = {"hbd": 0, "hba": 0, "rotatable_bonds": 0, "lipinski_violations": 0, "permanent_charges": 0, "acidic_groups": 0,
                "tpsa": 2}


def _spread_text(unc: Any, digits: int) -> str:
    """`` ± spread`` with the value's ``digits`` decimals, ``"< 0.001"`` for a spread that would
    round to 0 (a 2-decimal "± 0.00" read as no spread at all), ``""`` for none (0, NaN)."""
    try:
        u = float(unc)
    except (TypeError, ValueError):
        return ""
    if math.isnan(u) or u <= 0:
        return ""
    step = 10.0**-digits
    return f" ± < {step:.{digits}f}" if u < step / 2 else f" ± {_fmt(u, digits)}"


def mol_svg(smiles: str, width: int = 220, height: int = 160) -> str:
    """An inline SVG drawing of ``smiles`` (an empty box when it cannot be drawn)."""
    from rdkit import Chem, rdBase
    from rdkit.Chem.Draw import rdMolDraw2D

    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles) if smiles else None
    if mol is None:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"></svg>'
    drawer = rdMolDraw2D.MolDraw2DSVG(width, height)
    opts = drawer.drawOptions()
    opts.clearBackground = False
    try:
        rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol)
    except Exception:  # RDKit drawing can fail on exotic valences; show the box only
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"></svg>'
    drawer.FinishDrawing()
    svg = drawer.GetDrawingText()
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def histogram_svg(edges: np.ndarray, counts: np.ndarray, width: int = 260, height: int = 120) -> str:
    """A small bar chart of ``counts`` over ``edges`` with the axis range labelled."""
    counts = np.asarray(counts, dtype=float)
    pad_l, pad_b, pad_t = 6, 18, 16  # the top margin holds the count label, clear of the bars
    w, h = width - 2 * pad_l, height - pad_b - pad_t
    top = counts.max() if counts.size and counts.max() > 0 else 1.0
    bw = w / max(len(counts), 1)
    bars = []
    for i, c in enumerate(counts):
        bh = h * c / top
        x = pad_l + i * bw
        y = pad_t + h - bh
        label = f"{edges[i]:.3g} to {edges[i + 1]:.3g}: {int(c)}"
        bars.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bw - 1, 1):.1f}" height="{bh:.1f}" fill="#4a78b5"><title>{_esc(label)}</title></rect>'
        )
    axis = f'<line x1="{pad_l}" y1="{pad_t + h}" x2="{pad_l + w}" y2="{pad_t + h}" stroke="#8895a7" stroke-width="1"/>'
    labels = (
        f'<text x="{pad_l}" y="{height - 4}" font-size="10" fill="#5f6b7a">{_esc(f"{edges[0]:.3g}")}</text>'
        f'<text x="{pad_l + w}" y="{height - 4}" font-size="10" fill="#5f6b7a" text-anchor="end">{_esc(f"{edges[-1]:.3g}")}</text>'
        f'<text x="{pad_l + w}" y="{pad_t - 5}" font-size="10" fill="#5f6b7a" text-anchor="end">tallest bar: {int(top)} molecules</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">'
        + "".join(bars)
        + axis
        + labels
        + "</svg>"
    )


def _key_columns(screener: Screener) -> list[tuple[str, str]]:
    """(label, column) of the values shown on each card: the profile's objectives (endpoints and
    properties such as ``mw``), else the first endpoints."""
    from drugscreen.screening.screener import PROFILE_PROPERTIES

    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    showable = {e.column for e in screener.endpoints} | set(PROFILE_PROPERTIES)
    for obj, cols in getattr(screener, "_resolved", []):
        shown = [c for c in cols if c in showable]
        if len(shown) == 1 and shown[0] not in seen:
            out.append((shown[0], shown[0]))
            seen.add(shown[0])
        elif len(shown) > 1:
            label = f"{obj.endpoint} ({obj.combine})"
            out.append((label, "|".join(shown)))
    if not out:  # no profile objective to show: the first endpoints
        out = [(e.column, e.column) for e in screener.endpoints[:8]]
    elif len(screener.endpoints) < len(screener.all_endpoints):
        # endpoints asked for by name (--endpoints bbbp) are shown even where the profile scores others
        shown = {c for _, spec in out for c in spec.split("|")}
        out += [(e.column, e.column) for e in screener.endpoints if e.column not in shown]
    return out[:10]


def _card_ranges(text: str, datasets: set[str]) -> str:
    """The parts of an ``out_of_range`` text that name a dataset in ``datasets`` (those behind
    a card's values), and the inorganic note; ``""`` when none. The column keeps them all."""
    keep = []
    for part in text.split("; "):
        head, _, message = part.partition(": ")
        if head == "inorganic":
            keep.append(part)
            continue
        named = [g for g in head.split(", ") if g in datasets]
        if named:
            keep.append(f"{', '.join(named)}: {message}")
    return "; ".join(keep)


def _card_far(text: str, datasets: set[str]) -> str:
    """The parts of an ``out_of_domain_for`` text that name a dataset in ``datasets`` (those
    behind a card's values; all of them when the card shows none); ``""`` when none."""
    if not datasets:
        return text
    keep = []
    for part in text.split("; "):
        head, _, sim = part.rpartition(" ")
        named = [g for g in head.split(", ") if g in datasets]
        if named:
            keep.append(f"{', '.join(named)} {sim}")
    return "; ".join(keep)


def _card_value(row: pd.Series, spec: str, combine: str) -> float:
    cols = spec.split("|")
    vals = [float(row[c]) for c in cols if c in row.index and row[c] is not None and not (isinstance(row[c], float) and math.isnan(row[c]))]
    if not vals:
        return float("nan")
    if len(vals) == 1:
        return vals[0]
    return {"max": max(vals), "min": min(vals)}.get(combine, sum(vals) / len(vals))


def _domain_rows(domain: dict[str, Any] | None, n_valid: int) -> list[tuple[str, str]]:
    """Summary rows: how many scored molecules lie outside either half of the domain."""
    if not domain or n_valid <= 0:
        return []

    def share(n: int) -> str:
        return f"{n:,} ({n / n_valid:.0%})"

    rows = [("Outside the fingerprint domain", f"{share(domain['out_of_domain'])}; column in_domain = false")]
    by = {k: v for k, v in domain.get("by_dataset", {}).items() if v}
    if by or domain.get("out_of_range"):
        detail = ", ".join(f"{k} {share(v)}" for k, v in sorted(by.items(), key=lambda kv: -kv[1]))
        rows.append(("Beyond a training set's descriptor range",
                     f"{share(domain['out_of_range'])} beyond at least one; by training set: {detail}; column out_of_range"))
    far = {k: v for k, v in domain.get("far_by_dataset", {}).items() if v}
    if far:
        detail = ", ".join(f"{k} {share(v)}" for k, v in sorted(far.items(), key=lambda kv: -kv[1]))
        rows.append(("Far from a training set's own molecules",
                     f"{share(domain.get('far', 0))} under the similarity threshold for at least one; by training set: "
                     f"{detail}; column out_of_domain_for"))
    return rows


def _profile_text(prof: Any) -> str:
    """The summary's profile line. A profile file is named: a copy of a shipped profile
    (``profiles show default > mine.toml``, then edited) keeps ``name = "default"``, and the
    report must not pass the edited scoring off as the shipped one."""
    if prof is None:
        return "none (no score)"
    head = prof.name if prof.shipped or not prof.source else f"{prof.name} (file {prof.source})"
    return f"{head}: {prof.description}" if prof.description else head


def _filters_text(prof: Any) -> str:
    """The summary's filters line: what set a score to 0 or scaled it, read from the profile
    itself (a profile file's description says whatever its author left there)."""
    zero = []
    if prof.exclude_pains:
        zero.append("a PAINS alert")
    if prof.exclude_brenk:
        zero.append("a Brenk alert")
    if prof.exclude_alerts:
        zero.append("the alert" + ("s " if len(prof.exclude_alerts) > 1 else " ") + ", ".join(prof.exclude_alerts))
    if prof.max_lipinski_violations is not None:
        n = prof.max_lipinski_violations
        zero.append(f"more than {n} Lipinski violation{'' if n == 1 else 's'}")
    if prof.min_mw is not None:
        zero.append(f"MW under {prof.min_mw:g} g/mol")
    parts = [f"score 0 for {', '.join(zero)}"] if zero else []
    if prof.out_of_domain_penalty < 1.0:
        parts.append(f"score × {prof.out_of_domain_penalty:g} outside the applicability domain")
    if prof.out_of_own_domain_weight < 1.0:
        parts.append(
            "an objective left out where its endpoint's own training dataset does not cover the molecule"
            if prof.out_of_own_domain_weight == 0.0
            else f"an objective's weight × {prof.out_of_own_domain_weight:g} where its endpoint's own training "
            "dataset does not cover the molecule (out_of_domain_for)"
        )
    return "; ".join(parts) or "none"


def render_report(
    summary: RunSummary,
    screener: Screener,
    top: pd.DataFrame | None,
    histograms: dict[str, tuple[np.ndarray, np.ndarray]],
    invalid: list[dict[str, Any]],
    n_invalid: int,
    domain: dict[str, Any] | None = None,
) -> str:
    """The report's HTML text (see :func:`write_report`)."""
    from drugscreen._version import __version__

    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rate = summary.molecules_per_second
    prof = screener.profile
    rows = [
        ("Input", summary.input),
        ("Output", summary.output),
        ("Molecules", f"{summary.rows:,} ({summary.valid:,} scored, {summary.invalid:,} invalid)"),
        ("Panel", f"{screener.bundle.name} ({len(screener.all_endpoints)} endpoints, {len(screener.endpoints)} in the output)"),
        ("Profile", _profile_text(prof)),
        *([("Filters", _filters_text(prof))] if prof is not None else []),
        ("Time", f"{summary.seconds:.1f} s" + (f" ({rate:,.{1 if rate < 10 else 0}f} molecules/s)" if rate > 0 else "")),
        ("Generated", f"{now} by drugscreen {__version__}"),
    ]
    if summary.resumed_rows:
        rows.insert(3, ("Resumed", f"after {summary.resumed_rows:,} rows"))
    rows[-2:-2] = _domain_rows(domain, summary.valid)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>drugscreen report: {_esc(Path(summary.input).name)}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>drugscreen screening report</h1>",
        f'<div class="muted">{_esc(Path(summary.input).name)}</div>',
        "<h2>Run summary</h2>",
        '<table class="summary">' + "".join(f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>" for k, v in rows) + "</table>",
    ]
    # top-N grid
    keys = _key_columns(screener)
    combine = {f"{o.endpoint} ({o.combine})": o.combine for o, _ in getattr(screener, "_resolved", [])}
    if top is None or not len(top):
        parts.append("<h2>Top molecules</h2>")
        if not summary.valid:
            parts.append('<p class="muted">No scored molecules.</p>')
        elif prof is None:
            parts.append(f'<p class="muted">{summary.valid:,} molecules scored; without a profile none is ranked.</p>')
        else:  # --top 0: the molecules were scored and ranked, only none was asked for here
            parts.append(
                f'<p class="muted">None shown (--top 0); the {summary.valid:,} scored molecules are in the output '
                "with their score and rank.</p>"
            )
    else:
        parts.append(f"<h2>Top {len(top)} molecules</h2>")
        parts.append(
            '<p class="muted">Ranked by the profile score (1 = best). Probabilities are 0&ndash;1; '
            "regression values are in the units of their column name. Unc = ensemble spread.</p>"
        )
        cards = []
        # the training ranges a card speaks of: the datasets of the endpoints it shows (all of
        # them when it shows none: a profile of properties alone)
        by_column = {e.column: e.dataset for e in screener.endpoints}
        card_datasets = {by_column[c] for _, spec in keys for c in spec.split("|") if c in by_column}
        # why a profile filter set a card's score to 0 (a PAINS hit, min_mw, Lipinski)
        notes = prof.filter_notes(top) if prof is not None else [[] for _ in range(len(top))]
        penalty = prof.out_of_domain_penalty if prof is not None else 1.0
        for (_, row), row_notes in zip(top.iterrows(), notes, strict=True):
            smi = str(row.get("smiles_std", "") or "")
            cells = []
            for label, spec in keys:
                v = _card_value(row, spec, combine.get(label, "mean"))
                unc = row.get(f"{spec}_unc") if "|" not in spec else None
                digits = _CARD_DIGITS.get(spec, 3)
                unc_txt = _spread_text(unc, digits)
                cells.append(f'<tr><td>{_esc(label)}</td><td class="v">{_fmt(v, digits)}{_esc(unc_txt)}</td></tr>')
            if "qed" not in {spec for _, spec in keys}:
                cells.append(f'<tr><td>qed</td><td class="v">{_fmt(row.get("qed"))}</td></tr>')
            # each chip names its catalog: a profile may exclude PAINS hits and keep Brenk ones
            alerts = [
                f"{catalog}: {a}"
                for catalog, col in (("PAINS", "alerts_pains"), ("Brenk", "alerts_brenk"))
                for a in str(row.get(col, "") or "").split(";")
                if a
            ]
            alert_html = "".join(f'<span class="alert">{_esc(a)}</span>' for a in alerts[:6])
            if len(alerts) > 6:
                alert_html += f'<span class="muted"> +{len(alerts) - 6}</span>'
            ood = (
                ""
                if bool(row.get("in_domain", True))
                else '<span class="ood">outside applicability domain'
                + (f" (score &times; {penalty:g})" if penalty < 1.0 else "")
                + "</span>"
            )
            beyond = str(row.get("out_of_range", "") or "")
            if card_datasets:
                beyond = _card_ranges(beyond, card_datasets)
            if beyond:
                ood += f'<span class="ood" title="outside these training sets\' descriptor range">beyond training range: {_esc(beyond)}</span>'
            far = _card_far(str(row.get("out_of_domain_for", "") or ""), card_datasets)
            if far:
                ood += (f'<span class="ood" title="less similar to each of these training sets\' own molecules than the '
                        f'domain threshold (ECFP4 Tanimoto)">far from training molecules: {_esc(far)}</span>')
            cards.append(
                '<div class="card">'
                f'<div class="head"><span>#{_esc(row.get("rank"))}</span><span>score {_fmt(row.get("score"))}</span></div>'
                f'<div class="id">{_esc(row.get("id"))}</div>'
                f"{mol_svg(smi)}"
                f"<table>{''.join(cells)}</table>"
                + "".join(f'<div class="note">{_esc(n)}</div>' for n in row_notes)
                + f"<div>{alert_html}{ood}</div>"
                "</div>"
            )
        parts.append('<div class="grid">' + "".join(cards) + "</div>")
    # histograms
    parts.append("<h2>Distributions</h2>")
    if histograms and summary.valid:
        units = {e.column: (e.units if e.type == "regression" else "probability") for e in screener.endpoints}
        units.update({"qed": "QED 0–1", "score": "profile score 0–1"})
        blocks = []
        for col, (edges, counts) in histograms.items():
            blocks.append(
                f'<div class="hist"><div class="t">{_esc(col)} <span class="muted">{_esc(units.get(col, ""))}</span></div>'
                f"{histogram_svg(edges, counts)}</div>"
            )
        parts.append('<div class="hists">' + "".join(blocks) + "</div>")
    else:
        parts.append('<p class="muted">No values.</p>')
    # invalid rows
    parts.append(f"<h2>Invalid rows ({n_invalid:,})</h2>")
    if not invalid:
        parts.append('<p class="muted">None: every row was scored.</p>')
    else:
        if n_invalid > len(invalid):
            parts.append(f'<p class="muted">The first {len(invalid):,} are listed; all are in the output with valid = false.</p>')
        trs = "".join(
            f'<tr><td>{r["row"]}</td><td>{_clip(r.get("id"))}</td><td class="smi">{_clip(r.get("smiles"))}</td><td>{_clip(r.get("error"))}</td></tr>'
            for r in invalid
        )
        parts.append('<table class="invalid"><tr><th>row (0-based)</th><th>id</th><th>input</th><th>reason</th></tr>' + trs + "</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


#: Suffixes of the report file: it is one HTML page, whatever it is named.
REPORT_SUFFIXES = (".html", ".htm")


def check_report_path(path: str | Path) -> Path:
    """Check, before a run starts, that the report can be written at ``path``.

    Raises
    ------
    InputFormatError
        ``path`` is a folder, its folder does not exist, or it is not named ``.html`` (the
        report is an HTML page: named ``report.png`` or ``report.pdf`` it would not open as
        one); or it cannot be written (:func:`drugscreen.io.check_writable`: a folder one may
        not write in, an immutable file).
    """
    from drugscreen.io import check_writable

    target = Path(path)
    if target.suffix.lower() not in REPORT_SUFFIXES:
        raise InputFormatError(
            f"the report is an HTML page; name it .html, not {target.suffix or '(no suffix)'} ({target})"
        )
    if target.is_dir():
        raise InputFormatError(f"the report {target} is a folder; give a file name such as {target / 'report.html'}")
    if not target.parent.is_dir():
        raise InputFormatError(f"the report's folder {target.parent} does not exist")
    check_writable(path, "the report ")  # a folder one may not write in, an immutable file
    return target


def write_report(
    path: str | Path,
    summary: RunSummary,
    screener: Screener,
    top: pd.DataFrame | None,
    histograms: dict[str, tuple[np.ndarray, np.ndarray]],
    invalid: list[dict[str, Any]],
    n_invalid: int,
    domain: dict[str, Any] | None = None,
) -> Path:
    """Write the report atomically (temporary file, then rename).

    ``domain``: counts of valid molecules outside the applicability domain
    (``{"out_of_domain", "out_of_range", "by_dataset": {dataset: n}}``), shown in the summary.
    """
    from drugscreen.io import hidden_sibling_name, written_path

    text = render_report(summary, screener, top, histograms, invalid, n_invalid, domain)
    target = Path(path)
    dest = Path(written_path(target))  # a symbolic link stays one: the file it points to is written
    tmp = dest.with_name(hidden_sibling_name(dest.name, ".tmp"))
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, dest)
    except OSError as exc:  # a missing folder, no permission, a full disk: one line, not a traceback
        tmp.unlink(missing_ok=True)
        raise InputFormatError(f"cannot write the report {target}: {exc.strerror or exc}") from exc
    logger.info("report written to %s", target)
    return target
