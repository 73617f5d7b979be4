"""Tiny end-to-end run: train a tiny affinity model on made-up pairs, bundle it, rank, report, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from drugscreen.exceptions import BundleError
from tests.test_repurpose_inputs import ABL1_FRAGMENT, DASATINIB, IMATINIB, NILOTINIB

DRUGS = [
    IMATINIB, NILOTINIB, DASATINIB,
    "CC(=O)Oc1ccccc1C(=O)O", "CN1CCC[C@H]1c1cccnc1", "CC(C)Cc1ccc(C(C)C(=O)O)cc1",
    "c1ccc2[nH]ccc2c1", "O=C(O)c1ccccc1O", "CCN(CC)CCNC(=O)c1ccc(N)cc1", "COc1ccc2[nH]cc(CCNC(C)=O)c2c1",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


def _tiny_affinity_bundle(folder, task_name: str = "davis"):
    """A tiny affinity model of one task trained here for two epochs on made-up values (seconds)."""
    import torch

    from drugscreen.featurizers.graph import GraphFeaturizer
    from drugscreen.featurizers.molecule import prepare_molecule
    from drugscreen.models.affinity import PROTEIN_ALPHABET, ecfp4_bits
    from drugscreen.repurposing.affinity_bundle import save_affinity_bundle
    from drugscreen.repurposing.splits import PairSplit
    from drugscreen.repurposing.training import AffinityTask, TrainConfig, train_affinity

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    mols = [prepare_molecule(s).mol for s in DRUGS]
    aa = np.array(list("ACDEFGHIKLMNPQRSTVWY"))
    seqs = [ABL1_FRAGMENT] + ["".join(rng.choice(aa, 120)) for _ in range(3)]
    di, ti = np.meshgrid(np.arange(len(DRUGS)), np.arange(len(seqs)), indexing="ij")
    di, ti = di.ravel(), ti.ravel()
    value = 5.0 + 3.0 * ((di < 3) & (ti == 0)) + rng.normal(0, 0.1, len(di))
    task = AffinityTask(
        task_name, [f"d{i}" for i in range(len(DRUGS))], [prepare_molecule(s).smiles_std for s in DRUGS],
        [GraphFeaturizer()(m) for m in mols], [f"t{i}" for i in range(len(seqs))], seqs, di, ti, value,
        fps=ecfp4_bits(mols, 64),
    )  # fmt: skip
    idx = np.arange(len(value))
    split = {task_name: PairSplit(idx[::2], idx[1::4], idx[3::4])}
    small = {"drug": {"hidden": 16, "layers": 2, "out_dim": 16, "fp_bits": 64}, "protein": {"embed_dim": 8, "channels": (8, 8, 16), "out_dim": 16}, "head_hidden": 16}
    cfg = TrainConfig(epochs=2, n_members=2, model=small, max_minutes=1.0)
    model, rec = train_affinity([task], split, cfg)
    assert np.isfinite(rec["metrics"]["test"][task_name]["mse"])
    path = folder / "affinity"
    save_affinity_bundle(
        model,
        {"model": rec["model"], "scalers": rec["scalers"], "featurizer": GraphFeaturizer().to_config(), "alphabet": PROTEIN_ALPHABET},
        path,
    )
    return path


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory):
    """A tiny affinity model (task davis) trained here for two epochs on made-up values (seconds)."""
    return _tiny_affinity_bundle(tmp_path_factory.mktemp("bundle"))


@pytest.fixture()
def library() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "molecule_chembl_id": [f"CHEMBL{i}" for i in range(len(DRUGS) + 1)],
            "pref_name": [f"drug {i}" for i in range(len(DRUGS) + 1)],
            "first_approval": [2000 + i for i in range(len(DRUGS) + 1)],
            "smiles": [*DRUGS[:5], "C1CC(", *DRUGS[5:]],
        }
    )


def test_sequence_and_ligand_modes(tiny_bundle, library) -> None:
    from drugscreen.repurposing.repurposer import Repurposer

    rp = Repurposer.load(tiny_bundle, panel=False, weights={"sequence": 1.0})  # the tiny model is noise: ligands lead
    seq_only = rp.rank(sequence=ABL1_FRAGMENT, library=library)
    assert len(seq_only) == len(library)  # the bad entry is reported, not dropped
    bad = seq_only[seq_only["error"] != ""]
    assert bad["chembl_id"].tolist() == ["CHEMBL5"] and bad["rank"].isna().all()
    assert seq_only["rank"].dropna().tolist() == list(range(1, len(library)))
    assert {"pred_pkd", "pred_pkd_sd", "uncertainty", "percentile"} <= set(seq_only.columns)
    assert seq_only.attrs["invalid"][0][1] == "CHEMBL5"

    both = rp.rank(sequence=ABL1_FRAGMENT, ligands=[IMATINIB, NILOTINIB], library=library, top=5)
    assert len(both) == 5
    assert set(both.attrs["components"]) == {"sequence", "ecfp4", "fcfp4", "atompair", "gnn"}
    contrib = both[[c for c in both.columns if c.startswith("contrib_")]].sum(axis=1)
    assert np.allclose(contrib, 1.0)
    top_names = set(both["chembl_id"].head(3))
    assert {"CHEMBL0", "CHEMBL1"} <= top_names  # the query ligands themselves rank first
    assert both.loc[both["chembl_id"] == "CHEMBL0", "nearest_ligand_similarity"].item() == pytest.approx(1.0)

    lig_only = Repurposer(None, panel=False).rank(ligands=[IMATINIB], library=library)
    assert lig_only["chembl_id"].iloc[0] == "CHEMBL0"
    assert "sim_gnn" not in lig_only.columns


def test_ranking_is_deterministic(tiny_bundle, library) -> None:
    from drugscreen.repurposing import repurposer
    from drugscreen.repurposing.repurposer import Repurposer

    repurposer._LIBRARY_CACHE.clear()
    a = Repurposer.load(tiny_bundle, panel=False).rank(sequence=ABL1_FRAGMENT, ligands=[DASATINIB], library=library)
    repurposer._LIBRARY_CACHE.clear()  # the second run restores the library features from the disk cache
    b = Repurposer.load(tiny_bundle, panel=False).rank(sequence=ABL1_FRAGMENT, ligands=[DASATINIB], library=library)
    pd.testing.assert_frame_equal(a, b)


def test_labelled_ligands_train_a_model(tiny_bundle, library) -> None:
    from drugscreen.repurposing.repurposer import Repurposer

    ligs = pd.DataFrame({"smiles": DRUGS, "active": [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]})
    out = Repurposer.load(tiny_bundle, panel=False).rank(ligands=ligs, activity_column="active", library=library)
    assert "model_prob" in out.columns and "model" in out.attrs["components"]


def test_report_and_cli(tiny_bundle, library, tmp_path) -> None:
    from typer.testing import CliRunner

    from drugscreen.cli import app

    lib_path = tmp_path / "library.csv"
    library.to_csv(lib_path, index=False)
    lig_path = tmp_path / "ligands.smi"
    lig_path.write_text(f"{IMATINIB} imatinib\nnot_a_smiles broken\n{NILOTINIB} nilotinib\n")
    fasta = tmp_path / "abl1.fasta"
    fasta.write_text(">ABL1 fragment\n" + ABL1_FRAGMENT + "\n")
    out, report = tmp_path / "ranked.csv", tmp_path / "ranked.html"
    res = CliRunner().invoke(
        app,
        ["repurpose", "--fasta", str(fasta), "--ligands", str(lig_path), "--library", str(lib_path), "--model", str(tiny_bundle),
         "--no-panel", "-o", str(out), "--report", str(report)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    ranked = pd.read_csv(out)
    assert len(ranked) == len(library) and ranked["rank"].iloc[0] == 1
    page = report.read_text()
    assert page.count("<svg") >= 4 and "imatinib" in page and "not_a_smiles" in page
    assert "<script" not in page and "http://cdn" not in page and "https://" not in page
    bad = CliRunner().invoke(app, ["repurpose", "--sequence", "MKK1LV" * 10, "--model", str(tiny_bundle), "--library", str(lib_path)])
    assert bad.exit_code != 0


def test_bundle_checks(tiny_bundle, tmp_path) -> None:
    import shutil

    from drugscreen.repurposing.affinity_bundle import load_affinity_bundle

    copy = tmp_path / "b"
    shutil.copytree(tiny_bundle, copy)
    cfg = json.loads((copy / "config.json").read_text())
    cfg["format_version"] = 99
    (copy / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(BundleError, match="format_version"):
        load_affinity_bundle(copy)
    with pytest.raises(BundleError, match="not an affinity bundle"):
        load_affinity_bundle(tmp_path)


def test_missing_panel_leaves_tox_columns_out(tiny_bundle, library, monkeypatch, caplog) -> None:
    from drugscreen.exceptions import BundleError
    from drugscreen.repurposing.repurposer import Repurposer
    from drugscreen.screening.screener import Screener

    def no_panel(*args, **kwargs):
        raise BundleError("no model panel is installed")

    monkeypatch.setattr(Screener, "load", no_panel)
    with caplog.at_level("WARNING"):
        out = Repurposer.load(tiny_bundle, panel=True).rank(sequence=ABL1_FRAGMENT, library=library, top=3)
    assert len(out) == 3 and not [c for c in out.columns if c.startswith("tox_")]
    assert "toxicity panel not available (no model panel is installed)" in caplog.text


def test_fusion_rule_choice(tiny_bundle, library) -> None:
    from drugscreen.repurposing.repurposer import Repurposer

    z = Repurposer.load(tiny_bundle, panel=False, rule="zscore").rank(ligands=[IMATINIB, DASATINIB], library=library)
    assert z.attrs["rule"] == "zscore" and z["chembl_id"].iloc[0] == "CHEMBL0"
    assert z["percentile"].iloc[0] == z["percentile"].max() and z["score"].dropna().is_monotonic_decreasing
    with pytest.raises(ValueError, match="unknown fusion rule"):
        Repurposer(None, rule="borda")


def test_panel_columns_cached_per_library(tiny_bundle, library, monkeypatch) -> None:
    """Toxicity columns come from the panel (here the tiny test panel), NaN for unparsable rows,
    the same with ``top`` and from the disk cache."""
    from pathlib import Path

    from drugscreen.repurposing import repurposer
    from drugscreen.repurposing.repurposer import Repurposer
    from drugscreen.screening.screener import Screener

    tiny_panel = Path(__file__).parent / "data" / "tiny_bundle"
    real_load = Screener.load.__func__
    monkeypatch.setattr(repurposer, "TOX_ENDPOINTS", ("has_N", "logp"))
    monkeypatch.setattr(Screener, "load", classmethod(lambda cls, panel=None, **kw: real_load(cls, tiny_panel, **kw)))
    rp = Repurposer.load(tiny_bundle, panel=True)
    full = rp.rank(sequence=ABL1_FRAGMENT, library=library)
    tox = [c for c in full.columns if c.startswith("tox_")]
    assert {"tox_has_N", "tox_has_N_unc", "tox_logp_Crippen", "tox_alerts_pains"} <= set(tox), tox
    num = [c for c in tox if not c.startswith("tox_alerts")]
    direct = Screener.load(tiny_panel, endpoints=["has_N", "logp"], profile=None).score(full["smiles"].tolist())
    ok = full["error"] == ""
    for c in num:
        assert np.allclose(full.loc[ok, c].to_numpy(float), direct.loc[ok, c[4:]].to_numpy(float), equal_nan=True)
        assert full.loc[~ok, c].isna().all()
    top = rp.rank(sequence=ABL1_FRAGMENT, library=library, top=3)
    pd.testing.assert_frame_equal(top[num].reset_index(drop=True), full[num].head(3).reset_index(drop=True))
    repurposer._LIBRARY_CACHE.clear()  # restored from the disk cache
    again = Repurposer.load(tiny_bundle, panel=True).rank(sequence=ABL1_FRAGMENT, library=library)
    pd.testing.assert_frame_equal(full, again)


def test_salt_forms_listed_once_under_their_parent(tiny_bundle, library, tmp_path) -> None:
    """Imatinib, imatinib mesylate and a hydrate have one parent: by default one row (the entry
    without a counter-ion, even when a salt comes first) naming the others in other_forms;
    ``forms="all"`` keeps every entry."""
    from drugscreen.exceptions import ConfigError
    from drugscreen.repurposing.repurposer import Repurposer

    salts = pd.DataFrame({
        "molecule_chembl_id": ["CHEMBL_MES", "CHEMBL_HYD"], "pref_name": ["imatinib mesylate", "imatinib hydrate"],
        "first_approval": [2001, 2001], "smiles": [f"{IMATINIB}.CS(=O)(=O)O", f"{IMATINIB}.O"],
    })  # fmt: skip
    lib = pd.concat([salts.iloc[:1], library, salts.iloc[1:]], ignore_index=True)
    rp = Repurposer.load(tiny_bundle, panel=False)
    parent = rp.rank(sequence=ABL1_FRAGMENT, ligands=[NILOTINIB], library=lib)
    assert len(parent) == len(library) and parent.attrs["forms_merged"] == 2
    row = parent[parent["chembl_id"] == "CHEMBL0"].iloc[0]
    assert row["other_forms"] == "imatinib mesylate (CHEMBL_MES); imatinib hydrate (CHEMBL_HYD)"
    assert not {"CHEMBL_MES", "CHEMBL_HYD"} & set(parent["chembl_id"])
    assert parent["rank"].dropna().tolist() == list(range(1, len(library)))  # ranks count parents
    assert parent["percentile"].max() == pytest.approx(100.0)

    every = rp.rank(sequence=ABL1_FRAGMENT, ligands=[NILOTINIB], library=lib, forms="all")
    assert len(every) == len(lib) and every.attrs["forms_merged"] == 0
    forms = every.set_index("chembl_id")
    assert forms.loc["CHEMBL_MES", "score"] == forms.loc["CHEMBL0", "score"]  # one parent, one score
    assert forms.loc["CHEMBL_MES", "other_forms"] == "drug 0 (CHEMBL0); imatinib hydrate (CHEMBL_HYD)"
    group = [c for c in every["chembl_id"] if c in ("CHEMBL0", "CHEMBL_MES", "CHEMBL_HYD")]
    assert group == ["CHEMBL_MES", "CHEMBL0", "CHEMBL_HYD"]  # equal scores: library order
    assert parent.drop(columns=["rank", "percentile"]).set_index("chembl_id").loc["CHEMBL9", "score"] == forms.loc["CHEMBL9", "score"]
    with pytest.raises(ConfigError, match="forms must be"):
        rp.rank(ligands=[NILOTINIB], library=lib, forms="salts")

    # the CLI's table on stdout says how many forms a row stands for; --all-forms lists them
    from typer.testing import CliRunner

    from drugscreen.cli import app

    lib.to_csv(tmp_path / "library.csv", index=False)
    args = ["repurpose", "--ligands", str(tmp_path / "lig.smi"), "--library", str(tmp_path / "library.csv"),
            "--model", str(tiny_bundle), "--no-panel"]  # fmt: skip
    (tmp_path / "lig.smi").write_text(f"{NILOTINIB} nilotinib\n")
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "drug 0 (+2 forms)" in res.output and "imatinib mesylate" not in res.output
    res = CliRunner().invoke(app, [*args, "--all-forms"])
    assert res.exit_code == 0 and "imatinib mesylate" in res.output and "(+" not in res.output


def test_given_actives_in_the_library_rank_first(tiny_bundle, library) -> None:
    """A library drug that is one of the given actives (same parent structure; stereo ignored when
    the ligand leaves it unspecified) is listed first, however low the sequence model puts it:
    a percentile-rank fusion alone cannot let an exact match outweigh the sequence component."""
    from drugscreen.repurposing.repurposer import Repurposer

    rp = Repurposer.load(tiny_bundle, panel=False, weights={"sequence": 100.0})
    seq_only = rp.rank(sequence=ABL1_FRAGMENT, library=library)
    last = seq_only[seq_only["rank"].notna()].tail(2)  # the two drugs the sequence model likes least
    ligs = pd.DataFrame({"smiles": [*last["smiles"], "CCCCCCCCCC"], "name": ["low 1", "low 2", "decane"]})
    out = rp.rank(sequence=ABL1_FRAGMENT, ligands=ligs, library=library)
    assert set(out["chembl_id"].head(2)) == set(last["chembl_id"])
    assert set(out["known_ligand"].head(2)) == {"low 1", "low 2"} and (out["known_ligand"].iloc[2:].fillna("") == "").all()
    assert out["evidence"].iloc[0].startswith("given as a known active (")
    ranked = out[out["rank"].notna()]
    assert ranked["percentile"].is_monotonic_decreasing and ranked["percentile"].iloc[0] == 100.0
    assert ranked["score"].iloc[2:].is_monotonic_decreasing  # below the given actives: by score
    # the same drugs as inactives are annotated, not moved
    labelled = pd.DataFrame({"smiles": [IMATINIB, DRUGS[3], "CN1CCCC1c1cccnc1"], "act": [1, 0, 1], "name": ["imatinib", "aspirin", "nicotine"]})
    out = rp.rank(sequence=ABL1_FRAGMENT, ligands=labelled, activity_column="act", library=library).set_index("chembl_id")
    assert set(out.index[:2]) == {"CHEMBL0", "CHEMBL4"}  # nicotine given without its stereo centre
    assert out.loc["CHEMBL3", "known_ligand"] == "" and out.loc["CHEMBL3", "rank"] > 2
    assert out.loc["CHEMBL3", "evidence"].startswith("given as a known inactive (aspirin)")


def test_cli_stdout_shows_a_user_librarys_own_ids(tiny_bundle, tmp_path) -> None:
    from typer.testing import CliRunner

    from drugscreen.cli import app

    lib_path = tmp_path / "mine.csv"
    lib_path.write_text(f"ID,smiles\ncmpd-1,{IMATINIB}\ncmpd-2,{NILOTINIB}\ncmpd-3,CCO\n")
    res = CliRunner().invoke(
        app, ["repurpose", "--sequence", ABL1_FRAGMENT, "--library", str(lib_path),
              "--model", str(tiny_bundle), "--no-panel"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert all(f"cmpd-{k}" in res.output for k in (1, 2, 3)), res.output


def test_report_summarizes_the_toxicity_panel() -> None:
    from drugscreen.repurposing.report import _tox_summary

    row = pd.Series({
        "tox_tox21_nr_ar": 0.1, "tox_tox21_nr_ar_unc": 0.01, "tox_tox21_sr_mmp": 0.6, "tox_tox21_sr_mmp_unc": 0.05,
        "tox_sider_cardiac_disorders": 0.2, "tox_sider_hepatobiliary_disorders": 0.4,
        "tox_clintox_ct_tox": 0.3, "tox_clintox_ct_tox_unc": 0.02, "tox_clintox_fda_approved": 0.9,
        "tox_alerts_pains": "", "tox_alerts_brenk": "triple_bond",
    })  # fmt: skip
    lines = _tox_summary(row, list(row.index))
    assert lines == [
        "Tox21 worst: sr_mmp 0.60 &plusmn; 0.05",
        "SIDER mean 0.30 (2 organ classes)",
        "SIDER worst: hepatobiliary_disorders 0.40",
        "ClinTox CT_TOX 0.30 &plusmn; 0.02",
        "BRENK: triple_bond",
    ]


def test_evidence_does_not_present_the_heads_spread_as_an_error_bar(tiny_bundle, library) -> None:
    # "predicted pKd 7.38 +/- 0.02" read as a confidence interval; the spread of heads sharing
    # their encoders (median 0.02 on the shipped model) is far below the error on a new target
    from drugscreen.repurposing.repurposer import Repurposer

    out = Repurposer.load(tiny_bundle, panel=False).rank(sequence=ABL1_FRAGMENT, library=library)
    first = out["evidence"].dropna().iloc[0]
    assert "predicted pKd" in first and "heads' spread" in first and "+/-" not in first


def test_a_model_of_another_task_gets_its_prediction_columns(tmp_path, library) -> None:
    # a user's affinity model whose task is not davis or kiba (e.g. "pKi_mine") ranked the
    # library with no prediction column and no predicted value in the evidence
    from drugscreen.repurposing.repurposer import Repurposer

    bundle = _tiny_affinity_bundle(tmp_path, "pKi mine")
    out = Repurposer.load(bundle, panel=False).rank(sequence=ABL1_FRAGMENT, library=library)
    assert {"pred_pki_mine", "pred_pki_mine_sd"} <= set(out.columns) and "pred_pkd" not in out.columns
    assert out["pred_pki_mine"].notna().sum() > 0
    assert "predicted pKi mine " in out["evidence"].dropna().iloc[0]
