"""Ranking profiles: how the predicted endpoints and properties combine into one ``score``.

A profile is a TOML file. Each ``[[objectives]]`` entry names an endpoint (``"hiv"``), a glob
over endpoints (``"tox21_*"``, merged with ``combine = "max" | "mean" | "min"``) or a property
column (``qed``, ``mw``, ``clogp``, ``tpsa``, ``hbd``, ``hba``, ``rotatable_bonds``,
``lipinski_violations``, ``permanent_charges``, ``acidic_groups``, ``ad_similarity``), the
desirable ``direction`` and a desirability curve given by
``thresholds`` (TOML numbers, increasing; each endpoint in one objective only):

``direction = "up"``, ``thresholds = [lo, hi]``
    desirability 0 at or below ``lo``, 1 at or above ``hi``, linear in between
    (efficacy, QED, BBB penetration);
``direction = "down"``, ``thresholds = [lo, hi]``
    1 at or below ``lo``, 0 at or above ``hi`` (toxicity, side effects, TPSA for CNS);
``direction = "window"``, ``thresholds = [a, b, c, d]``
    0 below ``a``, rising to 1 at ``b``, 1 up to ``c``, falling to 0 at ``d`` (logD, logS).

The ``score`` (0-1) is the weighted mean of the desirabilities (``aggregate = "mean"``) or
their weighted geometric mean (``aggregate = "geometric"``, where one 0 sinks the molecule).
An objective naming an endpoint the loaded panel lacks is an error in a profile the user
wrote (a misspelt endpoint would otherwise drop out of the score silently; the message
suggests a name only when one is genuinely close: one typo away, or the same name with a
suffix, never for a glob); a shipped profile used with a smaller panel skips such objectives
with a warning. No matching objective at all is always an error. Then the
``[filters]`` apply: ``exclude_pains`` / ``exclude_brenk`` (a hit sets the score to 0),
``exclude_alerts`` (a list of alert names as the ``alerts_pains`` and ``alerts_brenk``
columns write them, ``["acid_halide", "alkyl_halide"]``: a hit on one of them sets the score
to 0, where ``exclude_brenk`` would zero the 46 % of approved drugs with any Brenk alert; a
name neither catalog has is refused),
``max_lipinski_violations`` (more sets it to 0), ``exclude_inorganic`` (a molecule without
carbon, a bare metal such as ``[Pt]`` or cisplatin, or whose carbon is all inorganic, CO2 or
cyanide: the ones the screen's ``out_of_range`` marks ``inorganic:``, scores 0), ``min_mw``
(a lighter molecule, in g/mol: a solvent, a salt's ion, a fragment, scores 0; a molecule
whose MW or violations RDKit could not compute passes neither filter), ``out_of_domain_penalty`` (the score of a
molecule outside the models' applicability domain is multiplied by it), ``out_of_own_domain_weight``
(an objective on a model endpoint counts with its weight multiplied by this for a molecule that
the endpoint's own training dataset does not cover, the dataset the screen's
``out_of_domain_for`` names; 0 leaves the objective out for that molecule, as a missing
prediction, 1 = no change; a glob's objective when any dataset behind it does not);
:meth:`Profile.filter_notes` says which filter set a row's score to 0. ``rank`` orders the
valid molecules by score, 1 = best, ties broken by input order; invalid rows get no score and
no rank.

Profiles shipped in ``drugscreen/resources/profiles``: ``default`` and ``cns``; list them with
``drugscreen profiles list`` and print one with ``drugscreen profiles show NAME``.
"""

from __future__ import annotations

import fnmatch
import logging
import math
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from drugscreen.exceptions import ConfigError, UnknownNameError
from drugscreen.messages import did_you_mean, name_listing

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd

__all__ = [
    "Objective",
    "Profile",
    "available_profiles",
    "desirability",
    "load_profile",
    "profile_text",
    "rank_positions",
    "rank_scores",
]

