"""Name-keyed registries for featurizers, models and other pluggable parts.

A :class:`Registry` maps a normalized name (case, ``-`` and ``_`` ignored) to a class or
function. Registration is explicit, with a decorator, so what exists never depends on
import order; unknown names raise :class:`~drugscreen.exceptions.UnknownNameError`
listing the valid ones.

Components of your own (a featurizer, a model) are registered the same way from your own
module. For the command line (``drugscreen train --model``, ``drugscreen screen --panel`` of a
bundle trained with it, ``drugscreen benchmark``) to find them, name the module in
``$DRUGSCREEN_PLUGINS`` (comma-separated importable modules, e.g.
``DRUGSCREEN_PLUGINS=mylab.drugscreen_models``) or declare it as an entry point of the group
``drugscreen.plugins`` in your package's metadata. :func:`load_plugins` imports them once, the
first time a registry is asked for a name it does not hold or for its list of names; a lookup
of a built-in name never imports them.

Examples
--------
>>> FEATURIZERS = Registry("featurizer")
>>> @FEATURIZERS.register("morgan")
... class Morgan: ...
>>> FEATURIZERS.get("Morgan") is Morgan
True
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from drugscreen.exceptions import ConfigError, UnknownNameError

__all__ = ["ENTRY_POINT_GROUP", "PLUGINS_ENV", "Registry", "load_plugins", "normalize_name", "plugin_hint"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Environment variable naming plugin modules to import (comma-separated).
PLUGINS_ENV = "DRUGSCREEN_PLUGINS"
#: Entry-point group of installed plugin packages (``[project.entry-points."drugscreen.plugins"]``).
ENTRY_POINT_GROUP = "drugscreen.plugins"

# the plugin sources already imported ("env:<module>" / "ep:<name>"), and whether an import is
# running (a plugin that lists a registry while it is imported must not start another round)
_loaded: set[str] = set()
_loading = False


def normalize_name(name: str) -> str:
    """Return ``name`` lower-cased with ``-`` and ``_`` removed."""
    return name.lower().replace("-", "").replace("_", "")


@functools.cache
def _entry_points() -> tuple[Any, ...]:
    """The installed entry points of :data:`ENTRY_POINT_GROUP` (read once per process)."""
    from importlib.metadata import entry_points

    try:
        return tuple(entry_points(group=ENTRY_POINT_GROUP))
    except Exception as exc:  # pragma: no cover - broken package metadata must not stop a lookup
        logger.warning("could not read the %s entry points (%s: %s)", ENTRY_POINT_GROUP, type(exc).__name__, exc)
        return ()


def plugin_hint(kind: str) -> str:
    """How a ``kind`` (model, featurizer) of one's own is made known, for error messages."""
    return (f"name the module that registers it in ${PLUGINS_ENV} (e.g. {PLUGINS_ENV}=mypackage.my_{kind}s) or in a "
            f"'{ENTRY_POINT_GROUP}' entry point")


def load_plugins() -> list[str]:
    """Import the plugin modules not imported yet: those named in ``$DRUGSCREEN_PLUGINS`` and the
    ``drugscreen.plugins`` entry points. Importing a plugin runs its ``register`` decorators.

    Returns
    -------
    list[str]
        The plugins imported by this call (``[]`` when there was nothing new).

    Raises
    ------
    ConfigError
        A plugin could not be imported (not on the path, or its import failed); the message
        names it, the error, and the import to run to see the traceback.
    """
    global _loading
    if _loading:
        return []
    import importlib

    # (key, what the message calls it, module to import, loader)
    sources: list[tuple[str, str, str, Callable[[], Any]]] = []
    for module in (m.strip() for m in os.environ.get(PLUGINS_ENV, "").split(",")):
        if module and f"env:{module}" not in _loaded:
            sources.append((f"env:{module}", f"{PLUGINS_ENV} module {module!r}", module,
                            lambda module=module: importlib.import_module(module)))
    for ep in _entry_points():
        if f"ep:{ep.name}={ep.value}" not in _loaded:
            sources.append((f"ep:{ep.name}={ep.value}", f"{ENTRY_POINT_GROUP} entry point {ep.name!r} ({ep.value})",
                            ep.value.split(":")[0].strip(), ep.load))
    done: list[str] = []
    _loading = True
    try:
        for key, what, module, load in sources:
            _loaded.add(key)  # tried once: a failing plugin is reported, not retried at every lookup
            try:
                load()
            except Exception as exc:
                hint = " (is its folder on PYTHONPATH, or its package installed?)" if isinstance(exc, ModuleNotFoundError) else ""
                raise ConfigError(f"plugin {what} could not be imported{hint}: {type(exc).__name__}: {exc}; "
                                  f"python -c 'import {module}' shows the traceback") from exc
            done.append(what)
            logger.debug("imported plugin %s", what)
    finally:
        _loading = False
    return done


