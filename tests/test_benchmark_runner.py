"""The benchmark runner end to end on tiny datasets written here (seconds, no shared data).

Two registered datasets are faked in a temporary data directory (``BBBP.csv`` and
``delaney-processed.csv`` with the real column names and ~60 molecules each); the runner then
makes split files, fits the ECFP4 random forest, writes run records, skips done cells,
re-runs with ``force``, and the report renders them beside the published anchors.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

SCAFFOLDS = ["c1ccccc1{}", "c1ccncc1{}", "C1CCCCC1{}", "c1ccc2ccccc2c1{}", "C1CCNCC1{}", "c1ccoc1{}", "c1ccsc1{}", "O=C1CCCN1{}"]
SUBST = ["C", "CC", "CCC", "O", "N", "Cl", "F", "C(=O)O"]


def _write_tiny_data(root: Path) -> None:
    from rdkit import Chem
    from rdkit.Chem import Crippen

    smiles = [s.format(r) for s in SCAFFOLDS for r in SUBST]  # 64 molecules, 8 scaffolds
    mn = root / "moleculenet"
    mn.mkdir(parents=True)
    # a label that varies within every scaffold, so each scaffold-split part holds both classes
    # (a validation part of one class cannot select an epoch and is refused)
    has_n = [int(r in ("O", "N", "C(=O)O")) for _ in SCAFFOLDS for r in SUBST]
    (mn / "BBBP.csv").write_text("smiles,p_np\n" + "".join(f"{s},{y}\n" for s, y in zip(smiles, has_n, strict=True)))
    logp = [Crippen.MolLogP(Chem.MolFromSmiles(s)) for s in smiles]
    (mn / "delaney-processed.csv").write_text(
        "smiles,measured log solubility in mols per litre\n" + "".join(f"{s},{v:.4f}\n" for s, v in zip(smiles, logp, strict=True))
    )


@pytest.fixture()
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary project: tiny data, a config, results and split folders."""
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path / "cache"))
    _write_tiny_data(tmp_path / "data")
    cfg = tmp_path / "benchmarks" / "configs" / "t.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text(
        'name = "t"\ndatasets = ["bbbp", "esol"]\nseeds = [0, 1]\n'
        f'data_dir = "{tmp_path / "data"}"\n'
        '[[models]]\nname = "rf"\nn_estimators = 10\n'
    )
    monkeypatch.chdir(tmp_path)
    return cfg


def test_runner_end_to_end(bench: Path) -> None:
    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.runner import run_benchmark
    from drugscreen.benchmarking.splitfiles import file_sha256

    config = load_config(bench)
    root = bench.parents[2]
    assert config.results_dir == root / "benchmarks" / "results" / "runs"
    outcomes = run_benchmark(config, isolate=False)
    assert [o.status for o in outcomes] == ["done"] * 4
    recs = {p.name: json.loads(p.read_text()) for p in sorted(config.results_dir.glob("*.json"))}
    assert sorted(recs) == [
        "bbbp__rf__scaffold__0.json", "bbbp__rf__scaffold__1.json",
        "esol__rf__scaffold__0.json", "esol__rf__scaffold__1.json",
    ]
    split_file = root / "benchmarks" / "splits" / "bbbp_scaffold_0.json"
    assert split_file.exists()
    r = recs["bbbp__rf__scaffold__0.json"]
    assert r["schema"] == "drugscreen.run/1"
    assert (r["dataset"], r["model"], r["split"], r["seed"]) == ("bbbp", "rf", "scaffold", 0)
    assert r["split_sha256"] == file_sha256(split_file)
    assert sum(r["sizes"].values()) == 64
    test = r["metrics"]["test"]
    assert 0.0 <= test["roc_auc"] <= 1.0 and 0.0 <= test["prc_auc"] <= 1.0
    assert set(r["times"]) >= {"train_s", "predict_s", "total_s", "cpu_s"} and r["peak_rss_mb"] > 0
    assert 0 < r["times"]["cpu_s"]
    assert r["command"].endswith("--only bbbp/rf/0/scaffold --force")
    e = recs["esol__rf__scaffold__1.json"]["metrics"]["test"]
    assert e["rmse"] >= e["mae"] > 0
    # the scaffold split is deterministic: seed 1 uses identical indices
    assert recs["bbbp__rf__scaffold__1.json"]["split_sha256"] == r["split_sha256"]

    # done cells are skipped; --force re-runs exactly the selected one and reproduces it (same seed)
    again = run_benchmark(config, isolate=False)
    assert {o.status for o in again} == {"skipped"}
    forced = run_benchmark(config, isolate=False, force=True, only="bbbp/rf/0")
    assert [(o.cell.key, o.status) for o in forced] == [("bbbp/rf/scaffold/0", "done")]
    r2 = json.loads((config.results_dir / "bbbp__rf__scaffold__0.json").read_text())
    assert r2["metrics"]["test"]["roc_auc"] == pytest.approx(test["roc_auc"])


