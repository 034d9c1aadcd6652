"""A method's registry entry: the one place that says everything about a method.

Its name, class, config type and presets, the variants it offers and how each maps onto its config,
whether it reads the expert's actions, the unit its step budget counts, and which agents it can
drive. The CLI, :mod:`smiling.variants`, :mod:`smiling.report`, :mod:`smiling.runs` and
:mod:`smiling.sweep` ask the entry instead of keeping their own lists; so does the method's own
class, bound to its entry (``cls.entry``), from which the learner reads its name (``method``)
and presets, so the class does not repeat them.

A registered entry lives in a JAX-free module with its config and presets
(``smiling/algos/<method>_config.py``) and names its class as ``"module:Class"``: the command
line checks a method's settings (``--preset``, ``--set``) without importing JAX, and
``entry.cls`` imports the class's module on first use. The class binds itself when it is
defined (``class SMILING(Learner, entry=SMILING_ENTRY)``, :meth:`MethodEntry.bind`), not when
the entry resolves it: a user who imports the class and never the registry gets a bound class
too, and binding at definition happens exactly once, whichever is imported first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from smiling.errors import SmilingError
from smiling.plugins import LazyClass, class_path
from smiling.rl.registry import DEFAULT_AGENT, get_agent

STEP_UNITS = ("env", "gradient")


@dataclasses.dataclass(frozen=True)
class Variant:
    """An optional change to a method's config that makes a separate experimental arm."""

    apply: Callable[[Any], Any]  # config -> config with the variant on
    is_on: Callable[[Any], bool]


@dataclasses.dataclass(frozen=True)
class MethodEntry:
    """Everything about one method; ``cls`` is its :class:`~smiling.algos.Learner` subclass,
    given as the class or as its ``"module:Class"`` name (imported on first use)."""

    name: str
    cls: type = LazyClass()  # type: ignore[assignment]  # a class, or "module:Class"
    presets: dict[str, Any]
    summary: str  # one line for ``--help`` and the docs
    variants: dict[str, Variant] = dataclasses.field(default_factory=dict)
    always_actions: bool = False  # reads the expert's actions whatever its config
    needs_demos: bool = True
    step_unit: str = "env"  # "gradient": the budget counts gradient steps (takes no env steps)
    agents: tuple[str, ...] | None = None  # the agents it can drive (None: every one)
    agents_reason: str = ""  # why only those
    actions_need: str = "its settings read them"  # why it needs actions, for error messages

    def __post_init__(self) -> None:
        if self.step_unit not in STEP_UNITS:
            raise ValueError(f"{self.name}: step_unit must be one of {STEP_UNITS}")
        given = _CLASS.reference(self)
        if isinstance(given, type):  # a class given directly is bound at once
            self.bind(given)

    def bind(self, cls: type) -> None:
        """Make ``cls`` this method's class: it takes its name and presets from this entry."""
        given = _CLASS.reference(self)
        named = given if isinstance(given, str) else class_path(given)
        if named != class_path(cls):
            raise ValueError(f"method '{self.name}' names the class {named}, not {class_path(cls)}")
        bound = cls.__dict__.get("entry")
        if bound is not None and bound is not self:
            raise ValueError(f"{cls.__name__} is already the class of method '{bound.name}'")
        cls.entry = self  # type: ignore[attr-defined]

    def default_config(self) -> Any:
        return self.presets.get("fast", next(iter(self.presets.values())))

    def reads_actions(self, config: Any) -> bool:
        """Whether the method, configured so, reads the expert's actions."""
        actions = self.variants.get("actions")
        return self.always_actions or (actions is not None and actions.is_on(config))

    def actions_error(self, source: str) -> str:
        return (
            f"{self.name} needs expert actions ({self.actions_need}), but {source} is "
            "state-only (use demonstrations with actions)"
        )

    def label(self, config: Any, agent: str = DEFAULT_AGENT) -> str:
        """``<method>[+variant...][@agent]``: the run's label, its experimental arm (reports
        group by it)."""
        on = [v for v, variant in self.variants.items() if variant.is_on(config)]
        return "+".join([self.name, *on]) + ("" if agent == DEFAULT_AGENT else f"@{agent}")

    def check_agent(self, agent: str) -> None:
        """One clear error for an unknown agent, or one this method cannot drive."""
        get_agent(agent)
        if self.agents is not None and agent not in self.agents:
            raise SmilingError(
                f"{self.name} works only with the agent(s) {', '.join(self.agents)}, "
                f"not '{agent}': {self.agents_reason}"
            )


_CLASS: LazyClass = MethodEntry.__dict__["cls"]
