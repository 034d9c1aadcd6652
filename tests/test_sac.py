"""SAC update mechanics on a fixed batch."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.tree_util import Partial

from smiling.algos.iq_learn import IQSAC, IQLearnConfig
from smiling.errors import SmilingError
from smiling.rl.networks import sample_tanh_gaussian
from smiling.rl.sac import PRESETS, SAC, SAC_ENTRY, SACConfig

OBS, ACT, B = 5, 2, 64
SMALL = SACConfig(hidden=(32, 32), batch_size=B, actor_lr=1e-3, critic_lr=1e-3, alpha_lr=1e-3)


def fixed_batch(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "obs": rng.normal(size=(B, OBS)).astype(np.float32),
        "actions": rng.uniform(-1, 1, (B, ACT)).astype(np.float32),
        "rewards": rng.normal(size=B).astype(np.float32),
        "next_obs": rng.normal(size=(B, OBS)).astype(np.float32),
        "terminated": np.zeros(B, np.float32),
    }


def test_paper_preset_is_the_paper():
    p = PRESETS["paper"]
    assert p.hidden == (1024, 1024) and p.batch_size == 1024
    assert p.actor_lr == p.critic_lr == p.alpha_lr == 1e-4
    assert p.init_temperature == 0.1 and p.tau == 0.005 and p.target_update_period == 2
    assert p.seed_steps == 5000 and (p.log_std_min, p.log_std_max) == (-5.0, 2.0)
    assert p.discount == 0.99
    with pytest.raises(SmilingError, match="unknown SAC preset"):
        SAC_ENTRY.preset("turbo")


def test_critic_loss_falls_on_fixed_batch():
    sac = SAC(OBS, ACT, SMALL)
    state = sac.init(jax.random.PRNGKey(0))
    batch = fixed_batch()
    losses = []
    for i in range(200):
        state, m = sac.update(state, batch, jax.random.PRNGKey(i))
        losses.append(float(m["losses/critic"]))
    assert np.mean(losses[-20:]) < 0.5 * np.mean(losses[:5])
    assert all(np.isfinite(losses))


@pytest.mark.parametrize("period", [1, 2])
def test_target_moves_by_tau_every_period(period):
    sac = SAC(OBS, ACT, SMALL.replace(target_update_period=period, tau=0.1))
    state = sac.init(jax.random.PRNGKey(0))
    for i in range(1, 5):
        old_target = state.target_critic_params
        state, _ = sac.update(state, fixed_batch(i), jax.random.PRNGKey(i))
        moved = i % period == 0
        expected = jax.tree.map(
            lambda t, p, moved=moved: 0.9 * t + 0.1 * p if moved else t,
            old_target,
            state.critic_params,
        )
        for got, want in zip(
            jax.tree.leaves(state.target_critic_params), jax.tree.leaves(expected), strict=True
        ):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_initial_temperature():
    sac = SAC(OBS, ACT, SMALL.replace(init_temperature=0.1))
    state = sac.init(jax.random.PRNGKey(0))
    assert float(jnp.exp(state.log_alpha)) == pytest.approx(0.1)


def _rewards_seen(sac, state, batch, key, reward_fn):
    """The critic target only depends on rewards: recover them from two updates' critic loss."""
    _, m = sac.update(state, batch, key, reward_fn)
    return float(m["charts/reward_mean"]), m


