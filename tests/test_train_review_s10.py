"""Training review (session 10): resuming after a kill, the batch size, what ``--overwrite``
removes, and ``--device cuda`` without a GPU."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from tiny_data import tiny_train_config

from drugscreen.exceptions import ConfigError
from drugscreen.training import trainer

# ----------------------------------------------------------------------------- resume


def test_kill_between_the_checkpoint_renames_resumes_to_the_uninterrupted_weights(
    monkeypatch: pytest.MonkeyPatch, tiny_data, tmp_path: Path,
) -> None:
    """A checkpoint is two files; a run killed after the weights' rename and before the
    meta's resumed epoch N's weights as if they were epoch N - 1's and trained that epoch twice."""
    config = tiny_train_config(epochs=3, patience=10)
    reference, _, _ = trainer.fit_member(tiny_data, config, 0)

    real_replace = os.replace
    renamed: list[str] = []

    def killed_after_second_weights_rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        real_replace(src, dst)
        renamed.append(Path(dst).name)
        if renamed.count("checkpoint.safetensors") == 2 and Path(dst).name == "checkpoint.safetensors":
            raise KeyboardInterrupt  # epoch 1's weights are in place, its checkpoint.json is not

    ckpt = tmp_path / "ckpt"
    monkeypatch.setattr(trainer.os, "replace", killed_after_second_weights_rename)
    with pytest.raises(KeyboardInterrupt):
        trainer.fit_member(tiny_data, config, 0, ckpt)
    monkeypatch.setattr(trainer.os, "replace", real_replace)

    resumed, history, _ = trainer.fit_member(tiny_data, config, 0, ckpt)
    assert [h["epoch"] for h in history] == [0, 1, 2]
    for name, value in reference.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[name]), name


# ----------------------------------------------------------------------------- batch size


def test_batch_size_one_trains(tiny_data) -> None:
    """``--batch-size 1`` skipped every batch (each was a 'lone leftover molecule'): the run
    wrote a bundle of untrained weights with a loss of NaN and exit status 0."""
    config = tiny_train_config(batch_size=1, epochs=1)
    torch.manual_seed(0)
    untrained = trainer._build_model(tiny_data, config)
    model, history, _ = trainer.fit_member(tiny_data, config, 0)
    assert history[0]["train_loss"] == pytest.approx(history[0]["train_loss"])  # a number, not NaN
    changed = [k for k, v in model.state_dict().items() if not torch.equal(v, untrained.state_dict()[k])]
    assert changed


# ----------------------------------------------------------------------------- --overwrite


def _users_folder(path: Path) -> dict[str, str]:
    """A folder of the user's whose names a run also writes; no training run was ever there."""
    files = {"config.json": '{"my": "settings"}', "runs/2024-05-01.txt": "lab notebook", "seed42/plate.csv": "x",
             "assay.invalid.csv": "a", "notes.txt": "n"}
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    return files


def test_overwrite_never_removes_files_no_run_wrote(tmp_path: Path) -> None:
    """--overwrite removed a config.json, runs/, seed<N>/ and *.invalid.csv of the user's from a
    folder that held no training run (and said it held 'a finished training run')."""
    files = _users_folder(tmp_path)
    with pytest.raises(ConfigError, match="already holds other files"):
        trainer.prepare_output_dir(tmp_path)
    with pytest.raises(ConfigError, match=r"config\.json, runs/.*which no training run wrote.*another --output"):
        trainer.prepare_output_dir(tmp_path, overwrite=True)
    for name, text in files.items():
        assert (tmp_path / name).read_text() == text
    assert not (tmp_path / ".checkpoints").exists()


