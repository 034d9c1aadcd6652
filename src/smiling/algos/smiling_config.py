"""SMILING's settings, presets and registry entry: everything about the method but its code
(:mod:`smiling.algos.smiling`, whose class the entry names and which re-exports these names).

Kept apart because this module imports no JAX: the command line builds a run's config from a
preset and its ``--set`` overrides, and refuses a bad one, before JAX is imported.
"""

from __future__ import annotations

import dataclasses

from smiling.algos.entry import MethodEntry, Variant
from smiling.config import DEFAULT_TERMINATION, Config, check_termination
from smiling.diffusion.config import RewardConfig, ScoreNetConfig

# The diffusion processes (smiling.diffusion.schedule.diffusion_process builds them) and the
# variance-preserving process's noise schedules; plain names, so the config needs no JAX.
DIFFUSION_PROCESSES = ("vp", "ve")
NOISE_SCHEDULES = ("linear", "cosine")


@dataclasses.dataclass(frozen=True)
class SmilingConfig(Config):
    """Every number of the SMILING loop. ``SMILING_PRESETS`` holds the named settings.

    ``process`` is the diffusion: ``'vp'`` (variance-preserving, the paper's DDPM, with the noise
    ``schedule`` ``'linear'`` or ``'cosine'``) or ``'ve'`` (variance-exploding, ``x_t = x0 +
    sigma(t) eps`` with ``sigma`` geometric from ``sigma_min`` to ``sigma_max`` over the
    ``diffusion_steps``; :func:`smiling.diffusion.schedule.ve_schedule` says why 0.01 and 50).
    Both train the score models with the same noise-prediction loss and give the same reward
    form; ``sigma_min`` and ``sigma_max`` are unused by ``'vp'``.
    """

    reward: RewardConfig = RewardConfig()
    net: ScoreNetConfig = ScoreNetConfig()
    diffusion_steps: int = 5000
    schedule: str = "linear"  # or "cosine"; the variance-preserving process's only
    score_lr: float = 5e-3
    score_batch: int = 1024
    expert_pretrain_steps: int = 20_000
    learner_update_every: int = 1001
    learner_samples: int = 100_000  # drawn with replacement from the FIFO per learner update
    fifo_capacity: int = 200_000
    val_episodes: int = 5  # demonstration episodes held out for the validation loss
    # Episodes that end early (smiling.termination); runs recorded before it existed had none.
    termination: str = dataclasses.field(
        default=DEFAULT_TERMINATION, metadata={"unrecorded": "none"}
    )
    # Runs recorded before the variance-exploding process existed used the variance-preserving.
    process: str = dataclasses.field(default="vp", metadata={"unrecorded": "vp"})
    sigma_min: float = 0.01
    sigma_max: float = 50.0

    def __post_init__(self) -> None:
        check_termination(self.termination)
        self._check_diffusion()

    def _check_diffusion(self) -> None:
        """The diffusion settings name a process that exists (one line naming the setting)."""
        if self.process not in DIFFUSION_PROCESSES:
            raise ValueError(
                f"process must be one of {list(DIFFUSION_PROCESSES)}, got '{self.process}'"
            )
        if self.schedule not in NOISE_SCHEDULES:
            raise ValueError(
                f"schedule must be one of {list(NOISE_SCHEDULES)}, got '{self.schedule}'"
            )
        if self.process == "ve" and self.schedule != "linear":
            raise ValueError(
                f"schedule={self.schedule} is a variance-preserving schedule; process=ve has "
                "its own geometric one (set sigma_min and sigma_max instead)"
            )
        minimum_steps = 2 if self.process == "ve" else 1
        if self.diffusion_steps < minimum_steps:
            raise ValueError(
                f"diffusion_steps must be at least {minimum_steps} for process={self.process}, "
                f"got {self.diffusion_steps}"
            )
        if not 0 < self.sigma_min < self.sigma_max:
            raise ValueError(
                f"sigma_min and sigma_max need 0 < sigma_min < sigma_max, got {self.sigma_min} "
                f"and {self.sigma_max}"
            )


SMILING_PRESETS: dict[str, SmilingConfig] = {
    # The paper's numbers exactly (arXiv 2410.13855 and its reference implementation).
    "paper": SmilingConfig(
        reward=RewardConfig(num_timesteps=500, antithetic=False, weighting="simple"),
    ),
    # CPU default, chosen from benchmarks/results/reward_estimator/reward_estimator.* and
    # smiling_learning.*: (with the agent's fast preset, SAC 256x2) K = 8 on a stratified (randomly
    # shifted) grid, fewer pre-training steps.
    "fast": SmilingConfig(
        reward=RewardConfig(num_timesteps=8, stratified=True, weighting="simple"),
        expert_pretrain_steps=5000,
    ),
    # The smallest settings that run every code path in seconds (tests, trying a setup).
    "debug": SmilingConfig(
        reward=RewardConfig(num_timesteps=4, stratified=True, weighting="simple"),
        net=ScoreNetConfig(hidden=16),
        expert_pretrain_steps=10,
        learner_update_every=100,
        learner_samples=256,
        score_batch=64,
        val_episodes=1,
    ),
}


def _use_actions(config: SmilingConfig) -> SmilingConfig:
    return config.replace(reward=dataclasses.replace(config.reward, use_actions=True))


def _linear(config: SmilingConfig) -> SmilingConfig:
    return config.replace(net=dataclasses.replace(config.net, linear=True))


SMILING_ENTRY = MethodEntry(
    name="smiling",
    cls="smiling.algos.smiling:SMILING",
    presets=SMILING_PRESETS,
    summary="score-matching imitation from (state-only) demonstrations",
    variants={
        "actions": Variant(_use_actions, lambda c: bool(c.reward.use_actions)),
        "linear": Variant(_linear, lambda c: bool(c.net.linear)),
    },
    actions_need="--use-actions: its score models see [s, a]",
)
