"""The baselines (DAC, IQ-Learn, BC) and the variants: their objectives on problems with known
answers, short end-to-end runs through ``smiling train``, and clear errors for what the data
cannot support."""

from __future__ import annotations

import json
import math
import re

import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from conftest import TINY_SAC_ARGS, make_demos, transitions

from smiling import SmilingError, variants
from smiling.algos import BC, DAC, BCConfig, DACConfig, IQLearn, IQLearnConfig, Learner
from smiling.algos.discriminator import (
    DiscriminatorConfig,
    DiscriminatorModel,
    dac_reward,
    gradient_penalty,
    make_dac_reward_fn,
)
from smiling.algos.iq_learn import IQSAC, expert_transitions, iq_loss
from smiling.cli import _method_config, build_parser, main
from smiling.data.demos import Demonstrations
from smiling.rl.sac import SAC, SACConfig

SUMMARY_KEYS = {"method", "env_id", "seed", "env_steps", "wall_seconds", "eval_return"}


def _cli_args(tmp_path, algo: str, demos: Demonstrations, steps: int = 200) -> list[str]:
    path = tmp_path / "d.npz"
    demos.save(path)
    args = ["train", "--algo", algo, "--env", "Pendulum-v1", "--demos", str(path)]
    args += ["--steps", str(steps), "--eval-every", str(steps), "--eval-episodes", "1"]
    return args + ["--out", str(tmp_path / "run")]


# --------------------------------------------------------------------------- DAC
def test_discriminator_separates_two_gaussians():
    rng = np.random.default_rng(0)
    model = DiscriminatorModel(2, DiscriminatorConfig(hidden=32), lr=5e-3)
    state = model.init(jax.random.PRNGKey(0))
    learner = rng.normal(0.0, 1.0, (300, 64, 2))
    expert = rng.normal(3.0, 1.0, (300, 64, 2))
    state, parts = model.train_steps(state, learner, expert, jax.random.PRNGKey(1))
    assert np.mean(parts["loss"][-20:]) < np.mean(parts["loss"][:5])
    test_l, test_e = rng.normal(0.0, 1.0, (2000, 2)), rng.normal(3.0, 1.0, (2000, 2))
    d_l, d_e = model.apply(state.params, test_l), model.apply(state.params, test_e)
    accuracy = 0.5 * (np.mean(d_l < 0) + np.mean(d_e > 0))
    assert accuracy > 0.9  # the Bayes accuracy is Phi(3 sqrt(2) / 2) = 0.98
    # The GAIL reward is higher on expert-like states.
    assert np.mean(dac_reward(d_e, "gail")) > np.mean(dac_reward(d_l, "gail"))


@pytest.mark.parametrize("depth", [0, 1])
def test_gradient_penalty_of_linear_discriminator(depth):
    """A linear D has grad_x D = its weight vector everywhere: GP = (||w|| - 1)^2 exactly."""
    config = DiscriminatorConfig(hidden=8, depth=depth, linear=True)
    model = DiscriminatorModel(3, config)
    params = model.init(jax.random.PRNGKey(0)).params
    layers = params["params"]
    w = layers["Dense_0"]["kernel"]
    if depth == 1:
        w = w @ layers["Dense_1"]["kernel"]
    expected = (np.linalg.norm(np.asarray(w)[:, 0]) - 1.0) ** 2
    rng = np.random.default_rng(0)
    learner, expert = rng.normal(size=(16, 3)), rng.normal(2.0, 1.0, (16, 3))
    gp = gradient_penalty(params, model.apply, learner, expert, jax.random.PRNGKey(1))
    assert float(gp) == pytest.approx(expected, rel=1e-4)
    assert expected > 1e-3  # the check is not vacuous


def test_gail_reward_stays_finite_and_accurate_for_a_confident_discriminator():
    """Jitted, at the logits of a discriminator that has separated the data (a cheetah-run DAC
    run reached them and its policy's actions turned NaN), the reward is the float64 value of
    -log(1 - sigmoid(D) + 1e-8): finite, rising with D, capped at -log(1e-8)."""
    logits = np.array([5.0, 10.0, 16.0, 17.0, 18.0, 20.0, 30.0, 100.0])
    exact = -np.log(1.0 / (1.0 + np.exp(logits)) + 1e-8)  # 1 - sigmoid(D), without cancelling
    got = np.asarray(jax.jit(lambda x: dac_reward(x, "gail"))(jnp.asarray(logits)))
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, exact, rtol=1e-5)
    assert np.all(np.diff(got) > 0) and got[-1] <= -np.log(1e-8) + 1e-5


def test_dac_reward_styles_and_hook():
    logits = jnp.array([-3.0, 0.0, 2.0])
    np.testing.assert_allclose(
        dac_reward(logits, "gail"),
        -np.log(1 - 1 / (1 + np.exp(-np.asarray(logits, np.float64))) + 1e-8),
        rtol=1e-6,
    )
    np.testing.assert_allclose(dac_reward(logits, "airl"), logits)
    with pytest.raises(SmilingError, match="reward style"):
        make_dac_reward_fn({}, DiscriminatorConfig(), "wgan")
    # State-action input and per-batch normalisation.
    model = DiscriminatorModel(4, DiscriminatorConfig(hidden=8))
    params = model.init(jax.random.PRNGKey(0)).params
    s, a = jnp.ones((5, 3)) * jnp.arange(5)[:, None], jnp.ones((5, 1))
    hook = make_dac_reward_fn(params, DiscriminatorConfig(hidden=8), "airl", True, True)
    r = hook(s, a, jax.random.PRNGKey(0))
    raw = model.apply(params, jnp.concatenate([s, a], axis=1))
    np.testing.assert_allclose(r, (raw - raw.mean()) / (raw.std() + 1e-6) * 0.1, rtol=1e-4)


def test_new_discriminator_params_do_not_recompile_sac():
    sac = SAC(3, 1, SACConfig(hidden=(16, 16), batch_size=8))
    state = sac.init(jax.random.PRNGKey(0))
    batch = transitions(8, 3)
    model = DiscriminatorModel(3, DiscriminatorConfig(hidden=8))
    means, compiled = [], []
    for seed in (0, 1):
        hook = make_dac_reward_fn(model.init(jax.random.PRNGKey(seed)).params, model.config)
        _, metrics = sac.update(state, batch, jax.random.PRNGKey(0), hook)
        means.append(float(metrics["charts/reward_mean"]))
        compiled.append(sac._update._cache_size())  # shared by SACs of this config: compare
    assert means[0] != means[1] and compiled[0] == compiled[1]


def test_dac_use_actions_needs_actions():
    with pytest.raises(SmilingError, match="state-only"):
        DAC("Pendulum-v1", make_demos().state_only(), config=DACConfig(use_actions=True))


