"""Registered dataset files in the data directory that are not the reference copy: one cut at a
line break (rows missing, no half row) and a failed `fetch --force` over a file that is there."""

from __future__ import annotations

import gzip
import logging
import shutil
import urllib.error
from pathlib import Path

import pytest
from typer.testing import CliRunner

from drugscreen.data import files, get_spec
from drugscreen.exceptions import DatasetNotAvailableError


def _esol_rows(n: int) -> str:
    header = "Compound ID,ESOL predicted log solubility in mols per litre,Minimum Degree,Molecular Weight," \
             "Number of H-Bond Donors,Number of Rings,Number of Rotatable Bonds,Polar Surface Area," \
             "measured log solubility in mols per litre,smiles\n"
    return header + "".join(f"m{i},-1,1,46,1,0,0,20,{-i / 100:.2f},C{'C' * (i % 11)}O\n" for i in range(n))


def test_a_copy_with_rows_missing_is_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A copy of ESOL cut at a line break (500 of 1,128 rows) trained and benchmarked as "esol"
    without a word; `datasets fetch esol` said it was there."""
    spec = get_spec("esol")
    path = tmp_path / spec.files[0].path
    path.parent.mkdir(parents=True)
    path.write_text(_esol_rows(500))
    with caplog.at_level(logging.WARNING, logger="drugscreen.data.files"):
        files.ensure_files(spec, tmp_path)
    assert "has 500 data rows where esol's reference copy has 1,128" in caplog.text
    assert "datasets fetch esol --force" in caplog.text
    caplog.clear()
    path.write_text(_esol_rows(1120))  # another copy of about the reference's size: used as it is
    with caplog.at_level(logging.WARNING, logger="drugscreen.data.files"):
        files.ensure_files(spec, tmp_path)
    assert caplog.text == ""


def test_deepdta_upstream_sizes_are_not_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A DAVIS converted from DeepDTA's files has 442 targets where the shared copy has 416."""
    spec = get_spec("davis")
    drugs, targets, pairs = files.DEEPDTA_COUNTS["davis"]
    folder = tmp_path / "dti" / "davis"
    folder.mkdir(parents=True)
    (folder / "drugs.csv").write_text("drug_id,smiles\n" + "".join(f"d{i},C\n" for i in range(drugs)))
    (folder / "targets.csv").write_text("target_id,sequence\n" + "".join(f"t{i},MKV\n" for i in range(targets)))
    body = "drug_id,target_id,kd_nM\n" + "".join(f"d{i % drugs},t{i % targets},10000\n" for i in range(pairs))
    (folder / "affinities.csv.gz").write_bytes(gzip.compress(body.encode()))
    with caplog.at_level(logging.WARNING, logger="drugscreen.data.files"):
        files.ensure_files(spec, tmp_path)
    assert caplog.text == ""
    (folder / "targets.csv").write_text("target_id,sequence\n" + "".join(f"t{i},MKV\n" for i in range(300)))
    with caplog.at_level(logging.WARNING, logger="drugscreen.data.files"):
        files.ensure_files(spec, tmp_path)
    assert "targets.csv has 300 data rows where davis's reference copy has 416" in caplog.text


def test_fetch_force_offline_keeps_the_file_and_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`datasets fetch esol --force` offline said the file "is not at ..." while it was there."""
    from drugscreen.cli import app

    def offline(url, timeout=None):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(files, "urlopen", offline)
    spec = get_spec("esol")
    path = tmp_path / spec.files[0].path
    path.parent.mkdir(parents=True)
    path.write_text(_esol_rows(1128))
    before = path.read_bytes()
    with pytest.raises(DatasetNotAvailableError, match=r"could not be downloaded again from .*; the copy at .* was kept"):
        files.fetch_dataset("esol", tmp_path, force=True)
    assert path.read_bytes() == before
    result = CliRunner().invoke(app, ["datasets", "fetch", "esol", "--force", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "is not at" not in str(result.exception) and "was kept" in str(result.exception)
    shutil.rmtree(path.parent)  # and with no file there, the message says what to do as before
    with pytest.raises(DatasetNotAvailableError, match=r"is not at .* put the file there"):
        files.fetch_dataset("esol", tmp_path, force=True)
