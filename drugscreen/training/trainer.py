"""The trainer: ensembles of graph models on one dataset or a joint panel.

:func:`train` runs a :class:`~drugscreen.training.config.TrainConfig` end to end: load and
split the data, train every member (early stopping on the validation split only),
calibrate classification probabilities on validation, choose the applicability-domain
threshold on validation, evaluate on test, and write the bundle, the resolved config, the
metrics and one run record per seed (``drugscreen.run/1``, see DEVELOPERS.md).

Training is deterministic given the seed (torch and numpy generators seeded per member and
epoch). Every epoch writes a checkpoint (JSON + safetensors, no pickles) under
``<output>/.checkpoints``; rerunning the same command resumes from it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import resource
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from drugscreen.exceptions import ConfigError, DatasetError, DatasetNotAvailableError
from drugscreen.jsonio import write_json
from drugscreen.training.calibration import apply_calibration, fit_calibration
from drugscreen.training.checkpoints import _load_checkpoint, _save_checkpoint
from drugscreen.training.config import TrainConfig
from drugscreen.training.data import HEAD_DESCRIPTORS, TrainingData, build_training_data
from drugscreen.training.forest_blend import ForestBlend, _bundle_forest, _forest_blend
from drugscreen.training.losses import masked_loss, pos_weights
from drugscreen.training.metrics import expected_calibration_error, task_metrics, to_units
from drugscreen.training.output_dir import (
    _CHECKPOINTS,
    _nothing_written,
    _remove_stale_seed_runs,
    prepare_output_dir,
)

__all__ = ["MemberResult", "TrainResult", "fit_member", "prepare_output_dir", "train", "train_on_data", "train_single_run"]

logger = logging.getLogger(__name__)

RUN_SCHEMA = "drugscreen.run/1"


@dataclass
class MemberResult:
    """One trained ensemble member."""

    seed: int
    member_seed: int
    state: dict[str, torch.Tensor]
    history: list[dict[str, float]]
    best_epoch: int
    train_s: float


@dataclass
class TrainResult:
    """What :func:`train` produced."""

    config: TrainConfig
    output_dir: Path | None
    bundle_path: Path | None
    run_records: list[dict[str, Any]]
    metrics: dict[str, Any]
    members: list[MemberResult] = field(default_factory=list, repr=False)
    #: Screening bundles written (``bundle_path``, or one per seed for random-type splits with
    #: several seeds); empty for ``rf`` (benchmark runs only) or without an output directory.
    bundle_paths: list[Path] = field(default_factory=list)


# ----------------------------------------------------------------------------- helpers


def _device(name: str) -> torch.device:
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("--device cuda was asked for but torch sees no CUDA device")
    if name.startswith("cuda:") and int(name[5:]) >= torch.cuda.device_count():
        raise ConfigError(f"--device {name} was asked for but torch sees {torch.cuda.device_count()} CUDA device(s), "
                          "numbered from 0")
    return torch.device(name)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


#: Options that act only after a member's training (a checkpoint stays valid when they change).
_POST_TRAINING_KEYS = ("head_finetune_epochs", "forest", "calibration")
#: The set before ``forest`` and ``calibration`` joined it: checkpoints fingerprinted with it
#: are still accepted (the same training, only fingerprinted differently).
_LEGACY_POST_TRAINING_KEYS = ("head_finetune_epochs",)

#: Options that do not change a member's trained weights: where the data and caches live, how
#: many threads or worker processes run it, labels, and which other seeds/members are trained
#: (each member's seed and the split's checksum are fingerprinted on their own). ``device`` is
#: kept: CPU and CUDA runs differ numerically.
_RESULT_NEUTRAL_KEYS = ("num_threads", "workers", "data_dir", "cache_dir", "name", "description", "seeds", "ensemble")


def _trunk_config(config: TrainConfig, post_keys: tuple[str, ...] = _POST_TRAINING_KEYS) -> dict[str, Any]:
    """The part of the config a checkpoint's fingerprint depends on (see ``_RESULT_NEUTRAL_KEYS``)."""
    skip = set(post_keys) | set(_RESULT_NEUTRAL_KEYS)
    d = {k: v for k, v in config.to_dict().items() if k not in skip}
    if not d.get("ema_decay"):
        d.pop("ema_decay", None)  # off: checkpoints written before the option existed stay valid
    if not d.get("head_descriptors"):
        d.pop("head_descriptors", None)  # likewise
    for key in ("smiles_column", "targets", "task_type", "tables"):  # a file dataset's options, likewise
        if not d.get(key):
            d.pop(key, None)
    d["dataset"] = [_dataset_identity(x) for x in d["dataset"]]
    if "tables" in d:
        d["tables"] = {_dataset_identity(k): v for k, v in sorted(d["tables"].items())}
    return d


def _dataset_identity(name: str) -> str:
    """What a checkpoint's fingerprint records of one ``dataset`` entry: a registered name as
    is; a user's table by its content (the path as typed would make the same file given another
    way retrain, and an edited file at the same path resume on checkpoints of its old labels)."""
    from drugscreen.data.files import sha256_file
    from drugscreen.data.loaders import is_table_path, table_name

    if not is_table_path(name) or not Path(name).is_file():
        return name
    return f"table:{table_name(name)}:{sha256_file(name)}"


