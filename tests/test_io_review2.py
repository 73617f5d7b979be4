"""drugscreen.io: defects found by the second user-perspective review (each test names its defect).

SDF records ended by ``$$$$`` with trailing white space, a lost ``$$$$`` line, tags first seen
late and values starting with ``$$$$`` in SDF output; CSV/TSV stray quotes, over-long fields
and empty files; a CSV saved as ``.smi``; a file scored a third time.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
from screen_fixtures import TINY_BUNDLE

from drugscreen.exceptions import InputFormatError
from drugscreen.io import ERROR_COLUMN, TableWriter, escape_csv_injection, open_input, read_table

_MOLBLOCK = """{name}
     RDKit          2D

  2  1  0  0  0  0  0  0  0  0999 V2000
    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    1.2990    0.7500    0.0000 {element:<2}  0  0  0  0  0  0  0  0  0  0  0  0
  1  2  1  0
M  END
"""


def _record(name: str, element: str = "O", tags: dict[str, str] | None = None, end: str = "$$$$\n") -> str:
    fields = "".join(f">  <{k}>\n{v}\n\n" for k, v in (tags or {}).items())
    return _MOLBLOCK.format(name=name, element=element) + fields + end


# -- 1. "$$$$ " ends a record; a record with two molecule blocks is flagged ----------------------


def test_sdf_separator_with_trailing_white_space_ends_the_record(tmp_path: Path) -> None:
    """``$$$$`` followed by a space (or a tab, or CRLF) was not a separator: three records were
    read as one, rows lost and the later tags written over the first record's."""
    p = tmp_path / "t.sdf"
    p.write_text(_record("m0", "O", {"a": "1"}, "$$$$ \n") + _record("m1", "N", {"a": "2", "IC50_nM": "12"}, "$$$$\t\r\n")
                 + _record("m2", "C", {"IC50_nM": "5"}, "$$$$  \n"))  # fmt: skip
    df = read_table(p)
    assert df["_Name"].tolist() == ["m0", "m1", "m2"]
    assert df["smiles"].tolist() == ["CO", "CN", "CC"]
    assert df["a"].tolist() == ["1", "2", ""] and df["IC50_nM"].tolist() == ["", "12", "5"]
    assert (df[ERROR_COLUMN] == "").all()


def test_sdf_record_with_two_molecule_blocks_is_an_error_row(tmp_path: Path) -> None:
    """A lost ``$$$$`` line merges two records; the merged record is flagged rather than read
    as its first molecule carrying the second one's tags."""
    p = tmp_path / "t.sdf"
    p.write_text(_record("m0", "O", {"a": "1"}, "") + _record("m1", "N", {"a": "2"}) + _record("m2", "C", {"a": "3"}))
    df = read_table(p)
    assert df["_Name"].tolist() == ["m0", "m2"]
    assert df[ERROR_COLUMN].tolist() == ["SDF record 1: holds more than one molecule block (a missing $$$$ line?)", ""]
    assert df["smiles"].tolist() == ["", "CC"]
    assert df["a"].tolist() == ["1", "3"]  # the first molecule's own tag, not the second's


# -- 2. a stray quote in CSV/TSV ----------------------------------------------------------------


def test_tsv_quote_never_closed_is_refused_with_its_line(tmp_path: Path) -> None:
    """The csv module (not strict) ends an unclosed quote at the end of the file: 3 rows of 5
    were read, the last one holding the rest of the file, and the run exited 0."""
    p = tmp_path / "q.tsv"
    p.write_text('smiles\tname\nCCO\tethanol\nCCN\t"Amine" grade 2\nCCC\t"quoted start\nCCCC\tbutane\nc1ccccc1\tbenzene\n')
    with pytest.raises(InputFormatError, match=r"q\.tsv, line 4: a quote opened here is never closed") as info:
        read_table(p)
    assert "\n" not in str(info.value)
    p.write_text('smiles\tname\nCCO\tethanol\nCCC\t"quoted start')  # on the last line, no line end
    with pytest.raises(InputFormatError, match=r"line 3: a quote opened here is never closed.*\(1 line\)"):
        read_table(p)


def test_csv_stray_quote_that_merges_rows_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "m.csv"
    p.write_text('smiles,id\nCCO,a\nCCN,"b 12 inch\nCCC,c\nCCCC,"d"\nCCCCC,e\n')
    with pytest.raises(InputFormatError, match=r"m\.csv, line 3: a quoted field opened here runs over 3 lines"):
        read_table(p)


