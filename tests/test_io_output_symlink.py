"""An output given as a symbolic link (``-o latest.csv`` pointing at ``runs/2026-12/scored.csv``,
a common way to keep "the current results" in one place) is written through the link, as the
shell's ``>`` writes it. Before, the finished output was renamed over the link itself: the link
became a regular file and the file it pointed to kept the old results."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from screen_fixtures import TINY_BUNDLE

from drugscreen.exceptions import InputFormatError
from drugscreen.io import TableWriter, check_writable
from drugscreen.screening.run import run_screen


def _link(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "runs").mkdir()
    real = tmp_path / "runs" / "scored.csv"
    real.write_text("old\n")
    link = tmp_path / "latest.csv"
    link.symlink_to(Path("runs") / "scored.csv")  # relative, as `ln -s` is usually given
    return real, link


def test_a_table_written_to_a_symlink_goes_to_the_file_it_points_to(tmp_path: Path) -> None:
    real, link = _link(tmp_path)
    os.chmod(real, 0o664)
    with TableWriter(link) as w:
        w.write(pd.DataFrame({"smiles_std": ["CCO"], "score": [0.5]}))
    assert link.is_symlink() and os.readlink(link) == str(Path("runs") / "scored.csv")
    assert real.read_text().splitlines() == ["smiles_std,score", "CCO,0.5"]
    assert real.stat().st_mode & 0o777 == 0o664
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.csv", "runs"]  # no temporary left
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["scored.csv"]


def test_a_dangling_symlink_is_written_as_its_target(tmp_path: Path) -> None:
    link = tmp_path / "new.csv"
    link.symlink_to(tmp_path / "made.csv")
    with TableWriter(link) as w:
        w.write(pd.DataFrame({"smiles_std": ["CCO"]}))
    assert link.is_symlink() and (tmp_path / "made.csv").read_text() == "smiles_std\nCCO\n"


def test_a_symlink_into_a_place_that_cannot_hold_the_file_is_refused_up_front(tmp_path: Path) -> None:
    # the link's own folder can be written in, the folder of the file it points to cannot be
    # made (a file stands where it would go): refused before any work, naming the link
    (tmp_path / "runs").write_text("a file, not a folder\n")
    link = tmp_path / "latest.csv"
    link.symlink_to(tmp_path / "runs" / "scored.csv")
    with pytest.raises(InputFormatError, match=r"cannot write .*latest\.csv: .*runs is not a folder"):
        check_writable(link)


def test_screening_to_a_symlinked_output_keeps_the_link(tmp_path: Path) -> None:
    if not (TINY_BUNDLE / "config.json").is_file():
        pytest.skip("tiny bundle fixture missing")
    real, link = _link(tmp_path)
    src = tmp_path / "in.smi"
    src.write_text("CCO a\nc1ccccc1O b\n")
    report_real = tmp_path / "runs" / "report.html"
    report_real.write_text("old")
    report_link = tmp_path / "report.html"
    report_link.symlink_to(report_real)
    summary = run_screen(src, link, panel=TINY_BUNDLE, jobs=1, report=report_link)
    assert summary.rows == 2
    assert link.is_symlink() and report_link.is_symlink()
    assert pd.read_csv(real)["id"].tolist() == ["a", "b"]
    assert report_real.read_text().startswith("<!DOCTYPE html>")


def test_the_input_behind_a_symlinked_output_is_still_refused(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("smiles\nCCO\n")
    link = tmp_path / "out.csv"
    link.symlink_to(src)
    with pytest.raises(InputFormatError, match="over the input"):
        TableWriter(link, input_path=src)


def test_a_repurposing_report_written_to_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    from drugscreen.repurposing.report import write_report

    real, link = _link(tmp_path)
    ranked = pd.DataFrame({"rank": [1], "chembl_id": ["CHEMBL25"], "name": ["ASPIRIN"],
                           "smiles": ["CC(=O)Oc1ccccc1C(=O)O"], "score": [0.9], "uncertainty": [0.01],
                           "percentile": [100.0], "evidence": [""], "error": [""]})  # fmt: skip
    write_report(ranked, link)
    assert link.is_symlink() and "ASPIRIN" in real.read_text()
