"""Shared fixtures: small, deterministic objects so tests stay fast on 2 cores."""

from __future__ import annotations

import numpy as np
import pytest

from smiling.data.demos import Demonstrations


def make_demos(
    episodes: int = 4, length: int = 20, obs_dim: int = 3, act_dim: int | None = 1, seed: int = 0
) -> Demonstrations:
    rng = np.random.default_rng(seed)
    n = episodes * length
    return Demonstrations(
        env_id="Pendulum-v1",
        observations=rng.normal(size=(n, obs_dim)).astype(np.float32),
        actions=None if act_dim is None else rng.uniform(-1, 1, (n, act_dim)).astype(np.float32),
        rewards=rng.normal(size=n).astype(np.float32),
        episode_lengths=np.full(episodes, length),
        expert_return=-150.0,
        random_return=-1200.0,
        seed=seed,
    )


def transitions(
    n: int, obs_dim: int, act_dim: int = 1, seed: int = 0, terminated: float = 0.0
) -> dict[str, np.ndarray]:
    """A replayed batch of ``n`` random transitions (rewards 0) as an agent's update takes it."""
    rng = np.random.default_rng(seed)
    return {
        "obs": rng.normal(size=(n, obs_dim)).astype(np.float32),
        "actions": rng.uniform(-1, 1, (n, act_dim)).astype(np.float32),
        "rewards": np.zeros(n, np.float32),
        "next_obs": rng.normal(size=(n, obs_dim)).astype(np.float32),
        "terminated": np.full(n, terminated, np.float32),
    }


@pytest.fixture
def demos() -> Demonstrations:
    return make_demos()


# `--set` overrides that make an end-to-end `smiling train` run cheap: a small SAC that starts
# learning after 100 steps.
TINY_SAC_ARGS = [
    "--set",
    "sac.hidden=32,32",
    "--set",
    "sac.batch_size=32",
    "--set",
    "sac.seed_steps=100",
]
