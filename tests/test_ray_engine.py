"""`drugscreen screen --engine ray`: same output as the local engine, every row once after a killed worker.

The Ray tests share one local Ray (2 CPUs, no dashboard) started by a module fixture, and skip
when Ray is not installed (``pip install 'drugscreen[ray]'``). The checks of the manifest, the
read-back and the missing-Ray message need no Ray.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from screen_fixtures import BAD, TINY_BUNDLE
from typer.testing import CliRunner

from drugscreen.cli import app
from drugscreen.exceptions import DistributedRunError
from drugscreen.screening.ray_engine import (
    MANIFEST_FILE,
    ROW_COLUMN,
    ray_available,
    read_manifest,
    read_scored,
    run_screen_ray,
    verify_output,
)

pytestmark = pytest.mark.skipif(not (TINY_BUNDLE / "config.json").is_file(), reason="tiny bundle fixture missing")

runner = CliRunner()
PANEL = ["--panel", str(TINY_BUNDLE)]
RINGS = ["c1ccccc1", "C1CCNCC1", "c1ccncc1", "C1CCOCC1", "c1ccc2ccccc2c1", "C1CC1"]
GROUPS = ["C", "O", "N", "Cl", "F", "CC", "C(=O)O", "OC", "C#N", "S"]
TAILS = ["", "C", "CC", "N", "O"]


def _library(path: Path) -> Path:
    """300 molecules (+ the invalid examples spread through them) as CSV with an id column."""
    rows = [(f"{t}{r}{g}", f"m{i}") for i, (r, g, t) in enumerate((r, g, t) for r in RINGS for g in GROUPS for t in TAILS)]
    for k, (smi, _) in enumerate(BAD):
        rows.insert(37 * k + 5, (smi, f"bad{k}"))
    lines = ["smiles,id"] + [f'"{s}",{i}' for s, i in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def ray_cluster():
    if not ray_available():
        pytest.skip("ray is not installed: pip install 'drugscreen[ray]'")
    import os

    import ray

    # workers at the test's priority (Ray's default is 15 nice levels lower, which crawls on a busy machine)
    os.environ.setdefault("RAY_worker_niceness", "0")
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def local_result(tmp_path_factory):
    """The library and the local engine's output for it (via the CLI)."""
    d = tmp_path_factory.mktemp("ray_local")
    src = _library(d / "lib.csv")
    res = runner.invoke(app, ["screen", str(src), "-o", str(d / "local.parquet"), *PANEL, "-q", "--batch-size", "64"])
    assert res.exit_code == 0, res.output
    return src, pd.read_parquet(d / "local.parquet")


@pytest.mark.ray
@pytest.mark.skipif(not ray_available(), reason="ray is not installed: pip install 'drugscreen[ray]'")
def test_ray_engine_matches_local_engine(ray_cluster, local_result, tmp_path):
    src, local = local_result
    out = tmp_path / "scored"
    res = runner.invoke(
        app, ["screen", str(src), "-o", str(out), "--engine", "ray", "--num-workers", "2", "--batch-size", "64", *PANEL, "-q"]
    )
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    assert manifest["rows"] == len(local) == 306 and manifest["invalid"] == (~local["valid"]).sum() == len(BAD)
    assert manifest["columns"] == list(local.columns)
    assert manifest["engine"]["workers"] == 2 and len(manifest["parts"]) == 5  # blocks of 64 rows
    assert manifest["versions"]["ray"] and manifest["input"]["id_column"] == "id"
    scored = read_scored(out)
    assert scored.index.name == ROW_COLUMN and scored.index.tolist() == list(range(len(local)))
    pd.testing.assert_frame_equal(scored.reset_index(drop=True), local)
    assert scored.loc[5, "id"] == "bad0" and not scored.loc[5, "valid"] and scored.loc[5, "error"]
    assert verify_output(out) == (306, 306 - len(BAD))
    n_out = int((local["valid"] & (local["in_domain"] == False)).sum())  # noqa: E712
    assert n_out > 0 and manifest["out_of_domain"] == n_out == sum(p["out_of_domain"] for p in manifest["parts"])
    assert not any(p.name.startswith(".") for p in out.iterdir())  # no staging or temporary files left


