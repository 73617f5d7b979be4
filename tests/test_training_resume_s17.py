"""Resuming a member interrupted late in an epoch (session 17): after its training steps, during
validation, before or while its checkpoint is written. The resumed member trains each epoch
once (history) and ends on the uninterrupted run's weights, bit for bit; the interrupt is a
``KeyboardInterrupt`` raised at that point (as Ctrl-C raises it), injected with monkeypatch."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import safetensors
import safetensors.torch
import torch
from tiny_data import tiny_train_config

from drugscreen.training import checkpoints, trainer

_EPOCHS = 3


def _kill_on_call(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, call: int, before: Any = None) -> None:
    """Make ``owner.name`` raise KeyboardInterrupt on its ``call``-th call (after ``before(*args)``)."""
    real = getattr(owner, name)
    calls = {"n": 0}

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == call:
            if before is not None:
                before(*args)
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapped)


def _half_written(tensors: Any, path: str, metadata: Any = None) -> None:
    Path(path).write_bytes(b"\x10\x00\x00")  # a tmp file cut off mid-write


@pytest.mark.parametrize("ema_decay", [0.0, 0.9])
@pytest.mark.parametrize("point", ["validation", "selection score", "before the checkpoint", "while writing the checkpoint"])
def test_interrupt_late_in_an_epoch_resumes_to_the_uninterrupted_weights(
    monkeypatch: pytest.MonkeyPatch, tiny_data, tmp_path: Path, point: str, ema_decay: float,
) -> None:
    config = tiny_train_config(epochs=_EPOCHS, patience=10, ema_decay=ema_decay)
    reference, ref_history, ref_best = trainer.fit_member(tiny_data, config, 0)
    ckpt = tmp_path / "ckpt"
    with monkeypatch.context() as m:
        # epoch 1, after its training steps: epoch 0's checkpoint is the last complete one
        if point == "validation":
            _kill_on_call(m, trainer, "_predict_raw", 2)
        elif point == "selection score":
            _kill_on_call(m, trainer, "_selection_score", 3)  # one call checks the validation part first
        elif point == "before the checkpoint":
            _kill_on_call(m, trainer, "_save_checkpoint", 2)
        else:
            _kill_on_call(m, safetensors.torch, "save_file", 2, before=_half_written)
        with pytest.raises(KeyboardInterrupt):
            trainer.fit_member(tiny_data, config, 0, ckpt)
    with safetensors.safe_open(str(ckpt / "checkpoint.safetensors"), framework="pt") as f:
        meta = json.loads(f.metadata()[checkpoints._CHECKPOINT_META])
    assert meta["epoch"] == 0  # epoch 0's checkpoint left intact

    seen: list[int] = []
    resumed, history, best = trainer.fit_member(tiny_data, config, 0, ckpt, on_epoch=lambda r: seen.append(r["epoch"]))
    assert seen == [1, 2]  # epoch 1 trained again (its checkpoint was never written), epoch 0 not
    assert [h["epoch"] for h in history] == list(range(_EPOCHS))  # each epoch once
    assert [h["train_loss"] for h in history] == [h["train_loss"] for h in ref_history]
    assert [h["valid_score"] for h in history] == [h["valid_score"] for h in ref_history]
    assert best == ref_best
    for name, value in reference.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[name]), name


def test_interrupt_after_the_checkpoint_resumes_from_the_next_epoch(
    monkeypatch: pytest.MonkeyPatch, tiny_data, tmp_path: Path,
) -> None:
    """Killed once epoch 1's checkpoint is in place (weights and meta are one file, one rename):
    epoch 1 is not trained again."""
    config = tiny_train_config(epochs=_EPOCHS, patience=10)
    reference, ref_history, _ = trainer.fit_member(tiny_data, config, 0)
    ckpt = tmp_path / "ckpt"
    with monkeypatch.context() as m:
        real_replace = os.replace
        renames: list[str] = []

        def replace(src: Any, dst: Any) -> None:
            real_replace(src, dst)
            renames.append(Path(dst).name)
            if renames.count("checkpoint.safetensors") == 2 and Path(dst).name == "checkpoint.safetensors":
                raise KeyboardInterrupt

        m.setattr(checkpoints.os, "replace", replace)
        with pytest.raises(KeyboardInterrupt):
            trainer.fit_member(tiny_data, config, 0, ckpt)
    seen: list[int] = []
    resumed, history, _ = trainer.fit_member(tiny_data, config, 0, ckpt, on_epoch=lambda r: seen.append(r["epoch"]))
    assert seen == [2]
    assert [h["epoch"] for h in history] == list(range(_EPOCHS))
    assert [h["train_loss"] for h in history] == [h["train_loss"] for h in ref_history]
    for name, value in reference.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[name]), name


def test_cuda_generator_states_are_saved_and_restored(monkeypatch: pytest.MonkeyPatch, tiny_data, tmp_path: Path) -> None:
    """Only the CPU generator was saved: a run resumed on the GPU drew other dropout masks than
    the run it continued. The CUDA states (one per device) now travel in the checkpoint; faked
    here, as this machine may have no GPU."""
    states = [torch.arange(16, dtype=torch.uint8), torch.arange(16, 32, dtype=torch.uint8)]
    monkeypatch.setattr(checkpoints, "_cuda_rng_states", lambda: [s.clone() for s in states])
    config = tiny_train_config(epochs=1, patience=10)
    ckpt = tmp_path / "ckpt"
    trainer.fit_member(tiny_data, config, 0, ckpt)
    saved = safetensors.torch.load_file(str(ckpt / "checkpoint.safetensors"))
    assert torch.equal(saved["rng.cuda.0"], states[0]) and torch.equal(saved["rng.cuda.1"], states[1])

    restored: list[list[torch.Tensor]] = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", lambda s: restored.append(list(s)))
    checkpoints._restore_cuda_rng(saved, ckpt)
    assert len(restored) == 1 and all(torch.equal(a, b) for a, b in zip(restored[0], states, strict=True))
    # resumed where there are fewer devices: the CPU state alone, said in the log, no error
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    checkpoints._restore_cuda_rng(saved, ckpt)
    assert len(restored) == 1


def test_the_checkpoint_reaches_the_disk_before_its_rename(monkeypatch: pytest.MonkeyPatch, tiny_data, tmp_path: Path) -> None:
    """The tensor file was renamed into place unflushed: after a power cut the rename could
    survive with the file's bytes lost. It is fsync'd first (then its folder)."""
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        events.append(f"replace {Path(dst).name}")
        real_replace(src, dst)

    monkeypatch.setattr(checkpoints.os, "fsync", fsync)
    monkeypatch.setattr(checkpoints.os, "replace", replace)
    trainer.fit_member(tiny_data, tiny_train_config(epochs=1, patience=10), 0, tmp_path / "ckpt")
    i = events.index("replace checkpoint.safetensors")
    assert events[i - 1] == "fsync"
