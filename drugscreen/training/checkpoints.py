"""Training checkpoints: one per member and epoch under ``<output>/.checkpoints`` (JSON meta in
the safetensors header, no pickles), and whether a checkpoint belongs to the run resuming it."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import torch

logger = logging.getLogger(__name__)


#: Key of the safetensors metadata entry that holds a checkpoint's meta (epoch, history, ...).
_CHECKPOINT_META = "drugscreen.checkpoint"


def _save_checkpoint(
    ckpt_dir: Path, model: Any, best_state: dict[str, torch.Tensor], opt: torch.optim.Optimizer, meta: dict[str, Any],
    ema: dict[str, torch.Tensor] | None = None,
) -> None:
    from safetensors.torch import save_file

    ckpt_dir.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, torch.Tensor] = {}
    for k, v in model.state_dict().items():
        tensors[f"model.{k}"] = v.detach().cpu().contiguous()
    for k, v in best_state.items():
        tensors[f"best.{k}"] = v.detach().cpu().contiguous()
    for k, v in (ema or {}).items():
        tensors[f"ema.{k}"] = v.detach().cpu().contiguous()
    opt_state = opt.state_dict()
    scalars: dict[str, Any] = {}
    for pid, st in opt_state["state"].items():
        for k, v in st.items():
            if torch.is_tensor(v) and v.dim() > 0:
                tensors[f"opt.{pid}.{k}"] = v.detach().cpu().contiguous()
            else:
                scalars[f"{pid}.{k}"] = float(v)
    tensors["rng.torch"] = torch.get_rng_state()
    # the CUDA generators too (dropout on the GPU draws from them), when this process has used CUDA:
    # without them a run resumed on the GPU is not the run it continues
    for i, st in enumerate(_cuda_rng_states()):
        tensors[f"rng.cuda.{i}"] = st
    meta_text = json.dumps({**meta, "opt_scalars": scalars, "opt_param_groups": opt_state["param_groups"]}, default=float)
    # the meta travels inside the tensor file, so one rename replaces weights and meta together:
    # a run killed between two renames would otherwise resume epoch N's weights with the epoch
    # count, optimizer scalars and best score of epoch N - 1 (checkpoint.json is a readable copy)
    tmp = ckpt_dir / "checkpoint.tmp.safetensors"
    save_file(tensors, str(tmp), metadata={_CHECKPOINT_META: meta_text})
    _durable_replace(tmp, ckpt_dir / "checkpoint.safetensors")
    tmpj = ckpt_dir / "checkpoint.tmp.json"
    tmpj.write_text(meta_text)
    os.replace(tmpj, ckpt_dir / "checkpoint.json")  # a readable copy: no need to wait for the disk


def _durable_replace(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` over ``target`` once its bytes are on the disk (``fsync``), then make the
    rename itself durable where the platform allows (``fsync`` of the folder; not on Windows):
    after a power cut the checkpoint is the old one or the new one, never a renamed empty file."""
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    try:
        fd = os.open(target.parent, os.O_RDONLY)
    except OSError:  # Windows cannot open a folder
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a folder
        pass
    finally:
        os.close(fd)


def _cuda_rng_states() -> list[torch.Tensor]:
    """The CUDA generators' states, one per device, when CUDA has been initialized in this
    process (``[]`` otherwise: asking would start CUDA for a CPU run)."""
    if not (torch.cuda.is_available() and torch.cuda.is_initialized()):
        return []
    return [st.cpu() for st in torch.cuda.get_rng_state_all()]


def _restore_cuda_rng(tensors: dict[str, torch.Tensor], where: Path) -> None:
    """Set the CUDA generators saved in a checkpoint (``rng.cuda.<i>``); a checkpoint written
    on the GPU and resumed without one (or with fewer devices) keeps the CPU state alone."""
    saved = sorted((int(k.rsplit(".", 1)[1]), v) for k, v in tensors.items() if k.startswith("rng.cuda."))
    if not saved:
        return
    if not torch.cuda.is_available() or torch.cuda.device_count() < len(saved):
        logger.info("checkpoint in %s holds the random state of %d CUDA device(s), which this machine lacks; "
                    "the resumed run draws dropout anew", where, len(saved))
        return
    torch.cuda.set_rng_state_all([v for _, v in saved])


