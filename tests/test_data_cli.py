"""`drugscreen datasets list|info|fetch` through Typer's test runner."""

from __future__ import annotations

import json

import pytest
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


def _write_dti(root, name, drugs, targets, pairs, value_column="kd_nM"):
    """A tiny DAVIS/KIBA-layout dataset (checksums unrecorded, so the files' lines are counted)."""
    import gzip

    folder = root / "dti" / name
    folder.mkdir(parents=True)
    (folder / "drugs.csv").write_text(
        "drug_id,smiles\n" + "".join(f"d{i},C{'C' * i}O\n" for i in range(drugs))
    )
    (folder / "targets.csv").write_text(
        "target_id,sequence\n" + "".join(f"t{i},MKT{'A' * i}\n" for i in range(targets))
    )
    body = "".join(f"d{i % drugs},t{i % targets},{10 + i}\n" for i in range(pairs))
    with gzip.open(folder / "affinities.csv.gz", "wt") as fh:
        fh.write(f"drug_id,target_id,{value_column}\n" + body.rstrip("\n"))  # last line unterminated


def test_list_shows_affinity_pairs_drugs_and_targets(tmp_path):
    """DAVIS/KIBA sizes are the local files' pairs, drugs and targets; a dataset not downloaded
    shows the registry's reference counts, marked; nothing fails."""
    _write_dti(tmp_path, "davis", drugs=3, targets=4, pairs=7)
    result = runner.invoke(app, ["datasets", "list", "--data-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    davis, kiba = rows["davis"], rows["kiba"]
    assert (davis["pairs"], davis["drugs"], davis["targets"]) == (7, 3, 4)
    assert davis["rows"] == 7 and davis["counts"] == "local files" and davis["available"]
    assert (kiba["pairs"], kiba["drugs"], kiba["targets"]) == (116119, 2111, 227)
    assert kiba["counts"] == "registry" and not kiba["available"]
    assert rows["bbbp"]["drugs"] is None and rows["bbbp"]["rows"] == 2039

    table = runner.invoke(app, ["datasets", "list", "--data-dir", str(tmp_path)])
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split()[:5] == ["name", "kind", "rows", "drugs", "targets"]
    davis_line = next(line for line in lines if line.startswith("davis "))
    assert davis_line.split()[:6] == ["davis", "affinity", "7", "pairs", "3", "4"]
    kiba_line = next(line for line in lines if line.startswith("kiba "))
    assert kiba_line.split()[:6] == ["kiba", "affinity", "116,119", "pairs*", "2,111", "227"]
    assert lines[-1].startswith("* not on disk")


def test_list_survives_an_unreadable_affinity_file(tmp_path, caplog):
    _write_dti(tmp_path, "kiba", drugs=2, targets=2, pairs=3, value_column="kiba_score")
    (tmp_path / "dti" / "kiba" / "affinities.csv.gz").write_bytes(b"\x1f\x8b\x08\x00broken")
    with caplog.at_level("WARNING", logger="drugscreen.data.overview"):
        from drugscreen.data.overview import list_datasets

        kiba = next(r for r in list_datasets(tmp_path) if r["name"] == "kiba")
    assert (kiba["pairs"], kiba["drugs"], kiba["targets"]) == (None, 2, 2)
    assert "cannot count the rows" in caplog.text
    table = runner.invoke(app, ["datasets", "list", "--data-dir", str(tmp_path)])
    assert table.exit_code == 0, table.output
    assert next(line for line in table.output.splitlines() if line.startswith("kiba ")).split()[2:5] == ["-", "2", "2"]


@pytest.mark.shared_data
def test_list_counts_the_shared_affinity_copies(shared_data_dir):
    """The shared copies match their recorded checksums, so their recorded counts are shown."""
    from drugscreen.data.overview import list_datasets

    rows = {r["name"]: r for r in list_datasets(shared_data_dir)}
    assert (rows["davis"]["pairs"], rows["davis"]["drugs"], rows["davis"]["targets"]) == (28288, 68, 416)
    assert (rows["kiba"]["pairs"], rows["kiba"]["drugs"], rows["kiba"]["targets"]) == (116119, 2111, 227)
    assert rows["davis"]["counts"] == rows["kiba"]["counts"] == "local files"


def test_info_invalid_lists_the_rows_the_loader_leaves_out(tmp_path):
    """The loader's warning said '(see .invalid)', a Python attribute a command-line user never
    sees; it now names `drugscreen datasets info NAME --invalid`, which lists them."""
    (tmp_path / "moleculenet").mkdir()
    (tmp_path / "moleculenet" / "SAMPL.csv").write_text("smiles,expt\nCCO,-5.0\nC1CC,-1.0\nCCN,-4.0\n")
    result = runner.invoke(app, ["datasets", "info", "freesolv", "--invalid", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "row\tsmiles\treason" and lines[1].startswith("1\tC1CC\t") and len(lines) == 2
    assert "drugscreen datasets info freesolv --invalid" in " ".join(result.stderr.split())


def test_info_invalid_refuses_an_affinity_dataset(tmp_path):
    _write_dti(tmp_path, "davis", drugs=2, targets=2, pairs=3)
    result = runner.invoke(app, ["datasets", "info", "davis", "--invalid", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "affinity data" in " ".join(result.output.replace("│", " ").split())
