"""Model bundles: trained ensembles stored as data, loaded safely, used for inference.

A bundle is a directory::

    config.json               format_version, versions, featurizer/standardizer/extra-feature
                              configs, model config, tasks, scalers, calibration, applicability
                              domain, data checksums, split, metrics, sha256 of every other file
    member_<i>.safetensors    weights of ensemble member i (float32 or float16)
    train_fps.safetensors     the training set's packed ECFP4 bits (uint8), for the domain;
                              optionally also ``datasets``, (n, n_datasets) uint8 0/1: which
                              datasets each fingerprint is a training molecule of (names in
                              ``config["domain"]["datasets"]``), for each dataset's own domain
    forest.safetensors        optional: ECFP4 random forests as arrays
                              (:class:`~drugscreen.models.forest.ForestArrays`), blended into
                              some tasks' member outputs with weights in ``config["forest"]``
    MODEL_CARD.md             human-readable card (optional)

Loading never unpickles (JSON + safetensors only) and refuses, with one line
(:class:`~drugscreen.exceptions.BundleError`), a missing file, a checksum mismatch, a
truncated file or an unknown ``format_version``.

Inference API (what the Screener calls)::

    bundle = load_bundle("panel")                     # installed name or a directory
    bundle.featurizer_config, bundle.standardizer_config, bundle.extra_featurizer_config
    bundle.tasks                                      # [{"name", "column", "type", "units", "direction", "dataset"}]
    pred = bundle.predict(graphs, extra=None, fps=packed_ecfp4, batch_size=512)
    pred.mean, pred.std                               # (n, n_tasks): calibrated probabilities / values in units
    pred.domain_similarity, pred.in_domain            # (n,)

Predictions depend on the batch size and on a molecule's batch neighbours only in the last
digits (eval mode, no batch-statistics layers; CPU kernels sum a matrix of another shape in
another order, about 4e-7 on the shipped panel between a molecule alone and in a batch of
200). The Screener pads every forward pass to one size, so its numbers are exact. A bundle
pickles as its path (``load_bundle(path)`` on the other side), so it can be sent to worker
processes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from drugscreen.exceptions import BundleError, UnknownNameError
from drugscreen.jsonio import write_json

__all__ = [
    "FORMAT_VERSION",
    "ModelBundle",
    "ModelInfo",
    "Prediction",
    "bundle_versions",
    "installed_models",
    "load_bundle",
    "load_panel",
    "models_dir",
    "save_bundle",
]

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
SUPPORTED_FORMAT_VERSIONS = (1,)
CONFIG_FILE = "config.json"
FPS_FILE = "train_fps.safetensors"
FOREST_FILE = "forest.safetensors"
CARD_FILE = "MODEL_CARD.md"
MODELS_DIR_ENV = "DRUGSCREEN_MODELS_DIR"


def models_dir() -> Path:
    """Where installed bundles live: ``drugscreen/resources/models``."""
    return Path(__file__).resolve().parent / "resources" / "models"


def _search_dirs() -> list[Path]:
    dirs = [models_dir()]
    extra = os.environ.get(MODELS_DIR_ENV)
    if extra:
        dirs += [Path(p) for p in extra.split(os.pathsep) if p]
    return dirs


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def bundle_versions() -> dict[str, str]:
    """Versions recorded in bundles and run records."""
    import rdkit
    import torch

    from drugscreen._version import __version__

    return {"drugscreen": __version__, "rdkit": rdkit.__version__, "torch": torch.__version__, "python": platform.python_version()}


# ----------------------------------------------------------------------------- saving


def _current_umask() -> int:
    """The process umask, read without changing it where Linux allows (``/proc/self/status``)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere the umask is read by setting it: set and restore at once
    os.umask(mask)
    return mask


def _plain_file_mode(path: Path) -> None:
    """Give ``path`` the mode an ordinary new file gets (``0o666`` less the umask).

    safetensors writes through a private temporary file, so its files would otherwise be
    ``0o600`` while the bundle's other files follow the umask; a bundle shared on a cluster
    then fails to load for everyone but its owner.
    """
    os.chmod(path, 0o666 & ~_current_umask())


