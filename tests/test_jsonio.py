"""Every JSON file drugscreen writes is strict JSON: no bare NaN / Infinity tokens."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from tiny_data import tiny_train_config

from drugscreen.jsonio import dumps, jsonable, number, write_json

TINY = Path(__file__).parent / "data" / "tiny_bundle"


def _strict_load(text: str) -> object:
    """Parse as a strict JSON reader (jq, JSON.parse) would: NaN / Infinity are errors."""

    def refuse(token: str) -> None:
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def test_dumps_writes_null_for_missing_numbers_and_plain_numpy_values() -> None:
    obj = {"a": float("nan"), "b": [float("inf"), -np.inf, np.float32(0.5)], "c": np.int64(3),
           "d": np.array([1.0, np.nan]), "e": Path("x/y"), "f": (np.bool_(True), None), 1: "k"}
    text = dumps(obj)
    assert _strict_load(text) == {"a": None, "b": [None, None, 0.5], "c": 3, "d": [1.0, None], "e": "x/y",
                                  "f": [True, None], "1": "k"}


def test_unknown_values_need_a_fallback() -> None:
    with pytest.raises(TypeError, match="not JSON serialisable: object"):
        jsonable({"x": object()})
    assert jsonable({"x": {1, 2}}, fallback=sorted) == {"x": [1, 2]}


def test_write_json_is_atomic_and_ends_with_a_newline(tmp_path: Path) -> None:
    path = write_json(tmp_path / "sub" / "m.json", {"rmse": float("nan")})
    assert path.read_text() == '{\n "rmse": null\n}\n'
    assert [p.name for p in path.parent.iterdir()] == ["m.json"]


def test_number_reads_null_as_nan() -> None:
    assert math.isnan(number(None)) and number(1) == 1.0 and number(0.25) == 0.25


def test_training_outputs_are_strict_json(tiny_data, tmp_path: Path) -> None:
    from drugscreen.bundle import load_bundle
    from drugscreen.training.trainer import train_on_data

    train_on_data(tiny_data, tiny_train_config(epochs=2, name="t"), tmp_path / "out")
    files = sorted((tmp_path / "out").rglob("*.json"))
    assert {"config.json", "metrics.json", "history.json", "train_config.json"} <= {p.name for p in files}
    for p in files:
        _strict_load(p.read_text())
    assert load_bundle(tmp_path / "out").card()


def test_saved_bundle_config_is_strict_json_and_its_card_reads_null(tmp_path: Path) -> None:
    from drugscreen.bundle import load_bundle
    from drugscreen.training.card import render_card

    src = tmp_path / "src"
    shutil.copytree(TINY, src)
    cfg = json.loads((src / "config.json").read_text())
    cfg["domain"]["evidence"]["test"]["mean_error_out"] = float("nan")  # no test molecule outside
    cfg["domain"]["evidence"]["test"]["mean_error_in"] = float("nan")
    (src / "config.json").write_text(json.dumps(cfg))  # the old writer's bare NaN
    out = load_bundle(src).save(tmp_path / "copy")
    saved = _strict_load((out / "config.json").read_text())
    assert saved["domain"]["evidence"]["test"]["mean_error_out"] is None
    assert "## " in render_card(out)


def test_run_records_and_evidence_files_are_strict_json(tmp_path: Path) -> None:
    from drugscreen.benchmarking.records import load_records, write_evidence, write_record

    rec = {"dataset": "d", "model": "m", "split": "scaffold", "seed": 0,
           "metrics": {"test": {"roc_auc": float("nan"), "ece": np.float64(0.1)}}}
    path = write_record(rec, tmp_path / "runs" / "d_m_scaffold_seed0.json")
    assert _strict_load(path.read_text())["metrics"]["test"] == {"roc_auc": None, "ece": 0.1}
    assert load_records(tmp_path / "runs")[0]["metrics"]["test"]["roc_auc"] is None
    write_evidence(str(tmp_path / "ev"), {"ratio": float("nan"), "n": np.int32(2)}, ["# x"])
    assert _strict_load((tmp_path / "ev.json").read_text()) == {"ratio": None, "n": 2}


def test_cli_json_output_is_strict_for_a_bundle_written_by_the_old_writer(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from drugscreen.cli import app

    src = tmp_path / "old"
    shutil.copytree(TINY, src)
    cfg = json.loads((src / "config.json").read_text())
    cfg["domain"]["evidence"]["test"]["mean_error_out"] = float("nan")
    (src / "config.json").write_text(json.dumps(cfg))  # bare NaN, as bundles made before 2026-11-30
    res = CliRunner().invoke(app, ["models", "info", str(src), "--json"])
    assert res.exit_code == 0, res.output
    assert _strict_load(res.output)["domain"]["evidence"]["test"]["mean_error_out"] is None
