"""SimBa's settings, presets and registry entry: everything about the agent but its code
(:mod:`smiling.rl.simba`, whose class the entry names and which re-exports these names).

Kept apart because this module imports no JAX: the command line builds a run's agent config from
a preset and its ``--set simba.<field>=...`` overrides, and refuses a bad one, before JAX is
imported.
"""

from __future__ import annotations

import dataclasses

from smiling.config import check_range
from smiling.rl.entry import AgentEntry
from smiling.rl.sac_config import SACCoreConfig


@dataclasses.dataclass(frozen=True)
class SimbaConfig(SACCoreConfig):
    """SimBa's settings: SAC's (optimisation, targets, replay) plus the residual networks' shape.

    The paper's DMC setting (``PRESETS['paper']``): critic width 512 with 2 blocks, actor width
    128 with 1 block, two updates per decision, AdamW (lr 1e-4, weight decay 1e-2), initial
    temperature 0.01 and a target entropy of ``-act_dim / 2``.
    """

    critic_width: int = 256
    critic_blocks: int = 1
    actor_width: int = 128
    actor_blocks: int = 1
    weight_decay: float = 1e-2
    # Q networks: 2 is SAC's clipped double Q (the minimum of two); SimBa's DMC setting uses 1,
    # which halves the critic's cost (docs/humanoids.md).
    critics: int = 2
    # The target entropy per action dimension when ``target_entropy`` is None.
    entropy_per_action: float = -0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("critic_width", "actor_width"):
            check_range(self, name, 1)
        for name in ("critic_blocks", "actor_blocks"):
            check_range(self, name, 0)
        check_range(self, "weight_decay", 0)
        check_range(self, "critics", 1)


_SIMBA = dict(actor_lr=1e-4, critic_lr=1e-4, alpha_lr=1e-4, init_temperature=0.01)
PRESETS: dict[str, SimbaConfig] = {
    # SimBa's published DMC setting: a width-512 critic with 2 blocks, one Q network (SimBa
    # uses clipped double Q only on tasks that terminate), 2 updates per decision. About 134 ms
    # per update here, 17x a 256x2 SAC update (benchmarks/results/simba_cost.md).
    "paper": SimbaConfig(
        critic_width=512, critic_blocks=2, critics=1, updates_per_step=2, **_SIMBA
    ),
    # The CPU default, chosen by return per core-hour for dmc:humanoid-walk (docs/humanoids.md):
    # width 256 with one block and one Q network costs 22 ms per update here, 6x less than
    # the paper's; 2 updates per decision as SimBa.
    "fast": SimbaConfig(critic_width=256, critic_blocks=1, critics=1, updates_per_step=2, **_SIMBA),
    # The smallest SimBa that runs every code path in seconds: for tests and trying a setup.
    "debug": SimbaConfig(critic_width=32, actor_width=16, batch_size=32, seed_steps=100, **_SIMBA),
}


SIMBA_ENTRY = AgentEntry(
    name="simba",
    cls="smiling.rl.simba:Simba",
    config_type=SimbaConfig,
    presets=PRESETS,
    summary="SimBa: SAC with residual LayerNorm networks and running observation normalisation",
    title="SimBa",
)