logger = logging.getLogger(__name__)

_DIRECTIONS = ("up", "down", "window")
_COMBINE = ("max", "mean", "min")
_AGGREGATE = ("mean", "geometric")
_FILTER_KEYS = {
    "exclude_pains", "exclude_brenk", "exclude_alerts", "exclude_inorganic", "max_lipinski_violations", "min_mw",
    "out_of_domain_penalty", "out_of_own_domain_weight",
}
_OBJECTIVE_KEYS = {"endpoint", "direction", "weight", "thresholds", "combine", "label"}
#: ``Profile.source`` of a shipped profile: this prefix, then the profile's name.
SHIPPED_PREFIX = "shipped:"
#: Names an unmatched objective's message lists before counting the rest.
_MAX_LISTED_NAMES = 12


def _profiles_dir() -> Any:
    return resources.files("drugscreen").joinpath("resources", "profiles")


def available_profiles() -> dict[str, str]:
    """Shipped profile names -> their one-line description."""
    out: dict[str, str] = {}
    folder = _profiles_dir()
    if not folder.is_dir():
        return out
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            name = entry.name[: -len(".toml")]
            try:
                data = tomllib.loads(entry.read_text(encoding="utf-8"))
                out[name] = str(data.get("description", "")).strip().splitlines()[0] if data.get("description") else ""
            except (tomllib.TOMLDecodeError, IndexError):
                out[name] = "(unreadable)"
    return out


def profile_text(name_or_path: str | Path) -> str:
    """The TOML text of a shipped profile (by name) or of a profile file.

    A name ending ``.toml``, or naming a file, is read as a file; anything else (``cns``, even
    with a folder called ``cns`` in the working directory) is a shipped profile's name.
    """
    path = Path(str(name_or_path))
    if _is_file_reference(name_or_path):
        try:
            # utf-8-sig: Notepad and Excel save UTF-8 with a byte-order mark, which TOML refuses
            return path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise ConfigError(f"cannot read profile file {path}: {exc}") from exc
    entry = _profiles_dir().joinpath(f"{name_or_path}.toml")
    if not entry.is_file():
        raise UnknownNameError("profile", str(name_or_path), list(available_profiles()))
    return entry.read_text(encoding="utf-8")


def _is_file_reference(name_or_path: str | Path) -> bool:
    """Whether :func:`profile_text` reads ``name_or_path`` as a file (else as a shipped name)."""
    path = Path(str(name_or_path))
    return path.suffix.lower() == ".toml" or path.is_file()


def load_profile(name_or_path: str | Path | Profile) -> Profile:
    """Load a shipped profile by name (``"default"``, ``"cns"``) or a TOML file by path.

    A shipped profile's ``source`` is :data:`SHIPPED_PREFIX` + its name, so that
    :attr:`Profile.shipped` tells it from one a user wrote (which is held to a stricter
    standard: see :meth:`Profile.resolve`).
    """
    if isinstance(name_or_path, Profile):
        return name_or_path
    text = profile_text(name_or_path)
    source = str(name_or_path) if _is_file_reference(name_or_path) else f"{SHIPPED_PREFIX}{name_or_path}"
    return Profile.from_toml(text, source=source)


def desirability(values: np.ndarray, direction: str, thresholds: tuple[float, ...]) -> np.ndarray:
    """Map values to 0-1 with a piecewise-linear curve (NaN stays NaN).

    Parameters
    ----------
    values
        Predictions or property values.
    direction
        ``"up"``, ``"down"`` or ``"window"``.
    thresholds
        ``(lo, hi)`` for up/down, ``(a, b, c, d)`` for a window.
    """
    x = np.asarray(values, dtype=float)
    if direction == "up":
        lo, hi = thresholds
        return np.clip((x - lo) / (hi - lo), 0.0, 1.0) if hi > lo else np.where(np.isnan(x), np.nan, (x >= hi).astype(float))
    if direction == "down":
        lo, hi = thresholds
        return np.clip((hi - x) / (hi - lo), 0.0, 1.0) if hi > lo else np.where(np.isnan(x), np.nan, (x <= lo).astype(float))
    a, b, c, d = thresholds
    rise = np.clip((x - a) / (b - a), 0.0, 1.0) if b > a else (x >= b).astype(float)
    fall = np.clip((d - x) / (d - c), 0.0, 1.0) if d > c else (x <= c).astype(float)
    out = np.minimum(rise, fall)
    return np.where(np.isnan(x), np.nan, out)


