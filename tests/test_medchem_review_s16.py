"""Defects a medicinal chemist found reading every column and the report of a screen of known
molecules (approved drugs, PAINS, amino acids, salts)."""

from __future__ import annotations

import re
from html import escape as html_escape

import numpy as np
import pandas as pd
import pytest
from screen_fixtures import TINY_BUNDLE, write_smi
from typer.testing import CliRunner

from drugscreen.cli import app
from drugscreen.exceptions import ConfigError
from drugscreen.screening.profiles import Profile

runner = CliRunner()

#: A profile for the tiny test panel with every filter switched on.
FILTERS_TOML = """
name = "filters"
[filters]
exclude_pains = true
min_mw = 100.0
max_lipinski_violations = 0
out_of_domain_penalty = 0.5
[[objectives]]
endpoint = "qed"
thresholds = [0.2, 0.7]
"""

MOLECULES = [
    "O=C1NC(=S)SC1=Cc1ccc(O)cc1 rhodanine",  # PAINS ene_rhod_A, Brenk Michael acceptor
    "C[C@H](N)C(=O)O alanine",  # 89 g/mol, under min_mw
    "CCCCCCCCCCCCCCCCCC(=O)O stearic_acid",  # cLogP 6.3: one Lipinski violation
    "CC(C)NCC(O)COc1cccc2ccccc12 propranolol",  # passes every filter
]


def _cards(page: str) -> dict[str, str]:
    """The report's molecule cards by id, drawings cut out."""
    page = re.sub(r"<svg.*?</svg>", "", page, flags=re.S)
    out = {}
    for card in page.split('<div class="card">')[1:]:
        card = card.split("<h2>")[0]  # the last card: not the sections after the grid
        found = re.search(r'<div class="id">(.*?)</div>', card)
        assert found is not None
        out[found.group(1)] = card
    return out


def _screen_report(tmp_path) -> tuple[pd.DataFrame, dict[str, str]]:
    src = write_smi(tmp_path / "hits.smi", MOLECULES)
    prof = tmp_path / "filters.toml"
    prof.write_text(FILTERS_TOML)
    report = tmp_path / "r.html"
    res = runner.invoke(app, ["screen", str(src), "-o", str(tmp_path / "o.csv"), "--report", str(report),
                              "--profile", str(prof), "--panel", str(TINY_BUNDLE), "-q"])  # fmt: skip
    assert res.exit_code == 0, res.output
    return pd.read_csv(tmp_path / "o.csv"), _cards(report.read_text(encoding="utf-8"))


def test_report_card_says_which_filter_set_a_score_to_0(tmp_path):
    """Cards of molecules a profile filter zeroed showed "score 0.000" and nothing else: L-alanine
    (under min_mw) had no alert and no note, so the chemist could not tell a filtered molecule
    from one every model disliked, and the out-of-domain chip did not say that the score had been
    multiplied by the penalty. Each card now names the filter and the value that tripped it."""
    df, cards = _screen_report(tmp_path)
    scores = dict(zip(df["id"], df["score"], strict=True))
    assert scores["rhodanine"] == 0.0 and scores["alanine"] == 0.0 and scores["stearic_acid"] == 0.0
    assert "score 0: PAINS alert (the profile excludes PAINS hits)" in cards["rhodanine"]
    assert "score 0: MW 89.1 g/mol, under the profile&#x27;s min_mw 100" in cards["alanine"]
    assert "score 0: 1 Lipinski violation, more than the profile allows (0)" in cards["stearic_acid"]
    assert 'class="note"' not in cards["propranolol"] and scores["propranolol"] > 0
    # the out-of-domain chip says what the profile's penalty did to the score
    outside = df.loc[~df["in_domain"].astype(bool), "id"].tolist()
    assert outside
    for name in outside:
        assert "outside applicability domain (score &times; 0.5)" in cards[name]


def test_report_card_tells_pains_from_brenk_alerts(tmp_path):
    """The card showed PAINS and Brenk alerts as identical red chips (``ene_rhod_A(235)``,
    ``Michael_acceptor_1``), while the default profile zeroes a PAINS hit and keeps a Brenk one:
    the chip now names its catalog."""
    _, cards = _screen_report(tmp_path)
    assert '<span class="alert">PAINS: ene_rhod_A(235)</span>' in cards["rhodanine"]
    assert '<span class="alert">Brenk: Michael_acceptor_1</span>' in cards["rhodanine"]


