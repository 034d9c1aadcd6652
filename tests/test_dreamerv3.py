"""DreamerV3 (smiling.rl.dreamerv3): its numerical pieces against known answers, the world model
learning a toy system, the reward alignment with SAC's, the replay, and the CLI end to end.
The contract tests (tests/test_contract.py) cover its run directory, save/load and exact resume."""

from __future__ import annotations

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import make_demos
from jax.tree_util import Partial

from smiling.cli import main
from smiling.data.replay import ReplayBuffer
from smiling.rl.dreamerv3 import DreamerV3
from smiling.rl.dreamerv3.agent import PRESETS
from smiling.rl.dreamerv3.distributions import (
    bins,
    kl_losses,
    lambda_returns,
    sample_onehot,
    symexp,
    symlog,
    twohot,
    twohot_mean,
    update_return_scale,
)
from smiling.rl.dreamerv3.replay import SequenceReplay
from smiling.rl.dreamerv3.world_model import WorldModel, feature, observe
from smiling.rl.registry import AGENTS

DEBUG = PRESETS["debug"]


# ------------------------------------------------------------- distributions
def test_symlog_symexp_are_inverse_and_compress():
    x = jnp.array([-1e6, -50.0, -1.0, -1e-3, 0.0, 1e-3, 1.0, 50.0, 1e6])
    np.testing.assert_allclose(symexp(symlog(x)), x, rtol=1e-5)
    np.testing.assert_allclose(symlog(jnp.e - 1.0), 1.0, rtol=1e-6)
    assert float(symlog(-(jnp.e - 1.0))) == pytest.approx(-1.0)


def test_twohot_round_trips_and_its_expectation_is_the_target():
    centres = bins(255)
    y = jnp.array([-20.0, -3.3, -0.01, 0.0, 0.05, 7.77, 19.9, 20.0])
    w = twohot(y, centres)
    np.testing.assert_allclose(jnp.sum(w, -1), 1.0, rtol=1e-6)
    assert int(jnp.max(jnp.sum(w > 0, -1))) <= 2  # at most two bins
    np.testing.assert_allclose(jnp.sum(w * centres, -1), y, atol=1e-5)
    # A head whose softmax is the two-hot of symlog(r) predicts r.
    r = jnp.array([-400.0, -1.0, 0.0, 0.3, 12.0])
    logits = jnp.log(twohot(symlog(r), centres) + 1e-30)
    np.testing.assert_allclose(twohot_mean(logits, centres), r, rtol=1e-4, atol=1e-5)
    # Out of range targets clip to the end bins.
    np.testing.assert_allclose(jnp.sum(twohot(jnp.array([99.0]), centres) * centres), 20.0)


def test_percentile_return_scale():
    returns = jnp.arange(101.0)  # 5th percentile 5, 95th 95
    scale = update_return_scale(jnp.array(0.0), returns, decay=0.99)
    assert float(scale) == pytest.approx(0.9)
    for _ in range(2000):
        scale = update_return_scale(scale, returns, decay=0.99)
    assert float(scale) == pytest.approx(90.0, rel=1e-3)
    # Outliers beyond the percentiles do not move it.
    spiky = returns.at[0].set(-1e6).at[100].set(1e6)
    assert float(update_return_scale(scale, spiky, 0.99)) == pytest.approx(float(scale), rel=1e-3)


def test_lambda_returns_hand_computed():
    # R_2 = v_2 = 20; R_1 = 2 + 0.9 * 0.5 * (0.5 * 20 + 0.5 * 20) = 11;
    # R_0 = 1 + 0.9 * 1.0 * (0.5 * 10 + 0.5 * 11) = 10.45.
    rewards = jnp.array([[1.0], [2.0]])
    conts = jnp.array([[1.0], [0.5]])
    values = jnp.array([[10.0], [20.0]])
    out = lambda_returns(rewards, conts, values, discount=0.9, lam=0.5)
    np.testing.assert_allclose(out[:, 0], [10.45, 11.0], rtol=1e-6)
    # lam = 0 is one-step TD; lam = 1 the discounted Monte Carlo return plus bootstrap.
    td = lambda_returns(rewards, conts, values, 0.9, 0.0)
    np.testing.assert_allclose(td[:, 0], [1 + 0.9 * 10, 2 + 0.45 * 20], rtol=1e-6)
    mc = lambda_returns(rewards, conts, values, 0.9, 1.0)
    np.testing.assert_allclose(mc[:, 0], [1 + 0.9 * (2 + 0.45 * 20), 2 + 0.45 * 20], rtol=1e-6)


