"""Name-keyed registries for featurizers, models and other pluggable parts.

A :class:`Registry` maps a normalized name (case, ``-`` and ``_`` ignored) to a class or
function. Registration is explicit, with a decorator, so what exists never depends on
import order; unknown names raise :class:`~drugscreen.exceptions.UnknownNameError`
listing the valid ones.

Examples
--------
>>> FEATURIZERS = Registry("featurizer")
>>> @FEATURIZERS.register("morgan")
... class Morgan: ...
>>> FEATURIZERS.get("Morgan") is Morgan
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from drugscreen.exceptions import UnknownNameError

T = TypeVar("T")


def normalize_name(name: str) -> str:
    """Return ``name`` lower-cased with ``-`` and ``_`` removed."""
    return name.lower().replace("-", "").replace("_", "")


class Registry(Generic[T]):
    """A mapping from names to registered objects.

    Parameters
    ----------
    kind
        What the registry holds; used in error messages.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
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
        """Look ``name`` up; raise :class:`UnknownNameError` listing the choices."""
        try:
            return self._items[normalize_name(name)]
        except KeyError:
            raise UnknownNameError(self.kind, name, self.names()) from None

    def names(self) -> list[str]:
        """The registered names, as they were registered, sorted."""
        return sorted(self._names.values())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and normalize_name(name) in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
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