def save_bundle(
    path: str | os.PathLike[str],
    config: dict[str, Any],
    member_states: Sequence[dict[str, Any]],
    train_fps: np.ndarray,
    weights_dtype: str = "float32",
    card: str | None = None,
    forest: Any = None,
    train_fps_datasets: np.ndarray | None = None,
) -> Path:
    """Write a bundle directory.

    Parameters
    ----------
    path
        Target directory (created; existing bundle files are replaced).
    config
        The bundle config without ``format_version``, ``files``, ``n_members``, ``versions``
        (filled in here).
    member_states
        One ``state_dict`` per ensemble member.
    train_fps
        Packed ECFP4 bits of the training molecules, uint8 ``(n, 256)``.
    weights_dtype
        ``"float32"`` or ``"float16"`` (floating tensors are stored in this type).
    card
        Markdown model card.
    forest
        Optional :class:`~drugscreen.models.forest.ForestArrays` blended into the tasks
        ``config["forest"]["tasks"]`` with weights ``config["forest"]["weights"]`` (the
        members' share; the forest gets ``1 - weight``).
    train_fps_datasets
        Optional ``(n, n_datasets)`` 0/1: which datasets each row of ``train_fps`` is a training
        molecule of, the datasets named in ``config["domain"]["datasets"]`` (see
        :class:`~drugscreen.domain.DatasetDomain`).
    """
    import torch
    from safetensors.torch import save_file

    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    dtype = {"float32": torch.float32, "float16": torch.float16}[weights_dtype]
    files: dict[str, str] = {}
    for i, state in enumerate(member_states):
        tensors = {
            k: (v.detach().to("cpu", dtype=dtype) if v.is_floating_point() else v.detach().cpu()).contiguous()
            for k, v in state.items()
        }
        name = f"member_{i}.safetensors"
        save_file(tensors, str(out / name), metadata={"format": "pt"})  # one key: safetensors orders metadata by hash
        _plain_file_mode(out / name)
        files[name] = _sha256(out / name)
    files[FPS_FILE] = write_train_fps(out, train_fps, train_fps_datasets, (config.get("domain") or {}).get("datasets"))
    if forest is not None:
        from safetensors.numpy import save_file as save_numpy

        spec = dict(config.get("forest") or {})
        if len(spec.get("tasks", [])) != forest.n_tasks or len(spec.get("weights", [])) != forest.n_tasks:
            raise ValueError("config['forest'] needs 'tasks' and 'weights', one per forest output")
        save_numpy(forest.to_tensors(), str(out / FOREST_FILE), metadata={"format": "drugscreen.forest"})
        _plain_file_mode(out / FOREST_FILE)
        files[FOREST_FILE] = _sha256(out / FOREST_FILE)
        config = {**config, "forest": {**spec, **forest.meta(), "file": FOREST_FILE}}
    elif "forest" in config:
        raise ValueError("config has a 'forest' entry but no forest was given")
    full = {
        "format_version": FORMAT_VERSION,
        **{k: v for k, v in config.items() if k not in ("format_version", "files", "n_members")},
        "n_members": len(member_states),
        "weights_dtype": weights_dtype,
        "files": files,
    }
    full.setdefault("versions", bundle_versions())
    write_json(out / CONFIG_FILE, full)
    if card is not None:
        (out / CARD_FILE).write_text(card)
    for stale in [*out.glob("member_*.safetensors"), out / FOREST_FILE]:
        if stale.name not in files and stale.exists():
            stale.unlink()
    return out


def write_train_fps(
    out: Path, train_fps: np.ndarray, datasets: np.ndarray | None = None, names: Sequence[str] | None = None
) -> str:
    """Write ``out/train_fps.safetensors`` (the packed fingerprints, and with ``datasets`` each
    row's datasets, one column per name of ``names``); return its sha256 for ``config["files"]``."""
    import torch
    from safetensors.torch import save_file

    fps = np.ascontiguousarray(np.asarray(train_fps, dtype=np.uint8))
    tensors = {"fps": torch.from_numpy(fps)}
    if datasets is not None:
        member = np.ascontiguousarray(np.asarray(datasets) != 0, dtype=np.uint8)
        if names is None or member.shape != (len(fps), len(names)):
            raise ValueError(f"train_fps_datasets must be ({len(fps)}, len(config['domain']['datasets'])), "
                             f"got {member.shape} for datasets {names}")
        tensors["datasets"] = torch.from_numpy(member)
    save_file(tensors, str(out / FPS_FILE), metadata={"format": "packbits"})
    _plain_file_mode(out / FPS_FILE)
    return _sha256(out / FPS_FILE)


# ----------------------------------------------------------------------------- loading


@dataclass
class Prediction:
    """Ensemble predictions for ``n`` molecules.

    Attributes
    ----------
    mean
        ``(n, n_tasks)``: calibrated probabilities (classification) or values in the task's
        units (regression), averaged over members.
    std
        ``(n, n_tasks)``: standard deviation over ensemble members (NaN for a one-member bundle:
        one member has no spread, and 0 would read as certainty).
    domain_similarity
        ``(n,)``: max Tanimoto (ECFP4) to the training set; NaN when no fingerprints were given.
    in_domain
        ``(n,)`` bool: ``domain_similarity >= threshold``.
    task_names
        Column names of ``mean``/``std``.
    members
        ``(n_members, n, n_tasks)`` calibrated per-member values.
    out_of_range
        Per molecule, the training sets whose descriptor range it leaves
        (:meth:`DescriptorRanges.describe <drugscreen.descriptor_ranges.DescriptorRanges.describe>`,
        "" when none); set by :meth:`ModelBundle.predict_smiles` for bundles that record ranges.
    out_of_domain_for
        Per molecule, the training sets whose own molecules it is less similar to than the
        domain threshold, with that similarity (:meth:`ModelBundle.out_of_domain_for`, "" when
        none); set by :meth:`ModelBundle.predict_smiles` for bundles that record them.
    dataset_similarity, domain_datasets
        ``(n, k)`` max Tanimoto similarity to each of the ``k`` datasets' own training molecules,
        and their names (:meth:`ModelBundle.domain_by_dataset`); set by
        :meth:`ModelBundle.predict_smiles` and the Screener for bundles that record them.
    """

    mean: np.ndarray
    std: np.ndarray
    domain_similarity: np.ndarray
    in_domain: np.ndarray
    task_names: list[str]
    members: np.ndarray | None = None
    out_of_range: list[str] | None = None
    out_of_domain_for: list[str] | None = None
    dataset_similarity: np.ndarray | None = None
    domain_datasets: list[str] | None = None


def _check_batch_size(batch_size: Any) -> None:
    """Refuse a batch size that is not a positive integer (0 gave ``range() arg 3 must not be zero``)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or batch_size < 1:
        from drugscreen.exceptions import ConfigError

        raise ConfigError(f"batch_size must be a positive integer, not {batch_size!r}")


def _seed_bundles(root: Path) -> list[Path]:
    """The ``seed<K>`` bundles of a training output with one bundle per seed, by seed."""
    import re

    with contextlib.suppress(OSError):
        return sorted((d for d in root.iterdir() if re.fullmatch(r"seed\d+", d.name) and (d / CONFIG_FILE).is_file()),
                      key=lambda d: int(d.name[4:]))
    return []


def _not_a_bundle_hint(root: Path) -> str:
    """What a training output without a ``config.json`` holds instead: one bundle per seed
    (``--split random`` with several seeds), or an ``rf`` run's metrics; ``""`` otherwise."""

    seeds = _seed_bundles(root)
    if seeds:
        listed = " or ".join(str(d) for d in seeds[:3]) + (" ..." if len(seeds) > 3 else "")
        return f"; it is a training output with one bundle per seed: give {listed}"
    try:
        model = json.loads((root / "train_config.json").read_text()).get("model")
    except (OSError, ValueError, AttributeError):
        return ""
    if model == "rf":
        return "; it holds an rf run (metrics and run records only: rf writes no screening bundle); train another --model for one"
    return ""


