"""Review of training and benchmarking on a lab's own assay table (session 16): rows without a
label, too-small tables, and what the card, the records and the error lines say."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tiny_data import tiny_smiles

from drugscreen.exceptions import DatasetError

_TINY = {"epochs": 1, "batch_size": 16, "model": "gine", "model_params": {"hidden": 16, "depth": 2, "head_hidden": 16}}

pytestmark = pytest.mark.usefixtures("own_cache")


def _assay_with_unmeasured_rows(path: Path, n: int = 60, unmeasured: tuple[int, ...] = (3, 7, 11)) -> Path:
    """An assay export: a pIC50 column (a few compounds not measured: empty cells) and an id column."""
    smiles = tiny_smiles(n)
    pic50 = np.round(5.0 + (np.arange(n) % 9) * 0.4, 2)
    frame = pd.DataFrame({"Compound ID": [f"CPD-{i:03d}" for i in range(n)], "SMILES": smiles, "pIC50": pic50})
    frame.loc[list(unmeasured), "pIC50"] = np.nan
    frame.to_csv(path, index=False)
    return path


def test_rows_without_any_label_are_left_out_and_listed_not_kept_as_molecules(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Three compounds not measured (empty pIC50): they were kept as molecules with no label, so
    they took places in the split (valid and test counted molecules that could not be scored),
    joined the applicability domain's training fingerprints and the descriptor ranges, and the
    card said '60 rows read; none left out; ... 60 molecules'."""
    from drugscreen.data import load_table

    path = _assay_with_unmeasured_rows(tmp_path / "assay.csv")
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        ds = load_table(path, targets=["pIC50"], invalid_dir=tmp_path)
    assert len(ds) == 57
    assert not np.isnan(ds.y).all(axis=1).any()
    assert tiny_smiles(60)[3] not in ds.smiles and not ds.invalid  # nothing refused: not measured
    assert ds.load_stats == {"n_rows": 60, "n_invalid": 0, "n_duplicates_merged": 0, "n_labels_conflicting": 0,
                             "n_unlabelled": 3}
    assert f"3 of 60 rows of {path} hold no label (pIC50 empty: not measured) and are left out" in caplog.text
    assert "rows 3, 7, 11" in caplog.text


def test_the_card_counts_the_rows_without_a_label(tmp_path: Path) -> None:
    from drugscreen.bundle import load_bundle
    from drugscreen.training import TrainConfig, train

    path = _assay_with_unmeasured_rows(tmp_path / "assay.csv")
    frame = pd.read_csv(path)
    frame = pd.concat([frame, pd.DataFrame({"Compound ID": ["BAD"], "SMILES": ["C1CC("], "pIC50": [6.0]})],
                      ignore_index=True)
    frame.to_csv(path, index=False)
    config = TrainConfig(dataset=[str(path)], targets=["pIC50"], split="random", cache_dir=str(tmp_path / "f"), **_TINY)
    train(config, tmp_path / "out")
    data = json.loads((tmp_path / "out" / "config.json").read_text())["data"]["assay"]
    assert data["rows"]["n_unlabelled"] == 3 and data["rows"]["n_invalid"] == 1
    assert data["n_molecules"] == 57
    assert data["n_train"] + data["n_valid"] + data["n_test"] == 57
    card = load_bundle(tmp_path / "out").card()
    assert ("- assay: 61 rows read; 1 left out as unparsable or refused (listed in `assay.invalid.csv` in the training "
            "output); 3 left out without any label (every label cell empty: not measured); 0 duplicate row(s) (same "
            "standardized molecule) merged; 57 molecules") in card
    assert len(pd.read_csv(tmp_path / "out" / "assay.invalid.csv")) == 1


def test_benchmark_record_and_report_count_the_rows_without_a_label(tmp_path: Path) -> None:
    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.report import build_report
    from drugscreen.benchmarking.runner import run_benchmark

    _assay_with_unmeasured_rows(tmp_path / "assay.csv", n=120)
    cfg = tmp_path / "cfg.toml"
    cfg.write_text('datasets = ["assay.csv"]\ntargets = ["pIC50"]\nseeds = [0]\n[[models]]\nname = "train_mean"\n')
    config = load_config(cfg)
    run_benchmark(config, isolate=False)
    rec = json.loads((config.results_dir / "assay__train_mean__scaffold__0.json").read_text())
    table = rec["table"]
    assert (table["rows"], table["molecules"], table["invalid"], table["unlabelled"], table["duplicates_merged"]) == (120, 117, 0, 3, 0)
    assert sum(rec["sizes"].values()) == 117
    text = build_report(config.results_dir, tmp_path / "R.md", plots_dir=None, suite_config=None, extra_dirs=()).read_text()
    assert "117 molecules from 120 rows (0 refused, 3 without a label, 0 duplicates merged into their first row)" in text


