"""Review of training on a user's own table (session 13): what a biologist meets with
``drugscreen train --dataset my.csv`` and a bundle's card."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tiny_data import tiny_smiles

from drugscreen.exceptions import DatasetError

_TINY = {"epochs": 1, "batch_size": 16, "model": "gine", "model_params": {"hidden": 16, "depth": 2, "head_hidden": 16}}


pytestmark = pytest.mark.usefixtures("own_cache")


def _table(path: Path, labels: np.ndarray, extra_rows: list[tuple[str, float]] = ()) -> Path:
    smiles = tiny_smiles(len(labels))
    rows = [*zip(smiles, labels, strict=True), *extra_rows]
    pd.DataFrame(rows, columns=["Canonical_SMILES", "active"]).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("split", ["scaffold", "stratified", "random"])
def test_one_class_label_column_says_so_instead_of_suggesting_another_split(tmp_path: Path, split: str) -> None:
    """Every label 1: the refusal suggested ``--split stratified or random``, even to a run that
    used ``--split stratified``; no split can give validation two classes from one."""
    from drugscreen.training import TrainConfig, train

    path = _table(tmp_path / "allone.csv", np.ones(120))
    config = TrainConfig(dataset=[str(path)], split=split, cache_dir=str(tmp_path / "f"), **_TINY)
    with pytest.raises(DatasetError) as info:
        train(config, tmp_path / "out")
    message = str(info.value)
    assert "active holds only 1s (120 labels)" in message and "no split can" in message
    assert "--split" not in message
    assert not (tmp_path / "out").exists()


def test_unscorable_validation_never_suggests_the_split_already_used(tmp_path: Path) -> None:
    """Two positives in 60: stratified leaves validation without one; the hint named stratified again."""
    from drugscreen.training import TrainConfig, train

    labels = np.zeros(60)
    labels[:2] = 1
    path = _table(tmp_path / "rare.csv", labels)
    config = TrainConfig(dataset=[str(path)], split="stratified", cache_dir=str(tmp_path / "f"), **_TINY)
    with pytest.raises(DatasetError) as info:
        train(config, tmp_path / "out")
    message = str(info.value)
    assert "no epoch could be chosen" in message
    assert "try --split random" in message and "stratified or" not in message and "--split stratified" not in message


def test_card_and_config_say_which_rows_of_the_table_were_left_out_or_merged(tmp_path: Path) -> None:
    """The log counted the invalid rows and merged duplicates, but the bundle (config.json and
    MODEL_CARD.md) kept only the molecule count: a card read later could not say that rows were dropped."""
    from drugscreen.bundle import load_bundle
    from drugscreen.training import TrainConfig, train

    labels = (np.arange(120) % 3 == 0).astype(float)
    smiles = tiny_smiles(120)
    extra = [("C1CC(", 1.0), ("[Na+].[Cl-]", 0.0), (smiles[4], 0.0 if labels[4] else 1.0), (smiles[5], labels[5])]
    path = _table(tmp_path / "assay.csv", labels, extra)
    config = TrainConfig(dataset=[str(path)], split="random", cache_dir=str(tmp_path / "f"), **_TINY)
    train(config, tmp_path / "out")
    rows = json.loads((tmp_path / "out" / "config.json").read_text())["data"]["assay"]["rows"]
    assert rows == {"n_rows": 124, "n_invalid": 2, "n_duplicates_merged": 2, "n_labels_conflicting": 1}
    card = load_bundle(tmp_path / "out").card()
    assert ("- assay: 124 rows read; 2 left out as unparsable or refused (listed in `assay.invalid.csv` in the training "
            "output); 2 duplicate row(s) (same standardized molecule) merged, 1 disagreeing class label(s) set missing; "
            "120 molecules") in card


def test_a_seed_whose_test_part_cannot_be_scored_is_counted_not_called_one_seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two seeds, one of whose random test parts held no positive: the summary printed
    ``0.607 (one seed) (seeds [0, 1])``, and the card the same, as if one seed had been trained."""
    from typer.testing import CliRunner

    import drugscreen.training as training
    from drugscreen.cli import app
    from drugscreen.training.card import mean_sd_text
    from drugscreen.training.trainer import TrainResult

    assert mean_sd_text({"mean": 0.607, "sd": 0.0, "n": 1}, 2) == "0.607 (1 of 2 seeds scored)"
    assert mean_sd_text({"mean": 0.6, "sd": 0.05, "n": 2}, 3) == "0.600 ± 0.050 (2 of 3 seeds scored)"
    assert mean_sd_text({"mean": 0.6, "sd": 0.05, "n": 3}, 3) == "0.600 ± 0.050"  # the panel's lines unchanged
    assert mean_sd_text({"mean": 0.6, "sd": 0.0, "n": 1}, 1) == "0.600 (one seed)"

    def fake_train(config, output, progress=True, overwrite=False, command=None):  # noqa: ANN001, ANN202
        summary = {"cls": {"roc_auc": {"mean": 0.607, "sd": 0.0, "n": 1}, "seeds": [0, 1]}}
        return TrainResult(config, output, None, [], {"summary": summary})

    monkeypatch.setattr(training, "train", fake_train)
    path = _table(tmp_path / "cls.csv", (np.arange(40) % 2).astype(float))
    res = CliRunner().invoke(app, ["train", "--dataset", str(path), "--split", "random", "--seeds", "0,1", "-o", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "cls: test roc_auc 0.607 (1 of 2 seeds scored) (seeds [0, 1])" in res.output


@pytest.mark.parametrize(("words", "targets"), [(("yes", "no"), None), (("active", "inactive"), ["outcome"])])
def test_classes_written_as_words_are_refused_with_how_to_write_them(tmp_path: Path, words: tuple[str, str], targets: list[str] | None) -> None:
    """yes/no labels were refused with 'choose the label columns with --targets', which the user
    had done (or which does not help): the column is the label, written as words."""
    from drugscreen.data import load_table

    values = [words[i % 2] for i in range(20)]
    values[3] = ""
    pd.DataFrame({"smiles": tiny_smiles(20), "outcome": values}).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(DatasetError) as info:
        load_table(tmp_path / "t.csv", targets=targets)
    message = str(info.value)
    first, second = sorted(words)
    assert f"if {first!r} and {second!r} are classes, write them as 0 and 1 (1 = the active class)" in message
    assert "--targets" not in message


def test_a_text_value_in_a_named_target_does_not_suggest_naming_targets(tmp_path: Path) -> None:
    from drugscreen.data import load_table

    pd.DataFrame({"smiles": tiny_smiles(6), "logd": ["1.2", ">4.5", "2.0", "0.3", "", "1.1"]}).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(DatasetError, match=r"row 1: '>4.5'") as info:
        load_table(tmp_path / "t.csv", targets=["logd"])
    assert "--targets" not in str(info.value)
    with pytest.raises(DatasetError, match="choose the label columns with --targets"):  # columns taken by default: the hint stays
        load_table(tmp_path / "t.csv")


def test_estimator_labels_as_words_or_pandas_missing_values(tmp_path: Path) -> None:
    """fit(smiles, y) with y = 'yes'/'no' raised numpy's bare 'could not convert string to float',
    and a label Series holding pd.NA (NaN = missing, as documented) a TypeError about NAType."""
    from drugscreen.models import MoleculeEstimator

    smiles = pd.Series(tiny_smiles(30))
    est = MoleculeEstimator(model="fp_mlp", epochs=1, batch_size=16, model_params={"hidden": 16})
    with pytest.raises(ValueError, match=r"label 0 is 'yes': write classes as 0 and 1"):
        est.fit(smiles, pd.Series(["yes", "no"] * 15))
    y = pd.Series([1.0, 0.0, pd.NA] * 10, dtype=object)
    est.fit(smiles, y)
    assert est.predict_proba(smiles[:3]).shape == (3, 2)


def test_card_says_a_seed_figure_is_its_members_together_with_ensemble(tmp_path: Path) -> None:
    """--ensemble 2: each seed's test figure is its two members averaged, but the card said
    'each seed one model'."""
    from drugscreen.bundle import load_bundle
    from drugscreen.training import TrainConfig, train

    path = _table(tmp_path / "assay.csv", (np.arange(120) % 3 == 0).astype(float))
    config = TrainConfig(dataset=[str(path)], split="random", ensemble=2, cache_dir=str(tmp_path / "f"),
                         **{**_TINY, "model": "fp_mlp", "model_params": {"hidden": 16}})
    train(config, tmp_path / "out")
    card = load_bundle(tmp_path / "out").card()
    assert "Mean ± sd over seeds (each seed its 2 members together, as an ensemble)" in card
    assert "each seed one model" not in card


def test_card_shows_the_training_command(tmp_path: Path) -> None:
    """`drugscreen models info DIR` showed the resolved configuration but not the command that
    trained the bundle (the shipped panel's card has it, written by hand by publish_panel)."""
    from typer.testing import CliRunner

    from drugscreen.bundle import load_bundle
    from drugscreen.cli import app

    path = _table(tmp_path / "my assay.csv", (np.arange(120) % 3 == 0).astype(float))
    cfg = tmp_path / "run.toml"
    cfg.write_text('epochs = 1\nbatch_size = 16\n[model_params]\nhidden = 16\n')
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["train", "--config", str(cfg), "--dataset", str(path), "--model", "fp_mlp",
                                   "--split", "random", "--threads", "1", "-o", str(out)])
    assert res.exit_code == 0, res.output
    expected = (f"drugscreen train --config {cfg} --dataset '{path}' --model fp_mlp --split random --threads 1 -o {out}")
    bundle = load_bundle(out)
    assert bundle.config["training"]["command"] == expected
    assert bundle.config["training"]["working_dir"] == str(Path.cwd())
    assert f"- Training command: `{expected}` (run in `{Path.cwd()}`)" in bundle.card()


def test_a_saved_row_index_is_not_learnt_as_a_label(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A table saved with pandas' default ``to_csv()`` starts with an unnamed row-index column;
    it was read as a label 'Unnamed: 0' and a model was trained to predict the row number."""
    import logging

    from drugscreen.data import load_table

    frame = pd.DataFrame({"smiles": tiny_smiles(20), "logd": np.linspace(-1, 3, 20)})
    frame.to_csv(tmp_path / "t.csv")  # index=True: ",smiles,logd" then "0,...", "1,..."
    with caplog.at_level(logging.INFO, logger="drugscreen"):
        ds = load_table(tmp_path / "t.csv")
    assert ds.task_names == ["logd"] and ds.task_type == "regression"
    assert "names no column number 1" in caplog.text
    assert load_table(tmp_path / "t.csv", targets=["Unnamed: 0", "logd"]).task_names == ["Unnamed: 0", "logd"]  # named: taken


def test_a_semicolon_separated_csv_is_named_as_such(tmp_path: Path) -> None:
    """A CSV saved by a European spreadsheet uses ';': the refusal said only that no SMILES
    column was found among the columns 'SMILES;logD'."""
    from drugscreen.data import load_table

    (tmp_path / "t.csv").write_text("SMILES;logD\nCCO;1,5\nCCN;0,3\n")
    with pytest.raises(DatasetError, match=r"seems separated by ';', not by commas: save it with commas"):
        load_table(tmp_path / "t.csv")


def test_per_seed_run_keeps_the_figures_over_seeds(tmp_path: Path) -> None:
    """--split random --seeds 0,1 printed 'test roc_auc 0.70 ± 0.03 (seeds [0, 1])' but wrote it
    nowhere: each seed<N>/metrics.json holds its own seed only, and OUTPUT held nothing else."""
    from drugscreen.training import TrainConfig, train
    from drugscreen.training.trainer import prepare_output_dir

    path = _table(tmp_path / "assay.csv", (np.arange(120) % 3 == 0).astype(float))
    config = TrainConfig(dataset=[str(path)], split="random", seeds=[0, 1], cache_dir=str(tmp_path / "f"),
                         **{**_TINY, "model": "fp_mlp", "model_params": {"hidden": 16}})
    result = train(config, tmp_path / "out")
    saved = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert saved["summary"]["assay"]["roc_auc"]["n"] == 2 and saved["summary"]["assay"]["seeds"] == [0, 1]
    assert saved["summary"]["assay"]["roc_auc"]["mean"] == pytest.approx(result.metrics["summary"]["assay"]["roc_auc"]["mean"])
    assert saved["bundles"] == ["seed0", "seed1"]
    prepare_output_dir(tmp_path / "out", overwrite=True)  # --overwrite removes it with the seeds' bundles
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".checkpoints"]


def test_rows_left_out_are_readable_like_the_other_outputs(tmp_path: Path) -> None:
    """OUTPUT/<name>.invalid.csv (and every file atomic_write wrote: fetched datasets, split
    files) was created owner-only (0600, mkstemp's mode) while the bundle's files are 0644, so a
    colleague reading the training output could not open the list of refused rows."""
    import os

    from drugscreen.data.loaders import InvalidRow, write_invalid_rows

    old = os.umask(0o022)
    try:
        path = write_invalid_rows([InvalidRow(3, "C1CC(", "syntax error")], tmp_path / "t.invalid.csv")
        (tmp_path / "plain.txt").write_text("x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == (tmp_path / "plain.txt").stat().st_mode & 0o777 == 0o644


def test_a_misspelt_forest_key_names_the_closest_one(tmp_path: Path) -> None:
    """README: a bad TOML key fails 'with one line naming the key (and the closest known name)';
    ``[forest] n_estimator = 5`` got only the list of keys, with the misspelt one unnamed."""
    from drugscreen.exceptions import ConfigError
    from drugscreen.training import resolve_config

    path = _table(tmp_path / "assay.csv", (np.arange(40) % 2).astype(float))
    cfg = tmp_path / "run.toml"
    cfg.write_text(f'dataset = "{path}"\n[forest]\ndatasets = ["assay"]\nn_estimator = 5\n')
    with pytest.raises(ConfigError, match=r"not 'n_estimator'; 'n_estimator' \(did you mean 'n_estimators'\?\)"):
        resolve_config(cfg)


@pytest.mark.parametrize("split", ["scaffold", "random", "stratified"])
def test_five_molecules_are_not_told_to_try_another_split(tmp_path: Path, split: str) -> None:
    """Five rows: every split leaves validation empty, but the refusal said 'or another --split'."""
    from drugscreen.training import TrainConfig, train

    path = _table(tmp_path / "five.csv", np.array([0.0, 1.0, 0.0, 1.0, 1.0]))
    config = TrainConfig(dataset=[str(path)], split=split, cache_dir=str(tmp_path / "f"), **_TINY)
    with pytest.raises(DatasetError, match="leaves the valid part empty; give more molecules") as info:
        train(config, tmp_path / "out")
    assert "--split" not in str(info.value)


def test_a_table_with_a_header_and_no_rows_says_so(tmp_path: Path) -> None:
    """A header-only file was refused with "target column(s) ['active'] hold no value; leave them
    out with --targets", which sends the user to the wrong fix."""
    from drugscreen.data import load_table

    (tmp_path / "t.csv").write_text("Compound Name,Canonical_SMILES,active\n")
    with pytest.raises(DatasetError, match=r"has a header \(Compound Name, Canonical_SMILES, active\) but no rows") as info:
        load_table(tmp_path / "t.csv")
    assert "--targets" not in str(info.value)


def test_a_column_named_twice_is_refused_not_learnt_twice(tmp_path: Path) -> None:
    """Two assay exports pasted side by side: 'smiles,pIC50,pIC50' was read as two tasks,
    'pIC50' and 'pIC50.1' (pandas' renaming), without a word."""
    from drugscreen.data import load_table

    (tmp_path / "t.csv").write_text("smiles,pIC50,pIC50\nCCO,5.1,5.3\nCCN,6.0,\nCCC,4.2,4.0\n")
    with pytest.raises(DatasetError, match=r"names column\(s\) 'pIC50' more than once"):
        load_table(tmp_path / "t.csv")
    (tmp_path / "ok.csv").write_text("smiles,,pIC50\nCCO,0,5.1\nCCN,1,6.0\nCCC,2,4.2\n")  # unnamed columns are not names
    assert load_table(tmp_path / "ok.csv").task_names == ["pIC50"]
