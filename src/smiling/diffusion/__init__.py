"""Diffusion score models and the SMILING reward built from them (docs/smiling.md,
"How it works").

``schedule`` holds the diffusion processes (variance-preserving DDPM schedules and the
variance-exploding one), ``score_net`` the noise-prediction network and its trainer, ``reward``
the per-state cost estimator that the RL agent maximises (as a reward).
"""

from smiling.diffusion.reward import (
    RewardConfig,
    RewardConfigError,
    fast_reward,
    grid_timesteps,
    make_reward_fn,
    naive_reward,
    network_predictor,
    timestep_weights,
)
from smiling.diffusion.schedule import (
    NoiseSchedule,
    cosine_schedule,
    diffuse,
    diffusion_process,
    linear_schedule,
    schedule_from_betas,
    ve_schedule,
)
from smiling.diffusion.score_net import (
    ResidualBlock,
    ScoreModel,
    ScoreModelState,
    ScoreNet,
    ScoreNetConfig,
    dsm_loss,
    first_layer_parts,
    init_score_model,
    sinusoidal_embedding,
    time_bias,
    trunk,
)

__all__ = [
    "NoiseSchedule",
    "RewardConfig",
    "RewardConfigError",
    "ResidualBlock",
    "ScoreModel",
    "ScoreModelState",
    "ScoreNet",
    "ScoreNetConfig",
    "cosine_schedule",
    "diffuse",
    "diffusion_process",
    "dsm_loss",
    "fast_reward",
    "first_layer_parts",
    "grid_timesteps",
    "init_score_model",
    "linear_schedule",
    "make_reward_fn",
    "naive_reward",
    "network_predictor",
    "schedule_from_betas",
    "sinusoidal_embedding",
    "time_bias",
    "timestep_weights",
    "trunk",
    "ve_schedule",
]