def _load_checkpoint(
    ckpt_dir: Path, model: Any, opt: torch.optim.Optimizer, config_hash: str, ema: dict[str, torch.Tensor] | None = None,
    also: tuple[str, ...] = (), fingerprint: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, torch.Tensor]] | None:
    """Restore model, optimizer, RNG (and the weight average into ``ema``) from a checkpoint;
    return its meta and best state, or None when there is none for this configuration
    (``config_hash``, or one of the older fingerprints of the same configuration in ``also``;
    ``fingerprint``, what ``config_hash`` hashes, lets the warning name the options that changed)."""
    from safetensors import safe_open

    jf, tf = ckpt_dir / "checkpoint.json", ckpt_dir / "checkpoint.safetensors"
    if not tf.is_file():
        return None
    try:
        with safe_open(str(tf), framework="pt") as f:
            inside = (f.metadata() or {}).get(_CHECKPOINT_META)
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 - safe_open has no iterator
        if inside is None and not jf.is_file():
            return None
        # the meta stored with the weights; a checkpoint written before it was stored there has
        # only checkpoint.json
        meta = json.loads(inside if inside is not None else jf.read_text())
    except Exception as exc:  # a checkpoint cut off mid-write: start again
        logger.warning("ignoring unreadable checkpoint in %s (%s)", ckpt_dir, exc)
        return None
    if meta.get("config_hash") not in (config_hash, *also):
        changed = _fingerprint_changes(meta.get("fingerprint"), fingerprint)
        logger.warning("checkpoint in %s belongs to another configuration%s; starting afresh", ckpt_dir,
                       f" ({changed})" if changed else "")
        return None
    weights = {k[6:]: v for k, v in tensors.items() if k.startswith("model.")}
    best = {k[5:]: v for k, v in tensors.items() if k.startswith("best.")}
    # everything is checked before anything is loaded: a checkpoint that reads but does not fit
    # the model (a tensor missing or of another shape) would otherwise end in a traceback, or
    # leave the model half loaded
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    problem = _state_mismatch(shapes, weights, "weights") or _state_mismatch(shapes, best, "best weights")
    if not problem and ema is not None:
        problem = _state_mismatch({k: tuple(v.shape) for k, v in ema.items()},
                                  {k[4:]: v for k, v in tensors.items() if k.startswith("ema.")}, "averaged weights")
    if not problem and "rng.torch" not in tensors:
        problem = "its random-generator state is missing"
    state: dict[int, dict[str, Any]] = {}
    try:
        for k, v in tensors.items():
            if k.startswith("opt."):
                _, pid, name = k.split(".", 2)
                state.setdefault(int(pid), {})[name] = v
        for k, v in meta["opt_scalars"].items():
            pid, name = k.split(".", 1)
            state.setdefault(int(pid), {})[name] = torch.tensor(v)
        if not problem:  # the optimizer checks its groups before it changes anything
            opt.load_state_dict({"state": state, "param_groups": meta["opt_param_groups"]})
    except (KeyError, ValueError, TypeError, RuntimeError) as exc:
        problem = f"its optimizer state does not fit ({exc})"
    if problem:
        logger.warning("ignoring the checkpoint in %s: %s; starting afresh", ckpt_dir, problem)
        return None
    model.load_state_dict(weights)
    if ema is not None:
        for k in ema:
            ema[k].copy_(tensors[f"ema.{k}"])
    torch.set_rng_state(tensors["rng.torch"])
    _restore_cuda_rng(tensors, ckpt_dir)
    return meta, best


def _fingerprint_changes(old: Any, new: dict[str, Any] | None) -> str:
    """The options in which a checkpoint's fingerprint and this run's differ
    (``lr 0.001, now 0.003; epochs 20, now 30``), or ``""`` when the checkpoint predates stored
    fingerprints."""
    if not isinstance(old, dict) or new is None:
        return ""

    def short(value: Any) -> str:
        text = json.dumps(value, default=str)
        return text if len(text) <= 40 else text[:37] + "..."

    new = json.loads(json.dumps(new, default=str))  # as stored: tuples become lists
    old_cfg, new_cfg = old.get("config") or {}, new.get("config") or {}
    parts = [f"{k} {short(old_cfg.get(k))}, now {short(new_cfg.get(k))}"
             for k in sorted(set(old_cfg) | set(new_cfg)) if old_cfg.get(k) != new_cfg.get(k)]
    parts += [f"the {what} changed" for what in ("seed", "tasks", "splits") if old.get(what) != new.get(what)]
    return "; ".join(parts)


def _state_mismatch(shapes: dict[str, tuple[int, ...]], got: dict[str, torch.Tensor], what: str) -> str:
    """Why the tensors ``got`` do not fit the expected ``shapes`` (missing, extra or reshaped), or ``""``."""
    missing = sorted(set(shapes) - set(got))
    extra = sorted(set(got) - set(shapes))
    reshaped = sorted(k for k in set(shapes) & set(got) if tuple(got[k].shape) != shapes[k])
    if not (missing or extra or reshaped):
        return ""
    parts = [f"{label} {', '.join(keys[:3])}{' ...' if len(keys) > 3 else ''}"
             for label, keys in (("missing", missing), ("unexpected", extra), ("of another shape", reshaped)) if keys]
    return f"its {what} do not fit the model ({'; '.join(parts)})"
