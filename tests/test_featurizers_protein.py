"""Protein sequences: validation, integer encoding with truncation, k-mers, FASTA."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from drugscreen.exceptions import InputFormatError, InvalidSequenceError
from drugscreen.featurizers import (
    AMINO_ACIDS,
    KmerComposition,
    ProteinIntegerEncoder,
    build_featurizer,
    nonstandard_residues,
    parse_fasta,
    read_fasta,
    validate_sequence,
)


def test_validation_cleans_and_rejects_with_position() -> None:
    assert validate_sequence(" mkv\nla*") == "MKVLA"
    with pytest.raises(InvalidSequenceError, match=r"'1' at position 3"):
        validate_sequence("MK1A")
    with pytest.raises(InvalidSequenceError, match=r"'-' at position 2"):
        validate_sequence("A-C")
    with pytest.raises(InvalidSequenceError, match="empty"):
        validate_sequence("  *")
    with pytest.raises(InvalidSequenceError):
        validate_sequence("MKÄ")
    assert nonstandard_residues("MXBZUOJX") == {"B": 1, "J": 1, "O": 1, "U": 1, "X": 2, "Z": 1}
    assert nonstandard_residues(AMINO_ACIDS) == {}


def test_integer_encoding_padding_unknown_and_truncation() -> None:
    enc = ProteinIntegerEncoder(max_length=8)
    np.testing.assert_array_equal(enc("ACYX"), [1, 2, 20, 21, 0, 0, 0, 0])
    assert enc("acyx").tolist() == enc("ACYX").tolist()
    long = "M" + "A" * 20
    np.testing.assert_array_equal(enc(long), [11] + [1] * 7)  # first max_length residues kept
    assert enc.lengths(["ACD", long]).tolist() == [3, 8]
    X = enc.featurize_many(["AC", "WY"])
    assert X.shape == (2, 8) and X.dtype == np.int64
    assert ProteinIntegerEncoder().max_length == 1000 and enc.vocab_size == 22
    assert build_featurizer(enc.to_config()).max_length == 8
    with pytest.raises(InvalidSequenceError):
        enc("AC#")


def test_kmer_composition() -> None:
    k1 = KmerComposition(k=1)
    v = k1("AACX")
    assert v.shape == (20,) and v.sum() == pytest.approx(1.0)
    assert v[0] == pytest.approx(2 / 3) and v[1] == pytest.approx(1 / 3)
    k123 = KmerComposition()
    assert len(k123) == 20 + 400 + 8000
    out = k123("ACAC")
    names = k123.feature_names
    assert out[names.index("AC", 20)] == pytest.approx(2 / 3) and out[names.index("CA", 20)] == pytest.approx(1 / 3)
    assert out[names.index("ACA", 420)] == pytest.approx(0.5)
    assert out[20:420].sum() == pytest.approx(1.0) and out[420:].sum() == pytest.approx(1.0)
    # k-mers with an unknown residue are skipped; too short for k=3 gives zeros
    assert KmerComposition(k=2)("AXA").sum() == 0.0
    assert KmerComposition(k=[3])("AC").sum() == 0.0
    assert build_featurizer(k123.to_config()).k == [1, 2, 3]
    with pytest.raises(ValueError):
        KmerComposition(k=4)


def test_fasta_parsing(tmp_path: Path) -> None:
    text = ">sp|P00533|EGFR_HUMAN Epidermal growth factor receptor\nMRPSG\nTAGAA\n\n; comment\n>second\nmkx*\n"
    records = parse_fasta(text)
    assert [r.id for r in records] == ["sp|P00533|EGFR_HUMAN", "second"]
    assert records[0].sequence == "MRPSGTAGAA" and records[0].description.endswith("receptor")
    assert records[1].sequence == "MKX"
    path = tmp_path / "t.fasta.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(text)
    assert read_fasta(path) == records
    with pytest.raises(InputFormatError, match="before the first '>'"):
        parse_fasta("MKV\n>a\nAA\n")
    with pytest.raises(InputFormatError, match="has no sequence"):
        parse_fasta(">a\n>b\nAA\n")
    with pytest.raises(InputFormatError, match="no FASTA records"):
        parse_fasta("\n\n")
    with pytest.raises(InputFormatError, match="empty FASTA header"):
        parse_fasta(">\nAA\n")
    with pytest.raises(InvalidSequenceError, match=r"record 'b'.*'2' at position 2"):
        parse_fasta(">a\nAA\n>b\nA2A\n")
    with pytest.raises(InputFormatError, match="cannot read"):
        read_fasta(tmp_path / "missing.fasta")
