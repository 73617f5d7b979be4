"""Long local screens (run_screen / `drugscreen screen`): failures mid-run keep the work done,
resume refuses what it cannot continue and says why, and nothing is thrown away unannounced."""

from __future__ import annotations

import errno
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from screen_fixtures import TINY_BUNDLE, write_smi
from typer.testing import CliRunner

from drugscreen.cli import app
from drugscreen.exceptions import ConfigError, InputFormatError
from drugscreen.screening.run import run_screen

pytestmark = pytest.mark.skipif(not (TINY_BUNDLE / "config.json").is_file(), reason="tiny bundle fixture missing")

MANY = [f"{a}{b}" for a in ("c1ccccc1", "C1CCNCC1", "c1ccncc1", "CCO", "CC(=O)N", "C1CCCCC1") for b in ("C", "O", "N", "Cl", "CC", "C(=O)O", "OC")]
TESTS = Path(__file__).parent


def _input(tmp_path: Path) -> Path:
    return write_smi(tmp_path / "a.smi", [f"{s} m{i}" for i, s in enumerate(MANY)] + ["C1CC bad"])


@pytest.mark.skipif(sys.platform == "win32", reason="needs fork")
def test_a_killed_worker_fails_the_run_and_keeps_the_chunks_for_resume(tmp_path):
    # A worker killed by the out-of-memory killer made a --jobs 2 run wait forever (the
    # multiprocessing pool replaced the worker and never answered for its chunk). The run must
    # stop with an error, keep the chunks already stored, and --resume must complete it.
    src = _input(tmp_path)
    clean = tmp_path / "clean.csv"
    run_screen(src, clean, panel=TINY_BUNDLE, chunk_size=8, jobs=1)
    marker = tmp_path / "killed"
    script = textwrap.dedent(
        f"""
        import os, sys, time
        from pathlib import Path
        from drugscreen.screening import screener as mod
        from drugscreen.screening.run import run_screen

        real = mod.Screener.score_chunk
        def dying(self, frame, *a, **k):
            # the worker holding the chunk of m24 dies once, as if killed -9, after chunk 0 is stored
            if (frame.astype(str) == "m24").to_numpy().any() and not Path({str(marker)!r}).exists():
                Path({str(marker)!r}).touch()
                while not Path({str(tmp_path / ".o.csv.partial" / "chunk_00000000.parquet")!r}).exists():
                    time.sleep(0.05)
                os._exit(137)
            return real(self, frame, *a, **k)
        mod.Screener.score_chunk = dying
        try:
            run_screen({str(src)!r}, {str(tmp_path / "o.csv")!r}, panel={str(TINY_BUNDLE)!r}, chunk_size=8, jobs=2)
        except Exception as exc:
            print(type(exc).__name__, exc)
            sys.exit(3)
        """
    )
    # the timeout only turns the old hang into a failure; it is not a speed check
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=TESTS.parent)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert marker.exists()
    assert proc.stdout.startswith("WorkerProcessError ") and "worker process died" in proc.stdout and "--resume" in proc.stdout
    work = tmp_path / ".o.csv.partial"
    assert (work / "chunk_00000000.parquet").is_file()  # the chunks done before are kept
    summary = run_screen(src, tmp_path / "o.csv", panel=TINY_BUNDLE, chunk_size=8, jobs=2, resume=True)
    assert summary.resumed_rows > 0 and summary.rows == len(MANY) + 1
    assert (tmp_path / "o.csv").read_bytes() == clean.read_bytes()
    assert not work.exists()


