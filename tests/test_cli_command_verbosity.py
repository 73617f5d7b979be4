"""-q and -v after the command name, as after ``drugscreen``: ``drugscreen repurpose ... -q`` said
"No such option: -q" (only ``screen`` had its own), though ``drugscreen -q repurpose ...`` worked."""

from __future__ import annotations

import logging

import pytest
from typer.testing import CliRunner

from drugscreen.cli import app


@pytest.mark.parametrize("command", ["train", "repurpose", "benchmark", "screen"])
def test_every_long_running_command_takes_q_and_v(command: str) -> None:
    out = CliRunner().invoke(app, [command, "--help"], terminal_width=200)
    assert out.exit_code == 0
    assert "--quiet" in out.output and "--verbose" in out.output


def test_a_commands_q_quiets_the_log_as_the_groups_does() -> None:
    root = logging.getLogger("drugscreen")
    # a usage error after the options are read: the command's -q has set the level by then
    res = CliRunner().invoke(app, ["repurpose", "-q"])
    assert "No such option" not in res.output and res.exit_code == 2
    assert root.level == logging.WARNING
    res = CliRunner().invoke(app, ["repurpose", "-vv"])
    assert root.level == logging.DEBUG
