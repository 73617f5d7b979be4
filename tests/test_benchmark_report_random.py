"""Published random-split numbers are another paper's own random split: marked, never bolded."""

from __future__ import annotations

from drugscreen.benchmarking.anchors import PROPERTY_ANCHORS
from drugscreen.benchmarking.report import Aggregate, _table


def test_published_random_split_numbers_are_marked_and_not_bolded() -> None:
    anchor = next(a for a in PROPERTY_ANCHORS if a.split_of("esol") == "random" and "esol" in a.values)
    worse = anchor.values["esol"] + 1.0  # our RMSE far above the published one: it alone would be bold
    ours = Aggregate(split="random", dataset="esol", model="rf", seeds=[0], metrics={"rmse": (worse, 0.0, 1)},
                     train_s=None, total_s=None, predict_mol_per_s=None, peak_rss_mb=None)
    lines = _table([ours], "random", ["esol"], "rmse", higher=False, with_anchors=True)
    published = next(line for line in lines if "[published]" in line and f"{anchor.values['esol']:.3f}" in line)
    assert "(its own random split)" in published and "**" not in published
    assert any("**" in line for line in lines if "[published]" not in line)  # ours, the only row measured here