@pytest.mark.parametrize("split", ["scaffold", "random"])
def test_a_regression_table_too_small_to_validate_gets_a_regression_hint(tmp_path: Path, split: str) -> None:
    """12 measured compounds: the refusal said 'try --split stratified or random' (stratified
    refuses regression: 'stratified splits need classification data') and '(no epoch could be
    chosen: a classification task needs both classes ...)' of a pIC50 column."""
    from drugscreen.training import TrainConfig, train

    rings = ["C1CC1", "C1CCC1", "C1CCCC1", "C1CCCCC1", "C1CCCCCC1", "c1ccccc1", "c1ccncc1", "c1ccoc1", "c1ccsc1",
             "c1ccc2ccccc2c1", "C1CCNCC1", "C1CCOCC1"]  # one scaffold each: a scaffold split's valid part is 1 molecule
    path = tmp_path / "small.csv"
    pd.DataFrame({"smiles": [f"{r}CO" if r[0] == "C" else f"OC{r}" for r in rings],
                  "pIC50": 5.0 + np.arange(12) * 0.25}).to_csv(path, index=False)
    config = TrainConfig(dataset=[str(path)], targets=["pIC50"], split=split, cache_dir=str(tmp_path / "f"), **_TINY)
    with pytest.raises(DatasetError) as info:
        train(config, tmp_path / "out")
    message = str(info.value)
    assert "no task can be scored on the valid part" in message
    assert "stratified" not in message and "classification" not in message and "both classes" not in message
    assert "a regression task needs two labelled validation molecules" in message
    assert ("try --split random, or more molecules" in message) == (split != "random")
    assert not (tmp_path / "out").exists()


def test_a_classification_table_keeps_its_hint(tmp_path: Path) -> None:
    from drugscreen.training import TrainConfig, train

    path = tmp_path / "cls.csv"
    labels = np.zeros(40)
    labels[:2] = 1
    pd.DataFrame({"smiles": tiny_smiles(40), "active": labels}).to_csv(path, index=False)
    config = TrainConfig(dataset=[str(path)], split="random", cache_dir=str(tmp_path / "f"), **_TINY)
    with pytest.raises(DatasetError) as info:
        train(config, tmp_path / "out")
    message = str(info.value)
    assert "try --split stratified, or more molecules" in message
    assert "(no epoch could be chosen: a classification task needs both classes among its labelled validation molecules)" in message


def test_a_benchmark_cell_on_a_too_small_regression_table_says_why_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The benchmark's trained-model cell appended 'no epoch could be chosen (a classification task
    needs both classes ...)' to a regression table's reason."""
    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.runner import run_benchmark

    rings = ["C1CC1", "C1CCC1", "C1CCCC1", "C1CCCCC1", "C1CCCCCC1", "c1ccccc1", "c1ccncc1", "c1ccoc1", "c1ccsc1",
             "c1ccc2ccccc2c1", "C1CCNCC1", "C1CCOCC1"]
    pd.DataFrame({"smiles": [f"{r}CO" if r[0] == "C" else f"OC{r}" for r in rings],
                  "pIC50": 5.0 + np.arange(12) * 0.25}).to_csv(tmp_path / "small.csv", index=False)
    cfg = tmp_path / "cfg.toml"
    cfg.write_text('datasets = ["small.csv"]\nseeds = [0]\n[[models]]\nname = "fp_mlp"\nepochs = 1\n')
    with caplog.at_level(logging.ERROR, logger="drugscreen"):
        run_benchmark(load_config(cfg), isolate=False)
    assert "small/fp_mlp/scaffold/0 failed" in caplog.text
    assert "a regression task needs two labelled validation molecules" in caplog.text
    assert "classification" not in caplog.text and caplog.text.count("no epoch could be chosen") == 1


@pytest.mark.parametrize("model", ["rf", "train_mean"])
def test_a_benchmark_split_with_an_empty_part_is_one_clear_failure(tmp_path: Path, caplog: pytest.LogCaptureFixture, model: str) -> None:
    """60 molecules of 4 scaffolds: the scaffold split is 45/0/15. The random forest's cell failed
    with scikit-learn's 'Found array with 0 sample(s) (shape=(0, 2048))', train_mean's with numpy's
    'cannot reshape array of size 0', and with --in-process the whole benchmark ended in a traceback;
    the trained models' cells said what was wrong."""
    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.runner import run_benchmark

    _assay_with_unmeasured_rows(tmp_path / "t.csv", n=60, unmeasured=())
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(f'datasets = ["t.csv"]\nseeds = [0]\n[[models]]\nname = "{model}"\n')
    with caplog.at_level(logging.ERROR, logger="drugscreen"):
        outcomes = run_benchmark(load_config(cfg), isolate=False)
    assert [o.status for o in outcomes] == ["failed"]
    assert ("DatasetError: t: the scaffold split of its 60 molecules leaves the valid part empty (45/0/15); give more "
            "molecules or another split (splits = [...] in the config)") in outcomes[0].error
    assert "ValueError" not in caplog.text


