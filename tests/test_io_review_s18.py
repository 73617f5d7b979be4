"""Molecule-file readers (session 18): a header-less comma-separated list (refused as .smi and
stdin, with advice that works), .smi names as ids whichever line lacks one, an SDF ``ID`` tag
as the id column, and a space-separated .txt file's error naming the delimiters."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
from rdkit import Chem
from screen_fixtures import TINY_BUNDLE
from typer.testing import CliRunner

import drugscreen.io.readers as readers
from drugscreen.cli import app
from drugscreen.exceptions import InputFormatError
from drugscreen.io import open_input, read_table

runner = CliRunner()
needs_bundle = pytest.mark.skipif(not (TINY_BUNDLE / "config.json").is_file(), reason="tiny bundle fixture missing")


def _screen(*args: str, input: str | None = None):  # noqa: A002 - CliRunner's name
    return runner.invoke(app, ["screen", *args, "--panel", str(TINY_BUNDLE), "-q"], input=input)


# -- 1. a comma-separated list without a header ---------------------------------------------------


def test_headerless_csv_error_says_to_add_a_header_not_to_name_it_smi(tmp_path: Path) -> None:
    p = tmp_path / "list.csv"
    p.write_text("CCO,ethanol\nCCN,ethylamine\n")
    with pytest.raises(InputFormatError) as err:
        read_table(p)
    msg = str(err.value)
    assert "add a header line" in msg and "`smiles,name`" in msg
    assert ".smi" not in msg  # read as .smi, every row would be invalid
    p = tmp_path / "list2.csv"
    p.write_text("CCO;ethanol\n")
    with pytest.raises(InputFormatError, match=r"`smiles;name`"):
        read_table(p)


@pytest.mark.parametrize(
    ("text", "delim"), [("CCO,ethanol\nCCN,ethylamine\n", ","), ("CCO;a\n", ";"), ("CCO|a\n", "|")]
)
def test_delimited_rows_named_smi_are_refused_before_any_row(tmp_path: Path, text: str, delim: str) -> None:
    p = tmp_path / "list.smi"
    p.write_text(text)
    with pytest.raises(InputFormatError, match=r"list\.smi: the first record .* looks .*separated") as err:
        open_input(p)
    assert f"name it .csv and start it with a header line such as `smiles{delim}name`" in str(err.value)


@needs_bundle
def test_delimited_rows_named_smi_or_on_stdin_exit_1_writing_nothing(tmp_path: Path) -> None:
    src = tmp_path / "list.smi"
    src.write_text("CCO,ethanol\nCCN,ethylamine\n")
    out = tmp_path / "out.csv"
    res = _screen(str(src), "-o", str(out))  # main() prints the exception as one Error: line
    assert res.exit_code == 1 and isinstance(res.exception, InputFormatError) and not out.exists()
    assert "comma-separated" in str(res.exception)
    res = _screen("-", "-o", "-", input="CCO,ethanol\n")
    assert res.exit_code == 1 and isinstance(res.exception, InputFormatError) and not res.stdout
    assert str(res.exception).startswith("standard input:") and "header line such as `smiles,name`" in str(res.exception)


def test_smi_records_that_are_no_delimited_rows_are_read(tmp_path: Path) -> None:
    p = tmp_path / "ok.smi"
    # a CXSMILES extension (commas, ';' and '|' inside |...|), a name with commas
    p.write_text("C[C@H](O)F |&1:1,2;$a;b$| cx\nCCO ethanol,95%\n")
    df = read_table(p)
    assert df["smiles"].tolist() == ["C[C@H](O)F |&1:1,2;$a;b$|", "CCO"]
    assert df["name"].tolist() == ["cx", "ethanol,95%"]
    # an extension written onto its SMILES; a comma whose first part is no SMILES either: rows
    # as before (flagged invalid when scored), not a refused file
    for text, smiles in (("C[C@H](O)F|&1:1| x\n", "C[C@H](O)F|&1:1|"), ("C1CC,x y\n", "C1CC,x")):
        p.write_text(text)
        assert read_table(p)["smiles"].tolist() == [smiles]


# -- 2. .smi names as ids, whichever line lacks one ------------------------------------------------


@pytest.mark.parametrize("text", ["CCO\nCCN ethylamine\nCCC propane\n", "# c\n\nCCO\nCCN\nCCC propane\n"])
def test_smi_first_line_without_a_name_keeps_the_names_as_ids(tmp_path: Path, text: str) -> None:
    p = tmp_path / "mixed.smi"
    p.write_text(text)
    assert open_input(p).id_column == "name"
    p.write_text("CCO\nCCN\n")  # no name anywhere: the bare row numbers
    assert open_input(p).id_column is None


def test_smi_first_lines_without_names_from_stdin_are_read_ahead(monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    import io
    import sys

    class _Stdin:
        def __init__(self, data: bytes) -> None:
            self.buffer = io.BytesIO(data)

    monkeypatch.setattr(sys, "stdin", _Stdin(b"CCO\nCCN\nCCC propane\n"))
    reader = open_input("-", chunksize=1)
    assert reader.id_column == "name"
    df = pd.concat(list(reader))  # one row per line, in order: nothing read ahead is lost
    assert df["smiles"].tolist() == ["CCO", "CCN", "CCC"] and df["name"].tolist() == ["", "", "propane"]
    # a name past the lines read ahead cannot be the id any more: said so
    monkeypatch.setattr(readers, "_SMI_NAME_LOOKAHEAD", 1)
    monkeypatch.setattr(sys, "stdin", _Stdin(b"CCO\nCCN\nCCC propane\n"))
    reader = open_input("-")
    assert reader.id_column is None
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        df = pd.concat(list(reader))
    assert df["smiles"].tolist() == ["CCO", "CCN", "CCC"]
    assert "row 2: a name ('propane')" in caplog.text


@needs_bundle
@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("CCO\nCCN ethylamine\nCCC propane\n", ["row 0", "ethylamine", "propane"]),
        ("CCO ethanol\nCCN\nCCC propane\n", ["ethanol", "row 1", "propane"]),
        ("CCO ethanol\nCCN ethylamine\n", ["ethanol", "ethylamine"]),
        ("CCO\nCCN\n", ["0", "1"]),
    ],
)
def test_screen_smi_ids_from_names_whichever_line_lacks_one(tmp_path: Path, text: str, ids: list[str]) -> None:
    src = tmp_path / "mixed.smi"
    src.write_text(text)
    out = tmp_path / "out.csv"
    res = _screen(str(src), "-o", str(out), "--batch-size", "1")
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out, keep_default_na=False, dtype=str)["id"].tolist() == ids
    res = _screen("-", "-o", "-", input=text)  # standard input alike
    assert res.exit_code == 0, res.output
    assert pd.read_csv(__import__("io").StringIO(res.stdout), keep_default_na=False, dtype=str)["id"].tolist() == ids


# -- 3. an SDF ID tag is the id column -------------------------------------------------------------


def _vendor_sdf(path: Path, tag: str = "ID", titles: tuple[str, str] = ("", "")) -> Path:
    blocks = []
    for smi, value, title in zip(("CCO", "c1ccccc1O"), ("Z1234", "Z5678"), titles, strict=True):
        mol = Chem.MolFromSmiles(smi)
        mol.SetProp("_Name", title)
        blocks.append(Chem.MolToMolBlock(mol) + f">  <{tag}>\n{value}\n\n>  <activity>\n1\n\n$$$$\n")
    path.write_text("".join(blocks))
    return path


@pytest.mark.parametrize("tag", ["ID", "id", "Name", "Compound ID"])
def test_sdf_id_like_tag_is_the_id_column(tmp_path: Path, tag: str) -> None:
    reader = open_input(_vendor_sdf(tmp_path / "v.sdf", tag, ("t1", "t2")))
    assert reader.id_column == tag
    df = pd.concat(list(reader))
    assert df[tag].tolist() == ["Z1234", "Z5678"]


def test_sdf_without_an_id_tag_keeps_the_title_and_id_column_overrides(tmp_path: Path) -> None:
    assert open_input(_vendor_sdf(tmp_path / "v.sdf", "vendor", ("t1", "t2"))).id_column == "_Name"
    assert open_input(_vendor_sdf(tmp_path / "w.sdf"), id_column="_Name").id_column == "_Name"


@needs_bundle
def test_screen_sdf_id_tag_gives_the_ids_and_one_id_column(tmp_path: Path) -> None:
    src = _vendor_sdf(tmp_path / "vendor.sdf")
    out = tmp_path / "out.csv"
    res = _screen(str(src), "-o", str(out))
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out, keep_default_na=False, dtype=str)
    assert df["id"].tolist() == ["Z1234", "Z5678"]
    assert [c.lower() for c in df.columns].count("id") == 1


# -- 4. a space-separated .txt file ----------------------------------------------------------------


@pytest.mark.parametrize("text", ["smiles name\nCCO a\n", "CCO a\nCCN b\n"])
def test_space_separated_txt_error_names_the_delimiters_and_smi(tmp_path: Path, text: str) -> None:
    p = tmp_path / "sp.txt"
    p.write_text(text)
    with pytest.raises(InputFormatError) as err:
        read_table(p)
    msg = str(err.value)
    assert "not at spaces" in msg and "named .smi" in msg and "header line `smiles name`" in msg


def test_smi_with_a_space_separated_header_is_read(tmp_path: Path) -> None:
    p = tmp_path / "sp.smi"
    p.write_text("smiles name\nCCO a\nCCN b\n")
    reader = open_input(p)
    assert (reader.columns, reader.smiles_column, reader.id_column) == (["smiles", "name"], "smiles", "name")
    df = pd.concat(list(reader))
    assert df.values.tolist() == [["CCO", "a"], ["CCN", "b"]]