def test_csv_quoted_fields_that_close_are_read_and_lines_are_counted(tmp_path: Path) -> None:
    p = tmp_path / "ok.csv"
    p.write_text('\nsmiles,note\nCCO,"two\nlines"\nCCN,"say ""hi""\n, twice"\nCCC,5" pipe\n"CCCC" ,x\nC,"a,b" \n')
    df = read_table(p)
    assert df["smiles"].tolist() == ["CCO", "CCN", "CCC", "CCCC ", "C"]
    assert df["note"].tolist() == ["two\nlines", 'say "hi"\n, twice', '5" pipe', "x", "a,b "]
    assert list(df.index) == [0, 1, 2, 3, 4]
    # a line number after multi-line records is the line in the file (here the 9th)
    p.write_text('\nsmiles,note\nCCO,"two\nlines"\nCCN,"say ""hi""\n, twice"\nCCC,x\n"CCCC",x\nC,1,2\n')
    with pytest.raises(InputFormatError, match=r"ok\.csv, line 9: 3 fields where the header has 2"):
        read_table(p)


# -- 3. a field longer than the csv module's default limit --------------------------------------


def test_csv_field_over_the_csv_module_limit_is_a_row(tmp_path: Path) -> None:
    """A cell of more than 131,072 characters stopped the run with the csv module's
    'field larger than field limit'; it is a row (flagged later, as in .smi input)."""
    p = tmp_path / "long.csv"
    p.write_text("smiles,id\nCCO,a\n" + "C" * 140_000 + ",long\nCCN,c\n")
    df = read_table(p)
    assert df["id"].tolist() == ["a", "long", "c"] and len(df["smiles"].iloc[1]) == 140_000


# -- 4. SDF tags first seen after the scanned records -------------------------------------------


def test_sdf_file_keeps_a_tag_first_seen_late(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Tags were columns only when seen in the first min(chunksize, 1000) records: a tag first
    seen later was dropped (with a warning), and a late ``SMILES`` tag did not move the
    structure column aside. A file is now read once for every tag name."""
    import gzip

    p = tmp_path / "t.sdf"
    text = (_record("m0", tags={"a": "1"}) + _record("m1", tags={"a": ">10"}) + _record("m2", tags={"a": "3", "Comment": "x"})
            + _record("m3", tags={"Comment": "y", "SMILES": "CCO"}))  # fmt: skip
    p.write_text(text)
    gz = tmp_path / "t.sdf.gz"
    gz.write_bytes(gzip.compress(text.replace("\n", "\r\n").encode()))
    for path in (p, gz):
        with caplog.at_level(logging.WARNING, logger="drugscreen.io"):
            reader = open_input(path, chunksize=2)
            chunks = list(reader)
        assert reader.columns == ["_Name", "structure_smiles", "a", "Comment", "SMILES"]
        assert [list(c.columns) for c in chunks] == [[*reader.columns, ERROR_COLUMN]] * 2
        df = pd.concat(chunks)
        assert df["a"].tolist() == ["1", ">10", "3", ""]
        assert df["Comment"].tolist() == ["", "", "x", "y"]
        assert df["SMILES"].tolist() == ["", "", "", "CCO"]
        assert df["structure_smiles"].tolist() == ["CO"] * 4
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_sdf_tag_in_a_lost_records_second_block_is_no_column(tmp_path: Path) -> None:
    """The first pass finds the tags the reader reads: a record holding two molecule blocks (a
    lost ``$$$$``) has only the first block's tags, so the second's make no empty column."""
    p = tmp_path / "t.sdf"
    p.write_text(_record("m0", tags={"a": "1"}, end="") + _record("m1", tags={"b": "2"}) + _record("m2", tags={"a": "3"}))
    df = read_table(p)
    assert list(df.columns) == ["_Name", "smiles", "a", ERROR_COLUMN]
    assert df["a"].tolist() == ["1", "3"]


def test_sdf_stdin_tag_first_seen_late_is_warned_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Standard input is read once: tags are columns only when seen in the first records, and a
    later one is left out with a warning (once)."""
    import io
    import sys

    text = (_record("m0", tags={"a": "1"}) + _record("m1", tags={"a": "2"}) + _record("m2", tags={"a": "3", "Comment": "x"})
            + _record("m3", tags={"Comment": "y"}))  # fmt: skip
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    with caplog.at_level(logging.WARNING, logger="drugscreen.io"):
        chunks = list(open_input("-", chunksize=2))
    assert [list(c.columns) for c in chunks] == [["_Name", "smiles", "a", ERROR_COLUMN]] * 2
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "SDF record 3: tag 'Comment' first seen after the first 2 records; not in the output "
        "(columns are fixed from the first records of standard input; give the file by name to get every tag)"
    ]