def test_reward_hook_replaces_batch_rewards():
    sac = SAC(OBS, ACT, SMALL)
    state = sac.init(jax.random.PRNGKey(0))
    batch = fixed_batch()
    key = jax.random.PRNGKey(3)

    def from_states(states, actions, key):
        return jnp.sum(states, axis=-1) * 10.0

    mean_hook, m_hook = _rewards_seen(sac, state, batch, key, from_states)
    assert mean_hook == pytest.approx(float(np.sum(batch["obs"], axis=-1).mean() * 10), rel=1e-5)

    # The update with the hook equals the update on a batch whose rewards ARE the hook's rewards.
    relabelled = dict(batch, rewards=np.sum(batch["obs"], axis=-1) * 10.0)
    s_hook, _ = sac.update(state, batch, key, from_states)
    s_plain, _ = sac.update(state, relabelled, key)
    for a, b in zip(jax.tree.leaves(s_hook), jax.tree.leaves(s_plain), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # ... and differs from the update on the environment's rewards.
    s_env, _ = sac.update(state, batch, key)
    assert not np.allclose(
        s_env.critic_params["params"]["MLP_0"]["Dense_2"]["kernel"],
        s_hook.critic_params["params"]["MLP_0"]["Dense_2"]["kernel"],
    )


def test_reward_hook_params_are_traced_not_baked():
    """New parameters bound with Partial must change the rewards without recompiling."""
    sac = SAC(OBS, ACT, SMALL)
    state = sac.init(jax.random.PRNGKey(0))

    def scaled(scale, states, actions, key):
        return scale * jnp.ones(states.shape[0])

    r1 = _rewards_seen(sac, state, fixed_batch(), jax.random.PRNGKey(0), Partial(scaled, 1.0))[0]
    compiled = sac._update._cache_size()  # shared by every SAC of this config: count from here
    r2 = _rewards_seen(sac, state, fixed_batch(), jax.random.PRNGKey(0), Partial(scaled, 5.0))[0]
    assert (r1, r2) == (pytest.approx(1.0), pytest.approx(5.0))
    assert sac._update._cache_size() == compiled


def test_actions_in_bounds_and_log_prob_consistent():
    sac = SAC(OBS, ACT, SMALL)
    state = sac.init(jax.random.PRNGKey(0))
    obs = fixed_batch()["obs"]
    a = sac.actor_action(state.actor_params, obs, jax.random.PRNGKey(1))
    assert a.shape == (B, ACT) and np.all(np.abs(a) <= 1)
    det = sac.actor_action(state.actor_params, obs[0], jax.random.PRNGKey(1), deterministic=True)
    assert det.shape == (ACT,)
    mean, log_std = sac.actor.apply(state.actor_params, obs)
    sample, logp = sample_tanh_gaussian(mean, log_std, jax.random.PRNGKey(2))
    np.testing.assert_allclose(
        sac.log_prob(state.actor_params, obs, sample), logp, rtol=1e-3, atol=1e-3
    )


def test_state_serialises_round_trip():
    sac = SAC(OBS, ACT, SMALL)
    state, _ = sac.update(sac.init(jax.random.PRNGKey(0)), fixed_batch(), jax.random.PRNGKey(1))
    restored = sac.from_bytes(sac.to_bytes(state))
    for a, b in zip(jax.tree.leaves(state), jax.tree.leaves(restored), strict=True):
        np.testing.assert_array_equal(a, b)


def test_equal_configs_share_compiled_code_with_identical_results():
    """SACs of one (obs_dim, act_dim, config) share one compiled update and act, and two
    updates through the shared code are bit for bit those of a SAC compiling its own."""
    config = SMALL.replace(discount=0.95)  # a config no other test compiles
    a, b = SAC(OBS, ACT, config), SAC(OBS, ACT, config)
    assert a._update is b._update and a._act is b._act
    state, batch, key = a.init(jax.random.PRNGKey(0)), fixed_batch(), jax.random.PRNGKey(1)
    shared, _ = b.update(a.update(state, batch, key)[0], batch, key)
    assert a._update._cache_size() == 1  # compiled once for both

    own = SAC(OBS, ACT, config)
    own.__dict__["_update"] = jax.jit(own._update_impl)  # what every SAC did before the cache
    alone, _ = own.update(own.update(state, batch, key)[0], batch, key)
    for x, y in zip(jax.tree.leaves(shared), jax.tree.leaves(alone), strict=True):
        np.testing.assert_array_equal(x, y)

    for other in (SAC(OBS + 1, ACT, config), SAC(OBS, ACT, config.replace(discount=0.9))):
        assert other._update is not a._update


def test_a_subclass_shares_only_the_code_of_its_own_key():
    """IQ-Learn's SAC keys its compiled code by its own config too; a subclass that does not
    say what its traced code reads compiles its own, as every SAC did before the cache."""
    expert = {k: v for k, v in fixed_batch().items() if k != "rewards"}
    iq = [IQSAC(OBS, ACT, SMALL, IQLearnConfig(), expert) for _ in range(2)]
    assert iq[0]._update is iq[1]._update and iq[0]._update is not SAC(OBS, ACT, SMALL)._update
    assert IQSAC(OBS, ACT, SMALL, IQLearnConfig(chi2_weight=1.0), expert)._update is not (
        iq[0]._update
    )

    class Unkeyed(SAC):
        pass

    assert Unkeyed(OBS, ACT, SMALL)._update is not Unkeyed(OBS, ACT, SMALL)._update
