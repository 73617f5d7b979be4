"""The :class:`Screener`: score molecules with the shipped panel, alerts, drug-likeness, a profile.

Each molecule is parsed and standardized once (with the panel's policy), featurized once (the
graph every endpoint's shared trunk reads, the ECFP4 bits of the applicability domain, the
extra features when the panel has any), and the whole chunk goes through the model in
batches. Structural alerts and drug-likeness come from :mod:`.properties`, the ``score`` from
a ranking :class:`~drugscreen.screening.profiles.Profile`.

>>> from drugscreen import Screener                                  # doctest: +SKIP
>>> s = Screener.load()                      # shipped panel, loaded once
>>> df = s.score(["CCO", "c1ccccc1O"])       # or s.score(frame, smiles_col="smiles")
>>> for part in s.score_iter(rows, batch_size=4096): ...

Output columns (in this order, after the input's own columns): ``id``, ``smiles_std``,
``valid``, ``error``; per endpoint its value and ``<endpoint>_unc``; ``ad_similarity``,
``in_domain``, ``out_of_range``, ``out_of_domain_for``; ``alerts_pains``, ``alerts_brenk``; ``qed``, ``mw``, ``clogp``, ``tpsa``,
``hbd``, ``hba``, ``rotatable_bonds``, ``lipinski_violations``; ``score``, ``rank``. Numeric
columns are float64 (NaN for invalid rows), ``in_domain`` is a nullable boolean, ``rank`` a
nullable integer.

The applicability domain has two parts. ``ad_similarity`` / ``in_domain``: the maximum ECFP4
Tanimoto similarity to the panel's training molecules and whether it reaches the threshold
chosen on validation data (:mod:`drugscreen.domain`); an inorganic molecule (no carbon atom,
or carbon only as CO2, carbonate, cyanide and the like) is outside the domain whatever its
similarity, and ``out_of_range`` says so first (:data:`INORGANIC_NOTE`,
:data:`INORGANIC_CARBON_NOTE`). ``out_of_range``: the datasets (of the
endpoints output) whose training molecules' descriptor range the molecule leaves, with the
descriptor it leaves furthest, e.g. ``"esol: Chi1v 31.91 > 20.84 (+4 more)"``; empty when it
is inside every range (or the panel records none). Fingerprints cannot see size or
composition (a C64 alkane has heptane's ECFP4), the ranges can
(:mod:`drugscreen.descriptor_ranges`). ``out_of_domain_for``: the datasets (of the endpoints output)
whose own training molecules the molecule is less similar to than the threshold, with that
similarity, e.g. ``"bace_classification, bace_regression 0.21; esol 0.27"``; empty when it
reaches the threshold for each (or the panel does not record each fingerprint's datasets).
``in_domain`` asks about the panel's training molecules as a whole, most of them HIV's and
Tox21's.

A molecule's numbers do not depend on the batch it is scored in. The Screener is safe to use
from several threads (model calls are serialized with a lock) and pickles as its
configuration, so worker processes (``multiprocessing``, ``ray.data.Dataset.map_batches``)
rebuild it on the other side.
"""

from __future__ import annotations

import fnmatch
import logging
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from drugscreen.domain import INORGANIC_CARBON_NOTE, INORGANIC_NOTE, inorganic_notes, with_note
from drugscreen.exceptions import BundleError, ConfigError, InvalidMoleculeError
from drugscreen.io import fallback_id
from drugscreen.io import is_missing as _missing
from drugscreen.messages import EMPTY_SMILES
from drugscreen.screening.profiles import Profile, load_profile, rank_scores
from drugscreen.screening.properties import (
    ALERT_COLUMNS,
    NUMERIC_PROPERTY_COLUMNS,
    compute_properties,
)

if TYPE_CHECKING:
    import pandas as pd

    from drugscreen.bundle import ModelBundle

__all__ = ["IDENTITY_COLUMNS", "INORGANIC_CARBON_NOTE", "INORGANIC_NOTE", "Endpoint", "Screener", "count_out_of_domain", "endpoint_column_name", "panel_task_name"]

logger = logging.getLogger(__name__)

IDENTITY_COLUMNS = ("id", "smiles_std", "valid", "error")
DOMAIN_COLUMNS = ("ad_similarity", "in_domain", "out_of_range", "out_of_domain_for")
SCORE_COLUMNS = ("score", "rank")
#: Properties a profile objective may name besides endpoints.
PROFILE_PROPERTIES = NUMERIC_PROPERTY_COLUMNS + ("ad_similarity",)
# Output precision: predictions 6 decimals; properties as their definitions warrant.
_DECIMALS = {"qed": 4, "mw": 3, "clogp": 4, "tpsa": 2}


def count_out_of_domain(valid: Any, in_domain: Any) -> int:
    """How many scored rows lie outside the applicability domain: ``valid`` and ``in_domain``
    false (a missing ``in_domain`` does not count). Takes the two output columns (any array-likes)."""
    import pandas as pd

    ok = np.asarray(valid, dtype=bool)
    ind = pd.array(in_domain, dtype="boolean").to_numpy(dtype=bool, na_value=True)
    return int((ok & ~ind).sum())


def _blank(value: Any) -> bool:
    """An empty id cell: a missing value (:func:`_missing`) or only white space."""
    return _missing(value) or (isinstance(value, str) and not value.strip())


def _missing_cell(value: Any) -> bool:
    """A missing SMILES cell: :func:`_missing`, or a NumPy float NaN or ``pd.NaT`` that a
    typed column holds."""
    if _missing(value) or type(value).__name__ == "NaTType":
        return True
    return isinstance(value, np.floating) and bool(np.isnan(value))


def _smiles_text(value: Any) -> tuple[str, str]:
    """The text of a non-missing SMILES cell and ``""``, or the text to show and why the cell
    is not a SMILES: bytes (HDF5 and binary Parquet columns, ``np.bytes_``) are read as UTF-8,
    a number or any other object is refused by its type instead of being parsed as its
    ``str()`` (``5`` gave "syntax error while parsing: 5")."""
    if isinstance(value, str):
        return value, ""
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8"), ""
        except UnicodeDecodeError:
            return repr(bytes(value))[:80], "not a SMILES string: bytes that are not UTF-8 text"
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return str(value), f"not a SMILES string: {type(value).__name__} ({shown})"


