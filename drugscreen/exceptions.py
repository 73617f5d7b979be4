"""Named exceptions raised by drugscreen.

Every error a user can cause derives from :class:`DrugscreenError`, so the CLI can turn it
into one line on stderr (exit 1) instead of a traceback.
"""

from __future__ import annotations


class DrugscreenError(Exception):
    """Base class of all drugscreen errors."""


class UnknownNameError(DrugscreenError, KeyError):
    """A name was looked up in a registry that does not hold it.

    Parameters
    ----------
    kind
        What the registry holds (``"featurizer"``, ``"model"``, ``"dataset"`` ...).
    name
        The name that was asked for.
    choices
        The names the registry does hold.
    """

    def __init__(self, kind: str, name: str, choices: list[str]) -> None:
        from drugscreen.messages import closest_names, did_you_mean, name_listing

        self.kind = kind
        self.name = name
        self.choices = sorted(choices)
        #: The choices closest to ``name`` (a typo's likely meaning), best first; may be empty.
        self.suggestions = closest_names(str(name), self.choices)
        hint = did_you_mean(str(name), self.choices)
        # one line however many there are (the panel has 47 endpoints); all are in .choices
        super().__init__(f"unknown {kind} {name!r}{hint}; choose one of: {name_listing(self.choices, 15)}")

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0])

    def __reduce__(self) -> tuple[type, tuple[str, str, list[str]], dict[str, object]]:
        # pickled with its own arguments: unpickling from args (the message) failed, so an
        # error raised in a worker process (joblib, multiprocessing) never reached the caller.
        # The state then puts back the whole message (args) and any attribute set since: a
        # registry adds how a plugin's names are made known, which (kind, name, choices) alone
        # rebuilt without
        return (type(self), (self.kind, self.name, self.choices), {**self.__dict__, "args": self.args})


class InvalidMoleculeError(DrugscreenError, ValueError):
    """A molecule could not be parsed or featurized.

    Parameters
    ----------
    index
        Position of the molecule in the input (0-based), or its index label when the input was
        a DataFrame or Series indexed by labels.
    smiles
        The input text.
    reason
        Why it failed, e.g. RDKit's "Explicit valence for atom # 3 C, 5, is greater than permitted".
    """

    def __init__(self, index: int | str | None, smiles: str, reason: str) -> None:
        self.index = index
        self.smiles = smiles
        self.reason = reason
        where = f"row {index}: " if index is not None else ""
        super().__init__(f"{where}invalid molecule {smiles!r}: {reason}")

    def __reduce__(self) -> tuple[type, tuple[int | str | None, str, str]]:
        # as UnknownNameError: cross_val_score(..., n_jobs=2) on an invalid SMILES gave joblib's
        # "BrokenProcessPool: A result has failed to un-serialize" instead of this error
        return (type(self), (self.index, self.smiles, self.reason))


class InvalidSequenceError(DrugscreenError, ValueError):
    """A protein sequence holds characters that are not amino-acid codes."""


class DatasetError(DrugscreenError):
    """A dataset file is missing, malformed or fails its checksum."""


class DatasetNotAvailableError(DatasetError):
    """A dataset is not on disk and could not be downloaded (e.g. no network)."""


class BundleError(DrugscreenError):
    """A model bundle is missing, tampered with, truncated, or of an unknown format version."""


class FeaturizerMismatchError(BundleError):
    """A model was given features from a featurizer other than the one it was trained with."""


class InputFormatError(DrugscreenError):
    """An input or output file cannot be read or written as asked (format, columns, paths)."""


class ConfigError(DrugscreenError):
    """A configuration (TOML, profile, option combination) is invalid.

    ``key`` names the one setting at fault when there is one (``"split"`` for an unknown split
    name), so a caller can tell a bad value it passed from a bad configuration file.
    """

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class MissingDependencyError(DrugscreenError, ImportError):
    """An optional dependency (a ``drugscreen[extra]``) is needed and not installed.

    The message names the ``pip install`` command that provides it.
    """


class WorkerProcessError(DrugscreenError):
    """A worker process of a ``--jobs N`` screen died (killed, out of memory); the chunks it had
    stored are kept, and ``--resume`` completes the run."""


class DistributedRunError(DrugscreenError):
    """A distributed run (``--engine ray``) lost or repeated rows, or its workers failed for good."""
