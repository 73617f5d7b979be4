"""Parquet output of a text input: pass-through columns that hold only numbers are stored as
numbers, decided over every chunk (a column numeric in the first chunk with text later stays
text, whole); identifiers such as ``007`` stay text; CSV and SDF output are unchanged."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from screen_fixtures import TINY_BUNDLE

from drugscreen.exceptions import InputFormatError
from drugscreen.io import TableWriter, TextColumnTypes, read_table, type_text_columns
from drugscreen.screening.run import run_screen


def _types(*chunks: dict[str, list[object]], columns: list[str] | None = None) -> dict[str, str]:
    sniffer = TextColumnTypes(columns or list(chunks[0]))
    for c in chunks:
        sniffer.update(pd.DataFrame(c, dtype=object))
    return sniffer.types()


def test_numbers_typed_identifiers_and_other_text_kept() -> None:
    assert _types({
        "mw": ["46.07", "", " 94.1 "], "n": ["1", "-2", "+3"], "code": ["007", "8", "9"], "ic50": ["12", "<0.1", "3"],
        "sci": ["1e-3", "2.5E+02", ".5"], "blank": ["", " ", None], "big": ["12345678901234567890", "1", "2"],
        "digits": ["0.1234567890123456", "1", "2"], "zero": ["0", "0.0", "-0.5"], "word": ["nan", "1", "2"],
        "inf": ["inf", "1", "2"], "huge_exp": ["1e400", "1", "2"], "lead": ["00.5", "1", "2"],
    }) == {"mw": "float64", "n": "int64", "sci": "float64", "zero": "float64"}


def test_type_decided_over_all_chunks() -> None:
    first = {"val": ["1.5", "2"], "n": ["1", "2"], "late": ["", ""], "id": ["1", "2"]}
    later = {"val": ["3", "n/a"], "n": ["3", "4.5"], "late": ["", "7"], "id": ["3", "4"]}
    assert _types(first, columns=["val", "n", "late"]) == {"val": "float64", "n": "int64"}
    # text in a later chunk keeps the column text; a float makes an int column float
    assert _types(first, later, columns=["val", "n", "late"]) == {"n": "float64", "late": "int64"}


def test_columns_that_are_not_text_are_left_alone() -> None:
    sniffer = TextColumnTypes(["x", "y"])
    sniffer.update(pa.table({"x": pa.array([1.5, 2.0]), "y": pa.array([None, None], type=pa.null())}))
    sniffer.update(pa.table({"x": pa.array([3.0, None]), "y": pa.array(["4", "5"])}))
    assert sniffer.types() == {"y": "int64"}


def test_type_text_columns_converts_and_refuses_text_it_would_lose() -> None:
    table = pa.table({"a": ["1", "", " +2", None], "b": ["0.5", "1e2", "", "-.25"], "c": ["x", "y", "z", "w"]})
    out = type_text_columns(table, {"a": "int64", "b": "float64"})
    assert out.schema.field("a").type == pa.int64() and out.schema.field("b").type == pa.float64()
    assert out.column("a").to_pylist() == [1, None, 2, None] and out.column("b").to_pylist() == [0.5, 100.0, None, -0.25]
    assert out.column("c").to_pylist() == ["x", "y", "z", "w"]
    with pytest.raises(InputFormatError, match="'c' holds text"):
        type_text_columns(table, {"c": "float64"})
    with pytest.raises(InputFormatError, match="'a' holds text"):  # 007 would lose its zeros
        type_text_columns(pa.table({"a": ["007"]}), {"a": "int64"})


def test_writer_types_only_parquet(tmp_path) -> None:
    df = pd.DataFrame({"mw": ["46.07", "94.10"], "id": ["007", "008"]}, dtype=object)
    for suffix in ("csv", "parquet", "sdf"):
        with TableWriter(tmp_path / f"o.{suffix}", column_types={"mw": "float64"}) as w:
            w.write(df)
    assert (tmp_path / "o.csv").read_text() == "mw,id\n46.07,007\n94.10,008\n"  # text as it was
    assert "<mw>\n94.10\n" in (tmp_path / "o.sdf").read_text()
    t = pq.read_table(tmp_path / "o.parquet")
    assert t.schema.field("mw").type == pa.float64() and t.column("mw").to_pylist() == [46.07, 94.1]
    assert t.column("id").to_pylist() == ["007", "008"]


LINES = ["smiles,id,mw,val,n,flag,note"] + [
    f"{'C' * (i + 2)}O,{i:03d},{46.07 + 14 * i:.2f},{'n/a' if i == 8 else f'{i}.5'},{i},{'1' if i == 9 else ''},x{i}"
    for i in range(10)
]


@pytest.mark.skipif(not (TINY_BUNDLE / "config.json").is_file(), reason="tiny bundle fixture missing")
@pytest.mark.parametrize("jobs", [1, 2])
def test_screen_parquet_output_types_pass_through_columns(tmp_path, jobs) -> None:
    src = tmp_path / "in.csv"
    src.write_text("\n".join(LINES) + "\n")
    # chunks of 4 rows: 'val' looks numeric in the first two chunks, 'n/a' comes in the third
    run_screen(src, tmp_path / "out.parquet", panel=TINY_BUNDLE, chunk_size=4, jobs=jobs)
    run_screen(src, tmp_path / "out.csv", panel=TINY_BUNDLE, chunk_size=4, jobs=jobs)
    t = pq.read_table(tmp_path / "out.parquet")
    types = {f.name: f.type for f in t.schema}
    assert types["mw_input"] == pa.float64() and types["n"] == pa.int64() and types["flag"] == pa.int64()
    assert types["val"] in (pa.string(), pa.large_string()) and types["id"] in (pa.string(), pa.large_string())
    assert types["note"] in (pa.string(), pa.large_string())
    assert t.column("id").to_pylist() == [f"{i:03d}" for i in range(10)]  # 007 stays 007
    assert t.column("val").to_pylist()[7:9] == ["7.5", "n/a"]  # nothing lost
    assert t.column("flag").to_pylist() == [None] * 9 + [1]
    assert t.column("mw_input").to_pylist() == [round(46.07 + 14 * i, 2) for i in range(10)]
    # CSV output keeps the input's text exactly
    csv = read_table(tmp_path / "out.csv")
    source = read_table(src)
    assert csv["mw_input"].tolist() == source["mw"].tolist() and csv["id"].tolist() == source["id"].tolist()
    assert csv["val"].tolist() == source["val"].tolist() and csv["flag"].tolist() == source["flag"].tolist()


@pytest.mark.skipif(not (TINY_BUNDLE / "config.json").is_file(), reason="tiny bundle fixture missing")
def test_parquet_input_keeps_its_own_types(tmp_path) -> None:
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"smiles": ["CCO", "CCN"], "code": ["1", "2"], "mw": [46.07, 45.08]}), src)
    run_screen(src, tmp_path / "out.parquet", panel=TINY_BUNDLE, jobs=1)
    t = pq.read_table(tmp_path / "out.parquet")
    assert t.schema.field("code").type in (pa.string(), pa.large_string())  # typed as text on purpose: kept
    assert t.schema.field("mw_input").type == pa.float64()
