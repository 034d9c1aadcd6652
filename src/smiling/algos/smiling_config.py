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


@dataclasses.dataclass(frozen=True)
class SmilingConfig(Config):
    """Every number of the SMILING loop. ``SMILING_PRESETS`` holds the named settings."""

    reward: RewardConfig = RewardConfig()
    net: ScoreNetConfig = ScoreNetConfig()
    diffusion_steps: int = 5000
    schedule: str = "linear"  # or "cosine"
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

    def __post_init__(self) -> None:
        check_termination(self.termination)


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