def test_report_card_shows_counts_as_whole_numbers(tmp_path):
    """The ``cns`` card read "hbd 2.000", "permanent_charges 0.000" and "tpsa 16.130" (the output
    has TPSA to 2 decimals): counts are whole numbers."""
    src = write_smi(tmp_path / "hits.smi", MOLECULES[3:])
    prof = tmp_path / "props.toml"
    prof.write_text(
        '[[objectives]]\nendpoint = "hbd"\ndirection = "down"\nthresholds = [1.0, 3.0]\n'
        '[[objectives]]\nendpoint = "tpsa"\ndirection = "down"\nthresholds = [60.0, 90.0]\n'
        '[[objectives]]\nendpoint = "permanent_charges"\ndirection = "down"\nthresholds = [0.0, 1.0]\n'
        '[[objectives]]\nendpoint = "acidic_groups"\ndirection = "down"\nthresholds = [0.0, 1.0]\n'
    )
    report = tmp_path / "r.html"
    res = runner.invoke(app, ["screen", str(src), "-o", str(tmp_path / "o.csv"), "--report", str(report),
                              "--profile", str(prof), "--panel", str(TINY_BUNDLE), "-q"])  # fmt: skip
    assert res.exit_code == 0, res.output
    card = _cards(report.read_text(encoding="utf-8"))["propranolol"]
    assert '<td>hbd</td><td class="v">2</td>' in card
    assert '<td>permanent_charges</td><td class="v">0</td>' in card
    assert '<td>acidic_groups</td><td class="v">0</td>' in card  # was "0.000"
    assert '<td>tpsa</td><td class="v">41.49</td>' in card


def _frame(**columns) -> pd.DataFrame:
    base = {"valid": [True], "in_domain": [True], "alerts_pains": [""], "alerts_brenk": [""], "qed": [0.7]}
    base.update(columns)
    return pd.DataFrame(base)


def test_a_molecule_whose_properties_failed_does_not_pass_the_filters():
    """A molecule RDKit's descriptors refused has NaN MW and ``lipinski_violations`` (so that it
    would not read "0 violations"), but ``max_lipinski_violations`` and ``min_mw`` compared
    NaN > 1 and NaN < 100, both False: it passed both filters and ranked on the models alone.
    A filter whose value is unknown is not passed."""
    prof = Profile.from_toml(FILTERS_TOML, source="filters.toml")
    resolved = prof.resolve({"qed": "qed"})
    known = _frame(mw=[300.0], lipinski_violations=[0.0])
    assert prof.score(known, resolved)[0] == 1.0
    for unknown in (_frame(mw=[np.nan], lipinski_violations=[0.0]), _frame(mw=[300.0], lipinski_violations=[np.nan])):
        assert prof.score(unknown, resolved)[0] == 0.0
    notes = prof.filter_notes(_frame(mw=[np.nan], lipinski_violations=[np.nan]))
    assert notes == [["score 0: Lipinski violations unknown (RDKit could not compute the properties)",
                      "score 0: MW unknown (RDKit could not compute it)"]]  # fmt: skip


def test_a_profile_can_exclude_named_alerts_without_excluding_every_brenk_hit():
    """The ``default`` profile ranked methyl tosylate (an alkylating sulfonate ester) 1st of 14
    and benzyl bromide 3rd, above diazepam: the models call small reactive molecules harmless,
    and ``exclude_brenk`` was the only way to hold them back, which zeroes every Brenk hit
    (1,189 of the 2,592 approved drugs: aspirin's phenol ester, paracetamol's hydroquinone). A
    profile now names the alerts it excludes, from either catalog."""
    prof = Profile.from_toml(
        FILTERS_TOML.replace("exclude_pains = true", 'exclude_alerts = ["Sulfonic_acid_1", "alkyl_halide"]'),
        source="mine.toml",
    )
    assert prof.exclude_alerts == ("Sulfonic_acid_1", "alkyl_halide")
    frame = pd.DataFrame({
        "valid": [True] * 3, "in_domain": [True] * 3, "qed": [0.7] * 3, "mw": [200.0] * 3,
        "lipinski_violations": [0.0] * 3, "alerts_pains": ["", "", ""],
        "alerts_brenk": ["Sulfonic_acid_1", "phenol_ester", "imine_1;alkyl_halide"],
    })  # fmt: skip
    resolved = prof.resolve({"qed": "qed"})
    assert prof.score(frame, resolved).tolist() == [0.0, 1.0, 0.0]
    assert prof.filter_notes(frame) == [["score 0: Brenk alert Sulfonic_acid_1 (the profile excludes it)"], [],
                                        ["score 0: Brenk alert alkyl_halide (the profile excludes it)"]]  # fmt: skip
    assert Profile.from_dict(prof.to_dict(), source="mine.toml") == prof


