"""What a newcomer following README.md meets on the command line (found by h-doc)."""

from __future__ import annotations

import pandas as pd
import pytest
from screen_fixtures import GOOD, TINY_BUNDLE, write_smi
from typer.testing import CliRunner

from drugscreen.cli import app

pytestmark = pytest.mark.skipif(not (TINY_BUNDLE / "config.json").is_file(), reason="tiny bundle fixture missing")

runner = CliRunner()


def test_screen_top_without_report_says_it_does_nothing(tmp_path):
    """`repurpose --top 20 -o ranked.csv` keeps 20 rows; `screen --top 2 -o out.csv` only sizes
    the report's grid, so without --report it must say so rather than be ignored in silence."""
    src = write_smi(tmp_path / "hits.smi", GOOD)
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["screen", str(src), "-o", str(out), "--top", "2", "--panel", str(TINY_BUNDLE)])
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(out)) == len(GOOD)  # every row is still written
    assert "--top sets how many molecules the report shows" in res.output
    assert "without --report it changes nothing" in res.output


def test_screen_top_with_report_or_default_gives_no_such_warning(tmp_path):
    src = write_smi(tmp_path / "hits.smi", GOOD)
    res = runner.invoke(app, ["screen", str(src), "-o", str(tmp_path / "a.csv"), "--panel", str(TINY_BUNDLE)])
    assert res.exit_code == 0, res.output
    assert "--top sets" not in res.output
    res = runner.invoke(
        app,
        ["screen", str(src), "-o", str(tmp_path / "b.csv"), "--top", "2", "--report", str(tmp_path / "r.html"),
         "--panel", str(TINY_BUNDLE)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "--top sets" not in res.output
    assert (tmp_path / "r.html").is_file()
