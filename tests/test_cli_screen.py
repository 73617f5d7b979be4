"""`drugscreen screen` and `drugscreen profiles` end to end (CliRunner), resume, report."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from screen_fixtures import BAD, GOOD, TINY_BUNDLE, write_smi
from typer.testing import CliRunner

from drugscreen.cli import app
from drugscreen.io import TableWriter
from drugscreen.screening.run import run_screen

pytestmark = pytest.mark.skipif(not (TINY_BUNDLE / "config.json").is_file(), reason="tiny bundle fixture missing")

runner = CliRunner()
PANEL = ["--panel", str(TINY_BUNDLE)]
MANY = [f"{a}{b}" for a in ("c1ccccc1", "C1CCNCC1", "c1ccncc1", "CCO", "CC(=O)N", "C1CCCCC1") for b in ("C", "O", "N", "Cl", "CC", "C(=O)O", "OC")]


def screen(*args: str, input: str | None = None):
    return runner.invoke(app, ["screen", *args, *PANEL, "-q"], input=input)


def test_smi_default_output_and_summary(tmp_path):
    src = write_smi(tmp_path / "hits.smi", [f"{s} m{i}" for i, s in enumerate(GOOD)] + ["C1CC broken"])
    res = runner.invoke(app, ["screen", str(src), *PANEL])
    assert res.exit_code == 0, res.output
    out = tmp_path / "hits_scored.csv"
    df = pd.read_csv(out, keep_default_na=False)
    assert df["id"].tolist() == [f"m{i}" for i in range(len(GOOD))] + ["broken"]
    assert df["valid"].tolist() == [True] * len(GOOD) + [False]
    n_out = int((df["valid"] & (df["in_domain"].astype(str).str.lower() == "false")).sum())
    assert n_out >= 1  # the tiny bundle's training set is narrow
    assert f"{len(GOOD)} scored ({n_out} outside the applicability domain), 1 invalid (see column error in {out})" in res.output
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no work files left


def test_bad_inputs_stay_in_place_and_strict(tmp_path):
    lines = ["smiles,id"] + [f'"{s}",g{i}' for i, s in enumerate(GOOD[:2])]
    lines += [f'"{s}",b{i}' for i, (s, _) in enumerate(BAD)] + [",missing", "CCN,last"]
    src = tmp_path / "in.csv"
    src.write_text("\n".join(lines) + "\n")
    res = screen(str(src), "-o", str(tmp_path / "o.csv"))
    assert res.exit_code == 0, res.output
    df = pd.read_csv(tmp_path / "o.csv", keep_default_na=False)
    assert df["id"].tolist() == ["g0", "g1"] + [f"b{i}" for i in range(len(BAD))] + ["missing", "last"]
    for i, (_, word) in enumerate(BAD):
        assert word in df["error"].iloc[2 + i].lower()
    assert df["error"].iloc[-2] == "empty SMILES" and df["valid"].iloc[-1] == True  # noqa: E712
    numeric = pd.read_csv(tmp_path / "o.csv")
    assert numeric["has_N"].dtype == float and numeric["qed"].dtype == float
    res = screen(str(src), "-o", str(tmp_path / "o2.csv"), "--strict")
    assert res.exit_code == 1 and (tmp_path / "o2.csv").exists()


@pytest.mark.parametrize("out_name", ["o.tsv", "o.parquet", "o.sdf", "o.csv.gz"])
def test_output_formats(tmp_path, out_name):
    src = write_smi(tmp_path / "a.smi", GOOD)
    res = screen(str(src), "-o", str(tmp_path / out_name))
    assert res.exit_code == 0, res.output
    if out_name.endswith("parquet"):
        df = pd.read_parquet(tmp_path / out_name)
        assert df["has_N"].dtype == float and len(df) == len(GOOD)
    elif out_name.endswith("sdf"):
        text = (tmp_path / out_name).read_text()
        assert text.count("$$$$") == len(GOOD) and ">  <score>" in text


@pytest.mark.parametrize("out_name", ["o.csv", "o.parquet"])
def test_input_without_rows_gives_a_header_only_output(tmp_path, out_name):
    """An empty file, or a table with its header only, is screened to an output with no rows
    but every column (the input's, then the scored ones), so a pipeline's next step can read it."""
    full = tmp_path / "full.csv"
    assert screen(str(write_smi(tmp_path / "one.smi", GOOD[:1])), "-o", str(full)).exit_code == 0
    scored_columns = list(pd.read_csv(full).columns)[2:]  # after the .smi's smiles and name
    for src, columns in ((tmp_path / "empty.smi", ["smiles", "name"]), (tmp_path / "header.tsv", ["SMILES", "Name"])):
        src.write_text("" if src.suffix == ".smi" else "SMILES\tName\n")
        out = tmp_path / f"{src.stem}_{out_name}"
        html = tmp_path / f"{src.stem}.html"
        res = runner.invoke(app, ["screen", str(src), "-o", str(out), "--report", str(html), *PANEL])
        assert res.exit_code == 0, res.output
        df = pd.read_parquet(out) if out.suffix == ".parquet" else pd.read_csv(out)
        assert len(df) == 0 and list(df.columns) == columns + scored_columns
        assert "0 scored, 0 invalid" in res.output and "/s)" not in res.output
        page = html.read_text()
        assert "<h2>Top molecules</h2>" in page and "No scored molecules." in page and "No values." in page


@pytest.mark.parametrize("kind", ["sdf", "parquet", "gz", "tsv"])
def test_input_formats(tmp_path, kind):
    from test_io import SDF

    if kind == "sdf":
        src = tmp_path / "a.sdf"
        src.write_text(SDF)
        n, n_bad = 4, 2
    elif kind == "parquet":
        src = tmp_path / "a.parquet"
        pd.DataFrame({"Smiles": GOOD, "id": range(len(GOOD))}).to_parquet(src)
        n, n_bad = len(GOOD), 0
    elif kind == "gz":
        src = tmp_path / "a.smi.gz"
        with gzip.open(src, "wt") as fh:
            fh.write("\n".join(GOOD) + "\n")
        n, n_bad = len(GOOD), 0
    else:
        src = tmp_path / "a.tsv"
        src.write_text("SMILES\tname\r\n" + "".join(f"{s}\tn{i}\r\n" for i, s in enumerate(GOOD)))
        n, n_bad = len(GOOD), 0
    res = screen(str(src), "-o", str(tmp_path / "o.csv"))
    assert res.exit_code == 0, res.output
    df = pd.read_csv(tmp_path / "o.csv", keep_default_na=False)
    assert len(df) == n and (~df["valid"]).sum() == n_bad
    if kind == "sdf":
        assert df["id"].tolist() == ["ethanol", "broken", "pentavalent", "methane"]
        assert "SDF record 2" in df["error"].iloc[1]


def test_stdin_to_stdout():
    res = runner.invoke(app, ["screen", "-", "-o", "-", *PANEL, "-q"], input="CCO a\nxyz b\n")
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.stdout.splitlines() if ln]
    assert lines[0].startswith("smiles,name,id,smiles_std,valid,error,") and len(lines) == 3


def test_csv_injection_escaped(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text('smiles,note\nCCO,"=HYPERLINK(""http://x"")"\nCCN,@SUM(1)\n')
    assert screen(str(src), "-o", str(tmp_path / "o.csv")).exit_code == 0
    text = (tmp_path / "o.csv").read_text()
    assert "'=HYPERLINK" in text and "'@SUM(1)" in text
    assert not re.search(r"(^|,)[=@+]", text.replace(",-", ","), re.M)


def test_usage_errors_exit_2(tmp_path):
    src = write_smi(tmp_path / "a.smi", GOOD)
    for args in (["screen"], ["screen", str(src), "--batch-size", "0"], ["screen", str(src), "--bogus"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        assert "Traceback" not in res.output


def test_data_errors_exit_1_one_line(tmp_path):
    from drugscreen.cli import main

    src = write_smi(tmp_path / "a.smi", GOOD)
    cases = [
        [str(src), "-o", str(src)],  # never over the input
        [str(tmp_path / "missing.smi")],
        [str(src), "-o", str(tmp_path / "o.xlsx")],
    ]
    for args in cases:
        proc = subprocess.run(
            [sys.executable, "-c", "import sys; from drugscreen.cli import main; sys.argv=['drugscreen']+sys.argv[1:]; main()",
             "screen", *args, *PANEL, "-q"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 1, (args, proc.stderr)
        err = [ln for ln in proc.stderr.splitlines() if ln.startswith("Error:")]
        assert len(err) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert src.read_text().startswith(GOOD[0])
    del main


def test_failure_leaves_no_output(tmp_path, monkeypatch):
    src = write_smi(tmp_path / "a.smi", MANY)
    out = tmp_path / "o.csv"
    out.write_text("previous\n")
    from drugscreen.screening import screener as mod

    calls = {"n": 0}
    real = mod.Screener.score_chunk

    def failing(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(self, *a, **k)

    monkeypatch.setattr(mod.Screener, "score_chunk", failing)
    with pytest.raises(RuntimeError):
        run_screen(src, out, panel=TINY_BUNDLE, chunk_size=10, jobs=1)
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.smi", "o.csv"]


def _stop_after_3_chunks(done: int) -> None:
    if done >= 24:
        raise KeyboardInterrupt


def _clean_and_interrupted(tmp_path: Path, jobs: int) -> tuple[Path, Path, Path]:
    """A clean run and a run interrupted after 3 chunks of 8 rows: (input, clean output, output)."""
    src = write_smi(tmp_path / "a.smi", [f"{s} m{i}" for i, s in enumerate(MANY)] + ["C1CC bad"])
    clean = tmp_path / "clean.csv"
    run_screen(src, clean, panel=TINY_BUNDLE, chunk_size=8, jobs=jobs)
    out = tmp_path / "o.csv"
    with pytest.raises(KeyboardInterrupt):
        run_screen(src, out, panel=TINY_BUNDLE, chunk_size=8, jobs=jobs, on_progress=_stop_after_3_chunks)
    assert not out.exists()
    return src, clean, out


def test_resume_after_interruption_equals_clean_run(tmp_path):
    src, clean, out = _clean_and_interrupted(tmp_path, jobs=1)
    work = tmp_path / ".o.csv.partial"
    assert len(list(work.glob("chunk_*.parquet"))) == 3
    summary = run_screen(src, out, panel=TINY_BUNDLE, chunk_size=8, jobs=1, resume=True)
    assert summary.resumed_rows == 24 and summary.rows == len(MANY) + 1
    assert not work.exists()
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(clean))
    # options changed since the interruption: refused
    with pytest.raises(KeyboardInterrupt):
        run_screen(src, out, panel=TINY_BUNDLE, chunk_size=8, jobs=1, on_progress=_stop_after_3_chunks)
    res = screen(str(src), "-o", str(out), "--resume", "--profile", "cns", "--batch-size", "8")
    assert res.exit_code == 1 and "cannot resume" in str(res.exception)  # main() prints it as one line


def test_ctrl_c_exit_130_no_output(tmp_path, monkeypatch):
    src = write_smi(tmp_path / "a.smi", MANY)
    from drugscreen.screening import run as run_mod

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_mod, "run_screen", interrupted)
    res = screen(str(src), "-o", str(tmp_path / "o.csv"))
    assert res.exit_code == 130 and not (tmp_path / "o.csv").exists()


def test_resume_with_workers_after_interruption_equals_clean_run(tmp_path):
    # with jobs > 1 the workers write the chunk files, possibly ahead of the parent's count;
    # a chunk after a gap and rendered rows without their chunk must not survive a resume
    src, clean, out = _clean_and_interrupted(tmp_path, jobs=2)
    work = tmp_path / ".o.csv.partial"
    done = sorted(work.glob("chunk_*.parquet"))
    assert len(done) >= 3 and all((f.with_suffix(".rendered")).is_file() for f in done)
    done[-1].unlink()  # as if the last chunk had not been finished: its rendered rows stay behind
    (work / "chunk_00000099.parquet").write_bytes(done[0].read_bytes())  # a chunk after a gap
    names = {f.name for f in work.glob("chunk_*.parquet")}
    kept = next(i for i in range(200) if f"chunk_{i:08d}.parquet" not in names)  # the gap-free prefix
    summary = run_screen(src, out, panel=TINY_BUNDLE, chunk_size=8, jobs=2, resume=True)
    assert summary.resumed_rows == 8 * kept and summary.rows == len(MANY) + 1
    assert out.read_bytes() == clean.read_bytes()


def test_jobs_2_same_as_jobs_1(tmp_path):
    src = write_smi(tmp_path / "a.smi", MANY)
    run_screen(src, tmp_path / "one.csv", panel=TINY_BUNDLE, chunk_size=10, jobs=1)
    run_screen(src, tmp_path / "two.csv", panel=TINY_BUNDLE, chunk_size=10, jobs=2)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "one.csv"), pd.read_csv(tmp_path / "two.csv"))


def test_rows_rendered_by_workers_equal_the_plain_writer(tmp_path):
    # CSV rows are rendered where they are scored and only the rank is filled in at the end;
    # the file must be byte for byte what writing the stored chunks would give, with names
    # that need quoting and an injection attempt among the rows
    names = [f'{s} "m{i}",x' if i % 3 else f"{s} =cmd{i}" for i, s in enumerate(MANY)]
    src = tmp_path / "a.csv"
    pd.DataFrame({"smiles": [n.split(" ", 1)[0] for n in names], "name": [n.split(" ", 1)[1] for n in names]}).to_csv(src, index=False)
    run_screen(src, tmp_path / "fast.csv", panel=TINY_BUNDLE, chunk_size=10, jobs=2)
    run_screen(src, tmp_path / "plain.parquet", panel=TINY_BUNDLE, chunk_size=10, jobs=1)
    with TableWriter(tmp_path / "plain.csv") as w:
        w.write(pd.read_parquet(tmp_path / "plain.parquet"))
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "plain.csv").read_bytes()
    assert not list(tmp_path.glob(".*partial*"))  # the work folder with the rendered rows is gone


def test_report_self_contained(tmp_path):
    src = write_smi(tmp_path / "a.smi", [f"{s} m{i}" for i, s in enumerate(GOOD)] + ["C1CC broken<b>"])
    report = tmp_path / "r.html"
    res = screen(str(src), "--report", str(report), "--top", "3")
    assert res.exit_code == 0, res.output
    html = report.read_text()
    assert html.startswith("<!DOCTYPE html>") and html.count('class="card"') == 3
    assert "unclosed ring" in html and "broken&lt;b&gt;" in html and "<svg" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?https?://""", html, re.I)
    assert "<script" not in html and "<link" not in html
    # cards show the profile's property objectives too (the default profile's MW window), once each
    card = html[html.index('class="card"'):]
    card = card[: card.index("</table>")]
    assert "<td>mw</td>" in card and card.count("<td>qed</td>") == 1
    assert "tallest bar:" in html and "row (0-based)" in html


