"""Featurize many inputs at once: input order kept, one result or one error per input.

:func:`featurize` takes SMILES (or RDKit molecules) for molecule featurizers, or protein
sequences for sequence featurizers (``featurizer.input_kind == "sequence"``), and returns a
:class:`BatchResult` holding, for input ``i``, ``features[i]`` (``None`` when it failed) and
``errors[i]`` (the reason, ``""`` when it did not). The error policy follows molfeat's
``transform(..., ignore_errors=...)``: by default failures are recorded; with
``ignore_errors=False`` the first failing input (in input order) raises
:class:`~drugscreen.exceptions.InvalidMoleculeError` (or
:class:`~drugscreen.exceptions.InvalidSequenceError`) naming its index.

Work is done in chunks; ``n_jobs > 1`` spreads the chunks over worker processes (the
results are identical to ``n_jobs=1``). Featurizers that have ``featurize_many`` (all of
ours) use it per chunk, which is faster than calling them molecule by molecule. The library
prints nothing; ``progress=True`` shows a progress bar on stderr.

Examples
--------
>>> from drugscreen.featurizers.fingerprints import MorganFingerprint
>>> res = featurize(["CCO", "C1CC", "c1ccccc1"], MorganFingerprint(n_bits=64))
>>> res.valid.tolist(), res.errors[1]
([True, False, True], "unclosed ring for input: 'C1CC'")
>>> X, rows = res.stack()
>>> X.shape, rows.tolist()
((2, 64), [0, 2])
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rdkit import Chem

from drugscreen.exceptions import InvalidMoleculeError, InvalidSequenceError
from drugscreen.featurizers.molecule import (
    DEFAULT_STANDARDIZER,
    ParsedMolecule,
    Standardizer,
    prepare_molecule,
)

__all__ = ["BatchResult", "featurize"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class BatchResult:
    """Per-input outcome of :func:`featurize`, in input order.

    Attributes
    ----------
    features
        The featurizer's output for each input, ``None`` where it failed.
    errors
        The reason each input failed, ``""`` where it did not.
    smiles_std
        Standardized canonical SMILES per input (``""`` where it failed); empty for sequences.
    mols
        The standardized molecules (``None`` where it failed), when asked for with
        ``return_mols=True``; otherwise empty.
    """

    features: list[Any]
    errors: list[str]
    smiles_std: list[str] = field(default_factory=list)
    mols: list[Chem.Mol | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.features)

    @property
    def valid(self) -> np.ndarray:
        """Boolean mask of the inputs that were featurized."""
        return np.array([not e for e in self.errors], dtype=bool)

    @property
    def n_invalid(self) -> int:
        return sum(1 for e in self.errors if e)

    def stack(self) -> tuple[np.ndarray, np.ndarray]:
        """Stack the array features of the valid inputs: ``(array, their input indices)``."""
        rows = np.flatnonzero(self.valid)
        if rows.size == 0:
            return np.zeros((0, 0)), rows
        return np.stack([self.features[i] for i in rows]), rows


def _featurize_many(featurizer: Any, items: list[Any]) -> list[Any]:
    """Featurize a list, preferring the featurizer's batch method; rows of an array -> list."""
    many = getattr(featurizer, "featurize_many", None)
    if many is None:
        return [featurizer(x) for x in items]
    out = many(items)
    return list(out)


def _molecule_chunk(
    items: Sequence[Any], featurizer: Any, standardizer: Standardizer | None, return_mols: bool
) -> tuple[list[Any], list[str], list[str], list[Chem.Mol | None]]:
    n = len(items)
    features: list[Any] = [None] * n
    errors = [""] * n
    smiles_std = [""] * n
    mols: list[Chem.Mol | None] = [None] * n
    ok: list[int] = []
    for i, item in enumerate(items):
        if isinstance(item, Chem.Mol):
            parsed = _prepare_mol(item, standardizer)
        else:
            parsed = prepare_molecule(item, standardizer)
        if parsed.mol is None:
            errors[i] = parsed.error
        else:
            mols[i] = parsed.mol
            smiles_std[i] = parsed.smiles_std
            ok.append(i)
    if ok:
        good = [mols[i] for i in ok]
        try:
            results = _featurize_many(featurizer, good)
        except Exception:  # isolate the molecule(s) the featurizer chokes on
            results = []
            for i, mol in zip(ok, good, strict=True):
                try:
                    results.append(featurizer(mol))
                except Exception as exc:
                    results.append(None)
                    errors[i] = f"featurization failed: {type(exc).__name__}: {exc}"
        for i, res in zip(ok, results, strict=True):
            if not errors[i]:
                features[i] = res
    if not return_mols:
        mols = []
    return features, errors, smiles_std, mols


