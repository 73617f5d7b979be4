"""Where dataset files live, how they are checked, and how missing ones are downloaded.

Resolution of the data directory: an explicit ``data_dir`` argument, else the environment
variable ``DRUGSCREEN_DATA_DIR``, else the user cache ``~/.cache/drugscreen`` (or
``$DRUGSCREEN_CACHE_DIR``). Inside it the layout is that of ``../shared/datasets``:
``moleculenet/<file>``, ``dti/<name>/{drugs.csv,targets.csv,affinities.csv.gz}``,
``approved/...``; pointing ``DRUGSCREEN_DATA_DIR`` at that folder needs no download.

A missing file is downloaded from its public URL into a temporary file in the same folder,
checked, then moved into place with :func:`os.replace` (atomic: a reader never sees half a
file). Checks: the sha256 if it matches a recorded one; otherwise (fresh canonical downloads,
whose checksum cannot be known offline) the required columns and a row count within
:data:`ROW_TOLERANCE` of the reference copy. Without network the error is one line naming the
URL, the expected path and the environment variable.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import logging
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple
from urllib.request import urlopen

from drugscreen.data.specs import DataFile, DatasetSpec
from drugscreen.exceptions import DatasetError, DatasetNotAvailableError, DrugscreenError

__all__ = [
    "DATA_DIR_ENV",
    "CACHE_DIR_ENV",
    "ROW_TOLERANCE",
    "cache_dir",
    "resolve_data_dir",
    "file_path",
    "is_available",
    "ensure_files",
    "fetch_dataset",
    "fetch_many",
    "fetch_each",
    "FetchOutcome",
    "download_file",
    "IncompleteDownloadError",
    "verify_file",
    "check_present",
    "sha256_file",
    "atomic_write",
    "count_data_rows",
]

logger = logging.getLogger(__name__)

DATA_DIR_ENV = "DRUGSCREEN_DATA_DIR"
CACHE_DIR_ENV = "DRUGSCREEN_CACHE_DIR"
#: A downloaded file with an unknown checksum must have a row count within this fraction of
#: the reference copy's (the shared copies drop a few rows of the canonical files, e.g.
#: BBBP 2,039 here vs 2,050 upstream).
ROW_TOLERANCE = 0.03
DOWNLOAD_TIMEOUT_S = 60.0

#: Upstream DeepDTA file sizes (drugs, targets, measured pairs), from the DeepDTA paper's
#: Table 1; used to check a converted download, whose counts differ from the shared copy
#: (that copy withholds some targets).
DEEPDTA_COUNTS = {"davis": (68, 442, 30056), "kiba": (2111, 229, 118254)}


def cache_dir() -> Path:
    """The user cache: ``$DRUGSCREEN_CACHE_DIR`` or ``~/.cache/drugscreen``."""
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "drugscreen"


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: ``data_dir``, else ``$DRUGSCREEN_DATA_DIR``, else :func:`cache_dir`.

    Parameters
    ----------
    data_dir
        An explicit directory; wins over the environment.

    Returns
    -------
    Path
        The directory (it need not exist yet).
    """
    if data_dir is not None and str(data_dir) != "":
        return Path(data_dir).expanduser()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return cache_dir()


def file_path(
    spec: DatasetSpec, data_dir: str | os.PathLike[str] | None = None, index: int = 0
) -> Path:
    """Where file ``index`` of ``spec`` is (or would be) in the data directory."""
    return resolve_data_dir(data_dir) / spec.files[index].path


def _resources_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "resources"


