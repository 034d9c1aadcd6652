"""Settings declared once: a config dataclass field carries its flag, its help and its bound.

A field made with :func:`setting` is the one definition of that setting. From it come the
command-line flag (:func:`add_flags`: name, default, help, metavar), the value read back from
the parsed arguments (:func:`from_args`), the arguments that reproduce a config
(:func:`to_args`: what ``smiling sweep`` hands each run), the flag an error names
(:func:`flag_names`) and the check of its lower bound (:func:`check_minimums`). Adding a
setting to :class:`smiling.algos.loop_config.LoopConfig` is one field there.

This module imports nothing heavy: the ``smiling`` parser is built from it before JAX loads.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from smiling.errors import SettingError


def setting(
    default: Any,
    *,
    flag: str | None = None,
    help: str = "",  # noqa: A002 - argparse's name for it
    minimum: int | float | None = None,
    metavar: str | None = None,
) -> Any:
    """A dataclass field with its command-line ``flag`` (``None``: library-only), ``help``
    text and the ``minimum`` value it accepts."""
    meta = {"flag": flag, "help": help, "minimum": minimum, "metavar": metavar}
    return dataclasses.field(default=default, metadata={"setting": meta})


def _meta(field: dataclasses.Field) -> dict[str, Any]:
    return field.metadata.get("setting", {})


def flagged(cls: Any) -> list[dataclasses.Field]:
    """The fields of ``cls`` that have a command-line flag, in declaration order."""
    return [f for f in dataclasses.fields(cls) if _meta(f).get("flag")]


def flag_names(cls: Any) -> dict[str, str]:
    """``field name -> flag`` (``eval_every -> --eval-every``), so errors name what was typed."""
    return {f.name: _meta(f)["flag"] for f in flagged(cls)}


def check_minimums(config: Any) -> None:
    """Raise :class:`SettingError` for the first field below its declared minimum."""
    for f in dataclasses.fields(config):
        minimum = _meta(f).get("minimum")
        value = getattr(config, f.name)
        if minimum is not None and value < minimum:
            raise SettingError(f.name, f"must be at least {minimum}, got {value}")


def add_flags(
    parser: argparse.ArgumentParser,
    cls: Any,
    defaults: Mapping[str, Any] | None = None,
    exclude: Iterable[str] = (),
) -> None:
    """Add a flag for every flagged field of ``cls`` (its ``dest`` is the field's name).

    ``defaults`` replaces a field's default for this command (``smiling expert`` evaluates
    less often); ``exclude`` leaves fields out (a command that fixes them).
    """
    defaults, skip = dict(defaults or {}), set(exclude)
    for f in flagged(cls):
        if f.name in skip:
            continue
        meta = _meta(f)
        default = defaults.get(f.name, f.default)
        if isinstance(f.default, bool):
            if f.default:
                raise TypeError(f"{cls.__name__}.{f.name}: a flag switches a setting on")
            parser.add_argument(meta["flag"], dest=f.name, action="store_true", help=meta["help"])
            continue
        parser.add_argument(
            meta["flag"],
            dest=f.name,
            type=type(f.default),
            default=default,
            metavar=meta["metavar"],
            help=meta["help"] or None,
        )


def from_args(cls: Any, args: argparse.Namespace, **fixed: Any) -> Any:
    """The ``cls`` of the parsed flags (fields a command has no flag for keep their default,
    ``fixed`` ones take the given value)."""
    given = {f.name: getattr(args, f.name) for f in flagged(cls) if hasattr(args, f.name)}
    return cls(**{**given, **fixed})


def to_args(config: Any) -> list[str]:
    """The flags that reproduce ``config``'s flagged fields (a switch only when on)."""
    out: list[str] = []
    for f in flagged(config):
        value, flag = getattr(config, f.name), _meta(f)["flag"]
        if isinstance(f.default, bool):
            out += [flag] if value else []
        else:
            out += [flag, str(value)]
    return out
