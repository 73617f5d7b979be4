"""A new user's review of the command line (s11): exit codes, misspelt names, log file, defaults."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from drugscreen.cli import app
from drugscreen.exceptions import ConfigError

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "flag", "hint"),
    [
        (["--split", "scafold"], "'--split'", "did you mean 'scaffold'?"),
        (["--extra-features", "ecpf"], "'--extra-features'", "did you mean 'ecfp'?"),
        (["--dataset", "x.csv", "--task-type", "regresion"], "'--task-type'", "did you mean 'regression'?"),
        (["--dataset", "bbbpp"], "'--dataset'", "did you mean 'bbbp'?"),
        (["--dataset", "bbbp,toxx21"], "'--dataset'", "did you mean 'tox21'?"),
    ],
)
def test_train_misspelt_flag_value_is_a_usage_error(args: list[str], flag: str, hint: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # `--split scafold` exited 1 ("Error: split must be one of ...") while `--model dmpn` exited 2
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.csv").write_text("smiles,y\nCCO,1.5\nCCN,2.5\n")
    res = runner.invoke(app, ["train", *args, "-o", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.replace("│", " ").split())
    assert f"Invalid value for {flag}" in text and hint in text
    assert not (tmp_path / "o").exists()


def test_train_misspelt_value_in_the_config_file_stays_a_data_error(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('dataset = "bbbp"\nsplit = "scafold"\n')
    res = runner.invoke(app, ["train", "--config", str(cfg), "-o", str(tmp_path / "o")])
    assert res.exit_code == 1 and isinstance(res.exception, ConfigError)  # main() prints one Error: line
    assert "did you mean 'scaffold'?" in str(res.exception)
    # the flag wins over the file: the file's misspelling is then harmless, the flag's is a usage error
    res = runner.invoke(app, ["train", "--config", str(cfg), "--split", "rnadom", "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and "random" in res.output


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["datasets", "info", "bbbpp"], "did you mean 'bbbp'?"),
        (["datasets", "fetch", "tox21", "bbbpp"], "did you mean 'bbbp'?"),
        (["models", "info", "pannel"], "did you mean 'panel'?"),
    ],
)
def test_misspelt_name_argument_is_a_usage_error(args: list[str], hint: str, tmp_path: Path) -> None:
    # exited 1 ("Error: unknown dataset ...") while `screen --panel pannel` and `profiles show cnss` exit 2
    res = runner.invoke(app, [*args, *(["--data-dir", str(tmp_path)] if args[0] == "datasets" else [])])
    assert res.exit_code == 2, res.output
    assert hint in " ".join(res.output.replace("│", " ").split())
    assert list(tmp_path.iterdir()) == []  # nothing fetched for the good name either


@pytest.mark.parametrize("where", ["missing/folder/log.txt", "."])
def test_unwritable_log_file_is_one_usage_error(where: str, tmp_path: Path) -> None:
    # `--log-file /no/such/dir/log.txt` (or a folder) ended in a rich traceback of logging.FileHandler
    res = runner.invoke(app, ["--log-file", str(tmp_path / where), "profiles", "list"])
    assert res.exit_code == 2, res.output
    assert "Invalid value for '--log-file'" in res.output and "Traceback" not in res.output


def test_log_file_is_kept_when_the_command_has_its_own_quiet(tmp_path: Path) -> None:
    # `drugscreen --log-file run.log screen ... -q` reconfigured logging for -q and dropped the file
    from screen_fixtures import TINY_BUNDLE

    from drugscreen.cli import configure_logging

    src = tmp_path / "empty.smi"
    src.write_text("")
    log = tmp_path / "run.log"
    try:
        res = runner.invoke(app, ["--log-file", str(log), "screen", str(src), "-o", str(tmp_path / "o.csv"), "-q",
                                  "--panel", str(TINY_BUNDLE)])
        assert res.exit_code == 0, res.output
        assert "holds no molecules" in log.read_text()
    finally:
        configure_logging()  # close the file handler


def test_benchmark_report_refuses_a_results_dir_without_records(tmp_path: Path) -> None:
    # a misspelt --results-dir (or the default, run outside the repository) wrote an empty RESULTS.md over the old one
    out = tmp_path / "RESULTS.md"
    out.write_text("the previous report\n")
    empty = tmp_path / "runs"
    empty.mkdir()
    for results_dir in (tmp_path / "runz", empty):
        res = runner.invoke(app, ["benchmark", "report", "--results-dir", str(results_dir), "-o", str(out), "--no-plots",
                                  "--suite", str(tmp_path / "none.toml")])
        assert res.exit_code == 2 and "'--results-dir'" in res.output, res.output
    assert out.read_text() == "the previous report\n"


def test_output_that_is_a_folder_is_named_as_one(tmp_path: Path) -> None:
    # `screen hits.smi -o results` (a folder) said "unknown file type (no suffix)"
    from screen_fixtures import TINY_BUNDLE

    src = tmp_path / "hits.smi"
    src.write_text("CCO ethanol\n")
    (tmp_path / "results").mkdir()
    res = runner.invoke(app, ["screen", str(src), "-o", str(tmp_path / "results"), "-q", "--panel", str(TINY_BUNDLE)])
    assert res.exit_code == 1  # a file error, as an unknown suffix is; main() prints it as one Error: line
    assert "it is a folder" in str(res.exception) and str(tmp_path / "results" / "hits_scored.csv") in str(res.exception)
    assert list((tmp_path / "results").iterdir()) == []


def test_train_help_states_the_defaults_train_uses() -> None:
    # `train --help` named no default for --dataset, --model or --extra-features: `drugscreen train -o runs/x`
    # silently trained dmpnn on bbbp for minutes
    from drugscreen.training.config import TrainConfig

    d = TrainConfig()
    text = " ".join(runner.invoke(app, ["train", "--help"], terminal_width=200).output.replace("│", " ").split())
    expected = [f"default {d.dataset[0]}", f"{d.model} (default)", f"{d.split} (default)", f"default {d.extra_features} (ecfp for fp_mlp",
                f"(default {d.seeds[0]})", f"(default {d.ensemble})", f"(default {d.epochs})", f"(default {d.batch_size})",
                f"{d.device} (default)", f"(default {d.num_threads})"]
    missing = [e for e in expected if e not in text]
    assert not missing, missing
    lr = re.search(r"Peak learning rate \(default ([0-9.e-]+)\)", text)
    assert lr and float(lr.group(1)) == d.lr


def test_quiet_train_prints_only_its_results(tmp_path: Path) -> None:
    # `drugscreen -q train ...` still printed "Wrote ... no screening bundle ..." on stderr
    table = tmp_path / "t.csv"
    rings = ["c1ccccc1", "C1CCCCC1", "c1ccncc1", "C1CCNCC1", "c1ccoc1", "C1CCOC1", "c1ccsc1", "C1CC1", "C1CCC1", "c1cnccn1"]
    rows = [f"{ring}{'C' * (i // 10 + 1)}{'ON'[i % 2]},{i / 10:.1f}" for i, ring in enumerate(rings * 4)]
    table.write_text("smiles,y\n" + "\n".join(rows) + "\n")
    args = ["train", "--dataset", str(table), "--model", "rf", "-o", str(tmp_path / "o")]
    loud = runner.invoke(app, args)
    assert loud.exit_code == 0, loud.output
    assert "Wrote " in loud.stderr
    quiet = runner.invoke(app, ["-q", *args, "--overwrite"])
    assert quiet.exit_code == 0, quiet.output
    assert "Wrote " not in quiet.stderr and "t: test rmse" in quiet.stdout


def test_ctrl_c_in_any_command_says_interrupted_and_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    # Ctrl-C in train, repurpose or datasets fetch exited 130 with only a blank line on stderr
    import drugscreen.screening.profiles as profiles

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(profiles, "available_profiles", interrupted)
    res = runner.invoke(app, ["profiles", "list"])
    assert res.exit_code == 130 and "Interrupted." in res.stderr


def test_repurpose_table_says_when_it_shows_only_the_first_25(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # without -o or --top, stdout showed 25 of 1,698 drugs and said nothing about the rest
    import pandas as pd

    import drugscreen.repurposing.repurposer as rep

    ranked = pd.DataFrame({"rank": range(1, 31), "chembl_id": [f"C{i}" for i in range(30)], "name": [f"d{i}" for i in range(30)],
                           "score": [1 - i / 100 for i in range(30)]})
    monkeypatch.setattr(rep, "repurpose", lambda **kwargs: ranked)
    lig = tmp_path / "lig.smi"
    lig.write_text("CCO a\n")
    res = runner.invoke(app, ["repurpose", "--ligands", str(lig), "--no-panel"])
    assert res.exit_code == 0, res.output
    assert res.stdout.count("\n") == 26  # header + 25 rows
    assert "showing the best 25 of 30 rows" in res.stderr
    res = runner.invoke(app, ["repurpose", "--ligands", str(lig), "--no-panel", "--top", "30"])
    assert "showing" not in res.stderr


def test_screen_stdin_at_a_terminal_says_it_is_waiting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # `drugscreen screen -` typed at a prompt sat waiting for input without a word
    from screen_fixtures import TINY_BUNDLE

    import drugscreen.cli as cli

    monkeypatch.setattr(cli, "_stdin_is_terminal", lambda: True)
    res = runner.invoke(app, ["screen", "-", "-o", str(tmp_path / "o.csv"), "--panel", str(TINY_BUNDLE)], input="CCO\n")
    assert res.exit_code == 0, res.output
    assert "reading molecules from standard input" in res.stderr and "Ctrl-D" in res.stderr


@pytest.mark.parametrize("command", [[], ["screen"]])
def test_verbose_is_shown_as_a_flag_not_an_integer_option(command: list[str]) -> None:
    # `-v <int> [default: 0]` read as `-v 2`, which is taken for a command ("No such command '2'")
    lines = [ln for ln in runner.invoke(app, [*command, "--help"], terminal_width=200).output.splitlines() if "--verbose" in ln]
    assert len(lines) == 1 and "<int>" not in lines[0] and "default: 0" not in lines[0] and "-vv" in lines[0]


def test_summary_line_gives_the_time_before_the_report(tmp_path: Path) -> None:
    # "5 scored, 0 invalid; wrote o.csv; report r.html in 2.3 s (2/s)" read as the report's time; README:
    # "N scored ..., M invalid (see column error in OUT) in T s (R/s)" then "; report R"
    from screen_fixtures import TINY_BUNDLE

    src = tmp_path / "a.smi"
    src.write_text("CCO\nC1CC\n")
    res = runner.invoke(app, ["screen", str(src), "-o", str(tmp_path / "o.csv"), "--report", str(tmp_path / "r.html"),
                              "--panel", str(TINY_BUNDLE)])
    assert res.exit_code == 0, res.output
    line = [ln for ln in res.stderr.splitlines() if "scored" in ln][-1]
    assert re.fullmatch(r"1 scored(?: \(1 outside the applicability domain\))?, 1 invalid \(see column error in .*o\.csv\)"
                        r" in \d+\.\d s \(\d+(?:\.\d)?/s\); report .*r\.html", line), line


def test_train_config_help_names_the_toml_keys_that_differ_from_the_flags(tmp_path: Path) -> None:
    # "--config: TOML file with the same keys" — but `threads = 2` is refused: the key is num_threads
    from drugscreen.training import resolve_config

    text = " ".join(runner.invoke(app, ["train", "--help"], terminal_width=200).output.replace("│", " ").split())
    assert "threads: num_threads" in text
    cfg = tmp_path / "c.toml"
    cfg.write_text('dataset = "bbbp"\nnum_threads = 2\nextra_features = "ecfp"\nbatch_size = 32\n')
    assert resolve_config(cfg).num_threads == 2


def test_a_smiles_given_as_input_says_how_to_score_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `drugscreen screen CCO` said "unknown file type (no suffix)"
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["screen", "CC(=O)Oc1ccccc1C(=O)O"])
    assert res.exit_code == 1  # main() prints it as one Error: line
    assert "reads as a SMILES" in str(res.exception) and "| drugscreen screen - -o -" in str(res.exception)
    res = runner.invoke(app, ["screen", "hits"])  # a file name without a suffix keeps its message
    assert res.exit_code == 1 and "reads as a SMILES" not in str(res.exception)


def test_usage_errors_quote_the_option_as_click_does() -> None:
    # "Invalid value for --engine" beside "Invalid value for '--profile'"
    res = runner.invoke(app, ["screen", "x.smi", "--engine", "rayy"])
    assert res.exit_code == 2 and "Invalid value for '--engine'" in res.output


@pytest.mark.parametrize("command", [[], ["screen"], ["datasets", "info"], ["benchmark", "report"], ["train"]])
def test_dash_h_shows_the_help(command: list[str]) -> None:
    # `drugscreen screen -h` said "No such option: -h"
    res = runner.invoke(app, [*command, "-h"])
    assert res.exit_code == 0 and "Usage:" in res.output


def test_models_info_reads_an_affinity_bundle_directory(tmp_path):
    # `models info DIR` on a directory saved by save_affinity_bundle (what `repurpose --model
    # DIR` takes) said "config.json lacks 'n_members'"; it now prints the affinity card
    from drugscreen.repurposing.affinity_bundle import default_affinity_path

    res = CliRunner().invoke(app, ["models", "info", str(default_affinity_path())])
    assert res.exit_code == 0, res.output
    assert "# Model card: affinity" in res.output and "davis" in res.output
    res = CliRunner().invoke(app, ["models", "info", str(default_affinity_path()), "--json"])
    assert res.exit_code == 0 and '"kind": "affinity"' in res.output
