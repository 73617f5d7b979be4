"""Training and evaluation of the affinity model on DAVIS (pKd) and KIBA (KIBA score).

One model, two tasks (one output per dataset; each trained on its own standardized values).
Training walks over *blocks* of pairs: drugs and targets of a dataset are shuffled into groups
and each (drug group x target group) block of measured pairs is one mini-batch. Each drug and
each target of a block is encoded once, whatever the number of pairs (DAVIS is a complete
matrix: a block of 68 drugs x 12 targets is ~800 pairs for 80 encodings). Drug graphs are
featurized once up front.

Model selection uses the validation part only: the weights of the epoch with the best mean
validation concordance index are kept; the test part is scored once at the end.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from drugscreen.repurposing.splits import PairSplit, group_split, group_targets

__all__ = ["AffinityTask", "TrainConfig", "evaluate_affinity", "load_affinity_tasks", "make_splits", "predict_pairs", "train_affinity"]

logger = logging.getLogger(__name__)

DAVIS_BINDER_PKD = 7.0


@dataclass
class AffinityTask:
    """One affinity dataset, featurized: drugs (graphs), targets (sequences) and pairs."""

    name: str
    drug_ids: list[str]
    drug_smiles: list[str]  # standardized canonical SMILES
    graphs: list[Any]  # MolGraph per drug
    target_ids: list[str]
    sequences: list[str]
    drug_idx: np.ndarray
    target_idx: np.ndarray
    value: np.ndarray
    sha256: dict[str, str] = field(default_factory=dict)
    fps: np.ndarray | None = None  # ECFP4 bits per drug (zeros for drugs left out)


def _read_dataset(name: str, data_dir: str | None) -> tuple[list[str], list[str], list[str], list[str], np.ndarray, np.ndarray, np.ndarray, dict[str, str]]:
    from drugscreen.data import load_affinity

    ds = load_affinity(name, data_dir)
    return (
        ds.drug_ids,
        ds.drug_smiles,
        ds.target_ids,
        ds.target_sequences,
        ds.drug_idx,
        ds.target_idx,
        ds.value,
        ds.sha256,
    )


def load_affinity_tasks(names: Sequence[str] = ("davis", "kiba"), data_dir: str | None = None) -> list[AffinityTask]:
    """Load and featurize affinity datasets; drugs that fail to parse are left out with their pairs.

    Drugs are standardized with the datasets' policy
    (:data:`~drugscreen.featurizers.molecule.DATASET_STANDARDIZER`), so a radical KIBA drug
    stays and the pairs, and the splits drawn from them, are those the model was trained on."""
    from drugscreen.featurizers.graph import GraphFeaturizer
    from drugscreen.featurizers.molecule import DATASET_STANDARDIZER, prepare_molecule

    feat = GraphFeaturizer()
    tasks = []
    for name in names:
        drug_ids, smiles, target_ids, seqs, di, ti, val, sha = _read_dataset(name, data_dir)
        graphs: list[Any] = []
        std: list[str] = []
        ok = np.zeros(len(smiles), dtype=bool)
        for i, s in enumerate(smiles):
            p = prepare_molecule(s, DATASET_STANDARDIZER)
            if p.valid:
                ok[i] = True
                graphs.append(feat(p.mol))
                std.append(p.smiles_std)
            else:
                graphs.append(None)
                std.append("")
                logger.warning("%s: drug %s left out: %s", name, drug_ids[i], p.error)
        keep = ok[di]
        from drugscreen.models.affinity import ecfp4_bits

        mols_ok = [prepare_molecule(std[i], DATASET_STANDARDIZER).mol for i in range(len(smiles)) if ok[i]]
        fps = np.zeros((len(smiles), 1024), dtype=np.uint8)
        fps[ok] = ecfp4_bits(mols_ok, 1024)
        tasks.append(
            AffinityTask(name, list(drug_ids), std, graphs, list(target_ids), list(seqs), di[keep], ti[keep], val[keep].astype(np.float64), sha, fps)
        )
        logger.info("%s: %d drugs, %d targets, %d pairs", name, len(drug_ids), len(target_ids), int(keep.sum()))
    return tasks


def make_splits(tasks: Sequence[AffinityTask], kind: str, seed: int = 0, frac_valid: float = 0.1, frac_test: float = 0.1) -> dict[str, PairSplit]:
    """Split every task's pairs; cold splits group drugs/targets jointly across tasks."""
    rng = np.random.default_rng(seed)
    out: dict[str, PairSplit] = {}
    if kind == "warm":
        for t in tasks:
            perm = rng.permutation(len(t.value))
            n_te, n_va = int(round(frac_test * len(perm))), int(round(frac_valid * len(perm)))
            out[t.name] = PairSplit(np.sort(perm[n_te + n_va :]), np.sort(perm[n_te : n_te + n_va]), np.sort(perm[:n_te]))
        return out
    if kind == "cold_target":
        ids = [tid for t in tasks for tid in t.target_ids]
        seqs = [s for t in tasks for s in t.sequences]
        groups = group_targets(ids, seqs)
    elif kind == "cold_drug":
        keys = [s or f"{t.name}:{d}" for t in tasks for d, s in zip(t.drug_ids, t.drug_smiles, strict=True)]
        _, groups = np.unique(keys, return_inverse=True)
    else:
        raise ValueError(f"unknown split kind {kind!r} (choose from warm, cold_drug, cold_target)")
    train, valid, test = group_split(groups, seed, frac_valid, frac_test)
    offset = 0
    for t in tasks:
        n = len(t.target_ids) if kind == "cold_target" else len(t.drug_ids)
        part = np.full(n, 0, dtype=np.int64)
        part[valid[offset : offset + n]] = 1
        part[test[offset : offset + n]] = 2
        offset += n
        where = part[t.target_idx] if kind == "cold_target" else part[t.drug_idx]
        out[t.name] = PairSplit(*(np.nonzero(where == k)[0] for k in range(3)))
    return out


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run."""

    epochs: int = 20
    lr: float = 2e-3
    weight_decay: float = 1e-5
    drug_block: int = 256
    target_block: dict[str, int] = field(default_factory=lambda: {"davis": 12, "kiba": 48})
    n_members: int = 4
    bootstrap: float = 0.8
    max_minutes: float = 12.0
    seed: int = 0
    threads: int = 1
    model: dict[str, Any] = field(default_factory=lambda: {"drug": {"hidden": 96, "layers": 3, "fp_bits": 1024}})

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _blocks(task: AffinityTask, pairs: np.ndarray, cfg: TrainConfig, rng: np.random.Generator) -> list[np.ndarray]:
    """Mini-batches of pair indices, one per (drug group x target group) block."""
    drugs = rng.permutation(len(task.drug_ids))
    targets = rng.permutation(len(task.target_ids))
    dgroup = np.empty(len(drugs), dtype=np.int64)
    dgroup[drugs] = np.arange(len(drugs)) // cfg.drug_block
    tgroup = np.empty(len(targets), dtype=np.int64)
    tgroup[targets] = np.arange(len(targets)) // cfg.target_block.get(task.name, 16)
    n_tg = int(tgroup.max()) + 1
    key = dgroup[task.drug_idx[pairs]] * n_tg + tgroup[task.target_idx[pairs]]
    order = np.argsort(key, kind="stable")
    bounds = np.nonzero(np.diff(key[order]))[0] + 1
    return [pairs[b] for b in np.split(order, bounds) if len(b)]


def _batch_inputs(task: AffinityTask, pairs: np.ndarray) -> tuple[Any, Any, Any, Any, Any]:
    import torch

    from drugscreen.models.affinity import drug_batch, encode_sequences, sequence_composition

    d_u, d_inv = np.unique(task.drug_idx[pairs], return_inverse=True)
    t_u, t_inv = np.unique(task.target_idx[pairs], return_inverse=True)
    graphs = drug_batch([task.graphs[i] for i in d_u], None if task.fps is None else task.fps[d_u])
    seqs = [task.sequences[i] for i in t_u]
    return graphs, encode_sequences(seqs), sequence_composition(seqs), torch.from_numpy(d_inv), torch.from_numpy(t_inv)


def predict_pairs(model: Any, task: AffinityTask, pairs: np.ndarray, task_col: int, chunk_targets: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Standardized predictions (member mean, member sd) for the given pairs of ``task``."""
    import torch

    from drugscreen.models.affinity import drug_batch, encode_sequences, sequence_composition

    model.eval()
    mean = np.zeros(len(pairs))
    sd = np.zeros(len(pairs))
    with torch.inference_mode():
        d_u = np.unique(task.drug_idx[pairs])
        fp = task.fps if model.drug.fp_bits else None
        d_emb = torch.cat(
            [model.drug(drug_batch([task.graphs[i] for i in d_u[s : s + 512]], None if fp is None else fp[d_u[s : s + 512]])) for s in range(0, len(d_u), 512)]
        )
        d_pos = np.full(len(task.drug_ids), -1)
        d_pos[d_u] = np.arange(len(d_u))
        t_u = np.unique(task.target_idx[pairs])
        for s in range(0, len(t_u), chunk_targets):
            chunk = t_u[s : s + chunk_targets]
            seqs = [task.sequences[i] for i in chunk]
            p_emb = model.protein(encode_sequences(seqs, model.max_len), sequence_composition(seqs))
            t_pos = np.full(len(task.target_ids), -1)
            t_pos[chunk] = np.arange(len(chunk))
            sel = np.nonzero(np.isin(task.target_idx[pairs], chunk))[0]
            out = model.score(d_emb, p_emb, torch.from_numpy(d_pos[task.drug_idx[pairs[sel]]]), torch.from_numpy(t_pos[task.target_idx[pairs[sel]]]))
            out = out[:, :, task_col].numpy()
            mean[sel] = out.mean(axis=1)
            sd[sel] = out.std(axis=1)
    return mean, sd


