"""Every RL agent the loop can drive, by name (``smiling train --agent NAME``).

Adding an agent: write a module that implements :class:`smiling.rl.agent.Agent` and declares an
:class:`~smiling.rl.agent.AgentEntry`, then add one line to :data:`AGENTS` below
(``"name": "module:ENTRY"``). The table is lazy (:mod:`smiling.plugins`): naming the agents
imports none of them, so the command line lists them without importing JAX.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smiling.errors import SmilingError
from smiling.plugins import Registry

if TYPE_CHECKING:
    from smiling.rl.agent import AgentEntry

DEFAULT_AGENT = "sac"  # what a run drives when it names no agent
AGENTS: Registry[AgentEntry] = Registry(
    {
        "sac": "smiling.rl.sac:SAC_ENTRY",
        "dreamerv3": "smiling.rl.dreamerv3.agent:DREAMERV3_ENTRY",
        "simba": "smiling.rl.simba:SIMBA_ENTRY",
    }
)


def get_agent(name: str) -> AgentEntry:
    """The registered agent ``name``, or one clear error listing the known ones."""
    if name not in AGENTS:
        raise SmilingError(f"unknown agent '{name}'; known agents: {', '.join(AGENTS)}")
    return AGENTS[name]