def rank_scores(scores: Any) -> Any:
    """Ranks 1..n by descending score (ties by input position), as the ``rank`` column holds them.

    Parameters
    ----------
    scores
        One score per row; NaN for a row that has none (an invalid molecule, a filtered one).

    Returns
    -------
    pandas.arrays.IntegerArray
        ``Int64`` ranks, missing (``<NA>``) for the NaN scores: an unranked row has no rank
        rather than a rank 0 that sorts above rank 1.
    """
    import pandas as pd

    ranks = rank_positions(scores)
    return pd.arrays.IntegerArray(ranks, ranks == 0)


def rank_positions(scores: Any) -> np.ndarray:
    """:func:`rank_scores` as a NumPy ``int64`` array, where 0 stands for "no rank" (the form
    the screening engines write into Arrow and CSV columns, mapping 0 to a missing cell)."""
    s = np.asarray(scores, dtype=float)
    ranks = np.zeros(len(s), dtype=np.int64)
    ok = np.flatnonzero(~np.isnan(s))
    order = ok[np.argsort(-s[ok], kind="stable")]
    ranks[order] = np.arange(1, len(order) + 1)
    return ranks


def _close_names(name: str, choices: list[str]) -> str:
    """`` (did you mean 'bbbp'?)`` for an objective's endpoint the panel lacks, naming only
    genuinely close names: one edit (or one swap of neighbouring letters) away, a quarter of
    the name's length for longer names, or the name with a suffix (``hiv`` -> ``hiv_active``)
    or without one. ``""`` for a glob (``tox21_*`` matched nothing, so no single name is what
    was meant) and when nothing is close: a single-task bundle's ``active`` is not a
    misspelling of ``bace``, which difflib's ratio (0.6) took it for."""
    if any(ch in name for ch in "*?["):
        return ""
    low = name.lower()
    limit = max(1, len(low) // 4)
    scored = []
    for c in dict.fromkeys(str(c) for c in choices):
        other = c.lower()
        distance = _edit_distance(low, other)
        if distance <= limit or other.startswith(low + "_") or low.startswith(other + "_"):
            scored.append((distance, c))
    close = [c for _, c in sorted(scored)[:3]]
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def _edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of
    two neighbouring characters (``bbpb`` -> ``bbbp`` is 1)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def _alert_hits(cells: pd.Series, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Which cells of an alerts column (names joined with ``;``) hold each alert of ``names``.

    Each cell is split once, and only the cells holding an alert are looked at (most are
    empty): this runs on every chunk a profile with ``exclude_alerts`` scores.
    """
    text = cells.fillna("").astype(str).to_numpy()
    rows = np.flatnonzero(text != "")
    alerts = [set(text[i].split(";")) for i in rows]
    out = {}
    for name in names:
        hit = np.zeros(len(text), dtype=bool)
        hit[rows[[name in a for a in alerts]]] = True
        out[name] = hit
    return out


def _inorganic(cells: pd.Series) -> np.ndarray:
    """Which ``out_of_range`` cells start with the screen's inorganic note (no carbon atom, or
    carbon only as carbonate, cyanide, CO, CO2...)."""
    from drugscreen.domain import INORGANIC_CARBON_NOTE, INORGANIC_NOTE

    notes = {INORGANIC_NOTE, INORGANIC_CARBON_NOTE}
    text = cells.fillna("").astype(str).tolist()
    return np.array([t.split("; ", 1)[0] in notes for t in text], dtype=bool)


@dataclass(frozen=True)
class Objective:
    """One term of a profile (see the module docstring)."""

    endpoint: str
    direction: str
    thresholds: tuple[float, ...]
    weight: float = 1.0
    combine: str = "max"
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The objective as TOML-able values."""
        return {
            "endpoint": self.endpoint,
            "direction": self.direction,
            "thresholds": list(self.thresholds),
            "weight": self.weight,
            "combine": self.combine,
            "label": self.label,
        }


@dataclass(frozen=True)
class Profile:
    """A ranking profile: objectives, aggregation and hard filters."""

    name: str
    description: str = ""
    objectives: tuple[Objective, ...] = ()
    aggregate: str = "mean"
    exclude_pains: bool = False
    exclude_brenk: bool = False
    exclude_alerts: tuple[str, ...] = ()
    exclude_inorganic: bool = False
    max_lipinski_violations: int | None = None
    min_mw: float | None = None
    out_of_domain_penalty: float = 1.0
    out_of_own_domain_weight: float = 1.0
    source: str = field(default="", compare=False)

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_toml(cls, text: str, source: str = "<string>") -> Profile:
        """Parse and validate a profile; errors name the file and the offending key."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"profile {source}: not valid TOML: {exc}") from exc
        return cls.from_dict(data, source=source)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<dict>") -> Profile:
        """Build from the dict form of the TOML file (see the module docstring)."""

        def bad(msg: str) -> ConfigError:
            return ConfigError(f"profile {source}: {msg}")

        def number(value: Any, what: str) -> float:
            # a TOML number; text ("high"), a boolean or inf would otherwise raise a bare
            # ValueError or turn every score into NaN
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise bad(f"{what} must be a finite number, got {value!r}")
            return float(value)

        def flag(key: str) -> bool:
            # bool("false") is True: a quoted "false" would have switched the filter on
            value = filters.get(key, False)
            if not isinstance(value, bool):
                raise bad(f"{key} must be true or false (without quotes), got {value!r}")
            return value

        known = {"name", "description", "aggregate", "filters", "objectives"}
        unknown = set(data) - known
        if unknown:
            raise bad(f"unknown key(s) {sorted(unknown)}; expected {sorted(known)}")
        aggregate = data.get("aggregate", "mean")
        if aggregate not in _AGGREGATE:
            raise bad(f"aggregate must be one of {_AGGREGATE}, got {aggregate!r}")
        filters = data.get("filters", {})
        if not isinstance(filters, dict):
            raise bad("[filters] must be a table")
        unknown = set(filters) - _FILTER_KEYS
        if unknown:
            raise bad(f"unknown filter(s) {sorted(unknown)}; expected {sorted(_FILTER_KEYS)}")
        penalty = number(filters.get("out_of_domain_penalty", 1.0), "out_of_domain_penalty")
        exclude_pains, exclude_brenk = flag("exclude_pains"), flag("exclude_brenk")
        if not 0.0 <= penalty <= 1.0:
            raise bad(f"out_of_domain_penalty must be in 0..1, got {penalty}")
        own_weight = number(filters.get("out_of_own_domain_weight", 1.0), "out_of_own_domain_weight")
        if not 0.0 <= own_weight <= 1.0:
            raise bad(f"out_of_own_domain_weight must be in 0..1, got {own_weight}")
        exclude_alerts = filters.get("exclude_alerts", [])
        # a string would have been read letter by letter, a misspelt name matched nothing
        if not isinstance(exclude_alerts, list) or not all(isinstance(a, str) for a in exclude_alerts):
            raise bad(f"exclude_alerts must be a list of alert names (TOML strings), got {exclude_alerts!r}")
        if exclude_alerts:
            from drugscreen.screening.properties import alert_names

            every = [n for names in alert_names().values() for n in names]
            for name in exclude_alerts:
                if name not in every:
                    raise bad(f"exclude_alerts: no PAINS or Brenk alert is named {name!r}{did_you_mean(name, every)}")
        max_lip = filters.get("max_lipinski_violations")
        # a bool is an int to Python: "max_lipinski_violations = true" would have meant 1
        if max_lip is not None and (isinstance(max_lip, bool) or not isinstance(max_lip, int) or max_lip < 0):
            raise bad(f"max_lipinski_violations must be a whole number >= 0, got {max_lip!r}")
        min_mw = filters.get("min_mw")
        # min_mw = inf (valid TOML) would have set every score to 0
        if min_mw is not None and (
            isinstance(min_mw, bool) or not isinstance(min_mw, int | float) or not 0 <= min_mw < math.inf
        ):
            raise bad(f"min_mw must be a finite molecular weight >= 0 (g/mol), got {min_mw!r}")
        objectives = []
        raw_objectives = data.get("objectives", [])
        if not isinstance(raw_objectives, list) or not raw_objectives:
            raise bad("needs at least one [[objectives]] entry")
        for i, obj in enumerate(raw_objectives):
            where = f"objective {i + 1}"
            if not isinstance(obj, dict):
                raise bad(f"{where} must be a table")
            unknown = set(obj) - _OBJECTIVE_KEYS
            if unknown:
                raise bad(f"{where}: unknown key(s) {sorted(unknown)}; expected {sorted(_OBJECTIVE_KEYS)}")
            if "endpoint" not in obj:
                raise bad(f"{where}: missing 'endpoint'")
            direction = obj.get("direction", "up")
            if direction not in _DIRECTIONS:
                raise bad(f"{where} ({obj['endpoint']}): direction must be one of {_DIRECTIONS}, got {direction!r}")
            thresholds = obj.get("thresholds")
            need = 4 if direction == "window" else 2
            if not isinstance(thresholds, list) or len(thresholds) != need:
                raise bad(f"{where} ({obj['endpoint']}): thresholds must be a list of {need} numbers for direction {direction!r}")
            # float(True) is 1.0 and float("0.5") is 0.5: only TOML numbers are thresholds
            if not all(isinstance(t, int | float) and not isinstance(t, bool) for t in thresholds):
                raise bad(f"{where} ({obj['endpoint']}): thresholds must be numbers, got {thresholds!r}")
            th = tuple(float(t) for t in thresholds)
            if not all(math.isfinite(t) for t in th) or list(th) != sorted(th):
                raise bad(f"{where} ({obj['endpoint']}): thresholds must be increasing finite numbers, got {list(th)}")
            weight = number(obj.get("weight", 1.0), f"{where} ({obj['endpoint']}): weight")
            if not weight > 0:
                raise bad(f"{where} ({obj['endpoint']}): weight must be > 0, got {weight}")
            combine = obj.get("combine", "max")
            if combine not in _COMBINE:
                raise bad(f"{where} ({obj['endpoint']}): combine must be one of {_COMBINE}, got {combine!r}")
            endpoint = str(obj["endpoint"])
            # a copied block counted twice (its weight doubled) or, with the direction
            # flipped, cancelled the first one out, with nothing said
            first = next((j for j, o in enumerate(objectives) if o.endpoint == endpoint), None)
            if first is not None:
                raise bad(
                    f"{where} ({endpoint}): objective {first + 1} already scores {endpoint!r}; "
                    "keep one (raise its weight to count it more)"
                )
            objectives.append(Objective(endpoint, direction, th, weight, combine, str(obj.get("label", ""))))
        default_name = source.removeprefix(SHIPPED_PREFIX) if source.startswith(SHIPPED_PREFIX) else Path(source).stem
        return cls(
            name=str(data.get("name", default_name)),
            description=str(data.get("description", "")),
            objectives=tuple(objectives),
            aggregate=aggregate,
            exclude_pains=exclude_pains,
            exclude_brenk=exclude_brenk,
            exclude_alerts=tuple(dict.fromkeys(exclude_alerts)),
            exclude_inorganic=flag("exclude_inorganic"),
            max_lipinski_violations=max_lip,
            min_mw=None if min_mw is None else float(min_mw),
            out_of_domain_penalty=penalty,
            out_of_own_domain_weight=own_weight,
            source=source,
        )

    def to_dict(self) -> dict[str, Any]:
        """The profile as plain values (what :meth:`from_dict` reads)."""
        filters: dict[str, Any] = {
            "exclude_pains": self.exclude_pains,
            "exclude_brenk": self.exclude_brenk,
            "out_of_domain_penalty": self.out_of_domain_penalty,
        }
        if self.exclude_alerts:
            filters["exclude_alerts"] = list(self.exclude_alerts)
        if self.exclude_inorganic:
            filters["exclude_inorganic"] = True
        if self.max_lipinski_violations is not None:
            filters["max_lipinski_violations"] = self.max_lipinski_violations
        if self.min_mw is not None:
            filters["min_mw"] = self.min_mw
        if self.out_of_own_domain_weight < 1.0:  # left out at 1: run records of older profiles stay equal
            filters["out_of_own_domain_weight"] = self.out_of_own_domain_weight
        return {
            "name": self.name,
            "description": self.description,
            "aggregate": self.aggregate,
            "filters": filters,
            "objectives": [o.to_dict() for o in self.objectives],
        }

    # -- scoring ------------------------------------------------------------------------------
    @property
    def shipped(self) -> bool:
        """True for a profile shipped with drugscreen (loaded by name), False for one a user wrote."""
        return self.source.startswith(SHIPPED_PREFIX)

    def resolve(self, columns: dict[str, str]) -> list[tuple[Objective, list[str]]]:
        """Match objectives to value columns.

        Parameters
        ----------
        columns
            Name an objective may use (endpoint name, column name or property) -> the column
            holding its values.

        Returns
        -------
        list
            ``(objective, [columns])`` for every objective that matched something.

        Raises
        ------
        ConfigError
            An objective of a profile the user wrote (a file, a string or a dict) names
            nothing in ``columns`` (a misspelt endpoint would otherwise silently change the
            ranking), or no objective matches at all. The message names the closest names.
            A shipped profile used with a smaller panel only logs a warning for the
            objectives that panel lacks.
        """
        out = []
        missing: list[str] = []
        for obj in self.objectives:
            if obj.endpoint in columns:
                cols = [columns[obj.endpoint]]
            else:
                cols = list(dict.fromkeys(columns[k] for k in columns if fnmatch.fnmatchcase(k, obj.endpoint)))
            if cols:
                out.append((obj, cols))
            else:
                missing.append(obj.endpoint + _close_names(obj.endpoint, list(columns)))
        if not missing:
            return out
        where = f"profile {self.source.removeprefix(SHIPPED_PREFIX) if self.shipped else self.source}"
        what = "that objective" if len(missing) == 1 else "those objectives"
        if not out:
            raise ConfigError(
                f"{where}: none of its objectives matches this panel, which has no {', '.join(missing)}; "
                f"the panel has: {name_listing(list(columns), _MAX_LISTED_NAMES)}"
            )
        if not self.shipped:
            raise ConfigError(
                f"{where}: this panel has no {', '.join(missing)}; fix or remove {what} "
                f"(the panel has: {name_listing(list(columns), _MAX_LISTED_NAMES)})"
            )
        logger.warning("profile %s: this panel has no %s; %s skipped", self.name, ", ".join(missing), what)
        return out

    def _filter_hits(self, df: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
        """``(filter, rows it sets to 0)`` for each of the profile's zeroing filters, in the
        order :meth:`score` applies them. A value the filter cannot read (NaN ``mw`` or
        ``lipinski_violations``: RDKit's descriptors failed) does not pass it.
        ``exclude_inorganic`` reads the ``out_of_range`` column (its first entry is
        :data:`~drugscreen.domain.INORGANIC_NOTE` or
        :data:`~drugscreen.domain.INORGANIC_CARBON_NOTE` for an inorganic molecule)."""
        out = []
        if self.exclude_pains and "alerts_pains" in df:
            out.append(("exclude_pains", df["alerts_pains"].fillna("").astype(str).to_numpy() != ""))
        if self.exclude_brenk and "alerts_brenk" in df:
            out.append(("exclude_brenk", df["alerts_brenk"].fillna("").astype(str).to_numpy() != ""))
        if self.exclude_alerts:
            hits = {col: _alert_hits(df[col], self.exclude_alerts) for col in ("alerts_pains", "alerts_brenk") if col in df}
            out += [(f"exclude_alerts:{col}:{name}", hits[col][name]) for name in self.exclude_alerts for col in hits]
        if self.exclude_inorganic and "out_of_range" in df:
            out.append(("exclude_inorganic", _inorganic(df["out_of_range"])))
        if self.max_lipinski_violations is not None and "lipinski_violations" in df:
            lv = df["lipinski_violations"].to_numpy(dtype=float, na_value=np.nan)
            with np.errstate(invalid="ignore"):
                out.append(("max_lipinski_violations", ~(lv <= self.max_lipinski_violations)))
        if self.min_mw is not None and "mw" in df:
            mw = df["mw"].to_numpy(dtype=float, na_value=np.nan)
            with np.errstate(invalid="ignore"):
                out.append(("min_mw", ~(mw >= self.min_mw)))
        return out

    def filter_notes(self, df: pd.DataFrame) -> list[list[str]]:
        """Why the filters set each valid row's score to 0, one note per filter that did
        (``"score 0: MW 89.1 g/mol, under the profile's min_mw 100"``); ``[]`` for a row
        no filter touched and for invalid rows.

        ``df`` needs the columns :meth:`score` reads for the filters (``valid``,
        ``alerts_pains``, ``alerts_brenk``, ``lipinski_violations``, ``mw``, ``out_of_range``).
        """
        valid = df["valid"].to_numpy(dtype=bool)
        notes: list[list[str]] = [[] for _ in range(len(df))]
        for name, hit in self._filter_hits(df):
            rows = np.flatnonzero(hit & valid).tolist()
            if name.startswith("exclude_alerts:"):
                col, alert = name.removeprefix("exclude_alerts:").split(":", 1)
                catalog = "PAINS" if col == "alerts_pains" else "Brenk"
                for i in rows:
                    notes[i].append(f"score 0: {catalog} alert {alert} (the profile excludes it)")
            elif name in ("exclude_pains", "exclude_brenk"):
                catalog = "PAINS" if name == "exclude_pains" else "Brenk"
                for i in rows:
                    notes[i].append(f"score 0: {catalog} alert (the profile excludes {catalog} hits)")
            elif name == "exclude_inorganic":
                for i in rows:
                    notes[i].append("score 0: inorganic, no organic carbon (the profile excludes inorganic molecules)")
            elif name == "max_lipinski_violations":
                lv = df["lipinski_violations"].to_numpy(dtype=float, na_value=np.nan)
                for i in rows:
                    n = lv[i]
                    notes[i].append(
                        "score 0: Lipinski violations unknown (RDKit could not compute the properties)"
                        if np.isnan(n)
                        else f"score 0: {n:.0f} Lipinski violation{'' if n == 1 else 's'}, more than the profile "
                        f"allows ({self.max_lipinski_violations})"
                    )
            else:
                mw = df["mw"].to_numpy(dtype=float, na_value=np.nan)
                for i in rows:
                    notes[i].append(
                        "score 0: MW unknown (RDKit could not compute it)"
                        if np.isnan(mw[i])
                        else f"score 0: MW {mw[i]:.1f} g/mol, under the profile's min_mw {self.min_mw:g}"
                    )
        return notes

    def score(
        self,
        df: pd.DataFrame,
        resolved: list[tuple[Objective, list[str]]],
        outside_own: Mapping[str, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Scores (0-1, NaN for invalid rows) of a scored chunk.

        Parameters
        ----------
        df
            The columns named in ``resolved`` plus ``valid``, ``in_domain``, ``alerts_pains``,
            ``alerts_brenk``, ``lipinski_violations``, (for ``min_mw``) ``mw`` and (for
            ``exclude_inorganic``) ``out_of_range``.
        resolved
            :meth:`resolve`'s objectives and their columns.
        outside_own
            Value column -> boolean per row of ``df``: the molecule is outside the domain of
            that endpoint's own training dataset. Objectives on such a column count with
            :attr:`out_of_own_domain_weight` times their weight there; a column not in it (a
            property, or a panel that does not record each dataset's molecules) is never outside.
        """
        n = len(df)
        if not resolved:
            return np.full(n, np.nan)
        num = np.zeros(n)
        den = np.zeros(n)
        logsum = np.zeros(n)
        sunk = np.zeros(n, dtype=bool)  # some objective's desirability is 0 (geometric: score 0)
        own = self.out_of_own_domain_weight
        for obj, cols in resolved:
            weight = np.full(n, obj.weight)
            if own < 1.0 and outside_own:
                outside = [np.asarray(outside_own[c], dtype=bool) for c in cols if c in outside_own]
                if outside:
                    weight[np.logical_or.reduce(outside)] *= own
            vals = np.column_stack([df[c].to_numpy(dtype=float, na_value=np.nan) for c in cols])
            with np.errstate(all="ignore"):
                if vals.shape[1] == 1:
                    v = vals[:, 0]
                elif obj.combine == "max":
                    v = np.nanmax(np.where(np.isnan(vals), -np.inf, vals), axis=1)
                    v[np.isinf(v)] = np.nan
                elif obj.combine == "min":
                    v = np.nanmin(np.where(np.isnan(vals), np.inf, vals), axis=1)
                    v[np.isinf(v)] = np.nan
                else:
                    counts = (~np.isnan(vals)).sum(axis=1)
                    v = np.where(counts > 0, np.nansum(vals, axis=1) / np.maximum(counts, 1), np.nan)
            d = desirability(v, obj.direction, obj.thresholds)
            ok = ~np.isnan(d) & (weight > 0)  # weight 0: left out, as a missing prediction
            num[ok] += weight[ok] * d[ok]
            den[ok] += weight[ok]
            logsum[ok] += weight[ok] * np.log(np.maximum(d[ok], 1e-12))
            sunk |= ok & (d == 0.0)
        with np.errstate(all="ignore"):
            if self.aggregate == "geometric":
                score = np.where(den > 0, np.exp(logsum / np.maximum(den, 1e-300)), np.nan)
                # a 0 enters the log as 1e-12, which the weights then soften: an objective with a
                # 20th of the weight left exp(ln(1e-12) / 20) = 25 % of the score, not 0
                score[sunk | (score < 1e-9)] = 0.0
            else:
                score = np.where(den > 0, num / np.maximum(den, 1e-300), np.nan)
        valid = df["valid"].to_numpy(dtype=bool)
        score[~valid] = np.nan
        for _, hit in self._filter_hits(df):
            score[hit & valid] = 0.0
        if self.out_of_domain_penalty < 1.0 and "in_domain" in df:
            ind = df["in_domain"].astype("boolean").fillna(True).to_numpy(dtype=bool)
            score[~ind & valid] *= self.out_of_domain_penalty
        return score