@pytest.mark.parametrize("where", ["final write", "chunk store"])
def test_a_full_disk_keeps_the_scored_chunks_and_says_resume(tmp_path, monkeypatch, where):
    # "No space left on device" while writing the output (after the whole run was scored)
    # deleted every scored chunk and ended in a traceback; the chunks must stay, the error
    # must be one named line, and --resume must finish the run without rescoring them.
    src = _input(tmp_path)
    clean = tmp_path / "clean.csv"
    run_screen(src, clean, panel=TINY_BUNDLE, chunk_size=8, jobs=1)
    out = tmp_path / "o.csv"
    from drugscreen import io as dio
    from drugscreen.screening import run as run_mod

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    if where == "final write":
        monkeypatch.setattr(dio.TableWriter, "write_rendered", full)
    else:
        real = run_mod._store_chunk

        def store(work, index, *a, **k):
            if index == 3:
                full()
            return real(work, index, *a, **k)

        monkeypatch.setattr(run_mod, "_store_chunk", store)
    with pytest.raises(InputFormatError, match="No space left on device.*kept in .*--resume"):
        run_screen(src, out, panel=TINY_BUNDLE, chunk_size=8, jobs=1)
    assert not out.exists()
    monkeypatch.undo()
    summary = run_screen(src, out, panel=TINY_BUNDLE, chunk_size=8, jobs=1, resume=True)
    assert summary.resumed_rows == (len(MANY) + 1 if where == "final write" else 24)
    assert out.read_bytes() == clean.read_bytes()
    assert not (tmp_path / ".o.csv.partial").exists()


def _stop_after_3_chunks(done: int) -> None:
    if done >= 24:
        raise KeyboardInterrupt


def test_a_rerun_without_resume_says_it_discards_the_interrupted_work(tmp_path, caplog):
    # forgetting --resume after an interruption silently threw the scored chunks away
    src = _input(tmp_path)
    out = tmp_path / "o.csv"
    with pytest.raises(KeyboardInterrupt):
        run_screen(src, out, panel=TINY_BUNDLE, chunk_size=8, jobs=1, on_progress=_stop_after_3_chunks)
    with caplog.at_level(logging.WARNING, logger="drugscreen.screening.run"):
        summary = run_screen(src, out, panel=TINY_BUNDLE, chunk_size=8, jobs=1)
    assert summary.resumed_rows == 0 and summary.rows == len(MANY) + 1
    warned = [r.getMessage() for r in caplog.records if "discarding" in r.getMessage()]
    assert len(warned) == 1 and "24 rows" in warned[0] and "--resume" in warned[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="drugscreen.screening.run"):
        run_screen(src, out, panel=TINY_BUNDLE, chunk_size=8, jobs=1)  # nothing left to discard
    assert not [r for r in caplog.records if "discarding" in r.getMessage()]


def test_resume_to_standard_output_is_refused_and_ctrl_c_promises_no_resume(tmp_path, monkeypatch):
    # `-o - --resume` silently started from scratch, and Ctrl-C on a run to stdout said
    # "rerun with --resume to continue", which could never work (its work folder is deleted)
    src = _input(tmp_path)
    with pytest.raises(ConfigError, match="--resume needs an output file"):
        run_screen(src, "-", panel=TINY_BUNDLE, chunk_size=8, jobs=1, resume=True)
    res = CliRunner().invoke(app, ["screen", str(src), "-o", "-", "--resume", "--panel", str(TINY_BUNDLE), "-q"])
    assert res.exit_code == 1 and "--resume needs an output file" in str(res.exception)

    from drugscreen.screening import run as run_mod

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_mod, "run_screen", interrupted)
    for args in (["-o", "-"], []):  # to stdout: explicitly, and by default for stdin input
        target = str(src) if args else "-"
        res = CliRunner().invoke(app, ["screen", target, *args, "--panel", str(TINY_BUNDLE), "-q"], input="CCO\n")
        assert res.exit_code == 130 and "cannot be resumed" in res.output and "--resume to continue" not in res.output
    res = CliRunner().invoke(app, ["screen", str(src), "-o", str(tmp_path / "o.csv"), "--panel", str(TINY_BUNDLE), "-q"])
    assert res.exit_code == 130 and "rerun with --resume to continue" in res.output


