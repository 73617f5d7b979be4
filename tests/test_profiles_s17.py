"""Ranking profiles, session 17: the ``cns`` top no longer saturates, acids cost in ``cns``,
``default`` keeps cLogP drug-like, inorganics score 0, and a missing endpoint's warning names
only genuinely close names."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from drugscreen.domain import INORGANIC_CARBON_NOTE, INORGANIC_NOTE
from drugscreen.exceptions import ConfigError
from drugscreen.screening.profiles import Profile, load_profile, rank_positions, rank_scores
from drugscreen.screening.properties import NUMERIC_PROPERTY_COLUMNS, compute_properties

TINY = Path(__file__).parent / "data" / "tiny_bundle"


def _names(profile: Profile, extra: dict[str, float] | None = None) -> tuple[pd.DataFrame, list]:
    """One ideal row per call site: every objective of ``profile`` at its best value."""
    row: dict[str, object] = {"valid": True, "in_domain": True, "out_of_range": "", "alerts_pains": "", "alerts_brenk": "",
                              "lipinski_violations": 0.0, "mw": 300.0}
    resolved = []
    for obj in profile.objectives:
        col = obj.endpoint.replace("*", "x")
        th = obj.thresholds
        row[col] = th[1] if obj.direction == "up" else th[0] if obj.direction == "down" else (th[1] + th[2]) / 2
        resolved.append((obj, [col]))
    row.update(extra or {})
    return pd.DataFrame([row]), resolved


def _score(profile: Profile, **values: float) -> float:
    df, resolved = _names(profile, values)
    return float(profile.score(df, resolved)[0])


def test_cns_bbbp_curve_orders_confident_predictions() -> None:
    """bbbp 0.92 and 0.99 both scored 1.0 (curve [0.5, 0.9]): 95 approved rows tied at the top."""
    cns = load_profile("cns")
    bbbp = next(o for o in cns.objectives if o.endpoint == "bbbp")
    assert bbbp.thresholds == (0.5, 1.0)
    s92, s99 = _score(cns, bbbp=0.92), _score(cns, bbbp=0.99)
    assert s92 < s99 < 1.0


def test_acidic_groups_property() -> None:
    smiles = {
        "OC(=O)CCCCC(=O)O": 2,  # adipic acid
        "CCCCc1nc(Cl)c(CO)n1Cc1ccc(-c2ccccc2-c2nnn[nH]2)cc1": 1,  # losartan: tetrazole
        "CC(=O)NS(=O)(=O)c1ccccc1": 1,  # acyl sulfonamide
        "NCCS(=O)(=O)O": 1,  # taurine: sulfonic acid
        "C[C@@H]1O[C@@H]1P(=O)(O)O": 1,  # fosfomycin: phosphonic acid, counted once
        "CC(C)NCC(O)COc1cccc2ccccc12": 0,  # propranolol
        "NS(=O)(=O)c1ccccc1": 0,  # sulfonamide: weak acid
        "Oc1ccccc1": 0,  # phenol
        "Cn1nnnc1C": 0,  # N-alkyl tetrazole: no acidic H
        "COS(=O)(=O)c1ccc(C)cc1": 0,  # sulfonate ester
    }
    assert "acidic_groups" in NUMERIC_PROPERTY_COLUMNS
    got = compute_properties([Chem.MolFromSmiles(s) for s in smiles])["acidic_groups"]
    assert got.tolist() == list(smiles.values())


def test_cns_penalizes_acids() -> None:
    """Adipic acid 0.895 ranked above propranolol 0.850 with the shipped panel: no acid term."""
    cns = load_profile("cns")
    assert any(o.endpoint == "acidic_groups" and o.direction == "down" for o in cns.objectives)
    assert _score(cns, acidic_groups=1.0) < _score(cns, acidic_groups=0.0) - 0.1


def test_default_keeps_clogp_drug_like() -> None:
    """Glucose (cLogP -3.2) ranked 8th of the 22 example drugs plus glucose; a cLogP window now costs it."""
    default = load_profile("default")
    window = next(o for o in default.objectives if o.endpoint == "clogp")
    assert window.direction == "window" and window.thresholds[0] <= -2.0 and window.thresholds[3] >= 7.0
    assert _score(default, clogp=-3.2) < _score(default, clogp=2.0) - 0.1
    assert _score(default, clogp=-1.0) > _score(default, clogp=-3.2)  # metformin, caffeine: partly


@pytest.mark.parametrize("name", ["default", "cns"])
def test_shipped_profiles_exclude_inorganics(name: str) -> None:
    prof = load_profile(name)
    assert prof.exclude_inorganic
    df, resolved = _names(prof)
    df = pd.concat([df] * 4, ignore_index=True)
    df["out_of_range"] = ["", INORGANIC_NOTE, f"{INORGANIC_CARBON_NOTE}; mw above the training range", "mw above the training range"]
    score = prof.score(df, resolved)
    assert score[0] > 0.5 and score[3] > 0.5
    assert score[1] == 0.0 and score[2] == 0.0
    notes = prof.filter_notes(df)
    assert notes[0] == [] and "inorganic" in notes[1][0] and "inorganic" in notes[2][0]
    assert Profile.from_dict(prof.to_dict(), source=prof.source) == prof


def test_exclude_inorganic_is_a_boolean() -> None:
    text = '[filters]\nexclude_inorganic = "true"\n[[objectives]]\nendpoint = "qed"\nthresholds = [0, 1]\n'
    with pytest.raises(ConfigError, match="exclude_inorganic must be true or false"):
        Profile.from_toml(text, source="mine.toml")
    assert not Profile.from_toml(text.replace('"true"', "false"), source="mine.toml").exclude_inorganic


def test_screener_gives_a_bare_metal_score_0() -> None:
    from drugscreen.bundle import load_bundle
    from drugscreen.screening.screener import Screener

    out = Screener(load_bundle(TINY), profile="default").score(["[Pt]", "CC(C)NCC(O)COc1cccc2ccccc12", "C1CC(=O)C"])
    assert out["valid"].tolist() == [True, True, False]
    assert out["score"].iloc[0] == 0.0 and out["score"].iloc[1] > 0.0
    assert out["rank"].tolist()[:2] == [2, 1] and out["rank"].isna().tolist() == [False, False, True]


def test_rank_positions_marks_unranked_rows_0() -> None:
    assert rank_positions([0.2, np.nan, 0.9, 0.2]).tolist() == [2, 0, 1, 3]
    assert list(rank_scores([0.2, np.nan, 0.9]))[0] == 2


def test_rank_scores_leaves_an_unscored_row_without_a_rank() -> None:
    """The public ``rank_scores`` gave a NaN score rank 0, a number that sorts above rank 1; it
    now gives ``<NA>`` in an ``Int64`` array, as the ``rank`` column holds it."""
    ranks = rank_scores([0.2, np.nan, 0.9, 0.2])
    assert str(ranks.dtype) == "Int64"
    assert ranks.isna().tolist() == [False, True, False, False]
    assert ranks.dropna().tolist() == [2, 1, 3]
    assert rank_scores([]).tolist() == []


def test_missing_endpoint_warning_suggests_only_close_names(caplog: pytest.LogCaptureFixture) -> None:
    """A single-task bundle (endpoint ``active``) with ``default``: 'bace (did you mean 'active'?)'."""
    single = {n: n for n in ("active", "qed", "mw", "clogp", "tpsa", "hbd", "hba", "acidic_groups", "ad_similarity")}
    with caplog.at_level(logging.WARNING, logger="drugscreen.screening.profiles"):
        load_profile("default").resolve(single)
        load_profile("cns").resolve(single)
    assert "this panel has no hiv, bace, tox21_*, clintox_ct_tox, sider_*, esol, lipophilicity" in caplog.text
    assert "did you mean" not in caplog.text
    caplog.clear()
    near = {n: n for n in ("bbb", "hiv_active", "tox21_nr_a", "qed", "mw")}
    with caplog.at_level(logging.WARNING, logger="drugscreen.screening.profiles"):
        load_profile("default").resolve(near)
    assert "hiv (did you mean 'hiv_active'?)" in caplog.text
    assert "tox21_* (did you mean" not in caplog.text and "bace (did you mean" not in caplog.text
    # a user's typo is still caught and named
    with pytest.raises(ConfigError, match=r"this panel has no bbpb \(did you mean 'bbbp'\?\)"):
        Profile.from_toml('[[objectives]]\nendpoint = "bbpb"\nthresholds = [0, 1]\n[[objectives]]\nendpoint = "qed"\nthresholds = [0, 1]\n',
                          source="mine.toml").resolve({"bbbp": "bbbp", "qed": "qed", "active": "active"})
