"""Episodes that end early: the absorbing-state treatment (smiling.termination)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import transitions

import smiling
from smiling.algos.base import LoopConfig
from smiling.algos.dac import DAC, DACConfig
from smiling.algos.smiling import SMILING, SmilingConfig
from smiling.algos.visited import VisitedStates
from smiling.data.demos import Demonstrations
from smiling.diffusion import RewardConfig, ScoreModel, ScoreNetConfig, linear_schedule
from smiling.diffusion.reward import fast_reward, naive_reward, network_predictor
from smiling.envs import make_env
from smiling.evaluation import random_policy, record_episodes
from smiling.rewards import normalize_rewards, relabel, takes_absorbing, uses_absorbing
from smiling.rl.registry import get_agent
from smiling.rl.sac import SACConfig, bellman_target
from smiling.termination import AbsorbingState, absorbing_value, can_terminate, with_indicator

GAMMA = 0.99


def test_bellman_target_adds_the_absorbing_value_at_terminals_only():
    rewards = jnp.asarray([0.1, 0.2, -0.3])
    next_v = jnp.asarray([1.0, 2.0, 3.0])
    terminated = jnp.asarray([0.0, 1.0, 1.0])
    plain = bellman_target(rewards, next_v, terminated, GAMMA)
    np.testing.assert_allclose(plain, [0.1 + GAMMA * 1.0, 0.2, -0.3], rtol=1e-6)
    treated = bellman_target(rewards, next_v, terminated, GAMMA, jnp.asarray(-0.05))
    v_abs = -0.05 / (1 - GAMMA)
    np.testing.assert_allclose(
        treated, [0.1 + GAMMA * 1.0, 0.2 + GAMMA * v_abs, -0.3 + GAMMA * v_abs], rtol=1e-5
    )
    assert float(absorbing_value(jnp.asarray(0.5), 0.9)) == pytest.approx(5.0)


def _constant_hook(real: float, absorbing_value_: float | None, spread: float = 0.0):
    """A reward hook paying ``real + spread * s[0]`` on real rows and, if treated,
    ``absorbing_value_`` at s_a."""

    def hook(states, actions, key, absorbing=None):
        r = real + spread * states[:, 0]
        if absorbing is None:
            return r
        return jnp.where(absorbing, absorbing_value_, r)

    return takes_absorbing(hook) if absorbing_value_ is not None else hook


def test_relabel_evaluates_the_absorbing_state_beside_the_batch():
    states = jnp.asarray([[-8.0], [0.0], [1.0], [2.0], [3.0]]) * jnp.ones((5, 3))
    actions = jnp.ones((5, 2))
    key = jax.random.PRNGKey(0)
    r, r_abs = relabel(_constant_hook(0.1, -0.1, spread=0.1), states, actions, key)
    np.testing.assert_allclose(r, [-0.7, 0.1, 0.2, 0.3, 0.4], rtol=1e-6)
    assert float(r_abs) == pytest.approx(-0.1)
    # Clipped to within one standard deviation of the batch's mean reward.
    mean, std = float(np.mean(r)), float(np.std(r))
    _, low = relabel(_constant_hook(0.1, -50.0, spread=0.1), states, actions, key)
    _, high = relabel(_constant_hook(0.1, 50.0, spread=0.1), states, actions, key)
    assert float(low) == pytest.approx(mean - std) and float(high) == pytest.approx(mean + std)
    r, r_abs = relabel(_constant_hook(0.1, None), states, actions, key)
    assert r_abs is None and np.allclose(r, 0.1)
    assert uses_absorbing(jax.tree_util.Partial(_constant_hook(0.0, 0.0)))
    assert not uses_absorbing(None)


@pytest.mark.parametrize("treated", [True, False])
def test_sac_critic_learns_the_absorbing_value_on_a_one_step_task(treated):
    """A task whose every transition terminates: Q(s, a) = r + gamma r(s_a) / (1 - gamma) with
    the treatment, Q = r without it (the known answers)."""
    config = SACConfig(hidden=(32, 32), batch_size=64, critic_lr=1e-2, seed_steps=0)
    agent = get_agent("sac").build(2, 1, config)
    state = agent.init(jax.random.PRNGKey(0))
    batch = transitions(64, 2, terminated=1.0)
    # Rewards 0.1 + 0.3 s[0]: mean about 0.1, std about 0.3, so r(s_a) = -0.05 is not clipped.
    hook = _constant_hook(0.1, -0.05 if treated else None, spread=0.3)
    key = jax.random.PRNGKey(1)
    for _ in range(800):
        key, k = jax.random.split(key)
        state, metrics = agent.update(state, batch, k, hook)
    mean_reward = 0.1 + 0.3 * float(batch["obs"][:, 0].mean())
    want = mean_reward + (GAMMA * (-0.05) / (1 - GAMMA) if treated else 0.0)
    assert float(metrics["charts/q_mean"]) == pytest.approx(want, rel=0.05, abs=0.02)
    assert ("charts/absorbing_reward" in metrics) == treated


def test_normalisation_ignores_absorbing_rows():
    r = jnp.asarray([1.0, 2.0, 3.0, 100.0])
    mask = jnp.asarray([False, False, False, True])
    got = normalize_rewards(r, mask)
    np.testing.assert_allclose(got[:3], normalize_rewards(r[:3]), rtol=1e-5)
    assert float(got[3]) > 10


def test_indicator_layout():
    x = jnp.asarray([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(with_indicator(x, None), [[1, 2, 0], [3, 4, 0]])
    np.testing.assert_array_equal(
        with_indicator(x, jnp.asarray([False, True])), [[1, 2, 0], [0, 0, 1]]
    )


def test_which_tasks_can_terminate():
    assert can_terminate(make_env("Hopper-v5"))
    assert can_terminate(make_env("InvertedPendulum-v5"))
    assert not can_terminate(make_env("Pendulum-v1"))
    assert not can_terminate(make_env("HalfCheetah-v5"))
    assert not can_terminate(make_env("dmc:cartpole-swingup"))


def test_visited_states_pad_terminated_episodes_to_the_time_limit():
    env = make_env("Hopper-v5")
    visited = VisitedStates(env, use_actions=False, capacity=5000, termination="absorbing")
    assert visited.absorbing == AbsorbingState(True, 1000) and visited.dim == 12
    obs = np.ones(11, np.float32)
    for _ in range(30):
        visited.add(obs, np.zeros(3, np.float32))
    visited.episode_ended(True, 30)
    data = visited.fifo.data[: visited.fifo.size]
    assert visited.fifo.size == 1000
    assert np.all(data[:30, -1] == 0) and np.all(data[30:, -1] == 1)
    assert np.all(data[30:, :-1] == 0)
    visited.episode_ended(False, 1000)  # a time limit adds nothing
    assert visited.fifo.size == 1000
    # Demonstrations: only the episode that terminated is padded.
    demos = Demonstrations(
        env_id="Hopper-v5",
        observations=np.ones((50, 11), np.float32),
        episode_lengths=[20, 30],
        terminated=[True, False],
    )
    x = visited.expert_inputs(demos)
    assert x.shape == (50 + 980, 12) and x[:50, -1].sum() == 0 and x[50:, -1].sum() == 980
    # Off: 'none', or a task that cannot terminate.
    for off in (
        VisitedStates(env, False, 10, "none"),
        VisitedStates(make_env("dmc:cartpole-swingup"), False, 10, "absorbing"),
    ):
        assert not off.absorbing.active and off.dim == off.absorbing.extra_dims + off.dim
        assert off.expert_inputs(demos if off.dim == 11 else _cartpole_demos()).shape[1] == off.dim


def _cartpole_demos() -> Demonstrations:
    return smiling.bundled_demos("dmc:cartpole-swingup").first(1)


def test_smiling_fast_reward_matches_the_naive_one_with_absorbing_rows():
    d, b = 4, 12
    net = ScoreNetConfig(hidden=16)
    schedule = linear_schedule(100)
    model = ScoreModel(d + 1, net, schedule)
    pe = model.init(jax.random.PRNGKey(0)).params
    pl = model.init(jax.random.PRNGKey(1)).params
    config = RewardConfig(num_timesteps=6, absorbing=True)
    states = jax.random.normal(jax.random.PRNGKey(2), (b, d))
    mask = jnp.arange(b) >= b - 3
    key = jax.random.PRNGKey(3)
    fast = fast_reward(pe, pl, states, None, key, schedule=schedule, config=config,
                       net_config=net, absorbing=mask)  # fmt: skip
    naive = naive_reward(network_predictor(pe, net), network_predictor(pl, net), states, None,
                         key, schedule=schedule, config=config, absorbing=mask)  # fmt: skip
    np.testing.assert_allclose(fast, naive, rtol=1e-4, atol=1e-5)
    # The absorbing rows' states are ignored: any values there give the same rewards.
    moved = states.at[-3:].set(50.0)
    again = fast_reward(pe, pl, moved, None, key, schedule=schedule, config=config,
                        net_config=net, absorbing=mask)  # fmt: skip
    np.testing.assert_allclose(again, fast, rtol=1e-5, atol=1e-6)


def test_runs_recorded_before_the_setting_resume_without_it():
    assert SmilingConfig.from_dict({}).termination == "none"
    assert DACConfig.from_dict({}).termination == "none"
    assert SmilingConfig().termination == "absorbing"
    with pytest.raises(ValueError, match="termination"):
        SmilingConfig(termination="sometimes")


def _hopper_random_demos() -> Demonstrations:
    env = make_env("Hopper-v5", seed=0)
    rec = record_episodes(env, random_policy(env), 3, 0)
    assert rec.terminated.all()  # a random Hopper falls
    return Demonstrations(
        env_id="Hopper-v5",
        observations=rec.observations,
        episode_lengths=rec.lengths,
        terminated=rec.terminated,
    )


@pytest.mark.parametrize("method", [SMILING, DAC])
def test_methods_train_with_the_treatment_on_a_terminating_task(method):
    demos = _hopper_random_demos()
    loop = LoopConfig(eval_every=600, eval_episodes=1, log_every=50)
    learner = method("Hopper-v5", demos, preset="debug", seed=0, loop=loop)
    assert learner.visited.absorbing.active and learner.input_dim == 12
    learner.learn(600)
    assert "charts/absorbing_reward" in learner.last_metrics
    assert np.isfinite(learner.last_metrics["charts/absorbing_reward"])
    rows = learner.visited.fifo.data[: learner.visited.fifo.size]
    assert rows[:, -1].sum() > 0  # the random learner fell, and was absorbed
    off = method(
        "Hopper-v5", demos, preset="debug", config=learner.config.replace(termination="none")
    )
    assert not off.visited.absorbing.active and off.input_dim == 11


def test_dreamerv3_update_values_the_absorbing_state():
    """DreamerV3 relabels with the absorbing state's reward beside the batch and logs it; the
    rewards of the replayed rows are the hook's, as without the treatment."""
    from smiling.rl.dreamerv3 import DreamerV3
    from smiling.rl.dreamerv3.agent import PRESETS

    agent = DreamerV3(3, 1, PRESETS["debug"])
    state = agent.init(jax.random.PRNGKey(0))
    rep, rng = agent.make_replay(1000), np.random.default_rng(0)
    for i in range(200):
        done = i % 25 == 24
        rep.add(rng.normal(size=3), rng.uniform(-1, 1, 1), 0.0, rng.normal(size=3), done)
    batch = agent.sample(rep, rng)
    hook = _constant_hook(0.1, -0.1, spread=0.5)  # rewards: mean about 0.1, std above 0.2
    _, metrics = agent.update(state, batch, jax.random.PRNGKey(1), hook)
    assert float(metrics["charts/absorbing_reward"]) == pytest.approx(-0.1)
    assert np.isfinite(float(metrics["charts/reward_mean"]))
    _, plain = agent.update(state, batch, jax.random.PRNGKey(1), _constant_hook(0.1, None))
    assert "charts/absorbing_reward" not in plain


def test_demonstrations_record_how_episodes_ended(tmp_path):
    obs = [np.ones((4, 2), np.float32), np.ones((6, 2), np.float32)]
    demos = Demonstrations.from_arrays("Pendulum-v1", obs, terminated=[True, False])
    demos.save(tmp_path / "d.npz")
    back = Demonstrations.load(tmp_path / "d.npz")
    np.testing.assert_array_equal(back.terminated, [True, False])
    np.testing.assert_array_equal(back.first(1).terminated, [True])
    unknown = Demonstrations.from_arrays("Pendulum-v1", obs)
    assert unknown.terminated is None
    np.testing.assert_array_equal(unknown.episodes_terminated, [False, False])
    with pytest.raises(smiling.DemonstrationsError, match="one flag per episode"):
        Demonstrations.from_arrays("Pendulum-v1", obs, terminated=[True])
    env = make_env("Hopper-v5", seed=0)
    assert record_episodes(env, random_policy(env), 2, 0).terminated.tolist() == [True, True]