def test_overwrite_removes_a_previous_runs_outputs_only(tmp_path: Path) -> None:
    (tmp_path / "seed42").mkdir()
    (tmp_path / "seed42" / "plate.csv").write_text("x")  # the user's, beside a finished run
    for name in ("config.json", "train_config.json", "metrics.json", "member_0.safetensors", "runs/tiny_gine_scaffold_seed0.json",
                 "seed1/train_config.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    with pytest.raises(ConfigError, match="already holds a finished training run"):
        trainer.prepare_output_dir(tmp_path)
    trainer.prepare_output_dir(tmp_path, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".checkpoints", "seed42"]
    assert (tmp_path / "seed42" / "plate.csv").read_text() == "x"


# ----------------------------------------------------------------------------- --device


def test_cuda_without_a_gpu_fails_before_the_data_are_loaded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The README promises bad values fail before any data is loaded; --device cuda on a machine
    without a GPU failed only after loading and featurizing every dataset (minutes for HIV)."""

    def load(*args: object, **kwargs: object) -> None:
        raise AssertionError("the data were loaded before the device was checked")

    monkeypatch.setattr(trainer, "build_training_data", load)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="torch sees no CUDA device"):
        trainer.train(tiny_train_config(device="cuda"), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cuda_index_beyond_the_gpus_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ConfigError, match=r"--device cuda:3 .* sees 1 CUDA device"):
        trainer._device("cuda:3")


# ----------------------------------------------------------------------------- resume of several seeds


def test_resumed_random_split_run_does_not_retrain_finished_seeds(
    monkeypatch: pytest.MonkeyPatch, tiny_data, tmp_path: Path,
) -> None:
    """--split random --seeds 0,1 writes one bundle per seed; a run interrupted in seed 1
    trained seed 0 again from its first epoch when resumed (its checkpoints were already gone)."""
    monkeypatch.setattr(trainer, "build_training_data", lambda *a, **k: tiny_data)
    config = tiny_train_config(split="random", seeds=[0, 1], epochs=2)
    out = tmp_path / "out"
    real_fit = trainer.fit_member

    def killed_in_seed_1(data, cfg, member_seed, *args, **kwargs):  # type: ignore[no-untyped-def]
        if member_seed == 1:
            raise KeyboardInterrupt
        return real_fit(data, cfg, member_seed, *args, **kwargs)

    monkeypatch.setattr(trainer, "fit_member", killed_in_seed_1)
    with pytest.raises(KeyboardInterrupt):
        trainer.train(config, out)
    monkeypatch.setattr(trainer, "fit_member", real_fit)

    saved: list[Path] = []
    real_save = trainer._save_checkpoint
    monkeypatch.setattr(trainer, "_save_checkpoint", lambda d, *a, **k: (saved.append(d), real_save(d, *a, **k)))
    result = trainer.train(config, out)
    assert {d.parent.parent.name for d in saved} == {"seed1"}  # seed 0's member was read back, not retrained
    assert result.bundle_paths == [out / "seed0", out / "seed1"]
    assert not list(out.rglob(".checkpoints"))


def test_resumed_with_fewer_seeds_removes_the_dropped_seeds_folder(
    monkeypatch: pytest.MonkeyPatch, tiny_data, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    """--split random --seeds 0,1,2 interrupted in seed 2, then resumed with --seeds 0,1: the
    finished run kept seed2/ with its half-trained checkpoints, which no record mentions and
    which looked like an interrupted run in the folder."""
    monkeypatch.setattr(trainer, "build_training_data", lambda *a, **k: tiny_data)
    out = tmp_path / "out"
    real_fit = trainer.fit_member

    def killed_in_seed_2(data, cfg, member_seed, *args, **kwargs):  # type: ignore[no-untyped-def]
        if member_seed == 2:
            (Path(args[0]) / "partial").mkdir(parents=True, exist_ok=True)  # as after a checkpoint
            raise KeyboardInterrupt
        return real_fit(data, cfg, member_seed, *args, **kwargs)

    monkeypatch.setattr(trainer, "fit_member", killed_in_seed_2)
    with pytest.raises(KeyboardInterrupt):
        trainer.train(tiny_train_config(split="random", seeds=[0, 1, 2], epochs=2), out)
    assert (out / "seed2" / ".checkpoints").is_dir()
    monkeypatch.setattr(trainer, "fit_member", real_fit)
    with caplog.at_level("WARNING"):
        result = trainer.train(tiny_train_config(split="random", seeds=[0, 1], epochs=2), out)
    assert result.bundle_paths == [out / "seed0", out / "seed1"]
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("seed")) == ["seed0", "seed1"]
    assert "removed seed2/" in caplog.text


def test_a_checkpoint_that_does_not_fit_the_model_is_ignored_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, tiny_data, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    """A checkpoint that reads but holds a tensor of another shape (or none) for the same
    configuration ended the rerun in a load_state_dict traceback; it is now ignored, with a
    warning naming the tensor, and training starts afresh to the uninterrupted weights."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    config = tiny_train_config(epochs=3, patience=10)
    reference, _, _ = trainer.fit_member(tiny_data, config, 0)

    ckpt = tmp_path / "ckpt"
    _interrupted_after_first_checkpoint(monkeypatch, tiny_data, config, ckpt)

    path = ckpt / "checkpoint.safetensors"
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    name = next(k for k in tensors if k.startswith("model.") and tensors[k].dim() == 2)
    tensors[name] = tensors[name][:, :-1].contiguous()  # another shape, as from an edited model
    save_file(tensors, str(path), metadata=meta)

    with caplog.at_level("WARNING"):
        resumed, history, _ = trainer.fit_member(tiny_data, config, 0, ckpt)
    assert f"{name[6:]}" in caplog.text and "ignoring the checkpoint" in caplog.text
    assert [h["epoch"] for h in history] == [0, 1, 2]
    for key, value in reference.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[key]), key


def test_a_checkpoint_of_other_options_is_discarded_naming_them(
    monkeypatch: pytest.MonkeyPatch, tiny_data, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    """Rerunning with other options discarded the interrupted run's checkpoints with only
    'belongs to another configuration': which option had changed was left to guess."""
    ckpt = tmp_path / "ckpt"
    _interrupted_after_first_checkpoint(monkeypatch, tiny_data, tiny_train_config(epochs=3, patience=10), ckpt)
    with caplog.at_level("WARNING"):
        _, history, _ = trainer.fit_member(tiny_data, tiny_train_config(epochs=3, patience=10, lr=1e-3), 0, ckpt)
    assert "belongs to another configuration (lr 0.003, now 0.001); starting afresh" in caplog.text
    assert [h["epoch"] for h in history] == [0, 1, 2]
    caplog.clear()
    with caplog.at_level("WARNING"):  # the same options resume without a word
        trainer.fit_member(tiny_data, tiny_train_config(epochs=3, patience=10, lr=1e-3), 0, ckpt)
    assert "another configuration" not in caplog.text


def _interrupted_after_first_checkpoint(monkeypatch: pytest.MonkeyPatch, tiny_data, config, ckpt: Path) -> None:
    """Train one member into ``ckpt`` and interrupt it once its first checkpoint is written."""
    real_replace = os.replace

    def killed_after_first_checkpoint(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        real_replace(src, dst)
        if Path(dst).name == "checkpoint.json":
            raise KeyboardInterrupt

    monkeypatch.setattr(trainer.os, "replace", killed_after_first_checkpoint)
    with pytest.raises(KeyboardInterrupt):
        trainer.fit_member(tiny_data, config, 0, ckpt)
    monkeypatch.setattr(trainer.os, "replace", real_replace)