def test_the_summary_line_adds_up_to_the_rows_read(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """'297 molecules (303 rows, 0 invalid, 3 duplicates merged)': three rows were nowhere in the sum."""
    from drugscreen.data import load_table

    path = _assay_with_unmeasured_rows(tmp_path / "assay.csv")
    with caplog.at_level(logging.INFO, logger="drugscreen"):
        load_table(path, targets=["pIC50"])
    assert "assay: 57 molecules (60 rows, 0 invalid, 3 without a label, 0 duplicates merged)" in caplog.text


def test_the_card_of_a_short_regression_run_says_its_time_and_that_nothing_was_calibrated(tmp_path: Path) -> None:
    """A pIC50 model trained in seconds: its card said 'Training time on this machine: 0.0 min in
    total' and 'Method `platt`, fitted on the validation split only (one calibrator per
    classification task ...)' though it has no classification task and no calibrator."""
    from drugscreen.bundle import load_bundle
    from drugscreen.training import TrainConfig, train

    path = _assay_with_unmeasured_rows(tmp_path / "assay.csv", unmeasured=())
    config = TrainConfig(dataset=[str(path)], targets=["pIC50"], split="random", cache_dir=str(tmp_path / "f"), **_TINY)
    train(config, tmp_path / "out")
    card = load_bundle(tmp_path / "out").card()
    train_s = json.loads((tmp_path / "out" / "config.json").read_text())["training"]["train_s"]
    assert train_s < 60 and f"- Training time on this machine: {train_s:.1f} s in total" in card
    assert "0.0 min" not in card
    calibration = card.split("## Calibration\n")[1].split("\n## ")[0]
    assert "No classification task: there are no probabilities to calibrate" in calibration
    assert "platt" not in calibration


def test_a_report_of_ones_own_records_says_how_to_rerun_them(tmp_path: Path) -> None:
    """`drugscreen benchmark report --results-dir my_runs/runs` wrote, under 'Re-running one cell',
    the project's commands: 'drugscreen benchmark --config benchmarks/configs/property_suite.toml
    --only bbbp/rf/0 --force', 'drugscreen benchmark report' (which reads benchmarks/results/runs,
    not the user's records) and the panel's retraining, none of which re-runs the user's cells."""
    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.report import build_report
    from drugscreen.benchmarking.runner import run_benchmark

    _assay_with_unmeasured_rows(tmp_path / "assay.csv", n=120, unmeasured=())
    cfg = tmp_path / "mine.toml"
    cfg.write_text('datasets = ["assay.csv"]\nresults_dir = "my_runs/runs"\nseeds = [0]\n[[models]]\nname = "train_mean"\n')
    config = load_config(cfg)
    run_benchmark(config, isolate=False)
    record = json.loads((config.results_dir / "assay__train_mean__scaffold__0.json").read_text())
    text = build_report(config.results_dir, tmp_path / "my_runs" / "RESULTS.md", plots_dir=None, suite_config=None,
                        extra_dirs=()).read_text()
    rerun = text.split("## Re-running one cell\n")[1].split("\n## ")[0]
    assert record["command"] in rerun
    assert f"drugscreen benchmark report --results-dir {config.results_dir}" in rerun
    for project_only in ("property_suite.toml", "panel.toml", "chemprop_run.py", "DRUGSCREEN_DATA_DIR", "benchmarks/splits/"):
        assert project_only not in rerun


def test_a_misnamed_column_in_a_benchmark_config_is_one_error_before_any_cell(tmp_path: Path) -> None:
    """targets = ["pic50"] (the column is pIC50) with two models and two seeds: each of the 4
    cells loaded the table and failed with the same 'no target column(s) ['pic50']' line, and the
    run ended 'Error: 4 of 4 cell(s) failed'; it is now one error, raised before any cell runs."""
    from typer.testing import CliRunner

    from drugscreen.cli import app

    _assay_with_unmeasured_rows(tmp_path / "assay.csv", n=120, unmeasured=())
    cfg = tmp_path / "mine.toml"
    cfg.write_text('datasets = ["assay.csv"]\ntargets = ["pic50"]\nseeds = [0, 1]\n[[models]]\nname = "rf"\n'
                   '[[models]]\nname = "train_mean"\n')
    res = CliRunner().invoke(app, ["benchmark", "--config", str(cfg), "--in-process"])
    assert isinstance(res.exception, DatasetError), res.output  # drugscreen's main() prints it as one Error: line
    assert "no target column(s) ['pic50'] (did you mean 'pIC50'?)" in str(res.exception)
    assert "failed" not in res.output and "running" not in res.output
    assert not (tmp_path / "benchmarks" / "results" / "runs").exists() or not any((tmp_path / "benchmarks" / "results" / "runs").iterdir())


def test_a_split_file_remade_for_the_same_file_says_why(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The same file read into another number of molecules (other targets, so other rows without
    a label): the log said 'split file ... was made from other assay data (sha256 5a2e...); remaking
    it for this copy (5a2e...)', the same checksum twice."""
    from drugscreen.benchmarking.splitfiles import get_split
    from drugscreen.data import load_table

    path = _assay_with_unmeasured_rows(tmp_path / "assay.csv", n=120)
    frame = pd.read_csv(path)
    frame["logd"] = np.linspace(0, 3, len(frame))
    frame.to_csv(path, index=False)
    first = load_table(path, targets=["pIC50"])
    get_split(first, "random", 0, tmp_path / "splits", remake_on_change=True)
    second = load_table(path, targets=["logd"])
    with caplog.at_level(logging.INFO, logger="drugscreen"):
        split, _, _ = get_split(second, "random", 0, tmp_path / "splits", remake_on_change=True)
    assert len(split.train) + len(split.valid) + len(split.test) == 120
    assert "was made from other assay data" not in caplog.text
    assert "covers 117 molecules of this file, which now gives 120 (read with other options, or by another drugscreen version?); remaking it" in caplog.text


def test_labels_written_with_decimal_commas_say_so(tmp_path: Path) -> None:
    """A European spreadsheet export (decimal commas, quoted in a comma-separated file): 'column
    'pIC50' holds 60 non-numeric value(s) (row 0: '5,0', ...); labels must be numbers' did not say why."""
    from drugscreen.data import load_table

    pic50 = [f"{5 + (i % 9) * 0.4:.1f}".replace(".", ",") for i in range(60)]
    pd.DataFrame({"smiles": tiny_smiles(60), "pIC50": pic50}).to_csv(tmp_path / "eu.csv", index=False)
    with pytest.raises(DatasetError) as info:
        load_table(tmp_path / "eu.csv", targets=["pIC50"])
    message = str(info.value)
    assert "row 0: '5,0'" in message
    assert "numbers written with commas (5,0): save the table with decimal points and no thousands separators" in message


def test_a_table_without_a_usable_molecule_still_lists_why(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Every row refused: since rows without a label are left out (682edbe), the refusal came before
    the refused rows were listed, so the run said only 'no valid molecule in 2 rows' with no reason
    and no assay.invalid.csv (the code before it logged and listed them first)."""
    from drugscreen.data import load_table

    pd.DataFrame({"smiles": ["C1CC(", "C[O]", "CCN"], "pIC50": [6.0, 5.0, None]}).to_csv(tmp_path / "assay.csv", index=False)
    with caplog.at_level(logging.WARNING, logger="drugscreen"), pytest.raises(DatasetError, match="no valid molecule with a label in 3 rows"):
        load_table(tmp_path / "assay.csv", invalid_dir=tmp_path / "out")
    assert "2 of 3 rows of" in caplog.text and "syntax error while parsing" in caplog.text
    assert "1 of 3 rows of" in caplog.text and "hold no label" in caplog.text
    assert pd.read_csv(tmp_path / "out" / "assay.invalid.csv")["row"].tolist() == [0, 1]
    caplog.clear()
    pd.DataFrame({"smiles": ["C1CC(", "C[O]"], "pIC50": [6.0, 5.0]}).to_csv(tmp_path / "bad.csv", index=False)
    with caplog.at_level(logging.WARNING, logger="drugscreen"), pytest.raises(DatasetError, match="no valid molecule in 2 rows"):
        load_table(tmp_path / "bad.csv", invalid_dir=tmp_path / "out")
    assert "2 of 2 rows of" in caplog.text and (tmp_path / "out" / "bad.invalid.csv").exists()