def test_a_refused_resume_names_the_options_that_changed(tmp_path):
    # "cannot resume: the options differ" left the user guessing which of a long command line
    # to change back; the message must name each changed option with both values
    src = _input(tmp_path)
    out = tmp_path / "o.csv"
    with pytest.raises(KeyboardInterrupt):
        run_screen(src, out, panel=TINY_BUNDLE, chunk_size=8, jobs=1, on_progress=_stop_after_3_chunks)
    with pytest.raises(ConfigError) as err:
        run_screen(src, out, panel=TINY_BUNDLE, chunk_size=10, jobs=1, profile="cns", resume=True)
    msg = str(err.value)
    assert "--profile default, now cns" in msg and "--batch-size 8, now 10" in msg and "--panel" not in msg
    res = CliRunner().invoke(
        app, ["screen", str(src), "-o", str(out), "--resume", "--batch-size", "8", "--endpoints", "logp", "--panel", str(TINY_BUNDLE), "-q"]
    )
    assert res.exit_code == 1 and "--endpoints" in str(res.exception) and "--batch-size" not in str(res.exception)
    # a profile file edited in between keeps its name: said so
    prof = tmp_path / "mine.toml"
    prof.write_text(
        'name = "mine"\naggregate = "mean"\n[filters]\nmin_mw = 100.0\n'
        '[[objectives]]\nendpoint = "qed"\ndirection = "up"\nthresholds = [0.2, 0.7]\n'
    )
    run_dir = tmp_path / "p.csv"
    with pytest.raises(KeyboardInterrupt):
        run_screen(src, run_dir, panel=TINY_BUNDLE, chunk_size=8, jobs=1, profile=prof, on_progress=_stop_after_3_chunks)
    prof.write_text(prof.read_text().replace("min_mw = 100.0", "min_mw = 150.0"))
    with pytest.raises(ConfigError, match="its contents changed"):
        run_screen(src, run_dir, panel=TINY_BUNDLE, chunk_size=8, jobs=1, profile=prof, resume=True)
    # unchanged options still resume
    summary = run_screen(src, out, panel=TINY_BUNDLE, chunk_size=8, jobs=1, resume=True)
    assert summary.resumed_rows == 24


def test_resume_refuses_a_panel_retrained_in_place(tmp_path):
    """--resume checked the panel's path and name only: a panel retrained into the same folder
    would have mixed two models' scores in one file."""
    import json
    import shutil

    panel = tmp_path / "panel"
    shutil.copytree(TINY_BUNDLE, panel)
    src = _input(tmp_path)
    out = tmp_path / "o.csv"
    with pytest.raises(KeyboardInterrupt):
        run_screen(src, out, panel=panel, chunk_size=8, jobs=1, on_progress=_stop_after_3_chunks)
    import hashlib

    from safetensors.numpy import load_file, save_file

    cfg = json.loads((panel / "config.json").read_text())
    member = panel / "member_0.safetensors"
    tensors = {k: v * 1.01 if v.dtype.kind == "f" else v for k, v in load_file(str(member)).items()}
    save_file(tensors, str(member))  # retrained in place: other weights, same folder and name
    cfg["files"]["member_0.safetensors"] = hashlib.sha256(member.read_bytes()).hexdigest()
    (panel / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ConfigError, match=r"--panel: the bundle's weights changed"):
        run_screen(src, out, panel=panel, chunk_size=8, jobs=1, resume=True)


def test_ctrl_c_reading_standard_input_keeps_no_work_folder_and_promises_no_resume(tmp_path, monkeypatch, caplog):
    # `screen - -o out.csv` interrupted logged "rerun with --resume to continue (work kept in
    # .out.csv.partial)", then "standard input cannot be resumed", and left that folder behind
    from drugscreen.screening import run as run_mod

    def interrupted(*a, **k):
        yield 8
        raise KeyboardInterrupt

    monkeypatch.setattr(run_mod, "_scored_chunks", interrupted)
    out = tmp_path / "out.csv"
    with caplog.at_level("WARNING"):
        res = CliRunner().invoke(app, ["screen", "-", "-o", str(out), "--panel", str(TINY_BUNDLE)], input="CCO\nc1ccccc1\n")
    assert res.exit_code == 130 and "cannot be resumed" in res.output
    assert "--resume" not in caplog.text and "--resume to continue" not in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []
