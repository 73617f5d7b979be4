"""Screening: the :class:`Screener`, ranking profiles, alerts and drug-likeness, reports.

Submodules are imported on first use so that ``import drugscreen`` stays light.
"""

from __future__ import annotations

from drugscreen._lazy import lazy_getattr

_LAZY = {
    "Screener": "drugscreen.screening.screener",
    "Profile": "drugscreen.screening.profiles",
    "load_profile": "drugscreen.screening.profiles",
    "available_profiles": "drugscreen.screening.profiles",
    "compute_properties": "drugscreen.screening.properties",
    "run_screen": "drugscreen.screening.run",
    "run_screen_ray": "drugscreen.screening.ray_engine",
    "read_scored": "drugscreen.screening.ray_engine",
    "write_report": "drugscreen.screening.report",
}

__all__ = sorted(_LAZY)
_SUBMODULES = frozenset({"screener", "profiles", "properties", "run", "ray_engine", "report"})


# drugscreen.screening.profiles.rank_scores after a plain import: the submodules too
__getattr__ = lazy_getattr(__name__, _LAZY, _SUBMODULES, globals())
