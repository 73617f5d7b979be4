"""Screening user paths: report cards show the endpoints asked for with ``--endpoints``; empty
standard input is named so; ``--device`` in any case."""

from __future__ import annotations

from screen_fixtures import TINY_BUNDLE

from drugscreen.screening.profiles import Profile
from drugscreen.screening.report import _key_columns
from drugscreen.screening.screener import Screener

PROFILE = """
[[objectives]]
endpoint = "has_N"
direction = "down"
thresholds = [0.2, 0.8]

[[objectives]]
endpoint = "qed"
direction = "up"
thresholds = [0.2, 0.7]
"""


def test_cards_show_the_endpoints_asked_for() -> None:
    """`screen --endpoints bbbp --report r.html` with the default profile showed mw, clogp and
    qed on each card and bbbp nowhere: the profile's endpoints were not output, and the cards
    showed only the profile's objectives that were."""
    profile = Profile.from_toml(PROFILE)
    asked = Screener(Screener.load(TINY_BUNDLE, profile=None).bundle, endpoints="logp", profile=profile)
    assert _key_columns(asked) == [("qed", "qed"), ("logp_Crippen", "logp_Crippen")]
    # every endpoint output: the profile's objectives alone, as before
    every = Screener(asked.bundle, profile=profile)
    assert _key_columns(every) == [("has_N", "has_N"), ("qed", "qed")]


def test_empty_standard_input_is_called_so(tmp_path) -> None:
    """The warning read "- holds no molecules"; every other message says "standard input"."""
    from typer.testing import CliRunner

    from drugscreen.cli import app

    result = CliRunner().invoke(app, ["screen", "-", "-o", str(tmp_path / "out.csv"), "--panel", str(TINY_BUNDLE)], input="")
    assert result.exit_code == 0, result.output
    assert "standard input holds no molecules" in result.output and "- holds" not in result.output


def test_screen_device_is_read_in_any_case_and_others_are_a_usage_error(tmp_path) -> None:
    """`--device CPU` was refused with exit 1 ("device 'CPU' is not supported yet")."""
    from typer.testing import CliRunner

    from drugscreen.cli import app

    smi = tmp_path / "in.smi"
    smi.write_text("CCO ethanol\n")
    ok = CliRunner().invoke(app, ["screen", str(smi), "-o", str(tmp_path / "a.csv"), "--panel", str(TINY_BUNDLE), "--device", "CPU"])
    assert ok.exit_code == 0, ok.output
    bad = CliRunner().invoke(app, ["screen", str(smi), "-o", str(tmp_path / "b.csv"), "--panel", str(TINY_BUNDLE), "--device", "gpu"])
    assert bad.exit_code == 2 and "screening runs on cpu in this version" in bad.output
    assert not (tmp_path / "b.csv").exists()
