"""`drugscreen screen --engine ray` on big libraries: a progress bar, a clean end on Ctrl-C or
SIGTERM, and Parquet parts that read as one dataset.

The runs here go through the CLI in a subprocess (as a user or a scheduler starts them), each
starting its own local Ray; one run on a pseudo-terminal serves the progress and schema tests.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from screen_fixtures import BAD, TINY_BUNDLE
from typer.testing import CliRunner

from drugscreen.screening.ray_engine import MANIFEST_FILE, ROW_COLUMN, ray_available

pytestmark = [
    pytest.mark.skipif(not (TINY_BUNDLE / "config.json").is_file(), reason="tiny bundle fixture missing"),
    pytest.mark.skipif(not ray_available(), reason="ray is not installed: pip install 'drugscreen[ray]'"),
]

CLI = [sys.executable, "-c", "from drugscreen.cli import main; main()"]
PANEL = ["--panel", str(TINY_BUNDLE)]
RINGS = ["c1ccccc1", "C1CCNCC1", "c1ccncc1", "C1CCOCC1", "c1ccc2ccccc2c1", "C1CC1"]
GROUPS = ["C", "O", "N", "Cl", "F", "CC", "C(=O)O", "OC", "C#N", "S"]
TAILS = ["", "C", "CC", "N", "O"]


def _library(path: Path) -> tuple[Path, int]:
    """306 rows as CSV (300 molecules, the invalid examples spread through them), with an id
    column and a text column ``note`` empty in the first 100 rows; (path, rows)."""
    rows = [(f"{t}{r}{g}", f"m{i}") for i, (r, g, t) in enumerate((r, g, t) for r in RINGS for g in GROUPS for t in TAILS)]
    for k, (smi, _) in enumerate(BAD):
        rows.insert(37 * k + 5, (smi, f"bad{k}"))
    lines = ["smiles,id,note"] + [f'"{s}",{i},{"" if n < 100 else "seen"}' for n, (s, i) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path, len(rows)


def _env() -> dict[str, str]:
    return dict(os.environ, RAY_worker_niceness="0", COLUMNS="120", TERM="xterm")


def _run_on_tty(args: list[str], timeout: float = 240) -> tuple[int, str]:
    """Run the CLI with its stderr on a pseudo-terminal (as in a shell); (exit code, what it showed)."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([*CLI, *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave, env=_env())
    os.close(slave)
    shown = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: every writer closed the terminal
                    data = b""
                shown += data
                if data:
                    continue
            if proc.poll() is not None and not ready:
                break
            if proc.poll() is not None and ready and not data:
                break
        else:
            proc.kill()
            pytest.fail(f"the ray run on a terminal did not end in {timeout} s:\n{shown.decode(errors='replace')}")
    finally:
        os.close(master)
    return proc.wait(), shown.decode(errors="replace")


@pytest.fixture(scope="module")
def tty_run(tmp_path_factory):
    """One ray run of the library through the CLI on a terminal, in blocks of 64 rows: (rows, output, rc, stderr)."""
    d = tmp_path_factory.mktemp("ray_tty")
    src, n = _library(d / "lib.csv")
    out = d / "scored"
    rc, shown = _run_on_tty(["screen", str(src), "-o", str(out), "--engine", "ray", *PANEL,
                             "--batch-size", "64", "--num-workers", "2"])  # fmt: skip
    return src, n, out, rc, shown


def test_a_ray_run_on_a_terminal_shows_rows_done_of_the_total(tty_run):
    """The local engine shows a progress bar on a terminal; --engine ray showed nothing between
    its start line and its summary line (minutes on a big library)."""
    _, n, _, rc, shown = tty_run
    assert rc == 0, shown
    assert f"{n}/{n}" in shown, shown  # rows done of the total, from the driver as parts complete
    assert "scored" in shown.splitlines()[-1] or "scored" in shown, shown