def test_an_excluded_alert_name_the_catalogs_lack_is_refused():
    """A misspelt alert name would exclude nothing, silently."""
    bad = FILTERS_TOML.replace("exclude_pains = true", 'exclude_alerts = ["alkyl_halides"]')
    with pytest.raises(ConfigError, match=r"exclude_alerts: no PAINS or Brenk alert is named 'alkyl_halides'.*alkyl_halide"):
        Profile.from_toml(bad, source="mine.toml")
    with pytest.raises(ConfigError, match="exclude_alerts must be a list of alert names"):
        Profile.from_toml(FILTERS_TOML.replace("exclude_pains = true", 'exclude_alerts = "alkyl_halide"'), source="m.toml")


def test_report_summary_lists_the_profile_filters(tmp_path):
    """The summary named the profile and its description, never its filters: with a profile
    file (whose description is whatever its author left there) nothing on the page said that
    PAINS hits, molecules under 100 g/mol or with a Lipinski violation scored 0, or that scores
    outside the domain were halved."""
    _screen_report(tmp_path)
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert (
        "<tr><td>Filters</td><td>score 0 for a PAINS alert, more than 0 Lipinski violations, MW under 100 g/mol; "
        "score × 0.5 outside the applicability domain</td></tr>"
    ) in page


def test_report_card_names_only_the_training_ranges_of_the_values_it_shows(tmp_path):
    """Under the ``cns`` profile the cards of nicotine, fluoxetine and imipramine carried
    "beyond training range: bace_classification, bace_regression: TPSA 16.13 < 32.34": BACE's
    inhibitors are more polar than CNS drugs, but no BACE value is on the card or in the cns
    score, so the chip flagged the CNS drugs for a model that did not rank them. The card names
    the ranges of the datasets behind its values (all of them when it shows no endpoint); the
    ``out_of_range`` column keeps them all."""
    src = write_smi(tmp_path / "hits.smi", ["CN1CCC[C@H]1c1cccnc1 nicotine"])
    out = {}
    for profile in ("cns", "default"):
        report = tmp_path / f"{profile}.html"
        res = runner.invoke(app, ["screen", str(src), "-o", str(tmp_path / f"{profile}.csv"), "--report", str(report),
                                  "--profile", profile, "-q"])  # fmt: skip
        assert res.exit_code == 0, res.output
        column = pd.read_csv(tmp_path / f"{profile}.csv")["out_of_range"][0]
        assert "bace_classification, bace_regression: TPSA 16.13 &lt; 32.34" in html_escape(column)
        out[profile] = _cards(report.read_text(encoding="utf-8"))["nicotine"]
    assert "bace_classification" not in out["cns"]
    # the default profile scores BACE's classifier (not its pIC50): its card keeps that range
    assert "range: bace_classification: TPSA 16.13 &lt; 32.34" in out["default"]


def test_report_card_does_not_round_a_small_ensemble_spread_to_zero(tmp_path):
    """Cards read "bbbp 0.928 ± 0.00" and "hiv 0.000 ± 0.00": a spread under 0.005 was printed
    with 2 decimals, so the ensemble looked certain. The spread now has the value's 3 decimals,
    and one under 0.0005 reads "< 0.001"."""
    from drugscreen.screening.report import _spread_text

    assert _spread_text(0.0042, 3) == " ± 0.004"
    assert _spread_text(0.00004, 3) == " ± < 0.001"
    assert _spread_text(0.16, 3) == " ± 0.160"
    assert _spread_text(0.0, 3) == "" and _spread_text(float("nan"), 3) == "" and _spread_text(None, 3) == ""
    src = write_smi(tmp_path / "hits.smi", MOLECULES[3:])
    prof = tmp_path / "logp.toml"
    prof.write_text('[[objectives]]\nendpoint = "logp"\ndirection = "window"\nthresholds = [0.0, 1.0, 3.0, 5.0]\n')
    report = tmp_path / "r.html"
    res = runner.invoke(app, ["screen", str(src), "-o", str(tmp_path / "o.csv"), "--report", str(report),
                              "--profile", str(prof), "--panel", str(TINY_BUNDLE), "-q"])  # fmt: skip
    assert res.exit_code == 0, res.output
    row = pd.read_csv(tmp_path / "o.csv").iloc[0]
    card = _cards(report.read_text(encoding="utf-8"))["propranolol"]
    assert f"{row['logp_Crippen']:.3f}{_spread_text(row['logp_Crippen_unc'], 3)}" in card