def test_kl_with_free_bits():
    logits = jax.random.normal(jax.random.PRNGKey(0), (5, 4, 3))
    dyn, rep, kl = kl_losses(logits, logits, free=1.0)
    np.testing.assert_allclose(kl, 0.0, atol=1e-6)
    np.testing.assert_allclose(dyn, 1.0) and np.testing.assert_allclose(rep, 1.0)
    # Below the free bits: no gradient at all.
    g = jax.grad(lambda q: jnp.sum(kl_losses(logits, q, 1.0)[0]))(logits + 0.01)
    np.testing.assert_allclose(g, 0.0)
    # Far apart: the loss is the KL; L_dyn moves only the prior, L_rep only the posterior.
    post, prior = 5.0 * logits, -5.0 * logits
    dyn, rep, kl = kl_losses(post, prior, 1.0)
    assert float(jnp.min(kl)) > 1.0
    np.testing.assert_allclose(dyn, kl, rtol=1e-6) and np.testing.assert_allclose(rep, kl)
    g_post = jax.grad(lambda q: jnp.sum(kl_losses(q, prior, 1.0)[0]))(post)
    g_prior = jax.grad(lambda p: jnp.sum(kl_losses(post, p, 1.0)[0]))(prior)
    assert float(jnp.abs(g_post).max()) == 0.0 and float(jnp.abs(g_prior).max()) > 0.0
    g_rep = jax.grad(lambda q: jnp.sum(kl_losses(q, prior, 1.0)[1]))(post)
    assert float(jnp.abs(g_rep).max()) > 0.0


def test_straight_through_sample_is_one_hot_with_the_probabilities_gradient():
    logits = jnp.array([[0.5, -1.0, 2.0, 0.0]] * 3)
    sample = sample_onehot(logits, jax.random.PRNGKey(1))
    assert set(np.unique(np.asarray(sample))) <= {0.0, 1.0}
    np.testing.assert_allclose(jnp.sum(sample, -1), 1.0)
    w = jnp.array([1.0, 2.0, 3.0, 4.0])
    g = jax.grad(lambda lg: jnp.sum(sample_onehot(lg, jax.random.PRNGKey(1)) * w))(logits)
    g_probs = jax.grad(lambda lg: jnp.sum(jax.nn.softmax(lg) * w))(logits)
    assert float(jnp.abs(g).max()) > 0.0
    np.testing.assert_allclose(g, g_probs, rtol=1e-6)


# ------------------------------------------------------------------ replay
def test_exact_clip_gradient_is_the_expected_returns_and_straight_through_is_not():
    """Return ``a`` (more is better) from actions ``clip(m + s e)`` at ``m = 0.9``: widening
    the Gaussian sends mass below 0.9 while the mass above 1 is clipped, so the expected return
    falls with ``s``. The exact clip's reparameterised gradient says so (it matches a finite
    difference of the expectation); straight through the clip it is about zero, and for a
    return that rewards pressing against either bound (``|a|``) it is positive: the bias that
    drives a bang-bang task's std to its maximum."""
    from smiling.rl.dreamerv3.behavior import sample_action

    key, m = jax.random.PRNGKey(0), jnp.full((200_000, 1), 0.9)

    def expected(s, ret, clip_gradient):
        return jnp.mean(ret(sample_action(m, jnp.full_like(m, s), key, clip_gradient)[0]))

    def grad(ret, clip_gradient):
        return float(jax.grad(expected)(0.5, ret, clip_gradient))

    exact_fd = (expected(0.51, jnp.asarray, "exact") - expected(0.49, jnp.asarray, "exact")) / 0.02
    assert float(exact_fd) < -0.1
    assert grad(jnp.asarray, "exact") == pytest.approx(float(exact_fd), rel=0.05)
    assert abs(grad(jnp.asarray, "straight_through")) < 0.01
    assert grad(jnp.abs, "straight_through") > 0.1 + grad(jnp.abs, "exact")