def test_no_progress_bar_with_q_or_without_a_terminal(tmp_path, monkeypatch):
    """The bar follows the local engine's rule (progress_enabled): off with -q and when stderr
    is not a terminal; on, the Ray engine gets a callback for rows done and for the total."""
    from drugscreen import cli
    from drugscreen.screening import ray_engine

    seen: list[tuple[bool, bool]] = []

    def fake(*args, on_progress=None, on_total=None, **kwargs):
        seen.append((on_progress is not None, on_total is not None))
        if on_total is not None:
            on_total(3)
        if on_progress is not None:
            on_progress(3)
        return ray_engine.RaySummary(input=str(args[0]), output=str(args[1]), rows=3, valid=3, seconds=1.0, parts=1, workers=1)

    src = tmp_path / "a.smi"
    src.write_text("CCO\nCCN\nCCC\n")
    monkeypatch.setattr(ray_engine, "run_screen_ray", fake)
    runner = CliRunner()
    args = ["screen", str(src), "-o", str(tmp_path / "o"), "--engine", "ray", *PANEL]
    res = runner.invoke(cli.app, args)  # CliRunner's stderr is no terminal
    assert res.exit_code == 0, res.output
    monkeypatch.setattr(cli, "progress_enabled", lambda quiet=False: not (quiet or cli._state.get("quiet")))
    res = runner.invoke(cli.app, args)
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli.app, [*args, "-q"])
    assert res.exit_code == 0, res.output
    assert seen == [(False, False), (True, True), (False, False)]


def test_every_part_has_the_same_schema_and_the_folder_reads_as_one_dataset(tty_run, tmp_path):
    """Text columns were `string` in the parts (the local engine's Parquet: `large_string`), and
    nothing made the parts of one run agree; tools reading the folder as one dataset rely on it."""
    import pyarrow.dataset as pads
    import pyarrow.parquet as pq

    from drugscreen.cli import app

    src, n, out, rc, shown = tty_run
    assert rc == 0, shown
    dataset = pads.dataset(out, format="parquet")
    parts = sorted(out.glob("part-*.parquet"))
    assert len(parts) == 5
    schemas = [pq.read_schema(p).remove_metadata() for p in parts]
    for p, s in zip(parts, schemas, strict=True):
        assert s.equals(dataset.schema.remove_metadata()), f"{p.name}: {s} != {dataset.schema}"
    assert dataset.to_table().num_rows == n
    local = tmp_path / "local.parquet"
    res = CliRunner().invoke(app, ["screen", str(src), "-o", str(local), *PANEL, "-q", "--batch-size", "64"])
    assert res.exit_code == 0, res.output
    local_schema = pq.read_schema(local).remove_metadata()
    assert schemas[0].remove(schemas[0].get_field_index(ROW_COLUMN)).equals(local_schema), (schemas[0], local_schema)
    import json

    types = json.loads((out / MANIFEST_FILE).read_text())["types"]
    assert types == {f.name: str(f.type) for f in local_schema}


# ------------------------------------------------------------------------------ signals


def _interrupt(tmp_path: Path, sig: int, previous: dict[str, bytes] | None) -> tuple[int, str, Path]:
    """Start a ray run through the CLI, send ``sig`` to it once it has written a part; (rc, stderr, output)."""
    src, _ = _library(tmp_path / "lib.csv")
    out = tmp_path / "scored"
    if previous is not None:
        out.mkdir()
        for name, data in previous.items():
            (out / name).write_bytes(data)
    err = tmp_path / "stderr.txt"
    with err.open("w") as fh:
        proc = subprocess.Popen([*CLI, "screen", str(src), "-o", str(out), "--engine", "ray", *PANEL,
                                 "--batch-size", "64", "--num-workers", "2"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=fh, env=_env())  # fmt: skip
        deadline = time.monotonic() + 150

        def scoring() -> bool:  # the first part of this run is written (a previous output is set aside first)
            return (previous is None or (out / ".previous").is_dir()) and any(out.glob("part-*.parquet"))

        while time.monotonic() < deadline and proc.poll() is None and not scoring():
            time.sleep(0.05)
        assert proc.poll() is None, err.read_text()
        proc.send_signal(sig)
        try:
            rc = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"still running 60 s after the signal:\n{err.read_text()}")
    return rc, err.read_text(), out


def _no_dump(stderr: str) -> None:
    for noise in ("Traceback", "received at time", "logging.cc", "clock_nanosleep", "Error"):
        assert noise not in stderr, stderr


