"""SAC's settings, presets and registry entry: everything about the agent but its code
(:mod:`smiling.rl.sac`, whose class the entry names and which re-exports these names).

Kept apart because this module imports no JAX: the command line builds a run's agent config from
a preset and its ``--set sac.<field>=...`` overrides, and refuses a bad one, before JAX is
imported.
"""

from __future__ import annotations

import dataclasses

from smiling.config import Config, check_range
from smiling.rl.entry import AgentEntry


@dataclasses.dataclass(frozen=True)
class SACCoreConfig(Config):
    """The SAC settings every network shape shares: optimisation, targets, replay, warm-up."""

    batch_size: int = 256
    actor_lr: float = 3e-4
    critic_lr: float = 3e-4
    alpha_lr: float = 3e-4
    init_temperature: float = 0.1
    discount: float = 0.99
    tau: float = 0.005
    target_update_period: int = 1
    seed_steps: int = 5000
    log_std_min: float = -5.0
    log_std_max: float = 2.0
    buffer_size: int = 1_000_000
    target_entropy: float | None = None  # None: -act_dim
    # Gradient updates per decision once the warm-up is over (the update-to-data ratio).
    updates_per_step: int = 1

    def __post_init__(self) -> None:
        """Reject settings no SAC can run with (``--set sac.batch_size=-5``)."""
        check_range(self, "batch_size", 1)
        check_range(self, "buffer_size", 1)
        check_range(self, "target_update_period", 1)
        check_range(self, "seed_steps", 0)
        check_range(self, "updates_per_step", 1)
        for name in ("actor_lr", "critic_lr", "alpha_lr", "init_temperature"):
            check_range(self, name, 0, inclusive=False)
        check_range(self, "discount", 0, 1)
        check_range(self, "tau", 0, 1, inclusive=False)


@dataclasses.dataclass(frozen=True)
class SACConfig(SACCoreConfig):
    """SAC hyper-parameters: ReLU MLPs of widths ``hidden`` for actor and critic. ``PRESETS``
    holds the named settings."""

    hidden: tuple[int, ...] = (256, 256)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.hidden or min(self.hidden) < 1:
            raise ValueError(f"hidden must be one or more positive widths, got {self.hidden}")


PRESETS: dict[str, SACConfig] = {
    # Exactly the SMILING paper's SAC (pytorch_sac conventions, 1024x2, batch 1024).
    "paper": SACConfig(
        hidden=(1024, 1024),
        batch_size=1024,
        actor_lr=1e-4,
        critic_lr=1e-4,
        alpha_lr=1e-4,
        init_temperature=0.1,
        tau=0.005,
        target_update_period=2,
        seed_steps=5000,
    ),
    # The CPU default: 256x2 and batch 256 cost ~40x less per update than the paper preset;
    # lr 3e-4 and a target update every step learn faster per step at this width (see
    # benchmarks/results/expert_curves/expert_curves.*).
    "fast": SACConfig(),
    # The smallest SAC that runs every code path in seconds: for tests and for trying a setup.
    "debug": SACConfig(hidden=(32, 32), batch_size=32, seed_steps=100),
}


SAC_ENTRY = AgentEntry(
    name="sac",
    cls="smiling.rl.sac:SAC",
    config_type=SACConfig,
    presets=PRESETS,
    summary="Soft Actor-Critic: replays transitions, one update per environment step",
    title="SAC",
)
