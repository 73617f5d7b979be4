"""Writing a repurposing result: the table (csv/tsv/parquet) and a self-contained HTML report.

The HTML page embeds every structure as inline SVG drawn by RDKit (no scripts, no CDN, no
network): the top drugs beside their nearest known ligand, the scores and their evidence, the
toxicity columns when present, the query (target, ligands, fusion weights) and the library
entries that could not be parsed.
"""

from __future__ import annotations

import html
import logging
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drugscreen.exceptions import InputFormatError
from drugscreen.repurposing.repurposer import RANKING_TEXT_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["check_output_paths", "mol_svg", "render_report", "write_report", "write_table"]

logger = logging.getLogger(__name__)

#: Ligand rows and library entries listed in the report (the page stays small for a large file).
_MAX_LISTED = 200
#: Known actives drawn in the report (the rest are counted in its heading).
_MAX_DRAWN_LIGANDS = 24

#: Suffixes of the report (an HTML page).
REPORT_SUFFIXES = (".html", ".htm")


def _table_kind(path: Path) -> str:
    """The table suffix of ``path`` (``.csv``, ``.tsv``, ``.txt``, ``.parquet``; a ``.gz`` after
    it is allowed).

    Raises
    ------
    InputFormatError
        Any other suffix, and ``.parquet.gz``: Parquet compresses itself, and the file written
        under that name was a plain Parquet file, which gzip and pandas' ``.gz`` reading refuse.
    """
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    kind = suffixes[-2] if gz and len(suffixes) > 1 else (suffixes[-1] if suffixes else "")
    if kind not in (".csv", ".tsv", ".txt", ".parquet"):
        raise InputFormatError(f"{path}: write the ranking as .csv, .tsv, .txt (tab-separated) or .parquet")
    if gz and kind == ".parquet":
        raise InputFormatError(f"{path}: Parquet output is already compressed; drop the .gz suffix")
    return kind


def _check_writable(path: Path, what: str) -> None:
    if path.is_dir():
        raise InputFormatError(f"the {what} {path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise InputFormatError(f"the {what}'s folder {path.parent} does not exist")


def check_output_paths(
    output: str | Path | None = None, report: str | Path | None = None, inputs: tuple[str | Path | None, ...] = ()
) -> None:
    """Check, before a ranking starts, that its table and report can be written where asked.

    Parameters
    ----------
    output
        The ranking table (see :func:`write_table`), or None.
    report
        The HTML report (see :func:`write_report`), or None.
    inputs
        The run's input files (library, ligands, FASTA; None and ``"approved"`` are skipped):
        neither output may replace one of them.

    Raises
    ------
    InputFormatError
        An unsupported suffix (so the table and the report, ``.html``, are never one file), a
        folder, a missing folder, or an output that is one of the inputs.
    """
    from drugscreen.io import same_file

    files = [Path(p) for p in inputs if p is not None and str(p) != "approved" and Path(p).is_file()]
    for path, what in ((output, "output"), (report, "report")):
        if path is None:
            continue
        path = Path(path)
        if what == "output":
            _table_kind(path)
        elif path.suffix.lower() not in REPORT_SUFFIXES:
            raise InputFormatError(f"the report is an HTML page; name it .html, not {path.suffix or '(no suffix)'} ({path})")
        _check_writable(path, what)
        for src in files:
            if same_file(src, path):
                raise InputFormatError(f"refusing to write the {what} over the input file {src}")


#: Prefix of the toxicity panel's text columns (its structural alerts), "" when none.
_ALERT_PREFIX = "tox_alerts_"


def _empty_text_not_null(ranked: pd.DataFrame) -> pd.DataFrame:
    """``ranked`` with the nulls of :data:`RANKING_TEXT_COLUMNS` (and the panel's alert columns)
    as ``""``: the rows of unparsed entries left them null beside the ``""`` of scored ones, so a
    Parquet reader had to test for both. Numbers stay missing (NaN/null), not zero."""
    cols = [c for c in ranked.columns if c in RANKING_TEXT_COLUMNS or str(c).startswith(_ALERT_PREFIX)]
    fix = [c for c in cols if ranked[c].isna().any()]
    if not fix:
        return ranked
    out = ranked.copy()
    for c in fix:
        out[c] = out[c].fillna("")
    return out


def write_table(ranked: pd.DataFrame, path: str | Path) -> Path:
    """Write the ranking as csv, tsv or txt (tab-separated; ``.gz`` allowed) or parquet (not
    ``.parquet.gz``: Parquet compresses itself), by the file suffix. An empty text cell of the ranker's columns (:data:`RANKING_TEXT_COLUMNS`) is
    ``""`` in Parquet too, never null.

    Raises
    ------
    InputFormatError
        An unsupported suffix, or a path whose folder does not exist (or that is a folder).
    """
    path = Path(path)
    kind = _table_kind(path)
    _check_writable(path, "output")
    if kind == ".parquet":
        _empty_text_not_null(ranked).to_parquet(path, index=False)
        return path
    from drugscreen.io import escape_csv_injection

    # .txt is tab-separated, as drugscreen screen writes it
    escape_csv_injection(ranked.copy()).to_csv(path, sep="\t" if kind in (".tsv", ".txt") else ",", index=False)
    return path


def mol_svg(smiles: str, size: tuple[int, int] = (260, 190)) -> str:
    """Inline SVG drawing of a molecule (an empty string when it cannot be parsed or drawn)."""
    from rdkit import Chem, rdBase
    from rdkit.Chem.Draw import rdMolDraw2D

    if not isinstance(smiles, str) or not smiles:
        return ""
    with rdBase.BlockLogs():  # the table has the molecule's error; no RDKit lines on stderr
        mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return ""
    drawer = rdMolDraw2D.MolDraw2DSVG(*size)
    drawer.drawOptions().clearBackground = False
    try:
        rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol)
    except Exception as exc:  # RDKit drawing can fail on exotic valences: no drawing, not a lost report
        logger.warning("cannot draw %s in the report: %s", smiles, exc)
        return ""
    drawer.FinishDrawing()
    svg = drawer.GetDrawingText()
    return svg[svg.find("<svg") :]  # drop the XML declaration


