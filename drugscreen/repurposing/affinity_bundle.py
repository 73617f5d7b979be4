"""Save and load the affinity model as a bundle: ``config.json`` + ``model.safetensors``.

``config.json`` holds ``format_version``, the model's constructor arguments, the graph
featurizer and standardizer configs, the residue alphabet, the per-task scalers (values are
predicted standardized), how the model was trained (datasets, split, seed, data checksums), its
metrics, the sha256 of the weights file and (bundles saved by this version) the sha256 of the
config itself, so an edited scaler is refused rather than silently shifting every prediction.
No pickles.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drugscreen.exceptions import BundleError
from drugscreen.jsonio import dumps, number, write_json

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AFFINITY_FORMAT_VERSION",
    "AffinityBundle",
    "affinity_card",
    "affinity_config",
    "affinity_summary",
    "default_affinity_path",
    "load_affinity_bundle",
    "save_affinity_bundle",
]

logger = logging.getLogger(__name__)

AFFINITY_FORMAT_VERSION = 1
WEIGHTS = "model.safetensors"
#: Key of config.json holding the sha256 of the rest of it (bundles saved since it was added; a
#: bundle without it, the shipped one among them, is read without this check).
CONFIG_SHA256 = "config_sha256"


def default_affinity_path() -> Path:
    """Directory of the affinity model shipped with the package.

    It lives in ``resources/affinity``, not beside the screening panel in ``resources/models``:
    every directory there is discovered as a panel bundle (``drugscreen.bundle.installed_models``)
    and this one has another format.
    """
    return Path(__file__).resolve().parent.parent / "resources" / "affinity"


@dataclass
class AffinityBundle:
    """A loaded affinity model with what is needed to use it."""

    model: Any  # drugscreen.models.affinity.AffinityModel
    config: dict[str, Any]
    path: Path | None = None
    scalers: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def tasks(self) -> list[str]:
        return list(self.config["model"]["tasks"])

    def task_values(self, scores: Any) -> dict[str, Any]:
        """The model's standardized scores ``(pairs, members, tasks)`` in each task's units:
        ``{task: member mean, task + "_sd": members' spread}``, one value per pair."""
        out = {}
        for col, task in enumerate(self.tasks):
            mu, sigma = self.scalers[task]
            values = scores[:, :, col] * sigma + mu
            out[task], out[f"{task}_sd"] = values.mean(axis=1), values.std(axis=1)
        return out

    def predict(self, smiles: Sequence[str], sequences: str | Sequence[str], chunk: int = 1024) -> pd.DataFrame:
        """Predicted affinities of (drug, target) pairs, in each task's units.

        Parameters
        ----------
        smiles
            One SMILES per pair.
        sequences
            One amino-acid sequence per pair, or one sequence for every pair. Sequences are
            checked as a repurposing query is (:func:`drugscreen.repurposing.inputs.validate_sequence`).
        chunk
            Drugs encoded at a time (the predictions do not depend on it).

        Returns
        -------
        pandas.DataFrame
            One row per pair, in input order: ``smiles``, then per task ``<task>`` (the member
            mean, e.g. ``davis`` in pKd, ``kiba`` as a KIBA score; higher = stronger binding)
            and ``<task>_sd`` (the members' spread), and ``error`` (empty, or why the row has no
            prediction: a SMILES that cannot be parsed, a sequence that is not a protein's).
            These are the ``pred_pkd`` / ``pred_kiba`` values ``drugscreen repurpose`` shows.
        """
        import numpy as np
        import pandas as pd
        import torch

        from drugscreen.exceptions import DrugscreenError
        from drugscreen.featurizers.graph import GraphFeaturizer
        from drugscreen.featurizers.molecule import prepare_molecule
        from drugscreen.io import is_missing
        from drugscreen.models.affinity import encode_drugs
        from drugscreen.repurposing.inputs import validate_sequence

        smiles = ["" if is_missing(x) else str(x) for x in smiles]  # a missing cell is an empty SMILES, not "nan"
        n = len(smiles)
        seqs = [sequences] * n if isinstance(sequences, str) else ["" if is_missing(x) else str(x) for x in sequences]
        if len(seqs) != n:
            raise ValueError(f"{n} SMILES but {len(seqs)} sequences: give one sequence per SMILES, or one for all")
        errors = [""] * n
        seq_key: dict[str, str | DrugscreenError] = {}
        for text in set(seqs):
            try:
                seq_key[text] = validate_sequence(str(text))
            except DrugscreenError as exc:
                seq_key[text] = exc
        drugs: dict[str, int] = {}
        mols: list[Any] = []
        d_idx = np.full(n, -1)
        t_idx = np.full(n, -1)
        targets: dict[str, int] = {}
        for i, (smi, text) in enumerate(zip(smiles, seqs, strict=True)):
            seq = seq_key[text]
            if isinstance(seq, DrugscreenError):
                errors[i] = str(seq)
                continue
            p = prepare_molecule(smi)
            if not p.valid:
                errors[i] = p.error
                continue
            if p.smiles_std not in drugs:
                drugs[p.smiles_std] = len(mols)
                mols.append(p.mol)
            d_idx[i] = drugs[p.smiles_std]
            t_idx[i] = targets.setdefault(seq, len(targets))
        out: dict[str, Any] = {"smiles": smiles}
        for task in self.tasks:
            out[task] = np.full(n, np.nan)
            out[f"{task}_sd"] = np.full(n, np.nan)
        ok = np.nonzero(d_idx >= 0)[0]
        if len(ok):
            model = self.model
            model.eval()
            feat = GraphFeaturizer()
            limit = int(getattr(model, "max_len", 0) or 0)
            longer = sum(1 for seq in targets if limit and len(seq) > limit)
            if longer:
                logger.warning(
                    "%d target sequences are longer than the sequence model's limit of %d residues: only their first %d "
                    "(N-terminal) residues are read", longer, limit, limit,
                )  # fmt: skip
            d_emb = encode_drugs(model.drug, [feat(m) for m in mols], mols, chunk)
            with torch.inference_mode():
                p_emb = torch.cat([model.encode_proteins([seq]) for seq in targets])
                scores = model.score(d_emb, p_emb, torch.from_numpy(d_idx[ok]), torch.from_numpy(t_idx[ok])).numpy()
            for key, values in self.task_values(scores).items():
                out[key][ok] = values
        out["error"] = errors
        return pd.DataFrame(out)


def _config_digest(cfg: dict[str, Any]) -> str:
    """sha256 of a config's content without its own checksum (keys sorted, compact JSON)."""
    body = {k: v for k, v in cfg.items() if k != CONFIG_SHA256}
    return hashlib.sha256(dumps(body, indent=None, sort_keys=True).encode("utf-8")).hexdigest()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_affinity_bundle(model: Any, config: dict[str, Any], path: str | Path) -> Path:
    """Write ``model`` (an :class:`AffinityModel`) and ``config`` to the directory ``path``.

    ``config`` must hold ``model`` (constructor kwargs), ``scalers`` and may hold anything
    JSON-serializable besides; ``format_version`` and the weights checksum are added.

    Raises
    ------
    BundleError
        ``config`` lacks ``model`` (with the tasks of ``model``) or a ``[mean, sd]`` scaler
        per task: the bundle could not be loaded again, so nothing is written.
    """
    from safetensors.torch import save_file

    from drugscreen import __version__

    kwargs = config.get("model")
    if not isinstance(kwargs, dict) or not kwargs.get("tasks"):
        raise BundleError("the affinity bundle's config needs 'model': the model's constructor arguments with its tasks")
    tasks = [str(t) for t in kwargs["tasks"]]
    if list(getattr(model, "tasks", tasks)) != tasks:
        raise BundleError(f"config 'model' names the tasks {tasks}, the model has {list(model.tasks)}")
    _scalers(config, tasks, "the affinity bundle's config")
    cfg = {"format_version": AFFINITY_FORMAT_VERSION, "kind": "affinity", "drugscreen_version": __version__}
    cfg.update(config)
    cfg.pop(CONFIG_SHA256, None)
    try:  # before anything is written: a config that cannot be JSON must not leave new weights beside an old config
        cfg = json.loads(dumps(cfg))  # as it reads back (strict JSON: NaN -> null, tuples -> lists)
    except (TypeError, ValueError) as exc:
        raise BundleError(f"the affinity bundle's config cannot be written as JSON: {exc}") from None
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
        save_file(state, str(out / WEIGHTS))
        cfg["files"] = {WEIGHTS: _sha256(out / WEIGHTS)}
        cfg[CONFIG_SHA256] = _config_digest(cfg)
        write_json(out / "config.json", cfg)
    except OSError as exc:
        raise BundleError(f"cannot write the affinity bundle to {out}: {exc}") from None
    logger.info("saved affinity bundle to %s", out)
    return out


def load_affinity_bundle(path: str | Path | None = None) -> AffinityBundle:
    """Load an affinity bundle (the shipped one when ``path`` is None).

    Raises
    ------
    BundleError
        No such folder, missing files, an unknown ``format_version``, a checksum mismatch or
        weights that do not fit the configured model.
    """
    from safetensors.torch import load_file

    from drugscreen.featurizers.graph import GraphFeaturizer
    from drugscreen.models.affinity import PROTEIN_ALPHABET, AffinityModel

    root = Path(path) if path is not None else default_affinity_path()
    cfg_path = root / "config.json"
    if not root.exists():  # a misspelt --model was "not an affinity bundle", as if the folder held another kind
        raise BundleError(f"affinity model not found: {root} (no such folder)")
    if not cfg_path.is_file() or not (root / WEIGHTS).is_file():
        raise BundleError(f"{root}: not an affinity bundle (needs config.json and {WEIGHTS})")
    try:
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BundleError(f"{cfg_path}: cannot read the affinity bundle's config ({exc})") from None
    if not isinstance(cfg, dict):
        raise BundleError(f"{cfg_path}: not an affinity bundle config (a JSON object is needed, found {type(cfg).__name__})")
    if cfg.get("format_version") != AFFINITY_FORMAT_VERSION:
        raise BundleError(
            f"{root}: affinity bundle format_version {cfg.get('format_version')!r} is not supported "
            f"(this drugscreen reads {AFFINITY_FORMAT_VERSION})"
        )
    if cfg.get("alphabet", PROTEIN_ALPHABET) != PROTEIN_ALPHABET:
        raise BundleError(f"{root}: the bundle encodes residues with another alphabet")
    recorded = cfg.get(CONFIG_SHA256)
    if recorded is not None and recorded != _config_digest(cfg):
        raise BundleError(
            f"{cfg_path}: edited after the bundle was saved (its {CONFIG_SHA256} differs): its scalers or model settings "
            "may no longer fit the weights; save the bundle again, or delete that line to accept the edit"
        )
    want = cfg.get("files", {}).get(WEIGHTS)
    if want and want != _sha256(root / WEIGHTS):
        raise BundleError(f"{root}/{WEIGHTS}: checksum differs from config.json (corrupted or edited)")
    feat = cfg.get("featurizer", {})
    if feat.get("name", "graph") != "graph" or feat.get("params", {}).get("version", 1) != 1:
        raise BundleError(f"{root}: the bundle needs featurizer {feat}, not graph v1")
    kwargs = cfg.get("model")
    if not isinstance(kwargs, dict) or not kwargs.get("tasks"):
        raise BundleError(f"{cfg_path}: no 'model' entry naming the model's tasks (its constructor arguments)")
    scalers = _scalers(cfg, [str(t) for t in kwargs["tasks"]], cfg_path)
    try:
        model = AffinityModel(atom_dim=GraphFeaturizer.atom_dim, bond_dim=GraphFeaturizer.bond_dim, **kwargs)
    except (TypeError, ValueError) as exc:
        raise BundleError(f"{cfg_path}: the 'model' entry does not describe an affinity model: {exc}") from None
    try:
        state = load_file(str(root / WEIGHTS))
    except Exception as exc:  # safetensors raises its own SafetensorError for a damaged file
        raise BundleError(f"{root / WEIGHTS}: cannot read the weights ({exc})") from None
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise BundleError(f"{root}: weights do not fit the configured model: {exc}") from exc
    model.eval()
    return AffinityBundle(model=model, config=cfg, path=root, scalers=scalers)


def _scalers(cfg: dict[str, Any], tasks: list[str], where: Path | str) -> dict[str, tuple[float, float]]:
    """The ``(mean, sd)`` of each task from ``cfg["scalers"]``; every task needs one, with a
    finite mean and a finite positive sd (predictions are ``output * sd + mean``).

    Raises
    ------
    BundleError
        A task without a scaler, or one that is not two finite numbers with sd > 0.
    """
    raw = cfg.get("scalers")
    if not isinstance(raw, dict):
        raise BundleError(f"{where}: no 'scalers' entry (the mean and sd of each task's values)")
    out: dict[str, tuple[float, float]] = {}
    for task in tasks:
        if task not in raw:
            raise BundleError(f"{where}: no scaler for task {task!r} (scalers given: {', '.join(map(str, raw)) or 'none'})")
        value = raw[task]
        try:
            mean, sd = (float(x) for x in value)
        except (TypeError, ValueError):
            raise BundleError(f"{where}: scaler of task {task!r} must be [mean, sd], got {value!r}") from None
        if not (math.isfinite(mean) and math.isfinite(sd) and sd > 0):
            raise BundleError(f"{where}: scaler of task {task!r} must be a finite mean and a positive sd, got {value!r}")
        out[task] = (mean, sd)
    return out


def affinity_config(path: str | Path | None = None) -> dict[str, Any]:
    """An affinity model's ``config.json`` as a dict (no weights loaded, no checksums checked).

    Raises
    ------
    BundleError
        No readable ``config.json`` there.
    """
    folder = Path(path) if path is not None else default_affinity_path()
    try:
        return json.loads((folder / "config.json").read_text())
    except (OSError, ValueError) as exc:
        raise BundleError(f"no readable affinity model config in {folder}: {exc}") from exc


def affinity_summary(path: str | Path | None = None) -> dict[str, Any]:
    """What ``drugscreen models list`` shows of an affinity model: tasks, members, split and test
    metrics, read from its ``config.json`` (no weights loaded).

    Raises
    ------
    BundleError
        No readable ``config.json`` there.
    """
    folder = Path(path) if path is not None else default_affinity_path()
    cfg = affinity_config(folder)
    model = cfg.get("model", {})
    training = cfg.get("training", {})
    return {
        "name": "affinity" if path is None else str(cfg.get("name") or folder.resolve().name),
        "path": str(folder),
        "description": "drug-target affinity model for `drugscreen repurpose` (sequence mode): "
                       "graph + ECFP4 drug encoder, protein CNN with composition features",
        "tasks": list(model.get("tasks", cfg.get("tasks", {}))),
        "members": int(model.get("n_members", 0)),
        "split": str(training.get("split", "")),
        "heldout_targets": {k: len(v) for k, v in training.get("heldout_targets", {}).items()},
        "test": cfg.get("metrics", {}).get("test", {}),
        "data_sha256": training.get("data_sha256", {}),
    }


def affinity_card(path: str | Path | None = None) -> str:
    """A short markdown card of an affinity model (``drugscreen models info affinity``)."""
    s = affinity_summary(path)
    # an own bundle saved with the model and scalers alone records no split, metrics or data: say so
    split = s["split"] or "not recorded"
    if s["heldout_targets"]:
        split += " (held-out targets: " + ", ".join(f"{k} {v}" for k, v in s["heldout_targets"].items()) + ")"
    lines = [f"# Model card: {s['name']}", "", s["description"] + ".", "",
             f"- Tasks: {', '.join(s['tasks'])}; {s['members']} ensemble members", f"- Split: {split}", ""]
    if s["test"]:
        lines += ["## Test metrics (held-out targets)", "", "| task | CI | Spearman (all test pairs) | MSE |", "|---|---|---|---|"]
        for task, m in s["test"].items():
            # a figure that did not exist (NaN) is null in the strict JSON of config.json
            ci, rho, mse = (number(m.get(k)) for k in ("ci", "spearman", "mse"))
            lines.append(f"| {task} | {ci:.3f} | {rho:.3f} | {mse:.3f} |")
    else:
        lines.append("- Test metrics: not recorded (save_affinity_bundle keeps them when its config holds "
                     "\"metrics\": record[\"metrics\"] from train_affinity)")
    if s["data_sha256"]:
        lines += ["", "## Training data (sha256)", ""]
        for ds, files in s["data_sha256"].items():
            lines += [f"- {ds}/{name}: `{digest[:16]}…`" for name, digest in files.items()]
    lines += ["", "Benchmarks and how it was made: README.md (Repurpose) and benchmarks/results/affinity.md."]
    return "\n".join(lines) + "\n"
