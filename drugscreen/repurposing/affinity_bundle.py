"""Save and load the affinity model as a bundle: ``config.json`` + ``model.safetensors``.

``config.json`` holds ``format_version``, the model's constructor arguments, the graph
featurizer and standardizer configs, the residue alphabet, the per-task scalers (values are
predicted standardized), how the model was trained (datasets, split, seed, data checksums), its
metrics, and the sha256 of the weights file. No pickles.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drugscreen.exceptions import BundleError
from drugscreen.jsonio import write_json

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
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(state, str(out / WEIGHTS))
    cfg = {"format_version": AFFINITY_FORMAT_VERSION, "kind": "affinity", "drugscreen_version": __version__}
    cfg.update(config)
    cfg["files"] = {WEIGHTS: _sha256(out / WEIGHTS)}
    write_json(out / "config.json", cfg)
    logger.info("saved affinity bundle to %s", out)
    return out


def load_affinity_bundle(path: str | Path | None = None) -> AffinityBundle:
    """Load an affinity bundle (the shipped one when ``path`` is None).

    Raises
    ------
    BundleError
        Missing files, an unknown ``format_version``, a checksum mismatch or weights that do
        not fit the configured model.
    """
    from safetensors.torch import load_file

    from drugscreen.featurizers.graph import GraphFeaturizer
    from drugscreen.models.affinity import PROTEIN_ALPHABET, AffinityModel

    root = Path(path) if path is not None else default_affinity_path()
    cfg_path = root / "config.json"
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
        "name": "affinity",
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
    lines = [f"# Model card: {s['name']}", "", s["description"] + ".", "",
             f"- Tasks: {', '.join(s['tasks'])}; {s['members']} ensemble members",
             f"- Split: {s['split']} (held-out targets: "
             + ", ".join(f"{k} {v}" for k, v in s["heldout_targets"].items()) + ")",
             "", "## Test metrics (held-out targets)", "", "| task | CI | Spearman (all test pairs) | MSE |", "|---|---|---|---|"]
    for task, m in s["test"].items():
        lines.append(f"| {task} | {m.get('ci', float('nan')):.3f} | {m.get('spearman', float('nan')):.3f} | {m.get('mse', float('nan')):.3f} |")
    lines += ["", "## Training data (sha256)", ""]
    for ds, files in s["data_sha256"].items():
        lines += [f"- {ds}/{name}: `{digest[:16]}…`" for name, digest in files.items()]
    lines += ["", "Benchmarks and how it was made: README.md (Repurpose) and benchmarks/results/affinity.md."]
    return "\n".join(lines) + "\n"
