"""Several user tables in one training run, each with its own label columns.

``--targets`` (and ``smiles_column``, ``task_type``) applied to every table of a joint run, so a
panel of a hERG table (label ``active``) and a solubility table (label ``logS``) could not be
trained from their full files. A config's ``dataset`` entry may now be an inline table, as in a
benchmark config: ``{ path = "herg.csv", targets = ["active"] }``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tiny_data import tiny_dataset

from drugscreen.exceptions import ConfigError
from drugscreen.training.config import TrainConfig, resolve_config


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def _tables(folder: Path) -> tuple[Path, Path]:
    a, b = tiny_dataset(64, name="a"), tiny_dataset(72, name="b")
    herg = folder / "herg.csv"
    pd.DataFrame({"smiles": a.smiles, "active": a.y[:, 0], "ic50_nM": range(64), "note": 1.5}).to_csv(herg, index=False)
    sol = folder / "sol.csv"
    pd.DataFrame({"smiles": b.smiles, "logS": [0.1 * i for i in range(72)], "flag": b.y[:, 0]}).to_csv(sol, index=False)
    return herg, sol


def test_inline_entries_give_each_table_its_options(tmp_path: Path) -> None:
    herg, sol = _tables(tmp_path)
    (tmp_path / "panel.toml").write_text(
        'dataset = ["bbbp", { path = "herg.csv", targets = ["active"] },'
        ' { path = "sol.csv", targets = "logS", task_type = "regression" }]\nmodel = "gine"\n'
    )
    cfg = resolve_config(tmp_path / "panel.toml")
    assert cfg.dataset == ["bbbp", str(herg), str(sol)]  # read beside the config file
    assert cfg.tables == {str(herg): {"targets": ["active"]}, str(sol): {"targets": ["logS"], "task_type": "regression"}}
    # the normalized form round-trips (train_config.json)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg


def test_bad_entries_are_refused_with_what_to_write(tmp_path: Path) -> None:
    herg, _ = _tables(tmp_path)
    with pytest.raises(ConfigError, match=r"takes only path, smiles_column, targets, task_type.*'target'.*did you mean"):
        TrainConfig(dataset=[{"path": str(herg), "target": ["active"]}])
    with pytest.raises(ConfigError, match=r"needs a 'path'"):
        TrainConfig(dataset=[{"targets": ["active"]}])
    with pytest.raises(ConfigError, match=r"task_type must be classification or regression"):
        TrainConfig(dataset=[{"path": str(herg), "task_type": "regresion"}])
    with pytest.raises(ConfigError, match=r"\[tables\] names .*other.csv.*not a table of dataset"):
        TrainConfig(dataset=[str(herg)], tables={str(tmp_path / "other.csv"): {"targets": ["x"]}})
    with pytest.raises(ConfigError, match=r"registered dataset"):
        TrainConfig(dataset=[{"path": "bbbp", "targets": ["p_np"]}])


def test_a_joint_run_trains_each_table_on_its_own_labels(tmp_path: Path) -> None:
    from drugscreen.training.trainer import _trunk_config, train

    herg, sol = _tables(tmp_path)
    cfg = TrainConfig(dataset=[{"path": str(herg), "targets": ["active"]}, {"path": str(sol), "targets": ["logS"]}],
                      model="gine", epochs=1, model_params={"hidden": 8, "depth": 1}, head="per_dataset", split="random",
                      cache_dir=str(tmp_path / "f"))
    import json

    result = train(cfg, tmp_path / "out")
    tasks = {t["name"]: t["type"] for t in json.loads((result.bundle_path / "config.json").read_text())["tasks"]}
    assert tasks == {"herg": "classification", "sol": "regression"}
    # options a table does not give fall back to the run-wide ones; the fingerprint holds them
    assert _trunk_config(cfg)["tables"] and "tables" not in _trunk_config(TrainConfig(dataset=[str(herg)], targets=["active"]))


def test_a_tables_section_in_toml_reads_its_paths_beside_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``[tables."herg.csv"]`` (the normalized form train_config.json holds) names the file as the
    ``dataset`` entry does: beside the config file, whatever the current directory."""
    herg, _ = _tables(tmp_path)
    (tmp_path / "run.toml").write_text('dataset = ["herg.csv"]\nmodel = "gine"\n[tables."herg.csv"]\ntargets = ["active"]\n')
    monkeypatch.chdir(tmp_path.parent)
    cfg = resolve_config(tmp_path / "run.toml")
    assert cfg.dataset == [str(herg)] and cfg.tables == {str(herg): {"targets": ["active"]}}
