"""Review of ``drugscreen benchmark`` as a user who wants reproducible, literature-comparable runs:
stale records after a config edit, ``--only`` errors, what the report says (tiny data written here)."""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path

import pandas as pd
import pytest
from tiny_data import write_assay_table, write_config

pytestmark = pytest.mark.usefixtures("own_cache")


_assay = functools.partial(write_assay_table, ids=False)  # a user's table of tiny molecules
_config = write_config


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
    # a restriction of the model's datasets, or an override giving the same value, changes nothing
    cfg.write_text(body.replace("n_estimators = 5", 'n_estimators = 9\ndatasets = ["assay"]\n'
                                "per_dataset = { assay = { n_estimators = 5 } }"))
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


def test_report_of_own_runs_says_only_true_things(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A report of one's own records (another results_dir/splits_dir) said the records came from
    benchmarks/results/runs/, stated the time of a suite whose records were not these ("about 0.0 h"),
    put "no split file" beside cells whose split file exists, "yes" (same split file) beside rows
    whose records give no split sha256 at all, and averaged seeds run with other parameters as one."""
    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.report import Aggregate, _split_check, build_report
    from drugscreen.benchmarking.runner import run_benchmark

    _assay(tmp_path / "assay.csv")
    body = ('datasets = ["assay.csv"]\ntargets = ["logp"]\nseeds = [0, 1]\nresults_dir = "out/runs"\n'
            'splits_dir = "out/my_splits"\n[[models]]\nname = "rf"\nn_estimators = 5\n')
    cfg = _config(tmp_path, body)
    run_benchmark(load_config(cfg), isolate=False)
    cfg.write_text(body.replace("n_estimators = 5", "n_estimators = 6"))
    assert [o.status for o in run_benchmark(load_config(cfg), isolate=False, only="assay/rf/0")] == ["done"]
    suite = _config(tmp_path / "suite", 'datasets = ["bbbp"]\nresults_dir = "elsewhere"\n[[models]]\nname = "rf"\n')

    runs = tmp_path / "out" / "runs"
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        text = build_report(runs, tmp_path / "R.md", plots_dir=None, suite_config=suite, extra_dirs=()).read_text()
    assert "from the run records in `benchmarks/results/runs/`" not in text
    assert str(runs) in text.split("\n\n")[1]
    assert "How long the suite takes" not in text
    row = next(line for line in text.splitlines() if line.startswith("| assay |") and "| rf |" in line)
    assert row.endswith("| yes |"), row
    assert "assay/rf/scaffold: n_estimators: 6 (seed 0) / 5 (seed 1)" in text
    assert "seeds run with different parameters" in caplog.text
    # nothing to compare: not a "yes"
    bare = Aggregate(split="scaffold", dataset="bbbp", model="panel:gine", seeds=[0, 1, 2], metrics={}, train_s=None,
                     total_s=None, predict_mol_per_s=None, peak_rss_mb=None)
    assert _split_check(bare, tmp_path) == "not recorded"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('name = "rf"\nn_estimator = 5', r"unknown rf parameter\(s\) \['n_estimator'\]; 'n_estimator' \(did you mean 'n_estimators'"),
        ('name = "rf"\nper_dataset = { asay = { n_estimators = 5 } }', "per_dataset names 'asay', not a dataset of this config"),
        ('name = "fp_mlp"\nepoch = 1', r"model 'fp_mlp' on assay: unknown training option\(s\) \['epoch'\]"),
        ('name = "fp_mlp"\nepochs = 0', "model 'fp_mlp' on assay: epochs must be >= 1"),
        ('name = "fp_mlp"\nmodel_params = { hiden = 8 }', "'hiden' not accepted by model 'fp_mlp'"),
        ('name = "fp_mlp"\nsplit = "random"', "split cannot be set per model"),
        ('name = "fp_mlp"\ndataset = ["bbbp"]', "dataset cannot be set per model"),
        ('name = "train_mean"\nn_estimators = 5', "takes no parameters"),
    ],
)
def test_bad_model_parameters_refused_when_the_config_is_read(tmp_path: Path, entry: str, message: str) -> None:
    """A misspelt parameter failed each cell on its own after loading its data (and writing its split
    file); a per_dataset override naming no dataset was ignored; split/dataset in a model entry
    overrode the cell's own, so a record filed as a scaffold cell of bbbp could be another split or dataset."""
    from drugscreen.benchmarking.config import load_config
    from drugscreen.exceptions import ConfigError

    _assay(tmp_path / "assay.csv")
    cfg = _config(tmp_path, f'datasets = ["assay.csv"]\ntargets = ["logp"]\nseeds = [0]\n[[models]]\n{entry}\n')
    with pytest.raises(ConfigError, match=message):
        load_config(cfg)
    assert not (tmp_path / "benchmarks").exists()


@pytest.mark.parametrize("only", ["other/rf", "assay/rf/x", "a/b/c/d/e", "assay/rf/0/scafold"])
def test_only_errors_name_the_only_flag(tmp_path: Path, only: str) -> None:
    """--only is typed on the command line: its errors carry key="only", so the CLI can exit 2 (usage)."""
    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.runner import select_cells
    from drugscreen.exceptions import ConfigError

    _assay(tmp_path / "assay.csv")
    config = load_config(_config(tmp_path, 'datasets = ["assay.csv"]\nseeds = [0]\n[[models]]\nname = "rf"\n'))
    with pytest.raises(ConfigError, match="--only") as err:
        select_cells(config, only)
    assert err.value.key == "only"


def test_record_names_the_code_commit(tmp_path: Path) -> None:
    """Every record said drugscreen "0.1.0", whatever commit made it: a record could not say which
    code made its figures. It now carries the git commit (+dirty) when run from a checkout."""
    import subprocess

    import drugscreen
    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.runner import run_benchmark

    repo = Path(drugscreen.__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    _assay(tmp_path / "assay.csv")
    cfg = _config(tmp_path, 'datasets = ["assay.csv"]\ntargets = ["logp"]\nseeds = [0]\n[[models]]\nname = "train_mean"\n')
    run_benchmark(load_config(cfg), isolate=False)
    rec = json.loads((tmp_path / "benchmarks" / "results" / "runs" / "assay__train_mean__scaffold__0.json").read_text())
    assert rec["versions"]["git"] in (head, head + "+dirty")
    # and which copy of the config file
    import hashlib

    assert rec["config_file"]["sha256"] == hashlib.sha256(cfg.read_bytes()).hexdigest()


def test_registered_dataset_under_another_spelling_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """datasets = ["BBBP"] passed the config check (names are matched ignoring case) but its cells,
    records and report rows were named "BBBP": the random forest's figure was missing from the
    summary and the classification table (which list "bbbp"), and --only bbbp matched nothing."""
    from test_benchmark_runner import _write_tiny_data

    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.report import build_report
    from drugscreen.benchmarking.runner import run_benchmark, select_cells

    _write_tiny_data(tmp_path / "data")
    cfg = _config(tmp_path, f'datasets = ["BBBP"]\nseeds = [0]\ndata_dir = "{tmp_path / "data"}"\n'
                            '[[models]]\nname = "rf"\nn_estimators = 5\ndatasets = ["BBBP"]\n'
                            'per_dataset = { BBBP = { n_estimators = 4 } }\n')
    config = load_config(cfg)
    assert [c.key for c in select_cells(config, "bbbp/rf")] == ["bbbp/rf/scaffold/0"]
    assert [c.key for c in select_cells(config, "BBBP/rf/0")] == ["bbbp/rf/scaffold/0"]
    assert [o.status for o in run_benchmark(config, isolate=False)] == ["done"]
    rec = json.loads((config.results_dir / "bbbp__rf__scaffold__0.json").read_text())
    assert rec["dataset"] == "bbbp" and rec["config"]["model"]["n_estimators"] == 4
    text = build_report(config.results_dir, tmp_path / "R.md", plots_dir=None, suite_config=None, extra_dirs=()).read_text()
    table = text.split("### Classification: test ROC-AUC")[1].split("\n\n")[1]
    rf_row = next(line for line in table.splitlines() if line.startswith("| ECFP4 + random forest"))
    assert f"{rec['metrics']['test']['roc_auc']:.3f} (n=1)" in rf_row.split("|")[2]


def test_panel_rows_from_a_bundle_summary_are_not_called_run_records(tmp_path: Path) -> None:
    """Without the panel's run records (any results_dir but the repository's), its rows come from the
    bundle's config.json summary, yet the note said 'test metrics per seed from its run records' and
    'the same split files as here'."""
    from drugscreen.benchmarking.report import Aggregate, _provenance_notes

    bundle = Aggregate(split="scaffold", dataset="bbbp", model="panel:gine", seeds=[0, 1, 2],
                       metrics={"roc_auc": (0.76, 0.01, 3)}, train_s=None, total_s=None, predict_mol_per_s=None,
                       peak_rss_mb=None, source=str(tmp_path / "panel" / "config.json"))
    note = " ".join(_provenance_notes([], [bundle], tmp_path))
    assert "from its run records" not in note and "the same split files as here" not in note
    assert "summary" in note and "config.json" in note


def test_a_killed_cell_process_is_named_as_killed() -> None:
    """A cell process killed (kill -9, the out-of-memory killer) was reported as 'cell process exited
    with code -9'."""
    import signal

    from drugscreen.benchmarking.runner import _exit_message

    assert _exit_message(-signal.SIGKILL).startswith("cell process killed by SIGKILL (out of memory?")
    assert _exit_message(-signal.SIGTERM) == "cell process killed by SIGTERM; no record written"
    assert _exit_message(3) == "cell process exited with code 3; no record written"


def test_record_of_other_data_sizes_or_split_file_is_stale(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A registered dataset's record was reused whatever copy of the data, split fractions or split
    file the config now points at: another data_dir copy, sizes changed with a new splits_dir, or a
    deleted (to be remade) split file all kept the old figures."""
    from test_benchmark_runner import _write_tiny_data

    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.runner import run_benchmark

    _write_tiny_data(tmp_path / "data")
    body = f'datasets = ["bbbp"]\nseeds = [0]\ndata_dir = "{tmp_path / "data"}"\n[[models]]\nname = "rf"\nn_estimators = 5\n'
    cfg = _config(tmp_path, body)

    def statuses() -> list[str]:
        return [o.status for o in run_benchmark(load_config(cfg), isolate=False)]

    assert statuses() == ["done"]
    assert statuses() == ["skipped"]
    # another copy of the data (one label flipped)
    csv = tmp_path / "data" / "moleculenet" / "BBBP.csv"
    lines = csv.read_text().splitlines()
    lines[1] = lines[1][:-1] + ("0" if lines[1].endswith("1") else "1")
    csv.write_text("\n".join(lines) + "\n")
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        assert statuses() == ["done"]
    assert "data file is another copy than its record's" in caplog.text
    assert statuses() == ["skipped"]
    # the split file deleted (to be remade)
    (tmp_path / "benchmarks" / "splits" / "bbbp_scaffold_0.json").unlink()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        assert statuses() == ["done"]
    assert "split file" in caplog.text and "does not exist" in caplog.text
    # other fractions, in a split folder of their own
    cfg.write_text(body.replace("seeds = [0]", 'seeds = [0]\nsizes = [0.7, 0.15, 0.15]\nsplits_dir = "splits_70"'))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        assert statuses() == ["done"]
    assert "made with sizes [0.8, 0.1, 0.1]" in caplog.text
    assert statuses() == ["skipped"]


def test_report_machine_line_comes_from_the_records(tmp_path: Path) -> None:
    """The report said 'Machine: 2 CPU cores, no GPU, shared with other jobs' whatever machine made
    the records (each record carries host.cpus and host.gpu)."""
    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.report import build_report
    from drugscreen.benchmarking.runner import run_benchmark

    _assay(tmp_path / "assay.csv")
    cfg = _config(tmp_path, 'datasets = ["assay.csv"]\ntargets = ["logp"]\nseeds = [0]\n[[models]]\nname = "train_mean"\n')
    config = load_config(cfg)
    run_benchmark(config, isolate=False)
    rec_path = config.results_dir / "assay__train_mean__scaffold__0.json"
    rec = json.loads(rec_path.read_text())
    rec["host"] = {**rec["host"], "cpus": 16, "gpu": False}
    rec_path.write_text(json.dumps(rec))
    text = build_report(config.results_dir, tmp_path / "R.md", plots_dir=None, suite_config=None, extra_dirs=()).read_text()
    assert "Machine: 2 CPU cores" not in text
    assert "16 CPU cores usable by each cell, no GPU" in text


def test_other_fractions_are_not_reported_as_the_published_split(tmp_path: Path) -> None:
    """rf cells run with sizes = [0.7, 0.15, 0.15] were reported under 'Split: deterministic
    Bemis-Murcko scaffold split, 80/10/10, DeepChem-identical', beside (and bolded against) the
    published 80/10/10 scaffold numbers."""
    from test_benchmark_runner import _write_tiny_data

    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.report import build_report
    from drugscreen.benchmarking.runner import run_benchmark

    _write_tiny_data(tmp_path / "data")
    cfg = _config(tmp_path, f'datasets = ["bbbp"]\nseeds = [0]\nsizes = [0.7, 0.15, 0.15]\ndata_dir = "{tmp_path / "data"}"\n'
                            '[[models]]\nname = "rf"\nn_estimators = 5\n')
    config = load_config(cfg)
    assert [o.status for o in run_benchmark(config, isolate=False)] == ["done"]
    text = build_report(config.results_dir, tmp_path / "R.md", plots_dir=None, suite_config=None,
                        extra_dirs=()).read_text()
    scaffold = text.split("## Property prediction — split: scaffold\n")[1].split("\n## ")[0]
    assert "ECFP4 + random forest" not in scaffold
    other = text.split("## Property prediction — split: scaffold_70-15-15\n")[1].split("\n## ")[0]
    assert "scaffold split, 70/15/15" in other and "80/10/10, DeepChem-identical" not in other
    assert "ECFP4 + random forest" in other and "[published]" not in other
    assert other.rstrip().endswith("| yes |")  # its own split file is found


def test_table_record_counts_the_file_rows(tmp_path: Path) -> None:
    """A table with duplicate molecules: its record said rows = molecules + refused (98 for a
    100-row file with 2 duplicates) and the report '97 molecules (1 rows refused)', so the two
    merged rows were nowhere."""
    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.report import build_report
    from drugscreen.benchmarking.runner import run_benchmark

    table = _assay(tmp_path / "assay.csv", n=97)
    frame = pd.read_csv(table)
    frame = pd.concat([frame, frame.iloc[[3, 4]], pd.DataFrame({"SMILES": ["not_a_smiles"], "has_N": [1.0],
                                                                "logp": [0.5]})], ignore_index=True)
    frame.to_csv(table, index=False)
    cfg = _config(tmp_path, 'datasets = ["assay.csv"]\ntargets = ["logp"]\nseeds = [0]\n[[models]]\nname = "train_mean"\n')
    config = load_config(cfg)
    run_benchmark(config, isolate=False)
    rec = json.loads((config.results_dir / "assay__train_mean__scaffold__0.json").read_text())
    assert rec["table"]["rows"] == 100 and rec["table"]["molecules"] == 97 and rec["table"]["invalid"] == 1
    assert rec["table"]["duplicates_merged"] == 2
    text = build_report(config.results_dir, tmp_path / "R.md", plots_dir=None, suite_config=None, extra_dirs=()).read_text()
    assert "97 molecules from 100 rows (1 refused, 2 duplicates merged into their first row)" in text