@pytest.mark.ray
@pytest.mark.skipif(not ray_available(), reason="ray is not installed: pip install 'drugscreen[ray]'")
def test_killed_worker_every_row_exactly_once(ray_cluster, local_result, tmp_path):
    from drugscreen.screening.screener import Screener

    src, local = local_result
    marker, pids = tmp_path / "killed", tmp_path / "pids"
    pids.mkdir()
    screener = Screener.load(panel=str(TINY_BUNDLE))
    # one actor SIGKILLs itself right after writing its first part, before reporting it: Ray
    # restarts it and retries the block, which rewrites the same part
    summary = run_screen_ray(
        src, tmp_path / "out", screener=screener, num_workers=2, chunk_size=64,
        _fault_injection={"marker": str(marker), "after": 1, "pids_dir": str(pids)},
    )  # fmt: skip
    assert marker.is_file(), "no worker was killed"
    assert len(list(pids.iterdir())) >= 3, "the killed actor was not restarted"
    assert summary.rows == 306 and summary.parts == 5
    scored = read_scored(tmp_path / "out")
    assert scored.index.tolist() == list(range(306))  # every input row, once, in order
    pd.testing.assert_frame_equal(scored.reset_index(drop=True), local)


def _fake_output(tmp_path: Path) -> Path:
    """A finished output of two parts written without Ray (for the read-back checks)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp_path / "fake"
    out.mkdir()
    parts = []
    for first, n in ((0, 3), (3, 2)):
        df = pd.DataFrame({"smiles": ["C"] * n, "valid": [True] * n}, index=pd.Index(range(first, first + n), name=ROW_COLUMN))
        name = f"part-{first:012d}.parquet"
        pq.write_table(pa.Table.from_pandas(df, preserve_index=True), out / name)
        parts.append({"file": name, "first_row": first, "rows": n})
    manifest = {"schema": "drugscreen.ray-screen/1", "rows": 5, "parts": parts}
    (out / MANIFEST_FILE).write_text(json.dumps(manifest))
    return out


@pytest.mark.ray
@pytest.mark.skipif(not ray_available(), reason="ray is not installed: pip install 'drugscreen[ray]'")
def test_input_without_rows_gives_an_output_without_parts(tmp_path):
    """As the local engine writes a header-only file, the Ray engine writes a manifest with no
    parts that lists the same columns (no Ray is started for it)."""
    src = tmp_path / "empty.smi"
    src.write_text("")
    local = tmp_path / "local.csv"
    assert runner.invoke(app, ["screen", str(src), "-o", str(local), *PANEL, "-q"]).exit_code == 0
    out = tmp_path / "scored"
    res = runner.invoke(app, ["screen", str(src), "-o", str(out), "--engine", "ray", *PANEL])
    assert res.exit_code == 0, res.output
    assert "0 scored, 0 invalid" in res.output and "/s)" not in res.output
    manifest = read_manifest(out)
    assert manifest["rows"] == 0 and manifest["parts"] == [] and manifest["columns"] == list(pd.read_csv(local).columns)
    assert verify_output(out) == (0, 0)
    back = read_scored(out)
    assert len(back) == 0 and list(back.columns) == manifest["columns"] and back.index.name == ROW_COLUMN


def test_read_back_in_order_and_loud_on_gaps_or_repeats(tmp_path):
    out = _fake_output(tmp_path)
    assert read_scored(out).index.tolist() == [0, 1, 2, 3, 4]
    assert verify_output(out) == (5, 5)
    assert read_manifest(out)["rows"] == 5
    assert len(pd.read_parquet(out)) == 5  # plain Parquet readers skip the _manifest.json
    shutil.copy(out / "part-000000000003.parquet", out / "part-000000000004.parquet")  # a repeat
    with pytest.raises(DistributedRunError, match="not in the manifest"):
        verify_output(out)
    (out / "part-000000000004.parquet").unlink()
    (out / "part-000000000003.parquet").unlink()  # a gap
    with pytest.raises(DistributedRunError, match="missing"):
        verify_output(out)
    with pytest.raises(DistributedRunError):
        read_scored(out)


def test_engine_ray_without_ray_says_how_to_install(tmp_path, monkeypatch, capsys):
    from drugscreen import cli

    src = _library(tmp_path / "lib.csv")
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError, find_spec -> None
    monkeypatch.setattr(sys, "argv", ["drugscreen", "screen", str(src), "-o", str(tmp_path / "o"), "--engine", "ray", *PANEL])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "pip install 'drugscreen[ray]'" in err
    assert not (tmp_path / "o").exists()


def test_engine_options_are_checked(tmp_path):
    src = _library(tmp_path / "lib.csv")
    res = runner.invoke(app, ["screen", str(src), "--engine", "spark", *PANEL])
    assert res.exit_code == 2 and "local or ray" in res.output
    res = runner.invoke(app, ["screen", str(src), "--num-workers", "2", *PANEL])
    assert res.exit_code == 2 and "--engine ray" in res.output


@pytest.mark.ray
@pytest.mark.skipif(not ray_available(), reason="ray is not installed: pip install 'drugscreen[ray]'")
def test_ray_engine_types_pass_through_columns_as_the_local_engine(ray_cluster, tmp_path):
    """A CSV's numeric pass-through columns are numbers in both engines' Parquet output, decided
    over the whole input: 'val' is numeric in the first block and has text in the second."""
    lines = ["smiles,id,mw,val,n"] + [
        f"{RINGS[i % len(RINGS)]}{GROUPS[i % len(GROUPS)]},{i:03d},{46.07 + i:.2f},{'n/a' if i == 100 else f'{i}.5'},{i}"
        for i in range(120)
    ]
    src = tmp_path / "in.csv"
    src.write_text("\n".join(lines) + "\n")
    res = runner.invoke(app, ["screen", str(src), "-o", str(tmp_path / "local.parquet"), *PANEL, "-q", "--batch-size", "64"])
    assert res.exit_code == 0, res.output
    local = pd.read_parquet(tmp_path / "local.parquet")
    res = runner.invoke(
        app, ["screen", str(src), "-o", str(tmp_path / "ray"), "--engine", "ray", "--num-workers", "2", "--batch-size", "64", *PANEL, "-q"]
    )
    assert res.exit_code == 0, res.output
    manifest = json.loads((tmp_path / "ray" / MANIFEST_FILE).read_text())
    assert manifest["types"]["mw_input"] == "double" and manifest["types"]["n"] == "int64"
    assert manifest["types"]["val"] in ("string", "large_string") and manifest["types"]["id"] in ("string", "large_string")
    pd.testing.assert_frame_equal(read_scored(tmp_path / "ray").reset_index(drop=True), local)
    assert local["id"].iloc[7] == "007" and local["val"].iloc[100] == "n/a"


def _finished_run(tmp_path):
    """An input, and an output directory holding a (pretend) finished run: (input, output, its files)."""
    src = tmp_path / "a.smi"
    src.write_text("CCO a\nc1ccccc1O b\n")
    out = tmp_path / "scored"
    out.mkdir()
    previous = {"part-000000000000.parquet": b"rows of the last run", MANIFEST_FILE: b'{"rows": 2}'}
    for name, data in previous.items():
        (out / name).write_bytes(data)
    return src, out, previous


@pytest.mark.skipif(not ray_available(), reason="ray is not installed: pip install 'drugscreen[ray]'")
@pytest.mark.parametrize("option", [{"profile": "cnss"}, {"endpoints": ["no_such_endpoint"]}])
def test_a_misspelt_name_leaves_the_previous_output_alone(tmp_path, option):
    # rerunning into the directory of a finished run with a typo in --profile/--endpoints
    # emptied the directory first and only then failed on the name: the last results were lost
    from drugscreen.exceptions import UnknownNameError

    src, out, previous = _finished_run(tmp_path)
    with pytest.raises(UnknownNameError):
        run_screen_ray(src, out, panel=TINY_BUNDLE, **option)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == previous


@pytest.mark.skipif(not ray_available(), reason="ray is not installed: pip install 'drugscreen[ray]'")
@pytest.mark.parametrize("where", ["_stage_text_input", "_score_on_ray"])
def test_an_interrupted_run_leaves_the_previous_output_alone(tmp_path, monkeypatch, where):
    # Ctrl-C while a text input was being staged (or while scoring) left the directory of the
    # last finished run empty: it was cleared before the new run started
    from drugscreen.screening import ray_engine

    src, out, previous = _finished_run(tmp_path)
    real = getattr(ray_engine, where)

    def interrupted(*args, **kwargs):
        if where == "_stage_text_input":
            real(*args, **kwargs)  # the staged files are written, then Ctrl-C
        else:
            (out / "part-000000000007.parquet").write_bytes(b"half of the new run")
        raise KeyboardInterrupt

    monkeypatch.setattr(ray_engine, where, interrupted)
    monkeypatch.setattr(ray_engine, "_ray_session", lambda *a, **k: __import__("contextlib").nullcontext(False))
    monkeypatch.setattr(ray_engine, "require_ray", lambda: type("R", (), {"cluster_resources": staticmethod(lambda: {"CPU": 1})}))
    with pytest.raises(KeyboardInterrupt):
        run_screen_ray(src, out, panel=TINY_BUNDLE)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == previous


@pytest.mark.ray
@pytest.mark.skipif(not ray_available(), reason="ray is not installed: pip install 'drugscreen[ray]'")
def test_fewer_blocks_than_workers_starts_one_actor_per_block(ray_cluster, tmp_path):
    """Three molecules are one block: one actor scores it (no idle actor loading the panel, no
    Ray warning about a pool larger than its input), and the manifest says 1 worker."""
    import json
    import warnings

    from drugscreen.screening.screener import Screener

    src = tmp_path / "three.smi"
    src.write_text("CCO\nCCN\nc1ccccc1\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        summary = run_screen_ray(src, tmp_path / "out", screener=Screener.load(panel=str(TINY_BUNDLE)), num_workers=2)
    assert summary.rows == 3 and summary.parts == 1
    assert json.loads((tmp_path / "out" / MANIFEST_FILE).read_text())["engine"]["workers"] == 1
    assert not [w for w in caught if "concurrent actors" in str(w.message)]


@pytest.mark.skipif(not ray_available(), reason="ray is not installed: pip install 'drugscreen[ray]'")
def test_a_run_killed_outright_does_not_cost_the_last_finished_output(tmp_path, monkeypatch):
    """kill -9 leaves the last finished output in .previous/ beside the killed run's parts: the
    next run put those parts aside as 'previous' and deleted the finished output. Now it puts the
    finished output back first, so a next run that is interrupted too restores it."""
    from drugscreen.screening import ray_engine

    src, out, previous = _finished_run(tmp_path)
    (out / ".previous").mkdir()
    for name in previous:
        os.replace(out / name, out / ".previous" / name)  # as _prepare_output sets it aside
    (out / "part-000000000009.parquet").write_bytes(b"part of the killed run")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ray_engine, "_score_on_ray", interrupted)
    monkeypatch.setattr(ray_engine, "_ray_session", lambda *a, **k: __import__("contextlib").nullcontext(False))
    monkeypatch.setattr(ray_engine, "require_ray", lambda: type("R", (), {"cluster_resources": staticmethod(lambda: {"CPU": 1})}))
    with pytest.raises(KeyboardInterrupt):
        run_screen_ray(src, out, panel=TINY_BUNDLE)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == previous


def test_a_leftover_previous_beside_a_finished_run_is_deleted(tmp_path):
    """A .previous/ beside a manifest is from a run that finished (killed while deleting it)."""
    from drugscreen.screening.ray_engine import _prepare_output

    _, out, previous = _finished_run(tmp_path)
    (out / ".previous").mkdir()
    (out / ".previous" / MANIFEST_FILE).write_bytes(b'{"rows": 1}')
    kept = _prepare_output(out, [])
    assert kept == out / ".previous" and {p.name: p.read_bytes() for p in kept.iterdir()} == previous


def test_ray_auth_warning_hidden_when_starting_a_local_ray(monkeypatch):
    """ray.init's 'token authentication is enabled' warning on every local start is hidden
    (shown with -v); the logger's level is restored afterwards."""
    import logging

    from drugscreen.screening import ray_engine

    auth = logging.getLogger("ray._private.authentication.authentication_token_setup")
    before, seen = auth.level, []
    fake = type("R", (), {"is_initialized": staticmethod(lambda: False), "shutdown": staticmethod(lambda: None),
                          "init": staticmethod(lambda **kw: seen.append(auth.isEnabledFor(logging.WARNING)))})
    monkeypatch.setattr(ray_engine.logger, "level", logging.INFO)
    with ray_engine._ray_session(fake, None, 1):
        pass
    monkeypatch.setattr(ray_engine.logger, "level", logging.DEBUG)  # -v
    with ray_engine._ray_session(fake, None, 1):
        pass
    assert seen == [False, True] and auth.level == before