def is_available(spec: DatasetSpec, data_dir: str | os.PathLike[str] | None = None) -> bool:
    """True when every file of ``spec`` is on disk (no download needed)."""
    if spec.kind == "library":
        return True  # shipped inside the package
    root = resolve_data_dir(data_dir)
    return all((root / f.path).is_file() for f in spec.files)


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """The hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


@contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[io.IOBase]:
    """Open a temporary file beside ``path``; on success move it onto ``path`` atomically.

    On any error the temporary file is removed and ``path`` is left as it was. The file gets the
    permissions a plain ``open`` would give it (``0o666`` less the umask), not ``mkstemp``'s
    owner-only ``0o600``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        with contextlib.suppress(OSError):
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _read_header_and_rows(path: Path) -> tuple[list[str], int]:
    """Column names and number of data rows of a (possibly gzipped) CSV, without pandas."""
    import csv

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:  # type: ignore[operator]
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            return [], 0
        rows = sum(1 for row in reader if row)
    return header, rows


def count_data_rows(path: str | os.PathLike[str], chunk: int = 1 << 20) -> int:
    """Lines after the header of a (possibly gzipped) CSV, counted without parsing any field.

    Much cheaper than :func:`_read_header_and_rows` (a byte count of newlines, chunk by chunk);
    a last line without a newline counts, blank lines are not told apart. For sizes shown to
    people (``drugscreen datasets list``), not for checks.

    Raises
    ------
    OSError, EOFError
        The file cannot be read (e.g. a truncated gzip stream).
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    lines, last = 0, b"\n"
    with opener(path, "rb") as fh:  # type: ignore[operator]
        while block := fh.read(chunk):
            lines += block.count(b"\n")
            last = block[-1:]
    if last != b"\n":
        lines += 1
    return max(lines - 1, 0)


def verify_file(
    path: str | os.PathLike[str], entry: DataFile, *, expected_rows: int | None = None
) -> str:
    """Check a dataset file and return its sha256.

    A file whose sha256 is one of ``entry.sha256`` passes at once. Otherwise it must hold
    ``entry.columns`` and (when known) a row count within :data:`ROW_TOLERANCE` of the
    reference, because the checksum of a canonical download cannot be known offline, and must
    not end in an incomplete row (a download cut short by a server that sent no length).

    Raises
    ------
    DatasetError
        When the file fails the checks.
    """
    path = Path(path)
    digest = sha256_file(path)
    if digest in entry.sha256.values():
        return digest
    try:
        header, rows = _read_header_and_rows(path)
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise DatasetError(f"{path}: not a readable CSV file ({exc})") from None
    missing = [c for c in entry.columns if c not in header]
    if missing:
        raise DatasetError(f"{path}: missing column(s) {missing}; has {header[:8]}...")
    ref = expected_rows if expected_rows is not None else entry.rows
    if ref and abs(rows - ref) > ROW_TOLERANCE * ref:
        raise DatasetError(f"{path}: {rows} rows, expected about {ref}")
    why = _cut_short(path)
    if why:
        raise DatasetError(f"{path}: the file looks cut short: {why}")
    logger.info(
        "%s: checksum not recorded (%s); columns and %d rows check out",
        path.name,
        digest[:12],
        rows,
    )
    return digest


def _cut_short(path: Path) -> str:
    """Why ``path`` looks cut short (an interrupted download or copy), or ``""``.

    A gzip stream must be complete; a CSV that does not end in a line break must not end in a
    row with fewer fields than its header (a cut inside the last field of the last row cannot be
    told from a complete file). Reading a gzip file decompresses it once, in blocks.
    """
    import csv
    import zlib

    head, tail = b"", b""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fh:  # type: ignore[operator]
            while block := fh.read(1 << 20):
                if len(head) < 1 << 16 and b"\n" not in head:
                    head += block[: 1 << 16]
                tail = (tail + block)[-(1 << 16) :]
    except (OSError, EOFError, zlib.error) as exc:
        return f"its compressed data are incomplete or damaged ({exc})"
    if not tail or tail.endswith(b"\n"):
        return ""
    last = tail.rsplit(b"\n", 1)[-1]
    first = head.split(b"\n", 1)[0]
    try:
        n_header = len(next(csv.reader([first.decode("utf-8-sig").rstrip("\r")])))
        n_last = len(next(csv.reader([last.decode("utf-8", errors="replace")])))
    except (csv.Error, StopIteration):
        return ""
    if n_last < n_header and b"\n" in tail:
        return f"its last line has {n_last} of the header's {n_header} fields and no line break"
    return ""


def check_present(spec: DatasetSpec, path: str | os.PathLike[str], entry: DataFile) -> str:
    """Check a dataset file already in the data directory; return its sha256.

    A file with a recorded checksum passes at once. Any other one (a fresh canonical download, a
    copy made by hand) is used as it is, unless it is cut short (see :func:`_cut_short`). One
    whose row count is not within :data:`ROW_TOLERANCE` of the reference's (when recorded) is used
    too, with a warning: a copy cut at a line break would otherwise be loaded with rows missing,
    changing the molecules and the splits without a word while the results carry the dataset's
    name (a subset made on purpose, as the tests' tiny copies are, is not refused).

    Raises
    ------
    DatasetError
        For a file cut short: one line saying how to get it again.
    """
    path = Path(path)
    digest = sha256_file(path)
    if digest in entry.sha256.values():
        return digest
    why = _cut_short(path)
    if why:
        raise DatasetError(
            f"{path} looks cut short (an interrupted download or copy): {why}; run `drugscreen datasets fetch "
            f"{spec.name} --force` to download it again, or copy it again from its source"
        )
    references = _reference_rows(spec, entry)
    if references:
        rows = count_data_rows(path)
        if all(abs(rows - ref) > ROW_TOLERANCE * ref for ref in references):
            logger.warning(
                "%s has %s data rows where %s's reference copy has %s, and its checksum is not a recorded one: "
                "results made with it carry %s's name but not its molecules (`drugscreen datasets fetch %s --force` "
                "downloads it again; a subset of your own trains as a table: `drugscreen train --dataset FILE.csv`)",
                path, f"{rows:,}", spec.name, f"{entry.rows:,}", spec.name, spec.name,
            )
    return digest


def _reference_rows(spec: DatasetSpec, entry: DataFile) -> list[int]:
    """The data-row counts a copy of ``entry`` may have: the reference copy's, and for a DeepDTA
    set the converted upstream download's too (:data:`DEEPDTA_COUNTS`: the shared copy withholds
    some targets)."""
    out = [entry.rows] if entry.rows else []
    if spec.kind == "affinity" and spec.name in DEEPDTA_COUNTS and entry in spec.files:
        out.append(DEEPDTA_COUNTS[spec.name][list(spec.files).index(entry)])
    return out


def _offline_error(
    spec: DatasetSpec, url: str, target: Path, reason: str, *, kept: bool = False
) -> DatasetNotAvailableError:
    """The one-line error of a download that failed; ``kept``: a copy was there already (``--force``)
    and is left as it was."""
    if kept:
        return DatasetNotAvailableError(
            f"dataset {spec.name!r} could not be downloaded again from {url} ({reason}); the copy at {target} "
            "was kept as it was"
        )
    return DatasetNotAvailableError(
        f"dataset {spec.name!r} is not at {target} and could not be downloaded from {url} ({reason}); "
        f"put the file there, or set {DATA_DIR_ENV} (or --data-dir) to a folder that holds it"
    )


class IncompleteDownloadError(OSError):
    """The server closed the connection before sending every byte it announced."""


def _read_blocks(response: Any, chunk: int = 1 << 20) -> Iterator[bytes]:
    """The body of ``response`` block by block, checked against its ``Content-Length``.

    ``http.client`` returns a body cut short by a dropped connection as if it were complete
    when it is read in blocks, so a truncated file would be kept; here it raises
    :class:`IncompleteDownloadError` (an ``OSError``, as network failures are) instead.
    """
    import http.client

    headers = getattr(response, "headers", None)
    announced = headers.get("Content-Length") if headers is not None else None
    expected = int(announced) if announced and str(announced).strip().isdigit() else None
    received = 0
    try:
        while block := response.read(chunk):
            received += len(block)
            yield block
    except http.client.HTTPException as exc:  # IncompleteRead of a chunked body
        raise IncompleteDownloadError(
            f"the connection closed after {received:,} bytes ({type(exc).__name__}); nothing was kept, "
            "run the command again"
        ) from None
    if expected is not None and received != expected:
        raise IncompleteDownloadError(
            f"the connection closed after {received:,} of {expected:,} bytes; nothing was kept, run the "
            "command again"
        )


def download_file(
    url: str, target: str | os.PathLike[str], *, timeout: float = DOWNLOAD_TIMEOUT_S
) -> str:
    """Download ``url`` to ``target`` atomically; return the sha256 of the bytes written.

    Raises
    ------
    OSError
        On any network or file-system failure (``urllib.error.URLError`` is an ``OSError``).
    """
    h = hashlib.sha256()
    with urlopen(url, timeout=timeout) as response, atomic_write(target) as out:
        logger.info("downloading %s", url)
        for block in _read_blocks(response):
            h.update(block)
            out.write(block)
    return h.hexdigest()


def _writable_folder(spec: DatasetSpec, root: Path, target: Path) -> None:
    """Make sure ``target``'s folder can be made and written before anything is downloaded.

    Raises
    ------
    DatasetError
        When the data directory (or a folder inside it) is a file, or cannot be created or
        written (a read-only shared copy): one line naming the file wanted and what to do.
    """
    # nothing is created here: an offline attempt leaves the data directory as it was
    existing = next((p for p in (target.parent, *target.parent.parents) if p.exists()), None)
    reason = ""
    if existing is not None and not existing.is_dir():
        reason = f"{existing} is a file, not a folder"
    elif existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        reason = f"{existing} is read-only"
    if reason:
        raise DatasetError(
            f"dataset {spec.name!r} is not at {target} and cannot be downloaded into the data directory "
            f"{root} ({reason}); give --data-dir (or {DATA_DIR_ENV}) a folder you can write to, or one that "
            "already holds the file"
        )


#: A temporary download file not written for this long is a killed download's leftover (a
#: running download writes a block at least every :data:`DOWNLOAD_TIMEOUT_S` or fails).
STALE_DOWNLOAD_S = 3600.0


def _remove_stale_downloads(target: Path, *, now: float | None = None) -> None:
    """Delete what killed downloads of ``target`` left behind.

    A download is written to a hidden temporary file beside its target
    (``.<name>.<pid>.<random>.download``, itself written through ``...download.<random>.part``,
    and :func:`atomic_write`'s ``.<name>.<random>.part``). A process killed mid-download (the
    OOM killer, a closed laptop, ``kill -9``) leaves that file, possibly hundreds of MB, for ever.
    One not written for :data:`STALE_DOWNLOAD_S` is removed; a download still running, in this
    or another process or machine sharing the folder, writes more often than that and is never
    touched.
    """
    import time

    now = time.time() if now is None else now
    try:
        candidates = [*target.parent.glob(f".{target.name}.*"), *target.parent.glob(f"..{target.name}.*")]
    except OSError:
        return
    for path in candidates:
        if not path.name.endswith((".download", ".part")):
            continue
        try:
            if now - path.stat().st_mtime > STALE_DOWNLOAD_S:
                path.unlink()
                logger.info("removed %s, left by an interrupted download", path)
        except OSError:
            continue


def _fetch_plain(spec: DatasetSpec, root: Path, force: bool) -> list[Path]:
    paths = []
    for entry in spec.files:
        target = root / entry.path
        if target.is_file() and not force:
            check_present(spec, target, entry)
            paths.append(target)
            continue
        assert entry.url is not None
        _writable_folder(spec, root, target)
        _remove_stale_downloads(target)
        # a name of its own: two processes fetching one file at once must not share it
        tmp_target = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.download")
        try:
            download_file(entry.url, tmp_target)
        except OSError as exc:
            tmp_target.unlink(missing_ok=True)
            raise _offline_error(
                spec, entry.url, target, str(getattr(exc, "reason", exc)), kept=target.is_file()
            ) from None
        try:
            verify_file(tmp_target, entry)
        except DatasetError:
            tmp_target.unlink(missing_ok=True)
            raise
        os.replace(tmp_target, target)
        paths.append(target)
    return paths


def _convert_deepdta(
    name: str, ligands: bytes, proteins: bytes, matrix: bytes
) -> tuple[str, str, bytes]:
    """Turn DeepDTA's files into ``drugs.csv``, ``targets.csv`` and gzipped ``affinities.csv``.

    DeepDTA ships ``ligands_can.txt`` and ``proteins.txt`` as JSON objects (id -> SMILES /
    sequence, in matrix order) and the affinity matrix as whitespace-separated text, drugs in
    rows and targets in columns (DAVIS: Kd in nM; KIBA: KIBA score, ``nan`` where missing).
    """
    import csv
    import math

    drugs = json.loads(ligands.decode("utf-8"))
    targets = json.loads(proteins.decode("utf-8"))
    drug_ids, target_ids = list(drugs), list(targets)
    lines = [ln.split() for ln in matrix.decode("latin-1").splitlines() if ln.strip()]
    if len(lines) != len(drug_ids) or any(len(r) != len(target_ids) for r in lines):
        raise DatasetError(
            f"{name}: affinity matrix is {len(lines)} x {len(lines[0]) if lines else 0}, "
            f"expected {len(drug_ids)} drugs x {len(target_ids)} targets"
        )

    def table(header: list[str], rows: list[list[object]]) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
        return buf.getvalue()

    drugs_csv = table(["drug_id", "smiles"], [[d, drugs[d]] for d in drug_ids])
    targets_csv = table(["target_id", "sequence"], [[t, targets[t]] for t in target_ids])
    pairs: list[list[object]] = []
    for i, row in enumerate(lines):
        for j, text in enumerate(row):
            value = float(text)
            if math.isnan(value):
                continue
            if name == "davis":
                pairs.append(
                    [drug_ids[i], target_ids[j], value, round(-math.log10(value / 1e9), 6)]
                )
            else:
                pairs.append([drug_ids[i], target_ids[j], value])
    header = (
        ["drug_id", "target_id", "kd_nM", "pKd"]
        if name == "davis"
        else ["drug_id", "target_id", "kiba_score"]
    )
    aff = gzip.compress(table(header, pairs).encode("utf-8"), mtime=0)
    return drugs_csv, targets_csv, aff


def _fetch_deepdta(spec: DatasetSpec, root: Path, force: bool) -> list[Path]:
    targets = [root / f.path for f in spec.files]
    if all(p.is_file() for p in targets) and not force:
        for path, entry in zip(targets, spec.files, strict=True):
            check_present(spec, path, entry)
        return targets
    _writable_folder(spec, root, targets[0])
    for path in targets:
        _remove_stale_downloads(path)
    blobs: list[bytes] = []
    for url in spec.sources:
        try:
            with urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                logger.info("downloading %s", url)
                blobs.append(b"".join(_read_blocks(response)))
        except OSError as exc:
            raise _offline_error(
                spec, url, targets[0].parent, str(getattr(exc, "reason", exc)), kept=all(p.is_file() for p in targets)
            ) from None
    drugs_csv, targets_csv, aff = _convert_deepdta(spec.name, *blobs)
    n_drugs, n_targets, n_pairs = DEEPDTA_COUNTS[spec.name]
    got = (
        drugs_csv.count("\n") - 1,
        targets_csv.count("\n") - 1,
        gzip.decompress(aff).count(b"\n") - 1,
    )
    if got[:2] != (n_drugs, n_targets) or abs(got[2] - n_pairs) > ROW_TOLERANCE * n_pairs:
        raise DatasetError(
            f"{spec.name}: converted download has {got} drugs/targets/pairs, expected {(n_drugs, n_targets, n_pairs)}"
        )
    for path, data in zip(
        targets, (drugs_csv.encode("utf-8"), targets_csv.encode("utf-8"), aff), strict=True
    ):
        with atomic_write(path) as fh:
            fh.write(data)
    return targets


def fetch_dataset(
    name: str | DatasetSpec, data_dir: str | os.PathLike[str] | None = None, *, force: bool = False
) -> list[Path]:
    """Make sure a dataset's files are in the data directory, downloading what is missing.

    Parameters
    ----------
    name
        Registered name or a :class:`DatasetSpec`.
    data_dir
        Data directory (see :func:`resolve_data_dir`).
    force
        Download again even when the files exist.

    Returns
    -------
    list of Path
        The dataset's files.

    Raises
    ------
    DatasetNotAvailableError
        When a file is missing and cannot be downloaded (one line: URL, path, env var).
    DatasetError
        When a downloaded file fails its checks.
    """
    from drugscreen.data.catalog import get_spec

    spec = get_spec(name) if isinstance(name, str) else name
    if spec.kind == "library":
        return [_resources_dir() / spec.files[0].path]
    root = resolve_data_dir(data_dir)
    if spec.sources and spec.kind == "affinity":
        return _fetch_deepdta(spec, root, force)
    return _fetch_plain(spec, root, force)


def ensure_files(spec: DatasetSpec, data_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """The dataset's files on disk, downloading them first if needed (see :func:`fetch_dataset`).

    Files already there are checked with :func:`check_present` (a file cut short is refused).
    """
    root = resolve_data_dir(data_dir)
    paths = [root / f.path for f in spec.files]
    if all(p.is_file() for p in paths):
        for path, entry in zip(paths, spec.files, strict=True):
            check_present(spec, path, entry)
        return paths
    return fetch_dataset(spec, data_dir)


class FetchOutcome(NamedTuple):
    """What fetching one dataset gave: its files, or the error that stopped it."""

    name: str
    paths: list[Path]
    error: DrugscreenError | None = None


def fetch_each(
    names: list[str], data_dir: str | os.PathLike[str] | None = None, *, force: bool = False
) -> Iterator[FetchOutcome]:
    """Fetch several datasets (``"all"`` = every registered one), going on after a failure.

    Unknown names fail before anything is downloaded. A dataset that cannot be fetched (offline,
    a damaged file, a data directory that cannot be written) is yielded with its error and the
    next one is tried, so ``fetch all`` on a machine that can reach only some sources gets every
    dataset it can, and says which ones it could not.

    Yields
    ------
    FetchOutcome
        ``(name, paths, error)`` per dataset, in order; ``error`` is None on success.
    """
    from drugscreen.data.catalog import DATASETS, get_spec

    wanted = DATASETS.names() if any(n.lower() == "all" for n in names) else names
    specs = list({spec.name: spec for spec in (get_spec(n) for n in wanted)}.values())  # each once
    for spec in specs:
        try:
            yield FetchOutcome(spec.name, fetch_dataset(spec, data_dir, force=force))
        except DrugscreenError as exc:
            yield FetchOutcome(spec.name, [], exc)


def fetch_many(
    names: list[str], data_dir: str | os.PathLike[str] | None = None, *, force: bool = False
) -> Iterator[tuple[str, list[Path]]]:
    """Fetch several datasets (``"all"`` = every registered one), yielding ``(name, paths)``.

    Unknown names fail before anything is downloaded; the first dataset that cannot be fetched
    raises (see :func:`fetch_each` to go on past it).
    """
    from drugscreen.data.catalog import DATASETS, get_spec

    wanted = DATASETS.names() if any(n.lower() == "all" for n in names) else names
    specs = [get_spec(n) for n in wanted]
    for spec in specs:
        yield spec.name, fetch_dataset(spec, data_dir, force=force)
