"""Method variants (``actions``, ``linear``), the run label that names them, and algo specs.

A variant changes what a method's model sees (``actions``: ``[s, a]`` instead of ``s``) or its
function class (``linear``: no activations). Runs of one method with different variants are
different experimental arms, so every run carries a *label*, ``<algo>[+actions][+linear]``
(``smiling+linear``), which reports group by and sweeps name run directories after. The same
string, an *algo spec*, is what ``smiling sweep --algo`` accepts.

This module is the one place that knows how a variant maps onto each method's config.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from smiling.errors import SmilingError

# The variants each method offers as options, in label order.
OPTIONAL: dict[str, tuple[str, ...]] = {
    "smiling": ("actions", "linear"),
    "dac": ("actions", "linear"),
    "iq-learn": (),
    "bc": (),
    "sac": (),
}
# Methods that read expert actions whatever their config (so --use-actions is accepted as a no-op).
ALWAYS_ACTIONS = frozenset({"iq-learn", "bc"})
FLAGS = {"actions": "--use-actions", "linear": "--linear"}


def check(algo: str, variants: tuple[str, ...] | list[str]) -> None:
    """Raise a :class:`SmilingError` naming the first variant ``algo`` does not have."""
    for v in variants:
        if v not in OPTIONAL[algo] and not (v == "actions" and algo in ALWAYS_ACTIONS):
            raise SmilingError(f"{FLAGS.get(v, v)} is not supported by --algo {algo}")


def apply(algo: str, config: Any, variants: tuple[str, ...] | list[str]) -> Any:
    """``config`` (a method config dataclass) with ``variants`` switched on."""
    check(algo, variants)
    if "actions" in variants and algo == "smiling":
        config = config.replace(reward=dataclasses.replace(config.reward, use_actions=True))
    elif "actions" in variants and algo == "dac":
        config = config.replace(use_actions=True)
    if "linear" in variants:
        config = config.replace(net=dataclasses.replace(config.net, linear=True))
    return config


def reads_actions(algo: str, config: Any) -> bool:
    """Whether the method, configured so, reads the expert's actions."""
    if algo == "smiling":
        return bool(config.reward.use_actions)
    if algo == "dac":
        return bool(config.use_actions)
    return algo in ALWAYS_ACTIONS


def label(algo: str, config: Any | None) -> str:
    """``<algo>[+actions][+linear]``: the method and the optional variants ``config`` has on."""
    if config is None:
        return algo
    on = {
        "actions": "actions" in OPTIONAL[algo] and reads_actions(algo, config),
        "linear": "linear" in OPTIONAL[algo] and bool(config.net.linear),
    }
    return "+".join([algo, *(v for v in OPTIONAL[algo] if on[v])])


def parse_spec(spec: str) -> tuple[str, tuple[str, ...]]:
    """``"dac+linear"`` -> ``("dac", ("linear",))``; a clear error for anything else."""
    algo, *variants = spec.strip().split("+")
    if algo not in OPTIONAL:
        raise SmilingError(f"unknown algo '{algo}' in '{spec}'; choose from {', '.join(OPTIONAL)}")
    for v in variants:
        if v not in OPTIONAL[algo]:
            offered = ", ".join(f"+{o}" for o in OPTIONAL[algo]) or "none"
            raise SmilingError(f"'{spec}': {algo} has no variant '+{v}' (it offers: {offered})")
    if len(set(variants)) != len(variants):
        raise SmilingError(f"'{spec}': a variant is repeated")
    canonical = tuple(v for v in OPTIONAL[algo] if v in variants)
    return algo, canonical


def spec_args(spec: str) -> list[str]:
    """The ``smiling train`` arguments of an algo spec: ``--algo A`` and its variant flags."""
    algo, variants = parse_spec(spec)
    return ["--algo", algo, *(FLAGS[v] for v in variants)]


def canonical_spec(spec: str) -> str:
    """The spec in label order (``dac+linear+actions`` -> ``dac+actions+linear``)."""
    algo, variants = parse_spec(spec)
    return "+".join([algo, *variants])
