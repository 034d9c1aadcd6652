"""``--set key=value`` overrides for the frozen config dataclasses, so every number is settable.

Keys are dotted paths into a dataclass (``reward.num_timesteps=20``); the value is parsed to the
type of the field's current value, so a typo or a wrong type fails with one clear message.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from smiling.errors import SmilingError

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}

# The choices some settings take, named here so that configs check them without JAX (the
# command line builds a run's configs before JAX loads); the modules that implement them import
# these names: smiling.nn (ACTIVATIONS: a function for each), smiling.termination, smiling.rewards.
ACTIVATION_NAMES = ("leaky_relu", "relu", "silu", "gelu", "tanh")
TERMINATIONS = ("absorbing", "none")
DEFAULT_TERMINATION = "absorbing"
# how rewards are normalised (smiling.rewards.normalize_rewards)
SCALES = ("std", "robust", "robust-log")


def check_activation(name: str) -> None:
    """One clear error for an activation name the networks do not know."""
    if name not in ACTIVATION_NAMES:
        raise SmilingError(f"unknown activation '{name}'; choose one of {sorted(ACTIVATION_NAMES)}")


def check_termination(value: str) -> None:
    """Raise ``ValueError`` (for a config's ``__post_init__``) on an unknown setting."""
    if value not in TERMINATIONS:
        raise ValueError(f"termination must be one of {list(TERMINATIONS)}, got '{value}'")


# The named settings every registered method and every registered agent defines (a test checks
# the registries against it): one ``--preset`` name picks the method's and the agent's settings.
# The command line takes its choices and help from here (naming them must not import JAX).
PRESETS: dict[str, str] = {
    "fast": "the CPU default",
    "paper": "the paper's numbers",
    "debug": "tiny, for trying a setup",
}

# Each preset name's version: bumped whenever the numbers behind that name change in any method
# or agent, so a run's config says which numbers it used (``preset_version``) and a report never
# pools two versions of one preset as replicates. CHANGELOG.md says what each version changed.
# Runs recorded before versions existed used version 1 (:func:`preset_version`).
PRESET_VERSIONS: dict[str, int] = {"fast": 1, "paper": 1, "debug": 1}


def preset_version(config: dict[str, Any]) -> int:
    """The preset version a run's ``config.json`` records; 1 for runs from before versions."""
    return int(config.get("preset_version", 1))


def parse_value(text: str, current: Any, key: str) -> Any:
    """``text`` converted to the type of ``current``."""
    try:
        if isinstance(current, bool):
            if text.lower() not in _TRUE | _FALSE:
                raise ValueError(text)
            return text.lower() in _TRUE
        if isinstance(current, int):
            return int(text.replace("_", ""))
        if isinstance(current, float):
            return float(text)
        if isinstance(current, tuple):
            return tuple(int(v) for v in text.replace("x", ",").split(",") if v)
        if current is None:
            return None if text.lower() == "none" else float(text)
        return text
    except ValueError:
        kind = type(current).__name__
        raise SmilingError(f"--set {key}={text}: expected a value of type {kind}") from None


def apply_overrides(config: Any, pairs: list[str], prefix: str = "") -> Any:
    """A copy of the dataclass ``config`` with ``key=value`` pairs applied (nested by dots)."""
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep:
            raise SmilingError(f"--set expects key=value, got '{pair}'")
        config = _set(config, key.strip().split("."), text.strip(), prefix + key.strip())
    return config


def _set(config: Any, path: list[str], text: str, full_key: str) -> Any:
    names = {f.name for f in dataclasses.fields(config)}
    head = path[0]
    if head not in names:
        raise SmilingError(f"--set {full_key}: unknown setting '{head}'; known: {sorted(names)}")
    current = getattr(config, head)
    if len(path) > 1:
        if not dataclasses.is_dataclass(current):
            raise SmilingError(f"--set {full_key}: '{head}' has no sub-settings")
        value = _set(current, path[1:], text, full_key)
    else:
        if dataclasses.is_dataclass(current):
            raise SmilingError(f"--set {full_key}: '{head}' is a group; set one of its fields")
        value = parse_value(text, current, full_key)
    try:
        return dataclasses.replace(config, **{head: value})
    except (ValueError, TypeError, SmilingError) as err:
        raise SmilingError(f"--set {full_key}={text}: {err}") from None


def check_range(
    config: Any,
    name: str,
    low: float,
    high: float | None = None,
    inclusive: bool = True,
) -> None:
    """Raise ``ValueError`` naming ``name`` when the field is below ``low`` (or at it, unless
    ``inclusive``) or above ``high``: for configs' ``__post_init__``, so nonsense such as a
    negative batch size fails when it is set, not deep inside a jitted update."""
    value = getattr(config, name)
    below = value < low if inclusive else value <= low
    if below or (high is not None and value > high):
        bound = f"at least {low}" if inclusive else f"above {low}"
        bound += "" if high is None else f" and at most {high}"
        raise ValueError(f"{name} must be {bound}, got {value}")


class Config:
    """Mixin for a frozen config dataclass (a method's or an agent's): copies, dicts and the
    ``config.json`` round trip.

    Nested config groups (fields whose default is itself a dataclass, e.g. ``reward``, ``net``)
    are rebuilt by :meth:`from_dict` from their default's type, and JSON lists become tuples where
    the default is a tuple, so every config reads back from ``config.json`` equal to itself.
    """

    def replace(self, **changes: Any) -> Any:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        return _from_dict(cls, data)


def _from_dict(cls: type, data: dict[str, Any]) -> Any:
    values = dict(data)
    for f in dataclasses.fields(cls):
        if f.name not in values:
            # A setting added after runs were recorded: their config.json does not name it, and
            # they resume with the behaviour they had (``metadata={"unrecorded": value}``).
            if "unrecorded" in f.metadata:
                values[f.name] = f.metadata["unrecorded"]
            continue
        default = f.default
        if dataclasses.is_dataclass(default):
            values[f.name] = _from_dict(type(default), values[f.name])
        elif isinstance(default, tuple) and isinstance(values[f.name], list):
            values[f.name] = tuple(values[f.name])
    unknown = set(values) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise SmilingError(f"{cls.__name__}: unknown settings {sorted(unknown)}")
    return cls(**values)


def pick_preset(presets: dict[str, Any], name: str, what: str = "preset") -> Any:
    """The preset ``name``, or one clear error listing the known ones."""
    if name not in presets:
        raise SmilingError(f"unknown {what} '{name}'; choose one of {sorted(presets)}")
    return presets[name]
