"""Diffusion score models and the SMILING reward built from them (docs/smiling.md,
"How it works").

``schedule`` holds the diffusion processes (variance-preserving DDPM schedules and the
variance-exploding one), ``score_net`` the noise-prediction network and its
trainer, ``reward`` the per-state cost estimator that the RL agent maximises (as a reward),
``config`` the settings of both (:class:`ScoreNetConfig`, :class:`RewardConfig`).

The names are imported on first use (PEP 562), as in :mod:`smiling`: importing
:mod:`smiling.diffusion.config` (SMILING's config nests it, and the command line builds that
config before JAX loads) must not import the networks and JAX.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smiling.plugins import lazy_exports

_HOMES = {
    "RewardConfig": "smiling.diffusion.config",
    "RewardConfigError": "smiling.diffusion.config",
    "fast_reward": "smiling.diffusion.reward",
    "grid_timesteps": "smiling.diffusion.reward",
    "make_reward_fn": "smiling.diffusion.reward",
    "naive_reward": "smiling.diffusion.reward",
    "network_predictor": "smiling.diffusion.reward",
    "timestep_weights": "smiling.diffusion.reward",
    "NoiseSchedule": "smiling.diffusion.schedule",
    "cosine_schedule": "smiling.diffusion.schedule",
    "diffuse": "smiling.diffusion.schedule",
    "diffusion_process": "smiling.diffusion.schedule",
    "ve_schedule": "smiling.diffusion.schedule",
    "ResidualBlock": "smiling.diffusion.score_net",
    "linear_schedule": "smiling.diffusion.schedule",
    "schedule_from_betas": "smiling.diffusion.schedule",
    "ScoreModel": "smiling.diffusion.score_net",
    "ScoreModelState": "smiling.diffusion.score_net",
    "ScoreNet": "smiling.diffusion.score_net",
    "ScoreNetConfig": "smiling.diffusion.config",
    "dsm_loss": "smiling.diffusion.score_net",
    "first_layer_parts": "smiling.diffusion.score_net",
    "init_score_model": "smiling.diffusion.score_net",
    "sinusoidal_embedding": "smiling.diffusion.score_net",
    "time_bias": "smiling.diffusion.score_net",
    "trunk": "smiling.diffusion.score_net",
}
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

if TYPE_CHECKING:
    from smiling.diffusion.config import RewardConfig, RewardConfigError, ScoreNetConfig
    from smiling.diffusion.reward import (
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
        dsm_loss,
        first_layer_parts,
        init_score_model,
        sinusoidal_embedding,
        time_bias,
        trunk,
    )


__getattr__, __dir__ = lazy_exports("smiling.diffusion", _HOMES, globals(), __all__)
