"""drugscreen.io: defects found by the user-perspective review (each test names its defect).

Numbers held as text are not "formula-escaped"; standard input is recognised as SDF, gzip,
Parquet or a CSV with the asked-for SMILES column; UTF-16 files are read; ``.smi`` comment and
blank lines are not rows; long column lists in errors are cut short.
"""

from __future__ import annotations

import gzip
import io
import logging
import sys
from pathlib import Path

import pandas as pd
import pytest

from drugscreen.exceptions import InputFormatError
from drugscreen.io import (
    ERROR_COLUMN,
    default_output_path,
    escape_csv_injection,
    open_input,
    read_table,
)


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def _sdf(smiles: list[str]) -> str:
    from rdkit import Chem

    blocks = []
    for i, s in enumerate(smiles):
        mol = Chem.MolFromSmiles(s)
        mol.SetProp("_Name", f"m{i}")
        blocks.append(Chem.MolToMolBlock(mol) + f">  <activity>\n{i}.5\n\n$$$$\n")
    return "".join(blocks)


# -- 1. CSV "formula" escaping must not touch numbers ---------------------------------------


def test_numbers_held_as_text_are_not_escaped_formulas_are():
    cells = ["-0.77", "+1.5", "-3", "-.5", "-1e-3", "+2.5E+4", "=SUM(A1)", "-2+3+cmd|' /C calc'!A0", "-inf", "-1_000", "-", "@A1", "ok"]
    out = escape_csv_injection(pd.DataFrame({"a": cells}))["a"].tolist()
    assert out[:6] == ["-0.77", "+1.5", "-3", "-.5", "-1e-3", "+2.5E+4"]
    assert out[6:12] == ["'=SUM(A1)", "'-2+3+cmd|' /C calc'!A0", "'-inf", "'-1_000", "'-", "'@A1"]
    assert out[12] == "ok"


# -- 2. standard input is written to standard output by default -------------------------------


def test_default_output_of_stdin_is_stdout(tmp_path):
    assert str(default_output_path("-")) == "-"
    assert default_output_path(tmp_path / "a.smi") == tmp_path / "a_scored.csv"


# -- 3. the format of standard input ------------------------------------------------------------


def test_stdin_sdf_is_recognised(monkeypatch):
    _stdin(monkeypatch, _sdf(["CCO", "c1ccccc1O"]).encode())
    reader = open_input("-")
    assert reader.format == "sdf"
    df = pd.concat(list(reader))
    assert df["_Name"].tolist() == ["m0", "m1"] and df["smiles"].tolist() == ["CCO", "Oc1ccccc1"]
    assert df["activity"].tolist() == ["0.5", "1.5"]


def test_stdin_honours_the_smiles_column(monkeypatch):
    _stdin(monkeypatch, b"name,Structure\nm1,CCO\nm2,CCN\n")
    reader = open_input("-", smiles_column="Structure")
    assert reader.smiles_column == "Structure" and reader.columns == ["name", "Structure"]
    assert pd.concat(list(reader))["Structure"].tolist() == ["CCO", "CCN"]
    # a whitespace-separated header naming that column is a header too, not a molecule
    _stdin(monkeypatch, b"Structure Name\nCCO a\nCCN b\n")
    df = read_table("-", smiles_column="structure")
    assert df["Structure"].tolist() == ["CCO", "CCN"] and list(df.index) == [0, 1]


def test_gzipped_stdin_and_gzip_by_content(monkeypatch, tmp_path):
    _stdin(monkeypatch, gzip.compress(b"smiles,id\nCCO,1\nCCN,2\n"))
    assert read_table("-")["smiles"].tolist() == ["CCO", "CCN"]
    mislabelled = tmp_path / "a.csv"  # gzip bytes under a plain name
    mislabelled.write_bytes(gzip.compress(b"smiles,id\nCCO,1\n"))
    assert read_table(mislabelled)["id"].tolist() == ["1"]
    broken = tmp_path / "b.csv.gz"
    broken.write_bytes(b"\x1f\x8bnot really gzip")
    with pytest.raises(InputFormatError, match="not a readable gzip file"):
        read_table(broken)


def test_stdin_parquet(monkeypatch, tmp_path):
    pd.DataFrame({"smiles": ["CCO", "CCN"], "value": [1.5, 2.0]}).to_parquet(tmp_path / "a.parquet")
    _stdin(monkeypatch, (tmp_path / "a.parquet").read_bytes())
    df = read_table("-")
    assert df["smiles"].tolist() == ["CCO", "CCN"] and df["value"].dtype == float


# -- 8. UTF-16 and binary files ---------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_csv_is_read(tmp_path, encoding):
    p = tmp_path / "a.csv"
    p.write_bytes("smiles,name\nCCO,éthanol\nCCN,b\n".encode(encoding))
    reader = open_input(p)
    assert reader.columns == ["smiles", "name"]
    df = pd.concat(list(reader))
    assert df["name"].tolist() == ["éthanol", "b"]


