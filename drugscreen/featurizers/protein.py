"""Protein sequences: validation, FASTA parsing, integer encoding and k-mer composition.

Sequences are one-letter amino-acid codes. :func:`validate_sequence` upper-cases the text,
removes white space (Unicode spaces such as the no-break space and zero-width characters of
text copied from a web page too) and one trailing ``*`` (stop), and raises
:class:`~drugscreen.exceptions.InvalidSequenceError` naming the first character that is not
a letter and its 1-based position. Letters outside the 20 standard residues (``X``, ``B``,
``Z``, ``J``, ``U``, ``O``) are accepted but reported.

Featurizers (registered in :data:`~drugscreen.featurizers.base.FEATURIZERS`):

- ``protein_integer`` (:class:`ProteinIntegerEncoder`): one integer per residue for CNN or
  attention encoders. Index 0 is padding, 1..20 the standard residues in the order of
  :data:`AMINO_ACIDS`, 21 every other letter ("unknown"). The output has a fixed length
  ``max_length`` (default 1000). **Truncation policy:** longer sequences keep their first
  ``max_length`` residues (the N-terminal part; DeepDTA and DeepPurpose do the same) and the
  truncation is logged at debug level; shorter ones are right-padded with 0.
- ``protein_kmer`` (:class:`KmerComposition`): frequencies of the ``20 ** k`` standard k-mers
  for each requested ``k`` in 1..3, concatenated; k-mers containing a non-standard residue
  are skipped. Each block sums to 1 (or is all zeros when no k-mer was counted).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from drugscreen.exceptions import InputFormatError, InvalidSequenceError
from drugscreen.featurizers.base import FEATURIZERS, featurizer_config

__all__ = [
    "AMINO_ACIDS",
    "FastaRecord",
    "KmerComposition",
    "ProteinIntegerEncoder",
    "nonstandard_residues",
    "parse_fasta",
    "read_fasta",
    "read_sequence_text",
    "validate_sequence",
]

logger = logging.getLogger(__name__)

#: The 20 standard amino acids; residue ``AMINO_ACIDS[i]`` is encoded as ``i + 1``.
AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
PAD_INDEX = 0
UNKNOWN_INDEX = len(AMINO_ACIDS) + 1
VOCAB_SIZE = len(AMINO_ACIDS) + 2

# Byte -> index tables (upper-case ASCII letters only; validation runs first).
_ENCODE = np.full(256, UNKNOWN_INDEX, dtype=np.int64)
_STANDARD = np.full(256, -1, dtype=np.int64)
for _i, _aa in enumerate(AMINO_ACIDS):
    _ENCODE[ord(_aa)] = _i + 1
    _STANDARD[ord(_aa)] = _i
_WHITESPACE = str.maketrans("", "", " \t\r\n\v\f")
#: Zero-width characters that text copied from web pages carries (removed like white space).
_INVISIBLE = str.maketrans("", "", "\u200b\u200c\u200d\u2060\ufeff")


def validate_sequence(sequence: str) -> str:
    """Return the cleaned sequence (upper case, no white space, no trailing ``*``).

    Raises
    ------
    InvalidSequenceError
        When the sequence is empty or holds a character that is not a letter; the message
        names the character and its 1-based position in the cleaned sequence.
    """
    if not isinstance(sequence, str):
        raise InvalidSequenceError(f"protein sequence must be a string, got {type(sequence).__name__}")
    seq = sequence.translate(_WHITESPACE)
    if not seq.isascii():
        # text pasted from a web page or a word processor: no-break and other Unicode spaces,
        # zero-width characters; any other non-ASCII character is refused below before upper()
        # could turn it into ASCII letters ("ß" -> "SS", dotless "ı" -> "I")
        seq = "".join(seq.split()).translate(_INVISIBLE)
        for pos, ch in enumerate(seq, start=1):
            if not ch.isascii():
                raise InvalidSequenceError(
                    f"invalid character {ch!r} at position {pos} of the protein sequence "
                    f"(expected one-letter amino-acid codes)"
                )
    seq = seq.upper()
    if seq.endswith("*"):
        seq = seq[:-1]
    if not seq:
        raise InvalidSequenceError("empty protein sequence")
    if not seq.isalpha():
        for pos, ch in enumerate(seq, start=1):
            if not ("A" <= ch <= "Z"):
                raise InvalidSequenceError(
                    f"invalid character {ch!r} at position {pos} of the protein sequence "
                    f"(expected one-letter amino-acid codes)"
                )
    return seq


def nonstandard_residues(sequence: str) -> dict[str, int]:
    """Counts of letters outside the 20 standard amino acids (e.g. ``{"X": 3}``)."""
    seq = validate_sequence(sequence)
    codes = np.frombuffer(seq.encode("ascii"), dtype=np.uint8)
    odd = codes[_STANDARD[codes] < 0]
    if odd.size == 0:
        return {}
    values, counts = np.unique(odd, return_counts=True)
    return {chr(int(v)): int(c) for v, c in zip(values, counts, strict=True)}


@FEATURIZERS.register("protein_integer")
class ProteinIntegerEncoder:
    """Fixed-length integer encoding of a protein sequence.

    Parameters
    ----------
    max_length
        Output length. Longer sequences keep their first ``max_length`` residues; shorter
        ones are padded with 0 at the end.

    Examples
    --------
    >>> ProteinIntegerEncoder(max_length=6)("MKX").tolist()
    [11, 9, 21, 0, 0, 0]
    """

    name = "protein_integer"
    input_kind = "sequence"
    vocab_size = VOCAB_SIZE
    pad_index = PAD_INDEX
    unknown_index = UNKNOWN_INDEX

    def __init__(self, max_length: int = 1000) -> None:
        if max_length <= 0:
            raise ValueError(f"max_length must be positive, got {max_length}")
        self.max_length = int(max_length)

    def params(self) -> dict[str, Any]:
        return {"max_length": self.max_length}

    def to_config(self) -> dict[str, Any]:
        return featurizer_config(self.name, self.params())

    def __len__(self) -> int:
        return self.max_length

    def __repr__(self) -> str:
        return f"ProteinIntegerEncoder(max_length={self.max_length})"

    def __call__(self, sequence: str) -> np.ndarray:
        """``(max_length,)`` int64 codes of one sequence."""
        seq = validate_sequence(sequence)
        if len(seq) > self.max_length:
            logger.debug("protein sequence of %d residues truncated to %d", len(seq), self.max_length)
            seq = seq[: self.max_length]
        out = np.zeros(self.max_length, dtype=np.int64)
        out[: len(seq)] = _ENCODE[np.frombuffer(seq.encode("ascii"), dtype=np.uint8)]
        return out

    def featurize_many(self, sequences: Sequence[str]) -> np.ndarray:
        """``(len(sequences), max_length)`` int64 codes."""
        out = np.zeros((len(sequences), self.max_length), dtype=np.int64)
        for i, seq in enumerate(sequences):
            out[i] = self(seq)
        return out

    def lengths(self, sequences: Iterable[str]) -> np.ndarray:
        """Number of non-padding positions of each encoded sequence."""
        return np.array([min(len(validate_sequence(s)), self.max_length) for s in sequences], dtype=np.int64)


@FEATURIZERS.register("protein_kmer")
class KmerComposition:
    """k-mer composition of a protein sequence (standard residues only).

    Parameters
    ----------
    k
        One k or a list of them, each in 1..3 (20, 400 and 8000 features).

    Examples
    --------
    >>> (KmerComposition(k=1)("AAC")[:3] * 3).round().tolist()
    [2.0, 1.0, 0.0]
    """

    name = "protein_kmer"
    input_kind = "sequence"

    def __init__(self, k: int | Sequence[int] = (1, 2, 3)) -> None:
        ks = [int(k)] if isinstance(k, int | np.integer) else [int(v) for v in k]
        if not ks or any(v not in (1, 2, 3) for v in ks) or len(set(ks)) != len(ks):
            raise ValueError(f"k must be distinct values from 1..3, got {k!r}")
        self.k = sorted(ks)

    def params(self) -> dict[str, Any]:
        return {"k": list(self.k)}

    def to_config(self) -> dict[str, Any]:
        return featurizer_config(self.name, self.params())

    def __len__(self) -> int:
        return sum(20**k for k in self.k)

    def __repr__(self) -> str:
        return f"KmerComposition(k={self.k})"

    @property
    def feature_names(self) -> list[str]:
        """The k-mer of each output column."""
        return ["".join(p) for k in self.k for p in itertools.product(AMINO_ACIDS, repeat=k)]

    def __call__(self, sequence: str) -> np.ndarray:
        """``(len(self),)`` float32 k-mer frequencies of one sequence."""
        seq = validate_sequence(sequence)
        idx = _STANDARD[np.frombuffer(seq.encode("ascii"), dtype=np.uint8)]
        blocks = []
        for k in self.k:
            n = idx.size - k + 1
            counts = np.zeros(20**k, dtype=np.float64)
            if n > 0:
                code = np.zeros(n, dtype=np.int64)
                ok = np.ones(n, dtype=bool)
                for j in range(k):
                    part = idx[j : j + n]
                    code = code * 20 + np.maximum(part, 0)
                    ok &= part >= 0
                counts = np.bincount(code[ok], minlength=20**k).astype(np.float64)
            total = counts.sum()
            blocks.append(counts / total if total > 0 else counts)
        return np.concatenate(blocks).astype(np.float32)

    def featurize_many(self, sequences: Sequence[str]) -> np.ndarray:
        """``(len(sequences), len(self))`` float32 k-mer frequencies."""
        out = np.zeros((len(sequences), len(self)), dtype=np.float32)
        for i, seq in enumerate(sequences):
            out[i] = self(seq)
        return out


@dataclass(frozen=True, slots=True)
class FastaRecord:
    """One FASTA record: ``id`` (first word of the header), full ``description``, ``sequence``."""

    id: str
    description: str
    sequence: str


def parse_fasta(text: str, *, validate: bool = True, source: str = "FASTA") -> list[FastaRecord]:
    """Parse FASTA text with one or more records.

    Parameters
    ----------
    text
        The file content. Blank lines and ``;`` comment lines are ignored; sequence lines
        may wrap; a leading byte-order mark (U+FEFF) is ignored.
    validate
        Check each sequence with :func:`validate_sequence` (cleaned sequences are returned).
    source
        Name used in error messages (e.g. the file name).

    Raises
    ------
    InputFormatError
        No record, sequence text before the first ``>`` header, an empty header or a
        record without sequence (each message names the line).
    InvalidSequenceError
        A sequence holds a character that is not a letter (names record, position, character).
    """
    records: list[FastaRecord] = []
    header: str | None = None
    header_line = 0
    chunks: list[str] = []

    def finish() -> None:
        if header is None:
            return
        seq = "".join(chunks)
        if not seq.strip():
            raise InputFormatError(f"{source}: record {header!r} (line {header_line}) has no sequence")
        if validate:
            try:
                seq = validate_sequence(seq)
            except InvalidSequenceError as exc:
                raise InvalidSequenceError(f"{source}: record {header!r} (line {header_line}): {exc}") from None
        parts = header.split(None, 1)
        records.append(FastaRecord(parts[0], header, seq))

    if text.startswith("\ufeff"):  # a UTF-8 byte-order mark decoded as text (Windows editors)
        text = text[1:]
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith(">"):
            finish()
            header = line[1:].strip()
            header_line = lineno
            chunks = []
            if not header:
                raise InputFormatError(f"{source}: empty FASTA header at line {lineno}")
        else:
            if header is None:
                raise InputFormatError(
                    f"{source}: sequence text at line {lineno} before the first '>' header; "
                    "is this a FASTA file?"
                )
            chunks.append(line)
    finish()
    if not records:
        raise InputFormatError(f"{source}: no FASTA records found")
    return records


def read_sequence_text(path: str | Path, what: str = "FASTA file") -> str:
    """The text of a sequence file: ``.gz`` (any case) is decompressed; UTF-8 with or without a
    byte-order mark, and UTF-16/UTF-32 (Windows Notepad's "Unicode") are decoded.

    Bytes that are not valid in the encoding (a header written in Latin-1) are read as U+FFFD,
    with a warning, as the molecule table readers do.

    Raises
    ------
    InputFormatError
        The file cannot be read or is not text (naming ``what`` it was read as).
    """
    import gzip

    from drugscreen.io.streams import text_encoding

    path = Path(path)
    try:
        if path.suffix.lower() == ".gz":
            with gzip.open(path, "rb") as handle:
                data = handle.read()
        else:
            data = path.read_bytes()
        encoding = text_encoding(data[:4096], str(path))
    except (OSError, EOFError) as exc:
        raise InputFormatError(f"cannot read {what} {path}: {exc}") from exc
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        # a header written in Latin-1/cp1252 ("protéine"): read as the molecule tables are, the
        # bytes that are not UTF-8 replaced; one inside a sequence is then named as invalid there
        logger.warning("%s is not valid %s (%s); bytes that cannot be decoded are read as U+FFFD", path, encoding.upper(), exc.reason)
        return data.decode(encoding, errors="replace")


def read_fasta(path: str | Path, *, validate: bool = True) -> list[FastaRecord]:
    """Read a FASTA file (``.gz`` is decompressed; a byte-order mark is skipped, UTF-16 is read
    too, see :func:`read_sequence_text`); see :func:`parse_fasta`."""
    return parse_fasta(read_sequence_text(path), validate=validate, source=str(path))
