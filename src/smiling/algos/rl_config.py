"""The true-reward method's settings, presets and registry entry (:mod:`smiling.algos.rl` is
its code, whose class the entry names and which re-exports these names).

Kept apart because this module imports no JAX: the command line builds a run's config from a
preset and its ``--set`` overrides, and refuses a bad one, before JAX is imported.
"""

from __future__ import annotations

import dataclasses

from smiling.algos.entry import MethodEntry
from smiling.config import Config


@dataclasses.dataclass(frozen=True)
class RLConfig(Config):
    """The true-reward method has no settings of its own; the agent's are in ``agent``."""


RL_PRESETS: dict[str, RLConfig] = {"fast": RLConfig(), "paper": RLConfig(), "debug": RLConfig()}


RL_ENTRY = MethodEntry(
    name="rl",
    cls="smiling.algos.rl:RL",
    presets=RL_PRESETS,
    summary="the agent on the environment's true reward (experts, reference curves)",
    needs_demos=False,
)
