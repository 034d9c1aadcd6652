"""The true-reward method ``rl`` (``--method rl``): the agent on the environment's own reward.

How experts are trained, and the reference point for an imitation method's overhead (same loop,
same agent, no reward model). Agent-neutral: ``--method rl --agent dreamerv3``. Older names kept
working: the class :class:`TrueReward` (= :class:`RL`), and the method name ``sac`` in recorded
commands and run directories (today ``sac`` only ever names the agent).
"""

from __future__ import annotations

from smiling.algos.persistence import Learner
from smiling.algos.rl_config import (  # their home: JAX-free, for the command line
    RL_ENTRY,
    RL_PRESETS,  # noqa: F401 - re-exported
    RLConfig,  # noqa: F401 - re-exported
)


class RL(Learner, entry=RL_ENTRY):
    """The agent with the environment's reward. ``demos`` (optional) only normalises returns.

    >>> expert = RL("Pendulum-v1", preset="fast")
    >>> expert.learn(20_000, run_dir="runs/pendulum-expert")
    """


TrueReward = RL  # the class's name before the method was called ``rl`` everywhere
