"""Every RL agent the loop can drive, by name (``smiling train --agent NAME``).

Adding an agent ``name``: write ``smiling/rl/<name>_config.py`` with its config dataclass, its
presets and the :class:`~smiling.rl.entry.AgentEntry` that declares it, naming its class as
``"smiling.rl.<name>:Class"``, and importing no JAX; write ``smiling/rl/<name>.py`` (or a
package) with the class, which implements :class:`smiling.rl.agent.Agent` and re-exports the
config's names; then add one line to :data:`AGENTS` below
(``"name": "smiling.rl.<name>_config:ENTRY"``). The table is lazy (:mod:`smiling.plugins`):
naming the agents imports none of them and resolving one imports only its config module, so the
command line lists them and checks their settings without importing JAX.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smiling.errors import SmilingError
from smiling.plugins import Registry

if TYPE_CHECKING:
    from smiling.rl.entry import AgentEntry

DEFAULT_AGENT = "sac"  # what a run drives when it names no agent
AGENTS: Registry[AgentEntry] = Registry(
    {
        "sac": "smiling.rl.sac_config:SAC_ENTRY",
        "dreamerv3": "smiling.rl.dreamerv3_config:DREAMERV3_ENTRY",
        "simba": "smiling.rl.simba_config:SIMBA_ENTRY",
    }
)


def get_agent(name: str) -> AgentEntry:
    """The registered agent ``name``, or one clear error listing the known ones."""
    if name not in AGENTS:
        raise SmilingError(f"unknown agent '{name}'; known agents: {', '.join(AGENTS)}")
    return AGENTS[name]
