"""The module ``__getattr__`` of drugscreen's packages: public names (and submodules) imported
on first access, so that importing a package loads none of its heavy dependencies."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable


def lazy_getattr(
    package: str,
    names: dict[str, str],
    submodules: frozenset[str] = frozenset(),
    namespace: dict[str, Any] | None = None,
) -> Callable[[str], Any]:
    """A module-level ``__getattr__`` (PEP 562) for ``package``.

    Parameters
    ----------
    package
        The package's ``__name__``.
    names
        Public name -> the module that defines it.
    submodules
        Submodules reached as attributes (``drugscreen.bundle`` after a plain ``import
        drugscreen``); importing one sets the attribute itself.
    namespace
        The package's ``globals()``: a name, once imported, is kept there, so later accesses
        do not come back here.
    """

    def __getattr__(name: str) -> Any:
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        if namespace is not None:
            namespace[name] = value
        return value

    return __getattr__
