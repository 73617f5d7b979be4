"""Training review fixes: config validation, output directory checks, resume fingerprint,
the CLI's closing message and fp_mlp's default features."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from tiny_data import tiny_train_config

from drugscreen.exceptions import ConfigError, DatasetNotAvailableError
from drugscreen.training import trainer
from drugscreen.training.config import TrainConfig, resolve_config
from drugscreen.training.trainer import _trunk_config, prepare_output_dir, train


def _config(**kw) -> TrainConfig:
    return tiny_train_config(**{"split": "scaffold", "epochs": 1, "patience": 1, **kw})


@pytest.fixture
def fake_data(monkeypatch: pytest.MonkeyPatch, tiny_data):
    """``train()`` gets the tiny data instead of loading registered datasets."""
    monkeypatch.setattr(trainer, "build_training_data", lambda *a, **k: tiny_data)
    return tiny_data


# ----------------------------------------------------------------------------- config validation


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"seeds": "a"}, "seeds must be integers"),
        ({"device": "gpu"}, "device must be cpu, cuda or cuda:N"),
        ({"epochs": "three"}, "epochs must be an integer"),
        ({"lr": -0.01}, "lr must be a positive number"),
        ({"patience": -3}, "patience must be >= 1"),
        ({"workers": 0}, "workers must be >= 1"),
        ({"num_threads": 0}, "num_threads must be >= 1"),
        ({"dataset_weights": {"bbpp": 2}}, r"\[dataset_weights\] names 'bbpp'.*did you mean 'bbbp'"),
        ({"epoch_fraction": {"bbpp": 0.5}}, r"\[epoch_fraction\] names 'bbpp'.*did you mean 'bbbp'"),
        ({"epoch_fraction": {"bbbp": 1.5}}, r"must be in \(0, 1\]"),
        ({"split": "scafold"}, "split must be one of"),
        ({"model_params": {"hiden": 64}}, r"'hiden' not accepted by model 'gine' \(did you mean 'hidden'\?\); it accepts: .*hidden"),
        ({"model": "fp_mlp", "extra_features": "none"}, "fp_mlp reads only the extra features"),
    ],
)
def test_bad_training_values_are_config_errors(overrides: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TrainConfig.from_dict({"dataset": ["bbbp"], "model": "gine", **overrides})


def test_toml_type_errors_are_config_errors(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text('dataset = "bbbp"\nepochs = "three"\n')
    with pytest.raises(ConfigError, match="epochs must be an integer, not 'three'"):
        resolve_config(p)
    p.write_text('dataset = "bbbp"\nmodel = "gine"\n[model_params]\nhiden = 64\n')
    with pytest.raises(ConfigError, match="hiden"):
        resolve_config(p)


def test_valid_values_still_accepted() -> None:
    cfg = TrainConfig(dataset=["bbbp", "esol"], lr=1, dataset_weights={"esol": 2}, epoch_fraction={"bbbp": 0.5},
                      data_dir=Path("/x"), seeds="0, 1")
    assert cfg.lr == 1.0 and cfg.data_dir == "/x" and cfg.seeds == [0, 1]


def test_fp_mlp_defaults_to_ecfp() -> None:
    assert TrainConfig(model="fp_mlp").extra_features == "ecfp"
    assert TrainConfig(model="fp_mlp", extra_features="descriptors").extra_features == "descriptors"
    assert TrainConfig(model="gine").extra_features == "none"
    assert resolve_config(None, model="fp_mlp", extra_features=None).extra_features == "ecfp"


# ----------------------------------------------------------------------------- resume


def test_checkpoint_fingerprint_ignores_settings_that_do_not_change_weights() -> None:
    base = _trunk_config(_config())
    same = _config(num_threads=4, workers=2, data_dir="/elsewhere", cache_dir="/cache", name="x", seeds=[0, 1], ensemble=3)
    assert _trunk_config(same) == base
    assert _trunk_config(_config(device="cuda:0")) != base
    assert _trunk_config(_config(lr=1e-2)) != base
    # the forest blend and calibration act after training
    assert _trunk_config(_config(forest={"datasets": ["tiny"]}, calibration="isotonic")) == base


def test_checkpoint_fingerprinted_before_forest_was_post_training_still_resumes(
    tiny_data, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """forest and calibration joined the post-training keys: a run interrupted before that
    change resumes instead of training every member again."""
    ckpt = tmp_path / "ck"
    cfg = _config(epochs=2, patience=5)
    trainer.fit_member(tiny_data, cfg, 0, ckpt)
    meta = json.loads((ckpt / "checkpoint.json").read_text())
    task_ids = [(t["dataset"], t["column"], t["type"]) for t in tiny_data.tasks]
    splits = [getattr(d, "split_sha256", None) for d in tiny_data.datasets]
    old = trainer._config_hash({"config": _trunk_config(cfg, trainer._LEGACY_POST_TRAINING_KEYS), "seed": 0,
                                "tasks": task_ids, "splits": splits})
    assert old != meta["config_hash"]
    meta.update(config_hash=old, done=False, epoch=0)
    (ckpt / "checkpoint.json").write_text(json.dumps(meta))
    from safetensors.torch import load_file, save_file

    tensors = ckpt / "checkpoint.safetensors"  # as written then: the meta only in checkpoint.json
    save_file(load_file(str(tensors)), str(tensors))
    caplog.set_level(logging.INFO, logger="drugscreen")
    trainer.fit_member(tiny_data, cfg, 0, ckpt)
    assert "resuming member seed 0 from epoch 1" in caplog.text and "another configuration" not in caplog.text


def test_resume_survives_a_thread_change(tiny_data, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ckpt = tmp_path / "ck"

    def interrupt(rec: dict) -> None:
        raise KeyboardInterrupt  # after epoch 0's checkpoint

    with pytest.raises(KeyboardInterrupt):
        trainer.fit_member(tiny_data, _config(epochs=2, patience=5), 0, ckpt, on_epoch=interrupt)
    caplog.set_level(logging.INFO, logger="drugscreen")
    trainer.fit_member(tiny_data, _config(epochs=2, patience=5, num_threads=2), 0, ckpt)
    assert "resuming member seed 0 from epoch 1" in caplog.text
    assert "another configuration" not in caplog.text


def test_interrupt_logs_how_to_resume(monkeypatch: pytest.MonkeyPatch, fake_data, tmp_path: Path,
                                      caplog: pytest.LogCaptureFixture) -> None:
    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(trainer, "train_on_data", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train(_config(), tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing was written: no trace left

    def interrupted_later(data, config, out, progress=False, **kwargs):
        (out / ".checkpoints" / "seed0_member0").mkdir()
        raise KeyboardInterrupt

    monkeypatch.setattr(trainer, "train_on_data", interrupted_later)
    with pytest.raises(KeyboardInterrupt):
        train(_config(), tmp_path / "out")
    assert "re-running the same command" in caplog.text and "resumes from the last finished epoch" in caplog.text
    assert (tmp_path / "out" / ".checkpoints").is_dir()  # in progress: the same command resumes
    prepare_output_dir(tmp_path / "out")  # ... and is not refused


def test_offline_error_names_what_train_honours(monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(*a, **k):
        raise DatasetNotAvailableError(
            "dataset 'bbbp' is not at /d/bbbp.csv and could not be downloaded from u (no network); "
            "put the file there, or set DRUGSCREEN_DATA_DIR (or --data-dir) to a folder that holds it"
        )

    monkeypatch.setattr(trainer, "build_training_data", offline)
    with pytest.raises(DatasetNotAvailableError) as err:
        train(TrainConfig(dataset=["bbbp"]), None)
    msg = str(err.value)
    assert "--data-dir" not in msg and "DRUGSCREEN_DATA_DIR" in msg and "data_dir" in msg and "--config" in msg


# ----------------------------------------------------------------------------- output directory


def test_prepare_output_dir(tmp_path: Path) -> None:
    prepare_output_dir(tmp_path / "new")
    assert (tmp_path / "new" / ".checkpoints").is_dir()
    prepare_output_dir(tmp_path / "new")  # in progress: resumed
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("x")
    with pytest.raises(ConfigError, match="already holds other files .*--overwrite"):
        prepare_output_dir(mine)
    (mine / "config.json").write_text("{}")
    (mine / "train_config.json").write_text("{}")  # what marks a run's outputs
    with pytest.raises(ConfigError, match="already holds a finished training run"):
        prepare_output_dir(mine)
    prepare_output_dir(mine, overwrite=True)
    assert not (mine / "config.json").exists() and (mine / "notes.txt").exists()
    with pytest.raises(ConfigError, match="is a file"):
        prepare_output_dir(mine / "notes.txt")


def test_finished_run_is_refused_and_overwrite_clears_it(fake_data, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = train(_config(), out)
    assert (out / "config.json").is_file() and res.bundle_paths == [out] and not (out / ".checkpoints").exists()
    rf = _config(model="rf", model_params={"n_estimators": 5}, seeds=[0, 1])
    with pytest.raises(ConfigError, match="finished training run"):
        train(rf, out)
    res = train(rf, out, overwrite=True)
    assert res.bundle_paths == [] and res.bundle_path is None
    assert not (out / "config.json").exists() and not list(out.glob("member_*"))  # no gine bundle left beside rf
    res = train(_config(model="rf", model_params={"n_estimators": 5}, seeds=[5]), out, overwrite=True)
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["tiny_rf_scaffold_seed5.json"]  # no stale records


def test_random_split_with_seeds_writes_one_bundle_per_seed(fake_data, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = train(_config(split="random", seeds=[0, 1]), out)
    assert res.bundle_paths == [out / "seed0", out / "seed1"]
    assert all((b / "config.json").is_file() for b in res.bundle_paths)
    assert not (out / "config.json").exists() and not (out / ".checkpoints").exists()


# ----------------------------------------------------------------------------- CLI


def test_cli_says_what_train_wrote(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import drugscreen.training
    from drugscreen.cli import app

    out = tmp_path / "o"

    def fake_train(config, output, progress=False, overwrite=False, command=None):
        bundles = [] if config.model == "rf" else ([Path(output) / f"seed{s}" for s in config.seeds] if len(config.seeds) > 1 else [Path(output)])
        return trainer.TrainResult(config, Path(output), None, [], {"summary": {}}, bundle_paths=bundles)

    monkeypatch.setattr(drugscreen.training, "train", fake_train)
    runner = CliRunner()
    res = runner.invoke(app, ["train", "--dataset", "bbbp", "--model", "rf", "-o", str(out)])
    assert res.exit_code == 0 and "no screening bundle (rf runs are benchmark runs)" in res.output
    assert str(out / "metrics.json") in res.output
    res = runner.invoke(app, ["train", "--dataset", "bbbp", "--model", "gine", "--split", "random", "--seeds", "0,1", "-o", str(out)])
    assert "one screening bundle per seed" in res.output and str(out / "seed1") in res.output and "not a bundle" in res.output
    res = runner.invoke(app, ["train", "--dataset", "bbbp", "--model", "gine", "-o", str(out)])
    assert f"Wrote screening bundle {out}" in res.output and "--panel" in res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--seeds", "a"], "seeds must be integers"), (["--device", "gpu"], "device must be"),
     (["--lr", "-0.01"], "lr must be a positive number"), (["--epochs", "0"], "epochs must be >= 1"),
     (["--seeds", "0,0"], "repeat a seed"), (["--threads", "0"], "num_threads must be >= 1"),
     (["--ensemble", "0"], "ensemble must be >= 1"), (["--batch-size", "0"], "batch_size must be >= 1")],
)
def test_cli_bad_values_are_usage_errors(args: list[str], message: str, tmp_path: Path) -> None:
    """A bad value typed on the command line exits 2 naming its flag, as ``--epochs x`` does."""
    from typer.testing import CliRunner

    from drugscreen.cli import app

    res = CliRunner().invoke(app, ["train", "--dataset", "bbbp", "-o", str(tmp_path / "o"), *args])
    assert res.exit_code == 2, res.output
    flat = " ".join(res.output.replace("│", " ").split())
    assert message in flat and f"Invalid value for '{args[0]}'" in flat
    assert not (tmp_path / "o").exists()


def test_cli_bad_value_from_config_file_stays_a_data_error(tmp_path: Path) -> None:
    """The same bad value read from a --config file is a data error (exit 1, one Error: line)."""
    from typer.testing import CliRunner

    from drugscreen.cli import app

    cfg = tmp_path / "c.toml"
    cfg.write_text('dataset = "bbbp"\nepochs = 0\n')
    res = CliRunner().invoke(app, ["train", "--config", str(cfg), "-o", str(tmp_path / "o")])
    assert isinstance(res.exception, ConfigError) and "epochs must be >= 1" in str(res.exception)
    assert not (tmp_path / "o").exists()


def test_cli_unknown_model_is_usage_error(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from drugscreen.cli import app

    res = CliRunner().invoke(app, ["train", "--dataset", "bbbp", "--model", "gnie", "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and "gine" in res.output
