"""The stratified timestep grid: same values both ways, every state on every stratum, unbiased."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from smiling.diffusion import (
    RewardConfig,
    ScoreNetConfig,
    fast_reward,
    linear_schedule,
    naive_reward,
    network_predictor,
)
from smiling.diffusion.reward import timestep_grid
from smiling.diffusion.score_net import ScoreNet

NET = ScoreNetConfig(hidden=16)
T = 100


def _params(seed: int, dim: int = 3):
    return ScoreNet(dim, NET).init(jax.random.PRNGKey(seed), jnp.zeros((1, dim)), jnp.zeros(1))


def test_grid_is_shifted_within_one_stride():
    fixed = np.asarray(timestep_grid(T, 10, jax.random.PRNGKey(0), stratified=False))
    offsets = set()
    for i in range(30):
        grid = np.asarray(timestep_grid(T, 10, jax.random.PRNGKey(i), stratified=True))
        shift = grid - fixed
        assert np.all(shift == shift[0]) and 0 <= shift[0] < 10 and grid.max() < T
        offsets.add(int(shift[0]))
    assert len(offsets) > 5  # the offset really varies with the key


def test_fast_equals_naive_when_stratified():
    schedule = linear_schedule(T)
    e, k = _params(0), _params(1)
    states = jax.random.normal(jax.random.PRNGKey(2), (7, 3))
    for config in (
        RewardConfig(num_timesteps=6, stratified=True, normalize=False, chunk_size=4),
        RewardConfig(num_timesteps=6, stratified=True, antithetic=True, normalize=False),
    ):
        key = jax.random.PRNGKey(3)
        fast = fast_reward(
            e, k, states, None, key, schedule=schedule, config=config, net_config=NET
        )
        naive = naive_reward(
            network_predictor(e, NET),
            network_predictor(k, NET),
            states,
            None,
            key,
            schedule=schedule,
            config=config,
        )
        np.testing.assert_allclose(fast, naive, rtol=1e-4, atol=1e-5)


def test_stratified_is_unbiased_for_the_all_timestep_average():
    """Averaged over keys, K = 4 stratified matches the deterministic K = T average (the fixed
    K = 4 grid does not)."""
    schedule = linear_schedule(T)
    e, k = _params(0), _params(1)
    states = jax.random.normal(jax.random.PRNGKey(2), (5, 3)) * 2.0

    def mean_over_keys(config, n):
        def f(key):
            return fast_reward(
                e, k, states, None, key, schedule=schedule, config=config, net_config=NET
            )

        keys = jax.random.split(jax.random.PRNGKey(0), n)
        return np.asarray(jnp.mean(jax.jit(jax.vmap(f))(keys), axis=0))

    reference = mean_over_keys(RewardConfig(num_timesteps=T, normalize=False), 2000)
    strat = mean_over_keys(RewardConfig(num_timesteps=4, stratified=True, normalize=False), 8000)
    fixed = mean_over_keys(RewardConfig(num_timesteps=4, normalize=False), 8000)
    scale = np.abs(reference).max()
    assert np.abs(strat - reference).max() < 0.15 * scale
    assert np.abs(fixed - reference).max() > 2 * np.abs(strat - reference).max()