def _whole_number_id(value: Any) -> Any:
    """An id read as a float that holds a whole number, as its integer: pandas reads a column of
    integer ids with one empty cell as floats, which would write ``101.0`` for ``101``."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _row_ids(index: Any) -> list[Any]:
    """Row identifiers from a frame's index: integers for an integer index (row numbers), the
    labels as text otherwise (a DataFrame indexed by name keeps its names)."""
    import numpy as np

    labels = list(index)
    if all(isinstance(x, int | np.integer) and not isinstance(x, bool) for x in labels):
        return [int(x) for x in labels]
    return [str(x) for x in labels]


def _check_on_invalid(on_invalid: Any) -> None:
    if on_invalid not in ("flag", "raise"):
        from drugscreen.exceptions import ConfigError

        raise ConfigError(f"on_invalid must be 'flag' or 'raise', not {on_invalid!r}")


def _units_suffix(units: str) -> str:
    """A column-name-safe short form of a unit: ``"log10(mol/L)" -> "log_mol_per_L"``."""
    text = (units or "").strip()
    if not text:
        return ""
    text = text.split(" (")[0].split()[0]  # "pIC50 (-log10 IC50/M)" -> "pIC50"
    text = re.sub(r"^log10\((.*)\)$", r"log_\1", text)
    text = text.replace("/", "_per_").replace(".", "_")
    text = re.sub(r"[^0-9A-Za-z_]+", "_", text)
    return re.sub(r"_+", "_", text).strip("_")


def endpoint_column_name(task: dict[str, Any]) -> str:
    """Output column of a task: its name; regression tasks get their units appended.

    ``{"name": "esol", "type": "regression", "units": "log10(mol/L)"}`` -> ``esol_log_mol_per_L``;
    classification tasks (probabilities 0-1) keep their name (``tox21_nr_ar``).
    """
    name = str(task["name"])
    if task.get("type") != "regression":
        return name
    suffix = _units_suffix(str(task.get("units", "")))
    if not suffix or suffix.lower() in name.lower():
        return name
    return f"{name}_{suffix}"


@dataclass(frozen=True)
class Endpoint:
    """One predicted endpoint: the bundle task and its output column.

    ``name`` is the panel-style name (:func:`panel_task_name`); ``alias`` the name the bundle
    stores when that differs (``p_np`` in a bundle trained on BBBP alone), else ``""``.
    """

    name: str
    column: str
    type: str
    units: str
    direction: str
    dataset: str
    index: int  # position in the bundle's task list
    alias: str = ""


def _check_probability_thresholds(resolved: list[Any], endpoints: dict[str, Endpoint], profile: Profile | None) -> None:
    """Refuse an objective on a probability (a classification endpoint, 0 to 1) whose thresholds
    lie outside 0-1: ``thresholds = [5, 80]`` (percent) gives every molecule the same
    desirability, and the objective would change nothing in the ranking without a word."""
    for obj, cols in resolved:
        probs = [c for c in cols if c in endpoints and endpoints[c].type == "classification"]
        if not probs or all(0.0 <= t <= 1.0 for t in obj.thresholds):
            continue
        hint = ""
        if all(0.0 <= t <= 100.0 for t in obj.thresholds):
            hint = f" (as fractions: [{', '.join(f'{t / 100:g}' for t in obj.thresholds)}]?)"
        where = f"profile {profile.name}" if profile is not None else "profile"
        raise ConfigError(
            f"{where}: objective {obj.endpoint!r} scores probabilities (0 to 1; {', '.join(probs[:3])}"
            f"{' ...' if len(probs) > 3 else ''}) but its thresholds are {list(obj.thresholds)}{hint}"
        )


def panel_task_name(task: dict[str, Any], n_dataset_tasks: int) -> str:
    """The name a bundle task has in the shipped panel, whatever run trained the bundle.

    A bundle trained on one dataset stores its tasks under the raw file columns (``p_np``,
    ``measured log solubility in mols per litre``), a joint run under panel-style names
    (``bbbp``, ``esol``, ``tox21_nr_ar``); profiles and ``--endpoints`` use the latter. For a
    registered dataset this gives the panel-style name from the task's ``dataset`` and
    ``column`` (the rule of :func:`drugscreen.training.data.task_name`); tasks of datasets the
    registry does not know (tests' toy datasets) keep their stored name.

    Parameters
    ----------
    task
        A task of ``ModelBundle.tasks`` (``name``, ``column``, ``dataset``).
    n_dataset_tasks
        How many of the bundle's tasks come from the task's dataset.
    """
    from drugscreen.data.catalog import DATASETS
    from drugscreen.training.data import task_name

    name = str(task["name"])
    dataset = str(task.get("dataset", "") or "")
    column = str(task.get("column", "") or "")
    if not dataset or not column or dataset not in DATASETS:
        return name
    return task_name(dataset, column, multi=True, n_tasks=n_dataset_tasks)


def _reserved_columns(endpoint_columns: Sequence[str]) -> dict[str, str]:
    """The columns the screen writes itself, each with what it holds."""
    reserved = {**{c: "an identity column" for c in IDENTITY_COLUMNS}, **{c: "an applicability-domain column" for c in DOMAIN_COLUMNS},
                **{c: "a property of every molecule" for c in ALERT_COLUMNS + NUMERIC_PROPERTY_COLUMNS},
                **{c: "the profile's score and rank" for c in SCORE_COLUMNS}, "smiles": "the input SMILES"}
    reserved.update({f"{c}_unc": f"the uncertainty of endpoint {c!r}" for c in endpoint_columns})
    return reserved


def column_collisions(endpoint_columns: Sequence[str]) -> dict[str, str]:
    """The endpoint columns that are also columns the screen writes itself (``mw``, ``qed``,
    ``score``, ``in_domain``, ..., another endpoint's ``<name>_unc``, ``smiles``), each with what
    that column holds; such an endpoint's predictions would be overwritten in the output."""
    reserved = _reserved_columns(endpoint_columns)
    clashes = {}
    for c in endpoint_columns:
        if c in reserved or c.lower() == "smiles":
            clashes[c] = reserved.get(c, "the input SMILES")
    return clashes


def case_collisions(endpoint_columns: Sequence[str]) -> dict[str, tuple[str, str]]:
    """The endpoint columns that differ only in case from a column the screen writes itself or
    from an earlier endpoint column (``MW`` beside ``mw``), each with ``(that column, what it
    holds)``. The output keeps both, but spreadsheets and SQL databases take them for one."""
    folded = {k.lower(): (k, what) for k, what in _reserved_columns(endpoint_columns).items()}
    clashes: dict[str, tuple[str, str]] = {}
    seen: dict[str, str] = {}
    for c in endpoint_columns:
        key = c.lower()
        if key in folded and folded[key][0] != c:
            clashes[c] = folded[key]
        elif key in seen and seen[key] != c:
            clashes[c] = (seen[key], "another endpoint")
        seen.setdefault(key, c)
    return clashes


def _bundle_endpoints(tasks: Sequence[dict[str, Any]]) -> list[Endpoint]:
    """The endpoints of a bundle's tasks, named as in the shipped panel (:func:`panel_task_name`)."""
    per_dataset: dict[str, int] = {}
    for t in tasks:
        ds = str(t.get("dataset", "") or "")
        per_dataset[ds] = per_dataset.get(ds, 0) + 1
    endpoints = []
    for i, t in enumerate(tasks):
        stored = str(t["name"])
        name = panel_task_name(t, per_dataset[str(t.get("dataset", "") or "")])
        endpoints.append(
            Endpoint(
                name=name,
                column=endpoint_column_name({**t, "name": name}),
                type=str(t.get("type", "classification")),
                units=str(t.get("units", "")),
                direction=str(t.get("direction", "none")),
                dataset=str(t.get("dataset", "")),
                index=i,
                alias=stored if stored != name else "",
            )
        )
    return endpoints


def _select_endpoints(all_endpoints: list[Endpoint], request: Sequence[str] | str | None) -> list[Endpoint]:
    """Endpoints named (or globbed, or by dataset) in ``request``; all when ``None``."""
    if request is None:
        return list(all_endpoints)
    if not isinstance(request, str | Iterable):  # list(5): "'int' object is not iterable"
        raise TypeError(f"endpoints= takes endpoint names (a list, or one comma-separated string such as "
                        f"'tox21,bbbp'), got {type(request).__name__}")
    items = [request] if isinstance(request, str) else list(request)
    words = [w.strip() for item in items for w in str(item).split(",") if w.strip()]
    if not words:
        return list(all_endpoints)
    chosen: list[Endpoint] = []
    for word in words:
        w = word.lower()
        hits = [
            e
            for e in all_endpoints
            if w in (e.name.lower(), e.column.lower(), e.dataset.lower(), e.alias.lower())
            or fnmatch.fnmatchcase(e.name.lower(), w)
            or fnmatch.fnmatchcase(e.column.lower(), w)
            or fnmatch.fnmatchcase(e.dataset.lower(), w)  # bace_* also selects bace (bace_classification)
        ]
        if not hits:
            from drugscreen.exceptions import UnknownNameError

            choices = sorted({e.name for e in all_endpoints} | {e.dataset for e in all_endpoints if e.dataset})
            raise UnknownNameError("endpoint", word, choices)
        chosen.extend(h for h in hits if h not in chosen)
    return sorted(chosen, key=lambda e: e.index)


def _default_bundle_name() -> str:
    from drugscreen.bundle import installed_models

    models = installed_models()
    if not models:
        raise BundleError(
            "no model panel is installed (drugscreen/resources/models is empty); "
            "pass panel=<bundle directory> or install drugscreen with its models"
        )
    names = [m.name for m in models]
    for preferred in ("panel", "default"):
        if preferred in names:
            return preferred
    if len(names) > 1:
        logger.info("several bundles installed (%s); using %s", ", ".join(names), names[0])
    return names[0]


def _input_name(name: str, taken: set[str]) -> str:
    """``<name>_input`` (or ``<name>_input2``, ... when taken) for an input column or index
    named like an output column; the name returned is added to ``taken``."""
    new, k = f"{name}_input", 1
    while new in taken:
        k += 1
        new = f"{name}_input{k}"
    taken.add(new)
    return new


class Screener:
    """Score molecules with a model panel; see the module docstring.

    Build with :meth:`load`. Parameters mirror :meth:`load`'s.
    """

    def __init__(
        self,
        bundle: ModelBundle,
        endpoints: Sequence[str] | str | None = None,
        profile: str | Path | Profile | None = "default",
        batch_size: int = 256,
    ) -> None:
        from drugscreen.domain import ECFP4_CONFIG
        from drugscreen.featurizers.base import build_featurizer
        from drugscreen.featurizers.molecule import Standardizer

        self.bundle = bundle
        self.batch_size = int(batch_size)
        if self.batch_size < 64:
            raise ConfigError(f"model batch size must be at least 64, got {batch_size}")
        self.standardizer = Standardizer.from_config(bundle.standardizer_config)
        self.featurizer = build_featurizer(bundle.featurizer_config)
        try:
            fp_cfg = bundle.fingerprint_config
        except (KeyError, TypeError):
            fp_cfg = ECFP4_CONFIG
        self._fp_config = fp_cfg
        self.all_endpoints = _bundle_endpoints(bundle.tasks)
        columns = [e.column for e in self.all_endpoints]
        if len(set(columns)) != len(columns):
            raise BundleError(f"bundle {bundle.name}: two tasks map to the same output column: {columns}")
        clashes = column_collisions(columns)
        if clashes:  # a bundle trained before training refused such names
            col, what = next(iter(clashes.items()))
            raise BundleError(f"bundle {bundle.name}: endpoint column {col!r} is also {what} in the screen's output, so its "
                              f"predictions would be lost; retrain it with the label column renamed (e.g. {col}_measured)")
        self._endpoint_request = endpoints
        self.endpoints = _select_endpoints(self.all_endpoints, endpoints)
        self.profile: Profile | None = load_profile(profile) if profile is not None else None
        self._resolved = self.profile.resolve(self.objective_columns) if self.profile is not None else []
        _check_probability_thresholds(self._resolved, {e.column: e for e in self.all_endpoints}, self.profile)
        # the profile's out_of_own_domain_weight: the dataset behind each endpoint column it scores
        self._score_datasets: dict[str, str] = {}
        if self.profile is not None and self.profile.out_of_own_domain_weight < 1.0:
            by_column = {e.column: e.dataset for e in self.all_endpoints}
            self._score_datasets = {c: by_column[c] for _, cols in self._resolved for c in cols if c in by_column}
            if self._score_datasets and bundle.dataset_domain is None:
                logger.warning(
                    "profile %s: out_of_own_domain_weight changes nothing with panel %s, which does not record "
                    "each training molecule's dataset (retrain it with this version to record them)",
                    self.profile.name, bundle.name,
                )
        if self._resolved and all(c in PROFILE_PROPERTIES for _, cols in self._resolved for c in cols):
            logger.warning(
                "profile %s: none of its model objectives matches this panel, so `score` and `rank` use "
                "drug-likeness alone; give a profile naming this panel's endpoints (%s) with --profile",
                self.profile.name, ", ".join(e.name for e in self.all_endpoints[:6]),
            )
        self._lock = threading.Lock()
        self._pad: tuple[Any, np.ndarray, np.ndarray | None] | bool | None = None  # _padding(); False: none

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def load(
        cls,
        panel: str | Path | ModelBundle | None = None,
        endpoints: Sequence[str] | str | None = None,
        profile: str | Path | Profile | None = "default",
        batch_size: int = 256,
        device: str = "cpu",
    ) -> Screener:
        """Load a panel and a profile.

        Parameters
        ----------
        panel
            Installed bundle name, bundle directory, or a
            :class:`~drugscreen.bundle.ModelBundle` already loaded; ``None`` = the shipped panel.
        endpoints
            Endpoints to output: names (``"hiv"``), datasets (``"tox21"``), globs
            (``"sider_*"``), as a list or one comma-separated string; ``None`` = all. The
            profile's score always uses every endpoint it names, whatever is output.
        profile
            Shipped profile name (``"default"``, ``"cns"``), TOML path, a :class:`Profile`, or
            ``None`` (no ``score``/``rank``: the columns are NaN).
        batch_size
            Molecules per model forward pass. Every pass is padded to exactly this size, so
            a molecule's numbers never depend on its neighbours; at least 64.
        device
            ``"cpu"`` (or ``"auto"``, which is the CPU too in this version).

        Raises
        ------
        BundleError, UnknownNameError, ConfigError
        """
        import os

        from drugscreen.bundle import ModelBundle, load_bundle

        if device not in ("cpu", "auto"):
            raise ConfigError(f"device {device!r} is not supported yet; the Screener runs on 'cpu'")
        if isinstance(panel, ModelBundle):  # loaded already (drugscreen.load_bundle), e.g. to read its tasks
            return cls(panel, endpoints=endpoints, profile=profile, batch_size=batch_size)
        if panel is not None and not isinstance(panel, str | os.PathLike):
            raise TypeError(f"panel= takes a bundle name, a bundle directory or a loaded ModelBundle, got {type(panel).__name__}")
        bundle = load_bundle(panel if panel is not None else _default_bundle_name())
        return cls(bundle, endpoints=endpoints, profile=profile, batch_size=batch_size)

    def __getstate__(self) -> dict[str, Any]:
        return {
            "panel": str(self.bundle.path),
            "endpoints": self._endpoint_request,
            "profile": self.profile.to_dict() if self.profile is not None else None,
            "profile_source": self.profile.source if self.profile is not None else "",
            "batch_size": self.batch_size,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        from drugscreen.bundle import load_bundle

        profile = Profile.from_dict(state["profile"], source=state["profile_source"]) if state["profile"] else None
        self.__init__(  # type: ignore[misc]
            load_bundle(state["panel"]), endpoints=state["endpoints"], profile=profile, batch_size=state["batch_size"]
        )

    def __repr__(self) -> str:
        prof = self.profile.name if self.profile is not None else None
        return f"Screener(panel={self.bundle.name!r}, endpoints={len(self.endpoints)}, profile={prof!r})"

    # -- columns ------------------------------------------------------------------------------
    @property
    def output_columns(self) -> list[str]:
        """The columns the Screener appends to the input's, in order."""
        cols = list(IDENTITY_COLUMNS)
        for e in self.endpoints:
            cols += [e.column, f"{e.column}_unc"]
        return cols + list(DOMAIN_COLUMNS) + list(ALERT_COLUMNS) + list(NUMERIC_PROPERTY_COLUMNS) + list(SCORE_COLUMNS)

    @property
    def objective_columns(self) -> dict[str, str]:
        """What a profile objective may name -> the column holding its values: each endpoint's
        name and column (and a bundle's stored task name, ``p_np``), and the properties
        (:data:`PROFILE_PROPERTIES`). What :meth:`Profile.resolve` takes; the ``_unc`` columns
        are not in it, so ``tox21_*`` matches the predictions alone."""
        names: dict[str, str] = {}
        for e in self.all_endpoints:
            names[e.name] = e.column
            names[e.column] = e.column
        for e in self.all_endpoints:  # a bundle's stored name (p_np) names its endpoint too
            if e.alias:
                names.setdefault(e.alias, e.column)
        for p in PROFILE_PROPERTIES:
            names[p] = p
        return names

    @property
    def range_datasets(self) -> list[str]:
        """The datasets ``out_of_range`` speaks of: those of the output endpoints that the
        panel records descriptor ranges for."""
        ranges = self.bundle.descriptor_ranges
        if ranges is None:
            return []
        wanted = {e.dataset for e in self.endpoints}
        return [g for g in ranges.groups if g in wanted]

    @property
    def domain_datasets(self) -> list[str]:
        """The datasets ``out_of_domain_for`` speaks of: those of the output endpoints."""
        return sorted({e.dataset for e in self.endpoints})

    def config(self) -> dict[str, Any]:
        """What defines this Screener's output (for run records and ``--resume`` checks)."""
        return {
            "panel": str(self.bundle.path),
            "panel_name": self.bundle.name,
            # the weights' checksums: a panel retrained in place keeps its path and name
            "panel_files": dict(self.bundle.config.get("files", {})),
            "endpoints": [e.name for e in self.endpoints],
            "profile": self.profile.to_dict() if self.profile is not None else None,
            "output_columns": self.output_columns,
        }

    def warm_up(self) -> None:
        """Load everything scoring uses now: weights, domain reference, alert catalogs, modules.

        All of it happens on first use anyway. Call it before forking worker processes: they
        then share what it built (copy-on-write) instead of each building and importing it
        again after the fork (``run_screen`` does this).
        """
        import pandas as pd

        self.bundle.warm_up()
        self.score_chunk(pd.DataFrame({"smiles": ["c1ccccc1CC(=O)N"]}), "smiles")

    # -- scoring ------------------------------------------------------------------------------
    def score(
        self,
        data: Sequence[str] | pd.DataFrame | pd.Series,
        smiles_col: str | int | None = None,
        id_col: str | int | None = None,
        on_invalid: Literal["flag", "raise"] = "flag",
    ) -> pd.DataFrame:
        """Score molecules; one output row per input, in input order, ranked over all of them.

        Parameters
        ----------
        data
            SMILES strings (a list, any iterable, a 1-D array or one of shape ``(n, 1)``, a
            Series, whose index and name the output keeps), or a DataFrame holding a SMILES column.
            An index named like an output column (a frame indexed by ``id``) keeps its labels,
            its name taking ``_input`` (``id_input``), as such an input column's name does.
        smiles_col
            The SMILES column of a DataFrame (default: ``smiles``/``canonical_smiles``/``smi``);
            a frame read without a header (integer column labels) takes ``0`` or ``"0"``.
        id_col
            The identifier column (default: ``id``/``name`` when present, else the row number);
            an empty cell of it gets ``"row N"`` (:func:`drugscreen.io.fallback_id`).
        on_invalid
            ``"flag"``: keep invalid rows with ``valid=False`` and the reason in ``error``;
            ``"raise"``: raise :class:`~drugscreen.exceptions.InvalidMoleculeError` for the
            first one (with its index and reason).

        Raises
        ------
        TypeError
            ``data`` holds no SMILES sequence (``None``, a number, bytes, a set or dict, a file
            path, an array of another shape), or ``smiles_col``/``id_col`` is given without a DataFrame.
        InputFormatError
            The SMILES or id column is missing or ambiguous.
        ConfigError
            ``on_invalid`` is neither ``"flag"`` nor ``"raise"``.
        InvalidMoleculeError
            With ``on_invalid="raise"``, for the first invalid molecule.
        """
        import pandas as pd

        _check_on_invalid(on_invalid)
        frame, scol, icol = self._as_frame(data, smiles_col, id_col)
        chunks = [frame.iloc[i : i + 4096] for i in range(0, len(frame), 4096)] or [frame]
        parts = [self.score_chunk(c, scol, icol, on_invalid=on_invalid) for c in chunks]
        out = pd.concat(parts) if len(parts) > 1 else parts[0]
        out["rank"] = rank_scores(out["score"].to_numpy(dtype=float))
        return out

    def score_iter(
        self,
        rows: Iterable[str] | Iterable[pd.DataFrame] | Iterable[Sequence[str]],
        batch_size: int = 4096,
        smiles_col: str | int | None = None,
        id_col: str | int | None = None,
        on_invalid: Literal["flag", "raise"] = "flag",
    ) -> Iterator[pd.DataFrame]:
        """Score a stream of molecules, chunk by chunk; for one DataFrame or list use :meth:`score`.

        Yields one scored DataFrame per chunk, indexed by the running input position; a chunk
        indexed by labels (``pd.read_csv(..., index_col="name", chunksize=...)``, a filtered
        frame) keeps them as its ``id`` (without an id column), as :meth:`score` does. ``rank``
        needs the whole run, so it is left empty here; rank the concatenated ``score`` with
        :func:`drugscreen.screening.profiles.rank_scores` (the CLI does this at the end).

        Parameters
        ----------
        rows
            An iterable (a generator, a file's lines, a ``pd.read_csv(..., chunksize=...)``
            reader) whose items are either SMILES strings (or UTF-8 bytes; ``None`` = missing), scored
            ``batch_size`` at a time, or chunks: DataFrames holding a SMILES column, or lists
            (tuples, Series, NumPy arrays of shape ``(n,)`` or ``(n, 1)``, as
            ``np.array_split`` makes them) of SMILES strings, each scored as one output frame.
            Not a single DataFrame or string, and not dicts (records): those raise ``TypeError``.
        batch_size
            SMILES strings per yielded frame (chunks keep their own size); a Python or NumPy
            integer.
        smiles_col, id_col, on_invalid
            As in :meth:`score`, for DataFrame chunks.

        Raises
        ------
        TypeError
            ``rows`` is a DataFrame, a string, a dict or not iterable, or an item is neither a
            SMILES string nor a chunk.
        InvalidMoleculeError
            With ``on_invalid="raise"``, for the first invalid molecule.
        """
        import pandas as pd

        _check_on_invalid(on_invalid)
        if isinstance(batch_size, bool | np.bool_) or not isinstance(batch_size, int | np.integer) or batch_size < 1:
            from drugscreen.exceptions import ConfigError

            raise ConfigError(f"batch_size must be a positive integer, not {batch_size!r}")
        if isinstance(rows, pd.DataFrame | str | bytes | dict):
            what = "a DataFrame" if isinstance(rows, pd.DataFrame) else f"a {type(rows).__name__}"
            raise TypeError(
                f"score_iter takes an iterable of SMILES strings or of chunks (DataFrames or lists of SMILES), "
                f"got {what} (iterating it would score its {'column names' if isinstance(rows, pd.DataFrame) else 'parts'}); "
                "use score() for one DataFrame or list, or pass [frame] / an iterable of chunks"
            )
        if not isinstance(rows, Iterable):
            raise TypeError(f"score_iter takes an iterable of SMILES strings or of chunks, got {type(rows).__name__}")
        start = 0
        buf: list[Any] = []
        for item in rows:
            if isinstance(item, str | bytes | bytearray) or _missing_cell(item):
                buf.append(item)
                if len(buf) >= batch_size:
                    yield self._score_strings(buf, start, on_invalid)
                    start += len(buf)
                    buf = []
                continue
            if not isinstance(item, pd.DataFrame | pd.Series | list | tuple | np.ndarray):
                raise TypeError(
                    f"score_iter: item {start + len(buf)} is a {type(item).__name__} ({str(item)[:60]!r}); items must be "
                    "SMILES strings or chunks (DataFrames, lists or arrays of SMILES); for records (dicts) build a "
                    "DataFrame and call score(pd.DataFrame(records))"
                )
            if buf:
                yield self._score_strings(buf, start, on_invalid)
                start += len(buf)
                buf = []
            if isinstance(item, pd.DataFrame):
                frame, scol, icol = self._as_frame(item, smiles_col, id_col)
            else:
                frame, scol, icol = self._as_frame(item, None, None)
            running = pd.RangeIndex(start, start + len(frame))
            if isinstance(frame.index, pd.RangeIndex):
                if not frame.index.equals(running):
                    frame = frame.set_axis(running)
                yield self.score_chunk(frame, scol, icol, on_invalid=on_invalid)
            else:  # labels (a reader's index_col=, a filtered frame): the ids, as score() makes them
                yield self.score_chunk(frame, scol, icol, on_invalid=on_invalid).set_axis(running)
            start += len(frame)
        if buf:
            yield self._score_strings(buf, start, on_invalid)

    def _score_strings(self, smiles: list[str], start: int, on_invalid: Literal["flag", "raise"]) -> pd.DataFrame:
        import pandas as pd

        index = pd.RangeIndex(start, start + len(smiles))
        frame = pd.DataFrame({"smiles": pd.Series(smiles, index=index, dtype=object)}, index=index)
        return self.score_chunk(frame, "smiles", None, on_invalid=on_invalid)

    def _as_frame(self, data: Any, smiles_col: str | int | None, id_col: str | int | None) -> tuple[pd.DataFrame, Any, Any]:
        import pandas as pd

        from drugscreen.io.formats import ID_COLUMN_NAMES, SMILES_COLUMN_NAMES
        from drugscreen.io.tables import find_column

        if isinstance(data, bytes | bytearray | set | frozenset | dict):
            what = {"set": "a set (it has no order)", "frozenset": "a set (it has no order)"}.get(
                type(data).__name__, f"a {type(data).__name__}")
            raise TypeError(f"score() takes SMILES strings (a list, a Series or a DataFrame column), got {what}")
        if isinstance(data, str):
            if Path(data).suffix and Path(data).is_file():
                raise TypeError(f"score() takes SMILES, not a file path ({data!r}); read the file with "
                                "drugscreen.io.read_table(path) and pass the frame, or use `drugscreen screen`")
            data = [data]
        if not isinstance(data, pd.DataFrame) and (smiles_col is not None or id_col is not None):
            # a list or Series has no columns to choose: the argument would be ignored silently
            given = "smiles_col" if smiles_col is not None else "id_col"
            raise TypeError(f"{given}= names a column of a DataFrame; a {type(data).__name__} has none "
                            "(a Series's index gives the ids)")
        if isinstance(data, pd.Series):  # keeps its index (the ids) and its name
            name = str(data.name) if data.name is not None else "smiles"
            return data.astype(object).rename(name).to_frame(), name, None
        if isinstance(data, np.ndarray) and data.ndim != 1:
            if data.ndim == 0:  # np.array("CCO"): one SMILES
                data = [data.item()]
            elif data.ndim == 2 and data.shape[1] == 1:  # a column vector, e.g. frame[["smiles"]].to_numpy()
                data = data[:, 0]
            else:  # its rows would be scored as the text of arrays ("['CCO' 'x']"), every one invalid
                raise TypeError(
                    f"score() takes a 1-D sequence of SMILES (or an array of shape (n, 1)), got an array of shape "
                    f"{data.shape}; pass the SMILES column, or a DataFrame with smiles_col="
                )
        if not isinstance(data, pd.DataFrame):
            if not isinstance(data, Iterable):  # None, a number: Python's "'NoneType' object is not iterable"
                raise TypeError(f"score() takes SMILES strings (a list, a Series, an array, one string) or a DataFrame, "
                                f"got {'None' if data is None else type(data).__name__}")
            data = list(data)
            return pd.DataFrame({"smiles": pd.Series(data, dtype=object)}), "smiles", None
        labels = list(data.columns)
        columns = [str(c) for c in labels]
        scol = find_column(columns, None if smiles_col is None else str(smiles_col), SMILES_COLUMN_NAMES, "smiles", required=True,
                            arg="smiles_col=")
        icol = find_column(columns, None if id_col is None else str(id_col), ID_COLUMN_NAMES, "id", required=False, arg="id_col=")
        assert scol is not None
        # the columns are matched by their text; a frame read with header=None has the integer
        # labels 0, 1, ..., which index it as themselves (frame["0"] would be a KeyError)
        return data, self._column_label(labels, columns, scol), self._column_label(labels, columns, icol)

    @staticmethod
    def _column_label(labels: list[Any], columns: list[str], name: str | None) -> Any:
        """The frame's own label of the column whose text is ``name`` (``0`` for ``"0"``)."""
        if name is None or name in labels:
            return name
        hits = [label for label, text in zip(labels, columns, strict=True) if text == name]
        if len(hits) > 1:
            from drugscreen.exceptions import InputFormatError

            raise InputFormatError(f"several columns are named {name!r} ({', '.join(map(repr, hits))}); rename them apart")
        return hits[0]

    def empty_output(self, columns: list[str], smiles_col: str, id_col: str | None = None) -> pd.DataFrame:
        """The output of an input without rows: no rows, the input's ``columns`` then the scored
        ones (what both engines write for an empty file)."""
        import pandas as pd

        return self.score_chunk(pd.DataFrame({c: pd.Series([], dtype=object) for c in columns}), smiles_col, id_col)

    def score_chunk(
        self,
        frame: pd.DataFrame,
        smiles_col: str,
        id_col: str | None = None,
        on_invalid: Literal["flag", "raise"] = "flag",
    ) -> pd.DataFrame:
        """Score one chunk (the unit the CLI streams); ``rank`` is left empty.

        ``frame`` keeps all its columns; its index is used as the row number for ids and
        error messages. A column ``__read_error__`` (set by readers for unreadable records)
        marks rows invalid with that reason.
        """
        import pandas as pd

        from drugscreen.featurizers.molecule import ParsedMolecule, prepare_molecule
        from drugscreen.io import ERROR_COLUMN

        n = len(frame)
        raw = frame[smiles_col].tolist()
        read_errors = frame[ERROR_COLUMN].tolist() if ERROR_COLUMN in frame.columns else None
        parsed: list[ParsedMolecule] = []
        for i, s in enumerate(raw):
            if read_errors is not None and read_errors[i]:
                parsed.append(ParsedMolecule("" if s is None else str(s), None, "", str(read_errors[i])))
                continue
            if _missing_cell(s):
                parsed.append(ParsedMolecule("", None, "", EMPTY_SMILES))
                continue
            text, problem = _smiles_text(s)
            if problem:
                parsed.append(ParsedMolecule(text, None, "", problem))
                continue
            parsed.append(prepare_molecule(text, self.standardizer))
        ok = [i for i, p in enumerate(parsed) if p.valid]
        errors = [p.error for p in parsed]
        mols = [parsed[i].mol for i in ok]
        graphs, good = self._featurize(mols, errors, ok)
        if len(good) != len(ok):
            keep = set(good)
            mols = [parsed[i].mol for i in good]
            ok = good
            for i in range(n):
                if i not in keep and not errors[i]:
                    errors[i] = "featurization failed"
        if on_invalid == "raise":
            bad = next((i for i in range(n) if errors[i] or not parsed[i].valid), None)
            if bad is not None:
                raise InvalidMoleculeError(_row_ids(frame.index[bad : bad + 1])[0], str(raw[bad]), errors[bad] or "invalid molecule")
        okarr = np.array(ok, dtype=np.int64)
        t = len(self.all_endpoints)
        mean = np.full((n, t), np.nan)
        std = np.full((n, t), np.nan)
        sim = np.full(n, np.nan)
        in_dom = pd.array([pd.NA] * n, dtype="boolean")
        out_of_range = np.full(n, "", dtype=object)
        out_of_domain_for = np.full(n, "", dtype=object)
        props: dict[str, Any] = {}
        outside_own: dict[str, np.ndarray] = {}
        if len(ok):
            from drugscreen.domain import ecfp4_packed

            fps = ecfp4_packed(mols, self._fp_config)
            extra = self.bundle.extra_inputs(mols)
            pred = self._predict(graphs, extra, fps)
            mean[okarr] = pred.mean
            std[okarr] = pred.std
            sim[okarr] = pred.domain_similarity
            dom = np.array(pred.in_domain, dtype=bool)
            raw_desc = self.bundle.range_inputs(mols, extra)
            if raw_desc is not None:
                out_of_range[okarr] = self.bundle.descriptor_ranges.describe(raw_desc, self.range_datasets)
            names = pred.domain_datasets or []
            output = set(self.domain_datasets)
            shown = [k for k, d in enumerate(names) if d in output]  # the output endpoints' datasets only
            per_dataset = pred.dataset_similarity
            far = self.bundle.describe_out_of_domain(None if per_dataset is None else per_dataset[:, shown],
                                                     [names[k] for k in shown])
            if far is not None:
                out_of_domain_for[okarr] = np.asarray(far, dtype=object)
            outside_own = self._outside_own(per_dataset, names, okarr, n)
            for j, note in enumerate(inorganic_notes(mols)):
                if note:  # outside the domain whatever its similarity (water is in the datasets)
                    dom[j] = False
                    out_of_range[okarr[j]] = with_note(note, out_of_range[okarr[j]])
            in_dom[okarr] = dom
            props = compute_properties(mols)
        valid = np.zeros(n, dtype=bool)
        valid[okarr] = True

        row_ids = _row_ids(frame.index)
        if id_col is None:
            ids = row_ids
        else:  # an empty id cell gets "row N", which no other row's id "N" can be taken for
            given = frame[id_col].tolist()
            ids = [fallback_id(i) if _blank(v) else _whole_number_id(v) for v, i in zip(given, row_ids, strict=True)]
            if any(isinstance(v, str) for v in ids):  # one type per column (Parquet)
                ids = [v if isinstance(v, str) else str(v) for v in ids]
        out_cols: dict[str, Any] = {
            "id": pd.Series(ids, index=frame.index, dtype=object),
            "smiles_std": pd.Series([parsed[i].smiles_std if valid[i] else "" for i in range(n)], index=frame.index, dtype=object),
            "valid": pd.Series(valid, index=frame.index),
            "error": pd.Series(["" if valid[i] else (errors[i] or "invalid molecule") for i in range(n)], index=frame.index, dtype=object),
        }
        every: dict[str, Any] = {}
        mean, std, sim = np.round(mean, 6), np.round(std, 6), np.round(sim, 6)
        for e in self.all_endpoints:
            every[e.column] = mean[:, e.index]
            every[f"{e.column}_unc"] = std[:, e.index]
        for e in self.endpoints:
            out_cols[e.column] = every[e.column]
            out_cols[f"{e.column}_unc"] = every[f"{e.column}_unc"]
        out_cols["ad_similarity"] = sim
        out_cols["in_domain"] = pd.Series(in_dom, index=frame.index)
        out_cols["out_of_range"] = pd.Series(out_of_range, index=frame.index, dtype=object)
        out_cols["out_of_domain_for"] = pd.Series(out_of_domain_for, index=frame.index, dtype=object)
        for c in ALERT_COLUMNS:
            col = np.full(n, "", dtype=object)
            if len(ok):
                col[okarr] = np.asarray(props[c], dtype=object)
            out_cols[c] = pd.Series(col, index=frame.index, dtype=object)
        for c in NUMERIC_PROPERTY_COLUMNS:
            col = np.full(n, np.nan)
            if len(ok):
                col[okarr] = np.round(props[c], _DECIMALS.get(c, 6))
            out_cols[c] = col
        added = pd.DataFrame(out_cols, index=frame.index)
        if self.profile is not None:
            scoring = added.copy()
            missing = {k: v for k, v in every.items() if k not in scoring.columns}
            if missing:
                scoring = pd.concat([scoring, pd.DataFrame(missing, index=frame.index)], axis=1)
            added["score"] = self.profile.score(scoring, self._resolved, outside_own)
        else:
            added["score"] = np.nan
        added["rank"] = pd.array([pd.NA] * n, dtype="Int64")
        base = frame.drop(columns=[ERROR_COLUMN], errors="ignore")
        if id_col is not None and str(id_col).lower() == "id" and id_col in base.columns:
            # the input's own id column (any case: ID, Id) stays where it is, named id, with its
            # cells as they were but an empty one given "row N"; no second id column
            base = base.copy()
            base[id_col] = added["id"]
            added = added.drop(columns=["id"])
            if id_col != "id":
                base = base.rename(columns={id_col: "id"})
        clash = [c for c in added.columns if c in base.columns]
        if clash:
            # an input column with an output name (e.g. a re-scored file): keep the input's as
            # <name>_input, or <name>_input2, ... when that name is taken too (a file scored twice)
            taken = {*base.columns, *added.columns}
            base = base.rename(columns={c: _input_name(c, taken) for c in clash})
        out = pd.concat([base, added], axis=1)
        names = list(out.index.names)
        if any(n is not None and n in out.columns for n in names):
            # a frame indexed by its ids (frame.set_index("id")): an index named like a column made
            # reset_index() fail ("cannot insert id, already exists") and groupby("id") ambiguous;
            # the name takes _input as such an input column does, the labels stay
            taken = {*out.columns, *names}
            names = [_input_name(n, taken) if n is not None and n in out.columns else n for n in names]
            out.index = out.index.set_names(names)
        return out

    def _predict(self, graphs: list[Any], extra: np.ndarray | None, fps: np.ndarray) -> Any:
        """Model predictions with every forward pass exactly ``batch_size`` graphs long.

        CPU kernels pick different summation orders for small matrices, so a molecule scored
        alone could differ in the 7th digit from the same molecule scored among thousands.
        Padding the last batch (whose padding outputs are dropped) keeps every forward pass the
        same number of graphs, so a molecule's numbers do not depend on its neighbours or on
        how the input was chunked. The padding is ethane (:meth:`_padding`), not repeats of the
        chunk's molecules: one drug scored alone was 256 copies of it through every member,
        about 1 s a call instead of a few tens of ms, for the same numbers.
        """
        n = len(graphs)
        bs = self.batch_size
        pad = (-n) % bs
        filler = self._padding() if pad else None
        if filler is not None:
            g, f, e = filler
            graphs = list(graphs) + [g] * pad
            fps = np.concatenate([fps, np.repeat(f, pad, axis=0)])
            if extra is not None:
                extra = np.concatenate([extra, np.repeat(np.asarray(e, dtype=extra.dtype), pad, axis=0)])
        elif pad:  # a featurizer of one's own that cannot take ethane: repeats of the chunk's own
            reps = [i % n for i in range(pad)]
            graphs = list(graphs) + [graphs[i] for i in reps]
            fps = np.concatenate([fps, fps[reps]])
            if extra is not None:
                extra = np.concatenate([extra, extra[reps]])
        with self._lock:
            pred = self.bundle.predict(graphs, extra=extra, fps=fps, batch_size=bs, domain=False)
            # the domain of the real molecules only: similarities are exact whatever the batch
            pred.domain_similarity, pred.in_domain, pred.dataset_similarity, pred.domain_datasets = (
                self.bundle.domain_by_dataset(fps[:n], sorted({*self.domain_datasets, *self._score_datasets.values()})))
        if pad:
            pred.mean, pred.std = pred.mean[:n], pred.std[:n]
            if pred.members is not None:
                pred.members = pred.members[:, :n]
        return pred

    def _outside_own(self, per_dataset: np.ndarray | None, names: list[str], rows: np.ndarray, n: int) -> dict[str, np.ndarray]:
        """For the profile's ``out_of_own_domain_weight``: each endpoint column it scores ->
        whether each of the ``n`` rows (similarities ``per_dataset`` for ``rows``) is under the
        domain threshold for that endpoint's own training dataset. ``{}`` when the profile does
        not weigh it or the panel does not record each fingerprint's datasets."""
        if per_dataset is None or not self._score_datasets:
            return {}
        with np.errstate(invalid="ignore"):
            below = np.asarray(per_dataset) < self.bundle.domain_threshold  # NaN: not outside
        out = {}
        for column, dataset in self._score_datasets.items():
            if dataset in names:
                flags = np.zeros(n, dtype=bool)
                flags[rows] = below[:, names.index(dataset)]
                out[column] = flags
        return out

    def _padding(self) -> tuple[Any, np.ndarray, np.ndarray | None] | None:
        """The graph, packed fingerprint row and extra-feature row that fill a model batch:
        ethane's, made once with the bundle's own standardizer and featurizers; ``None`` when
        a featurizer of one's own refuses ethane (the chunk's own molecules are repeated then)."""
        if self._pad is None:
            from drugscreen.domain import ecfp4_packed
            from drugscreen.featurizers.molecule import prepare_molecule

            try:
                mol = prepare_molecule("CC", self.standardizer).mol
                extra = self.bundle.extra_inputs([mol])
                self._pad = (self.featurizer(mol), ecfp4_packed([mol], self._fp_config), extra)
            except Exception as exc:  # any featurizer's refusal
                logger.debug("no ethane padding for bundle %s (%s); padding with the chunk's molecules", self.bundle.name, exc)
                self._pad = False
        return self._pad if isinstance(self._pad, tuple) else None

    def _featurize(self, mols: list[Any], errors: list[str], ok: list[int]) -> tuple[list[Any], list[int]]:
        """Graphs for ``mols``; a molecule the featurizer rejects is flagged instead."""
        if not mols:
            return [], []
        many = getattr(self.featurizer, "featurize_many", None)
        try:
            graphs = many(mols) if many is not None else [self.featurizer(m) for m in mols]
            return list(graphs), list(ok)
        except Exception:  # one bad molecule: find it, flag it, keep the rest
            graphs, good = [], []
            for i, m in zip(ok, mols, strict=True):
                try:
                    graphs.append(self.featurizer(m))
                    good.append(i)
                except Exception as exc:
                    errors[i] = f"featurization failed: {exc}"
            return graphs, good

