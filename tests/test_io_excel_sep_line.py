"""Excel's ``sep=;`` first line: a CSV saved by Excel in a locale whose list separator is ';'
(or exported with the delimiter named) starts with a line ``sep=;`` that names the delimiter.
Before, that line was taken for the header: 'no SMILES column' with columns ['sep=']."""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

import pandas as pd
import pytest

from drugscreen.io import open_input

EXCEL = "sep=;\r\nsmiles;name;IC50\r\nCCO;ethanol;1,5\r\nc1ccccc1O;phenol;2,0\r\n"


def _rows(reader) -> pd.DataFrame:
    return pd.concat(list(reader))


@pytest.mark.parametrize("text", [EXCEL, "\ufeff" + EXCEL, EXCEL.replace("\r\n", "\n"), "\n" + EXCEL])
def test_the_sep_line_names_the_delimiter_and_is_no_row(tmp_path: Path, text: str) -> None:
    src = tmp_path / "excel.csv"
    src.write_text(text, encoding="utf-8")
    reader = open_input(src)
    assert reader.columns[:3] == ["smiles", "name", "IC50"]
    rows = _rows(reader)
    assert rows["smiles"].tolist() == ["CCO", "c1ccccc1O"]
    assert rows["IC50"].tolist() == ["1,5", "2,0"]  # the decimal comma stays in its cell


def test_a_tab_named_by_the_sep_line_and_a_gzipped_file(tmp_path: Path) -> None:
    src = tmp_path / "excel.csv.gz"
    src.write_bytes(gzip.compress(b"sep=\t\nsmiles\tname\nCCO\tethanol, absolute\n"))
    rows = _rows(open_input(src))
    assert rows["name"].tolist() == ["ethanol, absolute"]


def test_the_sep_line_on_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(EXCEL.encode())))
    reader = open_input("-")
    assert reader.format == "csv"
    assert _rows(reader)["name"].tolist() == ["ethanol", "phenol"]


def test_a_sep_line_alone_is_an_empty_table(tmp_path: Path) -> None:
    src = tmp_path / "empty.csv"
    src.write_text("sep=,\n")
    assert list(open_input(src)) == []


def test_a_molecule_called_sep_is_not_taken_for_the_line(tmp_path: Path) -> None:
    # only 'sep=' and one character make the line: a header starting with 'sep' stays a header
    src = tmp_path / "t.csv"
    src.write_text("sep,smiles\n1,CCO\n")
    assert _rows(open_input(src))["smiles"].tolist() == ["CCO"]