def _evaluate(model: Any, tasks: Sequence[AffinityTask], splits: dict[str, PairSplit], part: str, scalers: dict[str, tuple[float, float]], full: bool) -> dict[str, Any]:
    from drugscreen.repurposing.evaluation import per_target_ranking, regression_metrics

    out: dict[str, Any] = {}
    for col, t in enumerate(tasks):
        pairs = getattr(splits[t.name], part)
        if len(pairs) == 0:
            continue
        mu, sigma = scalers[t.name]
        pred, sd = predict_pairs(model, t, pairs, col)
        pred = pred * sigma + mu
        y = t.value[pairs]
        m = regression_metrics(y, pred)
        if full:
            thr = DAVIS_BINDER_PKD if t.name == "davis" else None
            m["per_target"] = per_target_ranking(t.target_idx[pairs], y, pred, binder_threshold=thr)
            m["mean_member_sd"] = float(np.mean(sd) * sigma)
        out[t.name] = m
    return out


def evaluate_affinity(
    model: Any, tasks: Sequence[AffinityTask], splits: dict[str, PairSplit], part: str, scalers: dict[str, tuple[float, float]]
) -> dict[str, Any]:
    """Metrics of ``model`` on one part (``"valid"`` or ``"test"``) of every task: MSE, CI,
    Spearman, Pearson, per-target ranking (DAVIS binders: pKd >= 7) and mean member sd.

    ``tasks`` must be in the model's task order (one output column per task).
    """
    return _evaluate(model, tasks, splits, part, scalers, full=True)


