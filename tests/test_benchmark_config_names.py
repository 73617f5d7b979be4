"""A benchmark config with a misspelt dataset or model name, or repeated seeds, is refused when it
is read, with the closest name, before any cell runs (each cell used to fail on its own, in its own
process; a misspelt model failed with "unknown training option(s) ['n_estimators']")."""

from __future__ import annotations

from pathlib import Path

import pytest

from drugscreen.exceptions import ConfigError


def _load(tmp_path: Path, text: str):
    from drugscreen.benchmarking.config import load_config

    cfg = tmp_path / "b.toml"
    cfg.write_text(text)
    return load_config(cfg)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('datasets = ["bbbq"]\n[[models]]\nname = "rf"\n', "did you mean 'bbbp'"),
        ('datasets = ["davis"]\n[[models]]\nname = "rf"\n', "not a labelled molecule dataset"),
        ('datasets = ["esol"]\n[[models]]\nname = "rff"\nn_estimators = 10\n', "did you mean 'rf'"),
        ('datasets = ["esol"]\n[[models]]\nname = "mine"\nmodel = "gien"\n', "did you mean 'gine'"),
        ('datasets = ["esol"]\nseeds = [0, 0]\n[[models]]\nname = "rf"\n', "distinct"),
        ('datasets = ["esol"]\nseeds = [-1]\n[[models]]\nname = "rf"\n', ">= 0"),
        ('datasets = ["esol"]\nseeds = [0, 1.5]\n[[models]]\nname = "rf"\n', "list of integers"),
        ('datasets = ["esol"]\nseeds = [true]\n[[models]]\nname = "rf"\n', "list of integers"),
    ],
)
def test_bad_names_and_seeds_refused_on_reading(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _load(tmp_path, text)


def test_labels_with_a_model_key_and_runner_models_accepted(tmp_path: Path) -> None:
    config = _load(tmp_path, 'datasets = ["esol"]\n[[models]]\nname = "rf"\n[[models]]\nname = "train_mean"\n'
                             '[[models]]\nname = "gine_ecfp"\nmodel = "gine"\n')
    assert [m.name for m in config.models] == ["rf", "train_mean", "gine_ecfp"]


def test_only_accepts_the_key_as_logged() -> None:
    """The runner logs cells as dataset/model/split/seed; pasting that into --only said
    "seed must be an integer, got 'scaffold'"."""
    from drugscreen.benchmarking.config import parse_only

    assert parse_only("bbbp/rf/scaffold/0") == ("bbbp", "rf", 0, "scaffold")
    assert parse_only("bbbp/rf/0/scaffold") == ("bbbp", "rf", 0, "scaffold")
    assert parse_only("bbbp/rf/random") == ("bbbp", "rf", None, "random")
    with pytest.raises(ConfigError, match="integer"):
        parse_only("bbbp/rf/x")
