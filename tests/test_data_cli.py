"""`drugscreen datasets list|info|fetch` through Typer's test runner."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from drugscreen.cli import app

runner = CliRunner()


def test_list_shows_every_dataset_and_availability(tmp_path):
    (tmp_path / "moleculenet").mkdir()
    (tmp_path / "moleculenet" / "BBBP.csv").write_text("smiles,p_np\nCCO,1\n")
    result = runner.invoke(app, ["datasets", "list", "--data-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert len(rows) == 14
    assert rows["bbbp"]["available"] and not rows["tox21"]["available"]
    assert rows["approved_drugs"]["available"]  # shipped
    table = runner.invoke(app, ["datasets", "list", "--data-dir", str(tmp_path)])
    assert table.exit_code == 0 and "toxcast" in table.output and "617" in table.output


def test_info_names_url_checksum_and_tasks(tmp_path):
    result = runner.invoke(app, ["datasets", "info", "ESOL", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (
        "https://deepchemdata.s3-us-west-1.amazonaws.com/datasets/delaney-processed.csv"
        in result.output
    )
    assert "027b63880dc5936709d3f1c34a4f9eae53a1d85e6c72816ff203a00716f19844" in result.output
    assert "log10(mol/L)" in result.output
    info = json.loads(runner.invoke(app, ["datasets", "info", "davis", "--json"]).output)
    assert info["transform"].startswith("pKd")


def test_fetch_present_file_needs_no_network(tmp_path):
    (tmp_path / "moleculenet").mkdir()
    (tmp_path / "moleculenet" / "SAMPL.csv").write_text("smiles,expt\nCCO,-5.0\n")
    result = runner.invoke(app, ["datasets", "fetch", "freesolv", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "SAMPL.csv" in result.output
