"""``drugscreen benchmark`` on a user's own table: a benchmark config names a CSV file (beside the
config), the grid runs on it with the same split files, seeds, run records and report as a
registered dataset, and an edited file is never taken for the one a record was made from."""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path

import pandas as pd
import pytest
from tiny_data import write_assay_table, write_config

from drugscreen.exceptions import ConfigError

pytestmark = pytest.mark.usefixtures("own_cache")


_assay = functools.partial(write_assay_table, ids=True)  # a user's table of tiny molecules
_config = write_config


def test_config_reads_tables_beside_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from drugscreen.benchmarking.config import load_config

    _assay(tmp_path / "proj" / "data" / "assay.csv")
    _assay(tmp_path / "proj" / "herg data.tsv")
    cfg = _config(tmp_path / "proj", 'datasets = ["data/assay.csv", { path = "herg data.tsv", name = "herg", targets = ["logp"] }]\n'
                                     'targets = ["has_N"]\nsmiles_column = "SMILES"\nseeds = [0]\n'
                                     '[[models]]\nname = "rf"\ndatasets = ["herg"]\n')
    monkeypatch.chdir(tmp_path)  # not the config's folder: the paths are read beside the config
    config = load_config(cfg)
    assert config.datasets == ("assay", "herg")
    assay, herg = config.tables["assay"], config.tables["herg"]
    assert assay.path == (tmp_path / "proj" / "data" / "assay.csv").resolve()
    assert assay.load_options() == {"name": "assay", "smiles_column": "SMILES", "targets": ["has_N"]}
    assert herg.load_options() == {"name": "herg", "smiles_column": "SMILES", "targets": ["logp"]}
    assert [c.key for c in config.cells()] == ["herg/rf/scaffold/0"]  # the model is restricted to herg
    assert config.to_dict()["tables"]["assay"]["targets"] == ["has_N"]


@pytest.mark.parametrize(
    ("datasets", "extra", "message"),
    [
        ('["missing.csv"]', "", "missing.csv not found"),
        ('["assay.csv"]', 'task_type = "ranking"\n', "task_type must be classification or regression"),
        ('["bbbp"]', 'targets = ["p_np"]\n', "only apply to a dataset given as a file"),
        ('["assay.csv", { path = "assay.csv" }]', "", "name one dataset twice"),
        ('[{ path = "assay.csv", name = "BBBP" }]', "", "registered dataset bbbp"),
        ('["assay.sdf"]', "", "not .sdf"),
    ],
)
def test_config_refuses_bad_table_entries(tmp_path: Path, datasets: str, extra: str, message: str) -> None:
    from drugscreen.benchmarking.config import load_config

    _assay(tmp_path / "assay.csv")
    cfg = _config(tmp_path, f"datasets = {datasets}\n{extra}[[models]]\nname = \"rf\"\n")
    with pytest.raises(ConfigError, match=message):
        load_config(cfg)


