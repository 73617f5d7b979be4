"""`drugscreen screen --engine ray` as a pipeline engineer meets it: cluster addresses, output
folders that cannot be written, workers that fail with an I/O error.

Each failure must be one ``Error:`` line (exit 1), quickly, with the previous output left alone.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from screen_fixtures import TINY_BUNDLE

from drugscreen.exceptions import ConfigError, InputFormatError, MissingDependencyError
from drugscreen.screening.ray_engine import ray_available, run_screen_ray

pytestmark = [
    pytest.mark.skipif(not (TINY_BUNDLE / "config.json").is_file(), reason="tiny bundle fixture missing"),
    pytest.mark.skipif(not ray_available(), reason="ray is not installed: pip install 'drugscreen[ray]'"),
]

CLI = [sys.executable, "-c", "from drugscreen.cli import main; main()"]


def _smi(tmp_path: Path) -> Path:
    src = tmp_path / "in.smi"
    src.write_text("CCO a\nc1ccccc1O b\nCC(=O)Nc1ccc(O)cc1 c\n")
    return src


def _free_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(args: list[str], timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, RAY_worker_niceness="0")
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, env=env)


def test_an_address_nothing_answers_at_fails_fast_in_one_line(tmp_path):
    """`--address HOST:PORT` with no Ray there waited minutes in ray.init, printing GCS retries."""
    out = tmp_path / "scored"
    t0 = time.monotonic()
    try:
        res = _cli(["screen", str(_smi(tmp_path)), "-o", str(out), "--engine", "ray", "--panel", str(TINY_BUNDLE),
                    "--address", f"127.0.0.1:{_free_port()}"], timeout=60)  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail("drugscreen screen --address <nothing there> still waiting after 60 s")
    assert time.monotonic() - t0 < 45
    assert res.returncode == 1, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert lines[-1].startswith("Error: cannot connect to the Ray cluster at") and "127.0.0.1" in lines[-1], res.stderr
    assert "Traceback" not in res.stderr and "gcs" not in res.stderr.lower(), res.stderr
    assert not out.exists()  # nothing created for a run that could not start


def test_a_malformed_address_is_refused_before_anything_starts(tmp_path):
    with pytest.raises(ConfigError, match="--address"):
        run_screen_ray(_smi(tmp_path), tmp_path / "o", panel=str(TINY_BUNDLE), address="localhost")
    assert not (tmp_path / "o").exists()


def test_ray_client_address_without_ray_client_says_how_to_install(tmp_path, monkeypatch):
    """`--address ray://...` without ray[client] ended in Ray's ValueError traceback."""
    import ray._private.utils as ray_utils

    monkeypatch.setattr(ray_utils, "get_ray_client_dependency_error", lambda: ImportError("No module named 'grpc'"))
    with pytest.raises(MissingDependencyError, match=r"ray\[client\]"):
        run_screen_ray(_smi(tmp_path), tmp_path / "o", panel=str(TINY_BUNDLE), address=f"ray://127.0.0.1:{_free_port()}")
    assert not (tmp_path / "o").exists()


def test_an_output_folder_that_cannot_be_created_is_one_error_line(tmp_path):
    """-o under a file (or on a read-only file system) ended in an OSError traceback."""
    src = _smi(tmp_path)
    res = _cli(["screen", str(src), "-o", str(src / "scored"), "--engine", "ray", "--panel", str(TINY_BUNDLE)])
    assert res.returncode == 1, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert lines[-1].startswith("Error: cannot write the output directory") and str(src) in lines[-1], res.stderr
    assert "Traceback" not in res.stderr and "│" not in res.stderr, res.stderr
    with pytest.raises(InputFormatError, match="cannot write the output directory"):
        run_screen_ray(src, src / "scored", panel=str(TINY_BUNDLE))


def test_a_read_only_output_folder_is_one_error_line_and_keeps_the_last_output(tmp_path):
    """An existing output folder one may not write in: the staging failed with an OSError traceback.

    Root writes anywhere, so as root the command runs as ``nobody`` (``setpriv``) in a folder of
    its own under /tmp.
    """
    import shutil
    import tempfile

    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make a folder read-only for the run")
    base = Path(tempfile.mkdtemp(prefix="ray_ro_"))
    try:
        base.chmod(0o755)
        src = base / "in.smi"
        src.write_text("CCO a\nc1ccccc1O b\n")
        src.chmod(0o644)
        out = base / "scored"
        out.mkdir()
        (out / "_manifest.json").write_text('{"rows": 2}')  # the last run's output
        out.chmod(0o555)
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
        env = dict(os.environ, HOME=str(base), RAY_worker_niceness="0")
        res = subprocess.run([*prefix, *CLI, "screen", str(src), "-o", str(out), "--engine", "ray", "--panel", str(TINY_BUNDLE)],
                             capture_output=True, text=True, timeout=120, env=env)  # fmt: skip
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert res.returncode == 1, res.stderr
        assert lines[-1].startswith(f"Error: cannot write the output directory {out}"), res.stderr
        assert "Traceback" not in res.stderr and "│" not in res.stderr, res.stderr
        assert sorted(p.name for p in out.iterdir()) == ["_manifest.json"]
    finally:
        (base / "scored").chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def test_a_full_disk_under_the_workers_is_one_error_line_and_keeps_the_last_output(tmp_path, capfd):
    """A worker's OSError writing its part (here: no space left) came back as Ray's 150-line
    RayTaskError(UserCodeException) traceback, after Ray Data's own ERROR log lines."""
    src = _smi(tmp_path)
    out = tmp_path / "scored"
    out.mkdir()
    (out / "_manifest.json").write_text('{"rows": 3}')  # the last run's output
    with pytest.raises(InputFormatError) as info:
        run_screen_ray(src, out, panel=str(TINY_BUNDLE), num_workers=1, _fault_injection={"errno": 28})
    assert str(info.value) == f"cannot write the output directory {out}: No space left on device"
    assert sorted(p.name for p in out.iterdir()) == ["_manifest.json"]
    err = capfd.readouterr().err  # (an earlier test's stale log handler may print a 'Logging error' here)
    for ray_noise in ("RayTaskError", "UserCodeException", "streaming_executor", "Failed to apply UDF"):
        assert ray_noise not in err, err