def test_report_and_csv_name_descriptor_range_extrapolation(tmp_path):
    src = write_smi(tmp_path / "a.smi", [f"{s} m{i}" for i, s in enumerate(GOOD)] + ["C" * 64 + " c64"])
    report, out = tmp_path / "r.html", tmp_path / "a.csv"
    assert screen(str(src), "-o", str(out), "--report", str(report), "--top", str(len(GOOD) + 1)).exit_code == 0
    df = pd.read_csv(out, keep_default_na=False).set_index("id")
    assert df.loc["c64", "out_of_range"].startswith("tiny: ")
    html = report.read_text()
    assert "beyond training range: " + df.loc["c64", "out_of_range"].replace(">", "&gt;").replace("<", "&lt;") in html
    n_valid = int(df["valid"].sum())
    out = int((df["valid"] & (df["in_domain"].astype(str).str.lower() == "false")).sum())
    assert f"<td>{out:,} ({out / n_valid:.0%}); column in_domain = false</td>" in html
    k = int((df["valid"] & (df["out_of_range"] != "")).sum())
    assert k >= 1 and f"{k} ({k / n_valid:.0%}) beyond at least one; by training set: tiny {k} ({k / n_valid:.0%})" in html


def test_profiles_cli(tmp_path):
    res = runner.invoke(app, ["profiles", "list"])
    assert res.exit_code == 0 and "default" in res.output and "cns" in res.output
    res = runner.invoke(app, ["profiles", "show", "cns"])
    assert res.exit_code == 0 and 'endpoint = "bbbp"' in res.output
    src = write_smi(tmp_path / "a.smi", GOOD)
    # the shipped cns profile names endpoints the tiny panel lacks: skipped with a warning
    assert screen(str(src), "--profile", "cns").exit_code == 0
    custom = tmp_path / "mine.toml"
    custom.write_text(res.output.replace('endpoint = "bbbp"', 'endpoint = "has_N"').replace("tox21_*", "logp").replace("clintox_ct_tox", "qed"))
    assert screen(str(src), "--profile", str(custom)).exit_code == 0


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install -y chromium)")
def test_report_renders_in_headless_chromium(tmp_path):
    src = write_smi(tmp_path / "a.smi", GOOD + ["xyz"])
    report = tmp_path / "r.html"
    assert screen(str(src), "--report", str(report)).exit_code == 0
    shot = tmp_path / "shot.png"
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,1600",
         f"--screenshot={shot}", Path(report).resolve().as_uri()],
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert shot.is_file() and shot.stat().st_size > 10_000