def test_benchmark_runs_on_a_table_and_records_its_content(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.report import build_report
    from drugscreen.benchmarking.runner import run_benchmark
    from drugscreen.data.files import sha256_file

    table = _assay(tmp_path / "assay.csv")
    cfg = _config(tmp_path, 'name = "mine"\ndatasets = ["assay.csv"]\ntargets = ["has_N"]\nseeds = [0, 1]\n'
                            '[[models]]\nname = "rf"\nn_estimators = 10\n'
                            '[[models]]\nname = "fp_mlp"\nepochs = 2\nbatch_size = 32\n'
                            'model_params = { hidden = 16 }\n')
    config = load_config(cfg)
    outcomes = run_benchmark(config, isolate=False)
    assert [(o.cell.key, o.status) for o in outcomes] == [
        ("assay/rf/scaffold/0", "done"), ("assay/rf/scaffold/1", "done"),
        ("assay/fp_mlp/scaffold/0", "done"), ("assay/fp_mlp/scaffold/1", "done"),
    ]
    sha = sha256_file(table)
    recs = {p.name: json.loads(p.read_text()) for p in config.results_dir.glob("*.json")}
    assert len(recs) == 4
    for rec in recs.values():
        assert rec["dataset"] == "assay" and rec["data_sha256"] == sha
        assert rec["table"]["name"] == "assay" and rec["table"]["sha256"] == sha
        assert rec["table"]["path"] == str(table.resolve())
        assert rec["table"]["options"]["targets"] == ["has_N"] and rec["table"]["task_type"] == "classification"
        assert sum(rec["sizes"][k] for k in ("train", "valid", "test")) <= 96
        assert rec["metrics"]["test"]["roc_auc"] is not None
    split_file = config.splits_dir / "assay_scaffold_0.json"
    assert recs["assay__rf__scaffold__0.json"]["split_sha256"] == recs["assay__fp_mlp__scaffold__0.json"]["split_sha256"]
    assert json.loads(split_file.read_text())["meta"]["data_sha256"] == sha

    # unchanged file: every cell is skipped
    assert {o.status for o in run_benchmark(config, isolate=False)} == {"skipped"}

    # an edited file (rows reordered: the old split's indices would pick other molecules): its
    # records no longer count, and its split file is remade
    pd.read_csv(table).iloc[::-1].to_csv(table, index=False)
    new_sha = sha256_file(table)
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        again = run_benchmark(config, isolate=False, only="assay/rf")
    assert [o.status for o in again] == ["done", "done"]
    assert "assay.csv changed since its record" in caplog.text
    rec = json.loads((config.results_dir / "assay__rf__scaffold__0.json").read_text())
    assert rec["data_sha256"] == rec["table"]["sha256"] == new_sha
    assert json.loads(split_file.read_text())["meta"]["data_sha256"] == new_sha

    # the report: a section for the user's tables, only the records of the current copy counted
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        text = build_report(config.results_dir, tmp_path / "R.md", plots_dir=None, suite_config=None).read_text()
    section = text.split("## Your own tables")[1].split("\n## ")[0]
    assert f"sha256 {new_sha[:12]}" in section and "| assay |" in section
    assert "ECFP4 + random forest" in section and "ECFP4 + MLP" not in section
    assert "earlier copy of assay.csv" in caplog.text


def test_benchmark_cli_on_a_table(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from drugscreen.cli import app

    _assay(tmp_path / "assay.csv")
    cfg = _config(tmp_path, 'datasets = ["assay.csv"]\ntargets = ["logp"]\nseeds = [0]\n[[models]]\nname = "train_mean"\n')
    res = CliRunner().invoke(app, ["benchmark", "--config", str(cfg), "--in-process", "--only", "assay/train_mean/0"])
    assert res.exit_code == 0, res.output
    assert "done" in res.output and "assay/train_mean/scaffold/0" in res.output
    rec = json.loads((tmp_path / "benchmarks" / "results" / "runs" / "assay__train_mean__scaffold__0.json").read_text())
    assert rec["table"]["task_type"] == "regression" and rec["metrics"]["test"]["rmse"] > 0


@pytest.mark.parametrize("threads", ["0", '"two"', "1.5", "true"])
def test_bad_threads_refused_when_the_config_is_read(tmp_path: Path, threads: str) -> None:
    """threads = 0 failed every cell with joblib's 'n_jobs == 0 in Parallel has no meaning', and
    threads = "two" with a ValueError traceback."""
    from drugscreen.benchmarking.config import load_config

    _assay(tmp_path / "assay.csv")
    cfg = _config(tmp_path, f'datasets = ["assay.csv"]\nthreads = {threads}\n[[models]]\nname = "rf"\n')
    with pytest.raises(ConfigError, match="threads must be an integer >= 1"):
        load_config(cfg)


def test_named_table_trained_cell_uses_the_split_file(tmp_path: Path) -> None:
    """A table given its own name: the trainer named it after the file, so its split (which
    records the dataset's name) never matched the split file and every trained cell got a
    'split sha256 differs' note."""
    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.runner import run_benchmark
    from drugscreen.benchmarking.splitfiles import file_sha256

    _assay(tmp_path / "assay.csv")
    cfg = _config(tmp_path, 'datasets = [{ path = "assay.csv", name = "herg", targets = ["has_N"] }]\nseeds = [0]\n'
                            '[[models]]\nname = "fp_mlp"\nepochs = 1\nbatch_size = 32\nmodel_params = { hidden = 16 }\n')
    config = load_config(cfg)
    assert [o.status for o in run_benchmark(config, isolate=False)] == ["done"]
    rec = json.loads((config.results_dir / "herg__fp_mlp__scaffold__0.json").read_text())
    assert rec["dataset"] == "herg"
    assert rec["split_sha256"] == file_sha256(config.splits_dir / "herg_scaffold_0.json")
    assert not any("differs" in n for n in rec["notes"])


def test_a_tables_rows_left_out_are_reported_once_per_run(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Each trained cell read the table a second time (the runner, then the trainer), so a run of
    4 cells warned 6 times about the same unparsable row, the trainer's copy pointing at "the loaded
    dataset's .invalid" instead of the file listing it; and every cell process said it again.
    Now the first cell to read the table says it, naming the file, and the others keep quiet.
    The metrics are those of the trainer reading the table itself."""
    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.runner import _loader_quiet, run_benchmark

    table = _assay(tmp_path / "assay.csv")
    frame = pd.read_csv(table)
    frame.loc[3, "SMILES"] = "C1CC"  # unclosed ring
    frame.to_csv(table, index=False)
    cfg = _config(tmp_path, 'name = "mine"\ndatasets = ["assay.csv"]\ntargets = ["logp"]\nseeds = [0, 1]\n'
                            '[[models]]\nname = "fp_mlp"\nepochs = 2\nbatch_size = 32\nmodel_params = { hidden = 16 }\n'
                            '[[models]]\nname = "rf"\nn_estimators = 5\n')
    config = load_config(cfg)
    with caplog.at_level(logging.INFO, logger="drugscreen"):
        outcomes = run_benchmark(config, isolate=False)
    assert {o.status for o in outcomes} == {"done"}
    left_out = [r.getMessage() for r in caplog.records if "could not be parsed" in r.getMessage()]
    assert len(left_out) == 1, left_out
    assert str(config.results_dir / "assay.invalid.csv") in left_out[0]

    # a cell process after the first: the loader's warnings are kept back, its errors are not
    loader_log = logging.getLogger("drugscreen.data.loaders")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="drugscreen"), _loader_quiet(True):
        loader_log.warning("said before")
        loader_log.error("an error")
    assert [r.getMessage() for r in caplog.records] == ["an error"]
    assert loader_log.level == logging.NOTSET

    # the trained cells' figures are those of `drugscreen train` reading the table itself
    from drugscreen.training.config import TrainConfig
    from drugscreen.training.trainer import train

    rec = json.loads((config.results_dir / "assay__fp_mlp__scaffold__1.json").read_text())
    own = train(TrainConfig.from_dict({"dataset": [str(table)], "targets": ["logp"], "model": "fp_mlp", "seeds": [1],
                                       "epochs": 2, "batch_size": 32, "model_params": {"hidden": 16}}), None)
    assert rec["metrics"]["test"]["rmse"] == pytest.approx(own.run_records[0]["metrics"]["test"]["rmse"], rel=1e-9)
