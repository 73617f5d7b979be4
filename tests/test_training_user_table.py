"""Training on a user's own table (``drugscreen train --dataset my_assay.csv``), and the guards a
biologist's data need: duplicates with conflicting labels, empty or non-numeric label columns,
mixed task types, a validation part with one class, repeated or negative seeds, one-member
uncertainty."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tiny_data import tiny_dataset, tiny_smiles

from drugscreen.exceptions import ConfigError, DatasetError


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def _table(path: Path, n: int = 96, **extra: object) -> Path:
    ds = tiny_dataset(n)
    df = pd.DataFrame({"compound_id": [f"c{i}" for i in range(n)], "SMILES": ds.smiles, "has_N": ds.y[:, 0]})
    for k, v in extra.items():
        df[k] = v
    df.to_csv(path, index=False)
    return path


def test_load_table_merges_duplicates_and_blanks_conflicting_labels(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from drugscreen.data import load_table

    smiles = tiny_smiles(10)
    df = pd.DataFrame({
        "smiles": [*smiles, smiles[0], smiles[1], "c1ccccc1C.Cl", "not a smiles"],
        "active": [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 0],  # row 10 disagrees with row 0; row 11 agrees with row 1
    })  # fmt: skip
    df.to_csv(tmp_path / "assay.csv", index=False)
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        ds = load_table(tmp_path / "assay.csv")
    assert ds.name == "assay" and ds.task_type == "classification" and ds.task_names == ["active"]
    assert len(ds) == 10  # 2 duplicates + the HCl salt of molecule 0 merged, 1 invalid row
    assert np.isnan(ds.y[0, 0])  # 0, 1 and 1 for one molecule: no label
    assert ds.y[1, 0] == 1.0
    assert [r.row for r in ds.invalid] == [13]
    assert "duplicate row(s)" in caplog.text and "disagree" in caplog.text


def test_load_table_regression_duplicates_averaged_and_concentration_warned(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from drugscreen.data import load_table

    smiles = tiny_smiles(6)
    pd.DataFrame({"smiles": [*smiles, smiles[2]], "ic50_uM": [0.001, 0.5, 2.0, 10.0, 50.0, 900.0, 4.0]}).to_csv(tmp_path / "a.csv", index=False)
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        ds = load_table(tmp_path / "a.csv")
    assert ds.task_type == "regression" and ds.y[2, 0] == pytest.approx(3.0)
    assert "orders of magnitude" in caplog.text and "pIC50" in caplog.text


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        ({"smiles": ["CCO", "CCN"], "y": ["active", "0"]}, {}, "non-numeric"),
        ({"smiles": ["CCO", "CCN"], "y": [1, 0], "empty": [None, None]}, {}, "hold no value"),
        ({"smiles": ["CCO", "CCN", "CCC"], "a": [1, 0, 1], "b": [0.5, 2.0, 3.0]}, {}, "only 0/1"),
        ({"smiles": ["CCO", "CCN"], "y": [0.5, 2.0]}, {"task_type": "classification"}, "must be 0 or 1"),
        ({"SMILES": ["CCO"], "smi": ["CCO"], "y": [1]}, {}, "several columns could hold the SMILES"),
        ({"mol": ["CCO"], "y": [1]}, {}, "--smiles-column"),
        ({"smiles": ["CCO"], "y": [1]}, {"targets": ["pIC50"]}, "no target column"),
    ],
)
def test_load_table_refuses_bad_tables(tmp_path: Path, frame: dict, kwargs: dict, message: str) -> None:
    from drugscreen.data import load_table

    pd.DataFrame(frame).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(DatasetError, match=message):
        load_table(tmp_path / "t.csv", **kwargs)


def test_seeds_repeated_or_negative_refused() -> None:
    from drugscreen.training.config import TrainConfig

    with pytest.raises(ConfigError, match="repeat"):
        TrainConfig(dataset=["bbbp"], seeds="0,0")  # trained the same model twice: sd 0.000 over "2 seeds"
    with pytest.raises(ConfigError, match=">= 0"):
        TrainConfig(dataset=["bbbp"], seeds="-1")  # numpy's seeding traceback


def test_table_options_and_missing_file_refused(tmp_path: Path) -> None:
    from drugscreen.training.config import TrainConfig

    with pytest.raises(ConfigError, match="not found"):
        TrainConfig(dataset=[str(tmp_path / "missing.csv")])
    with pytest.raises(ConfigError, match="only apply to a dataset given as a file"):
        TrainConfig(dataset=["bbbp"], targets=["p_np"])


def test_one_class_validation_part_is_refused_not_trained_untrained(tmp_path: Path) -> None:
    """All labelled validation molecules positive: every epoch's validation ROC-AUC was NaN, no
    epoch ever 'improved', and the bundle silently held the initial random weights (best epoch -1)."""
    from drugscreen.data import load_table
    from drugscreen.data.splits import make_split
    from drugscreen.training import TrainConfig, train
    from drugscreen.training.data import build_training_data

    path = _table(tmp_path / "t.csv")
    ds = load_table(path, targets=["has_N"])
    sp = make_split("scaffold", ds)
    y = np.ones(len(ds))
    y[sp.train[:20]] = 0
    frame = pd.read_csv(path)
    labels = np.full(len(frame), np.nan)  # the rows without a label stay without one (left out)
    labels[ds.rows] = y
    frame["has_N"] = labels
    frame.to_csv(path, index=False)
    data = build_training_data([str(path)], split="scaffold", cache_dir=str(tmp_path / "f"), table_options={"targets": ["has_N"]})
    assert data.meta["unscorable_valid"]
    config = TrainConfig(dataset=[str(path)], targets=["has_N"], model="gine", epochs=1, cache_dir=str(tmp_path / "f"),
                         model_params={"hidden": 16, "depth": 2, "head_hidden": 16})
    with pytest.raises(DatasetError, match="no epoch could be chosen"):
        train(config, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_train_cli_on_own_csv_end_to_end(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from drugscreen.bundle import load_bundle
    from drugscreen.cli import app

    path = _table(tmp_path / "my_assay.csv", logp=tiny_dataset(96).y[:, 1])
    cfg = tmp_path / "run.toml"
    cfg.write_text('epochs = 2\nbatch_size = 16\n[model_params]\nhidden = 16\ndepth = 2\nhead_hidden = 16\n')
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["train", "--config", str(cfg), "--dataset", str(path), "--targets", "logp",
                                   "--model", "gine", "--split", "random", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "my_assay: test rmse" in res.output
    assert "(one seed) (seeds [0])" in res.output  # not "± 0.000", which reads as no spread
    assert "(one seed)" in (out / "MODEL_CARD.md").read_text()
    bundle = load_bundle(out)
    assert bundle.config["name"] == "my_assay_gine"  # not the file's path
    assert bundle.task_names == ["logp"]
    assert json.loads((out / "train_config.json").read_text())["targets"] == ["logp"]
    pred = bundle.predict_smiles(["CCO", "c1ccccc1O"])
    assert np.isfinite(pred.mean).all()
    assert np.isnan(pred.std).all()  # one member: no spread to report (it was 0.0, read as certainty)
    # the bundle copied without its card: models info still shows the metrics (it showed only the task names)
    card = (out / "MODEL_CARD.md").read_text()
    (out / "MODEL_CARD.md").unlink()
    regenerated = load_bundle(out).card()
    assert "| my_assay | RMSE |" in regenerated and "MODEL_CARD.md is missing" in regenerated
    assert regenerated.startswith(card.split("\n")[0])
    # a mixed file without --targets: one line, nothing trained
    res = CliRunner().invoke(app, ["train", "--dataset", str(path), "-o", str(tmp_path / "mixed")])
    assert isinstance(res.exception, DatasetError) and "only 0/1" in str(res.exception)
    assert not (tmp_path / "mixed").exists()


@pytest.mark.parametrize("id_name", ["Compound ID", "Drug Name", "CAS", "chembl_id", "InChIKey", "Title"])
def test_identifier_columns_are_not_labels(tmp_path: Path, id_name: str) -> None:
    """``Compound ID`` and the like are identifiers (it was read as a label column and refused as non-numeric)."""
    from drugscreen.data.loaders import load_table

    ds = tiny_dataset(40)
    pd.DataFrame({id_name: [f"CPD-{i:04d}" for i in range(40)], "smiles": ds.smiles, "active": ds.y[:, 0]}).to_csv(
        tmp_path / "t.csv", index=False)
    table = load_table(tmp_path / "t.csv")
    assert [t.name for t in table.tasks] == ["active"]


def test_config_table_read_beside_the_config_and_fingerprinted_by_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A relative table path in a TOML config is read beside the config (it was read from the
    current directory); a checkpoint's fingerprint holds the table's content, not the path as typed."""
    from drugscreen.training.config import resolve_config
    from drugscreen.training.trainer import _trunk_config

    sub = tmp_path / "project"
    sub.mkdir()
    table = _table(sub / "assay.csv")
    (sub / "run.toml").write_text('dataset = "assay.csv"\nmodel = "gine"\n')
    monkeypatch.chdir(tmp_path)
    cfg = resolve_config(sub / "run.toml")
    assert cfg.dataset == [str(sub / "assay.csv")]
    # the same file given another way: the same fingerprint (it retrained); edited: another one
    other = resolve_config(None, dataset="project/assay.csv", model="gine")
    assert _trunk_config(other)["dataset"] == _trunk_config(cfg)["dataset"]
    assert _trunk_config(cfg)["dataset"][0].startswith("table:assay:")
    before = _trunk_config(cfg)["dataset"]
    table.write_text(table.read_text().replace(",1.0\n", ",0.0\n", 1))
    assert _trunk_config(cfg)["dataset"] != before
    # registered names are fingerprinted as before
    assert _trunk_config(resolve_config(None, dataset="bbbp", model="gine"))["dataset"] == ["bbbp"]
