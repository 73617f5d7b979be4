"""Training and evaluation of the affinity model on DAVIS (pKd) and KIBA (KIBA score).

One model, two tasks (one output per dataset; each trained on its own standardized values).
Training walks over *blocks* of pairs: drugs and targets of a dataset are shuffled into groups
and each (drug group x target group) block of measured pairs is one mini-batch. Each drug and
each target of a block is encoded once, whatever the number of pairs (DAVIS is a complete
matrix: a block of 68 drugs x 12 targets is ~800 pairs for 80 encodings). Drug graphs are
featurized once up front.

Model selection uses the validation part only: the weights of the epoch with the best mean
validation concordance index are kept (without validation pairs, the last epoch's); the test
part is scored once at the end.

One's own measured pairs train the same way::

    task = affinity_task_from_table("pairs.csv", "mine", value_column="pKd")  # smiles, sequence, pKd
    splits = make_splits([task], "cold_target", seed=0)
    model, record = train_affinity([task], splits, TrainConfig(epochs=30))
    save_affinity_bundle(model, {"model": record["model"], "scalers": record["scalers"]}, "my_model")
    load_affinity_bundle("my_model").predict(smiles, sequence)  # values in the table's units
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

__all__ = [
    "AffinityTask",
    "TrainConfig",
    "affinity_task_from_table",
    "evaluate_affinity",
    "load_affinity_tasks",
    "make_splits",
    "predict_pairs",
    "train_affinity",
]

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

    def __post_init__(self) -> None:
        """Check that the pairs fit the drugs and targets, and clean the sequences.

        Sequences are cleaned as :func:`~drugscreen.featurizers.protein.validate_sequence` does
        (upper case, no white space or trailing ``*``), as the repurposer cleans its query.
        ``graphs`` may be empty (a task used for splitting only); training needs one per drug.

        Raises
        ------
        InputFormatError
            Lists of other lengths, a pair naming a drug or target that is not there, or a
            value that is not a finite number.
        InvalidSequenceError
            A target sequence with a character that is not a letter (naming the target).
        """
        from drugscreen.exceptions import InputFormatError, InvalidSequenceError
        from drugscreen.featurizers.protein import validate_sequence

        name = self.name
        if len(self.drug_smiles) != len(self.drug_ids):
            raise InputFormatError(f"task {name!r}: {len(self.drug_ids)} drug ids but {len(self.drug_smiles)} drug SMILES")
        if len(self.sequences) != len(self.target_ids):
            raise InputFormatError(f"task {name!r}: {len(self.target_ids)} target ids but {len(self.sequences)} sequences")
        if len(self.graphs) not in (0, len(self.drug_ids)):
            raise InputFormatError(f"task {name!r}: {len(self.graphs)} drug graphs for {len(self.drug_ids)} drugs")
        if self.fps is not None and len(self.fps) != len(self.drug_ids):
            raise InputFormatError(f"task {name!r}: {len(self.fps)} fingerprint rows for {len(self.drug_ids)} drugs")
        cleaned = []
        for tid, seq in zip(self.target_ids, self.sequences, strict=True):
            try:
                cleaned.append(validate_sequence(seq))
            except InvalidSequenceError as exc:
                raise InvalidSequenceError(f"task {name!r}, target {tid!r}: {exc}") from None
        self.sequences = cleaned
        value = np.asarray(self.value, dtype=np.float64)
        n = len(value)
        for label, idx, size in (("drug", self.drug_idx, len(self.drug_ids)), ("target", self.target_idx, len(self.target_ids))):
            arr = np.asarray(idx)
            if arr.shape != (n,):
                raise InputFormatError(f"task {name!r}: {label}_idx has shape {arr.shape}, value has {n} pairs")
            if arr.dtype.kind not in "biuf":
                raise InputFormatError(f"task {name!r}: {label}_idx must hold 0-based positions in {label}s, not {arr.dtype} values")
            pos = arr.astype(np.float64)
            ok = (pos == np.floor(pos)) & (pos >= 0) & (pos < size)
            if not ok.all():
                bad = int(np.nonzero(~ok)[0][0])
                raise InputFormatError(
                    f"task {name!r}: pair {bad} names {label} {arr[bad].item()!r}, not a position among its {size} {label}s (0..{size - 1})"
                )
        bad_values = np.nonzero(~np.isfinite(value))[0]
        if len(bad_values):
            i = int(bad_values[0])
            raise InputFormatError(
                f"task {name!r}: {len(bad_values)} pairs without a finite value (first: pair {i}, drug "
                f"{self.drug_ids[int(self.drug_idx[i])]!r}, target {self.target_ids[int(self.target_idx[i])]!r}: {value[i]}); "
                "leave unmeasured pairs out"
            )
        self.drug_idx = np.asarray(self.drug_idx, dtype=np.int64)
        self.target_idx = np.asarray(self.target_idx, dtype=np.int64)
        self.value = value


def _check_featurized(task: AffinityTask, pairs: np.ndarray, fp_bits: int) -> None:
    """Refuse a task whose drugs lack what the model's drug encoder reads, in one clear line
    (not an AttributeError from inside the graph library)."""
    from drugscreen.exceptions import InputFormatError

    hint = "build the task with affinity_task_from_table(), which featurizes the drugs"
    used = np.unique(task.drug_idx[pairs])
    if not task.graphs:
        raise InputFormatError(f"task {task.name!r} has no drug graphs (graphs=[]): {hint}")
    missing = [task.drug_ids[i] for i in used if task.graphs[i] is None]
    if missing:
        raise InputFormatError(f"task {task.name!r}: {len(missing)} drugs of its pairs have no graph (first: {missing[0]!r}); leave their pairs out")
    if fp_bits:
        if task.fps is None:
            raise InputFormatError(
                f"task {task.name!r} has no ECFP4 fingerprints (fps) but the model's drug encoder reads {fp_bits} bits: "
                f"{hint}, or pass fps=ecfp4_bits(mols, {fp_bits})"
            )
        if task.fps.ndim != 2 or task.fps.shape[1] != fp_bits:
            raise InputFormatError(
                f"task {task.name!r}: fingerprints of {task.fps.shape[-1]} bits, the model's drug encoder reads {fp_bits}"
            )


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


def affinity_task_from_table(
    table: Any,
    name: str,
    *,
    smiles_column: str = "smiles",
    sequence_column: str = "sequence",
    value_column: str = "value",
    target_column: str | None = None,
    fp_bits: int = 1024,
) -> AffinityTask:
    """An :class:`AffinityTask` of one's own measured pairs, featurized for training.

    Parameters
    ----------
    table
        A DataFrame, or a file ``drugscreen screen`` reads (CSV/TSV ...), one row per measured
        (drug, target) pair.
    name
        The task's name (the model's output; ``"davis"`` is the repurposer's ``pred_pkd``).
    smiles_column, sequence_column, value_column
        The drug's SMILES, the target's amino-acid sequence and the measured value. Values must
        grow with binding strength (pKd, pKi, pIC50 or a KIBA score): a column named as a
        concentration (``Kd``, ``IC50_nM`` ...) is refused; convert with 9 - log10(nM).
    target_column
        Target names (default: ``target 1``, ``target 2`` ... in order of first appearance);
        rows with one sequence are one target either way.
    fp_bits
        ECFP4 bits per drug for the drug encoder's fingerprint path (the model's
        ``drug.fp_bits``; 0 for none).

    Drugs are standardized as the repurposer's library is and are one drug per standardized
    SMILES (named by it); sequences are checked as a repurposing query is
    (:func:`drugscreen.repurposing.inputs.validate_sequence`). Rows whose SMILES cannot be
    parsed or whose value is missing or not a number are left out, with a warning naming the
    first ones.

    Raises
    ------
    InputFormatError
        A missing column, a value column named as a concentration, a target name given two
        sequences, or no usable row.
    InvalidSequenceError
        A sequence that is not a protein's (naming its row).
    """
    import pandas as pd

    from drugscreen.exceptions import InputFormatError
    from drugscreen.featurizers.graph import GraphFeaturizer
    from drugscreen.featurizers.molecule import prepare_molecule
    from drugscreen.io import is_missing
    from drugscreen.models.affinity import ecfp4_bits
    from drugscreen.repurposing.inputs import concentration_column_reason, validate_sequence

    if isinstance(table, pd.DataFrame):
        df, source = table.reset_index(drop=True), f"task {name!r}"
    else:
        from pathlib import Path

        from drugscreen.io import read_table

        path = Path(table)
        if not path.is_file():
            raise InputFormatError(f"affinity table not found: {path}")
        df, source = read_table(path, smiles_column=smiles_column).reset_index(drop=True), str(path)
    from drugscreen.messages import did_you_mean

    columns = [str(c) for c in df.columns]
    found: dict[Any, Any] = {}  # each column asked for -> the table's: exact, else the one column equal in any case
    for c in (smiles_column, sequence_column, value_column, target_column):
        if c is None:
            continue
        same_case = [col for col in df.columns if str(col).lower() == str(c).lower()]
        found[c] = c if c in df.columns else (same_case[0] if len(same_case) == 1 else None)
    missing = [c for c, col in found.items() if col is None]
    if missing:
        hint = "".join(did_you_mean(str(c), columns, n=1) for c in missing)
        raise InputFormatError(f"{source}: no column {', '.join(map(repr, missing))}{hint}; columns: {columns}")
    df = df.rename(columns={col: c for c, col in found.items() if col != c})
    reason = concentration_column_reason(value_column)
    if reason is not None:
        raise InputFormatError(
            f"{source}: value column {value_column!r} looks like a concentration ({reason}); the model ranks higher values "
            "as stronger binders, so give a -log10 molar value such as pKd = 9 - log10(Kd in nM)"
        )
    values = pd.to_numeric(df[value_column], errors="coerce").to_numpy(dtype=np.float64)
    finite = values[np.isfinite(values)]
    if len(finite) and finite.min() > 0 and finite.max() > 20 and finite.max() >= 1000 * finite.min():
        # pKd/pKi lie in 0..14 and KIBA scores in 0..17.2; positive values over three orders of
        # magnitude are concentrations (Kd/IC50 in nM), whose order is the reverse of binding strength
        logger.warning(
            "%s: values of %r span %g..%g, like concentrations (nM): the model ranks higher values as stronger binders; "
            "if these are Kd/Ki/IC50, give pX = 9 - log10(value in nM) instead", source, value_column, finite.min(), finite.max(),
        )  # fmt: skip
    seq_of: dict[str, str] = {}  # raw text -> cleaned sequence
    target_of: dict[str, int] = {}  # target key -> position
    target_ids: list[str] = []
    sequences: list[str] = []
    drug_of: dict[str, int] = {}
    drug_smiles: list[str] = []
    mols: list[Any] = []
    di: list[int] = []
    ti: list[int] = []
    vals: list[float] = []
    skipped: list[str] = []
    for row, (smi, raw_seq) in enumerate(zip(df[smiles_column].tolist(), df[sequence_column].tolist(), strict=True)):
        text = "" if is_missing(raw_seq) else str(raw_seq)
        if text not in seq_of:
            seq_of[text] = validate_sequence(text, name=f"{source}, row {row + 1}")
        seq = seq_of[text]
        label = None if target_column is None else df[target_column].iloc[row]
        key = seq if label is None or is_missing(label) else str(label).strip()
        if key in target_of and sequences[target_of[key]] != seq:
            raise InputFormatError(f"{source}, row {row + 1}: target {key!r} was given another sequence on an earlier row")
        if not np.isfinite(values[row]):
            raw = df[value_column].iloc[row]
            skipped.append(f"row {row + 1}: " + ("no value" if is_missing(raw) else f"value {str(raw)!r} is not a finite number"))
            continue
        p = prepare_molecule("" if is_missing(smi) else str(smi))
        if not p.valid:
            skipped.append(f"row {row + 1}: {p.error}")
            continue
        if key not in target_of:
            target_of[key] = len(target_ids)
            target_ids.append(key if key != seq else f"target {len(target_ids) + 1}")
            sequences.append(seq)
        if p.smiles_std not in drug_of:
            drug_of[p.smiles_std] = len(drug_smiles)
            drug_smiles.append(p.smiles_std)
            mols.append(p.mol)
        di.append(drug_of[p.smiles_std])
        ti.append(target_of[key])
        vals.append(float(values[row]))
    if skipped:
        logger.warning("%s: %d of %d rows left out: %s%s", source, len(skipped), len(df), "; ".join(skipped[:3]), " ..." if len(skipped) > 3 else "")
    if not vals:
        raise InputFormatError(f"{source}: no usable row ({len(df)} rows, {len(skipped)} left out)")
    feat = GraphFeaturizer()
    task = AffinityTask(
        name, list(drug_smiles), list(drug_smiles), [feat(m) for m in mols], target_ids, sequences,
        np.asarray(di, dtype=np.int64), np.asarray(ti, dtype=np.int64), np.asarray(vals), {},
        ecfp4_bits(mols, fp_bits) if fp_bits else None,
    )  # fmt: skip
    logger.info("%s: %d drugs, %d targets, %d pairs", source, len(drug_smiles), len(target_ids), len(vals))
    return task


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


def _batch_inputs(task: AffinityTask, pairs: np.ndarray, max_len: int = 1000) -> tuple[Any, Any, Any, Any, Any]:
    import torch

    from drugscreen.models.affinity import drug_batch, encode_sequences, sequence_composition

    d_u, d_inv = np.unique(task.drug_idx[pairs], return_inverse=True)
    t_u, t_inv = np.unique(task.target_idx[pairs], return_inverse=True)
    graphs = drug_batch([task.graphs[i] for i in d_u], None if task.fps is None else task.fps[d_u])
    seqs = [task.sequences[i] for i in t_u]
    return graphs, encode_sequences(seqs, max_len), sequence_composition(seqs), torch.from_numpy(d_inv), torch.from_numpy(t_inv)


def predict_pairs(model: Any, task: AffinityTask, pairs: np.ndarray, task_col: int, chunk_targets: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Standardized predictions (member mean, member sd) for the given pairs of ``task``."""
    import torch

    from drugscreen.models.affinity import drug_batch, encode_sequences, sequence_composition

    pairs = np.asarray(pairs, dtype=np.int64)
    if len(pairs) == 0:
        return np.zeros(0), np.zeros(0)
    _check_featurized(task, pairs, int(model.drug.fp_bits or 0))
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


