"""Guards of training on small or odd data (review of the own-table change): a validation part
nothing can be scored on, identifier-named label columns, two-valued "regression" columns."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tiny_data import tiny_dataset

from drugscreen.exceptions import DatasetError

SMILES = ["C" * i + "O" for i in range(1, 41)]


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def test_estimator_without_validation_molecules_trains_every_epoch(caplog: pytest.LogCaptureFixture) -> None:
    """Four molecules: MoleculeEstimator holds none out, so no epoch can be scored. The guard
    against untrained weights raised DatasetError from fit() (before it, the untrained weights
    were kept silently); now every epoch is trained and the last one kept, with a warning."""
    from drugscreen.models.estimator import MoleculeEstimator

    est = MoleculeEstimator(model="fp_mlp", task_type="regression", epochs=3, patience=1)
    with caplog.at_level(logging.WARNING, logger="drugscreen.training.trainer"):
        est.fit(["CCO", "CCN", "c1ccccc1", "CCCl"], np.array([1.0, 2.0, 3.0, 4.0]))
    assert est.best_epoch_ == 2 and len(est.history_) == 3  # patience=1 does not stop it
    assert "no early stopping" in caplog.text


def test_estimator_one_class_holdout_trains_every_epoch() -> None:
    """3 actives in 40: the 4-molecule holdout holds only inactives (random_state 0), so its
    ROC-AUC is NaN every epoch; fit() raised DatasetError (cross_val_score failed on such folds)."""
    from drugscreen.models.estimator import MoleculeEstimator

    y = np.array([1.0] * 3 + [0.0] * 37)
    est = MoleculeEstimator(model="fp_mlp", task_type="classification", epochs=2, random_state=0)
    est.fit(SMILES, y)
    assert est.best_epoch_ == 1
    assert np.isfinite(est.predict_proba(SMILES[:3])).all()


def test_diverged_predictions_still_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scorable validation part whose score is NaN every epoch (diverged predictions) keeps
    no untrained weights: it is refused."""
    from drugscreen.models.estimator import MoleculeEstimator
    from drugscreen.training import trainer

    real = trainer._predict_raw

    def nan_predictions(*args: object, **kwargs: object) -> np.ndarray:
        return np.full_like(real(*args, **kwargs), np.nan)

    monkeypatch.setattr(trainer, "_predict_raw", nan_predictions)
    est = MoleculeEstimator(model="fp_mlp", task_type="regression", epochs=2)
    with pytest.raises(DatasetError, match="diverged"):
        est.fit(SMILES, np.linspace(0.0, 3.0, len(SMILES)))


def test_identifier_named_numeric_column_is_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """'BBB code' with 0/1 values is left out as an identifier by its name (903522e): it was
    dropped without a word when another label was there, and the error for a table with no
    other label did not say why; now a warning names it and the error lists it."""
    from drugscreen.data import load_table

    ds = tiny_dataset(40)
    frame = pd.DataFrame({"Compound ID": [f"CPD-{i}" for i in range(40)], "smiles": ds.smiles, "BBB code": ds.y[:, 0]})
    frame.to_csv(tmp_path / "one.csv", index=False)
    with pytest.raises(DatasetError, match=r"left out as identifiers by their names: Compound ID, BBB code.*--targets"):
        load_table(tmp_path / "one.csv")
    frame["logBB"] = ds.y[:, 1]
    frame.to_csv(tmp_path / "two.csv", index=False)
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        table = load_table(tmp_path / "two.csv")
    assert table.task_names == ["logBB"]
    assert "'BBB code' left out as identifiers" in caplog.text and "Compound ID" not in caplog.text  # text ids: no warning
    assert load_table(tmp_path / "two.csv", targets=["BBB code"]).task_names == ["BBB code"]


@pytest.mark.parametrize(("values", "inferred"), [((-1.0, 1.0), None), ((1.0, 2.0), None), ((0.0, 1.0), "classification")])
def test_two_valued_column_is_not_inferred_as_regression(tmp_path: Path, values: tuple[float, float], inferred: str | None) -> None:
    """Actives coded -1/1 (or 1/2) were inferred as regression and trained as numbers without a word."""
    from drugscreen.data import load_table

    ds = tiny_dataset(40)
    pd.DataFrame({"smiles": ds.smiles, "active": np.where(ds.y[:, 0] > 0.5, values[1], values[0])}).to_csv(
        tmp_path / "t.csv", index=False)
    if inferred is None:
        with pytest.raises(DatasetError, match=r"only the values .* write them as 0 and 1.*--task-type regression"):
            load_table(tmp_path / "t.csv")
        assert load_table(tmp_path / "t.csv", task_type="regression").task_type == "regression"
    else:
        assert load_table(tmp_path / "t.csv").task_type == inferred


def test_smiles_column_found_as_the_screener_finds_it(tmp_path: Path) -> None:
    """load_table had its own copy of drugscreen.io's SMILES-column search: --smiles-column SMILES
    did not find a column 'smiles' (the Screener's search ignores case)."""
    from drugscreen.data import load_table

    ds = tiny_dataset(40)
    pd.DataFrame({"Smiles": ds.smiles, "y": ds.y[:, 1]}).to_csv(tmp_path / "t.csv", index=False)
    assert load_table(tmp_path / "t.csv", smiles_column="SMILES").smiles == list(ds.smiles)
    with pytest.raises(DatasetError, match=r"t\.csv: smiles column 'mol' not found"):
        load_table(tmp_path / "t.csv", smiles_column="mol")


@pytest.mark.parametrize("name", ["assay.parquet", "data/assay.xlsx", "hits.sdf.gz"])
def test_other_data_formats_refused_as_training_tables(tmp_path: Path, name: str) -> None:
    """--dataset assay.parquet failed with 'unknown dataset' and data/assay.parquet with a UTF-8
    decoding error: training reads CSV/TSV only, and says so."""
    from drugscreen.data import load_table
    from drugscreen.exceptions import ConfigError
    from drugscreen.training.config import TrainConfig

    with pytest.raises(ConfigError, match=r"a training table is a \.csv or \.tsv file"):
        TrainConfig(dataset=[name])
    path = tmp_path / Path(name).name
    path.write_bytes(b"PAR1\x00\xc0")
    with pytest.raises(DatasetError, match=r"not \.(parquet|xlsx|sdf\.gz)"):
        load_table(path)


def test_a_single_dataset_run_says_its_left_out_molecules_are_duplicates(tmp_path, caplog) -> None:
    """A bbbp-only run logged '2 training molecules left out (in another dataset's valid/test
    part)' with no other dataset: they were duplicates of its own validation/test molecules."""
    import dataclasses

    from tiny_data import tiny_dataset

    from drugscreen.training.data import build_training_data

    ds = tiny_dataset(96)
    doubled = dataclasses.replace(
        ds, smiles=ds.smiles * 2, smiles_std=ds.smiles_std * 2, y=np.concatenate([ds.y, ds.y]),
        rows=np.arange(2 * len(ds.smiles)),
    )
    with caplog.at_level("INFO", logger="drugscreen.training.data"):
        build_training_data([doubled], split="random", seed=0, cache_dir=str(tmp_path))
    line = next(r.getMessage() for r in caplog.records if "training molecules left out" in r.getMessage())
    assert "duplicates of its own valid/test molecules" in line and "another dataset" not in line