def test_cli_train_dac_end_to_end_and_reload(tmp_path):
    args = _cli_args(tmp_path, "dac", make_demos(episodes=2, length=100)) + TINY_SAC_ARGS
    args += ["--set", "update_every=100", "--set", "learner_samples=128", "--set", "batch_size=64"]
    args += ["--set", "expert_samples=128", "--set", "net.hidden=16", "--linear", "--use-actions"]
    assert main(args) == 0
    run = tmp_path / "run"
    summary = json.loads((run / "summary.json").read_text())
    assert SUMMARY_KEYS <= summary.keys() and summary["env_steps"] == 200
    assert summary["method"] == "dac" and math.isfinite(summary["normalized_return"])
    config = json.loads((run / "config.json").read_text())["method"]["config"]
    assert config["use_actions"] and config["net"]["linear"] and config["update_every"] == 100
    metrics = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
    assert 0.0 <= metrics["charts/discriminator_accuracy"] <= 1.0
    loaded = Learner.load(run / "model")
    assert isinstance(loaded, DAC) and loaded.config.use_actions and loaded.config.net.linear
    assert int(loaded.disc.step) == 2 * (128 // 64)  # two updates (steps 100, 200) restored
    actor = flax.serialization.from_bytes(
        loaded.state.actor_params, (run / "actor.msgpack").read_bytes()
    )
    for a, b in zip(
        jax.tree.leaves(actor), jax.tree.leaves(loaded.state.actor_params), strict=True
    ):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------- IQ-Learn
def _tabular_mdp(discount: float = 0.9, temperature: float = 1.0):
    """3 states x 3 actions, deterministic. Action 0 pays +0.5 now but leads to the bad state,
    so the reward prefers action 0 while the optimal soft-Q prefers action 1."""
    reward = np.array([1.0, 0.0, -1.0])[:, None] + np.array([0.5, 0.0, 0.0])[None]
    nxt = np.array([[2, 0, 1]] * 3)
    q = np.zeros((3, 3))
    for _ in range(500):  # soft value iteration
        v = temperature * np.log(np.exp(q / temperature).sum(1))
        q = reward + discount * v[nxt]
    return reward, nxt, q


@pytest.mark.parametrize("chi2_weight", [0.0, 0.5])
def test_iq_loss_recovers_optimal_soft_q_ordering_on_tabular_mdp(chi2_weight):
    discount, temperature = 0.9, 1.0
    reward, nxt, q_star = _tabular_mdp(discount, temperature)
    assert (reward.argmax(1) != q_star.argmax(1)).all()  # needs the dynamics, not the reward
    expert_pi = np.exp(q_star / temperature)
    expert_pi /= expert_pi.sum(1, keepdims=True)
    rng = np.random.default_rng(0)
    s_list, a_list = [], []
    for _ in range(200):
        s = rng.integers(3)
        for _ in range(50):
            a = rng.choice(3, p=expert_pi[s])
            s_list.append(s)
            a_list.append(a)
            s = nxt[s, a]
    s, a = np.array(s_list), np.array(a_list)
    s_next, not_done = nxt[s, a], jnp.ones(len(s))

    def loss(q):
        v = temperature * jax.nn.logsumexp(q / temperature, axis=1)  # exact soft value
        terms = (q[s, a], v[s], v[s_next], not_done)
        return iq_loss(terms, terms, discount, chi2_weight, "expert", "expert")[0]

    tx = optax.adam(0.05)

    @jax.jit
    def step(q, opt):
        grads = jax.grad(loss)(q)
        updates, opt = tx.update(grads, opt)
        return optax.apply_updates(q, updates), opt

    q, opt = jnp.zeros((3, 3)), tx.init(jnp.zeros((3, 3)))
    for _ in range(3000):
        q, opt = step(q, opt)
    q = np.asarray(q)
    np.testing.assert_array_equal(np.argsort(q, axis=1), np.argsort(q_star, axis=1))
    if chi2_weight == 0.0:  # phi(x) = x: the objective is the expert's log-likelihood
        learned_pi = np.asarray(jax.nn.softmax(q / temperature, axis=1))
        np.testing.assert_allclose(learned_pi, expert_pi, atol=0.03)


def test_iq_critic_update_prefers_expert_actions():
    """On fixed data the implicit reward rises on expert actions and the actor moves to them."""
    rng = np.random.default_rng(0)
    n, obs_dim = 256, 3
    expert = {
        "obs": rng.normal(size=(n, obs_dim)).astype(np.float32),
        "actions": np.full((n, 1), 0.8, np.float32),
        "next_obs": rng.normal(size=(n, obs_dim)).astype(np.float32),
        "terminated": np.zeros(n, np.float32),
    }
    batch = {
        "obs": rng.normal(size=(64, obs_dim)).astype(np.float32),
        "actions": rng.uniform(-1, 1, (64, 1)).astype(np.float32),
        "rewards": np.zeros(64, np.float32),
        "next_obs": rng.normal(size=(64, obs_dim)).astype(np.float32),
        "terminated": np.zeros(64, np.float32),
    }
    config = SACConfig(hidden=(32, 32), batch_size=64, actor_lr=1e-3, critic_lr=1e-3)
    sac = IQSAC(obs_dim, 1, config, IQLearnConfig(), expert)
    state = sac.init(jax.random.PRNGKey(0))
    for i in range(300):
        state, metrics = sac.update(state, batch, jax.random.PRNGKey(i))
    assert float(metrics["charts/expert_reward_mean"]) > float(metrics["charts/reward_mean"])
    actions = sac.actor_action(state.actor_params, batch["obs"], None, deterministic=True)
    assert np.mean(actions) > 0.4
    with pytest.raises(ValueError, match="implicit"):
        sac.update(state, batch, jax.random.PRNGKey(0), lambda s, a, k: s[:, 0])


def test_expert_transitions_stay_within_episodes():
    demos = make_demos(episodes=3, length=5)
    t = expert_transitions(demos)
    assert len(t["obs"]) == 3 * 4
    np.testing.assert_array_equal(t["next_obs"][:4], demos.observations[1:5])
    np.testing.assert_array_equal(t["obs"][4], demos.observations[5])


def test_iq_learn_needs_actions_and_valid_settings():
    with pytest.raises(SmilingError, match="needs demonstrations with actions"):
        IQLearn("Pendulum-v1", make_demos().state_only())
    with pytest.raises(SmilingError, match="unknown value_on"):
        IQLearnConfig(value_on="replay")


def test_cli_train_iq_learn_end_to_end_and_reload(tmp_path):
    args = _cli_args(tmp_path, "iq-learn", make_demos(episodes=2, length=100)) + TINY_SAC_ARGS
    args += ["--set", "use_target=true"]
    assert main(args) == 0
    run = tmp_path / "run"
    summary = json.loads((run / "summary.json").read_text())
    assert SUMMARY_KEYS <= summary.keys() and summary["method"] == "iq-learn"
    assert summary["env_steps"] == 200 and math.isfinite(summary["normalized_return"])
    loaded = Learner.load(run / "model")
    assert isinstance(loaded, IQLearn) and loaded.config.use_target
    assert int(loaded.state.step) == 101  # IQ updates from env step 100 (seed steps) to 200
    assert isinstance(loaded.agent, IQSAC)


# ---------------------------------------------------------------------------- BC
def _linear_policy_demos(noise: float, n: int = 4000) -> tuple[Demonstrations, np.ndarray]:
    rng = np.random.default_rng(0)
    k = np.array([[0.6], [-0.4], [0.3]], np.float32)
    obs = rng.normal(size=(n, 3)).astype(np.float32)
    actions = np.tanh(obs @ k + noise * rng.normal(size=(n, 1))).astype(np.float32)
    demos = Demonstrations(
        env_id="Pendulum-v1",
        observations=obs,
        actions=actions,
        rewards=np.zeros(n, np.float32),
        episode_lengths=np.full(n // 200, 200),
        expert_return=-150.0,
        random_return=-1200.0,
    )
    return demos, k


@pytest.mark.parametrize("loss, noise", [("mse", 0.0), ("mle", 0.2)])
def test_bc_recovers_linear_policy(loss, noise):
    demos, k = _linear_policy_demos(noise)
    agent = BC(
        "Pendulum-v1",
        demos,
        config=BCConfig(loss=loss, lr=3e-3, batch_size=256),
        agent_config=SACConfig(hidden=(64, 64)),
    )
    first = agent.train_steps(20)
    last = agent.train_steps(1500)
    assert last < first and agent.gradient_steps == 1520
    test_obs = np.random.default_rng(1).normal(size=(500, 3)).astype(np.float32)
    error = np.abs(agent.predict(test_obs)[0] - np.tanh(test_obs @ k))
    assert np.mean(error) < 0.05  # the expert's mean action, whatever the noise


def test_cli_train_bc_end_to_end_and_reload(tmp_path):
    args = _cli_args(tmp_path, "bc", make_demos(episodes=2, length=100), steps=60)
    args += ["--eval-every", "30", "--set", "sac.hidden=16,16", "--set", "loss=mse"]
    assert main(args) == 0
    run = tmp_path / "run"
    summary = json.loads((run / "summary.json").read_text())
    assert SUMMARY_KEYS <= summary.keys() and summary["method"] == "bc"
    assert summary["env_steps"] == 0 and summary["gradient_steps"] == 60
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [x["gradient_steps"] for x in lines] == [30, 60]
    assert all(x["env_steps"] == 0 for x in lines)
    loaded = Learner.load(run / "model")
    assert isinstance(loaded, BC) and loaded.gradient_steps == 60
    assert loaded.config.loss == "mse"
    obs = np.zeros((2, 3), np.float32)
    agent_actor = json.loads((run / "config.json").read_text())["agent"]["config"]["hidden"]
    assert agent_actor == [16, 16] and loaded.predict(obs)[0].shape == (2, 1)


def test_bc_needs_actions():
    with pytest.raises(SmilingError, match="actions"):
        BC("Pendulum-v1", make_demos().state_only())
    with pytest.raises(SmilingError, match="unknown BC loss"):
        BCConfig(loss="l1")


# ---------------------------------------------------------------------- variants
@pytest.mark.parametrize("algo", ["smiling", "dac"])
def test_variant_flags_set_the_config(algo):
    args = build_parser().parse_args(
        ["train", "--algo", algo, "--env", "Pendulum-v1", "--use-actions", "--linear"]
    )
    config = _method_config(args)
    use_actions = config.reward.use_actions if algo == "smiling" else config.use_actions
    assert use_actions and config.net.linear
    plain = _method_config(build_parser().parse_args(["train", "--algo", algo, "--env", "x"]))
    assert not plain.net.linear
    assert variants.label(algo, config) == f"{algo}+actions+linear"
    assert variants.label(algo, plain) == algo


def test_algo_specs_and_labels():
    assert variants.parse_spec("dac+linear+actions") == ("dac", ("actions", "linear"))
    assert variants.canonical_spec("smiling+linear+actions") == "smiling+actions+linear"
    assert variants.spec_args("smiling+linear") == ["--method", "smiling", "--linear"]
    assert variants.spec_args("bc") == ["--method", "bc"]
    for spec, message in [
        ("dreamer", "unknown method 'dreamer'"),
        ("bc+linear", "bc has no variant '+linear' (it offers: none)"),
        ("smiling+wide", "smiling has no variant '+wide'"),
        ("dac+linear+linear", "repeated"),
    ]:
        with pytest.raises(SmilingError, match=re.escape(message)):
            variants.parse_spec(spec)
    iq = IQLearnConfig()
    assert variants.reads_actions("iq-learn", iq) and variants.label("iq-learn", iq) == "iq-learn"
    assert variants.label("sac", None) == "sac"


def test_cli_train_smiling_with_actions(tmp_path):
    """--use-actions keeps the demos' actions: SMILING's score models see [s, a].

    (--linear only sets net.linear, checked by test_variant_flags_set_the_config.)"""
    args = _cli_args(tmp_path, "smiling", make_demos(episodes=2, length=100)) + TINY_SAC_ARGS
    args += ["--use-actions", "--set", "expert_pretrain_steps=10"]
    args += ["--set", "learner_update_every=100", "--set", "reward.num_timesteps=4"]
    args += ["--set", "net.hidden=16", "--set", "val_episodes=1", "--set", "learner_samples=256"]
    assert main(args) == 0
    run = tmp_path / "run"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["env_steps"] == 200 and summary["label"] == "smiling+actions"
    assert json.loads((run / "config.json").read_text())["label"] == "smiling+actions"
    loaded = Learner.load(run / "model")
    assert loaded.config.reward.use_actions and loaded.demos.has_actions
    assert loaded.input_dim == 4


@pytest.mark.parametrize(
    "algo, flags, state_only, message",
    [
        ("smiling", ["--use-actions"], True, "needs expert actions"),
        ("dac", ["--use-actions"], True, "needs expert actions"),
        ("bc", [], True, "needs expert actions"),
        ("iq-learn", [], True, "needs expert actions"),
        ("iq-learn", ["--linear"], False, "--linear is not supported by --method iq-learn"),
        ("bc", ["--linear"], False, "--linear is not supported by --method bc"),
        ("sac", ["--linear"], False, "--linear is not supported by --method rl"),
        ("sac", ["--use-actions"], False, "--use-actions is not supported by --method rl"),
    ],
)
def test_cli_unsupported_variants(tmp_path, capsys, algo, flags, state_only, message):
    demos = make_demos()
    args = _cli_args(tmp_path, algo, demos.state_only() if state_only else demos) + flags
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "run").exists()
