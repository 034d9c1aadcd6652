"""Method specs and run labels: ``<method>[+variant...][@agent]``, from the method registry.

A variant changes what a method's model sees (``actions``: ``[s, a]`` instead of ``s``) or its
function class (``linear``: no activations). Runs of one method with different variants, or
driving another agent, are different experimental arms, so every run carries a *label*
(``smiling+linear``, ``smiling@dreamerv3``), which reports group by and sweeps name run
directories after. The same string, a *method spec*, is what ``smiling train --method`` and
``smiling sweep --method`` accept. Which variants a method has and how each maps onto its config
is the method's registry entry's business (:mod:`smiling.algos.entry`); this module only parses.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from smiling.errors import SmilingError


@dataclasses.dataclass(frozen=True)
class VariantFlag:
    """The ``smiling train`` switch of a variant, declared once: the CLI adds it from here,
    reads it back and a sweep writes it into each run's command."""

    flag: str
    help: str

    @property
    def dest(self) -> str:
        """The parsed arguments' attribute (``--use-actions`` -> ``use_actions``)."""
        return self.flag.lstrip("-").replace("-", "_")


# Every variant any method offers (the methods' entries say which they offer; a test checks
# each has a switch here). The help names no method: ``smiling train --help`` lists who offers it.
VARIANT_FLAGS: dict[str, VariantFlag] = {
    "actions": VariantFlag(
        "--use-actions",
        "variant actions: the method's reward model (score models, discriminator) sees [s, a] "
        "(needs demos with actions)",
    ),
    "linear": VariantFlag(
        "--linear",
        "variant linear: the reward model's networks without activations (linear ablation)",
    ),
}
FLAGS = {name: v.flag for name, v in VARIANT_FLAGS.items()}  # variant -> its flag


def _entry(method: str):
    from smiling.algos.registry import get_method

    return get_method(method)


def check(method: str, variants: tuple[str, ...] | list[str]) -> None:
    """Raise a :class:`SmilingError` naming the first variant ``method`` does not have
    (``--use-actions`` is accepted as a no-op by methods that always read actions)."""
    entry = _entry(method)
    for v in variants:
        if v not in entry.variants and not (v == "actions" and entry.always_actions):
            raise SmilingError(f"{FLAGS.get(v, v)} is not supported by --method {entry.name}")


def apply(method: str, config: Any, variants: tuple[str, ...] | list[str]) -> Any:
    """``config`` (a method config dataclass) with ``variants`` switched on."""
    check(method, variants)
    entry = _entry(method)
    for v in variants:
        if v in entry.variants:
            config = entry.variants[v].apply(config)
    return config


def reads_actions(method: str, config: Any) -> bool:
    """Whether the method, configured so, reads the expert's actions."""
    return _entry(method).reads_actions(config)


def label(method: str, config: Any | None, agent: str | None = None) -> str:
    """The run label of ``method`` configured as ``config`` (``None``: the method itself)."""
    if config is None:
        return method
    return _entry(method).label(config, *(() if agent is None else (agent,)))


def parse_spec(spec: str) -> tuple[str, tuple[str, ...]]:
    """``"dac+linear"`` -> ``("dac", ("linear",))``; a clear error for anything else.

    An ``@agent`` suffix is split off by :func:`parse_full_spec`."""
    method, variants, _ = parse_full_spec(spec)
    return method, variants


def parse_full_spec(spec: str) -> tuple[str, tuple[str, ...], str | None]:
    """``"smiling+linear@dreamerv3"`` -> ``("smiling", ("linear",), "dreamerv3")``."""
    from smiling.algos.registry import METHODS, get_method

    body, at, agent = spec.strip().partition("@")
    method, *variants = body.split("+")
    try:
        entry = get_method(method)
    except SmilingError:
        known = ", ".join(METHODS)
        raise SmilingError(f"unknown method '{method}' in '{spec}'; choose from {known}") from None
    for v in variants:
        if v not in entry.variants:
            offered = ", ".join(f"+{o}" for o in entry.variants) or "none"
            raise SmilingError(f"'{spec}': {method} has no variant '+{v}' (it offers: {offered})")
    if len(set(variants)) != len(variants):
        raise SmilingError(f"'{spec}': a variant is repeated")
    if at:
        entry.check_agent(agent)
    canonical = tuple(v for v in entry.variants if v in variants)
    return method, canonical, (agent if at else None)


def spec_args(spec: str) -> list[str]:
    """The ``smiling train`` arguments of a method spec: ``--method M``, its variant flags and
    ``--agent``."""
    method, variants, agent = parse_full_spec(spec)
    flags = ["--method", method, *(FLAGS[v] for v in variants)]
    return flags + (["--agent", agent] if agent else [])


def canonical_spec(spec: str) -> str:
    """The spec in label order (``dac+linear+actions`` -> ``dac+actions+linear``)."""
    method, variants, agent = parse_full_spec(spec)
    return "+".join([method, *variants]) + (f"@{agent}" if agent else "")
