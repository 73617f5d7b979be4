"""Review s11 (medicinal chemistry of ``drugscreen screen`` output): properties, alerts,
profiles and the applicability-domain columns."""

from __future__ import annotations

import numpy as np
from rdkit import Chem

from drugscreen.descriptor_ranges import RANGE_FEATURIZER, DescriptorRanges
from drugscreen.featurizers.base import build_featurizer

# fosfomycin (neutral) written two ways: MolWt, LabuteASA, Chi1v and HallKierAlpha differ in
# their last bits, because RDKit sums over the atoms in the order they were written
_FOSFOMYCIN = ("C[C@@H]1O[C@@H]1P(=O)(O)O", "OP(O)(=O)[C@@H]1[C@H](C)O1")


def test_out_of_range_does_not_flag_a_bound_molecule_written_another_way() -> None:
    """The molecule that set a dataset's descriptor bound, written in another atom order, was
    flagged outside that dataset's range by rounding alone ("HallKierAlpha 0.11 > 0.11";
    in a screen: "tox21: HallKierAlpha -9.85 < -9.85", "clintox: Chi1v 42.29 > 42.29")."""
    fd = build_featurizer(RANGE_FEATURIZER)
    a, b = (fd(Chem.MolFromSmiles(s)) for s in _FOSFOMYCIN)
    assert (a != b).any()  # the premise: the two writings differ in the last bits
    ranges = DescriptorRanges.fit(a[None, :], np.array([0]), ["tox21"], fd.names)
    assert ranges.describe(np.stack([a, b])) == ["", ""]
    # a real excursion is still reported
    c = a.copy()
    c[fd.names.index("MolWt")] += 1.0
    assert ranges.describe(c)[0].startswith("tox21: MolWt 139.1 > 138.1")


def test_out_of_range_shows_value_and_bound_apart() -> None:
    """A value just past a bound read "LabuteASA 657 > 657": both rounded to 4 digits."""
    ranges = DescriptorRanges.fit(np.array([[600.0], [657.01]]), np.array([0, 0]), ["lipophilicity"], ["LabuteASA"])
    assert ranges.describe(np.array([[657.03]])) == ["lipophilicity: LabuteASA 657.03 > 657.01"]
    assert ranges.describe(np.array([[599.5]])) == ["lipophilicity: LabuteASA 599.5 < 600"]


def test_lipinski_violations_unknown_when_properties_fail(monkeypatch) -> None:
    """A molecule whose RDKit descriptors raised got NaN MW, cLogP, HBD and HBA but
    ``lipinski_violations`` 0 (NaN > 500 is False), so it passed ``max_lipinski_violations``."""
    from drugscreen.screening import properties

    real = properties._mol_props

    def flaky(mol, screen):
        if mol.GetNumAtoms() == 3:
            raise RuntimeError("descriptor refused")
        return real(mol, screen)

    monkeypatch.setattr(properties, "_mol_props", flaky)
    out = properties.compute_properties([Chem.MolFromSmiles(s) for s in ("CCO", "c1ccccc1O")])
    assert np.isnan(out["mw"][0]) and np.isnan(out["qed"][0])
    assert np.isnan(out["lipinski_violations"][0])
    assert out["lipinski_violations"][1] == 0.0


def test_cns_profile_comment_states_its_curves() -> None:
    """cns.toml said "TPSA < 90, MW < 450 g/mol ... cf. CNS MPO" while MW 450 scored 0.36 and
    TPSA 80 (ideal in CNS MPO) 0.33; its comment now lists each curve against CNS MPO's, and
    must keep agreeing with the objectives."""
    from drugscreen.screening.profiles import load_profile, profile_text

    text = profile_text("cns")
    th = {o.endpoint: (o.direction, o.thresholds) for o in load_profile("cns").objectives}
    assert th["mw"] == ("down", (360.0, 500.0)) and "MW     360 -> 500 g/mol                      as CNS MPO" in text
    assert th["hbd"] == ("down", (1.0, 3.0)) and "HBD    1 -> 3" in text
    assert th["tpsa"] == ("down", (60.0, 90.0)) and "TPSA   60 -> 90 A^2, 1 below 60" in text
    assert th["clogp"] == ("window", (0.0, 1.5, 3.5, 5.0)) and "cLogP  0 at 0, 1 from 1.5 to 3.5, 0 at 5" in text
    assert "MW < 450" not in text


def test_geometric_profile_zero_desirability_sinks_the_molecule() -> None:
    """``aggregate = "geometric"`` is documented as "any 0 sinks the molecule", but a 0 entered
    the log as 1e-12 and was softened by its weight: at 1/20 of the total weight, a molecule
    with TPSA far past the limit kept 25 % of its score (and 0.1 % at 1/4 of the weight)."""
    import pandas as pd

    from drugscreen.screening.profiles import Profile

    prof = Profile.from_dict(
        {
            "aggregate": "geometric",
            "objectives": [
                {"endpoint": "qed", "direction": "up", "thresholds": [0.2, 0.7], "weight": 19.0},
                {"endpoint": "tpsa", "direction": "down", "thresholds": [120.0, 140.0], "weight": 1.0},
            ],
        }
    )
    df = pd.DataFrame({"valid": [True, True, True], "qed": [0.9, 0.9, 0.9], "tpsa": [60.0, 250.0, 130.0]})
    score = prof.score(df, prof.resolve({"qed": "qed", "tpsa": "tpsa"}))
    assert score[0] == 1.0
    assert score[1] == 0.0
    assert 0.9 < score[2] < 1.0  # a desirability above 0 still only weighs in