def test_report_renders_runs_and_anchors(bench: Path) -> None:
    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.report import build_report
    from drugscreen.benchmarking.runner import run_benchmark

    config = load_config(bench)
    run_benchmark(config, isolate=False)
    out = build_report(config.results_dir, bench.parents[1] / "RESULTS.md", plots_dir=None, suite_config=bench)
    text = out.read_text()
    assert "split: scaffold" in text
    assert "ECFP4 + random forest (baseline, run here)" in text
    assert "(n=2)" in text  # two seeds aggregated
    assert "Uni-Mol [published]" in text and "GEM" in text and "OGB ogbg-molhiv" in text
    assert "DeepDTA [published]" in text
    assert "0.580 (random)" in text  # MoleculeNet's random-split ESOL value is labelled, never bolded
    assert "**0.580" not in text
    assert "measured: 4 cells" in text


def test_cli_benchmark_and_report(bench: Path) -> None:
    from typer.testing import CliRunner

    from drugscreen.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["benchmark", "--config", str(bench), "--only", "esol/rf/0", "--in-process"])
    assert res.exit_code == 0, res.output
    assert "done" in res.output and "esol/rf/scaffold/0" in res.output
    res = runner.invoke(app, ["benchmark", "--config", str(bench), "--only", "nosuch"])
    assert res.exit_code == 2 and "'--only'" in res.output  # a pattern typed on the command line: a usage error
    res = runner.invoke(app, ["benchmark", "report", "--results-dir", "benchmarks/results/runs",
                              "--output", "benchmarks/RESULTS.md", "--no-plots", "--suite", str(bench)])
    assert res.exit_code == 0, res.output
    assert Path("benchmarks/RESULTS.md").read_text().count("ESOL") >= 2


def test_metrics_follow_moleculenet_convention() -> None:
    from drugscreen.benchmarking.metrics import evaluate

    y = np.array([[1, 0, np.nan], [0, 0, 1], [1, np.nan, 1], [0, 0, 1]], dtype=float)
    p = np.array([[0.9, 0.1, 0.5], [0.2, 0.3, 0.6], [0.8, 0.5, 0.7], [0.4, 0.2, 0.9]])
    m = evaluate(y, p, "classification", ["a", "b", "c"])
    # task b has one class, task c one class: only task a is scored
    assert m["n_tasks_scored"] == 1 and m["skipped_tasks"] == ["b", "c"]
    assert m["roc_auc"] == pytest.approx(1.0)
    r = evaluate(np.array([[1.0], [2.0], [np.nan]]), np.array([[1.5], [2.0], [9.0]]), "regression", ["x"])
    assert r["rmse"] == pytest.approx(np.sqrt(0.125)) and r["mae"] == pytest.approx(0.25)


def test_rf_sparse_multitask_uses_labelled_molecules_only() -> None:
    from drugscreen.benchmarking.baselines import fit_predict_rf

    smiles = [s.format(r) for s in SCAFFOLDS for r in SUBST]
    n = len(smiles)
    y = np.zeros((n, 2))
    y[:, 0] = [int("n" in s.lower()) for s in smiles]
    y[:, 1] = [int("O" in s) for s in smiles]
    y[::3, 1] = np.nan  # sparse second task
    y[:40, 0] = 1.0  # ... and a first task with one class in training
    idx = np.arange(n)
    res = fit_predict_rf(smiles, y, "classification", idx[:40], idx[40:50], idx[50:], seed=0, params={"n_estimators": 5})
    assert res.test.shape == (n - 50, 2) and np.isfinite(res.test).all()
    assert res.params["mode"].startswith("one forest per task")
    assert any("one class" in note for note in res.notes)
    assert np.allclose(res.test[:, 0], 1.0)  # base rate of a one-class task


