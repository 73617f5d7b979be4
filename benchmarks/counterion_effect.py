"""What counter-ion stripping changes: parents per dataset, and its cost.

For the approved-drug library and every MoleculeNet file the panel (and the external Tox21 test)
reads, counts the molecules whose standardized parent differs between the default
:class:`~drugscreen.featurizers.molecule.Standardizer` and the same policy with
``strip_counterions=False`` (the behaviour before the option), lists the approved drugs that
change, and times parsing + standardization of HIV's SMILES with both policies (CPU time,
alternating runs, best of each).

    DRUGSCREEN_DATA_DIR=../shared/datasets python benchmarks/counterion_effect.py \\
        [--out benchmarks/results/counterion_effect.txt]
"""

from __future__ import annotations

import argparse
import time

#: The approved-drug library and the MoleculeNet files the panel and the external Tox21 test read.
DATASETS = ("approved_drugs", "tox21", "toxcast", "clintox", "sider", "hiv", "bace_classification", "bbbp", "esol",
            "lipophilicity")  # fmt: skip


def _raw_smiles(name: str) -> tuple[list[str], list[str]]:
    """(raw SMILES, labels) of a dataset: names for the approved drugs, row numbers otherwise."""
    if name == "approved_drugs":
        from drugscreen.data import approved_drugs

        lib = approved_drugs()
        return list(lib["smiles"]), list(lib["pref_name"])
    from drugscreen.data import load_dataset

    ds = load_dataset(name)
    return list(ds.smiles), [str(r) for r in ds.rows]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=None, help="also write the text to this file")
    args = ap.parse_args()

    from rdkit import rdBase

    from drugscreen.featurizers.molecule import Standardizer, prepare_molecule

    new, old = Standardizer(), Standardizer(strip_counterions=False)
    lines = ["# Counter-ion stripping: parents that change (default policy vs strip_counterions=False)", "",
             "| dataset | molecules | written with more than one fragment | parent changes |", "|---|---|---|---|"]  # fmt: skip
    approved_changes: list[str] = []
    hiv: list[str] = []
    with rdBase.BlockLogs():
        for name in DATASETS:
            smiles, labels = _raw_smiles(name)
            multi = [(s, lab) for s, lab in zip(smiles, labels, strict=True) if isinstance(s, str) and "." in s]
            changed = []
            for s, lab in multi:
                a, b = prepare_molecule(s, old).smiles_std, prepare_molecule(s, new).smiles_std
                if a != b:
                    changed.append((lab, a, b))
            lines.append(f"| {name} | {len(smiles):,} | {len(multi):,} | {len(changed)} |")
            if name == "approved_drugs":
                approved_changes = [f"- {lab}: {a} -> {b}" for lab, a, b in changed]
            if name == "hiv":
                hiv = smiles
        lines += ["", "Approved drugs whose parent changes (before -> now):", "", *approved_changes]
        cpu = {"on": [], "off": []}
        for rep in range(args.repeats):
            for key in ("on", "off") if rep % 2 == 0 else ("off", "on"):
                policy = new if key == "on" else old
                t0 = time.process_time()
                for s in hiv:
                    prepare_molecule(s, policy)
                cpu[key].append(time.process_time() - t0)
    per = {k: 1e6 * min(v) / len(hiv) for k, v in cpu.items()}
    lines += ["", f"Parse + standardize HIV's {len(hiv):,} SMILES, CPU, best of {args.repeats} alternating runs: "
              f"{per['on']:.1f} us per molecule with stripping, {per['off']:.1f} without ({per['on'] - per['off']:+.1f} us)."]  # fmt: skip
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
