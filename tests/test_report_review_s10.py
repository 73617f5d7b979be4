"""Defects found by a medicinal chemist sharing results: reports and ranking profiles."""

from __future__ import annotations

from typer.testing import CliRunner

from drugscreen.cli import app
from drugscreen.screening.profiles import load_profile, profile_text

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