def test_a_worker_error_is_said_as_the_worker_raised_it():
    """Ray sends back only the text of a worker's error; the line kept is the worker's own."""
    from drugscreen.screening.ray_engine import _worker_error_line

    text = (
        "ray::MapWorker(MapBatches(ScoreActor)).submit() (pid=1, ip=10.0.0.1)\n"
        '  File "drugscreen/screening/_ray_tasks.py", line 146, in __call__\n'
        "    summary = self._score_block(batch)\n"
        "ValueError: could not convert string to float: 'x'\n\n"
        "The above exception was the direct cause of the following exception:\n\n"
        "ray.exceptions.UserCodeException: UDF failed to process a data block.\n"
        "To change retry attempts, backoff, or which errors are retried, configure `ray.data.DataContext.get_current()`"
    )
    assert _worker_error_line(RuntimeError(text)) == "ValueError: could not convert string to float: 'x'"


def test_a_full_disk_while_staging_a_text_input_is_one_error_line(tmp_path, monkeypatch):
    """The driver stages a text input as Parquet in the output folder; a full disk there ended in
    pyarrow's OSError traceback. (ParquetWriter.write_table is made to fail as a full disk does.)"""
    import errno

    import pyarrow.parquet as pq

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left on device")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", full)
    out = tmp_path / "scored"
    with pytest.raises(InputFormatError, match=r"^cannot write the output directory .*scored: .*No space left on device"):
        run_screen_ray(_smi(tmp_path), out, panel=str(TINY_BUNDLE), num_workers=1)
    assert list(out.iterdir()) == []  # the staging is removed


def test_ray_address_in_the_environment_is_the_cluster_used_and_checked(tmp_path, monkeypatch):
    """With $RAY_ADDRESS set (as in a Ray job), `--num-workers 2` ended in Ray's ValueError
    traceback ('num_cpus ... must not be provided'), and without it ray.init waited on the address."""
    monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{_free_port()}")
    t0 = time.monotonic()
    with pytest.raises(ConfigError, match=r"cannot connect to the Ray cluster at '127\.0\.0\.1:\d+'.*\$RAY_ADDRESS"):
        run_screen_ray(_smi(tmp_path), tmp_path / "o", panel=str(TINY_BUNDLE), num_workers=2)
    assert time.monotonic() - t0 < 30
    assert not (tmp_path / "o").exists()


def test_the_start_line_counts_as_the_summary_line_does(tmp_path, caplog):
    """The INFO line every run shows said '1 workers' (and '50000 rows' where the summary says 49,980)."""
    import logging

    caplog.set_level(logging.INFO, logger="drugscreen.screening.ray_engine")
    run_screen_ray(_smi(tmp_path), tmp_path / "o", panel=str(TINY_BUNDLE), num_workers=1)
    start = [r.getMessage() for r in caplog.records if r.getMessage().startswith("ray engine: ")]
    assert start == ["ray engine: 3 rows, blocks of 256, 1 worker (local Ray started)"], start


@pytest.mark.parametrize("name", ["scored.csv", "scored.SDF", "scored.tsv.gz"])
def test_an_output_named_like_a_file_is_refused_before_ray_starts(tmp_path, name):
    """`-o scored.csv --engine ray` made a directory called scored.csv holding Parquet parts,
    which a user (and every spreadsheet) takes for a CSV file. Refused with a directory name to
    use instead, before Ray starts; a directory of that name from an earlier run is still taken,
    and so is `scored.parquet`, a common name for a directory of Parquet parts."""
    src = _smi(tmp_path)
    with pytest.raises(InputFormatError, match=r"not a [.\w]+ file: give -o a directory name such as .*scored/"):
        run_screen_ray(src, tmp_path / name, panel=str(TINY_BUNDLE))
    assert not (tmp_path / name).exists()

    from drugscreen.screening.ray_engine import _refuse_file_name

    (tmp_path / "old.csv").mkdir()
    _refuse_file_name(tmp_path / "old.csv")
    _refuse_file_name(tmp_path / "scored.parquet")
    _refuse_file_name(tmp_path / "scored")