def _prepare_mol(mol: Chem.Mol, standardizer: Standardizer | None) -> ParsedMolecule:
    try:
        smiles = Chem.MolToSmiles(mol)
    except Exception as exc:
        return ParsedMolecule(str(mol), None, "", f"cannot write SMILES: {exc}")
    if standardizer is None:
        return ParsedMolecule(smiles, mol, smiles, "")
    std, error = standardizer(mol)
    if std is None:
        return ParsedMolecule(smiles, None, "", error)
    return ParsedMolecule(smiles, std, Chem.MolToSmiles(std), "")


def _sequence_chunk(items: Sequence[Any], featurizer: Any) -> tuple[list[Any], list[str], list[str], list[Any]]:
    features: list[Any] = []
    errors: list[str] = []
    for item in items:
        try:
            features.append(featurizer(item))
            errors.append("")
        except InvalidSequenceError as exc:
            features.append(None)
            errors.append(str(exc))
    return features, errors, [], []


def _run_chunk(args: tuple[Sequence[Any], Any, Standardizer | None, bool, bool]) -> tuple[Any, ...]:
    items, featurizer, standardizer, return_mols, is_sequence = args
    if is_sequence:
        return _sequence_chunk(items, featurizer)
    return _molecule_chunk(items, featurizer, standardizer, return_mols)


def featurize(
    inputs: Sequence[Any] | Iterable[Any],
    featurizer: Any,
    *,
    standardizer: Standardizer | None = DEFAULT_STANDARDIZER,
    ignore_errors: bool = True,
    n_jobs: int = 1,
    chunk_size: int = 512,
    return_mols: bool = False,
    progress: bool = False,
) -> BatchResult:
    """Featurize many inputs, one result or one error per input, in input order.

    Parameters
    ----------
    inputs
        SMILES strings or RDKit molecules (molecule featurizers), or protein sequences
        (featurizers with ``input_kind == "sequence"``).
    featurizer
        Any registered featurizer (or an object with ``__call__`` and optionally
        ``featurize_many``). Must be picklable when ``n_jobs > 1``.
    standardizer
        Policy applied after parsing; ``None`` parses only.
    ignore_errors
        Record failures in :attr:`BatchResult.errors` (default). When ``False``, raise for
        the first failing input.
    n_jobs
        Worker processes; 1 runs in this process, -1 uses every CPU.
    chunk_size
        Inputs per chunk (one task per chunk when ``n_jobs > 1``).
    return_mols
        Keep the standardized molecules in :attr:`BatchResult.mols`.
    progress
        Show a progress bar on stderr.

    Returns
    -------
    BatchResult

    Raises
    ------
    InvalidMoleculeError, InvalidSequenceError
        Only with ``ignore_errors=False``.
    """
    items = list(inputs)
    is_sequence = getattr(featurizer, "input_kind", "molecule") == "sequence"
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    if n_jobs == -1 or n_jobs == 0:
        n_jobs = os.cpu_count() or 1
    if n_jobs < 1:
        raise ValueError(f"n_jobs must be >= 1 or -1, got {n_jobs}")
    chunks = [
        (items[i : i + chunk_size], featurizer, standardizer, return_mols, is_sequence)
        for i in range(0, len(items), chunk_size)
    ]
    result = BatchResult([], [], [], [])
    bar = _progress_bar(len(items)) if progress else None
    try:
        if n_jobs == 1 or len(chunks) <= 1:
            outputs: Iterable[tuple[Any, ...]] = map(_run_chunk, chunks)
            _collect(outputs, result, chunks, bar)
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            ctx = multiprocessing.get_context(method)
            with ProcessPoolExecutor(max_workers=min(n_jobs, len(chunks)), mp_context=ctx) as pool:
                _collect(pool.map(_run_chunk, chunks), result, chunks, bar)
    finally:
        if bar is not None:
            bar[0].stop()
    if not ignore_errors:
        for i, err in enumerate(result.errors):
            if err:
                if is_sequence:
                    raise InvalidSequenceError(f"input {i}: {err}")
                raise InvalidMoleculeError(i, str(items[i]) if not isinstance(items[i], Chem.Mol) else Chem.MolToSmiles(items[i]), err)
    if result.n_invalid:
        logger.info("%d of %d inputs could not be featurized", result.n_invalid, len(result))
    return result


def _collect(outputs: Iterable[tuple[Any, ...]], result: BatchResult, chunks: list[Any], bar: Any) -> None:
    for chunk, (features, errors, smiles_std, mols) in zip(chunks, outputs, strict=True):
        result.features.extend(features)
        result.errors.extend(errors)
        result.smiles_std.extend(smiles_std)
        result.mols.extend(mols)
        if bar is not None:
            bar[0].update(bar[1], advance=len(chunk[0]))


def _progress_bar(total: int) -> tuple[Any, Any]:
    from rich.console import Console
    from rich.progress import Progress

    prog = Progress(console=Console(stderr=True), transient=True)
    task = prog.add_task("featurizing", total=total)
    prog.start()
    return prog, task