def test_sigterm_ends_a_ray_run_in_one_line_and_keeps_the_last_output(tmp_path):
    """SIGTERM (a scheduler's cancel) printed Ray's C++ stack dump ('*** SIGTERM received at
    time=... PC: @ ... clock_nanosleep' twice) and exited 15."""
    previous = {"part-000000000000.parquet": b"rows of the last run", MANIFEST_FILE: b'{"rows": 2}'}
    rc, stderr, out = _interrupt(tmp_path, signal.SIGTERM, previous)
    assert rc == 143, stderr
    _no_dump(stderr)
    last = [ln for ln in stderr.splitlines() if ln.strip()][-1]
    assert last.startswith("Interrupted") and "kept" in last and str(out) in last, stderr
    assert sum("Interrupted" in ln or "did not finish" in ln for ln in stderr.splitlines()) == 1, stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == previous


def test_ctrl_c_ends_a_ray_run_in_one_line_and_leaves_no_output_folder(tmp_path):
    """Ctrl-C said only 'Interrupted.' and left an empty output folder behind."""
    rc, stderr, out = _interrupt(tmp_path, signal.SIGINT, None)
    assert rc == 130, stderr
    _no_dump(stderr)
    last = [ln for ln in stderr.splitlines() if ln.strip()][-1]
    assert last.startswith("Interrupted") and "rerun" in last, stderr
    assert not out.exists(), sorted(p.name for p in out.iterdir())


# ------------------------------------------------------------------------------ Parquet inputs of several files


def _parquet_files(tmp_path: Path, second: str) -> Path:
    """A folder of two Parquet files whose column ``n`` is int64 in the first, ``second`` in the other."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    d = tmp_path / "library"
    d.mkdir()
    pq.write_table(pa.table({"smiles": ["CCO", "CCN", "CCC"], "n": pa.array([1, 2, 3], pa.int64())}), d / "a.parquet")
    values = {"double": pa.array([1.5, 2.5], pa.float64()), "string": pa.array(["x", "y"], pa.string())}[second]
    pq.write_table(pa.table({"smiles": pa.array(["c1ccccc1", "CC(=O)O"], pa.large_string()), "n": values}), d / "b.parquet")
    return d


def test_input_files_whose_column_types_cannot_be_merged_are_refused_in_one_line(tmp_path):
    """A column that is a number in one input file and text in another was planned and scored,
    then failed while the parts were finished, in Ray's traceback of an ArrowInvalid."""
    from drugscreen.exceptions import InputFormatError
    from drugscreen.screening.ray_engine import run_screen_ray

    src = _parquet_files(tmp_path, "string")
    t0 = time.monotonic()
    with pytest.raises(InputFormatError, match=r"b\.parquet.*'n'.*string.*int64|b\.parquet.*'n'.*int64.*string"):
        run_screen_ray(src, tmp_path / "out", panel=str(TINY_BUNDLE), num_workers=1)
    assert time.monotonic() - t0 < 20  # refused when planned, before Ray starts
    assert not (tmp_path / "out").exists()


def test_a_column_that_is_int_in_one_input_file_and_float_in_another_keeps_its_values(tmp_path):
    """int64 in the first input file, double in the second: the parts were cast to the first
    part's int64 with safe=False, so 1.5 became 1 in the output without a word."""
    from drugscreen.screening.ray_engine import read_scored, run_screen_ray

    src = _parquet_files(tmp_path, "double")
    summary = run_screen_ray(src, tmp_path / "out", panel=str(TINY_BUNDLE), num_workers=1)
    assert summary.rows == 5
    scored = read_scored(tmp_path / "out")
    assert scored["n"].tolist() == [1.0, 2.0, 3.0, 1.5, 2.5]


# ------------------------------------------------------------------------------ --resume


def test_an_interrupted_run_continues_with_resume_and_scores_only_the_rest(tmp_path):
    """--resume was refused with --engine ray ('work with --engine local only'), and an
    interrupted run deleted the parts it had scored: hours of a big library started again."""
    import json

    import pandas as pd

    from drugscreen.cli import app
    from drugscreen.screening.ray_engine import partial_dir, read_scored

    rc, stderr, out = _interrupt(tmp_path, signal.SIGTERM, None)
    assert rc == 143, stderr
    partial = partial_dir(out)
    kept = sorted(partial.glob("part-*.parquet"))
    last = [ln for ln in stderr.splitlines() if ln.strip()][-1]
    assert kept and "--resume" in last and str(partial) in last, (stderr, kept)
    assert not out.exists()  # nothing that looks like an output
    import pyarrow.parquet as pq

    kept_rows = sum(pq.ParquetFile(p).metadata.num_rows for p in kept)

    src = tmp_path / "lib.csv"
    args = ["screen", str(src), "-o", str(out), "--engine", "ray", *PANEL, "--batch-size", "64", "--num-workers", "2"]
    res = subprocess.run([*CLI, *args, "--resume"], capture_output=True, text=True, timeout=240, env=_env())
    assert res.returncode == 0, res.stderr
    assert f"{kept_rows:,} rows resumed" in res.stderr, res.stderr
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    assert manifest["rows"] == 306 and manifest["engine"]["resumed_rows"] == kept_rows
    assert not partial.exists()  # a finished run keeps nothing aside
    local = tmp_path / "local.parquet"
    res = CliRunner().invoke(app, ["screen", str(src), "-o", str(local), *PANEL, "-q", "--batch-size", "64"])
    assert res.exit_code == 0, res.output
    pd.testing.assert_frame_equal(read_scored(out).reset_index(drop=True), pd.read_parquet(local))


