"""`drugscreen benchmark` CLI: --only typed wrong is a usage error; a report of one's own records
never rewrites the committed RESULTS.md."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
from tiny_data import tiny_dataset
from typer.testing import CliRunner

from drugscreen.cli import app

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_only_matching_nothing_is_a_usage_error(tmp_path: Path) -> None:
    ds = tiny_dataset(64)
    pd.DataFrame({"SMILES": ds.smiles, "logp": ds.y[:, 1]}).to_csv(tmp_path / "assay.csv", index=False)
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(f'datasets = ["assay.csv"]\nseeds = [0]\nresults_dir = "{tmp_path / "runs"}"\n'
                   f'splits_dir = "{tmp_path / "splits"}"\n[[models]]\nname = "rf"\n')
    res = runner.invoke(app, ["benchmark", "--config", str(cfg), "--only", "esol/rf"])
    assert res.exit_code == 2, res.output
    assert "'--only'" in res.output
    assert not (tmp_path / "runs").exists()


def test_report_of_own_records_is_written_beside_them(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(REPO)  # the defaults are relative to the repository root
    committed = (REPO / "benchmarks" / "RESULTS.md").read_bytes()
    runs = tmp_path / "mine" / "runs"
    runs.mkdir(parents=True)
    for seed in (0, 1, 2):
        shutil.copy(REPO / "benchmarks" / "results" / "runs" / f"esol__rf__scaffold__{seed}.json", runs)
    res = runner.invoke(app, ["benchmark", "report", "--results-dir", str(runs), "--no-plots",
                              "--suite", str(tmp_path / "none.toml")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "mine" / "RESULTS.md").is_file()
    assert "ESOL" in (tmp_path / "mine" / "RESULTS.md").read_text()
    assert (REPO / "benchmarks" / "RESULTS.md").read_bytes() == committed
