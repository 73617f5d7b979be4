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


def test_report_that_cannot_be_written_is_refused_before_the_run(tmp_path) -> None:
    """``--report nodir/r.html`` scored the whole input, wrote the output, then stopped with a
    FileNotFoundError traceback; ``--report r.png`` wrote an HTML page named .png. Both are
    now refused before anything is scored or written, with exit 1 as for ``-o out.xyz`` and
    ``repurpose --report r.pdf`` (they exited 2, a usage error, here alone)."""
    from screen_fixtures import GOOD, TINY_BUNDLE, write_smi
    from typer.testing import CliRunner

    from drugscreen.cli import app

    if not (TINY_BUNDLE / "config.json").is_file():
        pytest.skip("tiny bundle fixture missing")
    src = write_smi(tmp_path / "a.smi", GOOD)
    out = tmp_path / "o.csv"
    for report, words in ((tmp_path / "nodir" / "r.html", "does not exist"), (tmp_path / "r.png", "name it .html")):
        res = CliRunner().invoke(app, ["screen", str(src), "-o", str(out), "--report", str(report), "--panel", str(TINY_BUNDLE), "-q"])
        assert res.exit_code == 1, res.output
        text = " ".join((res.output + str(res.exception)).replace("│", " ").split())  # main() prints it as one Error: line
        assert words in text and "Traceback" not in text
        assert not out.exists() and not report.exists()


def test_write_report_os_error_is_one_line(tmp_path) -> None:
    """A report that cannot be written at the end of a run (its folder removed meanwhile) is an
    InputFormatError naming it, and leaves no temporary file."""
    from drugscreen.exceptions import InputFormatError
    from drugscreen.screening import report as report_mod

    target = tmp_path / "gone" / "r.html"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(report_mod, "render_report", lambda *a, **k: "<!DOCTYPE html>")
        with pytest.raises(InputFormatError, match="cannot write the report .*r.html: No such file or directory"):
            report_mod.write_report(target, None, None, None, {}, [], 0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("hydrate", "anhydrous"),
    [("N[Pt](N)(Cl)Cl.O", "N[Pt](N)(Cl)Cl"), ("O.O.N[Pt](N)(Cl)Cl", "N[Pt](N)(Cl)Cl"), ("O=C=O.O", "O=C=O"), ("O.[Gd+3]", "[Gd+3]")],
)
def test_hydrate_of_a_carbon_free_molecule_is_scored_as_the_molecule(hydrate: str, anhydrous: str) -> None:
    """Cisplatin monohydrate ``N[Pt](N)(Cl)Cl.O`` was refused as an 'inorganic salt or mixture'
    whose largest fragment 'would score [NH2][Pt]... instead, another compound', with the hint
    to write the bonds to the metal as N[Pt](N)(Cl)Cl, which it was; the anhydrous form is
    scored. A carbon-free molecule plus water is now scored as the molecule (out of the domain),
    and a salt with water of crystallization (copper sulfate pentahydrate) is still refused."""
    from drugscreen.featurizers.molecule import prepare_molecule

    result = prepare_molecule(hydrate)
    assert result.valid and result.smiles_std == prepare_molecule(anhydrous).smiles_std
    for salt in ("O.O.[Cu+2].[O-]S([O-])(=O)=O", "O.O", "[Na+].[OH-].O"):
        assert prepare_molecule(salt).error.startswith("inorganic salt or mixture")


def test_screener_flags_a_carbon_free_hydrate_like_its_molecule() -> None:
    from screen_fixtures import TINY_BUNDLE

    from drugscreen import Screener
    from drugscreen.screening.screener import INORGANIC_NOTE

    if not (TINY_BUNDLE / "config.json").is_file():
        pytest.skip("tiny bundle fixture missing")
    df = Screener.load(TINY_BUNDLE).score(["N[Pt](N)(Cl)Cl.O", "N[Pt](N)(Cl)Cl"])
    assert df["valid"].tolist() == [True, True] and df["in_domain"].tolist() == [False, False]
    assert df["out_of_range"].str.startswith(INORGANIC_NOTE).all()
    numbers = df.select_dtypes("number").drop(columns=["rank"], errors="ignore")
    assert numbers.iloc[0].equals(numbers.iloc[1])


def test_run_screen_refuses_an_unwritable_report_before_scoring(tmp_path) -> None:
    """The Python API checks the report path before the run too (it failed only after scoring)."""
    from screen_fixtures import GOOD, TINY_BUNDLE, write_smi

    from drugscreen.exceptions import InputFormatError
    from drugscreen.screening.run import run_screen

    src = write_smi(tmp_path / "a.smi", GOOD)
    out = tmp_path / "o.csv"
    with pytest.raises(InputFormatError, match="does not exist"):
        run_screen(src, out, panel=TINY_BUNDLE, report=tmp_path / "nodir" / "r.html", jobs=1)
    assert not out.exists() and not any(p.name.startswith(".o.csv") for p in tmp_path.iterdir())


def test_integer_ids_with_a_gap_stay_integers(tmp_path) -> None:
    """pandas reads an integer id column with one empty cell as floats: the ids were written
    101.0, 1 (the row-number fallback, now "row 1"), 103.0 in one column, and a join on 101 failed."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    from screen_fixtures import GOOD, TINY_BUNDLE

    from drugscreen.screening.run import run_screen

    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"smiles": GOOD[:3], "id": pa.array([101, None, 103], pa.int64())}), src)
    out = tmp_path / "o.csv"
    run_screen(src, out, panel=TINY_BUNDLE, jobs=1)
    assert pd.read_csv(out, dtype=str)["id"].tolist() == ["101", "row 1", "103"]
    frame = pd.DataFrame({"smiles": GOOD[:3], "id": [1.5, float("nan"), 7.0]})
    from drugscreen.screening.screener import Screener

    assert Screener.load(TINY_BUNDLE).score(frame, id_col="id")["id"].tolist() == ["1.5", "row 1", "7"]
