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

An entry itself is light too: it names its class as ``"module:Class"`` (:class:`LazyClass`), so
an entry module holds the config, presets and metadata and imports no JAX; the class's module
(which does) is imported on the first use of ``entry.cls``.
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


def import_attribute(home: str) -> Any:
    """The attribute that ``"package.module:ATTRIBUTE"`` names, its module imported."""
    module_name, sep, attribute = home.partition(":")
    if not sep:
        raise ValueError(f"'{home}' must be 'module:ATTRIBUTE'")
    return getattr(importlib.import_module(module_name), attribute)


def _resolve(home: str, name: str) -> Any:
    entry = import_attribute(home)
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


class LazyClass:
    """A dataclass field (``cls``) that takes a class or its ``"module:Class"`` name and gives
    the class: the name is imported on first read, then kept.

    Why a descriptor: an entry is built with ``cls=...`` and read as ``entry.cls`` by everything
    that builds a learner or an agent, so both keep their spelling whether the entry holds the
    class (a test's stand-in) or only its name (a registered entry, which must stay importable
    without JAX). Reading it on the class raises ``AttributeError``, which tells
    :mod:`dataclasses` the field has no default.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = f"_{name}_ref"

    def __get__(self, obj: Any, owner: type | None = None) -> type:
        if obj is None:
            raise AttributeError("a class reference has no default")
        ref = obj.__dict__[self._slot]
        if isinstance(ref, str):
            ref = import_attribute(ref)
            obj.__dict__[self._slot] = ref  # the class now, not its name
        return ref

    def __set__(self, obj: Any, value: type | str) -> None:
        obj.__dict__[self._slot] = value  # frozen dataclasses set fields through here too

    def reference(self, obj: Any) -> type | str:
        """What ``obj`` holds: the class, or its name while it is not imported yet."""
        return obj.__dict__[self._slot]


def class_path(cls: type) -> str:
    """``"module:Class"``: how an entry names ``cls`` without importing it."""
    return f"{cls.__module__}:{cls.__qualname__}"
