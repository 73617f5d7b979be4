"""Screening input ids (session 17): fallback ids that cannot pass for another row's id, id
columns named with spaces or hyphens ("Compound ID"), and the report named once by `screen`."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
from screen_fixtures import TINY_BUNDLE
from typer.testing import CliRunner

from drugscreen.cli import app
from drugscreen.io import fallback_id, open_input, read_table
from drugscreen.io.tables import find_column

runner = CliRunner()
needs_bundle = pytest.mark.skipif(not (TINY_BUNDLE / "config.json").is_file(), reason="tiny bundle fixture missing")


def _screen(src: Path, out: Path, *extra: str):
    res = runner.invoke(app, ["screen", str(src), "-o", str(out), "--panel", str(TINY_BUNDLE), *extra])
    assert res.exit_code == 0, res.output
    return res


# -- 1. an empty id cell: an id no other row's id can be ----------------------------------------


def test_fallback_id_of_a_row_number_is_row_n_and_a_label_stays() -> None:
    assert fallback_id(3) == "row 3"
    assert fallback_id(0) == "row 0"
    assert fallback_id("aspirin") == "aspirin"  # a DataFrame indexed by name keeps its names


def test_smi_row_without_a_name_leaves_the_name_empty(tmp_path: Path) -> None:
    # the reader filled the 0-based row number in ("3"), the real name of another row
    p = tmp_path / "a.smi"
    p.write_text("CCO 3\nCCN\n# skipped\nCCC c\nCCCC\n")
    reader = open_input(p)
    assert reader.id_column == "name"
    df = pd.concat(list(reader))
    assert df["name"].tolist() == ["3", "", "c", ""]
    assert list(df.index) == [0, 1, 2, 3]


@needs_bundle
@pytest.mark.parametrize("kind", ["csv", "smi"])
def test_screen_empty_id_cell_does_not_take_another_rows_id(tmp_path: Path, kind: str) -> None:
    if kind == "csv":
        src = tmp_path / "in.csv"
        src.write_text("smiles,id\nCCO,3\nCCN,\nCCC,x\nCCCl,\n")
    else:
        src = tmp_path / "in.smi"
        src.write_text("CCO 3\nCCN\nCCC x\nCCCl\n")
    out = tmp_path / "out.csv"
    _screen(src, out, "-q")
    df = pd.read_csv(out, keep_default_na=False, dtype=str)
    # one row out per row in, in input order; the empty cells are told apart from the id "3"
    assert df["smiles"].tolist() == ["CCO", "CCN", "CCC", "CCCl"]
    assert df["id"].tolist() == ["3", "row 1", "x", "row 3"]
    assert df["id"].is_unique


@needs_bundle
def test_screen_without_an_id_column_keeps_row_numbers(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("smiles\nCCO\nCCN\n")
    out = tmp_path / "out.csv"
    _screen(src, out, "-q")
    assert pd.read_csv(out, keep_default_na=False, dtype=str)["id"].tolist() == ["0", "1"]


# -- 2. id columns named with spaces, hyphens or underscores -------------------------------------


@pytest.mark.parametrize("name", ["Compound ID", "compound-id", "COMPOUND_ID", " Mol ID ", "mol-id"])
def test_id_column_named_with_spaces_or_hyphens_is_found(tmp_path: Path, name: str) -> None:
    p = tmp_path / "a.csv"
    p.write_text(f"smiles,{name}\nCCO,A1\n")
    reader = open_input(p)
    assert reader.id_column == name.strip()
    assert read_table(p)[name.strip()].tolist() == ["A1"]


def test_several_id_like_columns_the_most_preferred_one() -> None:
    # "id" is preferred to "compound_id", which is preferred to "title", however they are written
    assert find_column(["smiles", "Title", "Compound ID", "ID"], None, ("id", "name", "_name", "compound_id", "mol_id", "title"), "id", False) == "ID"
    assert find_column(["smiles", "Title", "Compound-ID"], None, ("id", "name", "_name", "compound_id", "mol_id", "title"), "id", False) == "Compound-ID"


def test_smiles_column_named_with_a_space_is_found_and_two_are_still_ambiguous(tmp_path: Path) -> None:
    from drugscreen.exceptions import InputFormatError

    p = tmp_path / "a.csv"
    p.write_text("Canonical SMILES,Compound ID\nCCO,A1\n")
    reader = open_input(p)
    assert (reader.smiles_column, reader.id_column) == ("Canonical SMILES", "Compound ID")
    q = tmp_path / "b.csv"
    q.write_text("smiles,Canonical SMILES\nCCO,CCO\n")
    with pytest.raises(InputFormatError, match="several columns could hold the SMILES"):
        open_input(q)


@needs_bundle
def test_screen_takes_ids_from_a_compound_id_column(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("smiles,Compound ID\nCCO,A1\nCCN,A2\n")
    out = tmp_path / "out.csv"
    _screen(src, out, "-q")
    df = pd.read_csv(out, keep_default_na=False, dtype=str)
    assert df["id"].tolist() == ["A1", "A2"]
    assert df["Compound ID"].tolist() == ["A1", "A2"]  # the input column stays as given


# -- 6. the report is named once ---------------------------------------------------------------


@needs_bundle
def test_screen_names_the_report_once(tmp_path: Path) -> None:
    src = tmp_path / "in.smi"
    src.write_text("CCO a\nCCN b\n")
    report = tmp_path / "r.html"
    res = _screen(src, tmp_path / "o.csv", "--report", str(report))
    assert report.is_file()
    mentions = [ln for ln in res.stderr.splitlines() if "r.html" in ln]
    assert len(mentions) == 1, res.stderr
    assert mentions[0].endswith(f"; report {report}")  # the summary line, as the README has it


@needs_bundle
def test_a_log_file_still_records_the_report(tmp_path: Path) -> None:
    # the terminal leaves the line out (the summary line names the report); the log file, which
    # never gets the summary line, keeps it
    src = tmp_path / "in.smi"
    src.write_text("CCO a\n")
    report, log = tmp_path / "r.html", tmp_path / "run.log"
    res = runner.invoke(app, ["--log-file", str(log), "screen", str(src), "-o", str(tmp_path / "o.csv"),
                              "--panel", str(TINY_BUNDLE), "--report", str(report)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert f"report written to {report}" in log.read_text()
    assert sum("r.html" in ln for ln in res.stderr.splitlines()) == 1, res.stderr


def test_the_python_api_still_logs_the_report(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # only the CLI, whose summary line names it, leaves the log line out
    if not (TINY_BUNDLE / "config.json").is_file():
        pytest.skip("tiny bundle fixture missing")
    from drugscreen.screening.run import run_screen

    src = tmp_path / "in.smi"
    src.write_text("CCO a\n")
    with caplog.at_level(logging.INFO, logger="drugscreen"):
        run_screen(src, tmp_path / "o.csv", panel=TINY_BUNDLE, report=tmp_path / "r.html", jobs=1)
    assert "report written to" in caplog.text