def _read_config(root: Path) -> dict[str, Any]:
    cfg_path = root / CONFIG_FILE
    if not root.exists():
        raise BundleError(f"model bundle {root} does not exist (installed bundles: `drugscreen models list`)")
    if not root.is_dir():
        raise BundleError(f"model bundle {root} is not a directory")
    if not cfg_path.is_file():
        raise BundleError(f"model bundle {root}: {CONFIG_FILE} is missing{_not_a_bundle_hint(root)}")
    try:
        config = json.loads(cfg_path.read_text())
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"model bundle {root}: {CONFIG_FILE} is unreadable ({type(exc).__name__})") from None
    if not isinstance(config, dict):
        raise BundleError(f"model bundle {root}: {CONFIG_FILE} is not a JSON object")
    version = config.get("format_version")
    if version not in SUPPORTED_FORMAT_VERSIONS:
        raise BundleError(
            f"model bundle {root}: format_version {version!r} is not supported by this drugscreen "
            f"(reads {', '.join(map(str, SUPPORTED_FORMAT_VERSIONS))}); upgrade drugscreen or retrain the model"
        )
    for key in ("files", "model", "tasks", "n_members"):
        if key not in config:
            raise BundleError(f"model bundle {root}: {CONFIG_FILE} lacks {key!r}")
    return config


def _verify_files(root: Path, config: dict[str, Any]) -> None:
    files = config["files"]
    expected = [f"member_{i}.safetensors" for i in range(int(config["n_members"]))] + [FPS_FILE]
    if config.get("forest"):
        expected.append(FOREST_FILE)
    for name in expected:
        if name not in files:
            raise BundleError(f"model bundle {root}: {CONFIG_FILE} records no checksum for {name}")
    for name, digest in files.items():
        if "/" in name or "\\" in name or name.startswith("."):
            raise BundleError(f"model bundle {root}: bad file name {name!r} in {CONFIG_FILE}")
        p = root / name
        if not p.is_file():
            raise BundleError(f"model bundle {root}: {name} is missing")
        if _sha256(p) != digest:
            raise BundleError(f"model bundle {root}: {name} fails its sha256 check (modified or truncated)")