# -- defects from the user-perspective review ------------------------------------------------


def test_numeric_text_columns_are_not_escaped(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text("smiles,logS,note\nCCO,-0.77,=SUM(A1)\nCCN,+1.5,-x\n")
    res = screen(str(src), "-o", "-")
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[1].startswith("CCO,-0.77,'=SUM(A1),") and lines[2].startswith("CCN,+1.5,'-x,")
    assert screen(str(src), "-o", str(tmp_path / "o.csv")).exit_code == 0
    assert pd.read_csv(tmp_path / "o.csv")["logS"].tolist() == [-0.77, 1.5]


def test_stdin_without_output_writes_stdout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = screen("-", input="CCO a\nCCN b\n")
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("smiles,name,id,") and len(res.stdout.splitlines()) == 3
    assert list(tmp_path.iterdir()) == []  # no scored.csv written in the working folder
    assert "stdout when the input is stdin" in " ".join(runner.invoke(app, ["screen", "--help"]).output.split())


def test_stdin_sdf_gzip_and_smiles_column(tmp_path):
    from rdkit import Chem

    sdf = "".join(Chem.MolToMolBlock(Chem.MolFromSmiles(s)) + "$$$$\n" for s in GOOD)
    res = screen("-", "-o", str(tmp_path / "s.csv"), input=sdf)
    assert res.exit_code == 0, res.output
    df = pd.read_csv(tmp_path / "s.csv", keep_default_na=False)
    assert len(df) == len(GOOD) and df["valid"].all()
    res = screen("-", "-o", "-", "--smiles-column", "Structure", input="name,Structure\nm1,CCO\nm2,CCN\n")
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[1].startswith("m1,CCO,m1,CCO,True")
    res = runner.invoke(app, ["screen", "-", "-o", "-", *PANEL, "-q"], input=gzip.compress(b"smiles,id\nCCO,x\n"))
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[1].startswith("CCO,x,CCO,True")


def test_utf16_csv_is_scored(tmp_path):
    src = tmp_path / "a.csv"
    src.write_bytes("smiles,id\nCCO,a\nCCN,b\n".encode("utf-16"))
    res = screen(str(src), "-o", "-")
    assert res.exit_code == 0, res.output
    assert [ln.split(",")[:3] for ln in res.stdout.splitlines()[1:]] == [["CCO", "a", "CCO"], ["CCN", "b", "CCN"]]


def test_smi_comments_are_not_rows_and_missing_names_get_row_n(tmp_path):
    src = write_smi(tmp_path / "a.smi", ["# my hits", "CCO a", "", "# second batch", "CCN", "c1ccccc1O c"])
    res = runner.invoke(app, ["screen", str(src), "-o", str(tmp_path / "o.csv"), *PANEL])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(tmp_path / "o.csv", keep_default_na=False, dtype=str)
    assert df["id"].tolist() == ["a", "row 1", "c"] and df["valid"].tolist() == ["True"] * 3
    assert "2 comment line(s) and 1 blank line(s) skipped" in res.output


@pytest.mark.parametrize(
    ("args", "hint", "suggestion"),
    [
        (["--endpoints", "has_x"], "'--endpoints'", "'has_N'"),
        (["--profile", "cnss"], "'--profile'", "'cns'"),
        (["--panel", "tiny_bundel"], "'--panel'", None),
    ],
)
def test_unknown_names_on_the_command_line_exit_2(tmp_path, args, hint, suggestion):
    src = write_smi(tmp_path / "a.smi", GOOD)
    argv = ["screen", str(src), *args] if args[0] == "--panel" else ["screen", str(src), *PANEL, *args]
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from drugscreen.cli import main; sys.argv=['drugscreen']+sys.argv[1:]; main()",
         *argv, "-q"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    text = " ".join(proc.stderr.replace("│", " ").split())
    assert hint in text and "Traceback" not in proc.stderr
    if suggestion:
        assert f"did you mean {suggestion}?" in text
    res = runner.invoke(app, ["profiles", "show", "cnss"])
    assert res.exit_code == 2 and "did you mean 'cns'?" in " ".join(res.output.replace("│", " ").split())


def test_misspelt_endpoint_in_a_profile_file_is_an_error(tmp_path):
    src = write_smi(tmp_path / "a.smi", GOOD)
    custom = tmp_path / "mine.toml"
    custom.write_text(
        'name = "mine"\n'
        '[[objectives]]\nendpoint = "has_n"\ndirection = "down"\nthresholds = [0.2, 0.8]\nweight = 3\n'
        '[[objectives]]\nendpoint = "qed"\nthresholds = [0.2, 0.8]\n'
    )
    res = screen(str(src), "-o", str(tmp_path / "o.csv"), "--profile", str(custom))
    assert res.exit_code == 1 and not (tmp_path / "o.csv").exists()
    assert "this panel has no has_n (did you mean 'has_N'?)" in str(res.exception)  # main() prints it as one Error: line
