"""`drugscreen screen` with awkward input and output files: defects found by the fifteenth
review (each test names its defect; every one failed before its fix)."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from screen_fixtures import TINY_BUNDLE, write_smi

from drugscreen.exceptions import InputFormatError
from drugscreen.io import ERROR_COLUMN, open_input, read_table
from drugscreen.screening.run import run_screen

pytestmark = pytest.mark.skipif(not (TINY_BUNDLE / "config.json").is_file(), reason="tiny bundle fixture missing")

CLI = [sys.executable, "-c", "import sys; from drugscreen.cli import main; sys.argv=['drugscreen']+sys.argv[1:]; main()"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "screen", *args, "--panel", str(TINY_BUNDLE), "-q"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "│" not in proc.stderr, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1, proc.stderr
    return errors[0]


@contextlib.contextmanager
def _immutable(path: Path) -> Iterator[None]:
    """``path`` cannot be written, renamed over or (a folder) written in, even by root
    (``chattr +i``); skipped where that cannot be set."""
    if os.geteuid() != 0 or shutil.which("chattr") is None:
        pytest.skip("needs root and chattr to make a path unwritable for root")
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("this file system has no immutable flag")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)


def _no_scoring(monkeypatch: pytest.MonkeyPatch) -> None:
    """The panel must not even be loaded: the refusal comes before any scoring work."""
    from drugscreen.screening import screener

    def load(*a: object, **k: object) -> None:
        raise AssertionError("the panel was loaded before the output was checked")

    monkeypatch.setattr(screener.Screener, "load", load)


# -- 1. blank lines in delimited input -------------------------------------------------------

BLANK_CSV = "smiles,name\nCCO,eth\n\nc1ccccc1O,phenol\n  \n\n"


@pytest.mark.parametrize("chunksize", [1, 2, 4096])
def test_a_blank_line_in_a_csv_is_no_row_in_the_middle_or_at_the_end(tmp_path: Path, chunksize: int) -> None:
    """A blank line in the middle of a CSV became a row "empty SMILES"; a trailing one did not
    (a .smi file skips both). Neither is a row now, at any chunk size."""
    p = tmp_path / "blank.csv"
    p.write_text(BLANK_CSV)
    df = read_table(p, chunksize=chunksize)
    assert df["smiles"].tolist() == ["CCO", "c1ccccc1O"]
    assert df["name"].tolist() == ["eth", "phenol"]
    assert df.index.tolist() == [0, 1]


@pytest.mark.parametrize("chunksize", [1, 4096])
def test_a_line_of_delimiters_only_is_a_row_with_an_empty_smiles_even_at_the_end(tmp_path: Path, chunksize: int) -> None:
    """``,,`` is a row (empty SMILES), wherever it is: at the end of the file it was dropped."""
    p = tmp_path / "d.csv"
    p.write_text("smiles,name\nCCO,a\n,\n\nCCN,b\n,\n \n")
    df = read_table(p, chunksize=chunksize)
    assert df["smiles"].tolist() == ["CCO", "", "CCN", ""]
    assert df["name"].tolist() == ["a", "", "b", ""]


def test_blank_lines_in_tsv_gzip_crlf_and_single_column_files(tmp_path: Path) -> None:
    """White-space-only lines are blank (not a row); in a TSV a tab alone is a row of empty cells."""
    tsv = tmp_path / "t.tsv"
    tsv.write_text("smiles\tname\nCCO\ta\n   \n\t\nCCN\tb\n \n")
    assert read_table(tsv)["smiles"].tolist() == ["CCO", "", "CCN"]
    gz = tmp_path / "b.csv.gz"
    gz.write_bytes(gzip.compress(BLANK_CSV.replace("\n", "\r\n").encode()))
    assert read_table(gz)["name"].tolist() == ["eth", "phenol"]
    one = tmp_path / "one.csv"
    one.write_text("smiles\nCCO\n\n\t\nCCN\n\n")
    assert read_table(one)["smiles"].tolist() == ["CCO", "CCN"]


def test_blank_lines_in_a_csv_on_standard_input_are_no_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BLANK_CSV.encode())))
    reader = open_input("-", chunksize=1)
    assert reader.format == "csv"
    assert pd.concat(list(reader))["smiles"].tolist() == ["CCO", "c1ccccc1O"]


def test_a_csv_with_blank_lines_scores_and_resumes_with_one_row_per_record(tmp_path: Path) -> None:
    """End to end: the output has one row per record (ids = the record numbers when the file has
    none), and a run interrupted and resumed equals a clean one."""
    src = tmp_path / "in.csv"
    src.write_text("smiles\nCCO\n\nCCN\n  \nc1ccccc1\nCCCl\n\n\nCC(=O)O\n\t\nc1ccncc1\n\n")
    clean = tmp_path / "clean.csv"
    summary = run_screen(src, clean, panel=TINY_BUNDLE, chunk_size=2, jobs=1)
    assert summary.rows == 6 and summary.invalid == 0
    assert pd.read_csv(clean)["id"].tolist() == [0, 1, 2, 3, 4, 5]

    def stop(done: int) -> None:
        if done >= 4:
            raise KeyboardInterrupt

    out = tmp_path / "o.csv"
    with pytest.raises(KeyboardInterrupt):
        run_screen(src, out, panel=TINY_BUNDLE, chunk_size=2, jobs=1, on_progress=stop)
    summary = run_screen(src, out, panel=TINY_BUNDLE, chunk_size=2, jobs=1, resume=True)
    assert summary.resumed_rows == 4 and summary.rows == 6
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(clean))


# -- 2. output and report paths that cannot be written ----------------------------------------


def test_an_output_folder_that_cannot_be_written_is_one_error_line_before_scoring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``-o rodir/x.csv`` with ``rodir`` unwritable ended in a PermissionError traceback from
    the work folder's mkdir (after loading the panel)."""
    src = write_smi(tmp_path / "x.smi", ["CCO a", "c1ccccc1O b"])
    rodir = tmp_path / "rodir"
    rodir.mkdir()
    with _immutable(rodir):
        line = _one_error_line(_cli(str(src), "-o", str(rodir / "x.csv")))
        assert line.startswith(f"Error: cannot write {rodir / 'x.csv'}: ") and "not permitted" in line, line
        _no_scoring(monkeypatch)
        with pytest.raises(InputFormatError, match="cannot write .*x.csv: .*not permitted"):
            run_screen(src, rodir / "x.csv", panel=TINY_BUNDLE)
        assert list(rodir.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rodir", "x.smi"]


def test_an_output_file_that_cannot_be_replaced_is_refused_before_scoring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``chattr +i ro.csv``: every molecule was scored, then the rename failed with
    ``[Errno 1] Operation not permitted: '.../.ro.csv.2vqh0cdu.tmp' -> 'ro.csv'``."""
    src = write_smi(tmp_path / "x.smi", ["CCO a", "c1ccccc1O b"])
    ro = tmp_path / "ro.csv"
    ro.write_text("previous\n")
    with _immutable(ro):
        _no_scoring(monkeypatch)
        with pytest.raises(InputFormatError) as err:
            run_screen(src, ro, panel=TINY_BUNDLE)
        assert str(err.value).startswith(f"cannot write {ro}: ") and "immutable" in str(err.value), err.value
    assert ro.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ro.csv", "x.smi"]


def test_an_output_that_fails_at_the_rename_says_in_words_which_file_and_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the output cannot be put in place only at the end, the message named the temporary
    file and Python's errno ("[Errno 1] ... '.ro.csv.x.tmp' -> 'ro.csv'"); it says now that ro.csv
    cannot be written and why, and keeps the --resume hint."""
    src = write_smi(tmp_path / "x.smi", ["CCO a", "c1ccccc1O b"])
    out = tmp_path / "ro.csv"
    real = os.replace

    def replace(a: object, b: object, *args: object, **kw: object) -> None:
        if str(b) == str(out):
            raise PermissionError(1, "Operation not permitted", str(a), None, str(b))
        real(a, b, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(InputFormatError) as err:
        run_screen(src, out, panel=TINY_BUNDLE, jobs=1)
    msg = str(err.value)
    assert msg.startswith(f"cannot write {out}: Operation not permitted; the 2 rows scored so far are kept in "), msg
    assert "--resume" in msg and ".tmp" not in msg and "[Errno" not in msg, msg
    assert not out.exists()


def test_a_report_that_cannot_be_written_is_refused_before_scoring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--report rodir/r.html`` (or an immutable r.html) was found out only after the whole run."""
    src = write_smi(tmp_path / "x.smi", ["CCO a"])
    rodir = tmp_path / "rodir"
    rodir.mkdir()
    _no_scoring(monkeypatch)
    with _immutable(rodir), pytest.raises(InputFormatError, match=r"cannot write the report .*r.html: .*not permitted"):
        run_screen(src, tmp_path / "o.csv", panel=TINY_BUNDLE, report=rodir / "r.html")
    report = tmp_path / "r.html"
    report.write_text("old")
    with _immutable(report), pytest.raises(InputFormatError, match=r"cannot write the report .*r.html: .*immutable"):
        run_screen(src, tmp_path / "o.csv", panel=TINY_BUNDLE, report=report)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "rodir", "x.smi"]


# -- 3. more awkward outputs -------------------------------------------------------------------


def test_a_file_in_the_way_of_the_work_folder_is_one_error_line(tmp_path: Path) -> None:
    """A file named ``.o.csv.partial`` beside the output gave a NotADirectoryError traceback."""
    src = write_smi(tmp_path / "x.smi", ["CCO a"])
    (tmp_path / ".o.csv.partial").write_text("not mine")
    line = _one_error_line(_cli(str(src), "-o", str(tmp_path / "o.csv")))
    assert ".o.csv.partial" in line and "not a folder" in line, line
    assert (tmp_path / ".o.csv.partial").read_text() == "not mine"


def test_a_long_output_name_is_written(tmp_path: Path) -> None:
    """An output named with 250 characters (the file system allows 255) ended in an
    "[Errno 36] File name too long" traceback: the work folder's name adds 9."""
    src = write_smi(tmp_path / "x.smi", ["CCO a", "CCN b"])
    out = tmp_path / ("a" * 250 + ".csv")
    summary = run_screen(src, out, panel=TINY_BUNDLE, jobs=1, report=tmp_path / ("r" * 250 + ".html"))
    assert summary.rows == 2 and pd.read_csv(out)["id"].tolist() == ["a", "b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, "r" * 250 + ".html", "x.smi"])


@pytest.mark.parametrize("name", ["o.csv/", "folder.csv"])
def test_an_output_naming_a_folder_is_refused_before_scoring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """``-o o.csv/`` (a trailing slash) scored everything, then failed with "[Errno 20] Not a
    directory: '.o.csv.x.tmp' -> 'o.csv/'"; run_screen given an existing folder named
    ``folder.csv`` also scored everything before its refusal."""
    src = write_smi(tmp_path / "x.smi", ["CCO a"])
    (tmp_path / "folder.csv").mkdir()
    _no_scoring(monkeypatch)
    with pytest.raises(InputFormatError, match="folder"):
        run_screen(src, f"{tmp_path}/{name}", panel=TINY_BUNDLE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.csv", "x.smi"]


# -- 4. more awkward inputs --------------------------------------------------------------------


def test_a_header_with_trailing_delimiters_is_read(tmp_path: Path) -> None:
    """A spreadsheet export with empty columns at the end (``smiles,name,,``) was refused as
    "duplicate column names in the header of t.csv: ''"; empty header cells are named as pandas
    names them (``Unnamed: 2``), one name per position."""
    p = tmp_path / "t.csv"
    p.write_text("smiles,name,,\nCCO,a,,\nCCN,b,x,\n")
    df = read_table(p)
    assert list(df.columns) == ["smiles", "name", "Unnamed: 2", "Unnamed: 3"]
    assert df["Unnamed: 2"].tolist() == ["", "x"]
    out = tmp_path / "o.csv"
    run_screen(p, out, panel=TINY_BUNDLE, jobs=1)
    assert pd.read_csv(out, keep_default_na=False).columns[:4].tolist() == list(df.columns)


def test_an_input_that_cannot_be_read_is_one_error_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An input file without read permission ended in a PermissionError traceback (only a
    missing file or a folder had a message)."""
    from drugscreen.io import streams

    src = write_smi(tmp_path / "x.smi", ["CCO a"])
    real = open

    def no_read(path: object, *a: object, **k: object) -> object:
        if str(path) == str(src):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *a, **k)  # type: ignore[call-overload]

    monkeypatch.setattr(streams, "open", no_read, raising=False)
    with pytest.raises(InputFormatError, match=f"^cannot read {src}: Permission denied$"):
        read_table(src)


def test_a_windows_1252_file_keeps_its_accents(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A CSV saved by Excel as Windows-1252 / Latin-1 (``café``, ``IC50 (µM)``) was read as UTF-8
    with every accented letter silently replaced by U+FFFD, in the ids and the column names. A
    file whose first 64 KiB are not UTF-8 and hold no UTF-8 character is read as Windows-1252,
    with a warning; a UTF-8 file with one stray byte stays UTF-8 (its characters are kept)."""
    p = tmp_path / "w.csv"
    p.write_bytes("smiles,name,IC50 (µM)\nCCO,café,1.5\nCCN,naïve,2\n".encode("cp1252"))
    with caplog.at_level("WARNING", logger="drugscreen"):
        df = read_table(p)
    assert list(df.columns) == ["smiles", "name", "IC50 (µM)"]
    assert df["name"].tolist() == ["café", "naïve"]
    assert "not UTF-8" in caplog.text and "Windows-1252" in caplog.text
    mixed = tmp_path / "m.csv"
    mixed.write_bytes("smiles,name\nCCO,café\nCCN,x\xff\n".encode().replace(b"\xc3\xbf", b"\xff"))
    caplog.clear()
    with caplog.at_level("WARNING", logger="drugscreen"):
        assert read_table(mixed)["name"].tolist() == ["café", "x\ufffd"]
    assert "not UTF-8" in caplog.text


def test_a_nul_byte_after_the_first_64_bytes_is_refused_as_binary(tmp_path: Path) -> None:
    """Only the first 64 bytes were looked at for NUL bytes: one further on was read into a
    SMILES (``CC\\x00O``, flagged "syntax error while parsing: CC") and written out raw into the
    CSV output. A NUL in the first 64 KiB is refused as for one at the start."""
    p = tmp_path / "n.csv"
    p.write_bytes(b"smiles,name\nCCO," + b"a" * 60 + b"\nCC\x00O,c\nCCN,d\n")
    with pytest.raises(InputFormatError, match="not a text file .*NUL"):
        read_table(p)


def _damaged_gzip(tmp_path: Path) -> tuple[Path, Path]:
    data = ("smiles,name\n" + "".join(f"CCO,n{i}\n" for i in range(50_000))).encode()
    packed = gzip.compress(data)
    truncated = tmp_path / "trunc.csv.gz"
    truncated.write_bytes(packed[: len(packed) // 2])
    corrupt = tmp_path / "corrupt.csv.gz"
    corrupt.write_bytes(packed[:5000] + b"garbage" * 100 + packed[5700:])
    return truncated, corrupt


def test_a_damaged_gzip_input_is_one_error_line(tmp_path: Path) -> None:
    """A truncated .csv.gz ended the run with click's bare "Aborted." (an EOFError), a corrupt
    one with a zlib.error traceback ("Error -3 while decompressing data"); both name the file
    now, and leave no output or work folder."""
    truncated, corrupt = _damaged_gzip(tmp_path)
    for path, why in ((truncated, "ended before the end-of-stream marker"), (corrupt, "Error -3 while decompressing")):
        with pytest.raises(InputFormatError, match=f"^.*{path.name} is not a readable gzip file: its data is damaged.*{why}"):
            read_table(path)
        line = _one_error_line(_cli(str(path), "-o", str(tmp_path / "o.csv"), "--batch-size", "100000", "-j", "1"))
        assert path.name in line and "data is damaged" in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corrupt.csv.gz", "trunc.csv.gz"]
    parquet = tmp_path / "t.parquet.gz"
    buf = io.BytesIO()
    pd.DataFrame({"smiles": ["CCO"] * 1000}).to_parquet(buf)
    parquet.write_bytes(gzip.compress(buf.getvalue())[:-20])
    with pytest.raises(InputFormatError, match="t.parquet.gz is not a readable gzip file: its data is damaged"):
        read_table(parquet)


def test_an_input_damaged_mid_file_is_a_read_error_not_a_write_error(tmp_path: Path) -> None:
    """A Parquet input whose fourth row group is damaged was reported as a failure to write the
    output ("cannot write bp.csv: Couldn't deserialize thrift ...; the 6,000 rows scored so far
    are kept ...: rerun with --resume", though no resume can read that file). It says now that
    the input cannot be read, and keeps nothing."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"smiles": ["CCO", "CCN"] * 40}), src, row_group_size=20, compression="none")
    offset = pq.ParquetFile(src).metadata.row_group(2).column(0).data_page_offset
    data = bytearray(src.read_bytes())
    data[offset + 4 : offset + 40] = b"\xff" * 36
    src.write_bytes(bytes(data))
    out = tmp_path / "bp.csv"
    with pytest.raises(InputFormatError, match=f"^cannot read {src}: "):
        run_screen(src, out, panel=TINY_BUNDLE, chunk_size=20, jobs=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.parquet"]


def test_an_output_that_is_a_named_pipe_is_refused_not_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``mkfifo scored.csv; consumer < scored.csv & drugscreen screen x.smi -o scored.csv``: the
    pipe was silently replaced by a regular file at the end of the run (the temporary file
    renamed over it), so the consumer waited forever. A pipe or device is refused up front,
    pointing at ``-o -``."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    src = write_smi(tmp_path / "x.smi", ["CCO a"])
    fifo = tmp_path / "scored.csv"
    os.mkfifo(fifo)
    _no_scoring(monkeypatch)
    with pytest.raises(InputFormatError, match=r"cannot write .*scored.csv: it is a named pipe.*-o -"):
        run_screen(src, fifo, panel=TINY_BUNDLE)
    assert fifo.is_fifo()


def test_resuming_a_csv_run_interrupted_before_the_blank_line_rule_is_refused(tmp_path: Path) -> None:
    """A CSV run interrupted under the old reading (a blank line in the middle was a row) and
    resumed now would skip as many records as it had rows, silently losing rows: the progress
    file did not say how rows were counted. Such a resume is refused; a .smi run, whose rows
    are counted as before, still resumes."""
    import json

    src = tmp_path / "in.csv"
    src.write_text("smiles\nCCO\n\nCCN\nCCC\nCCCl\n")
    out = tmp_path / "o.csv"

    def stop(done: int) -> None:
        if done >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_screen(src, out, panel=TINY_BUNDLE, chunk_size=2, jobs=1, on_progress=stop)
    progress = tmp_path / ".o.csv.partial" / "progress.json"
    state = json.loads(progress.read_text())
    state["schema"] = "drugscreen.screen-progress/1"
    progress.write_text(json.dumps(state))
    with pytest.raises(Exception, match="cannot resume: .*earlier drugscreen.*rerun without --resume"):
        run_screen(src, out, panel=TINY_BUNDLE, chunk_size=2, jobs=1, resume=True)
    smi = write_smi(tmp_path / "in.smi", ["CCO", "CCN", "CCC", "CCCl"])
    out2 = tmp_path / "o2.csv"
    with pytest.raises(KeyboardInterrupt):
        run_screen(smi, out2, panel=TINY_BUNDLE, chunk_size=2, jobs=1, on_progress=stop)
    progress = tmp_path / ".o2.csv.partial" / "progress.json"
    state = json.loads(progress.read_text())
    state["schema"] = "drugscreen.screen-progress/1"
    progress.write_text(json.dumps(state))
    assert run_screen(smi, out2, panel=TINY_BUNDLE, chunk_size=2, jobs=1, resume=True).resumed_rows == 2


def test_standard_output_closed_or_full_is_one_error_line(tmp_path: Path) -> None:
    """``screen x.smi -o - >&-`` ended in "AttributeError: 'NoneType' object has no attribute
    'write'" and ``> /dev/full`` in an "OSError: [Errno 28] No space left on device" traceback."""
    src = write_smi(tmp_path / "x.smi", ["CCO a"])
    cmd = [*CLI, "screen", str(src), "-o", "-", "--panel", str(TINY_BUNDLE), "-q"]
    closed = subprocess.run(cmd, capture_output=False, stderr=subprocess.PIPE, text=True, timeout=120,
                            preexec_fn=lambda: os.close(1))  # fmt: skip
    line = _one_error_line(subprocess.CompletedProcess(cmd, closed.returncode, "", closed.stderr))
    assert line == "Error: cannot write to standard output: it is closed; give a file with -o", line
    if Path("/dev/full").exists():
        with open("/dev/full", "w") as full:
            res = subprocess.run(cmd, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
        line = _one_error_line(subprocess.CompletedProcess(cmd, res.returncode, "", res.stderr))
        assert line == "Error: cannot write to standard output: No space left on device", line


def test_standard_input_closed_is_one_error_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``screen - -o o.csv <&-`` ended in "AttributeError: 'NoneType' object has no attribute 'buffer'"."""
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(InputFormatError, match="^cannot read standard input: it is closed; give an input file$"):
        open_input("-")
    cmd = [*CLI, "screen", "-", "-o", str(tmp_path / "o.csv"), "--panel", str(TINY_BUNDLE), "-q"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=None, preexec_fn=lambda: os.close(0))
    assert _one_error_line(res) == "Error: cannot read standard input: it is closed; give an input file"
    assert list(tmp_path.iterdir()) == []


def test_a_truncated_sdf_says_so_without_rdkit_noise(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """An SDF cut off inside its last record printed RDKit's "[11:26:37] EOF hit while reading
    atoms" on stderr (around the progress bar) and flagged the row "RDKit could not read the
    record"; the row now says the record is truncated, and nothing is printed."""
    from rdkit import Chem

    text = "".join(Chem.MolToMolBlock(Chem.MolFromSmiles(s)) + f">  <n>\n{i}\n\n$$$$\n" for i, s in enumerate(["CCO", "CCN"]))
    p = tmp_path / "t.sdf"
    p.write_text(text[: len(text) - 120])
    capfd.readouterr()
    errors = read_table(p)[ERROR_COLUMN].tolist()
    assert errors[0] == "" and errors[1] == "SDF record 2: truncated (no 'M  END' line: the file was cut off?)", errors
    assert capfd.readouterr().err == ""


def test_an_old_work_folder_that_cannot_be_removed_is_one_error_line(tmp_path: Path) -> None:
    """A work folder left by an earlier run that cannot be cleared (immutable, another user's)
    ended in "PermissionError: [Errno 1] Operation not permitted: 'progress.json'" (a traceback)."""
    src = write_smi(tmp_path / "x.smi", ["CCO a"])
    work = tmp_path / ".w.csv.partial"
    work.mkdir()
    (work / "progress.json").write_text("{}")
    with _immutable(work):
        with pytest.raises(InputFormatError, match=r"^cannot write .*w.csv: cannot clear the work folder .*\.w\.csv\.partial .*not permitted"):
            run_screen(src, tmp_path / "w.csv", panel=TINY_BUNDLE)
    assert not (tmp_path / "w.csv").exists()


def test_a_report_failing_at_the_end_says_the_output_is_written_and_how_to_get_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A report that could not be written at the end (a full disk) said only "cannot write the
    report r.html: No space left on device": not that the output was written, nor that the
    scored rows were left in .o.csv.partial, from which --resume writes the report without
    scoring again."""
    import errno

    src = write_smi(tmp_path / "x.smi", ["CCO a", "CCN b"])
    out, report = tmp_path / "o.csv", tmp_path / "r.html"
    real = os.replace

    def replace(a: object, b: object, *args: object, **kw: object) -> None:
        if str(b) == str(report):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(a, b, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(InputFormatError) as err:
        run_screen(src, out, panel=TINY_BUNDLE, report=report, jobs=1)
    msg = str(err.value)
    assert msg.startswith(f"cannot write the report {report}: No space left on device; the output {out} is written"), msg
    assert "--resume" in msg, msg
    monkeypatch.undo()
    summary = run_screen(src, out, panel=TINY_BUNDLE, report=report, jobs=1, resume=True)
    assert summary.resumed_rows == 2 and report.is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.csv", "r.html", "x.smi"]


def test_a_header_repeated_mid_file_is_named_in_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Two CSV files joined with ``cat`` repeat the header mid-file: that row was flagged
    "syntax error while parsing: smiles" without a word on why. A warning names the line."""
    a = "smiles,name\nCCO,a\nCCN,b\n"
    src = tmp_path / "all.csv"
    src.write_text(a + a.replace("CCO", "CCC").replace(",a", ",c").replace(",b", ",d"))
    out = tmp_path / "o.csv"
    with caplog.at_level("WARNING", logger="drugscreen"):
        summary = run_screen(src, out, panel=TINY_BUNDLE, jobs=1, chunk_size=2)
    assert summary.rows == 5 and summary.invalid == 1
    assert pd.read_csv(out, keep_default_na=False)["id"].tolist() == ["a", "b", "name", "c", "d"]
    assert "line 4 repeats the header line (files joined with cat?); that row (2) is flagged" in caplog.text
    src.write_bytes(a.encode() + b"\xef\xbb\xbf" + a.encode())  # Excel's CSVs start with a BOM
    caplog.clear()
    with caplog.at_level("WARNING", logger="drugscreen"):
        assert len(read_table(src)) == 5
    assert "line 4 repeats the header line" in caplog.text


def test_a_second_run_writing_the_same_output_is_refused_while_the_first_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two runs started with one -o (a retried job, a second terminal): the second said
    "discarding the 500 rows an interrupted run scored" and deleted the first run's work folder
    while it ran; the first then failed ("cannot write same.csv: No such file or directory"),
    and the second's output held rows of the first's input. The second run is refused now, and
    the first run's work is left alone."""
    fcntl = pytest.importorskip("fcntl")
    src = write_smi(tmp_path / "x.smi", ["CCO a", "CCN b"])
    out = tmp_path / "same.csv"
    work = tmp_path / ".same.csv.partial"
    work.mkdir()
    (work / "chunk_00000000.parquet").write_bytes(b"the first run's")
    fd = os.open(work, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as the running first run holds it
        with pytest.raises(InputFormatError, match=r"^cannot write .*same.csv: another drugscreen run is writing it"):
            run_screen(src, out, panel=TINY_BUNDLE, jobs=1)
        assert (work / "chunk_00000000.parquet").read_bytes() == b"the first run's"
    finally:
        os.close(fd)
    summary = run_screen(src, out, panel=TINY_BUNDLE, jobs=1)  # once the first run is gone
    assert summary.rows == 2 and not work.exists()


def _feed_fifo(path: Path, data: bytes) -> object:
    import threading

    def feed() -> None:
        with open(path, "wb") as fh:
            with contextlib.suppress(BrokenPipeError):
                fh.write(data)

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("suffix", [".smi", ".sdf"])
def test_a_named_pipe_as_input_is_read_once_and_whole(tmp_path: Path, suffix: str) -> None:
    """``mkfifo in.smi; producer > in.smi & drugscreen screen in.smi``: the input's checksum
    (for --resume) was taken by reading the pipe after the reader's first 64 KiB, so the rows
    after them were silently gone (3,605 of 20,000 rows scored); an SDF's tag pass ate it all,
    and the run then waited forever for a writer. A pipe is read once, as standard input is."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    from rdkit import Chem

    smiles = [f"C{'C' * (i % 15)}O" for i in range(2000)]
    if suffix == ".smi":  # over 64 KiB: more than the reader's first look takes
        data = "".join(f"{s} molecule-{i}-{'x' * 24}\n" for i, s in enumerate(smiles)).encode()
    else:
        data = "".join(Chem.MolToMolBlock(Chem.MolFromSmiles(s)) + f">  <n>\n{i}\n\n$$$$\n" for i, s in enumerate(smiles[:300])).encode()
    src = tmp_path / f"in{suffix}"
    os.mkfifo(src)
    feeder = _feed_fifo(src, data)
    summary = run_screen(src, tmp_path / "o.csv", panel=TINY_BUNDLE, jobs=1)
    feeder.join(timeout=10)  # type: ignore[attr-defined]
    assert len(data) > 1 << 16
    assert summary.rows == (2000 if suffix == ".smi" else 300) and summary.invalid == 0
    os.unlink(src)
    os.mkfifo(src)
    with pytest.raises(Exception, match="--resume needs an input file"):
        run_screen(src, tmp_path / "o2.csv", panel=TINY_BUNDLE, jobs=1, resume=True)


def test_replacing_an_output_keeps_its_permissions(tmp_path: Path) -> None:
    """An output replaced by a new run got the umask's permissions (0644 under umask 022): a
    group-writable results file (0664) shared with colleagues was no longer writable by them.
    An existing output keeps its mode, as ``sed -i`` keeps it."""
    src = write_smi(tmp_path / "x.smi", ["CCO a"])
    out = tmp_path / "o.csv"
    out.write_text("old\n")
    out.chmod(0o664)
    old = os.umask(0o022)
    try:
        run_screen(src, out, panel=TINY_BUNDLE, jobs=1)
        assert out.stat().st_mode & 0o777 == 0o664
        fresh = tmp_path / "new.csv"
        run_screen(src, fresh, panel=TINY_BUNDLE, jobs=1)
        assert fresh.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(old)


def test_an_output_in_folders_not_made_yet_is_still_written(tmp_path: Path) -> None:
    """``-o results/2026-12-01/scored.csv`` creates the missing folders, as before the check of
    the output's folder; a missing folder under an unwritable one is refused up front."""
    src = write_smi(tmp_path / "x.smi", ["CCO a"])
    out = tmp_path / "results" / "today" / "scored.csv"
    assert run_screen(src, out, panel=TINY_BUNDLE, jobs=1).rows == 1 and out.is_file()
    blocked = tmp_path / "x.smi" / "sub" / "o.csv"
    with pytest.raises(InputFormatError, match=r"cannot write .*o.csv: .*x.smi is not a folder"):
        run_screen(src, blocked, panel=TINY_BUNDLE, jobs=1)


def test_a_file_system_without_locks_still_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where flock is not supported (some NFS or FUSE mounts: ENOLCK), the run goes on unlocked
    instead of being refused as if another run held the folder."""
    fcntl = pytest.importorskip("fcntl")
    import errno

    def no_locks(fd: int, op: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    src = write_smi(tmp_path / "x.smi", ["CCO a"])
    assert run_screen(src, tmp_path / "o.csv", panel=TINY_BUNDLE, jobs=1).rows == 1
