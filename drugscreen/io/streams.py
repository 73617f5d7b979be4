"""Byte and text streams under the readers: gzip by its magic bytes, text encodings (UTF-8,
UTF-16, UTF-32 by BOM), binary files refused, and lines pushed back after peeking."""

from __future__ import annotations

import contextlib
import gzip
import io
import logging
import sys
import zlib
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

from drugscreen.exceptions import InputFormatError
from drugscreen.io.formats import display_name

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)


#: First bytes of a gzip stream, a ZIP archive (e.g. an .xlsx workbook) and a Parquet file.
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_PARQUET_MAGIC = b"PAR1"
#: Bytes looked at to tell compression, encoding and binary files apart.
_SNIFF_BYTES = 64
#: Bytes of a named file (after gunzipping) looked at for its text encoding (:func:`text_encoding`):
#: reading them first costs nothing, and they hold the header and many rows. Standard input,
#: which may be typed, is sniffed from its first :data:`_SNIFF_BYTES` only.
_SAMPLE_BYTES = 1 << 16


class _Prefixed(io.RawIOBase):
    """A binary stream whose first bytes, already read to sniff them, are put back in front.

    ``closers`` are called on :meth:`close` (the underlying file, and for a gzip stream the
    compressed file beneath it, which :class:`gzip.GzipFile` does not close itself).
    """

    def __init__(self, head: bytes, rest: IO[bytes], closers: list[Any] | None = None, gzip_of: str | None = None) -> None:
        super().__init__()
        self._head = head
        self._rest = rest
        self._closers = closers or []
        self._gzip_of = gzip_of  # the file's name when ``rest`` gunzips it

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            n = min(len(view), len(self._head))
            view[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        read1 = getattr(self._rest, "read1", None)
        try:
            data = read1(len(view)) if read1 is not None else self._rest.read(len(view))
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            if self._gzip_of is None:
                raise
            # a truncated file ended in click's bare "Aborted." (EOFError), a corrupt one in a
            # zlib.error traceback
            raise InputFormatError(damaged_gzip(self._gzip_of, exc)) from exc
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            for close in self._closers:
                with contextlib.suppress(Exception):
                    close()
        super().close()


def _read_head(stream: IO[bytes], n: int) -> bytes:
    """Up to ``n`` bytes (fewer only at the end of the stream; a pipe may deliver them in parts)."""
    parts: list[bytes] = []
    got = 0
    while got < n:
        block = stream.read(n - got)
        if not block:
            break
        parts.append(block)
        got += len(block)
    return b"".join(parts)


def damaged_gzip(name: str, exc: BaseException) -> str:
    """The one-line message for gzip data that cannot be unpacked (truncated or corrupt)."""
    return f"{name} is not a readable gzip file: its data is damaged, truncated or corrupt ({exc}); download or compress it again"


def _open_bytes(path: str) -> tuple[IO[bytes], bytes]:
    """Open a file or stdin as bytes, gunzipped when it is gzip (by content, whatever its name).

    Returns the stream (its start not consumed) and its first bytes: :data:`_SAMPLE_BYTES` of
    a file, :data:`_SNIFF_BYTES` of standard input (fewer when it is shorter).
    """
    name = display_name(path)
    if path == "-":
        if sys.stdin is None or getattr(sys.stdin, "closed", False):  # started with <&-
            raise InputFormatError("cannot read standard input: it is closed; give an input file")
        raw: IO[bytes] = sys.stdin.buffer
        closers: list[Any] = []  # standard input is not ours to close
    else:
        try:
            raw = open(path, "rb")
        except FileNotFoundError as exc:
            raise InputFormatError(f"input file not found: {path}") from exc
        except IsADirectoryError as exc:
            raise InputFormatError(f"input is a directory, not a file: {path}") from exc
        except OSError as exc:  # no permission, a device error: was a traceback
            raise InputFormatError(f"cannot read {path}: {exc.strerror or exc}") from exc
        closers = [raw.close]
    size = _SNIFF_BYTES if path == "-" else _SAMPLE_BYTES
    head = _read_head(raw, size)
    stream: IO[bytes] = io.BufferedReader(_Prefixed(head, raw, closers))
    if head.startswith(_GZIP_MAGIC):
        unzipped = gzip.GzipFile(fileobj=stream, mode="rb")
        try:
            head = _read_head(unzipped, size)  # type: ignore[arg-type]
        except (OSError, EOFError, zlib.error) as exc:
            stream.close()
            if isinstance(exc, OSError) and not isinstance(exc, gzip.BadGzipFile):
                raise InputFormatError(f"cannot read {path}: {exc.strerror or exc}") from exc
            raise InputFormatError(damaged_gzip(name, exc)) from exc
        stream = io.BufferedReader(_Prefixed(head, unzipped, [unzipped.close, stream.close], gzip_of=name))  # type: ignore[arg-type]
    elif path.lower().endswith(".gz"):
        logger.debug("%s is named .gz but is not gzip-compressed; read as it is", name)
    return stream, head


def _not_utf8(head: bytes) -> int | None:
    """The offset of the first byte of ``head`` that is not UTF-8, or ``None`` (a character cut
    at the end of ``head`` is no error: the file goes on)."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.end == len(head) and exc.reason == "unexpected end of data":
            return _not_utf8(head[: exc.start])
        return exc.start
    return None


def _utf8_or_windows_1252(head: bytes, name: str) -> str:
    """``"utf-8-sig"``, or ``"cp1252"`` for a file saved as Windows-1252 / Latin-1 (Excel's
    "CSV" on Western Windows): its first bytes are not UTF-8 and hold no UTF-8 character.

    Read as UTF-8, such a file had every accented letter (``café``, ``IC50 (µM)``) silently
    replaced by U+FFFD. A file that does hold UTF-8 characters is UTF-8 with stray bytes: it
    stays UTF-8 (its characters are kept; the stray bytes read as U+FFFD), with a warning.
    """
    bad = _not_utf8(head)
    if bad is None:
        return "utf-8-sig"
    text = head.decode("utf-8", errors="replace")
    where = f"byte 0x{head[bad]:02X} at offset {bad}"
    if any(ord(c) > 127 and c != "\ufffd" for c in text):
        logger.warning(
            "%s is not UTF-8 throughout (%s): such bytes read as \ufffd; save the file as UTF-8",
            name, where,
        )  # fmt: skip
        return "utf-8-sig"
    logger.warning(
        "%s is not UTF-8 (%s); reading it as Windows-1252 (Latin-1, as Excel saves CSV); save it "
        "as UTF-8 to be sure",
        name, where,
    )  # fmt: skip
    return "cp1252"


def text_encoding(head: bytes, path: str, *, windows_1252: bool = False) -> str:
    """The encoding of a text file from its first bytes: UTF-8 (BOM or not), UTF-16 or UTF-32;
    with ``windows_1252`` (the molecule readers), Windows-1252 when they are not UTF-8 and hold
    no UTF-8 character (:func:`_utf8_or_windows_1252`, with a warning). Bytes further on that
    do not decode read as U+FFFD (the reader names the first cell holding one in a warning).

    Raises
    ------
    InputFormatError
        The bytes are a ZIP archive (an Excel workbook) or hold NUL bytes that are not UTF-16.
    """
    name = display_name(path)
    if head.startswith(_ZIP_MAGIC):
        raise InputFormatError(f"{name} is a ZIP archive (an Excel .xlsx workbook?), not a text table; save it as CSV (UTF-8)")
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        encoding = "utf-32"
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif b"\x00" in head:
        # UTF-16 without a byte-order mark: ASCII text has a NUL in every other byte
        even, odd = head[0::2], head[1::2]
        if b"\x00" not in even and odd.count(0) * 2 >= len(odd):
            encoding = "utf-16-le"
        elif b"\x00" not in odd and even.count(0) * 2 >= len(even):
            encoding = "utf-16-be"
        else:
            raise InputFormatError(
                f"{name} is not a text file (it holds NUL bytes, the first at byte {head.index(0):,}); save it as "
                "CSV or SMILES text (UTF-8)"
            )
    else:
        return _utf8_or_windows_1252(head, name) if windows_1252 else "utf-8-sig"
    logger.info("%s is %s text; reading it as such (UTF-8 is the usual encoding)", name, encoding.upper())
    return encoding


class _Peeked(io.TextIOBase):
    """A text stream with some already-read lines pushed back in front."""

    def __init__(self, lines: list[str], rest: IO[str]) -> None:
        self._lines = lines
        self._rest = rest

    def readline(self, size: int = -1) -> str:  # noqa: ARG002 - io signature
        if self._lines:
            return self._lines.pop(0)
        return self._rest.readline()

    def read(self, size: int | None = -1) -> str:
        head = "".join(self._lines)
        self._lines = []
        if size is None or size < 0:
            return head + self._rest.read()
        if len(head) >= size:
            self._lines = [head[size:]] if head[size:] else []
            return head[:size]
        return head + self._rest.read(size - len(head))

    def __iter__(self) -> Iterator[str]:
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._rest.close()
        super().close()


def _peek_lines(fh: IO[str]) -> list[str]:
    """Read up to the first non-blank line (plus blank lines before it)."""
    lines: list[str] = []
    while True:
        line = fh.readline()
        if not line:
            break
        lines.append(line)
        if line.strip():
            break
    return lines
