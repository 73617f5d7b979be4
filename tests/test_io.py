"""drugscreen.io: readers by suffix (streamed), writers (atomic, CSV-injection safe)."""

from __future__ import annotations

import gzip
import io
import sys

import numpy as np
import pandas as pd
import pytest

from drugscreen.exceptions import InputFormatError
from drugscreen.io import (
    CSV_SLOT,
    ERROR_COLUMN,
    TableWriter,
    default_output_path,
    detect_format,
    escape_csv_injection,
    fill_csv_slots,
    open_input,
    read_table,
    render_csv_rows,
)


def test_smi_without_header_keeps_first_molecule(tmp_path):
    p = tmp_path / "a.smi"
    p.write_text("CCO ethanol\nc1ccccc1O phenol\n")
    df = read_table(p)
    assert df["smiles"].tolist() == ["CCO", "c1ccccc1O"]
    assert df["name"].tolist() == ["ethanol", "phenol"]
    reader = open_input(p)
    assert reader.id_column == "name"


def test_smi_single_column_no_names(tmp_path):
    p = tmp_path / "a.smi"
    p.write_text("C\nCC\n")  # 'C' must not be taken for a header
    df = read_table(p)
    assert df["smiles"].tolist() == ["C", "CC"]
    assert df["name"].tolist() == ["", ""]


def test_smi_with_header_and_names_with_spaces(tmp_path):
    p = tmp_path / "a.smiles"
    p.write_text("SMILES Name\nCCO ethyl alcohol\nCC ethane\n")
    reader = open_input(p)
    assert reader.columns == ["SMILES", "Name"] and reader.smiles_column == "SMILES"
    df = pd.concat(list(reader))
    assert df["Name"].tolist() == ["ethyl alcohol", "ethane"]


def test_smi_blank_lines_are_not_records(tmp_path):
    p = tmp_path / "a.smi"
    p.write_text("CCO a\n\nCC b\n\n\n")
    df = read_table(p)
    assert df["smiles"].tolist() == ["CCO", "CC"]
    assert list(df.index) == [0, 1]


def test_csv_bom_crlf_case_insensitive_column(tmp_path):
    p = tmp_path / "a.csv"
    p.write_bytes("\ufeffID,SMILES,activity\r\nm1,CCO,1.5\r\nm2,c1ccccc1,007\r\n".encode())
    reader = open_input(p)
    assert reader.columns == ["ID", "SMILES", "activity"]
    assert reader.smiles_column == "SMILES" and reader.id_column == "ID"
    df = pd.concat(list(reader))
    assert df["SMILES"].tolist() == ["CCO", "c1ccccc1"]
    assert df["activity"].tolist() == ["1.5", "007"]  # text kept exactly


@pytest.mark.parametrize(("suffix", "sep"), [(".tsv", "\t"), (".txt", ";"), (".txt", "\t"), (".csv", ";")])
def test_delimiter_sniffed(tmp_path, suffix, sep):
    p = tmp_path / f"a{suffix}"
    p.write_text(f"name{sep}smiles\nx{sep}CCO\ny{sep}CCN\n")
    df = read_table(p)
    assert df["smiles"].tolist() == ["CCO", "CCN"]


