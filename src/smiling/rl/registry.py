"""Every RL agent the loop can drive, by name (``smiling train --agent NAME``).

Adding an agent: write a module that implements :class:`smiling.rl.agent.Agent` and defines an
:class:`~smiling.rl.agent.AgentEntry`, then add one line to :data:`AGENTS` below.
"""

from __future__ import annotations

from smiling.errors import SmilingError
from smiling.rl.agent import AgentEntry
from smiling.rl.dreamerv3 import DREAMERV3_ENTRY
from smiling.rl.sac import SAC_ENTRY
from smiling.rl.simba import SIMBA_ENTRY

DEFAULT_AGENT = "sac"
AGENTS: dict[str, AgentEntry] = {
    SAC_ENTRY.name: SAC_ENTRY,
    DREAMERV3_ENTRY.name: DREAMERV3_ENTRY,
    SIMBA_ENTRY.name: SIMBA_ENTRY,
}


def get_agent(name: str) -> AgentEntry:
    """The registered agent ``name``, or one clear error listing the known ones."""
    if name not in AGENTS:
        raise SmilingError(f"unknown agent '{name}'; known agents: {', '.join(AGENTS)}")
    return AGENTS[name]