def test_utf16_stdin_is_read(monkeypatch):
    _stdin(monkeypatch, "CCO a\nCCN b\n".encode("utf-16"))
    assert read_table("-")["name"].tolist() == ["a", "b"]


@pytest.mark.parametrize(
    ("data", "match"),
    [(b"PK\x03\x04\x14\x00\x06\x00" + bytes(40), "ZIP archive"), (b"\x89\x00\x01\x02\x00\x00\xff" * 4, "not a text file")],
)
def test_binary_files_get_one_line_errors(tmp_path, data, match):
    p = tmp_path / "a.csv"
    p.write_bytes(data)
    with pytest.raises(InputFormatError, match=match) as info:
        open_input(p)
    assert "\n" not in str(info.value)


# -- 7. .smi comment and blank lines; rows without a name ---------------------------------------


def test_smi_comments_and_blank_lines_are_skipped_and_counted(tmp_path, caplog):
    p = tmp_path / "a.smi"
    p.write_text("# exported by a tool\n\nCCO a\n# a note\n\nCCN b\n#\nc1ccccc1 c\n\n")
    with caplog.at_level(logging.INFO, logger="drugscreen.io"):
        df = read_table(p)
    assert df["smiles"].tolist() == ["CCO", "CCN", "c1ccccc1"]
    assert df["name"].tolist() == ["a", "b", "c"] and list(df.index) == [0, 1, 2]
    assert "3 comment line(s) and 2 blank line(s) skipped" in caplog.text


def test_smi_header_after_a_comment(tmp_path):
    p = tmp_path / "a.smi"
    p.write_text("# made by hand\nSMILES Name\nCCO a\n")
    reader = open_input(p)
    assert reader.columns == ["SMILES", "Name"]
    assert pd.concat(list(reader))["Name"].tolist() == ["a"]


# a .smi row without a name: tests/test_io_s17.py (empty name; screen's id "row N")


# -- 4. long column lists in errors -------------------------------------------------------------


def test_column_lists_in_errors_are_cut_short(tmp_path):
    columns = [f"c{i}" for i in range(30)]
    p = tmp_path / "wide.csv"
    p.write_text(",".join(columns) + "\n" + ",".join("1" for _ in columns) + "\n")
    with pytest.raises(InputFormatError) as info:
        open_input(p)
    msg = str(info.value)
    assert "'c9', ... (20 more)" in msg and "'c10'" not in msg
    p.write_text("smiles,ID,id," + ",".join(columns) + "\nCCO,a,a" + ",1" * 30 + "\n")
    with pytest.raises(InputFormatError, match=r"several columns could hold the id \('ID', 'id'\).*\(23 more\)"):
        open_input(p)
    p.write_text("smiles,a,a,b,b\nCCO,1,2,3,4\n")
    with pytest.raises(InputFormatError, match=r"duplicate column names in the header of .*wide.csv: 'a', 'b'$"):
        open_input(p)


def test_reader_closes_the_file(tmp_path):
    p = tmp_path / "a.csv.gz"
    p.write_bytes(gzip.compress(b"smiles\nCCO\n"))
    reader = open_input(p)
    list(reader)
    reader.close()
    # on Linux an open handle would still be listed here
    fds = Path("/proc/self/fd")
    if fds.is_dir():
        targets = []
        for fd in fds.iterdir():
            try:
                targets.append(str(fd.readlink()))
            except OSError:
                pass
        assert str(p) not in targets


_MOLBLOCK = """{name}
     RDKit          2D

  2  1  0  0  0  0  0  0  0  0999 V2000
    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    1.2990    0.7500    0.0000 {element:<2}  0  0  0  0  0  0  0  0  0  0  0  0
  1  2  {bond}  0
M  END
$$$$
"""


def test_sdf_query_bond_is_invalid_and_rdkit_reasons_are_one_line(tmp_path: Path) -> None:
    """A molfile query bond (type 5-8, e.g. "single or double") was read as RDKit's any-bond and
    scored as 'C~N'; an unknown element's reason carried RDKit's C++ frame and stack trace."""
    p = tmp_path / "q.sdf"
    p.write_text(_MOLBLOCK.format(name="ok", element="N", bond=1) + _MOLBLOCK.format(name="query", element="N", bond=5)
                 + _MOLBLOCK.format(name="unknown", element="Xx", bond=1))
    df = read_table(p)
    assert df["smiles"].tolist() == ["CN", "", ""]
    err = df[ERROR_COLUMN].tolist()
    assert err[0] == ""
    assert err[1] == "SDF record 2: a query bond (molfile bond type 5-8, written C~N) is not a defined structure"
    assert err[2] == "SDF record 3: Element 'Xx' not found"
