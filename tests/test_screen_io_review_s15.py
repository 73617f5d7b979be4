"""`drugscreen screen` with awkward input and output files: defects found by the fifteenth
review (each test names its defect; every one failed before its fix)."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from screen_fixtures import TINY_BUNDLE

from drugscreen.io import open_input, read_table
from drugscreen.screening.run import run_screen

pytestmark = pytest.mark.skipif(not (TINY_BUNDLE / "config.json").is_file(), reason="tiny bundle fixture missing")

CLI = [sys.executable, "-c", "import sys; from drugscreen.cli import main; sys.argv=['drugscreen']+sys.argv[1:]; main()"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "screen", *args, "--panel", str(TINY_BUNDLE), "-q"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "│" not in proc.stderr, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1, proc.stderr
    return errors[0]


@contextlib.contextmanager
def _immutable(path: Path) -> Iterator[None]:
    """``path`` cannot be written, renamed over or (a folder) written in, even by root
    (``chattr +i``); skipped where that cannot be set."""
    if os.geteuid() != 0 or shutil.which("chattr") is None:
        pytest.skip("needs root and chattr to make a path unwritable for root")
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("this file system has no immutable flag")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)


def _no_scoring(monkeypatch: pytest.MonkeyPatch) -> None:
    """The panel must not even be loaded: the refusal comes before any scoring work."""
    from drugscreen.screening import screener

    def load(*a: object, **k: object) -> None:
        raise AssertionError("the panel was loaded before the output was checked")

    monkeypatch.setattr(screener.Screener, "load", load)


# -- 1. blank lines in delimited input -------------------------------------------------------

BLANK_CSV = "smiles,name\nCCO,eth\n\nc1ccccc1O,phenol\n  \n\n"


@pytest.mark.parametrize("chunksize", [1, 2, 4096])
def test_a_blank_line_in_a_csv_is_no_row_in_the_middle_or_at_the_end(tmp_path: Path, chunksize: int) -> None:
    """A blank line in the middle of a CSV became a row "empty SMILES"; a trailing one did not
    (a .smi file skips both). Neither is a row now, at any chunk size."""
    p = tmp_path / "blank.csv"
    p.write_text(BLANK_CSV)
    df = read_table(p, chunksize=chunksize)
    assert df["smiles"].tolist() == ["CCO", "c1ccccc1O"]
    assert df["name"].tolist() == ["eth", "phenol"]
    assert df.index.tolist() == [0, 1]


@pytest.mark.parametrize("chunksize", [1, 4096])
def test_a_line_of_delimiters_only_is_a_row_with_an_empty_smiles_even_at_the_end(tmp_path: Path, chunksize: int) -> None:
    """``,,`` is a row (empty SMILES), wherever it is: at the end of the file it was dropped."""
    p = tmp_path / "d.csv"
    p.write_text("smiles,name\nCCO,a\n,\n\nCCN,b\n,\n \n")
    df = read_table(p, chunksize=chunksize)
    assert df["smiles"].tolist() == ["CCO", "", "CCN", ""]
    assert df["name"].tolist() == ["a", "", "b", ""]


def test_blank_lines_in_tsv_gzip_crlf_and_single_column_files(tmp_path: Path) -> None:
    """White-space-only lines are blank (not a row); in a TSV a tab alone is a row of empty cells."""
    tsv = tmp_path / "t.tsv"
    tsv.write_text("smiles\tname\nCCO\ta\n   \n\t\nCCN\tb\n \n")
    assert read_table(tsv)["smiles"].tolist() == ["CCO", "", "CCN"]
    gz = tmp_path / "b.csv.gz"
    gz.write_bytes(gzip.compress(BLANK_CSV.replace("\n", "\r\n").encode()))
    assert read_table(gz)["name"].tolist() == ["eth", "phenol"]
    one = tmp_path / "one.csv"
    one.write_text("smiles\nCCO\n\n\t\nCCN\n\n")
    assert read_table(one)["smiles"].tolist() == ["CCO", "CCN"]


def test_blank_lines_in_a_csv_on_standard_input_are_no_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BLANK_CSV.encode())))
    reader = open_input("-", chunksize=1)
    assert reader.format == "csv"
    assert pd.concat(list(reader))["smiles"].tolist() == ["CCO", "c1ccccc1O"]


def test_a_csv_with_blank_lines_scores_and_resumes_with_one_row_per_record(tmp_path: Path) -> None:
    """End to end: the output has one row per record (ids = the record numbers when the file has
    none), and a run interrupted and resumed equals a clean one."""
    src = tmp_path / "in.csv"
    src.write_text("smiles\nCCO\n\nCCN\n  \nc1ccccc1\nCCCl\n\n\nCC(=O)O\n\t\nc1ccncc1\n\n")
    clean = tmp_path / "clean.csv"
    summary = run_screen(src, clean, panel=TINY_BUNDLE, chunk_size=2, jobs=1)
    assert summary.rows == 6 and summary.invalid == 0
    assert pd.read_csv(clean)["id"].tolist() == [0, 1, 2, 3, 4, 5]

    def stop(done: int) -> None:
        if done >= 4:
            raise KeyboardInterrupt

    out = tmp_path / "o.csv"
    with pytest.raises(KeyboardInterrupt):
        run_screen(src, out, panel=TINY_BUNDLE, chunk_size=2, jobs=1, on_progress=stop)
    summary = run_screen(src, out, panel=TINY_BUNDLE, chunk_size=2, jobs=1, resume=True)
    assert summary.resumed_rows == 4 and summary.rows == 6
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(clean))