def _load_tensors(path: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types on corrupt headers
        raise BundleError(f"model bundle {path.parent}: {path.name} is not a valid safetensors file ({exc})") from None


class ModelBundle:
    """A loaded, verified bundle. Build with :func:`load_bundle`."""

    def __init__(self, path: Path, config: dict[str, Any]) -> None:
        self.path = path
        self.config = config
        self._models: list[Any] | None = None
        self._train_fps: np.ndarray | None = None
        self._train_fps_datasets: np.ndarray | None = None  # the file's optional 'datasets' tensor
        self._desc_scaler: Any = None
        self._extra_featurizer: Any = None
        self._ranges: Any = None
        self._range_featurizer: Any = None
        self._forest: Any = None
        self._dataset_domain: Any = None

    # -- metadata ----------------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self.config.get("name") or self.path.name)

    @property
    def description(self) -> str:
        return str(self.config.get("description", ""))

    @property
    def featurizer_config(self) -> dict[str, Any]:
        """The graph featurizer the models need (``{"name", "params"}``)."""
        return self.config["featurizer"]

    @property
    def standardizer_config(self) -> dict[str, Any]:
        """The standardization policy applied to training molecules (``Standardizer.to_config()``)."""
        return self.config["standardizer"]

    @property
    def extra_featurizer_config(self) -> dict[str, Any] | None:
        """Featurizer of the ``extra`` vector :meth:`predict` needs, or ``None``.

        Fingerprint hybrids take their input from ``fps`` (see :attr:`fingerprint_config`),
        so they need no ``extra``. Descriptor hybrids (kind ``"descriptors"``) need ``extra``:
        the *raw* descriptor values of this featurizer; :meth:`predict_raw` applies the stored
        scaler. Fingerprint + descriptor hybrids (kind ``"fingerprint+descriptors"``) need both.
        """
        extra = self.config.get("extra_features") or {}
        return extra.get("featurizer") if extra.get("kind") in ("descriptors", "fingerprint+descriptors") else None

    def extra_inputs(self, mols: Sequence[Any]) -> np.ndarray | None:
        """The raw ``extra`` array :meth:`predict` needs for ``mols`` (standardized RDKit
        molecules), or ``None`` when the models take no extra vector."""
        cfg = self.extra_featurizer_config
        if cfg is None:
            return None
        if self._extra_featurizer is None:
            from drugscreen.featurizers.base import build_featurizer

            self._extra_featurizer = build_featurizer(cfg)
        from drugscreen.featurizers.base import featurize_rows

        return featurize_rows(self._extra_featurizer, mols)

    @property
    def descriptor_ranges(self) -> Any:
        """Each training dataset's descriptor ranges
        (:class:`~drugscreen.descriptor_ranges.DescriptorRanges`), or ``None`` for a bundle
        trained before they were recorded."""
        stored = self.config.get("domain", {}).get("descriptor_ranges")
        if stored is None:
            return None
        if self._ranges is None:
            from drugscreen.descriptor_ranges import DescriptorRanges

            try:
                self._ranges = DescriptorRanges.from_dict(stored)
            except ValueError as exc:
                raise BundleError(f"model bundle {self.path}: bad descriptor ranges in {CONFIG_FILE} ({exc})") from None
        return self._ranges

    def range_inputs(self, mols: Sequence[Any], extra: np.ndarray | None = None) -> np.ndarray | None:
        """Raw descriptor values of ``mols`` for :attr:`descriptor_ranges` (``None`` without
        ranges). ``extra`` (from :meth:`extra_inputs`) is reused when it holds the same
        descriptors, so a descriptor hybrid computes them once."""
        ranges = self.descriptor_ranges
        if ranges is None:
            return None
        if extra is not None and self._extra_starts_with_ranges():
            return extra[:, : len(ranges.names)]
        if self._range_featurizer is None:
            from drugscreen.featurizers.base import build_featurizer

            self._range_featurizer = build_featurizer(ranges.featurizer)
        return self._range_featurizer.featurize_many(mols)

    def _extra_starts_with_ranges(self) -> bool:
        """True when the descriptor ranges' columns are the first columns of ``extra`` (the
        same featurizer, or a later ``fast_descriptors`` version, which only appends names)."""
        cfg, ranges = self.extra_featurizer_config, self.descriptor_ranges
        if cfg is None or ranges is None:
            return False
        if cfg == ranges.featurizer:
            return True
        if self._extra_featurizer is None:
            from drugscreen.featurizers.base import build_featurizer

            self._extra_featurizer = build_featurizer(cfg)
        names = getattr(self._extra_featurizer, "names", None)  # a fingerprint has none
        return names is not None and list(names[: len(ranges.names)]) == list(ranges.names)

    @property
    def fingerprint_config(self) -> dict[str, Any]:
        """The fingerprint ``fps`` must hold (ECFP4: ``morgan`` radius 2, 2048 bits, packed)."""
        return self.config["domain"]["fingerprint"]

    @property
    def needs_fps(self) -> bool:
        """True when the models (or the forest) take the fingerprint as input (then ``fps`` is required)."""
        hybrid = (self.config.get("extra_features") or {}).get("kind") in ("fingerprint", "fingerprint+descriptors")
        return hybrid or bool(self.config.get("forest"))

    @property
    def descriptor_scaler(self) -> Any:
        """The fitted :class:`~drugscreen.featurizers.descriptors.DescriptorScaler` applied to
        ``extra`` by descriptor hybrids, or ``None``."""
        extra = self.config.get("extra_features") or {}
        if extra.get("kind") not in ("descriptors", "fingerprint+descriptors"):
            return None
        if self._desc_scaler is None:
            from drugscreen.featurizers.descriptors import DescriptorScaler

            try:
                self._desc_scaler = DescriptorScaler.from_dict(extra["scaler"])
            except (KeyError, TypeError, ValueError) as exc:
                raise BundleError(f"model bundle {self.path}: bad descriptor scaler in {CONFIG_FILE} ({exc})") from None
        return self._desc_scaler

    @property
    def tasks(self) -> list[dict[str, Any]]:
        """Task specs: ``name, column, type, units, direction, dataset``."""
        return self.config["tasks"]

    @property
    def task_names(self) -> list[str]:
        return [t["name"] for t in self.tasks]

    @property
    def n_members(self) -> int:
        return int(self.config["n_members"])

    @property
    def metrics(self) -> dict[str, Any]:
        return self.config.get("metrics", {})

    @property
    def domain_threshold(self) -> float:
        return float(self.config["domain"]["threshold"])

    def card(self) -> str:
        """The model card (markdown), or a short summary built from the config."""
        p = self.path / CARD_FILE
        if p.is_file():
            return p.read_text()
        if self.config.get("metrics") and self.config.get("training"):
            # a trained bundle copied without its card: the card is rendered from config.json
            from drugscreen.training.card import render_card

            try:
                return render_card(self.path) + f"\n_({CARD_FILE} is missing from {self.path}; this card was rendered from config.json.)_\n"
            except (KeyError, TypeError, ValueError) as exc:
                logger.debug("cannot render a card from %s: %s", self.path, exc)
        return f"# {self.name}\n\n{self.description}\n\nTasks: {', '.join(self.task_names)}\n"

    def __repr__(self) -> str:
        return f"ModelBundle(name={self.name!r}, tasks={len(self.tasks)}, members={self.n_members}, path='{self.path}')"

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (load_bundle, (str(self.path),))

    # -- weights -----------------------------------------------------------------------
    @property
    def models(self) -> list[Any]:
        """The ensemble members (``torch.nn.Module`` in eval mode, float32), built on first use."""
        if self._models is None:
            import torch

            from drugscreen.models import build_model

            models = []
            for i in range(self.n_members):
                state = _load_tensors(self.path / f"member_{i}.safetensors")
                model = build_model(self.config["model"])
                try:
                    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
                except RuntimeError as exc:
                    first = str(exc).strip().splitlines()[0]
                    raise BundleError(f"model bundle {self.path}: member_{i} does not match its model config ({first})") from None
                model.eval()
                for p in model.parameters():
                    p.requires_grad_(False)
                models.append(model)
            self._models = models
            del torch
        return self._models

    @property
    def forest(self) -> Any:
        """The blended :class:`~drugscreen.models.forest.ForestArrays`, or ``None``."""
        spec = self.config.get("forest")
        if not spec:
            return None
        if self._forest is None:
            from safetensors.numpy import load_file as load_numpy

            from drugscreen.models.forest import ForestArrays

            try:
                forest = ForestArrays.from_tensors(load_numpy(str(self.path / FOREST_FILE)), spec)
            except Exception as exc:  # corrupt header, wrong arrays, unknown format
                raise BundleError(f"model bundle {self.path}: {FOREST_FILE} is unusable ({exc})") from None
            if len(spec.get("tasks", [])) != forest.n_tasks or len(spec.get("weights", [])) != forest.n_tasks:
                raise BundleError(f"model bundle {self.path}: config forest tasks/weights do not match {FOREST_FILE}")
            self._forest = forest
        return self._forest

    @property
    def train_fps(self) -> np.ndarray:
        """Packed ECFP4 bits of the training set, ``(n_train, 256)`` uint8."""
        if self._train_fps is None:
            tensors = _load_tensors(self.path / FPS_FILE)  # read once: the fingerprints and their datasets
            self._train_fps = tensors["fps"].numpy()
            self._train_fps_datasets = tensors["datasets"].numpy() if "datasets" in tensors else None
        return self._train_fps

    @property
    def dataset_domain(self) -> Any:
        """Each training dataset's own fingerprints (:class:`~drugscreen.domain.DatasetDomain`),
        or ``None`` for a bundle that does not record which dataset each came from."""
        names = (self.config.get("domain") or {}).get("datasets")
        if not names:
            return None
        if self._dataset_domain is None:
            from drugscreen.domain import DatasetDomain

            fps = self.train_fps
            if self._train_fps_datasets is None:
                raise BundleError(f"model bundle {self.path}: {CONFIG_FILE} names the datasets of the training "
                                  f"fingerprints but {FPS_FILE} has no 'datasets' tensor")
            try:
                self._dataset_domain = DatasetDomain(fps, self._train_fps_datasets, names)
            except ValueError as exc:
                raise BundleError(f"model bundle {self.path}: {FPS_FILE} 'datasets' does not fit ({exc})") from None
        return self._dataset_domain

    def warm_up(self) -> None:
        """Build the members and prepare the applicability-domain reference now.

        Both happen on first use anyway; doing it before forking workers lets them share the
        weights and the prepared reference (copy-on-write) instead of building their own.
        """
        from drugscreen.domain import prepare_reference

        _ = self.models
        _ = self.forest
        if len(self.train_fps):
            prepare_reference(self.train_fps)  # also what dataset_domain searches
        _ = self.dataset_domain

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write this bundle (same config, weights and fingerprints) to another directory."""
        card = (self.path / CARD_FILE).read_text() if (self.path / CARD_FILE).is_file() else None
        states = [m.state_dict() for m in self.models]
        fps = self.train_fps
        return save_bundle(
            path, self.config, states, fps, self.config.get("weights_dtype", "float32"), card, forest=self.forest,
            train_fps_datasets=self._train_fps_datasets if self.dataset_domain is not None else None,
        )

    # -- inference ---------------------------------------------------------------------
    def predict_raw(
        self, graphs: Sequence[Any], extra: np.ndarray | None = None, fps: np.ndarray | None = None, batch_size: int = 512
    ) -> np.ndarray:
        """Uncalibrated per-member values ``(n_members, n, n_tasks)``: probabilities / values in units.

        With a forest, each member's value of a forest task is ``w * member + (1 - w) * forest``
        (``w`` from ``config["forest"]["weights"]``), before calibration.
        """
        import torch

        from drugscreen.domain import unpack_bits
        from drugscreen.featurizers.graph import collate

        _check_batch_size(batch_size)
        n, n_tasks = len(graphs), len(self.tasks)
        models = self.models
        out = np.empty((len(models), n, n_tasks), dtype=np.float64)
        if n == 0:
            return out
        if self.needs_fps and fps is None:
            raise ValueError(f"bundle {self.name} uses the ECFP4 fingerprint as input: pass fps= (packed bits)")
        if self.extra_featurizer_config is not None and extra is None:
            raise ValueError(f"bundle {self.name} needs extra= features ({self.extra_featurizer_config})")
        fp_bits = int(self.fingerprint_config["params"].get("n_bits", 2048))
        kind = (self.config.get("extra_features") or {}).get("kind")
        scaler = self.descriptor_scaler
        if scaler is not None:
            extra = scaler.transform(np.asarray(extra, dtype=np.float64))
            if len(extra) != n:
                raise ValueError(f"extra has {len(extra)} rows for {n} graphs")
        with torch.inference_mode():
            for start in range(0, n, batch_size):
                stop = min(start + batch_size, n)
                batch = collate(graphs[start:stop], pyg=False)
                parts = []
                if kind in ("fingerprint", "fingerprint+descriptors"):
                    parts.append(unpack_bits(np.asarray(fps)[start:stop], fp_bits))
                if kind in ("descriptors", "fingerprint+descriptors"):
                    parts.append(np.asarray(extra[start:stop], dtype=np.float32))
                ex = torch.from_numpy(parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)) if parts else None
                for m, model in enumerate(models):
                    out[m, start:stop] = model(batch, ex).double().numpy()
        cls = np.array([t["type"] == "classification" for t in self.tasks])
        out[..., cls] = 1.0 / (1.0 + np.exp(-out[..., cls]))
        scaler = self.config.get("scalers", {}).get("y")
        if scaler is not None:
            mean = np.array([np.nan if v is None else v for v in scaler["mean"]], dtype=np.float64)
            std = np.array([np.nan if v is None else v for v in scaler["std"]], dtype=np.float64)
            reg = ~cls
            out[..., reg] = out[..., reg] * std[reg] + mean[reg]
        forest = self.forest
        if forest is not None:
            cols = np.asarray(self.config["forest"]["tasks"], dtype=np.int64)
            w = np.asarray(self.config["forest"]["weights"], dtype=np.float64)
            # each distinct fingerprint once: a Screener's padding repeats one row up to 255 times
            # (a tree walk is per row, so the values are the same as walking every row)
            rows, back = np.unique(np.asarray(fps, dtype=np.uint8), axis=0, return_inverse=True)
            pf = forest.predict(np.unpackbits(rows, axis=1)[:, : forest.n_features])[back.reshape(-1)]
            out[..., cols] = w * out[..., cols] + (1.0 - w) * pf[None]
        return out

    def applicability(self, fps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Applicability domain of packed ECFP4 rows ``(n, 256)``: each molecule's maximum
        Tanimoto similarity to the training set, and whether it reaches the bundle's threshold."""
        from drugscreen.domain import max_tanimoto

        sim = max_tanimoto(np.asarray(fps), self.train_fps)  # it refuses bits or another width
        with np.errstate(invalid="ignore"):
            return sim, sim >= self.domain_threshold

    def out_of_domain_for(self, fps: np.ndarray, datasets: Sequence[str] | None = None) -> list[str] | None:
        """For packed ECFP4 rows ``(n, 256)``, the training datasets (of ``datasets``, default
        all) whose own molecules each is less similar to than :attr:`domain_threshold`, with
        that similarity (``"bace_classification, bace_regression 0.21; esol 0.27"``, "" when
        none); ``None`` for a bundle that does not record each fingerprint's datasets.

        ``in_domain`` asks about the whole training set: a molecule near Tox21's molecules is in
        it, yet nothing like it may be among BACE's or ESOL's few hundred.
        """
        _, _, per_dataset, names = self.domain_by_dataset(fps, datasets)
        return self.describe_out_of_domain(per_dataset, names)

    def describe_out_of_domain(self, per_dataset: np.ndarray | None, names: Sequence[str]) -> list[str] | None:
        """:meth:`out_of_domain_for` from similarities :meth:`domain_by_dataset` gave."""
        if per_dataset is None:
            return None
        if not names:
            return [""] * len(per_dataset)
        return self.dataset_domain.describe(per_dataset, names, self.domain_threshold)

    def domain_by_dataset(
        self, fps: np.ndarray, datasets: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, list[str]]:
        """:meth:`applicability` of packed ECFP4 rows, and in the same pass each molecule's
        similarity to each training dataset's own molecules (of ``datasets``, default all).

        Returns
        -------
        tuple
            ``(similarity, in_domain, per_dataset, names)``: as :meth:`applicability` (the same
            numbers), then ``(n, k)`` similarities to the ``k`` datasets ``names`` (``None`` and
            ``[]`` for a bundle that does not record each fingerprint's datasets).
        """
        dom = self.dataset_domain
        if dom is None:
            sim, ind = self.applicability(fps)
            return sim, ind, None, []
        names = dom.names if datasets is None else [d for d in dom.names if d in set(datasets)]
        fps = np.asarray(fps)
        if not len(fps):
            return np.zeros(0), np.zeros(0, dtype=bool), np.zeros((0, len(names))), names
        both = dom.similarity(fps, names, whole=True)
        sim = both[:, 0]
        with np.errstate(invalid="ignore"):
            return sim, sim >= self.domain_threshold, both[:, 1:], names

    def predict(
        self,
        graphs: Sequence[Any],
        extra: np.ndarray | None = None,
        fps: np.ndarray | None = None,
        batch_size: int = 512,
        *,
        domain: bool = True,
    ) -> Prediction:
        """Predict every task for a list of :class:`~drugscreen.featurizers.graph.MolGraph`.

        Parameters
        ----------
        graphs
            Graphs from the bundle's featurizer (:attr:`featurizer_config`) of the molecules
            standardized with :attr:`standardizer_config`.
        extra
            ``(n, d)`` extra features when :attr:`extra_featurizer_config` is not ``None``
            (raw featurizer output; a fingerprint + descriptor hybrid scales it itself).
        fps
            Packed ECFP4 bits ``(n, 256)`` uint8 (:attr:`fingerprint_config`); used for the
            applicability domain (and as model input when :attr:`needs_fps`). Without it,
            ``domain_similarity`` is NaN and ``in_domain`` False.
        batch_size
            Molecules per forward pass (changes the results only in the last digits, ~1e-7).
        domain
            Compute the applicability domain (:meth:`applicability`); ``False`` leaves
            ``domain_similarity`` NaN and ``in_domain`` False, for a caller that computes it
            for only some of the molecules.
        """
        from drugscreen.training.calibration import apply_calibration

        raw = self.predict_raw(graphs, extra, fps, batch_size)
        calib = self.config.get("calibration")
        members = np.stack([apply_calibration(r, calib) for r in raw]) if len(raw) else raw
        mean = apply_calibration(raw.mean(axis=0), calib) if raw.shape[1] else np.zeros((0, len(self.tasks)))
        std = members.std(axis=0) if raw.shape[1] else np.zeros((0, len(self.tasks)))
        if len(raw) < 2:  # one member has no spread to measure: unknown, not zero
            std = np.full_like(std, np.nan, dtype=np.float64)
        n = len(graphs)
        if domain and fps is not None and n:
            sim, in_domain = self.applicability(fps)
        else:
            sim, in_domain = np.full(n, np.nan), np.zeros(n, dtype=bool)
        return Prediction(mean=mean, std=std, domain_similarity=sim, in_domain=in_domain, task_names=self.task_names, members=members)

    def predict_smiles(self, smiles: str | Iterable[str], batch_size: int = 512) -> Prediction:
        """Convenience: parse, standardize and featurize SMILES, then :meth:`predict`.

        Invalid molecules get NaN rows (``in_domain`` False, ``out_of_range`` ""). For large
        screens use the Screener, which also reports why a molecule failed. The domain is the
        Screener's: an inorganic molecule (no carbon, or carbon only as CO2, carbonate, cyanide
        and the like) has ``in_domain`` False whatever its similarity, and ``out_of_range``
        (for bundles that record ranges) starts with why.

        Parameters
        ----------
        smiles
            SMILES strings (a list, an array of shape ``(n,)`` or ``(n, 1)``, a Series, a
            generator), one row each in order; a single string is one molecule, as in
            ``Screener.score``. Items given as bytes are read as UTF-8 text.
        batch_size
            Molecules per forward pass (at least 1).

        Raises
        ------
        TypeError
            ``smiles`` is bytes, a DataFrame (pass its SMILES column), a dict or a set, an
            array of another shape, or not iterable.
        ConfigError
            ``batch_size`` is not a positive integer.
        """
        from drugscreen.domain import ecfp4_packed
        from drugscreen.featurizers.base import build_featurizer
        from drugscreen.featurizers.molecule import Standardizer, prepare_molecule

        smiles = _smiles_list(smiles)
        _check_batch_size(batch_size)
        std = Standardizer.from_config(self.standardizer_config)
        feat = build_featurizer(self.featurizer_config)
        parsed = [prepare_molecule(s, std) for s in smiles]
        ok = [i for i, p in enumerate(parsed) if p.valid]
        mols = [parsed[i].mol for i in ok]
        extra = self.extra_inputs(mols)
        fps = ecfp4_packed(mols, self.fingerprint_config)
        sub = self.predict([feat(m) for m in mols], extra=extra, fps=fps, batch_size=batch_size, domain=False)
        # the whole set's similarity and each dataset's own, in one pass
        sub.domain_similarity, sub.in_domain, sub_ds, names = self.domain_by_dataset(fps)
        n, t = len(smiles), len(self.tasks)
        mean, sd = np.full((n, t), np.nan), np.full((n, t), np.nan)
        sim, ind = np.full(n, np.nan), np.zeros(n, dtype=bool)
        mean[ok], sd[ok], sim[ok], ind[ok] = sub.mean, sub.std, sub.domain_similarity, sub.in_domain
        beyond = None
        if self.descriptor_ranges is not None:
            beyond = [""] * n
            if mols:
                for i, text in zip(ok, self.descriptor_ranges.describe(self.range_inputs(mols, extra)), strict=True):
                    beyond[i] = text
        # as the Screener: an inorganic molecule is outside the domain whatever its similarity
        # (water and HCl are in the datasets, so theirs is 1), and out_of_range says why first
        from drugscreen.domain import inorganic_notes, with_note

        for i, note in zip(ok, inorganic_notes(mols), strict=True):
            if note:
                ind[i] = False
                if beyond is not None:
                    beyond[i] = with_note(note, beyond[i])
        far, per_dataset = None, None
        if sub_ds is not None:
            per_dataset = np.full((n, len(names)), np.nan)
            per_dataset[ok] = sub_ds
            far = [""] * n
            for i, text in zip(ok, self.describe_out_of_domain(sub_ds, names) or [], strict=True):
                far[i] = text
        return Prediction(mean=mean, std=sd, domain_similarity=sim, in_domain=ind, task_names=self.task_names,
                          out_of_range=beyond, out_of_domain_for=far, dataset_similarity=per_dataset,
                          domain_datasets=names if sub_ds is not None else None)


def _smiles_list(smiles: Any) -> list[Any]:
    """The molecules of :meth:`ModelBundle.predict_smiles`'s argument, one item per row.

    A DataFrame iterated gives its column names, a dict its keys and a 2-D array its rows as
    arrays, each then predicted as one (invalid) molecule without a word; they are refused or
    read as ``Screener.score`` reads them. Bytes items are decoded as UTF-8.
    """
    if isinstance(smiles, str):  # iterating it would predict each character ("C", "C", "O")
        return [smiles]
    what = type(smiles).__name__
    if what == "DataFrame":
        raise TypeError("predict_smiles takes SMILES strings, got a DataFrame (iterating it gives its column names); "
                        "pass its SMILES column, e.g. frame['smiles']")
    if isinstance(smiles, dict | set | frozenset):
        raise TypeError(f"predict_smiles takes SMILES strings (a list, a Series, an array), got a {what}"
                        f"{' (it has no order)' if what != 'dict' else ' (iterating it gives its keys)'}")
    if isinstance(smiles, np.ndarray) and smiles.ndim != 1:
        if smiles.ndim == 0:  # np.array("CCO"): one SMILES
            smiles = smiles.reshape(1)
        elif smiles.ndim == 2 and smiles.shape[1] == 1:  # a column vector, frame[["smiles"]].to_numpy()
            smiles = smiles[:, 0]
        else:
            raise TypeError(f"predict_smiles takes a 1-D sequence of SMILES (or an array of shape (n, 1)), got an "
                            f"array of shape {smiles.shape}")
    if isinstance(smiles, bytes | bytearray) or not isinstance(smiles, Iterable):
        raise TypeError(f"predict_smiles takes SMILES strings (a list, or one string), got {what}")
    items = []
    for s in smiles:  # a generator has no len(); read it once
        if isinstance(s, bytes | bytearray):  # an HDF5 or binary Parquet column, np.bytes_
            try:
                s = bytes(s).decode("utf-8")
            except UnicodeDecodeError:
                s = None  # not text: an invalid row, as a missing SMILES is
        items.append(s)
    return items


def _resolve(name_or_path: str | os.PathLike[str]) -> Path:
    p = Path(name_or_path).expanduser()  # "~/runs/mine", as pandas and the shell read it
    text = str(name_or_path)
    if p.exists() or p.is_absolute() or text.startswith((".", "~")):
        return p
    for d in _search_dirs():
        cand = d / text  # a bundle's name, or NAME/seedK of a training output with one per seed
        if (cand / CONFIG_FILE).is_file():
            return cand
        if _seed_bundles(cand):  # load_bundle names the seeds' bundles
            return cand
    if os.sep in text or "/" in text:
        return p  # a path that is not there: load_bundle says so
    names = [m.name for m in installed_models()]
    if not names:
        raise BundleError(f"unknown model bundle {text!r}: not a directory, and no bundles are installed")
    raise UnknownNameError("model bundle", text, names)


def load_bundle(name_or_path: str | os.PathLike[str], verify: bool = True) -> ModelBundle:
    """Load and verify a bundle by installed name (``"panel"``) or directory path (``~`` = home).

    Raises
    ------
    BundleError
        Missing file, checksum mismatch, truncated file or unknown ``format_version``, or a model
        that is not registered (a model of one's own whose plugin is not made known) (one line).
    UnknownNameError
        A name that is neither a directory nor an installed bundle.
    """
    root = _resolve(name_or_path).resolve()
    config = _read_config(root)
    if verify:
        _verify_files(root, config)
    _check_model_known(root, config)
    return ModelBundle(root, config)


#: The models drugscreen itself registers (:data:`~drugscreen.models.MODELS`): a bundle of one of
#: them is not looked up at load, which would import torch (``drugscreen models info`` stays at
#: a fraction of a second); a test keeps this list equal to the registry's own models.
BUILTIN_MODELS = ("affinity", "attentivefp", "dmpnn", "fp_mlp", "gine", "rf")


def _check_model_known(root: Path, config: dict[str, Any]) -> None:
    """Refuse a bundle whose model is not registered in this process (a model of one's own whose
    plugin is not made known): its members could not be built, and the first molecule scored
    would fail with an error naming no bundle.

    Raises
    ------
    BundleError
        Naming the bundle folder, the model, the registered models and how a model of one's own
        is made known (:data:`~drugscreen.registry.PLUGINS_ENV`, entry points of
        :data:`~drugscreen.registry.ENTRY_POINT_GROUP`).
    ConfigError
        A plugin named in ``$DRUGSCREEN_PLUGINS`` (or an entry point) cannot be imported.
    """
    model = config["model"]
    name = model.get("name") if isinstance(model, dict) else None
    if not isinstance(name, str) or not name:
        raise BundleError(f"model bundle {root}: {CONFIG_FILE} names no model ('model' is {model!r})")
    from drugscreen.registry import normalize_name, plugin_hint

    try:
        if normalize_name(name) not in {normalize_name(m) for m in BUILTIN_MODELS}:
            # importing the package registers the built-in models; the registry imports plugins on a miss
            from drugscreen.models import MODELS

            MODELS.get(name)
    except UnknownNameError as exc:
        # not the registry's message itself: for a name close to a built-in one ('my_gine') it
        # says "did you mean 'gine'?" in place of how plugins are found, and a bundle's name is no typo
        raise BundleError(
            f"model bundle {root} was trained with model {name!r}, which is not registered in this Python "
            f"(registered: {', '.join(exc.choices)}): {plugin_hint('model')}"
        ) from None
    extra = (config.get("extra_features") or {}).get("featurizer")
    if isinstance(extra, dict) and isinstance(extra.get("name"), str):
        from drugscreen.featurizers.base import FEATURIZERS

        try:
            FEATURIZERS.get(extra["name"])
        except UnknownNameError as exc:
            raise BundleError(
                f"model bundle {root} takes the features of featurizer {extra['name']!r}, which is not registered in "
                f"this Python (registered: {', '.join(exc.choices)}): {plugin_hint('featurizer')}"
            ) from None


@dataclass(frozen=True)
class ModelInfo:
    """Summary of an installed bundle (read from its config.json without loading weights)."""

    name: str
    path: Path
    description: str
    n_tasks: int
    n_members: int
    datasets: tuple[str, ...]
    summary: dict[str, Any]


def installed_models() -> list[ModelInfo]:
    """Bundles under ``drugscreen/resources/models`` (and ``$DRUGSCREEN_MODELS_DIR``), sorted by name."""
    out: dict[str, ModelInfo] = {}
    for d in _search_dirs():
        if not d.is_dir():
            continue
        # a bundle, or the seed<K> bundles of a training output with one per seed ("runs/ms/seed0": "ms/seed0")
        found = sorted(d.glob(f"*/{CONFIG_FILE}"))
        found += [s / CONFIG_FILE for run in sorted(d.iterdir()) if run.is_dir() and not (run / CONFIG_FILE).is_file()
                  for s in _seed_bundles(run)]
        for cfg in found:
            try:
                config = json.loads(cfg.read_text())
            except (OSError, ValueError):
                logger.warning("skipping unreadable bundle config %s", cfg)
                continue
            label = cfg.parent.relative_to(d).as_posix()
            name = str(config.get("name") or cfg.parent.name)
            tasks = config.get("tasks", [])
            out.setdefault(
                label,
                ModelInfo(
                    name=label,
                    path=cfg.parent,
                    description=str(config.get("description", "")) or name,
                    n_tasks=len(tasks),
                    n_members=int(config.get("n_members", 0)),
                    datasets=tuple(dict.fromkeys(t.get("dataset", "") for t in tasks)),
                    summary=config.get("metrics", {}).get("summary", {}),
                ),
            )
    return [out[k] for k in sorted(out)]


def load_panel(names: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None) -> list[ModelBundle]:
    """Load the installed bundles (all, or those named: one name or path, or a list of them)."""
    if names is None:
        names = [m.name for m in installed_models()]
    elif isinstance(names, str | os.PathLike):  # iterating "panel" would ask for bundles 'p', 'a', ...
        names = [names]
    return [load_bundle(n) for n in names]
