"""SimBa (smiling.rl.simba): the running observation statistics are exact agent state, used
identically wherever the agent acts or learns, and invisible to the imitation reward."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from smiling.algos import LoopConfig
from smiling.algos.iq_learn import IQLearnConfig, iq_agent
from smiling.algos.registry import METHODS
from smiling.rl.simba import NORM_EPS, NORM_PRIOR, PRESETS, Simba, SimbaConfig, update_moments

OBS, ACT = 5, 2


def agent(**changes) -> Simba:
    return Simba(OBS, ACT, PRESETS["debug"].replace(**changes))


def batch(rng: np.random.Generator, n: int = 32, shift: float = 0.0) -> dict[str, np.ndarray]:
    return {
        "obs": (rng.normal(size=(n, OBS)) * 3 + shift).astype(np.float32),
        "actions": rng.uniform(-1, 1, (n, ACT)).astype(np.float32),
        "rewards": rng.normal(size=n).astype(np.float32),
        "next_obs": (rng.normal(size=(n, OBS)) * 3 + shift).astype(np.float32),
        "terminated": np.zeros(n, np.float32),
    }


def test_running_moments_equal_those_of_all_data_seen():
    rng = np.random.default_rng(0)
    chunks = [rng.normal(size=(k, OBS)) * 4 + 7 for k in (1, 3, 50, 1, 200)]
    mean, var, count = np.zeros(OBS), np.ones(OBS), NORM_PRIOR
    for chunk in chunks:
        mean, var, count = update_moments(mean, var, count, chunk)
    data = np.concatenate(chunks)
    assert count == pytest.approx(len(data) + NORM_PRIOR)
    # the prior (mean 0, variance 1, weight 1e-4) moves the moments by ~1e-4 / 256 relative
    np.testing.assert_allclose(mean, data.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(var, data.var(axis=0), rtol=1e-5)


def test_acting_normalises_with_the_state_statistics():
    a = agent()
    state = a.init(jax.random.PRNGKey(0))
    obs = np.random.default_rng(1).normal(size=(20, OBS)) * 10 + 50
    state = a.observe(state, obs)
    x = obs[:3].astype(np.float32)
    acted, _ = a.act(state, x, jax.random.PRNGKey(2), deterministic=True)
    by_hand = (x - state.obs_mean) / np.sqrt(state.obs_var + NORM_EPS)
    mean, _ = a.actor.apply(state.actor_params, jnp.asarray(by_hand, jnp.float32))
    np.testing.assert_allclose(acted, np.tanh(np.asarray(mean)), rtol=1e-5, atol=1e-6)
    # without the statistics the same actor acts differently: they are really used
    raw_mean, _ = a.actor.apply(state.actor_params, jnp.asarray(x))
    assert not np.allclose(acted, np.tanh(np.asarray(raw_mean)), atol=1e-3)


def test_the_reward_hook_sees_the_environment_states_not_normalised_ones():
    a = agent()
    rng = np.random.default_rng(2)
    b = batch(rng, shift=100.0)
    state = a.observe(a.init(jax.random.PRNGKey(0)), b["obs"])

    def first_coordinate(states, actions, key):
        return states[:, 0]

    _, metrics = a.update(state, b, jax.random.PRNGKey(1), first_coordinate)
    assert float(metrics["charts/reward_mean"]) == pytest.approx(b["obs"][:, 0].mean(), rel=1e-5)


def test_statistics_survive_update_checkpoint_and_policy_round_trips_exactly():
    a = agent(critics=1)
    rng = np.random.default_rng(3)
    state = a.observe(a.init(jax.random.PRNGKey(0)), rng.normal(size=(7, OBS)) + 3)
    updated, _ = a.update(state, batch(rng), jax.random.PRNGKey(1))
    assert updated.obs_mean.dtype == np.float64  # not the jitted update's float32 copy
    np.testing.assert_array_equal(updated.obs_mean, state.obs_mean)
    restored = a.from_bytes(a.to_bytes(updated))
    for name in ("obs_mean", "obs_var", "obs_count"):
        np.testing.assert_array_equal(getattr(restored, name), getattr(updated, name))
    policy = a.load_policy(a.policy_bytes(updated))
    obs = rng.normal(size=(4, OBS)).astype(np.float32)
    key = jax.random.PRNGKey(5)
    np.testing.assert_array_equal(
        a.act(policy, obs, key, deterministic=True)[0],
        a.act(updated, obs, key, deterministic=True)[0],
    )


def test_settings_updates_per_decision_critics_and_target_entropy():
    a = agent(updates_per_step=3, critics=1)
    assert a.updates_due(0) == 0 and a.updates_due(PRESETS["debug"].seed_steps) == 3
    state = a.init(jax.random.PRNGKey(0))
    q = a.critic.apply(state.critic_params, jnp.zeros((4, OBS)), jnp.zeros((4, ACT)))
    assert q.shape == (1, 4)
    assert a.target_entropy == -0.5 * ACT
    with pytest.raises(ValueError, match="critics"):
        SimbaConfig(critics=0)


def test_the_loop_feeds_every_training_observation_to_the_statistics(tmp_path):
    """The statistics count every observation the agent was trained on (warm-up included),
    and a run's saved model acts with them."""
    loop = LoopConfig(eval_every=150, eval_episodes=1, checkpoint_every=0)
    rl = METHODS["rl"].cls("Pendulum-v1", None, preset="debug", seed=0, loop=loop, agent="simba")
    rl.learn(150, run_dir=tmp_path / "run", progress=False)
    assert float(rl.state.obs_count) == pytest.approx(150 + NORM_PRIOR)
    assert np.all(np.abs(rl.state.obs_mean) > 0)
    loaded = type(rl).load(tmp_path / "run" / "model")
    np.testing.assert_array_equal(loaded.state.obs_mean, rl.state.obs_mean)


def test_iq_learn_over_simba_shares_the_compiled_update_of_equal_settings():
    """IQ-Learn over SimBa keys its compiled update by SimBa's config and IQ-Learn's (its
    compile is the suite's slowest): equal settings share it; other settings, an IQ-Learn over
    an agent that does not key its code, and a subclass each compile their own."""
    expert = {"obs": np.zeros((4, OBS)), "actions": np.zeros((4, ACT))}
    expert |= {"next_obs": np.zeros((4, OBS)), "terminated": np.zeros(4)}
    IQSimba, config = iq_agent(Simba), PRESETS["debug"]
    a, b = (IQSimba(OBS, ACT, config, IQLearnConfig(), expert) for _ in range(2))
    assert a._update is b._update and a._update is not Simba(OBS, ACT, config)._update
    other = IQSimba(OBS, ACT, config, IQLearnConfig(chi2_weight=1.0), expert)
    assert other._update is not a._update

    class Unkeyed(Simba):
        pass

    class Sub(IQSimba):
        pass

    for cls in (iq_agent(Unkeyed), Sub):
        assert cls(OBS, ACT, config, IQLearnConfig(), expert)._update is not (
            cls(OBS, ACT, config, IQLearnConfig(), expert)._update
        )