class Registry(Generic[T]):
    """A mapping from names to registered objects.

    Parameters
    ----------
    kind
        What the registry holds; used in error messages.
    extensible
        Whether users register their own entries (featurizers, models): an unknown name's error
        then says how to make a plugin's entries known.
    validate
        Called as ``validate(name, obj)`` before ``obj`` is registered; raises (``ValueError``)
        when the registry's users could not use it, so the author learns it at once.
    """

    def __init__(self, kind: str, extensible: bool = False, validate: Callable[[str, Any], None] | None = None) -> None:
        self.kind = kind
        self.extensible = extensible
        self.validate = validate
        self._items: dict[str, T] = {}
        self._names: dict[str, str] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Return a decorator that registers its argument under ``name``.

        The same definition registered again (a module reloaded, a notebook cell run twice)
        replaces the earlier one; another object under a taken name is refused. A class with
        a ``name`` attribute (what ``to_config`` and ``model_config`` record) must carry the name
        it is registered under.

        Raises
        ------
        TypeError
            ``name`` is not a string, e.g. ``@MODELS.register`` used without ``("name")``.
        """
        if not isinstance(name, str):
            what = getattr(name, "__name__", repr(name))
            raise TypeError(f"{self.kind} registry: register() takes the name to register under, "
                            f"not {what}: write @register(\"my_name\") above the definition")
        key = normalize_name(name)
        if not key:
            raise ValueError(f"{self.kind} name {name!r} is empty once '-' and '_' are ignored; give a real name")

        def decorator(obj: T) -> T:
            own = getattr(obj, "name", None)
            if isinstance(obj, type) and isinstance(own, str) and normalize_name(own) != key:
                inherited = next((b.__name__ for b in obj.__mro__[1:] if b.__dict__.get("name") == own), None)
                source = f" (inherited from {inherited})" if inherited and "name" not in obj.__dict__ else ""
                raise ValueError(
                    f"{obj.__name__}.name is {own!r}{source}, but it is registered as {self.kind} {name!r}: set "
                    f"name = {name!r} in the class (configs and bundles record that name and look it up again)"
                )
            if self.validate is not None:
                self.validate(name, obj)
            old = self._items.get(key)
            if old is not None and old is not obj and not _same_definition(old, obj):
                raise ValueError(
                    f"{self.kind} {name!r} is already registered (to {_qualified(old)}); register "
                    f"{_qualified(obj)} under another name"
                )
            self._items[key] = obj
            self._names[key] = name
            return obj

        return decorator

    def get(self, name: str) -> T:
        """Look ``name`` up; raise :class:`UnknownNameError` listing the choices (after importing
        any plugins not imported yet, see :func:`load_plugins`)."""
        key = normalize_name(name) if isinstance(name, str) else None
        if key is not None and key in self._items:
            return self._items[key]
        if key is not None and load_plugins() and key in self._items:
            return self._items[key]
        exc = UnknownNameError(self.kind, name, self.names())
        if self.extensible and not exc.suggestions:
            exc.args = (f"{exc}; a {self.kind} of your own is found once its module is imported: {plugin_hint(self.kind)}",)
        raise exc

    def names(self) -> list[str]:
        """The registered names, as they were registered, sorted (plugins included)."""
        load_plugins()
        return sorted(self._names.values())

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = normalize_name(name)
        if key in self._items:
            return True
        load_plugins()
        return key in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        load_plugins()
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.names()})"


def _qualified(obj: Any) -> str:
    """``module.QualName`` of a class or function, else its repr."""
    qual = getattr(obj, "__qualname__", None)
    return f"{getattr(obj, '__module__', '?')}.{qual}" if qual else repr(obj)


def _same_definition(old: Any, new: Any) -> bool:
    """Whether ``new`` is ``old`` defined again (same module and qualified name): a reload."""
    qual = getattr(old, "__qualname__", None)
    return qual is not None and qual == getattr(new, "__qualname__", None) and (
        getattr(old, "__module__", None) == getattr(new, "__module__", None)
    )