def _output_columns(model: Any, tasks: Sequence[AffinityTask], scalers: dict[str, tuple[float, float]]) -> list[int]:
    """The model output of each task, found by name (not by the task's position in ``tasks``).

    Raises
    ------
    InputFormatError
        A task that is not one of the model's outputs, or has no scaler.
    """
    from drugscreen.exceptions import InputFormatError

    names = [str(x) for x in getattr(model, "tasks", [t.name for t in tasks])]
    cols = []
    for t in tasks:
        if t.name not in names:
            raise InputFormatError(
                f"task {t.name!r} is not an output of the model (its outputs: {', '.join(names)}); name the task after the "
                "output to score it with (e.g. 'davis' for pKd values)"
            )
        if t.name not in scalers:
            raise InputFormatError(f"no scaler for task {t.name!r} (scalers given: {', '.join(scalers) or 'none'})")
        cols.append(names.index(t.name))
    return cols


def _evaluate(model: Any, tasks: Sequence[AffinityTask], splits: dict[str, PairSplit], part: str, scalers: dict[str, tuple[float, float]], full: bool) -> dict[str, Any]:
    from drugscreen.repurposing.evaluation import per_target_ranking, regression_metrics

    out: dict[str, Any] = {}
    for t, col in zip(tasks, _output_columns(model, tasks, scalers), strict=True):
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

    Each task is scored with the model output of its name (``tasks`` may come in any order).

    Raises
    ------
    InputFormatError
        A task that is not an output of the model or has no scaler.
    """
    return _evaluate(model, tasks, splits, part, scalers, full=True)


def train_affinity(tasks: Sequence[AffinityTask], splits: dict[str, PairSplit], cfg: TrainConfig) -> tuple[Any, dict[str, Any]]:
    """Train an :class:`~drugscreen.models.affinity.AffinityModel`; returns it and a run record.

    The record holds the scalers, per-epoch validation metrics, the chosen epoch, and valid and
    test metrics of the chosen weights (MSE, CI, Spearman; per-target ranking on test).
    Training runs on ``cfg.threads`` torch threads; the caller's thread count is restored after.
    Training stops after ``cfg.max_minutes`` even if fewer than ``cfg.epochs`` epochs ran (a
    warning says so; ``record["epochs_run"]`` counts them).
    """
    import torch

    threads = torch.get_num_threads()
    try:
        return _train_affinity(tasks, splits, cfg)
    finally:
        torch.set_num_threads(threads)


def _train_affinity(tasks: Sequence[AffinityTask], splits: dict[str, PairSplit], cfg: TrainConfig) -> tuple[Any, dict[str, Any]]:
    import torch

    from drugscreen.exceptions import InputFormatError
    from drugscreen.featurizers.graph import GraphFeaturizer
    from drugscreen.models.affinity import AffinityModel

    if not tasks:
        raise InputFormatError("train_affinity() needs at least one task")
    if len({t.name for t in tasks}) != len(tasks):
        raise InputFormatError(f"tasks need distinct names (one model output each), got {[t.name for t in tasks]}")
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    names = [t.name for t in tasks]
    scalers = {}
    for t in tasks:
        if t.name not in splits:
            raise InputFormatError(f"no split for task {t.name!r} (splits are given for {', '.join(map(repr, splits)) or 'none'})")
        y = t.value[splits[t.name].train]
        if len(y) == 0:
            raise InputFormatError(f"task {t.name!r} has no training pairs ({len(t.value)} pairs, all in the validation or test part)")
        if not y.std() > 0:
            raise InputFormatError(
                f"task {t.name!r}: every training pair has the value {y[0]:g}; the model learns from differences between values"
            )
        scalers[t.name] = (float(y.mean()), float(y.std()))
    model_kwargs = {"tasks": names, "n_members": cfg.n_members, **cfg.model}
    model = AffinityModel(GraphFeaturizer.atom_dim, GraphFeaturizer.bond_dim, **model_kwargs)
    for t in tasks:
        sp = splits[t.name]
        _check_featurized(t, np.concatenate([sp.train, sp.valid, sp.test]).astype(np.int64), int(model.drug.fp_bits or 0))
    if not any(len(splits[t.name].valid) for t in tasks):
        logger.warning("no validation pairs: the weights of the last epoch are kept (with a validation part, those of the epoch with the best validation CI)")
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
            graphs, tokens, comp, d_inv, t_inv = _batch_inputs(t, pairs, model.max_len)  # as predictions read them
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
        cis = [v["ci"] for v in valid.values() if np.isfinite(v["ci"])]
        # without a finite validation CI (no validation pairs, or all of one value) a later epoch
        # counts as better, so the last epoch's weights are kept rather than the first's
        score = float(np.mean(cis)) if cis else float(epoch - 1e6)
        elapsed = time.perf_counter() - start
        history.append({"epoch": epoch, "train_loss": float(np.mean(losses)), "valid": valid, "minutes": elapsed / 60})
        logger.info("epoch %d loss %.4f valid %s (%.1f min)", epoch, np.mean(losses), {k: round(v["ci"], 4) for k, v in valid.items()}, elapsed / 60)
        if best is None or score > best[0]:
            best = (score, epoch, {k: v.detach().clone() for k, v in model.state_dict().items()})
        if elapsed / 60 > cfg.max_minutes:
            if epoch + 1 < cfg.epochs:
                logger.warning(
                    "time budget of %.1f min (max_minutes) reached: %d of %d epochs run", cfg.max_minutes, epoch + 1, cfg.epochs
                )
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