def train_affinity(tasks: Sequence[AffinityTask], splits: dict[str, PairSplit], cfg: TrainConfig) -> tuple[Any, dict[str, Any]]:
    """Train an :class:`~drugscreen.models.affinity.AffinityModel`; returns it and a run record.

    The record holds the scalers, per-epoch validation metrics, the chosen epoch, and valid and
    test metrics of the chosen weights (MSE, CI, Spearman; per-target ranking on test).
    """
    import torch

    from drugscreen.featurizers.graph import GraphFeaturizer
    from drugscreen.models.affinity import AffinityModel

    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    names = [t.name for t in tasks]
    scalers = {}
    for t in tasks:
        y = t.value[splits[t.name].train]
        scalers[t.name] = (float(y.mean()), float(y.std()))
    model_kwargs = {"tasks": names, "n_members": cfg.n_members, **cfg.model}
    model = AffinityModel(GraphFeaturizer.atom_dim, GraphFeaturizer.bond_dim, **model_kwargs)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    total_steps = cfg.epochs * sum(len(_blocks(t, splits[t.name].train, cfg, np.random.default_rng(0))) for t in tasks)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=max(total_steps, 1), pct_start=0.1)
    history: list[dict[str, Any]] = []
    best: tuple[float, int, dict[str, Any]] | None = None
    start = time.perf_counter()
    step = 0
    for epoch in range(cfg.epochs):
        model.train()
        batches = [(col, b) for col, t in enumerate(tasks) for b in _blocks(t, splits[t.name].train, cfg, rng)]
        order = rng.permutation(len(batches))
        losses = []
        for k in order:
            col, pairs = batches[k]
            t = tasks[col]
            mu, sigma = scalers[t.name]
            graphs, tokens, comp, d_inv, t_inv = _batch_inputs(t, pairs)
            out = model(graphs, tokens, comp, d_inv, t_inv)[:, :, col]  # (pairs, members)
            y = torch.from_numpy((t.value[pairs] - mu) / sigma).float().unsqueeze(1)
            mask = torch.from_numpy(rng.random(out.shape) < cfg.bootstrap).float()
            loss = (((out - y) ** 2) * mask).sum() / mask.sum().clamp(min=1)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            if step < total_steps - 1:
                sched.step()
            step += 1
            losses.append(float(loss.detach()))
        valid = _evaluate(model, tasks, splits, "valid", scalers, full=False)
        score = float(np.nanmean([v["ci"] for v in valid.values()])) if valid else -epoch
        elapsed = time.perf_counter() - start
        history.append({"epoch": epoch, "train_loss": float(np.mean(losses)), "valid": valid, "minutes": elapsed / 60})
        logger.info("epoch %d loss %.4f valid %s (%.1f min)", epoch, np.mean(losses), {k: round(v["ci"], 4) for k, v in valid.items()}, elapsed / 60)
        if best is None or score > best[0]:
            best = (score, epoch, {k: v.detach().clone() for k, v in model.state_dict().items()})
        if elapsed / 60 > cfg.max_minutes:
            logger.info("time budget of %.1f min reached after epoch %d", cfg.max_minutes, epoch)
            break
    assert best is not None
    model.load_state_dict(best[2])
    train_s = time.perf_counter() - start
    record = {
        "config": cfg.to_json(),
        "model": model_kwargs,
        "scalers": {k: list(v) for k, v in scalers.items()},
        "best_epoch": best[1],
        "epochs_run": len(history),
        "history": history,
        "metrics": {
            "valid": _evaluate(model, tasks, splits, "valid", scalers, full=True),
            "test": _evaluate(model, tasks, splits, "test", scalers, full=True),
        },
        "times": {"train_s": train_s},
        "sizes": {t.name: {k: int(len(getattr(splits[t.name], k))) for k in ("train", "valid", "test")} for t in tasks},
    }
    if not math.isfinite(record["metrics"]["test"].get(names[0], {}).get("ci", float("nan"))):
        logger.warning("test CI is not finite")
    return model, record