# -- 5. SDF output: a value starting with $$$$ ---------------------------------------------------


def test_sdf_output_value_starting_with_dollars_reads_back_as_one_record(tmp_path: Path) -> None:
    from rdkit import Chem

    out = tmp_path / "o.sdf"
    notes = ["$$$$", "$$$$ tail", "a\n$$$$\nb", "plain"]
    with TableWriter(out, smiles_column="smiles") as w:
        w.write(pd.DataFrame({"smiles": ["CCO", "CCN", "CCC", "CCCC"], "id": ["a", "b", "c", "d"], "note": notes}))
    df = read_table(out)
    assert df["_Name"].tolist() == ["a", "b", "c", "d"] and df["smiles"].tolist() == ["CCO", "CCN", "CCC", "CCCC"]
    assert df["note"].tolist() == [" $$$$", " $$$$ tail", "a $$$$ b", "plain"]
    assert len([m for m in Chem.SDMolSupplier(str(out)) if m is not None]) == 4


# -- 6. a file scored three times ----------------------------------------------------------------


@pytest.mark.skipif(not (TINY_BUNDLE / "config.json").is_file(), reason="tiny bundle fixture missing")
def test_a_file_scored_a_third_time_keeps_unique_column_names() -> None:
    """The second scoring renames the input's score to score_input; the third renamed the
    second's score to score_input again: two columns of one name, and writing the CSV failed
    ('DataFrame' object has no attribute 'dtype')."""
    from drugscreen.screening.screener import Screener

    screener = Screener.load(TINY_BUNDLE, profile="default")
    once = screener.score(["CCO", "CCN"])
    twice = screener.score(once)
    thrice = screener.score(twice)
    assert thrice.columns.is_unique
    assert {"score", "score_input", "score_input2", "smiles_std_input2"} <= set(thrice.columns)
    assert thrice["score_input"].tolist() == once["score"].tolist()
    assert thrice["score_input2"].tolist() == twice["score"].tolist()
    escape_csv_injection(thrice)  # what writing the CSV does first


# -- 7. an empty CSV/TSV file --------------------------------------------------------------------


@pytest.mark.parametrize(("name", "text"), [("e.csv", ""), ("e.tsv", ""), ("e.csv", "\n\n"), ("e.csv.gz", None)])
def test_empty_csv_is_a_table_without_rows(tmp_path: Path, name: str, text: str | None) -> None:
    """An empty .csv was refused ('... is empty'), an empty .smi read as no rows (the run then
    writes a header-only output and a warning, as the README says)."""
    import gzip

    p = tmp_path / name
    p.write_bytes(gzip.compress(b"") if text is None else text.encode())
    reader = open_input(p)
    assert reader.columns == ["smiles"] and reader.smiles_column == "smiles" and reader.id_column is None
    assert list(reader) == []
    assert open_input(p, smiles_column="Structure", id_column="Name").columns == ["Structure", "Name"]


