"""Forward throughput of a model bundle (all ensemble members), as used by the Screener.

Prints molecules/s for: the models' forward pass (graphs already featurized, batch 512), the
applicability-domain similarity, and ``bundle.predict`` as a whole. Featurization is not
included (the Screener does it once for all endpoints); a hybrid's extra descriptors are computed
beforehand, their scaling is part of the forward pass.

    python benchmarks/panel_throughput.py --bundle panel --threads 2 --n 4096
"""

from __future__ import annotations

import argparse
import json
import os
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", default="panel", help="installed bundle name or directory")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n", type=int, default=4096, help="molecules (from the BBBP, ESOL, Lipophilicity and HIV files, cycled)")
    ap.add_argument("--batch-size", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from drugscreen.bundle import load_bundle
    from drugscreen.data import load_dataset
    from drugscreen.domain import ecfp4_packed, max_tanimoto
    from drugscreen.featurizers.base import build_featurizer
    from drugscreen.featurizers.molecule import Standardizer, prepare_molecule

    bundle = load_bundle(args.bundle)
    smiles: list[str] = []
    for name in ("lipophilicity", "bbbp", "esol", "hiv"):
        smiles += load_dataset(name).smiles
        if len(smiles) >= args.n:
            break
    smiles = (smiles * (args.n // max(len(smiles), 1) + 1))[: args.n]
    std = Standardizer.from_config(bundle.standardizer_config)
    feat = build_featurizer(bundle.featurizer_config)
    mols = [p.mol for p in (prepare_molecule(s, std) for s in smiles) if p.valid]
    graphs = [feat(m) for m in mols]
    fps = ecfp4_packed(mols, bundle.fingerprint_config)
    extra = bundle.extra_inputs(mols)  # e.g. the fast_descriptors of a descriptor hybrid
    n = len(graphs)
    _ = bundle.predict(graphs[:64], extra=None if extra is None else extra[:64], fps=fps[:64])  # load weights, warm up

    def best_of(fn) -> float:
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    t_forward = best_of(lambda: bundle.predict_raw(graphs, extra=extra, fps=fps, batch_size=args.batch_size))
    t_domain = best_of(lambda: max_tanimoto(fps, bundle.train_fps))
    t_predict = best_of(lambda: bundle.predict(graphs, extra=extra, fps=fps, batch_size=args.batch_size))
    figures = {
        "bundle": bundle.name,
        "members": bundle.n_members,
        "tasks": len(bundle.tasks),
        "molecules": n,
        "threads": args.threads,
        "batch_size": args.batch_size,
        "cpus": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0],
        "forward_mol_per_s": n / t_forward,
        "forward_ms_per_mol": 1e3 * t_forward / n,
        "domain_mol_per_s": n / t_domain,
        "domain_reference_size": int(bundle.train_fps.shape[0]),
        "predict_mol_per_s": n / t_predict,
        "predict_ms_per_mol": 1e3 * t_predict / n,
    }
    for k, v in figures.items():
        print(f"{k:>24}: {v:.3f}" if isinstance(v, float) else f"{k:>24}: {v}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(figures, fh, indent=1)


if __name__ == "__main__":
    main()
