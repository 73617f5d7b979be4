"""Bytes that are not UTF-8 past the part of a file sniffed for its encoding (its first 64 KiB)
were read as U+FFFD without a word: a name column 'café' written by another tool became 'caf\ufffd'
in the output, and a SMILES with such a byte was flagged only as a non-ASCII character."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from drugscreen.io import open_input

FILLER = "".join(f"CCO ok{i}\n" for i in range(12_000))  # ~110 KB of plain ASCII first


def _read(path: Path) -> pd.DataFrame:
    return pd.concat(list(open_input(path, chunksize=1000)))


@pytest.mark.parametrize("suffix", [".smi", ".csv"])
def test_a_late_undecodable_byte_is_named_in_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture, suffix: str) -> None:
    src = tmp_path / f"late{suffix}"
    body = FILLER if suffix == ".smi" else "smiles,name\n" + FILLER.replace(" ", ",")
    src.write_bytes(body.encode() + b"c1ccccc1O caf\xe9\n".replace(b" ", b"," if suffix == ".csv" else b" ") + b"CCN last\n".replace(b" ", b"," if suffix == ".csv" else b" "))
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        rows = _read(src)
    assert len(rows) == 12_002 and rows["name"].iloc[-2] == "caf\ufffd"  # one row per line, in place
    warned = [r.getMessage() for r in caplog.records if "U+FFFD" in r.getMessage()]
    assert len(warned) == 1
    assert f"late{suffix}, row 12000" in warned[0] and "'name'" in warned[0] and "save the file as UTF-8" in warned[0]


def test_a_clean_file_and_an_early_bad_byte_warn_once_or_not_at_all(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    clean = tmp_path / "clean.smi"
    clean.write_text(FILLER + "c1ccccc1O café\n", encoding="utf-8")
    early = tmp_path / "early.smi"
    early.write_bytes("CCO café\n".encode() + b"CCN caf\xe9\n" + FILLER.encode() + b"CCC caf\xe9\n")
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        assert _read(clean)["name"].iloc[-1] == "café"
        assert not [r for r in caplog.records if "\ufffd" in r.getMessage() or "U+FFFD" in r.getMessage()]
        _read(early)
    # the sniffed part already said it (is not UTF-8 throughout): not said again
    assert len([r for r in caplog.records if "UTF-8" in r.getMessage()]) == 1
