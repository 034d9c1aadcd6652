"""The true-reward method ``rl`` (``--method rl``): the agent on the environment's own reward.

How experts are trained, and the reference point for an imitation method's overhead (same loop,
same agent, no reward model). Agent-neutral: ``--method rl --agent dreamerv3``. Older names kept
working: the class :class:`TrueReward` (= :class:`RL`), and the method name ``sac`` in recorded
commands and run directories (today ``sac`` only ever names the agent).
"""

from __future__ import annotations

import dataclasses

from smiling.algos.entry import MethodEntry
from smiling.algos.persistence import Learner
from smiling.config import Config


@dataclasses.dataclass(frozen=True)
class RLConfig(Config):
    """The true-reward method has no settings of its own; the agent's are in ``agent``."""


RL_PRESETS: dict[str, RLConfig] = {"fast": RLConfig(), "paper": RLConfig(), "debug": RLConfig()}


class RL(Learner):
    """The agent with the environment's reward. ``demos`` (optional) only normalises returns.

    >>> expert = RL("Pendulum-v1", preset="fast")
    >>> expert.learn(20_000, run_dir="runs/pendulum-expert")
    """


TrueReward = RL  # the class's name before the method was called ``rl`` everywhere


RL_ENTRY = MethodEntry(
    name="rl",
    cls=RL,
    presets=RL_PRESETS,
    summary="the agent on the environment's true reward (experts, reference curves)",
    needs_demos=False,
)