def test_resume_with_other_options_is_refused_and_without_resume_the_kept_parts_are_discarded(tmp_path, caplog, monkeypatch):
    """A --resume whose input or options differ from the interrupted run's must say what
    differs and touch nothing; a run without --resume says that it discards the kept parts."""
    import json
    import logging

    from drugscreen.exceptions import ConfigError
    from drugscreen.screening import ray_engine

    src = tmp_path / "in.smi"
    src.write_text("CCO a\nCCN b\n")
    out = tmp_path / "scored"
    partial = ray_engine.partial_dir(out)
    partial.mkdir()
    (partial / "part-000000000000.parquet").write_bytes(b"a part of the interrupted run")
    identity = {"input": str(src.resolve()), "input_sha256": "0" * 64, "input_files": None, "screener": {},
                "smiles_column": None, "id_column": None, "batch_size": 4096}  # fmt: skip
    (partial / "plan.json").write_text(json.dumps({"schema": ray_engine.PLAN_SCHEMA, "identity": identity,
                                                   "rows": 2, "block_rows": 256}))  # fmt: skip
    with pytest.raises(ConfigError, match=r"cannot resume: the input file's contents, the panel, --profile or --endpoints differ"):
        ray_engine.run_screen_ray(src, out, panel=str(TINY_BUNDLE), resume=True)
    assert not out.exists() and (partial / "part-000000000000.parquet").is_file()

    def no_ray(*args, **kwargs):  # the discarding happens before Ray starts; stop there
        raise KeyboardInterrupt

    caplog.set_level(logging.WARNING, logger="drugscreen.screening.ray_engine")
    monkeypatch.setattr(ray_engine, "_stage_text_input", no_ray)
    with pytest.raises(KeyboardInterrupt):
        ray_engine.run_screen_ray(src, out, panel=str(TINY_BUNDLE))
    assert not partial.exists()
    assert any("discarding the 1 part(s) an interrupted run scored" in r.getMessage() for r in caplog.records)


def test_a_named_pipe_as_input_is_read_once_and_resume_on_it_is_refused(tmp_path):
    """A named pipe as INPUT (mkfifo in.smi; producer > in.smi &): the driver staged it, then
    opened it again for the manifest's checksum and waited there forever for a second writer."""
    import threading

    fifo = tmp_path / "in.smi"
    os.mkfifo(fifo)

    def producer() -> None:
        with open(fifo, "w") as fh:
            fh.write("CCO a\nc1ccccc1O b\nCCN c\n")

    out = tmp_path / "scored"
    writer = threading.Thread(target=producer, daemon=True)
    writer.start()
    try:
        res = subprocess.run([*CLI, "screen", str(fifo), "-o", str(out), "--engine", "ray", *PANEL, "--num-workers", "1"],
                             capture_output=True, text=True, timeout=120, env=_env())  # fmt: skip
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):  # let the reader waiting for a second writer go
            with open(fifo, "w"):
                pass
        pytest.fail("screen --engine ray on a named pipe still waiting after 120 s")
    assert res.returncode == 0, res.stderr
    assert "3 scored" in res.stderr, res.stderr
    res = subprocess.run([*CLI, "screen", str(fifo), "-o", str(out), "--engine", "ray", *PANEL, "--resume"],
                         capture_output=True, text=True, timeout=60, env=_env())  # fmt: skip
    assert res.returncode == 1 and "--resume needs an input file" in res.stderr.splitlines()[-1], res.stderr
