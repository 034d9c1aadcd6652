"""A registry of entries that their own modules declare, imported when first asked for.

The method registry (:mod:`smiling.algos.registry`) and the agent registry
(:mod:`smiling.rl.registry`) are tables of ``name -> "module:ATTRIBUTE"``, one line per
plug-in. Resolving a name imports its module and reads the entry it declares there. Two things
follow, and are why the table is lazy rather than a dict of imported entries:

- listing the names (the CLI's choices, defaults and help) imports nothing: building the
  ``smiling`` parser must not wait seconds for JAX;
- the modules that declare entries may import whatever asks the registry (a method module
  imports :class:`smiling.algos.Learner`, whose persistence asks the method registry for "the
  class of a saved config") without an import cycle held by imports inside functions.

Entries can also be put in directly (``registry[name] = entry``), which tests use for stand-ins.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any, Generic, TypeVar

E = TypeVar("E")


class Registry(MutableMapping[str, E], Generic[E]):
    """``name -> entry``, where an entry is declared in a module and imported on first use.

    ``homes`` maps each name to ``"package.module:ATTRIBUTE"``; the attribute must be an entry
    whose ``name`` is that name (a mismatch is a programming error, raised at once).
    """

    def __init__(self, homes: dict[str, str]):
        self._homes = dict(homes)
        self._entries: dict[str, E] = {}  # resolved or put in directly

    def __getitem__(self, name: str) -> E:
        if name not in self._entries:
            home = self._homes[name]  # KeyError for an unknown name, as a dict raises
            self._entries[name] = _resolve(home, name)
        return self._entries[name]

    def __setitem__(self, name: str, entry: E) -> None:
        self._entries[name] = entry  # a name in the table keeps its place in the order

    def __delitem__(self, name: str) -> None:
        if name not in self._homes and name not in self._entries:
            raise KeyError(name)
        self._homes.pop(name, None)
        self._entries.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        # Table order first (the registry's own order), then entries put in directly.
        return iter(dict.fromkeys([*self._homes, *self._entries]))

    def __len__(self) -> int:
        return len(set(self._homes) | set(self._entries))

    def __contains__(self, name: object) -> bool:
        return name in self._homes or name in self._entries

    def __repr__(self) -> str:
        return f"Registry({list(self)})"


def _resolve(home: str, name: str) -> Any:
    module_name, sep, attribute = home.partition(":")
    if not sep:
        raise ValueError(f"registry home '{home}' must be 'module:ATTRIBUTE'")
    entry = getattr(importlib.import_module(module_name), attribute)
    if getattr(entry, "name", None) != name:
        raise ValueError(f"{home} is named '{getattr(entry, 'name', None)}', not '{name}'")
    return entry


def lazy_exports(
    package: str, homes: dict[str, str], namespace: dict[str, Any], public: list[str]
) -> tuple[Any, Any]:
    """A package's ``__getattr__`` and ``__dir__`` that import each public name from its home
    module (``homes``: name -> module) on first access, then keep it in ``namespace`` (the
    package's globals) as a plain attribute: importing the package stays cheap (no JAX) until a
    name that needs it is used."""

    def getattr_(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module '{package}' has no attribute '{name}'")
        value = getattr(importlib.import_module(home), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted([*namespace, *public])

    return getattr_, dir_
