"""`--help` text: a command's description reads as paragraphs at any terminal width."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from drugscreen.cli import app

runner = CliRunner()


@pytest.mark.parametrize(("args", "sentence"), [
    (["screen", "--help"], "in input order, with its input columns, predictions (probabilities 0-1;"),
    (["train", "--help"], "(no screening bundle); with a random-type split and several seeds"),
])
def test_docstring_paragraphs_are_not_cut_where_the_source_line_ends(args: list[str], sentence: str) -> None:
    """Rich kept the line breaks of a docstring's second paragraph, so at 80 columns each source
    line broke early ("...with its input columns," then "predictions ..." on a line of its own);
    on a wide terminal the sentence now stays on one line."""
    result = runner.invoke(app, args, terminal_width=300, env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert any(sentence in line for line in result.output.splitlines())


@pytest.mark.parametrize(("args", "flag", "option"), [
    (["--help"], "--quiet", "--log-file"),
    (["screen", "--help"], "--resume", "--top"),
    (["train", "--help"], "--overwrite", "--epochs"),
])
def test_flags_show_no_value_type_but_options_do(args: list[str], flag: str, option: str) -> None:
    """Typer 0.29 printed `--resume <bool>`, which reads as if the flag took a value
    (`--resume true` then fails); a flag's row names no type, an option's row still does."""
    result = runner.invoke(app, args, terminal_width=200, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = {line.split()[1]: line for line in result.output.splitlines()
            if line.startswith("│") and line.split()[1].startswith("--")}
    assert "<" not in rows[flag], rows[flag]
    assert "<bool>" not in result.output
    assert "<" in rows[option], rows[option]