@pytest.mark.skipif(not (TINY_BUNDLE / "config.json").is_file(), reason="tiny bundle fixture missing")
def test_empty_csv_is_screened_to_a_header_only_output(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from drugscreen.cli import app

    src, out = tmp_path / "empty.csv", tmp_path / "out.csv"
    src.write_text("")
    res = CliRunner().invoke(app, ["screen", str(src), "-o", str(out), "--panel", str(TINY_BUNDLE)])
    assert res.exit_code == 0, res.output
    assert "holds no molecules" in res.output and "0 scored, 0 invalid" in res.output
    df = pd.read_csv(out)
    assert len(df) == 0 and list(df.columns)[:3] == ["smiles", "id", "smiles_std"]


# -- 8. a CSV saved as .smi ----------------------------------------------------------------------


def test_csv_saved_as_smi_is_read_as_csv_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Every row, the header included, was an invalid SMILES ('syntax error while parsing:
    smiles,id') with no hint."""
    p = tmp_path / "csvnamed.smi"
    p.write_text("# from a spreadsheet\nsmiles,id\nCCO,a\nc1ccccc1,b\n")
    with caplog.at_level(logging.WARNING, logger="drugscreen.io"):
        reader = open_input(p)
        df = pd.concat(list(reader))
    assert reader.columns == ["smiles", "id"] and reader.id_column == "id"
    assert df["smiles"].tolist() == ["CCO", "c1ccccc1"] and df["id"].tolist() == ["a", "b"]
    assert "reading the file as CSV (name it .csv)" in caplog.text
    # a whitespace-separated .smi header, a comma in a name, or header=False: read as .smi
    p.write_text("SMILES Name\nCCO a,b\n")
    assert read_table(p)["Name"].tolist() == ["a,b"]
    p.write_text("smiles,id\nCCO,a\n")
    assert read_table(p, header=False)["smiles"].tolist() == ["smiles,id", "CCO,a"]


def test_smi_with_a_tab_separated_header_splits_rows_at_tabs(tmp_path: Path) -> None:
    """A .smi whose header is `Smiles<TAB>Name<TAB>MW` split its rows at any white space, so
    'ethyl alcohol' became Name 'ethyl' and MW 'alcohol<TAB>46.07' (and the id 'ethyl')."""
    p = tmp_path / "t.smi"
    p.write_text("Smiles\tName\tMW\nCCO\tethyl alcohol\t46.07\nCC(=O)OCC\tethyl acetate\t88.1\n")
    df = read_table(p)
    assert df[["Smiles", "Name", "MW"]].values.tolist() == [["CCO", "ethyl alcohol", "46.07"], ["CC(=O)OCC", "ethyl acetate", "88.1"]]
    # a header written with spaces keeps the white-space rule (the last field takes the rest)
    p.write_text("smiles name\nCCO ethyl alcohol\n")
    assert read_table(p)[["smiles", "name"]].values.tolist() == [["CCO", "ethyl alcohol"]]


# -- code review of the fixes above ----------------------------------------------------------------


def test_stray_quote_closed_then_space_then_text_is_refused(tmp_path: Path) -> None:
    """`5" tube` closed a quote opened two lines up; the space after it hid the merge."""
    p = tmp_path / "q.csv"
    p.write_text('smiles,note\nCCO,"Tylenol\nCCC,plain\nCCN,5" tube\nCCCl,x\n')
    with pytest.raises(InputFormatError, match="line 2: .* followed by 't'"):
        read_table(p)
    # a multi-line field closed with trailing white space before the line end is fine
    p.write_text('smiles,note\nCCO,"multi\nline" \nCCN,"a ""b"" c"\n')
    assert read_table(p)["note"].tolist() == ["multi\nline ", 'a "b" c']


def test_m_end_in_a_tag_value_or_title_is_not_a_second_molecule(tmp_path: Path) -> None:
    p = tmp_path / "v.sdf"
    p.write_text(_record("M  END title", "N", {"note": "M  END of trial"}))
    df = read_table(p)
    assert df[ERROR_COLUMN].tolist() == [""] and df["note"].tolist() == ["M  END of trial"]


def test_sdf_output_title_with_dollars_or_line_breaks_stays_one_record(tmp_path: Path) -> None:
    out = tmp_path / "o.sdf"
    with TableWriter(out, smiles_column="smiles") as w:
        w.write(pd.DataFrame({"smiles": ["CCO", "CCN", "CCC"], "id": ["$$$$", "two\nlines", "ok"]}))
    df = read_table(out)
    assert df["smiles"].tolist() == ["CCO", "CCN", "CCC"]
    assert df["_Name"].tolist() == [" $$$$", "two lines", "ok"]


def test_tab_header_with_space_separated_rows_keeps_the_white_space_rule(tmp_path: Path) -> None:
    p = tmp_path / "t.smi"
    p.write_text("smiles\tname\nCCO ethanol\nCCN\tethyl amine\n")
    assert read_table(p)[["smiles", "name"]].values.tolist() == [["CCO", "ethanol"], ["CCN", "ethyl amine"]]


def test_headerless_txt_list_of_smiles_error_says_to_use_smi(tmp_path: Path) -> None:
    p = tmp_path / "l.txt"
    p.write_text("CCO\nCCN\n")
    with pytest.raises(InputFormatError, match=r"starts with a SMILES \('CCO'\).*named \.smi"):
        read_table(p)
    p.write_text("foo,bar\nCCO,1\n")
    with pytest.raises(InputFormatError) as err:
        read_table(p)
    assert "starts with a SMILES" not in str(err.value)