def test_missing_cell_and_quoted_fields(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text('id,smiles,note\n1,,"a, b"\n2,CCO\n')
    df = read_table(p)
    assert df["smiles"].tolist() == ["", "CCO"]
    assert df["note"].tolist() == ["a, b", ""]


def test_ambiguous_and_missing_smiles_column_list_columns(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("smiles,SMI,x\nC,C,1\n")
    with pytest.raises(InputFormatError, match=r"several columns.*'smiles'.*'SMI'"):
        open_input(p)
    assert open_input(p, smiles_column="SMI").smiles_column == "SMI"
    q = tmp_path / "b.csv"
    q.write_text("structure_text,x\nC,1\n")
    with pytest.raises(InputFormatError, match=r"no SMILES column.*'structure_text', 'x'"):
        open_input(q)
    with pytest.raises(InputFormatError, match="not found"):
        open_input(q, smiles_column="nope")


def test_unknown_suffix_and_missing_file(tmp_path):
    with pytest.raises(InputFormatError, match="unknown file type"):
        open_input(tmp_path / "a.xlsx")
    with pytest.raises(InputFormatError, match="not found"):
        open_input(tmp_path / "missing.csv")


def test_chunked_reading_bounded(tmp_path):
    p = tmp_path / "a.smi"
    p.write_text("".join(f"{'C' * (i % 5 + 1)} m{i}\n" for i in range(10)))
    chunks = list(open_input(p, chunksize=3))
    assert [len(c) for c in chunks] == [3, 3, 3, 1]
    assert list(pd.concat(chunks).index) == list(range(10))
    reader = open_input(p, chunksize=3)
    reader.skip(4)
    rest = pd.concat(list(reader))
    assert list(rest.index) == list(range(4, 10))


SDF = """ethanol
     RDKit          2D

  3  2  0  0  0  0  0  0  0  0999 V2000
    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    1.2990    0.7500    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    2.5981   -0.0000    0.0000 O   0  0  0  0  0  0  0  0  0  0  0  0
  1  2  1  0
  2  3  1  0
M  END
>  <activity>
1.5

$$$$
broken
     RDKit          2D

  2  1  0  0  0  0  0  0  0  0999 V2000
    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    1.2990    0.7500    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
  1  3  1  0
M  END
>  <activity>
2

$$$$
pentavalent
     RDKit          2D

  5  4  0  0  0  0  0  0  0  0999 V2000
    0.0000    0.0000    0.0000 N   0  0  0  0  0  0  0  0  0  0  0  0
    1.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    2.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    3.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    4.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
  1  2  1  0
  1  3  1  0
  1  4  1  0
  1  5  1  0
M  END
$$$$
methane
     RDKit          2D

  1  0  0  0  0  0  0  0  0  0999 V2000
    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
M  END
>  <activity>
3

$$$$
"""


def test_sdf_streamed_tags_names_and_bad_records(tmp_path):
    p = tmp_path / "a.sdf"
    p.write_text(SDF)
    reader = open_input(p)
    assert reader.columns == ["_Name", "smiles", "activity"] and reader.id_column == "_Name"
    df = pd.concat(list(reader))
    assert df["_Name"].tolist() == ["ethanol", "broken", "pentavalent", "methane"]
    assert df["smiles"].iloc[0] == "CCO" and df["smiles"].iloc[3] == "C"
    assert df["activity"].tolist() == ["1.5", "2", "", "3"]
    assert df[ERROR_COLUMN].iloc[0] == "" and df[ERROR_COLUMN].iloc[1].startswith("SDF record 2")
    assert df[ERROR_COLUMN].iloc[2].startswith("SDF record 3")


def test_parquet_and_gzip(tmp_path):
    frame = pd.DataFrame({"smiles": ["CCO", "CCN"], "value": [1.0, 2.0]})
    frame.to_parquet(tmp_path / "a.parquet")
    df = read_table(tmp_path / "a.parquet")
    assert df["smiles"].tolist() == ["CCO", "CCN"] and df["value"].dtype == float
    with gzip.open(tmp_path / "b.smi.gz", "wt") as fh:
        fh.write("CCO a\nCCN b\n")
    assert read_table(tmp_path / "b.smi.gz")["smiles"].tolist() == ["CCO", "CCN"]
    with gzip.open(tmp_path / "c.csv.gz", "wt") as fh:
        fh.write("smiles,id\nCCO,1\n")
    assert read_table(tmp_path / "c.csv.gz")["id"].tolist() == ["1"]
    with gzip.open(tmp_path / "d.sdf.gz", "wt") as fh:
        fh.write(SDF)
    assert len(read_table(tmp_path / "d.sdf.gz")) == 4


@pytest.mark.parametrize(
    ("text", "column"),
    [("CCO a\nCCN b\n", "smiles"), ("id,smiles\n1,CCO\n2,CCN\n", "smiles"), ("SMILES\tx\nCCO\t1\nCCN\t2\n", "SMILES")],
)
def test_stdin(monkeypatch, text, column):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    df = read_table("-")
    assert df[column].tolist() == ["CCO", "CCN"]


def test_detect_format_and_default_output(tmp_path):
    assert detect_format("x.SDF.gz") == ("sdf", True)
    assert detect_format("x.parquet", output=True) == ("parquet", False)
    with pytest.raises(InputFormatError):
        detect_format("x.smi", output=True)
    assert default_output_path(tmp_path / "hits.smi.gz") == tmp_path / "hits_scored.csv"
    assert default_output_path(tmp_path / "my.hits.csv") == tmp_path / "my.hits_scored.csv"


def test_csv_injection_escaped_numbers_untouched():
    df = pd.DataFrame({"a": ["=cmd|' /C calc'!A0", "+1+cmd", "-x", "@SUM(A1)", "ok", "C=C"], "n": [-1.0, 2, 3, 4, 5, 6]})
    out = escape_csv_injection(df)
    assert out["a"].tolist() == ["'=cmd|' /C calc'!A0", "'+1+cmd", "'-x", "'@SUM(A1)", "ok", "C=C"]
    assert out["n"].tolist() == df["n"].tolist()


def test_writer_atomic_and_never_over_input(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError):
        with TableWriter(target) as w:
            w.write(pd.DataFrame({"a": [1, 2]}))
            raise RuntimeError("boom")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary left behind
    src = tmp_path / "in.csv"
    src.write_text("smiles\nC\n")
    with pytest.raises(InputFormatError, match="over the input"):
        TableWriter(src, input_path=src)
    with TableWriter(target) as w:
        w.write(pd.DataFrame({"a": ["=1", "x"], "b": [1.5, np.nan]}))
        w.write(pd.DataFrame({"a": ["y", "z"], "b": [2.5, 3.5]}))
    assert target.read_text() == "a,b\n'=1,1.5\nx,\ny,2.5\nz,3.5\n"


@pytest.mark.parametrize("name", ["o.csv", "o.tsv", "o.csv.gz"])
def test_rendered_rows_write_exactly_what_write_would(tmp_path, name):
    frame = pd.DataFrame({
        "name": ['a "quoted", name', "multi\nline", "=HYPERLINK(x)", None, "tab\there", "-1"],
        "x": [0.1 + 0.2, np.nan, -1.5, 1e-300, 12345678.9, 2.0],
        "valid": [True, False, True, True, False, True],
        "rank": pd.array([0] * 6, dtype="Int64"),
    })
    ranks = [3, 0, 1, 2, 0, 4]
    ranked = frame.assign(rank=pd.array([r if r else None for r in ranks], dtype="Int64"))
    with TableWriter(tmp_path / f"plain_{name}") as w:
        w.write(ranked.iloc[:4])
        w.write(ranked.iloc[4:])
    sep = "\t" if "tsv" in name else ","
    with TableWriter(tmp_path / f"fast_{name}") as w:
        assert w.csv_separator == sep
        for part, r in ((frame.iloc[:4], ranks[:4]), (frame.iloc[4:], ranks[4:])):
            text = render_csv_rows(part, sep, "rank")
            assert text is not None and text.count(CSV_SLOT) == len(part)
            w.write_rendered(list(part.columns), fill_csv_slots(text, [str(v) if v else "" for v in r]), len(part))
    opener = gzip.open if name.endswith(".gz") else open
    with opener(tmp_path / f"plain_{name}", "rb") as a, opener(tmp_path / f"fast_{name}", "rb") as b:
        assert a.read() == b.read()


def test_rendered_rows_refused_when_unsafe(tmp_path):
    frame = pd.DataFrame({"name": ["x", f"evil{CSV_SLOT}"], "rank": [1, 2]})
    assert render_csv_rows(frame, ",", "rank") is None  # the marker inside a cell
    assert render_csv_rows(frame[["rank", "name"]], ",", "rank") is None  # not the last column
    with pytest.raises(ValueError, match="open cells"):
        fill_csv_slots(render_csv_rows(frame.iloc[:1], ",", "rank"), ["1", "2"])
    with TableWriter(tmp_path / "o.parquet") as w:
        assert w.csv_separator is None
        with pytest.raises(InputFormatError, match="internal error"):
            w.write_rendered(["a"], "1\n", 1)
        w.write(pd.DataFrame({"a": [1]}))


@pytest.mark.parametrize("name", ["o.tsv", "o.parquet", "o.sdf", "o.csv.gz"])
def test_writer_formats_roundtrip(tmp_path, name):
    df = pd.DataFrame({"id": ["a", "b"], "smiles_std": ["CCO", "c1ccccc1"], "x": [1.0, np.nan]})
    with TableWriter(tmp_path / name) as w:
        w.write(df.iloc[:1])
        w.write(df.iloc[1:])
    back = read_table(tmp_path / name, smiles_column="smiles_std" if not name.endswith("sdf") else None)
    assert len(back) == 2
    if name.endswith("sdf"):
        assert back["_Name"].tolist() == ["a", "b"] and back["smiles"].tolist() == ["CCO", "c1ccccc1"]
