"""Screening: defects found by the tenth user-perspective review (each test names its defect)."""

from __future__ import annotations

import pytest

from drugscreen.exceptions import ConfigError
from drugscreen.screening.profiles import Profile

_OBJECTIVE = "[[objectives]]\nendpoint='a'\nthresholds=[0,1]\n"


@pytest.mark.parametrize(
    ("toml", "match"),
    [
        # a bare ValueError (a traceback from `drugscreen screen --profile`) before
        ("[[objectives]]\nendpoint='a'\nthresholds=[0,1]\nweight='high'\n", "weight must be a finite number, got 'high'"),
        ("[filters]\nout_of_domain_penalty='half'\n" + _OBJECTIVE, "out_of_domain_penalty must be a finite number"),
        # accepted before: every score NaN (no rank at all), or a filter switched on by "false"
        ("[[objectives]]\nendpoint='a'\nthresholds=[0,1]\nweight=inf\n", "weight must be a finite number, got inf"),
        ("[[objectives]]\nendpoint='a'\nthresholds=[-inf,1]\n", "increasing finite numbers"),
        ("[filters]\nexclude_pains='false'\n" + _OBJECTIVE, "exclude_pains must be true or false"),
        ("[filters]\nexclude_brenk=1\n" + _OBJECTIVE, "exclude_brenk must be true or false"),
    ],
)
def test_profile_values_of_the_wrong_type_are_config_errors(toml: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Profile.from_toml(toml, source="p.toml")


def test_profile_filters_given_as_booleans_still_load() -> None:
    prof = Profile.from_toml("[filters]\nexclude_pains=false\nexclude_brenk=true\nout_of_domain_penalty=1\n" + _OBJECTIVE)
    assert (prof.exclude_pains, prof.exclude_brenk, prof.out_of_domain_penalty) == (False, True, 1.0)
    assert Profile.from_dict(prof.to_dict()) == prof
