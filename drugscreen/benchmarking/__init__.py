"""Reproducible, literature-comparable benchmarks (``drugscreen benchmark``).

- :mod:`~drugscreen.benchmarking.config`: the grid (TOML) of datasets × models × splits × seeds.
- :mod:`~drugscreen.benchmarking.runner`: runs the grid, one run record per cell.
- :mod:`~drugscreen.benchmarking.splitfiles`: the committed split index files all models share.
- :mod:`~drugscreen.benchmarking.baselines`: the ECFP4 + random-forest baseline.
- :mod:`~drugscreen.benchmarking.metrics`: MoleculeNet-convention metrics.
- :mod:`~drugscreen.benchmarking.anchors`: published numbers, with sources.
- :mod:`~drugscreen.benchmarking.report`: aggregation into ``benchmarks/RESULTS.md`` + plots.

Nothing heavy is imported here; import the submodules.
"""
