"""The README read as a new user would (review s14): what it tells a user to run, checked by
running it. Each test here failed against the code before its fix."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.usefixtures("own_cache")


@pytest.fixture
def call_only_featurizer():
    """A featurizer of one's own as the README describes one ("Featurizers register the same way
    ...: one that gives a vector per molecule can be --extra-features"): a registered class with a
    ``name`` and ``__call__(mol) -> vector``, no ``to_config``/``featurize_many``; unregistered
    afterwards."""
    from rdkit.Chem import Descriptors

    from drugscreen.featurizers.base import FEATURIZERS
    from drugscreen.registry import normalize_name

    class TwoDescriptors:
        name = "s14_two_desc"

        def __call__(self, mol):  # type: ignore[no-untyped-def]
            return np.array([Descriptors.MolWt(mol), Descriptors.TPSA(mol)], dtype=np.float32)

    FEATURIZERS.register("s14_two_desc")(TwoDescriptors)
    try:
        yield TwoDescriptors
    finally:
        FEATURIZERS._items.pop(normalize_name("s14_two_desc"), None)
        FEATURIZERS._names.pop(normalize_name("s14_two_desc"), None)


def test_a_call_only_featurizer_of_ones_own_trains_and_screens_as_extra_features(tmp_path, call_only_featurizer) -> None:  # type: ignore[no-untyped-def]
    """``extra_features`` naming a registered featurizer with ``__call__`` only: TrainConfig
    accepted it (``molecule_vector_config`` falls back to its registered name), then training
    died with "AttributeError: 'TwoDescriptors' object has no attribute 'to_config'" (a
    traceback from ``drugscreen train``) once the data were loaded. It now trains, records
    ``{"name": "s14_two_desc", "params": {}}`` and screens."""
    from tiny_data import tiny_dataset

    from drugscreen.bundle import load_bundle
    from drugscreen.screening import Screener
    from drugscreen.training.config import TrainConfig
    from drugscreen.training.data import build_training_data
    from drugscreen.training.trainer import train_on_data

    cfg = TrainConfig(dataset=["tiny"], model="gine", split="random", seeds=[0], epochs=1, batch_size=16,
                      extra_features="s14_two_desc", model_params={"hidden": 8, "depth": 1, "head_hidden": 8},
                      name="two_desc_hybrid")
    data = build_training_data([tiny_dataset(48)], split="random", seed=0, cache_dir=str(tmp_path / "cache"),
                               descriptors=cfg.extra_vector, extra_featurizer=cfg.extra_featurizer)
    assert data.train.desc.shape == (len(data.train), 2)
    train_on_data(data, cfg, tmp_path / "bundle")
    bundle = load_bundle(tmp_path / "bundle")
    assert bundle.extra_featurizer_config == {"name": "s14_two_desc", "params": {}}
    smiles = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"]
    scored = Screener.load(panel=str(tmp_path / "bundle"), profile=None).score(smiles)
    np.testing.assert_allclose(scored["has_N"].to_numpy(dtype=float), bundle.predict_smiles(smiles).mean[:, 0], atol=1e-6)


def test_benchmark_config_naming_an_unregistered_model_says_how_to_make_ones_own_known(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The README: "DRUGSCREEN_PLUGINS=mylab.models drugscreen train ... then drugscreen screen
    ... (and drugscreen benchmark) find it". Run without the plugin, ``drugscreen benchmark``
    said only "model 'my_gcn' is not a known model; known: ... (a label of your own needs model =
    "<one of these>" in its [[models]] entry)", pointing the user at the wrong fix, while ``train``
    names $DRUGSCREEN_PLUGINS; the benchmark's refusal now says it too (a close built-in name
    still gets its suggestion)."""
    from drugscreen.benchmarking.config import load_config
    from drugscreen.exceptions import ConfigError

    (tmp_path / "assay.csv").write_text("smiles,y\nCCO,1.0\nCCN,2.0\n")
    config = tmp_path / "bench.toml"
    config.write_text('name = "p"\ndatasets = ["assay.csv"]\nseeds = [0]\n[[models]]\nname = "s14_lab_gcn"\n')
    with pytest.raises(ConfigError) as info:
        load_config(config)
    message = str(info.value)
    assert "s14_lab_gcn" in message and "$DRUGSCREEN_PLUGINS" in message and "'drugscreen.plugins' entry point" in message
    assert "\n" not in message
    config.write_text('name = "p"\ndatasets = ["assay.csv"]\nseeds = [0]\n[[models]]\nname = "rff"\n')
    with pytest.raises(ConfigError, match=r"did you mean 'rf'\?"):
        load_config(config)


@pytest.mark.parametrize("command", [["benchmark", "report"], ["datasets", "fetch"]])
def test_subcommands_that_log_take_q_and_v_after_their_name(command: list[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``drugscreen benchmark report --results-dir my_runs/runs -q`` (and ``datasets fetch NAME -q``)
    said "No such option: -q", though ``drugscreen -q benchmark report ...`` worked and 778f783
    gave train, repurpose and benchmark their own -q/-v; they now take them too, with the same
    effect as the group's."""
    import logging

    from typer.testing import CliRunner

    from drugscreen.cli import app

    out = CliRunner().invoke(app, [*command, "--help"], terminal_width=200)
    assert out.exit_code == 0 and "--quiet" in out.output and "--verbose" in out.output
    root = logging.getLogger("drugscreen")
    # a usage error raised after the options are read: the command's -q has set the level by then
    args = ["--results-dir", str(tmp_path / "no_runs")] if command[0] == "benchmark" else ["no_such_dataset"]
    res = CliRunner().invoke(app, [*command, *args, "-q"])
    assert "No such option" not in res.output and res.exit_code == 2
    assert root.level == logging.WARNING
    res = CliRunner().invoke(app, [*command, *args, "-vv"])
    assert "No such option" not in res.output and root.level == logging.DEBUG
