"""Defects found by a medicinal chemist sharing results: reports and ranking profiles."""

from __future__ import annotations

import html

import pytest
from screen_fixtures import GOOD, TINY_BUNDLE, write_smi
from typer.testing import CliRunner

from drugscreen.cli import app
from drugscreen.exceptions import ConfigError
from drugscreen.screening.profiles import Profile, load_profile, profile_text

runner = CliRunner()


def test_a_folder_named_like_a_shipped_profile_does_not_hide_it(tmp_path, monkeypatch):
    """A project folder called ``cns`` in the working directory made ``--profile cns`` and
    ``profiles show cns`` fail with "cannot read profile file cns: Is a directory"."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cns").mkdir()
    assert load_profile("cns").name == "cns"
    res = runner.invoke(app, ["profiles", "show", "cns"])
    assert res.exit_code == 0, res.output
    assert 'endpoint = "bbbp"' in res.output
    assert profile_text("cns") == res.output


def test_a_profile_saved_with_a_byte_order_mark_loads(tmp_path):
    """``profiles show default > mine.toml``, edited and saved in Notepad (UTF-8 with a BOM),
    was refused as "not valid TOML: Invalid statement (at line 1, column 1)"."""
    mine = tmp_path / "mine.toml"
    mine.write_bytes(b"\xef\xbb\xbf" + profile_text("default").replace('name = "default"', 'name = "mine"').encode("utf-8"))
    assert load_profile(mine).name == "mine"
    res = runner.invoke(app, ["profiles", "show", str(mine)])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("# drugscreen ranking profile")


OBJ = "[[objectives]]\nendpoint = 'qed'\nthresholds = [0.2, 0.7]\n"


@pytest.mark.parametrize(
    ("toml", "match"),
    [
        # valid TOML that loaded and then scored every molecule 0
        ("[filters]\nmin_mw = inf\n" + OBJ, "min_mw must be a finite"),
        # loaded as "at most 1 violation"
        ("[filters]\nmax_lipinski_violations = true\n" + OBJ, "max_lipinski_violations"),
        # loaded as thresholds [0.0, 1.0] and [0.2, 0.7]
        ("[[objectives]]\nendpoint = 'qed'\nthresholds = [false, true]\n", "thresholds must be numbers"),
        ("[[objectives]]\nendpoint = 'qed'\nthresholds = ['0.2', '0.7']\n", "thresholds must be numbers"),
    ],
)
def test_profile_values_of_the_wrong_kind_are_refused(toml, match):
    with pytest.raises(ConfigError, match=match):
        Profile.from_toml(toml, source="mine.toml")


def test_an_objective_repeated_in_a_profile_is_refused():
    """A copied ``[[objectives]]`` block loaded silently: its endpoint counted twice (with the
    direction flipped, the two cancelled out and the profile still said it scored it)."""
    text = profile_text("default") + '\n[[objectives]]\nendpoint = "qed"\ndirection = "down"\nthresholds = [0.2, 0.7]\n'
    with pytest.raises(ConfigError, match=r"objective \d+ \(qed\): objective \d+ already scores 'qed'"):
        Profile.from_toml(text, source="mine.toml")


def _tiny_profile(tmp_path, name: str = "cns"):
    """A copy of a shipped profile edited for the tiny test panel, keeping its ``name``."""
    text = profile_text("cns")
    text = text.replace('endpoint = "bbbp"', 'endpoint = "has_N"').replace("tox21_*", "logp").replace('endpoint = "clintox_ct_tox"', 'endpoint = "lipinski_violations"')
    path = tmp_path / "mine.toml"
    path.write_text(text.replace('name = "cns"', f'name = "{name}"'))
    return path


def test_report_names_the_profile_file_of_an_edited_copy(tmp_path):
    """``profiles show cns > mine.toml``, edited, then ``--report``: the report's summary said
    "Profile: cns: ..." (the name kept inside the copy), passing the edited scoring off as the
    shipped profile."""
    src = write_smi(tmp_path / "a.smi", GOOD)
    mine = _tiny_profile(tmp_path)
    report = tmp_path / "r.html"
    res = runner.invoke(app, ["screen", str(src), "-o", str(tmp_path / "o.csv"), "--report", str(report),
                              "--profile", str(mine), "--panel", str(TINY_BUNDLE), "-q"])  # fmt: skip
    assert res.exit_code == 0, res.output
    page = report.read_text(encoding="utf-8")
    assert f"<td>Profile</td><td>cns (file {html.escape(str(mine))}): CNS projects" in page


def test_report_with_top_0_does_not_say_nothing_was_scored(tmp_path):
    """``--top 0`` (summary and histograms only) headed the grid "No scored molecules." while
    the summary above counted every molecule as scored."""
    src = write_smi(tmp_path / "a.smi", GOOD)
    report = tmp_path / "r.html"
    res = runner.invoke(app, ["screen", str(src), "-o", str(tmp_path / "o.csv"), "--report", str(report),
                              "--top", "0", "--profile", str(_tiny_profile(tmp_path)), "--panel", str(TINY_BUNDLE), "-q"])  # fmt: skip
    assert res.exit_code == 0, res.output
    page = report.read_text(encoding="utf-8")
    assert "No scored molecules" not in page
    assert f"None shown (--top 0); the {len(GOOD)} scored molecules are in the output" in page


def _ranked_frame():
    import pandas as pd

    return pd.DataFrame({"rank": [1], "chembl_id": ["C1"], "name": ["ethanol"], "smiles": ["CCO"], "score": [0.5],
                         "uncertainty": [0.1], "percentile": [50.0], "evidence": ["e"]})  # fmt: skip


def test_repurposing_report_says_when_it_lists_only_the_first_errors():
    """The report said "Library entries not scored (500)" and listed 200 with no word of the
    rest; every unusable ligand row was listed, so a wrong ligand file of 20,000 rows made a
    5 MB page."""
    from drugscreen.repurposing.report import render_report

    ranked = _ranked_frame()
    ranked.attrs["invalid"] = [(i, f"D{i}", "C1CC", "unclosed ring") for i in range(500)]
    ranked.attrs["ligand_errors"] = [(i, "C1CC", "unclosed ring") for i in range(5000)]
    page = render_report(ranked)
    assert "Library entries not scored (500)" in page and page.count("<li>D") == 200
    assert "The first 200 are listed; all are in the ranking table" in page
    assert "Ligand rows not used (5,000)" in page and page.count("<li>row ") == 200
    assert "The first 200 are listed (row numbers of the ligand file, 1-based)" in page


def test_a_molecule_rdkit_cannot_draw_does_not_lose_the_repurposing_report(monkeypatch):
    """A drawing error in RDKit (the screening report catches it and shows an empty box)
    escaped from the repurposing report: the ranking was done and the page was never written."""
    from rdkit.Chem.Draw import rdMolDraw2D

    from drugscreen.repurposing.report import render_report

    def fail(*args, **kwargs):
        raise RuntimeError("Pre-condition Violation")

    monkeypatch.setattr(rdMolDraw2D, "PrepareAndDrawMolecule", fail)
    page = render_report(_ranked_frame())
    assert "<b>ethanol</b>" in page and "<svg" not in page


def test_repurposing_report_that_cannot_be_written_is_one_error_and_keeps_the_old_page(tmp_path, monkeypatch):
    """A full disk while writing the repurposing report raised a bare OSError (a traceback)
    after the ranking was done, and left the earlier report of that name cut short."""
    import pathlib

    from drugscreen.exceptions import InputFormatError
    from drugscreen.repurposing.report import write_report

    path = tmp_path / "ranked.html"
    path.write_text("<p>last week's report</p>", encoding="utf-8")
    real = pathlib.Path.write_text

    def full_disk(self, data, *args, **kwargs):
        real(self, data[:100], *args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pathlib.Path, "write_text", full_disk)
    with pytest.raises(InputFormatError, match="cannot write the report .*ranked.html: No space left on device"):
        write_report(_ranked_frame(), path)
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == "<p>last week's report</p>"
    assert [p.name for p in tmp_path.iterdir()] == ["ranked.html"]


def test_report_does_not_grow_with_the_length_of_invalid_smiles(tmp_path):
    """Each invalid row's input was listed whole, and again inside RDKit's reason (which
    quotes it): 50 broken 20,000-character SMILES (a 1 MB file) gave a 2 MB report."""
    import pandas as pd

    long = "C" * 20_000 + "("
    src = write_smi(tmp_path / "a.smi", ["CCO ok"] + [f"{long} long{i}" for i in range(50)])
    report, out = tmp_path / "r.html", tmp_path / "o.csv"
    res = runner.invoke(app, ["screen", str(src), "-o", str(out), "--report", str(report),
                              "--profile", str(_tiny_profile(tmp_path)), "--panel", str(TINY_BUNDLE), "-q"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out)["smiles"].str.len().max() == len(long)  # the output keeps them whole
    page = report.read_text(encoding="utf-8")
    assert len(page) < 200_000
    assert page.count("(20,001 characters, whole in the output)") >= 50
    assert "Invalid rows (50)" in page and "long49" in page