def test_config_errors(tmp_path: Path) -> None:
    from drugscreen.benchmarking.config import load_config, parse_only
    from drugscreen.exceptions import ConfigError

    bad = tmp_path / "bad.toml"
    bad.write_text('datasets = ["bbbp"]\nsplits = ["sideways"]\n[[models]]\nname = "rf"\n')
    with pytest.raises(ConfigError, match="unknown split kind"):
        load_config(bad)
    bad.write_text('datasets = ["bbbp"]\nmodels = []\n')
    with pytest.raises(ConfigError, match="non-empty 'models'"):
        load_config(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")
    assert parse_only("bbbp/*/2") == ("bbbp", None, 2, None)
    with pytest.raises(ConfigError):
        parse_only("bbbp/rf/x")


def test_train_mean_reference_and_per_dataset_overrides() -> None:
    from drugscreen.benchmarking.adapters import model_params_for
    from drugscreen.benchmarking.baselines import fit_predict_train_mean
    from drugscreen.benchmarking.config import ModelSpec

    y = np.array([[1.0], [3.0], [np.nan], [10.0]])
    res = fit_predict_train_mean(y, np.array([0, 1, 2]), np.array([3]), np.array([3]))
    assert res.test.tolist() == [[2.0]]  # NaN labels ignored
    spec = ModelSpec("rf", {"n_estimators": 200, "per_dataset": {"toxcast": {"n_estimators": 100}}})
    assert model_params_for(spec, "toxcast") == {"n_estimators": 100}
    assert model_params_for(spec, "bbbp") == {"n_estimators": 200}


def test_report_reads_panel_records_and_cites_their_command(bench: Path) -> None:
    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.report import build_report
    from drugscreen.benchmarking.runner import run_benchmark

    config = load_config(bench)
    run_benchmark(config, isolate=False, only="bbbp/rf/0")
    split_sha = json.loads((config.results_dir / "bbbp__rf__scaffold__0.json").read_text())["split_sha256"]
    runs = Path("benchmarks/results/panel")  # where the shipped panel's records are published
    runs.mkdir(parents=True)
    for seed, auc in ((0, 0.70), (1, 0.74)):
        (runs / f"bbbp_gine_scaffold_seed{seed}.json").write_text(json.dumps({
            "schema": "drugscreen.run/1", "dataset": "bbbp", "model": "gine", "split": "scaffold", "seed": seed,
            "config": {"name": "panel"}, "split_sha256": split_sha, "trained_with": ["bbbp", "esol"],
            "metrics": {"valid": {"roc_auc": 0.8}, "test": {"roc_auc": auc}}, "times": {"train_s": 10.0}}))
    (bench.parent / "panel.toml").write_text('# command = "drugscreen train --config benchmarks/configs/panel.toml -o out"\n')
    text = build_report(config.results_dir, Path("benchmarks/RESULTS.md"), plots_dir=None, suite_config=bench).read_text()
    assert "drugscreen panel, multitask gine (run here)" in text
    assert "0.720 ± 0.028 (n=2)" in text
    assert "`drugscreen train --config benchmarks/configs/panel.toml -o out`" in text
    # the summary picks the panel as our model for BBBP on validation (0.8), beside the RF of the same split
    row = next(line for line in text.splitlines() if line.startswith("| BBBP | ROC-AUC"))
    assert "| panel:gine (0.800) | 0.720 ± 0.028 (n=2) |" in row and "(n=1)" in row
    # the suite time counts the panel's member times (10 s per seed): 0.2-0.3 min
    assert "training time per seed (sum of epoch times, `times.train_s`) 0.2, 0.2 min, so 0.3 min" in text


def test_model_restricted_to_some_datasets(tmp_path: Path) -> None:
    from drugscreen.benchmarking.config import load_config
    from drugscreen.exceptions import ConfigError

    cfg = tmp_path / "r.toml"
    cfg.write_text('datasets = ["bbbp", "esol"]\nseeds = [0]\n[[models]]\nname = "rf"\n'
                   '[[models]]\nname = "g"\nmodel = "gine"\ndatasets = ["esol"]\n')
    config = load_config(cfg)
    assert [(c.dataset, c.model.name) for c in config.cells()] == [("bbbp", "rf"), ("esol", "rf"), ("esol", "g")]
    assert config.models[1].params == {"model": "gine"} and config.models[1].to_dict()["datasets"] == ["esol"]
    cfg.write_text('datasets = ["bbbp"]\n[[models]]\nname = "rf"\ndatasets = ["hiv"]\n')
    with pytest.raises(ConfigError, match="not in the config's datasets"):
        load_config(cfg)


def test_runner_trains_a_gnn_cell(bench: Path) -> None:
    """A library-trained cell (the panel's GINE + ECFP4 architecture, one epoch) goes through the
    same runner: same split file, a record with the re-run command and test metrics."""
    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.runner import run_benchmark
    from drugscreen.benchmarking.splitfiles import file_sha256

    bench.write_text(bench.read_text() + (
        '[[models]]\nname = "gine_ecfp"\nmodel = "gine"\ndatasets = ["esol"]\nextra_features = "ecfp"\n'
        'epochs = 1\nbatch_size = 32\ncalibration = "none"\nmodel_params = { hidden = 16, depth = 2 }\n'))
    config = load_config(bench)
    outcomes = run_benchmark(config, isolate=False, only="esol/gine_ecfp/0")
    assert [(o.cell.key, o.status) for o in outcomes] == [("esol/gine_ecfp/scaffold/0", "done")]
    rec = json.loads((config.results_dir / "esol__gine_ecfp__scaffold__0.json").read_text())
    assert rec["model"] == "gine_ecfp" and rec["config"]["model"] == "gine"
    assert rec["config"]["extra_features"] == "ecfp"
    assert rec["split_sha256"] == file_sha256(Path("benchmarks/splits/esol_scaffold_0.json"))
    assert not any("differs" in n for n in rec["notes"])
    assert rec["metrics"]["test"]["rmse"] > 0 and rec["command"].endswith("--only esol/gine_ecfp/0/scaffold --force")


def test_runner_trains_the_fingerprint_mlp_baseline(bench: Path) -> None:
    """The ECFP4 + MLP baseline (``fp_mlp``, the library trainer on the fingerprint only) runs
    through the runner and is reported as a baseline beside the random forest, never as ours."""
    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.report import build_report
    from drugscreen.benchmarking.runner import run_benchmark

    bench.write_text(bench.read_text() + (
        '[[models]]\nname = "fp_mlp"\nextra_features = "ecfp"\nepochs = 2\nbatch_size = 32\n'
        'calibration = "none"\nmodel_params = { hidden = 32, head_hidden = 16 }\n'))
    config = load_config(bench)
    outcomes = run_benchmark(config, isolate=False, only="bbbp/*/0")
    assert [(o.cell.key, o.status) for o in outcomes] == [("bbbp/rf/scaffold/0", "done"), ("bbbp/fp_mlp/scaffold/0", "done")]
    rec = json.loads((config.results_dir / "bbbp__fp_mlp__scaffold__0.json").read_text())
    assert rec["model"] == "fp_mlp" and rec["config"]["model"] == "fp_mlp" and rec["config"]["extra_features"] == "ecfp"
    assert rec["split_sha256"] == json.loads((config.results_dir / "bbbp__rf__scaffold__0.json").read_text())["split_sha256"]
    assert 0.0 <= rec["metrics"]["test"]["roc_auc"] <= 1.0 and rec["command"].endswith("--only bbbp/fp_mlp/0/scaffold --force")

    text = build_report(config.results_dir, Path("benchmarks/RESULTS.md"), plots_dir=None, suite_config=bench).read_text()
    rows = [line.split(" |")[0] for line in text.splitlines() if line.startswith("| ECFP4 + ")]
    # in the classification table the MLP row directly follows the RF row
    assert rows[:2] == ["| ECFP4 + random forest (baseline, run here)", "| ECFP4 + MLP (baseline, run here)"]
    summary = next(line for line in text.splitlines() if line.startswith("| BBBP | ROC-AUC"))
    assert summary.split(" | ")[2] == "—"  # the baselines are not candidates for "ours"
    assert summary.count("(n=1)") == 2  # RF and MLP test columns
    assert "fp_mlp on 2 dataset(s)" in text


def test_report_shows_both_chemprop_runs_as_peers(bench: Path) -> None:
    """chemprop's records (on the standardized SMILES and on the SMILES as written) are rows of
    their own after the baselines, and never chosen as our model even with the best validation score."""
    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.report import build_report
    from drugscreen.benchmarking.runner import run_benchmark

    config = load_config(bench)
    run_benchmark(config, isolate=False, only="bbbp/rf/0")
    rf = json.loads((config.results_dir / "bbbp__rf__scaffold__0.json").read_text())
    for model, auc in (("chemprop_dmpnn_as_written", 0.91), ("chemprop_dmpnn", 0.55)):
        (config.results_dir / f"bbbp__{model}__scaffold__0.json").write_text(json.dumps({
            "schema": "drugscreen.run/1", "dataset": "bbbp", "model": model, "split": "scaffold", "seed": 0,
            "config": {"peer": "chemprop"}, "split_sha256": rf["split_sha256"],
            "metrics": {"valid": {"roc_auc": 0.99}, "test": {"roc_auc": auc}}, "times": {"train_s": 1.0}}))
    text = build_report(config.results_dir, Path("benchmarks/RESULTS.md"), plots_dir=None, suite_config=bench).read_text()
    labels = [line.split(" |")[0] for line in text.splitlines() if line.startswith("| chemprop 2.3.1")]
    assert labels[:2] == ["| chemprop 2.3.1 D-MPNN (peer, run here)",
                          "| chemprop 2.3.1 D-MPNN, SMILES as written in the file (peer, run here)"]
    summary = next(line for line in text.splitlines() if line.startswith("| BBBP | ROC-AUC"))
    cells = summary.split(" | ")
    assert cells[2] == "—"  # neither peer run is "ours"
    assert cells[-2] == "0.550 (n=1)"  # the summary's chemprop column is the run on the standardized SMILES
