"""The true-reward method (``--algo rl``): the agent on the environment's reward.

How experts are trained, and the reference point for an imitation method's overhead (same loop,
same agent, no reward model). Agent-neutral: ``--algo rl --agent sac`` (``--algo sac`` is kept
as an alias so recorded commands keep working).
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


class TrueReward(Learner):
    """The agent with the environment's reward. ``demos`` (optional) only normalises returns.

    >>> expert = TrueReward("Pendulum-v1", preset="fast")
    >>> expert.learn(20_000, run_dir="runs/pendulum-expert")
    """


RL_ENTRY = MethodEntry(
    name="rl",
    cls=TrueReward,
    presets=RL_PRESETS,
    summary="the agent on the environment's true reward (experts, reference curves)",
    needs_demos=False,
)