def _fmt(v: Any, digits: int = 3) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.{digits}f}"
    return html.escape(str(v))


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:6px;vertical-align:top;text-align:left;font-size:.9em}
th{background:#f4f4f4}.small{color:#666;font-size:.85em}.mol svg{width:260px;height:190px}
.num{font-variant-numeric:tabular-nums;white-space:nowrap}.tox{font-size:.8em;color:#444}
"""


def _number(v: Any) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return math.nan
    return x


def _tox_summary(row: pd.Series, tox_cols: list[str]) -> list[str]:
    """A drug's toxicity panel in a few lines (HTML): the worst Tox21 assay, ClinTox CT_TOX, the
    mean and worst SIDER organ class, each with its ensemble spread, and any structural alerts;
    every ``tox_*`` value stays in the CSV. Other panels' endpoints are listed as they come."""
    values = {c[4:]: _number(row.get(c)) for c in tox_cols if not c.endswith("_unc") and not c.startswith("tox_alerts_")}
    unc = {c[4:-4]: _number(row.get(c)) for c in tox_cols if c.endswith("_unc")}

    def item(label: str, name: str) -> str:
        spread = unc.get(name, math.nan)
        return f"{html.escape(label)} {_fmt(values[name], 2)}" + ("" if math.isnan(spread) else f" &plusmn; {_fmt(spread, 2)}")

    lines: list[str] = []
    shown: set[str] = set()
    for prefix, label in (("tox21_", "Tox21"), ("sider_", "SIDER")):
        group = {k: v for k, v in values.items() if k.startswith(prefix) and not math.isnan(v)}
        if not group:
            continue
        worst = max(group, key=lambda k: group[k])
        if prefix == "sider_":
            lines.append(f"SIDER mean {_fmt(sum(group.values()) / len(group), 2)} ({len(group)} organ classes)")
        lines.append(item(f"{label} worst: {worst[len(prefix):]}", worst))
        shown |= set(k for k in values if k.startswith(prefix))
    for name, label in (("clintox_ct_tox", "ClinTox CT_TOX"),):
        if name in values:
            lines.append(item(label, name))
            shown.add(name)
    lines += [item(k, k) for k in values if k not in shown and k != "clintox_fda_approved"]
    for c in tox_cols:
        text = row.get(c)
        if c.startswith("tox_alerts_") and isinstance(text, str) and text:
            lines.append(f"{html.escape(c[len('tox_alerts_'):].upper())}: {html.escape(text)}")
    return lines


def render_report(ranked: pd.DataFrame, top: int = 25, title: str = "drugscreen repurposing report") -> str:
    """The HTML text of the report for a :meth:`Repurposer.rank` result."""
    from drugscreen import __version__

    attrs = ranked.attrs
    rows = ranked[ranked["rank"].notna()].head(top) if "rank" in ranked else ranked.head(top)
    tox_cols = [c for c in ranked.columns if c.startswith("tox_")]
    id_col = attrs.get("id_column", "chembl_id")
    out = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<p class='small'>",
        f"Target: {html.escape(str(attrs.get('target') or '(no sequence given)'))} &middot; ",
        f"library: {html.escape(str(attrs.get('library', '')))} &middot; ",
        f"known actives: {attrs.get('n_actives', 0)}"
        + (f" (inactives: {attrs['n_inactives']})" if attrs.get("n_inactives") else "")
        + " &middot; ",
        "components and fusion weights: "
        + html.escape(", ".join(f"{k} {v:g}" for k, v in attrs.get("weights", {}).items()))
        + f" &middot; drugscreen {html.escape(__version__)}</p>",
        "<p class='small'>Score: weighted mean of each component's percentile rank among the library's molecules "
        "(higher = better, 0.5 = the library's median; relative to this library: the predicted pKd and the "
        "similarities are the absolute evidence). Library drugs that are among the given actives are listed first. "
        "Uncertainty: spread of the component (and ensemble member) ranks. These are hypotheses to test, "
        "not evidence of activity.</p>",
        "<table><thead><tr><th>#</th><th>drug</th><th>structure</th><th>nearest known ligand</th>"
        "<th>score</th><th>evidence</th>" + ("<th>toxicity panel</th>" if tox_cols else "") + "</tr></thead><tbody>",
    ]
    for _, r in rows.iterrows():
        near = ""
        if "nearest_ligand_smiles" in rows.columns and isinstance(r.get("nearest_ligand_smiles"), str):
            near = (
                f"<div class='mol'>{mol_svg(r['nearest_ligand_smiles'])}</div>"
                f"<div>{_fmt(r.get('nearest_ligand'))}<br><span class='small'>ECFP4 Tanimoto "
                f"{_fmt(r.get('nearest_ligand_similarity'), 2)}</span></div>"
            )
        year = r.get("first_approval")
        year_txt = "" if year is None or (isinstance(year, float) and math.isnan(year)) or str(year) == "<NA>" else f" ({year})"
        score = f"{_fmt(r.get('score'))} &plusmn; {_fmt(r.get('uncertainty'))}<br><span class='small'>percentile {_fmt(r.get('percentile'), 1)}</span>"
        if "pred_pkd" in rows.columns:
            score += f"<br><span class='small'>pred. pKd {_fmt(r.get('pred_pkd'), 2)} &plusmn; {_fmt(r.get('pred_pkd_sd'), 2)}</span>"
        forms = r.get("other_forms")
        forms_txt = f"<br><span class='small'>also: {_fmt(forms)}</span>" if isinstance(forms, str) and forms else ""
        tox = f"<td class='tox'>{'<br>'.join(_tox_summary(r, tox_cols))}</td>" if tox_cols else ""
        out.append(
            f"<tr><td class='num'>{_fmt(r.get('rank'))}</td>"
            f"<td><b>{_fmt(r.get('name'))}</b><br><span class='small'>{_fmt(r.get(id_col))}{year_txt}</span>{forms_txt}</td>"
            f"<td class='mol'>{mol_svg(r.get('smiles'))}</td><td>{near}</td>"
            f"<td class='num'>{score}</td><td class='small'>{_fmt(r.get('evidence'))}</td>{tox}</tr>"
        )
    out.append("</tbody></table>")
    ligs = attrs.get("ligands", [])
    if ligs:
        out.append(f"<h2>Known actives used ({len(ligs):,})</h2>")
        if len(ligs) > _MAX_DRAWN_LIGANDS:
            out.append(f"<p class='small'>The first {_MAX_DRAWN_LIGANDS} are drawn; all {len(ligs):,} were used.</p>")
        out.append("<table><tr>")
        for i, (name, smi) in enumerate(ligs[:_MAX_DRAWN_LIGANDS]):
            if i and i % 4 == 0:
                out.append("</tr><tr>")
            out.append(f"<td class='mol'>{mol_svg(smi)}<br>{html.escape(str(name))}</td>")
        out.append("</tr></table>")
    errs = attrs.get("ligand_errors", [])
    if errs:
        out.append(f"<h2>Ligand rows not used ({len(errs):,})</h2>")
        if len(errs) > _MAX_LISTED:
            out.append(f"<p class='small'>The first {_MAX_LISTED:,} are listed (row numbers of the ligand file, 1-based).</p>")
        out.append("<ul>")
        out += [f"<li>row {r + 1}: <code>{html.escape(str(t))}</code>: {html.escape(str(e))}</li>" for r, t, e in errs[:_MAX_LISTED]]
        out.append("</ul>")
    invalid = attrs.get("invalid", [])
    if invalid:
        out.append(f"<h2>Library entries not scored ({len(invalid):,})</h2>")
        if len(invalid) > _MAX_LISTED:
            out.append(f"<p class='small'>The first {_MAX_LISTED:,} are listed; all are in the ranking table, without rank, with their error.</p>")
        out.append("<ul>")
        out += [f"<li>{html.escape(str(i))}: <code>{html.escape(str(s))}</code>: {html.escape(str(e))}</li>" for _, i, s, e in invalid[:_MAX_LISTED]]
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out)


def write_report(ranked: pd.DataFrame, path: str | Path, top: int = 25) -> Path:
    """Write :func:`render_report` to ``path`` atomically (a temporary file, then a rename), so
    a failed write never leaves half a page, nor destroys an earlier report of that name.

    Raises
    ------
    InputFormatError
        ``path`` is a folder, its folder does not exist, or the write fails (no permission, a
        full disk): one line, not a traceback.
    """
    path = Path(path)
    _check_writable(path, "report")
    text = render_report(ranked, top=top)
    from drugscreen.io import hidden_sibling_name, written_path

    dest = Path(written_path(path))  # a symbolic link stays one: the file it points to is written
    tmp = dest.with_name(hidden_sibling_name(dest.name, ".tmp"))
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, dest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputFormatError(f"cannot write the report {path}: {exc.strerror or exc}") from exc
    return path
