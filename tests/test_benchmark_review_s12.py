"""Review of ``drugscreen benchmark`` as a user who wants reproducible, literature-comparable runs:
stale records after a config edit, ``--only`` errors, what the report says (tiny data written here)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest
from tiny_data import tiny_dataset


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path / "cache"))


def _assay(path: Path, n: int = 96) -> Path:
    ds = tiny_dataset(n)
    frame = pd.DataFrame({"SMILES": ds.smiles, "has_N": ds.y[:, 0], "logp": ds.y[:, 1]})
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def _config(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    cfg = folder / "cfg.toml"
    cfg.write_text(body)
    return cfg


def test_edited_model_parameters_make_the_record_stale(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Changing n_estimators (or an fp_mlp setting) in the config after a run skipped every cell:
    the records of the old parameters were reused and reported under the new config."""
    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.runner import run_benchmark

    _assay(tmp_path / "assay.csv")
    body = ('datasets = ["assay.csv"]\ntargets = ["logp"]\nseeds = [0]\n'
            '[[models]]\nname = "rf"\nn_estimators = 5\n'
            '[[models]]\nname = "fp_mlp"\nepochs = 1\nbatch_size = 32\nmodel_params = { hidden = 16 }\n')
    cfg = _config(tmp_path, body)
    assert [o.status for o in run_benchmark(load_config(cfg), isolate=False)] == ["done", "done"]
    # nothing changed: both skipped
    assert [o.status for o in run_benchmark(load_config(cfg), isolate=False)] == ["skipped", "skipped"]
    # a restriction of the model's datasets, or an override for another dataset, changes nothing
    cfg.write_text(body.replace("n_estimators = 5", 'n_estimators = 5\ndatasets = ["assay"]\n'
                                "per_dataset = { other = { n_estimators = 9 } }"))
    assert [o.status for o in run_benchmark(load_config(cfg), isolate=False)] == ["skipped", "skipped"]

    cfg.write_text(body.replace("n_estimators = 5", "n_estimators = 7").replace("hidden = 16", "hidden = 8"))
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        again = run_benchmark(load_config(cfg), isolate=False)
    assert [o.status for o in again] == ["done", "done"]
    assert "n_estimators: 5 -> 7" in caplog.text
    assert "model_params: {'hidden': 16} -> {'hidden': 8}" in caplog.text
    rec = json.loads((tmp_path / "benchmarks" / "results" / "runs" / "assay__rf__scaffold__0.json").read_text())
    assert rec["config"]["model"]["n_estimators"] == 7
    assert rec["config"]["model_entry"] == {"name": "rf", "n_estimators": 7}
    # a per_dataset override for this dataset is a change too
    cfg.write_text(body.replace("n_estimators = 5", "n_estimators = 7\nper_dataset = { assay = { n_estimators = 3 } }")
                   .replace("hidden = 16", "hidden = 8"))
    assert [o.status for o in run_benchmark(load_config(cfg), isolate=False)] == ["done", "skipped"]