def test_replay_marks_episode_starts_and_terminals_and_saves(tmp_path):
    rep = SequenceReplay(2, 1, capacity=100)
    # Episode A: 3 transitions, truncated; episode B: 2 transitions, terminated.
    for t in range(3):
        rep.add([t, 0], [t], 10.0 + t, [t + 1, 0], False, t == 2)
    for t in range(2):
        rep.add([100 + t, 0], [-t], 20.0 + t, [101 + t, 0], t == 1, False)
    assert len(rep) == 5 and rep.size == 7  # one first row per episode
    np.testing.assert_array_equal(rep.obs[:7, 0], [0, 1, 2, 3, 100, 101, 102])
    np.testing.assert_array_equal(rep.is_first[:7], [1, 0, 0, 0, 1, 0, 0])
    np.testing.assert_array_equal(rep.is_terminal[:7], [0, 0, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(rep.rewards[:7], [0, 10, 11, 12, 0, 20, 21])
    np.testing.assert_array_equal(rep.actions[:7, 0], [0, 0, 1, 2, 0, 0, -1])
    rep.save(tmp_path / "r.npz")
    back = SequenceReplay(2, 1, capacity=100)
    back.load(tmp_path / "r.npz")
    assert len(back) == 5 and back.size == 7
    rng_a, rng_b = np.random.default_rng(0), np.random.default_rng(0)
    a, b = rep.sample(3, 4, rng_a), back.sample(3, 4, rng_b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_replay_ring_keeps_the_newest_rows_in_order(tmp_path):
    rep = SequenceReplay(1, 1, capacity=10, initial=4)
    for t in range(20):
        rep.add([t], [0.0], float(t), [t + 1], False, False)
    assert rep.size == 10
    np.testing.assert_array_equal(rep._ordered("obs")[:, 0], np.arange(11, 21))
    batch = rep.sample(16, 5, np.random.default_rng(0))
    steps = np.diff(batch["obs"][..., 0], axis=1)
    np.testing.assert_array_equal(steps, 1.0)  # every window is consecutive in time
    np.testing.assert_array_equal(batch["prev_obs"][:, 1:], batch["obs"][:, :-1])


def test_updates_due_keeps_the_train_ratio():
    agent = DreamerV3(3, 1, DEBUG)  # 4 x 8 replayed steps per update, ratio 8: every 4 steps
    due = [agent.updates_due(s) for s in range(1, 1101)]
    assert sum(due[: DEBUG.warmup_steps - 1]) == 0 and due[DEBUG.warmup_steps - 1] == 1
    replayed = sum(due) * DEBUG.batch_size * DEBUG.batch_length
    assert replayed / (1100 - DEBUG.warmup_steps) == pytest.approx(DEBUG.train_ratio, rel=0.01)


@pytest.mark.parametrize(
    "field, value",
    [
        ("deter", 0),
        ("discount", 1.5),
        ("warmup_steps", 3),
        ("actor_grad", "x"),
        ("clip_gradient", "x"),
        ("imag_starts", -1),
        ("imag_starts", 33),  # more than the debug batch's 4 x 8 posterior states
    ],
)
def test_config_rejects_nonsense_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        dataclasses.replace(DEBUG, **{field: value})


# --------------------------------------------------------------- relabelling
def _stamp_reward(states, actions, key):
    """A reward that says which (state, action) it was computed from."""
    return 1000.0 * states[:, 0] + actions[:, 0]


def test_relabelled_rewards_align_with_sacs_transitions():
    """Row x_t is credited with reward_fn(x_{t-1}, a_{t-1}): the reward SAC gives its
    transition (x_{t-1}, a_{t-1}, x_t); an episode's first row gets 0."""
    agent = DreamerV3(3, 1, DEBUG)
    rep, sac = SequenceReplay(3, 1, 1000), ReplayBuffer(3, 1, 1000)
    rng = np.random.default_rng(0)
    for ep in range(3):
        obs = np.array([ep * 100.0, 0, 0], np.float32)
        for t in range(30):
            action = rng.uniform(-1, 1, 1).astype(np.float32)
            next_obs = obs + np.array([1.0, 0, 0], np.float32)
            env_r = float(obs[0] * 7.0)
            rep.add(obs, action, env_r, next_obs, False, t == 29)
            sac.add(obs, action, env_r, next_obs, False, t == 29)
            obs = next_obs
    batch = agent.sample(rep, rng)
    relabelled = np.asarray(agent.core.relabel(batch, jax.random.PRNGKey(0), _stamp_reward)[0])
    env = np.asarray(agent.core.relabel(batch, jax.random.PRNGKey(0), None)[0])
    # SAC's credit for each transition, keyed by the state it arrives at.
    sac_credit = {
        float(n[0]): float(_stamp_reward(o[None], a[None], None)[0])
        for o, a, n in zip(
            sac.obs[: sac.size], sac.actions[: sac.size], sac.next_obs[: sac.size], strict=True
        )
    }
    sac_env = {
        float(n[0]): float(r)
        for r, n in zip(sac.rewards[: sac.size], sac.next_obs[: sac.size], strict=True)
    }
    first = batch["is_first"] > 0
    assert first.any() and (~first).any()
    for b, t in zip(*np.nonzero(~first), strict=True):
        arrived = float(batch["obs"][b, t, 0])
        assert relabelled[b, t] == pytest.approx(sac_credit[arrived])
        assert env[b, t] == pytest.approx(sac_env[arrived])
    np.testing.assert_array_equal(relabelled[first], 0.0)
    np.testing.assert_array_equal(env[first], 0.0)


def test_new_reward_params_do_not_recompile_the_update():
    config = dataclasses.replace(DEBUG, batch_size=3)  # its own compiled update
    agent = DreamerV3(3, 1, config)
    state = agent.init(jax.random.PRNGKey(0))
    rep, rng = agent.make_replay(1000), np.random.default_rng(0)
    for _ in range(100):
        rep.add(rng.normal(size=3), rng.uniform(-1, 1, 1), 0.0, rng.normal(size=3), False)
    batch = agent.sample(rep, rng)

    def scaled(scale, states, actions, key):
        return scale * jnp.ones(states.shape[0])

    seen = []
    for scale in (1.0, 5.0):
        _, metrics = agent.update(state, batch, jax.random.PRNGKey(1), Partial(scaled, scale))
        seen.append(float(metrics["charts/reward_mean"]))
    not_first = 1.0 - batch["is_first"].mean()
    assert seen == [pytest.approx(not_first), pytest.approx(5 * not_first)]
    assert agent._update._cache_size() == 1


def _toy_batch(config) -> dict:
    """One sampled batch of 100 random rows with rewards 0..6, for single train steps."""
    rng = np.random.default_rng(0)
    rep = DreamerV3(3, 1, config).make_replay(1000)
    for t in range(100):
        rep.add(rng.normal(size=3), rng.uniform(-1, 1, 1), float(t % 7), rng.normal(size=3), False)
    return DreamerV3(3, 1, config).sample(rep, rng)


def _flat(tree) -> np.ndarray:
    return np.concatenate([np.ravel(x) for x in jax.tree.leaves(tree)])


def test_critic_learns_at_critic_lr_and_the_actor_at_ac_lr():
    """The critic has its own learning rate (values propagate at its speed); changing it leaves
    the world model and the actor's step untouched and scales the critic's first Adam step."""
    fast, slow = (dataclasses.replace(DEBUG, batch_size=2, critic_lr=lr) for lr in (1e-3, 1e-6))
    batch = _toy_batch(fast)
    steps = []
    for config in (fast, slow):
        agent = DreamerV3(3, 1, config)
        state = agent.init(jax.random.PRNGKey(0))
        new, _ = agent.update(state, batch, jax.random.PRNGKey(1), None)
        steps.append(jax.tree.map(lambda a, b: np.asarray(a - b), new, state))
    moved, still = steps

    for part in ("wm_params", "actor_params"):
        np.testing.assert_array_equal(_flat(getattr(moved, part)), _flat(getattr(still, part)))
    critic_fast, critic_slow = _flat(moved.critic_params), _flat(still.critic_params)
    assert np.abs(critic_fast).max() > 1e-4
    np.testing.assert_allclose(critic_fast, 1000.0 * critic_slow, rtol=1e-3, atol=1e-9)


def test_imag_starts_subsamples_imagination_and_leaves_the_world_model_alone():
    """Fewer imagination starts change what the actor and critic learn from, not the world
    model's step; the imagined batch has ``imag_starts`` rows."""
    from smiling.rl.dreamerv3 import behavior

    base = dataclasses.replace(DEBUG, batch_size=5)  # compiled afresh here, so traced patched
    batch = _toy_batch(base)
    seen_starts = []
    imagine = behavior.imagine

    def counting(wm, wm_params, actor, actor_params, h, *args, **kwargs):
        seen_starts.append(h.shape[0])
        return imagine(wm, wm_params, actor, actor_params, h, *args, **kwargs)

    results = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(behavior, "imagine", counting)
        for starts in (0, 5):
            agent = DreamerV3(3, 1, dataclasses.replace(base, imag_starts=starts))
            state = agent.init(jax.random.PRNGKey(0))
            results.append(agent.update(state, batch, jax.random.PRNGKey(1), None)[0])
    assert seen_starts == [base.batch_size * base.batch_length, 5]
    every, some = results

    np.testing.assert_array_equal(_flat(every.wm_params), _flat(some.wm_params))
    assert not np.array_equal(_flat(every.actor_params), _flat(some.actor_params))
    assert not np.array_equal(_flat(every.critic_params), _flat(some.critic_params))


def _actor_gradient(actor_grad: str, imagine=None) -> tuple[float, np.ndarray]:
    """The actor's loss and gradient (flattened) on a fixed imagined batch of the debug preset; with
    ``imagine`` given, the rollout is made by it instead of ``behavior.imagine``."""
    from smiling.rl.dreamerv3 import behavior

    agent = DreamerV3(3, 1, dataclasses.replace(DEBUG, actor_grad=actor_grad))
    core, state = agent.core, agent.init(jax.random.PRNGKey(0))
    n = 6
    h = jax.random.normal(jax.random.PRNGKey(1), (n, DEBUG.deter))
    z = jax.nn.one_hot(jnp.zeros((n, DEBUG.stoch), int), DEBUG.classes)
    critic = core.critic.init(jax.random.PRNGKey(2), feature(h, z))  # the zero head: no signal
    critic = jax.tree.map(lambda x: x + 0.1, critic)
    kwargs = dict(
        wm=core.wm, wm_params=state.wm_params, actor=core.actor, critic=core.critic,
        critic_params=critic, h=h, z=z, start_continue=jnp.ones(n),
        return_scale=jnp.ones(()), key=jax.random.PRNGKey(3), centres=core.centres,
        horizon=DEBUG.horizon, discount=DEBUG.discount, lam=DEBUG.lam, entropy=DEBUG.entropy,
        scale_decay=DEBUG.return_scale_decay, actor_grad=actor_grad,
    )  # fmt: skip
    # Jitted: one compile of the whole loss and gradient costs a fraction of running them op
    # by op, each op compiled on its own. Traced inside the patch, so ``imagine`` is used.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(behavior, "imagine", imagine or behavior.imagine)
        loss, g = jax.jit(jax.value_and_grad(lambda p: behavior.actor_loss(p, **kwargs)[0]))(
            state.actor_params
        )
    return float(loss), np.concatenate([np.ravel(x) for x in jax.tree.leaves(g)])


def test_reinforce_gradient_holds_the_imagined_states_fixed():
    """With ``actor_grad="reinforce"`` the actor's gradient is the score function of its own
    samples at the imagined states: the same as when the rollout is imagined with a frozen copy
    of the actor (no path from the loss back through the states that earlier actions shaped)."""
    from smiling.rl.dreamerv3 import behavior

    imagine = behavior.imagine

    def frozen(wm, wm_params, actor, actor_params, *args):
        return imagine(wm, wm_params, actor, jax.lax.stop_gradient(actor_params), *args)

    whole = _actor_gradient("reinforce")[1]
    assert np.abs(whole).max() > 1e-6
    np.testing.assert_allclose(whole, _actor_gradient("reinforce", frozen)[1], rtol=1e-5, atol=1e-9)


def test_backprop_gradient_reaches_the_actor_through_its_actions_only():
    """With ``actor_grad="backprop"`` the return's gradient reaches the actor through each
    action and the dynamics after it, as in DreamerV3, not through the actor's inputs: the
    gradient equals that of a rollout whose actor reads the (fixed) states of a first pass.
    Differentiated through the inputs too, the gradient is a different, longer chain."""
    from smiling.rl.dreamerv3 import behavior
    from smiling.rl.dreamerv3.distributions import sample_onehot

    imagine = behavior.imagine

    def fixed_inputs(wm, wm_params, actor, actor_params, h, z, horizon, key, clip_gradient):
        first = imagine(
            wm, wm_params, actor, jax.lax.stop_gradient(actor_params), h, z, horizon, key,
            clip_gradient,
        )  # fmt: skip
        states = jax.lax.stop_gradient(first["feat"])
        feats, taken = [feature(h, z)], []
        for t, k in enumerate(jax.random.split(key, horizon)):
            k_act, k_z = jax.random.split(k)
            mean, std = actor.apply(actor_params, states[t])  # the same values as in the rollout
            action, raw = behavior.sample_action(mean, std, k_act, clip_gradient)
            h = wm.apply(wm_params, h, z, action, method=WorldModel.step)
            z = sample_onehot(wm.apply(wm_params, h, method=WorldModel.prior), k_z)
            feats.append(feature(h, z))
            taken.append((action, raw, mean, std))
        action, raw, mean, std = map(jnp.stack, zip(*taken, strict=True))
        return {"feat": jnp.stack(feats), "action": action, "raw": raw, "mean": mean, "std": std}

    loss, whole = _actor_gradient("backprop")
    reference_loss, reference = _actor_gradient("backprop", fixed_inputs)
    assert reference_loss == pytest.approx(loss, rel=1e-5)  # the same rollout, forward
    assert np.abs(whole).max() > 1e-6
    # Through the inputs as well, the debug preset's gradient differs by about 1% (measured).
    assert np.linalg.norm(whole - reference) < 1e-4 * np.linalg.norm(whole)


# ----------------------------------------------------- world model, known answer
def _toy_replay(rng: np.random.Generator, episodes: int = 20, length: int = 50) -> SequenceReplay:
    """A damped rotation driven by the action; reward of a transition r = x0 + 0.5 a."""
    rot = 0.95 * np.array([[np.cos(0.3), -np.sin(0.3)], [np.sin(0.3), np.cos(0.3)]])
    rep = SequenceReplay(2, 1, 10_000)
    for _ in range(episodes):
        x = rng.uniform(-1, 1, 2).astype(np.float32)
        for t in range(length):
            a = rng.uniform(-1, 1, 1).astype(np.float32)
            nxt = (rot @ x + np.array([0.0, 0.5]) * a[0]).astype(np.float32)
            rep.add(x, a, float(x[0] + 0.5 * a[0]), nxt, False, t == length - 1)
            x = nxt
    return rep


def test_world_model_learns_a_toy_system_and_predicts_its_rewards():
    config = dataclasses.replace(
        DEBUG, deter=32, hidden=32, stoch=8, classes=8, bins=63, batch_size=8,
        batch_length=16, wm_lr=3e-3,
    )  # fmt: skip
    agent = DreamerV3(2, 1, config)
    rng = np.random.default_rng(0)
    rep = _toy_replay(rng)
    state = agent.init(jax.random.PRNGKey(0))
    eval_batch = agent.sample(rep, np.random.default_rng(1))
    _, first = agent.update(state, eval_batch, jax.random.PRNGKey(0))
    for i in range(400):
        state, _ = agent.update(state, agent.sample(rep, rng), jax.random.PRNGKey(i))
    _, last = agent.update(state, eval_batch, jax.random.PRNGKey(0))
    assert float(last["losses/wm"]) < 0.5 * float(first["losses/wm"])
    rewards = np.asarray(eval_batch["rewards"])
    scale = float(np.mean(np.abs(rewards)))
    assert float(first["charts/reward_error"]) == pytest.approx(scale, rel=0.05)  # head at 0
    # The latents are a sampled discrete code of 8 x 8 classes: its quantisation bounds the
    # accuracy of so small a model (about 0.25-0.3 of the scale after 400 steps).
    assert float(last["charts/reward_error"]) < 0.4 * scale

    # Open loop: from the posterior at step 7, the prior alone with the true actions predicts
    # the next rewards.
    wm, params = agent.core.wm, state.wm_params
    post = observe(wm, params, jax.tree.map(jnp.asarray, eval_batch), jax.random.PRNGKey(2))
    h, z = post["h"][:, 7], post["z"][:, 7]
    errors, pairs = [], []
    for t in range(8, 11):
        h = wm.apply(params, h, z, eval_batch["actions"][:, t], method=WorldModel.step)
        z = jax.nn.one_hot(jnp.argmax(wm.apply(params, h, method=WorldModel.prior), -1), 8)
        _, logits, _ = wm.apply(params, feature(h, z), method=WorldModel.heads)
        predicted = twohot_mean(logits, agent.core.centres)
        valid = eval_batch["is_first"][:, 8 : t + 1].sum(1) == 0  # no episode start between
        errors.append(np.abs(np.asarray(predicted) - rewards[:, t])[valid])
        pairs.append(np.stack([np.asarray(predicted), rewards[:, t]], 1)[valid])
    pairs = np.concatenate(pairs)
    # Measured: error 0.27 of the scale, correlation 0.96.
    assert float(np.mean(np.concatenate(errors))) < 0.5 * scale
    assert np.corrcoef(pairs.T)[0, 1] > 0.9


# ---------------------------------------------------------------- end to end
def test_registered_and_debug_preset_is_tiny():
    assert AGENTS["dreamerv3"].cls is DreamerV3
    assert AGENTS["dreamerv3"].preset("debug") == DEBUG
    paper = AGENTS["dreamerv3"].preset("paper")
    assert (paper.deter, paper.stoch, paper.classes, paper.train_ratio) == (1024, 32, 32, 64)
    assert (paper.batch_size, paper.batch_length) == (16, 64)
    fast = AGENTS["dreamerv3"].preset("fast")
    assert (fast.batch_size, fast.batch_length, fast.train_ratio) == (16, 16, 32)


@pytest.mark.parametrize("algo", ["smiling", "rl"])
def test_cli_trains_dreamerv3_into_a_valid_run_directory(tmp_path, algo):
    demos = tmp_path / "d.npz"
    make_demos(episodes=2, length=100).save(demos)
    out = tmp_path / "run"
    args = ["train", "--algo", algo, "--agent", "dreamerv3", "--preset", "debug"]
    args += ["--env", "Pendulum-v1", "--demos", str(demos), "--steps", "200"]
    args += ["--eval-every", "200", "--eval-episodes", "1", "--out", str(out)]
    assert main(args) == 0
    config = json.loads((out / "config.json").read_text())
    summary = json.loads((out / "summary.json").read_text(), parse_constant=pytest.fail)
    assert config["agent"]["name"] == "dreamerv3" and config["method"]["name"] == algo
    assert summary["env_steps"] == 200 and (out / "actor.msgpack").is_file()
    assert np.isfinite(summary["final_return"] if "final_return" in summary else 0.0)
