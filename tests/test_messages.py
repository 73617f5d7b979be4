"""The shared pieces of one-line messages: close-name hints and truncated listings."""

from __future__ import annotations

from drugscreen.messages import closest_names, did_you_mean, name_listing


def test_closest_names_ignore_case_and_keep_the_choice_spelling() -> None:
    assert closest_names("TOX2", ["tox21", "ToxCast", "esol"]) == ["tox21"]
    assert closest_names("hiden", ["hidden", "depth"], n=1) == ["hidden"]
    assert did_you_mean("bbpb", ["bbbp", "bace"]) == " (did you mean 'bbbp'?)"
    assert did_you_mean("zzz", ["bbbp"]) == ""


def test_name_listing_stays_one_line() -> None:
    assert name_listing([]) == "(none)"
    assert name_listing(["a", "b"]) == "a, b"
    assert name_listing([f"c{i}" for i in range(13)], limit=10, quote=True).endswith("'c9', ... (3 more)")


def test_unknown_name_error_stays_one_short_line_for_long_registries():
    # `--endpoints qed` printed all 47 endpoint names, a 30-line error box
    from drugscreen.exceptions import UnknownNameError

    err = UnknownNameError("endpoint", "qed", [f"tox21_task_{i}" for i in range(47)])
    assert "... (32 more)" in str(err) and len(str(err)) < 400 and len(err.choices) == 47