def _config_hash(d: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _task_weights(data: TrainingData, config: TrainConfig) -> np.ndarray:
    """Per-task weight of one labelled entry, from the dataset weighting policy."""
    n_tasks = data.n_tasks
    w = np.ones(n_tasks, dtype=np.float64)
    counts = []
    for d in data.datasets:
        a, b = d.task_slice
        n_lab = float((~np.isnan(data.train.y[:, a:b])).sum())
        frac = float(config.epoch_fraction.get(d.name, 1.0))
        counts.append(max(n_lab * frac, 1.0))
    counts_a = np.array(counts)
    if config.dataset_weighting == "equal":
        share = np.ones_like(counts_a)
    elif config.dataset_weighting == "sqrt":
        share = np.sqrt(counts_a)
    else:
        share = counts_a.copy()
    for k, d in enumerate(data.datasets):
        share[k] *= float(config.dataset_weights.get(d.name, 1.0))
    share = share / share.sum() * counts_a.sum()
    for k, d in enumerate(data.datasets):
        a, b = d.task_slice
        w[a:b] = share[k] / counts_a[k]
    return w


def _scaler(y: np.ndarray, is_cls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = np.zeros(y.shape[1])
    std = np.ones(y.shape[1])
    for t in np.flatnonzero(~is_cls):
        col = y[:, t][~np.isnan(y[:, t])]
        if len(col):
            mean[t] = col.mean()
            std[t] = col.std() if col.std() > 0 else 1.0
    return mean, std


def _epoch_rows(data: TrainingData, config: TrainConfig, rng: np.random.Generator) -> np.ndarray:
    """Training rows used this epoch (per-dataset sub-sampling), shuffled."""
    rows = np.arange(len(data.train))
    if config.epoch_fraction:
        keep = np.ones(len(rows), dtype=bool)
        has_pos = np.nan_to_num(data.train.y, nan=0.0).max(axis=1) > 0.5 if data.n_tasks else np.zeros(len(rows), bool)
        for k, d in enumerate(data.datasets):
            frac = config.epoch_fraction.get(d.name)
            if frac is None or frac >= 1.0:
                continue
            sel = (data.train.dataset_index == k) & ~(has_pos & data.is_classification[d.task_slice[0] : d.task_slice[1]].any())
            keep[sel] = rng.random(int(sel.sum())) < frac
        rows = rows[keep]
    return rng.permutation(rows)


def _extra_tensor(
    data_fps: np.ndarray, rows: np.ndarray | slice, config: TrainConfig, device: torch.device, desc: np.ndarray | None = None
) -> torch.Tensor | None:
    """The model's extra input: ECFP4 bits (``ecfp``), scaled descriptors (``descriptors``) or
    bits then scaled descriptors (``ecfp+descriptors``)."""
    if config.extra_features == "none":
        return None
    from drugscreen.domain import unpack_bits

    parts = []
    if config.extra_features in ("ecfp", "ecfp+descriptors"):
        parts.append(unpack_bits(data_fps[rows]))
    if config.extra_vector:
        if desc is None:
            raise ConfigError(f"extra_features = {config.extra_features!r} needs the scaled descriptors (build_training_data(descriptors=True))")
        parts.append(np.asarray(desc[rows], dtype=np.float32))
    return torch.from_numpy(parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)).to(device)


def _build_model(data: TrainingData, config: TrainConfig) -> Any:
    from drugscreen.featurizers.graph import GraphFeaturizer
    from drugscreen.models import build_model

    params = dict(config.model_params)
    params.setdefault("atom_dim", GraphFeaturizer.atom_dim)
    params.setdefault("bond_dim", GraphFeaturizer.bond_dim)
    params["n_tasks"] = data.n_tasks
    if config.extra_vector and data.train.desc is None:
        raise ConfigError(f"extra_features = {config.extra_features!r} needs data built with descriptors=True")
    if config.extra_features == "ecfp":
        params["extra_dim"] = 2048
    elif config.extra_vector:
        offset = 2048 if config.extra_features == "ecfp+descriptors" else 0
        n_desc = int(data.train.desc.shape[1])
        params["extra_dim"] = offset + n_desc
        if config.head_descriptors:
            from drugscreen.featurizers.base import build_featurizer

            names = build_featurizer(data.descriptors["featurizer"]).names if data.descriptors else []
            missing = sorted({n for v in config.head_descriptors.values() for n in v} - set(names))
            if missing or len(names) != n_desc:
                raise ConfigError(f"head_descriptors needs data built with head_descriptors=True (descriptors: {', '.join(names) or 'none'})")
            params["extra_dim"] = offset + sum(n not in HEAD_DESCRIPTORS for n in names)  # they come last
            params["head_extra_columns"] = [
                [offset + names.index(n) for n in config.head_descriptors.get(d.name, [])] for d in data.datasets
            ]
    if config.model == "fp_mlp" and config.extra_features == "none":
        raise ConfigError("fp_mlp needs extra_features (ecfp, descriptors or ecfp+descriptors)")
    if config.head == "per_dataset":
        params["head_groups"] = data.group_sizes
    return build_model({"name": config.model, "params": params})


def _predict_raw(
    model: Any, graphs: list[Any], fps: np.ndarray, config: TrainConfig, device: torch.device, batch_size: int = 512,
    desc: np.ndarray | None = None,
) -> np.ndarray:
    from drugscreen.featurizers.graph import collate

    model.eval()
    out = np.empty((len(graphs), model.n_tasks))
    with torch.inference_mode():
        for s in range(0, len(graphs), batch_size):
            e = min(s + batch_size, len(graphs))
            batch = collate(graphs[s:e]).to(device)
            ex = _extra_tensor(fps, slice(s, e), config, device, desc)
            out[s:e] = model(batch, ex).double().cpu().numpy()
    return out


def _selection_score(data: TrainingData, y: np.ndarray, pred: np.ndarray, std: np.ndarray) -> tuple[float, dict[str, float]]:
    """Mean over datasets of validation ROC-AUC (classification) or 1 - RMSE/sd (regression)."""
    from sklearn.metrics import roc_auc_score

    scores: dict[str, float] = {}
    for d in data.datasets:
        a, b = d.task_slice
        vals = []
        for t in range(a, b):
            ok = ~np.isnan(y[:, t])
            if not ok.any():
                continue
            if data.is_classification[t]:
                if len(np.unique(y[ok, t])) == 2:
                    vals.append(roc_auc_score(y[ok, t], pred[ok, t]))
            else:
                vals.append(1.0 - math.sqrt(np.mean((y[ok, t] - pred[ok, t]) ** 2)) / std[t])
        if vals:
            scores[d.name] = float(np.mean(vals))
    return (float(np.mean(list(scores.values()))) if scores else float("nan")), scores


def _selection_label(data: TrainingData) -> str:
    """What :func:`_selection_score` measures, as the epoch lines name it: ``ROC-AUC`` when every
    task is a classification, ``1-RMSE/sd`` when every task is a regression (the validation RMSE
    in training-label standard deviations, taken from 1: higher is better, 0 is as good as
    predicting the mean), and ``score`` for a mix (their mean over datasets)."""
    kinds = set(map(bool, data.is_classification))
    if kinds == {True}:
        return "ROC-AUC"
    if kinds == {False}:
        return "1-RMSE/sd"
    return "score"


def _unscorable_valid(data: TrainingData, std: np.ndarray) -> str:
    """Why :func:`_selection_score` can score no task on the validation part ("" when it can
    score one): the part is empty, or no task has what its metric needs there."""
    if len(data.valid) == 0:
        return "no validation molecules"
    y = data.valid.y
    score, _ = _selection_score(data, y, np.nan_to_num(y), std)  # the labels as predictions: a number when scorable
    return ("no validation task can be scored (a classification task needs both classes, a regression task two "
            "labels)") if math.isnan(score) else ""




# ----------------------------------------------------------------------------- one member


def _update_ema(ema: dict[str, torch.Tensor], model: Any, decay: float) -> None:
    """``ema = decay * ema + (1 - decay) * weights`` for float tensors; others are copied."""
    with torch.no_grad():
        for k, v in model.state_dict().items():
            if v.dtype.is_floating_point:
                ema[k].mul_(decay).add_(v.detach(), alpha=1.0 - decay)
            else:
                ema[k].copy_(v)


def fit_member(
    data: TrainingData,
    config: TrainConfig,
    member_seed: int,
    checkpoint_dir: Path | None = None,
    progress: bool = False,
    on_epoch: Callable[[dict[str, float]], None] | None = None,
) -> tuple[Any, list[dict[str, float]], int]:
    """Train one model; return it (best validation epoch's weights), its history and best epoch."""
    from drugscreen.featurizers.graph import collate

    device = _device(config.device)
    torch.set_num_threads(max(1, int(config.num_threads)))
    torch.manual_seed(member_seed)
    model = _build_model(data, config).to(device)
    is_cls = data.is_classification
    mean, std = _scaler(data.train.y, is_cls)
    y_train = data.train.y.copy()
    y_train[:, ~is_cls] = (y_train[:, ~is_cls] - mean[~is_cls]) / std[~is_cls]
    y_train_t = torch.from_numpy(y_train).float()
    cls_t = torch.from_numpy(is_cls).to(device)
    tw = torch.from_numpy(_task_weights(data, config)).float().to(device)
    pw = torch.from_numpy(pos_weights(data.train.y, is_cls, config.pos_weight)).float().to(device)

    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = max(1, math.ceil(len(data.train) / config.batch_size))
    if config.epoch_fraction:
        steps_per_epoch = max(1, math.ceil(len(_epoch_rows(data, config, np.random.default_rng(0))) / config.batch_size))
    total = steps_per_epoch * config.epochs
    warm = steps_per_epoch * config.warmup_epochs

    def lr_at(step: int) -> float:
        if step < warm:
            return config.lr * (0.1 + 0.9 * step / max(warm, 1))
        frac = (step - warm) / max(total - warm, 1)
        return config.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))

    task_ids = [(t["dataset"], t["column"], t["type"]) for t in data.tasks]  # names are labels only
    splits = [getattr(d, "split_sha256", None) for d in data.datasets]  # the data a member is trained on
    fingerprint = {"config": _trunk_config(config), "seed": member_seed, "tasks": task_ids, "splits": splits}
    chash = _config_hash(fingerprint)
    legacy = _config_hash({"config": _trunk_config(config, _LEGACY_POST_TRAINING_KEYS), "seed": member_seed,
                           "tasks": task_ids, "splits": splits})
    history: list[dict[str, float]] = []
    best_score, best_epoch, start_epoch = -math.inf, -1, 0
    # a validation part on which no task can be scored (none, or one class only: a small
    # MoleculeEstimator holdout) chooses no epoch: train every epoch and keep the last
    no_valid = _unscorable_valid(data, std)
    if no_valid:
        logger.warning("member seed %d: %s, so there is no early stopping: all %d epochs are trained and the last "
                       "epoch's weights kept", member_seed, no_valid, config.epochs)
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    # exponential moving average of the weights (config.ema_decay > 0): validated and kept instead
    ema = {k: v.detach().clone() for k, v in model.state_dict().items()} if config.ema_decay > 0 else None
    step = 0
    if checkpoint_dir is not None:
        loaded = _load_checkpoint(checkpoint_dir, model, opt, chash, ema, also=(legacy,), fingerprint=fingerprint)
        if loaded is not None:
            meta, best_state = loaded
            history, best_score, best_epoch = meta["history"], meta["best_score"], meta["best_epoch"]
            start_epoch, step = meta["epoch"] + 1, meta["step"]
            if meta.get("done"):
                model.load_state_dict(best_state)
                return model, history, best_epoch
            logger.info("resuming member seed %d from epoch %d", member_seed, start_epoch)

    valid_label = _selection_label(data)
    bar = None
    if progress:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        bar = Progress(TextColumn("member {task.fields[seed]} epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), TextColumn("{task.fields[info]}"), transient=True)
        bar.start()
        task_id = bar.add_task("train", total=steps_per_epoch, seed=member_seed, epoch=start_epoch, info="")
    try:
        for epoch in range(start_epoch, config.epochs):
            t0 = time.perf_counter()
            model.train()
            rng = np.random.default_rng([member_seed, epoch])
            rows = _epoch_rows(data, config, rng)
            losses = []
            if bar is not None:
                bar.reset(task_id, total=math.ceil(len(rows) / config.batch_size), epoch=epoch)
            for s in range(0, len(rows), config.batch_size):
                idx = rows[s : s + config.batch_size]
                if len(idx) < 2 and len(rows) > 2 and config.batch_size > 1:
                    continue  # a lone molecule left over at the end of the epoch (not with --batch-size 1)
                batch = collate([data.train.graphs[i] for i in idx]).to(device)
                ex = _extra_tensor(data.train.fps, idx, config, device, data.train.desc)
                for g in opt.param_groups:
                    g["lr"] = lr_at(step)
                pred = model(batch, ex)
                loss = masked_loss(pred, y_train_t[idx].to(device), cls_t, tw, pw)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if config.grad_clip > 0:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                opt.step()
                if ema is not None:
                    _update_ema(ema, model, min(config.ema_decay, (1 + step) / (10 + step)))
                losses.append(float(loss.detach()))
                step += 1
                if bar is not None:
                    bar.advance(task_id)
            train_s = time.perf_counter() - t0
            live = None
            if ema is not None:  # validate (and keep) the averaged weights
                live = {k: v.detach().clone() for k, v in model.state_dict().items()}
                model.load_state_dict(ema)
            raw = _predict_raw(model, data.valid.graphs, data.valid.fps, config, device, desc=data.valid.desc)
            val_pred = to_units(raw, is_cls, mean, std)
            score, per_ds = _selection_score(data, data.valid.y, val_pred, std)
            rec = {"epoch": epoch, "train_loss": float(np.mean(losses)) if losses else float("nan"), "valid_score": score,
                   "lr": lr_at(step), "epoch_s": time.perf_counter() - t0, "train_s": train_s,
                   **{f"valid_{k}": v for k, v in per_ds.items()}}
            history.append(rec)
            improved = score > best_score or (bool(no_valid) and epoch == config.epochs - 1)
            if improved:
                best_score, best_epoch = score, epoch
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            if live is not None:
                model.load_state_dict(live)
            logger.info(
                "seed %d epoch %d: loss %.4f valid %s %.4f%s (%.0f s) %s",
                member_seed, epoch, rec["train_loss"], valid_label, score, " *" if improved else "", rec["epoch_s"],
                " ".join(f"{k}={v:.3f}" for k, v in per_ds.items()) if len(per_ds) > 1 else "",
            )
            if bar is not None:
                bar.update(task_id, info=f"loss {rec['train_loss']:.3f} valid {valid_label} {score:.3f}")
            stop = (not no_valid and epoch - best_epoch >= config.patience and epoch + 1 >= config.min_epochs) or epoch == config.epochs - 1
            if checkpoint_dir is not None:
                _save_checkpoint(checkpoint_dir, model, best_state, opt, {
                    "config_hash": chash, "fingerprint": fingerprint, "epoch": epoch, "step": step, "history": history,
                    "best_score": best_score, "best_epoch": best_epoch, "done": stop,
                }, ema)
            if on_epoch is not None:
                on_epoch(rec)
            if stop:
                if epoch - best_epoch >= config.patience:
                    logger.info("seed %d: early stop at epoch %d (best %d)", member_seed, epoch, best_epoch)
                break
    finally:
        if bar is not None:
            bar.stop()
    if best_epoch < 0 and history:
        # a NaN score never improves: keeping best_state would ship the untrained weights
        raise DatasetError(
            f"member seed {member_seed}: the validation score was not a number in any of {len(history)} epochs "
            "(the predictions diverged: try a lower --lr), so no epoch can be chosen"
        )
    model.load_state_dict(best_state)
    model.eval()
    return model, history, best_epoch


# ----------------------------------------------------------------------------- head fine-tuning


def _embed_all(model: Any, part: Any, config: TrainConfig, device: torch.device, batch_size: int = 512) -> torch.Tensor:
    from drugscreen.featurizers.graph import collate

    model.eval()
    chunks = []
    with torch.inference_mode():
        for s in range(0, len(part.graphs), batch_size):
            e = min(s + batch_size, len(part.graphs))
            batch = collate(part.graphs[s:e]).to(device)
            chunks.append(model.embed(batch, _extra_tensor(part.fps, slice(s, e), config, device, part.desc)).cpu())
    return torch.cat(chunks) if chunks else torch.zeros((0, model.embed_dim))


def finetune_heads(model: Any, data: TrainingData, config: TrainConfig, member_seed: int) -> dict[str, dict[str, float]]:
    """Re-fit each dataset's head on the frozen trunk, keeping a new head only if validation improves.

    Returns, per dataset, the validation score before and after (and whether it was kept).
    """
    import copy

    from drugscreen.models.heads import GroupedHead

    device = _device(config.device)
    torch.manual_seed(member_seed + 7919)
    is_cls = data.is_classification
    mean, std = _scaler(data.train.y, is_cls)
    z_train = _embed_all(model, data.train, config, device)
    z_valid = _embed_all(model, data.valid, config, device)
    y_train = data.train.y.copy()
    y_train[:, ~is_cls] = (y_train[:, ~is_cls] - mean[~is_cls]) / std[~is_cls]
    y_train_t = torch.from_numpy(y_train).float()
    pw_all = torch.from_numpy(pos_weights(data.train.y, is_cls, config.pos_weight)).float()
    if isinstance(model.head, GroupedHead):
        groups = [(d, model.head.heads[k], model.head.group_input(z_train, k), model.head.group_input(z_valid, k))
                  for k, d in enumerate(data.datasets)]
    else:
        groups = [(None, model.head, z_train, z_valid)]
    report: dict[str, dict[str, float]] = {}
    for d, head, zg_train, zg_valid in groups:
        a, b = (d.task_slice if d is not None else (0, data.n_tasks))
        name = d.name if d is not None else "all"
        rows = np.flatnonzero((~np.isnan(data.train.y[:, a:b])).any(axis=1))
        if len(rows) == 0:
            continue
        cls_t = torch.from_numpy(is_cls[a:b])

        def score(h: Any, a: int = a, b: int = b, name: str = name, d: Any = d, zv: torch.Tensor = zg_valid) -> float:
            h.eval()
            with torch.inference_mode():
                raw = h(zv).double().numpy()
            full = np.zeros((len(zv), data.n_tasks))
            full[:, a:b] = raw
            pred = to_units(full, is_cls, mean, std)
            s, per = _selection_score(data, data.valid.y, pred, std)
            return per.get(name, s) if d is not None else s

        base = score(head)
        best, best_state = base, copy.deepcopy(head.state_dict())
        work = copy.deepcopy(head)
        opt = torch.optim.AdamW(work.parameters(), lr=config.lr * 0.5, weight_decay=config.weight_decay)
        rng = np.random.default_rng([member_seed, 104729, a])
        since = 0
        for _epoch in range(config.head_finetune_epochs):
            work.train()
            order = rng.permutation(rows)
            for s in range(0, len(order), 256):
                idx = order[s : s + 256]
                loss = masked_loss(work(zg_train[idx]), y_train_t[idx, a:b], cls_t, None, pw_all[a:b])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            sc = score(work)
            if sc > best:
                best, best_state, since = sc, copy.deepcopy(work.state_dict()), 0
            else:
                since += 1
                if since >= max(3, config.patience):
                    break
        kept = best > base
        if kept:
            head.load_state_dict(best_state)
        head.eval()
        report[name] = {"valid_before": base, "valid_after": best, "kept": float(kept)}
        logger.info("seed %d head %s: valid %.4f -> %.4f%s", member_seed, name, base, best, " (kept)" if kept else "")
    model.eval()
    return report


# ----------------------------------------------------------------------------- evaluation


def _evaluate(data: TrainingData, part_name: str, pred: np.ndarray) -> dict[str, Any]:
    """Per-dataset metrics on one split part (each dataset on its own rows and tasks)."""
    part = getattr(data, part_name)
    out: dict[str, Any] = {}
    for k, d in enumerate(data.datasets):
        a, b = d.task_slice
        rows = part.dataset_index == k
        cls = data.is_classification[a:b]
        names = np.array([t["column"] for t in data.tasks[a:b]])
        merged: dict[str, Any] = {"per_task": {}}
        for kind, sel in (("classification", cls), ("regression", ~cls)):
            if sel.any():
                cols = np.flatnonzero(sel) + a
                m = task_metrics(part.y[rows][:, cols], pred[rows][:, cols], list(names[sel]), kind)
                merged["per_task"].update(m.pop("per_task"))
                merged.update(m)
        out[d.name] = merged
    return out


def _ece_by_dataset(data: TrainingData, part_name: str, pred: np.ndarray) -> dict[str, float]:
    part = getattr(data, part_name)
    out = {}
    for k, d in enumerate(data.datasets):
        a, b = d.task_slice
        if not data.is_classification[a:b].any():
            continue
        rows = part.dataset_index == k
        vals = [expected_calibration_error(part.y[rows, t], pred[rows, t]) for t in range(a, b) if data.is_classification[t]]
        vals = [v for v in vals if not math.isnan(v)]
        out[d.name] = float(np.mean(vals)) if vals else float("nan")
    return out


def _blend(units: np.ndarray, blend: ForestBlend | None, member: int, part: str) -> np.ndarray:
    """A member's values with its seed's forest blended in (unchanged without a forest)."""
    if blend is None:
        return units
    forest = blend.member_preds[member][part]
    return blend.weights * units + (1.0 - blend.weights) * np.nan_to_num(forest)


def _ensemble_eval(
    data: TrainingData, config: TrainConfig, raws: dict[str, list[np.ndarray]], mean: np.ndarray, std: np.ndarray,
    blend: ForestBlend | None = None,
) -> dict[str, Any]:
    """Calibrate on valid, then metrics/ECE on valid and test for an ensemble of raw outputs
    (each member blended with its seed's forest first when ``blend`` is given)."""
    is_cls = data.is_classification
    probs = {
        p: np.stack([_blend(to_units(r, is_cls, mean, std), blend, i, p) for i, r in enumerate(raws[p])])
        for p in ("valid", "test")
    }
    ens = {p: probs[p].mean(axis=0) for p in probs}
    groups = {d.name: tuple(d.task_slice) for d in data.datasets}
    calib = fit_calibration(data.valid.y, ens["valid"], is_cls, config.calibration, groups=groups)
    cal = {p: apply_calibration(ens[p], calib) for p in ens}
    return {
        "calibration": calib,
        "pred": cal,
        "members": {p: np.stack([apply_calibration(m, calib) for m in probs[p]]) for p in probs},
        "metrics": {p: _evaluate(data, p, cal[p]) for p in cal},
        "ece_before": {p: _ece_by_dataset(data, p, ens[p]) for p in ens},
        "ece_after": {p: _ece_by_dataset(data, p, cal[p]) for p in cal},
    }


# ----------------------------------------------------------------------------- run records


def _run_record(data: TrainingData, config: TrainConfig, dataset_k: int, seed: int, ev: dict[str, Any], times: dict[str, float]) -> dict[str, Any]:
    from drugscreen.bundle import bundle_versions

    d = data.datasets[dataset_k]
    metrics: dict[str, Any] = {}
    for p in ("valid", "test"):
        m = dict(ev["metrics"][p][d.name])
        if d.name in ev["ece_before"][p]:
            m["ece_uncalibrated"] = ev["ece_before"][p].get(d.name)
            m["ece"] = ev["ece_after"][p].get(d.name)
        metrics[p] = m
    rec = {
        "schema": RUN_SCHEMA,
        "dataset": d.name,
        "model": config.model,
        "split": config.split,
        "seed": seed,
        "config": config.to_dict(),
        "versions": bundle_versions(),
        "data_sha256": d.sha256,
        "split_sha256": d.split_sha256,
        "metrics": metrics,
        "times": dict(times),
        "peak_rss_mb": _peak_rss_mb(),
        "host": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(), "device": config.device},
        "n": {"train": d.n_train, "valid": d.n_valid, "test": d.n_test, "removed_leak": d.n_removed_leak},
    }
    if len(data.datasets) > 1:
        rec["trained_with"] = [x.name for x in data.datasets]
    return rec


def _mean_sd(values: list[float]) -> dict[str, float]:
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not vals:
        return {"mean": float("nan"), "sd": float("nan"), "n": 0}
    return {"mean": float(np.mean(vals)), "sd": float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0, "n": len(vals)}


def summarize_records(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean ± sd over seeds of the test metrics, per dataset."""
    out: dict[str, Any] = {}
    by_ds: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_ds.setdefault(r["dataset"], []).append(r)
    for name, recs in by_ds.items():
        keys = [k for k in ("roc_auc", "prc_auc", "ece", "ece_uncalibrated", "rmse", "mae", "r2") if k in recs[0]["metrics"]["test"]]
        out[name] = {k: _mean_sd([r["metrics"]["test"].get(k) for r in recs]) for k in keys}
        out[name]["seeds"] = [r["seed"] for r in recs]
    return out


# ----------------------------------------------------------------------------- entry points


def _train_rf(
    data: TrainingData, config: TrainConfig, seed: int, mean: np.ndarray, std: np.ndarray
) -> tuple[dict[str, list[np.ndarray]], float, float]:
    """The ``rf`` baseline's valid/test outputs in the networks' raw space (logits; regression
    values scaled by the training ``mean``/``std``), so that :func:`_ensemble_eval` treats them as
    a network's."""
    from drugscreen.domain import unpack_bits
    from drugscreen.models import ECFPRandomForest

    is_cls = data.is_classification
    params = {k: v for k, v in config.model_params.items() if k in ECFPRandomForest().get_params()}
    t0 = time.perf_counter()
    rf = ECFPRandomForest(task_types=["classification" if c else "regression" for c in is_cls], random_state=seed, **params)
    rf.fit(unpack_bits(data.train.fps), data.train.y)
    train_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    out: dict[str, list[np.ndarray]] = {}
    for p in ("valid", "test"):
        pr = rf.predict(unpack_bits(getattr(data, p).fps))
        # back to "raw" space so _ensemble_eval can treat it like a network's output
        raw = pr.copy()
        raw[:, is_cls] = np.log(np.clip(pr[:, is_cls], 1e-6, 1 - 1e-6) / np.clip(1 - pr[:, is_cls], 1e-6, 1))
        # the forest predicts regression values in units; _ensemble_eval scales raw outputs back
        # with mean/std (without this, RMSE was measured on values * sd + mean: 8.2 for FreeSolv's 4.4)
        raw[:, ~is_cls] = (pr[:, ~is_cls] - mean[~is_cls]) / std[~is_cls]
        out[p] = [raw]
    return out, train_s, time.perf_counter() - t1



_FORK_STATE: dict[str, Any] = {}


def _fork_worker(job: tuple[int, int, str]) -> int:
    seed, i, ckpt = job
    data, config = _FORK_STATE["data"], _FORK_STATE["config"]
    torch.set_num_threads(max(1, int(config.num_threads)))
    fit_member(data, config, seed + 1000 * i, Path(ckpt), progress=False)
    return seed + 1000 * i


def _train_members_in_parallel(data: TrainingData, config: TrainConfig, out: Path) -> None:
    """Train all members in ``config.workers`` forked processes; results land in the checkpoints.

    The parent then reads each finished member back from its checkpoint (``fit_member``
    returns at once for a checkpoint marked done), so the rest of the pipeline is unchanged.
    """
    import multiprocessing as mp

    jobs = [(s, i, str(out / ".checkpoints" / f"seed{s}_member{i}")) for s in config.seeds for i in range(config.ensemble)]
    _FORK_STATE.update(data=data, config=config)
    ctx = mp.get_context("fork")
    with ctx.Pool(processes=min(config.workers, len(jobs)), maxtasksperchild=1) as pool:
        for done in pool.imap_unordered(_fork_worker, jobs):
            logger.info("member seed %d finished", done)
    _FORK_STATE.clear()


def _extra_features_config(data: TrainingData, config: TrainConfig) -> dict[str, Any] | None:
    """The bundle's ``extra_features`` entry (what :class:`~drugscreen.bundle.ModelBundle` feeds the models)."""
    from drugscreen.domain import ECFP4_CONFIG

    if config.extra_features == "ecfp":
        return {"kind": "fingerprint", "fingerprint": ECFP4_CONFIG}
    if config.extra_vector:
        if data.descriptors is None:
            raise ConfigError(f"extra_features = {config.extra_features!r} needs data built with descriptors=True")
        if config.extra_features != "ecfp+descriptors":  # descriptors, or a featurizer's vectors
            return {"kind": "descriptors", **data.descriptors}
        return {"kind": "fingerprint+descriptors", "fingerprint": ECFP4_CONFIG, **data.descriptors}
    return None


def _range_evidence(data: TrainingData, errors: dict[str, np.ndarray]) -> dict[str, Any]:
    """Per dataset, held-out errors inside vs outside its training descriptor range
    (``{"valid": [...], "test": [...]}``; empty without recorded ranges)."""
    from drugscreen.descriptor_ranges import DescriptorRanges, range_error_evidence

    if not data.descriptor_ranges:
        return {}
    ranges = DescriptorRanges.from_dict(data.descriptor_ranges)
    out = {}
    for p, err in errors.items():
        part = getattr(data, p)
        if part.desc_raw is not None:
            raw = part.desc_raw[:, : len(ranges.names)]  # a head-descriptor set appends columns
            out[p] = range_error_evidence(ranges, raw, part.dataset_index, err)
    return out


def train_on_data(
    data: TrainingData,
    config: TrainConfig,
    output_dir: str | os.PathLike[str] | None = None,
    progress: bool = False,
    save: bool = True,
    *,
    keep_checkpoints: bool = False,
    command: str | None = None,
) -> TrainResult:
    """Train every seed's ensemble on prepared data; write outputs when ``output_dir`` is given.

    The members' checkpoints (``output_dir/.checkpoints``) are removed once the outputs are
    written, unless ``keep_checkpoints`` (one seed of a longer run: a resumed run then reads its
    finished members back instead of training them again). ``command`` (the command line that
    started the run) is recorded in the bundle's config (``training.command``) and on its card.
    """
    from drugscreen.bundle import bundle_versions, save_bundle
    from drugscreen.domain import (
        ECFP4_CONFIG,
        choose_threshold,
        distinct_fingerprints,
        domain_error_evidence,
        max_tanimoto,
        per_molecule_error,
    )

    torch.set_num_threads(max(1, int(config.num_threads)))
    out = Path(output_dir) if output_dir is not None else None
    is_cls = data.is_classification
    mean, std = _scaler(data.train.y, is_cls)
    members: list[MemberResult] = []
    raws_by_seed: dict[int, dict[str, list[np.ndarray]]] = {}
    times_by_seed: dict[int, dict[str, float]] = {}
    device = _device(config.device)
    for seed in config.seeds:
        raws_by_seed[seed] = {"valid": [], "test": []}
        if config.model == "rf":
            raws, train_s, pred_s = _train_rf(data, config, seed, mean, std)
            raws_by_seed[seed] = raws
            times_by_seed[seed] = {"train_s": train_s, "predict_s": pred_s}
            continue
        t_train, t_pred = 0.0, 0.0
        for i in range(config.ensemble):
            if config.workers > 1 and out is not None and seed == config.seeds[0] and i == 0:
                _train_members_in_parallel(data, config, out)
            member_seed = seed + 1000 * i
            ckpt = out / ".checkpoints" / f"seed{seed}_member{i}" if out is not None else None
            t0 = time.perf_counter()
            model, history, best_epoch = fit_member(data, config, member_seed, ckpt, progress)
            dt = sum(h.get("epoch_s", 0.0) for h in history) or (time.perf_counter() - t0)
            if config.head_finetune_epochs > 0:
                t_ft = time.perf_counter()
                head_report = finetune_heads(model, data, config, member_seed)
                history = [*history, {"head_finetune": head_report, "finetune_s": time.perf_counter() - t_ft}]
                dt += time.perf_counter() - t_ft
            t_train += dt
            t1 = time.perf_counter()
            for p in ("valid", "test"):
                part = getattr(data, p)
                raws_by_seed[seed][p].append(_predict_raw(model, part.graphs, part.fps, config, device, desc=part.desc))
            t_pred += time.perf_counter() - t1
            state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            members.append(MemberResult(seed, member_seed, state, history, best_epoch, dt))
            logger.info("seed %d member %d: best epoch %d, %.0f s", seed, i, best_epoch, dt)
        times_by_seed[seed] = {"train_s": t_train, "predict_s": t_pred}

    blend = None
    if config.forest and members:
        t0 = time.perf_counter()
        blend = _forest_blend(data, config, raws_by_seed, mean, std)
        for seed in config.seeds:
            times_by_seed[seed]["forest_s"] = (time.perf_counter() - t0) / len(config.seeds)

    # per-seed evaluation -> run records
    records: list[dict[str, Any]] = []
    offset = 0
    for seed in config.seeds:
        n_seed = len(raws_by_seed[seed]["valid"])
        seed_blend = None
        if blend is not None:
            seed_blend = ForestBlend(blend.weights, blend.member_preds[offset : offset + n_seed], blend.by_dataset, [])
        offset += n_seed
        ev = _ensemble_eval(data, config, raws_by_seed[seed], mean, std, seed_blend)
        for k in range(len(data.datasets)):
            records.append(_run_record(data, config, k, seed, ev, times_by_seed[seed]))
    summary = summarize_records(records)

    result = TrainResult(config=config, output_dir=out, bundle_path=None, run_records=records, metrics={"summary": summary}, members=members)
    if config.model == "rf" or not members:
        if out is not None and save:
            _write_outputs(out, config, records, result.metrics)
        return result

    # whole ensemble (all seeds' members): calibration, domain, metrics stored in the bundle
    all_raws = {p: [r for s in config.seeds for r in raws_by_seed[s][p]] for p in ("valid", "test")}
    ev = _ensemble_eval(data, config, all_raws, mean, std, blend)
    train_fps, train_fps_datasets = distinct_fingerprints(data.train.fps, data.train.dataset_index, len(data.datasets))
    sim_valid = max_tanimoto(data.valid.fps, train_fps)
    sim_test = max_tanimoto(data.test.fps, train_fps)
    err_valid = per_molecule_error(data.valid.y, ev["pred"]["valid"], is_cls, std)
    err_test = per_molecule_error(data.test.y, ev["pred"]["test"], is_cls, std)
    # errors are compared within datasets (relative to each dataset's mean): pooled raw errors
    # would mostly say which dataset a molecule comes from
    names = [d.name for d in data.datasets]
    chosen = choose_threshold(sim_valid, err_valid, groups=data.valid.dataset_index)
    evidence = {
        "valid": domain_error_evidence(sim_valid, err_valid, chosen["threshold"], data.valid.dataset_index, names),
        "test": domain_error_evidence(sim_test, err_test, chosen["threshold"], data.test.dataset_index, names),
        "error": "mean over labelled tasks of |y - p| (classification, calibrated p) or |y - y_hat| / sd_train (regression)",
    }
    range_evidence = _range_evidence(data, {"valid": err_valid, "test": err_test})
    ensemble_metrics = {
        p: {
            name: {k: v for k, v in m.items() if k != "per_task"} | {"per_task": m["per_task"]}
            for name, m in ev["metrics"][p].items()
        }
        for p in ("valid", "test")
    }
    for p in ("valid", "test"):
        for name in ensemble_metrics[p]:
            if name in ev["ece_before"][p]:
                ensemble_metrics[p][name]["ece_uncalibrated"] = ev["ece_before"][p][name]
                ensemble_metrics[p][name]["ece"] = ev["ece_after"][p][name]
    result.metrics = {"summary": summary, "ensemble": ensemble_metrics}
    bundle_config = {
        "name": config.name or ("_".join(d.name for d in data.datasets) + f"_{config.model}"),
        "description": config.description,
        "kind": "graph_ensemble",
        "versions": bundle_versions(),
        "featurizer": data.featurizer_config,
        "standardizer": data.standardizer_config,
        "extra_features": _extra_features_config(data, config),
        "model": {"name": config.model, "params": _build_model(data, config).params()},
        "member_seeds": [m.member_seed for m in members],
        "tasks": data.tasks,
        "scalers": {"y": {"mean": [None if c else float(m) for c, m in zip(is_cls, mean, strict=True)],
                          "std": [None if c else float(s) for c, s in zip(is_cls, std, strict=True)]}},
        "calibration": ev["calibration"],
        "domain": {"fingerprint": ECFP4_CONFIG, "threshold": chosen["threshold"], "selection": chosen,
                   "n_train_fps": int(len(train_fps)), "datasets": [d.name for d in data.datasets], "evidence": evidence,
                   "descriptor_ranges": data.descriptor_ranges, "range_evidence": range_evidence},
        "data": {d.name: {"sha256": d.sha256, "split_sha256": d.split_sha256, "n_molecules": d.n_molecules,
                          "n_train": d.n_train, "n_valid": d.n_valid, "n_test": d.n_test,
                          "n_train_removed_leak": d.n_removed_leak}
                 | ({"rows": dict(d.load_stats)} if d.load_stats else {}) for d in data.datasets},
        "split": {"kind": config.split, "sizes": [0.8, 0.1, 0.1], "per_dataset": True},
        "metrics": result.metrics,
        "training": {"config": config.to_dict(), "train_s": sum(m.train_s for m in members),
                     "member_best_epochs": [m.best_epoch for m in members],
                     "member_train_s": [m.train_s for m in members],
                     "torch_threads": torch.get_num_threads(), "cpus": os.cpu_count(), "device": config.device}
        | ({"command": command, "working_dir": os.getcwd()} if command else {}),
    }
    forest = None
    if blend is not None and (blend.weights < 1.0).any():
        forest, bundle_config["forest"] = _bundle_forest(data, config, blend)
    if out is not None and save:
        from drugscreen.training.card import render_card

        result.bundle_path = save_bundle(
            out, bundle_config, [m.state for m in members], train_fps, config.weights_dtype, forest=forest,
            train_fps_datasets=train_fps_datasets,
        )
        (out / "MODEL_CARD.md").write_text(render_card(out))
        result.bundle_paths = [result.bundle_path]
        _write_outputs(out, config, records, result.metrics, members)
        if not keep_checkpoints:
            shutil.rmtree(out / ".checkpoints", ignore_errors=True)
    result.metrics["bundle_config"] = bundle_config
    return result


def _write_outputs(out: Path, config: TrainConfig, records: list[dict[str, Any]], metrics: dict[str, Any], members: list[MemberResult] | None = None) -> None:
    write_json(out / "train_config.json", config.to_dict())
    write_json(out / "metrics.json", {k: v for k, v in metrics.items() if k != "bundle_config"})
    for r in records:
        write_json(out / "runs" / f"{r['dataset']}_{r['model']}_{r['split']}_seed{r['seed']}.json", r)
    if members:
        write_json(out / "history.json", [{"member_seed": m.member_seed, "best_epoch": m.best_epoch, "history": m.history} for m in members])



def _offline_hint(exc: DatasetNotAvailableError) -> DatasetNotAvailableError:
    """The offline-data error with the options ``train`` honours (it has no ``--data-dir``)."""
    msg = str(exc).replace(" (or --data-dir)", "")
    return DatasetNotAvailableError(f"{msg}, or give data_dir = \"...\" in the --config TOML file")


def train(
    config: TrainConfig, output_dir: str | os.PathLike[str] | None = None, progress: bool = False, overwrite: bool = False,
    *, command: str | None = None, _nested: bool = False, _keep_checkpoints: bool = False,
) -> TrainResult:
    """Train a configuration end to end and (with ``output_dir``) write the bundle and records.

    Parameters
    ----------
    config
        What to train.
    output_dir
        Bundle directory; also receives ``train_config.json``, ``metrics.json``,
        ``history.json``, ``runs/*.json`` and, while running, ``.checkpoints/``. For ``rf``
        only the metrics and run records are written (no bundle); for a random-type split with
        several seeds, one bundle per seed in ``seed<N>/``. A directory holding a finished run
        or other files is refused unless ``overwrite`` (see :func:`prepare_output_dir`); an
        interrupted run in it is resumed.
    progress
        Show a progress bar (the CLI passes ``True`` only on a terminal without ``-q``).
    overwrite
        Replace the outputs of a previous run in ``output_dir``.
    command
        The command line that started the run (the CLI's ``drugscreen train ...``), recorded in
        each bundle's ``config.json`` (``training.command``, with the working directory its
        relative paths are read from) and shown on its card.
    """
    out = Path(output_dir) if output_dir is not None else None
    if out is not None and not _nested:
        created = not out.exists()
        prepare_output_dir(out, overwrite)
        try:
            result = train(config, out, progress, command=command, _nested=True)
        except BaseException as exc:
            if _nothing_written(out):  # failed before any output or checkpoint: leave no trace
                (out / _CHECKPOINTS).rmdir()
                if created:
                    out.rmdir()
            elif isinstance(exc, KeyboardInterrupt):
                logger.warning(
                    "training interrupted; re-running the same command (same --output %s) resumes from the last "
                    "finished epoch", out,
                )
            raise
        _remove_stale_seed_runs(out, config)
        shutil.rmtree(out / _CHECKPOINTS, ignore_errors=True)
        return result
    if config.split != "scaffold" and len(config.seeds) > 1:
        # random-type splits depend on the seed: one data build per seed
        # each seed's checkpoints stay until every seed is done: a resumed run reads the finished
        # seeds' members back instead of training them again
        results = [train(TrainConfig.from_dict({**config.to_dict(), "seeds": [s]}), None if out is None else out / f"seed{s}",
                         progress, command=command, _nested=True, _keep_checkpoints=True) for s in config.seeds]
        records = [r for res in results for r in res.run_records]
        summary = {"summary": summarize_records(records)}
        if out is not None:
            for s in config.seeds:
                shutil.rmtree(out / f"seed{s}" / _CHECKPOINTS, ignore_errors=True)
            # the figures over seeds (the CLI prints them) kept beside the per-seed bundles
            write_json(out / "metrics.json", {**summary, "bundles": [f"seed{s}" for s in config.seeds if (out / f"seed{s}").is_dir()]})
        return TrainResult(config, out, None, records, summary,
                           [m for res in results for m in res.members], [b for res in results for b in res.bundle_paths])
    from drugscreen.models import MODELS

    MODELS.get(config.model)  # an unknown model name fails here, before the data are loaded
    _device(config.device)  # so does --device cuda without a GPU
    torch.set_num_threads(max(1, int(config.num_threads)))
    t0 = time.perf_counter()
    try:
        data = build_training_data(
            config.dataset, config.split, config.seeds[0], config.data_dir, config.cache_dir,
            descriptors=config.extra_vector, extra_featurizer=config.extra_featurizer,
            head_descriptors=bool(config.head_descriptors),
            table_options={"smiles_column": config.smiles_column, "targets": config.targets or None,
                           "task_type": config.task_type, "invalid_dir": out},
            per_table=config.tables,
        )
    except DatasetNotAvailableError as exc:
        raise _offline_hint(exc) from None
    if data.meta.get("unscorable_valid"):
        raise DatasetError("; ".join(data.meta["unscorable_valid"]))  # each says why no epoch could be chosen
    if out is not None and config.model != "rf":  # a screening bundle will be written
        _check_endpoint_columns(data.tasks)
    logger.info(
        "data ready in %.1f s: %d train / %d valid / %d test molecules, %d tasks from %s",
        time.perf_counter() - t0, len(data.train), len(data.valid), len(data.test), data.n_tasks, ", ".join(d.name for d in data.datasets),
    )
    return train_on_data(data, config, out, progress, keep_checkpoints=_keep_checkpoints, command=command)


def _check_endpoint_columns(tasks: list[dict[str, Any]]) -> None:
    """Refuse tasks whose output column in ``drugscreen screen`` would be one of the columns it
    writes itself (``mw``, ``qed``, ``score``, ``in_domain`` ..., or another endpoint's ``_unc``):
    the prediction would be replaced by that column in the output, silently. Also refused: a
    column that differs from such a column, or from another endpoint's, only in case (``MW``).

    Raises
    ------
    DatasetError
        Naming the table column and what the screen column holds.
    """
    from drugscreen.messages import snake_name
    from drugscreen.screening.screener import (
        case_collisions,
        column_collisions,
        endpoint_column_name,
    )

    columns = [endpoint_column_name(t) for t in tasks]
    clashes, in_case = column_collisions(columns), case_collisions(columns)
    for task, col in zip(tasks, columns, strict=True):
        if col not in clashes and col not in in_case:
            continue
        # a joint panel names a single-task dataset's endpoint after the dataset (the file), not the column
        named_by_file = task["name"] != task["column"] and task["name"] == snake_name(task["dataset"])
        fix = (f"rename the file (e.g. {task['dataset']}_assay.csv)" if named_by_file
               else f"rename the column in the table (e.g. {task['column']}_measured)")
        if col in clashes:
            raise DatasetError(
                f"{task['dataset']}: column {task['column']!r} would be the endpoint column {col!r}, which `drugscreen screen` "
                f"also writes ({clashes[col]}): its predictions would be lost; {fix}"
            )
        other, what = in_case[col]
        raise DatasetError(
            f"{task['dataset']}: column {task['column']!r} would be the endpoint column {col!r}, which would differ only in "
            f"case from {other!r} ({what}) in `drugscreen screen`'s output, and spreadsheets and databases take the two "
            f"for one column; {fix}"
        )


def train_single_run(
    dataset: str,
    model: str,
    split: str = "scaffold",
    seed: int = 0,
    output_dir: str | os.PathLike[str] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Train one (dataset, model, split, seed) cell and return its run record (``drugscreen.run/1``).

    ``options`` are other :class:`TrainConfig` fields (``epochs``, ``model_params``, ...).
    With ``output_dir`` the bundle and records are written there too.
    """
    config = TrainConfig.from_dict({"dataset": [dataset], "model": model, "split": split, "seeds": [seed], **options})
    result = train(config, output_dir)
    return result.run_records[0]


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use `drugscreen train`")
