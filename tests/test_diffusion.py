"""Diffusion package: schedules, score network and trainer, and the SMILING reward estimator.

The estimator is checked three ways: the fast (tiled, fused) version against the naive one for
the same key; instrumented predictors whose estimate is deterministic, so each state's value must
equal the average over the WHOLE grid (the reference's state/timestep tiling would fail this);
and Gaussian data, where the optimal noise predictors and the DS divergence are closed-form.
"""

from __future__ import annotations

import functools

import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.tree_util import Partial

from smiling.diffusion import (
    RewardConfig,
    RewardConfigError,
    ScoreModel,
    ScoreNet,
    ScoreNetConfig,
    cosine_schedule,
    diffuse,
    diffusion_process,
    dsm_loss,
    fast_reward,
    grid_timesteps,
    init_score_model,
    linear_schedule,
    make_reward_fn,
    naive_reward,
    network_predictor,
    schedule_from_betas,
    ve_schedule,
)
from smiling.errors import SmilingError
from smiling.rewards import log_tail, normalize_rewards

SMALL_NET = ScoreNetConfig(hidden=32, temb_dim=16, temb_hidden=32)
RESIDUAL_NET = ScoreNetConfig(hidden=16, depth=2, residual=True)
SCHEDULE = linear_schedule()
VE = ve_schedule(5000)


def random_params(seed: int, dim: int, config: ScoreNetConfig = SMALL_NET):
    """Initialised parameters with a larger spread, so expert and learner clearly differ.

    A residual net's blocks start as the identity (zero output layers): they get random output
    layers here, so that the tests exercise them.
    """
    net = ScoreNet(dim, config)
    params = net.init(jax.random.PRNGKey(seed), jnp.zeros((1, dim)), jnp.zeros((1,), jnp.int32))
    params = jax.tree.map(lambda p: 2.0 * p, params)
    for i in range(config.depth if config.residual else 0):
        outer = params["params"][f"blocks_{i}"]["outer"]
        key = jax.random.PRNGKey(1000 * seed + i)
        outer["kernel"] = 0.3 * jax.random.normal(key, outer["kernel"].shape)
        outer["bias"] = 0.1 * jax.random.normal(jax.random.fold_in(key, 1), outer["bias"].shape)
    return params


def states_of(seed: int, b: int, d: int, scale: float = 1.0) -> jnp.ndarray:
    return scale * jax.random.normal(jax.random.PRNGKey(seed), (b, d))


# ---------------------------------------------------------------------------------- schedules
def test_linear_schedule_matches_the_paper_numbers():
    s = linear_schedule()
    assert s.num_steps == 5000
    np.testing.assert_allclose(s.betas[jnp.array([0, -1])], [1e-4, 0.02], rtol=1e-6)
    np.testing.assert_allclose(s.alpha_bars[0], 1 - 1e-4, rtol=1e-6)
    assert 1e-4 < float(s.alpha_bars[2000]) < 1e-3  # "alpha_bar_2000 ~ 3e-4"
    np.testing.assert_allclose(s.sigmas**2 + s.alpha_bars, 1.0, atol=1e-6)
    np.testing.assert_allclose(s.sqrt_alpha_bars**2, s.alpha_bars, rtol=1e-5)


def test_cosine_schedule_is_monotone_and_clipped():
    s = cosine_schedule(1000)
    assert s.num_steps == 1000
    assert float(jnp.max(s.betas)) <= 0.999 + 1e-6
    assert bool(jnp.all(jnp.diff(s.alpha_bars) < 0))
    assert float(s.alpha_bars[-1]) < 1e-3 < float(s.alpha_bars[0])


def test_schedule_rejects_bad_betas():
    with pytest.raises(SmilingError):
        schedule_from_betas(np.array([0.1, 1.5]))
    with pytest.raises(SmilingError):
        linear_schedule(T=0)


def test_ve_schedule_is_geometric_from_sigma_min_to_sigma_max():
    s = ve_schedule(1000, sigma_min=0.02, sigma_max=30.0)
    assert s.num_steps == 1000
    np.testing.assert_allclose(s.sigmas[jnp.array([0, -1])], [0.02, 30.0], rtol=1e-6)
    # Even steps in log sigma: sigma(t) = sigma_min (sigma_max / sigma_min)^(t / (T - 1)).
    t = np.arange(1000)
    np.testing.assert_allclose(s.sigmas, 0.02 * (30.0 / 0.02) ** (t / 999), rtol=1e-5)
    np.testing.assert_array_equal(s.mean_coef(jnp.asarray(t)), np.ones(1000, np.float32))
    np.testing.assert_array_equal(s.noise_scale(jnp.asarray(t)), s.sigmas)
    default = ve_schedule(5000)  # the defaults: 0.01 (VP's sqrt(beta_1)) to 50
    np.testing.assert_allclose(default.sigmas[jnp.array([0, -1])], [0.01, 50.0], rtol=1e-6)
    np.testing.assert_allclose(default.sigmas[0], jnp.sqrt(SCHEDULE.betas[0]), rtol=1e-6)


def test_ve_forward_diffusion_has_mean_x0_and_std_sigma():
    x0 = jnp.array([[2.0, -1.0, 0.5]])
    n = 200_000
    eps = jax.random.normal(jax.random.PRNGKey(0), (n, 3))
    for t in (0, 2500, 4999):
        sigma = float(VE.sigmas[t])
        xt = np.asarray(diffuse(VE, jnp.broadcast_to(x0, (n, 3)), t, eps), np.float64)
        np.testing.assert_array_equal(xt, np.asarray(x0 + VE.sigmas[t] * eps, np.float64))
        sem = sigma / np.sqrt(n)
        assert np.all(np.abs(xt.mean(0) - np.asarray(x0[0])) < 5 * sem), (t, xt.mean(0))
        np.testing.assert_allclose(xt.std(0), sigma, rtol=0.01)


def test_ve_schedule_and_process_names_are_checked():
    with pytest.raises(SmilingError, match="T >= 2"):
        ve_schedule(1)
    with pytest.raises(SmilingError, match="sigma_min < sigma_max"):
        ve_schedule(100, sigma_min=1.0, sigma_max=0.5)
    with pytest.raises(SmilingError, match="sigma_min < sigma_max"):
        ve_schedule(100, sigma_min=0.0)
    with pytest.raises(SmilingError, match="unknown diffusion process 'ddim'"):
        diffusion_process("ddim", "linear", 100)
    with pytest.raises(SmilingError, match="unknown noise schedule 'quadratic'"):
        diffusion_process("vp", "quadratic", 100)


def test_vp_process_is_the_schedule_it_always_was():
    # The process abstraction reads the same tables: VP is bit-identical to the direct formula.
    for process, made in (
        (diffusion_process("vp", "linear", 5000), linear_schedule(5000)),
        (diffusion_process("vp", "cosine", 1000), cosine_schedule(1000)),
    ):
        for a, b in zip(jax.tree.leaves(process), jax.tree.leaves(made), strict=True):
            np.testing.assert_array_equal(a, b)
        t = jnp.arange(process.num_steps)
        np.testing.assert_array_equal(process.mean_coef(t), process.sqrt_alpha_bars)
        np.testing.assert_array_equal(process.noise_scale(t), process.sigmas)
    ve = diffusion_process("ve", "linear", 300, sigma_min=0.1, sigma_max=5.0)
    np.testing.assert_array_equal(ve.sigmas, ve_schedule(300, 0.1, 5.0).sigmas)


# Computed by the code before the diffusion process was a setting (commit 635910d), on the same
# seeds: 20 AdamW steps of a small score model and the K = 8 stratified reward after them.
VP_BEFORE = {
    "linear": (
        [0.9444653, 0.8175397, 0.4248433],
        [0.8196849, 1.2777197, 1.5950236, 1.3228186, 0.66965944, 0.8062693],
    ),
    "cosine": (
        [0.93367636, 0.9550891, 0.6759933],
        [0.49809492, 0.61896455, 0.9816229, 0.56146944, 0.43880346, 0.8065679],
    ),
}


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_vp_training_and_reward_reproduce_the_values_from_before_the_ve_process(schedule):
    process = diffusion_process("vp", schedule, 5000 if schedule == "linear" else 1000)
    model = ScoreModel(3, SMALL_NET, process)
    x = np.asarray(0.5 + jax.random.normal(jax.random.PRNGKey(0), (256, 3)))
    state, losses = model.fit(x, 20, jax.random.PRNGKey(1), batch_size=64, steps_per_call=20)
    config = RewardConfig(num_timesteps=8, stratified=True, normalize=False)
    r = FAST(
        state.params,
        random_params(5, 3),
        x[:6],
        None,
        jax.random.PRNGKey(3),
        schedule=process,
        config=config,
        net_config=SMALL_NET,
    )
    # Equal bit for bit on the machine they were recorded on; the tolerance is float32 rounding
    # on another CPU, far below any change of the process (VE's rewards differ in the 1st digit).
    want_losses, want_reward = VP_BEFORE[schedule]
    np.testing.assert_allclose(losses[[0, 9, 19]], want_losses, rtol=1e-5)
    np.testing.assert_allclose(r, want_reward, rtol=1e-5)


def test_diffuse_is_the_forward_process():
    x0, eps = states_of(0, 4, 3), states_of(1, 4, 3)
    t = jnp.array([0, 10, 2000, 4999])
    want = SCHEDULE.sqrt_alpha_bars[t][:, None] * x0 + SCHEDULE.sigmas[t][:, None] * eps
    np.testing.assert_allclose(diffuse(SCHEDULE, x0, t, eps), want, rtol=1e-6)
    scalar = diffuse(SCHEDULE, x0, 7, eps)  # one timestep for the whole batch
    np.testing.assert_allclose(scalar, diffuse(SCHEDULE, x0, jnp.full(4, 7), eps), rtol=1e-6)


# ------------------------------------------------------------------------------ score network
@pytest.mark.parametrize("net", [SMALL_NET, RESIDUAL_NET], ids=["mlp", "residual"])
def test_score_net_shapes_and_first_layer_split(net):
    from smiling.diffusion import first_layer_parts, time_bias, trunk

    params = random_params(0, 3, net)
    x, t = states_of(1, 5, 3), jnp.array([0, 1, 50, 999, 4999])
    out = ScoreNet(3, net).apply(params, x, t)
    assert out.shape == (5, 3)
    w_x, w_t, b = first_layer_parts(params)
    h = net.hidden
    assert w_x.shape == (3, h) and w_t.shape == (16, h) and b.shape == (h,)
    # The pieces the fast estimator uses rebuild the full network (__call__).
    rebuilt = trunk(params, x @ w_x + time_bias(params, t, 3, net), 3, net)
    np.testing.assert_allclose(rebuilt, out, rtol=1e-5, atol=1e-6)


def test_residual_net_starts_as_the_one_layer_mlp_and_its_blocks_are_live():
    plain, residual = ScoreNetConfig(hidden=32), ScoreNetConfig(hidden=32, depth=4, residual=True)
    init = lambda c: ScoreNet(3, c).init(
        jax.random.PRNGKey(7), jnp.zeros((1, 3)), jnp.zeros((1,), jnp.int32)
    )
    p_plain, p_res = init(plain), init(residual)
    # The shared layers initialise identically; each block's output layer starts at zero.
    for name in ("temb_in", "temb_out", "layers_0", "out"):
        for a, b in zip(
            jax.tree.leaves(p_plain["params"][name]),
            jax.tree.leaves(p_res["params"][name]),
            strict=True,
        ):
            np.testing.assert_array_equal(a, b)
    assert sorted(k for k in p_res["params"] if k.startswith("blocks_")) == [
        f"blocks_{i}" for i in range(4)
    ]
    for i in range(4):
        assert not any(np.any(v) for v in jax.tree.leaves(p_res["params"][f"blocks_{i}"]["outer"]))
    # So the residual net of depth 4 computes exactly the plain one-hidden-layer MLP at init.
    x, t = states_of(1, 6, 3), jnp.array([0, 1, 50, 999, 2000, 4999])
    out_res = ScoreNet(3, residual).apply(p_res, x, t)
    np.testing.assert_array_equal(out_res, ScoreNet(3, plain).apply(p_plain, x, t))
    # ... and once a block's output layer is non-zero, the blocks change the output.
    live = random_params(0, 3, residual)
    assert float(jnp.max(jnp.abs(ScoreNet(3, residual).apply(live, x, t) - out_res))) > 1e-2


def test_residual_block_normalises_its_input():
    # Pre-LayerNorm: the branch sees LN(h), so scaling the stream by c leaves the branch's
    # output unchanged and the block adds the same vector (h -> c h + branch(h)).
    from smiling.diffusion import ResidualBlock

    block = ResidualBlock(ScoreNetConfig(hidden=8, residual=True))
    params = block.init(jax.random.PRNGKey(0), jnp.zeros((1, 8)))
    params = jax.tree.map(lambda p: p + 0.5, params)  # a non-zero branch
    h = states_of(2, 4, 8)
    branch = block.apply(params, h) - h
    np.testing.assert_allclose(block.apply(params, 100.0 * h) - 100.0 * h, branch, atol=2e-3)
    assert float(jnp.max(jnp.abs(branch))) > 0.1


def test_score_net_config_validates():
    with pytest.raises(SmilingError):
        ScoreNetConfig(activation="swish-ish")
    with pytest.raises(SmilingError):
        ScoreNetConfig(temb_dim=15)
    with pytest.raises(SmilingError, match="both residual and linear"):
        ScoreNetConfig(residual=True, linear=True)
    assert not ScoreNetConfig().residual  # the plain MLP stays the default


def _affine_gap(config: ScoreNetConfig) -> dict[str, float]:
    """Largest violation of f(a u1 + (1-a) u2) = a f(u1) + (1-a) f(u2) for each input path."""
    net = ScoreNet(3, config)
    params = random_params(0, 3, config)
    x1, x2 = states_of(1, 8, 3, 3.0), states_of(2, 8, 3, 3.0)
    e1, e2 = states_of(3, 8, 16, 3.0), states_of(4, 8, 16, 3.0)
    f = lambda x, e: net.apply(params, x, e, method=ScoreNet.predict)
    g = lambda e: net.apply(params, e, method=ScoreNet.time_mlp)
    a = 0.3
    mix = lambda u, v: a * u + (1 - a) * v
    return {
        "x": float(jnp.max(jnp.abs(f(mix(x1, x2), e1) - mix(f(x1, e1), f(x2, e1))))),
        "time": float(jnp.max(jnp.abs(f(x1, mix(e1, e2)) - mix(f(x1, e1), f(x1, e2))))),
        "joint": float(jnp.max(jnp.abs(f(mix(x1, x2), mix(e1, e2)) - mix(f(x1, e1), f(x2, e2))))),
        "time_mlp": float(jnp.max(jnp.abs(g(mix(e1, e2)) - mix(g(e1), g(e2))))),
    }


def test_linear_variant_has_no_nonlinearity():
    linear = _affine_gap(ScoreNetConfig(hidden=32, linear=True))
    assert max(linear.values()) < 1e-4, linear
    nonlinear = _affine_gap(ScoreNetConfig(hidden=32, linear=False))
    assert all(v > 1e-2 for v in nonlinear.values()), nonlinear


@pytest.mark.parametrize("schedule", [SCHEDULE, VE], ids=["vp", "ve"])
def test_dsm_loss_is_zero_for_the_exact_noise_predictor(schedule):
    # With x0 = 0 the noise is x_t / sigma_t exactly (for both processes: x_t = sigma_t eps).
    oracle = lambda params, x, t: x / schedule.sigmas[t][:, None]
    loss = dsm_loss(None, oracle, schedule, jnp.zeros((4096, 2)), jax.random.PRNGKey(0))
    assert float(loss) < 1e-8
    zero = lambda params, x, t: jnp.zeros_like(x)
    loss = dsm_loss(None, zero, schedule, jnp.zeros((4096, 2)), jax.random.PRNGKey(0))
    assert abs(float(loss) - 1.0) < 0.05  # E eps^2 = 1
    # With x0 = 1 the oracle is (x_t - a_t) / sigma_t, a_t the process's mean coefficient.
    ones = jnp.ones((4096, 2))
    mean = lambda t: schedule.sqrt_alpha_bars[t][:, None]
    oracle = lambda params, x, t: (x - mean(t)) / schedule.sigmas[t][:, None]
    assert float(dsm_loss(None, oracle, schedule, ones, jax.random.PRNGKey(0))) < 1e-6


@pytest.mark.parametrize("net", [SMALL_NET, RESIDUAL_NET], ids=["mlp", "residual"])
def test_score_model_learns_under_the_ve_process(net):
    rng = np.random.default_rng(0)
    data = rng.normal(1.0, 0.2, size=(600, 2)).astype(np.float32)
    model, fresh = init_score_model(jax.random.PRNGKey(0), 2, net, schedule=VE)
    assert model.schedule is VE
    before = model.validation_loss(fresh.params, data, jax.random.PRNGKey(1), n_repeats=4)
    state, _ = model.fit(data, 100, jax.random.PRNGKey(2), batch_size=128, steps_per_call=50)
    after = model.validation_loss(state.params, data, jax.random.PRNGKey(1), n_repeats=4)
    assert after < 0.7 * before, (before, after)


def test_score_model_trains_checkpoints_and_warm_starts():
    # Every training call runs 20 steps of batch 128, so train_steps compiles once.
    rng = np.random.default_rng(0)
    data = rng.normal(1.0, 0.2, size=(600, 2)).astype(np.float32)
    model, fresh = init_score_model(jax.random.PRNGKey(0), 2, SMALL_NET)
    before = model.validation_loss(fresh.params, data, jax.random.PRNGKey(1), n_repeats=4)
    fit = functools.partial(model.fit, batch_size=128, steps_per_call=20)
    state, history = fit(data, 100, jax.random.PRNGKey(2))
    assert history.shape == (100,) and int(state.step) == 100
    after = model.validation_loss(state.params, data, jax.random.PRNGKey(1), n_repeats=4)
    assert after < 0.7 * before
    # The state is a pytree: it round-trips through flax.serialization.
    restored = model.from_bytes(model.to_bytes(state))
    assert int(restored.step) == 100
    for a, b in zip(jax.tree.leaves(state), jax.tree.leaves(restored), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert "layers_0" in flax.serialization.to_state_dict(state)["params"]["params"]
    # Warm start continues from the given state; train_steps runs S minibatches in one call.
    state, _ = fit(data, 20, jax.random.PRNGKey(3), state=state)
    assert int(state.step) == 120
    batches = data[rng.integers(0, 600, 20 * 128)].reshape(20, 128, 2)
    state, losses = model.train_steps(state, batches, jax.random.PRNGKey(4))
    assert losses.shape == (20,) and int(state.step) == 140


def test_fit_rejects_wrong_shapes():
    model = ScoreModel(3, SMALL_NET)
    with pytest.raises(SmilingError):
        model.fit(np.zeros((10, 2), np.float32), 1, jax.random.PRNGKey(0))


# ---------------------------------------------------------------------- fast == naive estimator
# One jitted estimator for the whole file: each (config, shapes) compiles once and is reused.
FAST = jax.jit(fast_reward, static_argnames=("config", "net_config"))
OBS, ACT, B = 3, 2, 16


def fast(config, expert, learner, states, actions, key, net_config=SMALL_NET, schedule=SCHEDULE):
    out = FAST(
        expert,
        learner,
        states,
        actions,
        key,
        schedule=schedule,
        config=config,
        net_config=net_config,
    )
    return np.asarray(out)


@functools.partial(jax.jit, static_argnames=("config", "net_config"))
def _naive_jit(expert, learner, states, actions, key, schedule, *, config, net_config):
    return naive_reward(
        network_predictor(expert, net_config),
        network_predictor(learner, net_config),
        states,
        actions,
        key,
        schedule=schedule,
        config=config,
    )


def naive(config, expert, learner, states, actions, key, net_config=SMALL_NET, schedule=SCHEDULE):
    out = _naive_jit(
        expert, learner, states, actions, key, schedule, config=config, net_config=net_config
    )
    return np.asarray(out)


# K = 14 and B = 16. Timestep chunks: 5 leaves a padded slot (grid 14 -> 3 x 5), 2 too (the
# antithetic grid of 7 -> 4 x 2), 7 divides the antithetic grid, 0 (automatic) exceeds the grid.
# State blocks: 0 (automatic) is the whole batch, 5 divides it as 4 x 4, 6 and 3 need padding.
# Each option value appears at least once.
DEEP, LINEAR = ScoreNetConfig(hidden=16, depth=3), ScoreNetConfig(hidden=16, linear=True)
CASES = [
    # antithetic, weighting, use_actions, chunk_size, block_size, normalize, net, schedule
    (False, "simple", False, 5, 0, False, SMALL_NET, SCHEDULE),
    (False, "score", True, 0, 6, False, DEEP, SCHEDULE),
    (True, "simple", True, 2, 5, False, LINEAR, SCHEDULE),
    (True, "score", False, 7, 3, True, SMALL_NET, SCHEDULE),
    (False, "simple", False, 5, 6, False, RESIDUAL_NET, SCHEDULE),
    (True, "score", True, 2, 0, False, RESIDUAL_NET, VE),
    (False, "score", False, 0, 5, False, SMALL_NET, VE),
]


def case_config(
    antithetic, weighting, use_actions, chunk_size, block_size, normalize, net=None, schedule=None
):
    return RewardConfig(
        num_timesteps=14,
        antithetic=antithetic,
        weighting=weighting,
        normalize=normalize,
        chunk_size=chunk_size,
        block_size=block_size,
        use_actions=use_actions,
    )


@pytest.mark.parametrize("case", CASES)
def test_fast_estimator_equals_naive(case):
    net, schedule, use_actions = case[-2], case[-1], case[2]
    dim = OBS + ACT if use_actions else OBS
    config = case_config(*case)
    args = (
        config,
        random_params(1, dim, net),
        random_params(2, dim, net),
        states_of(0, B, OBS),
        states_of(1, B, ACT),
        jax.random.PRNGKey(3),
        net,
        schedule,
    )
    got, want = fast(*args), naive(*args)
    assert got.shape == (B,)
    scale = np.max(np.abs(want))
    assert scale > 0
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * scale)


def test_chunk_layout_is_balanced():
    from smiling.diffusion.reward import chunk_layout

    assert chunk_layout(12, 5) == (3, 4)  # 3 x 4, not 5 + 5 + 2
    assert chunk_layout(7, 5) == (2, 4)  # one padded slot
    assert chunk_layout(500, 5) == (100, 5)
    assert chunk_layout(5, 64) == (1, 5)
    for grid in range(1, 40):
        for size in range(1, 12):
            n, c = chunk_layout(grid, size)
            assert c <= size and grid <= n * c < grid + n


# ------------------------------------------------------------- every state sees every timestep
def _instrumented(schedule, h):
    """Predictors that make the estimate deterministic.

    With ``x = a_t s + sigma_t eps``: ``x / sigma_t - eps = a_t s / sigma_t`` whatever the noise,
    so ``expert = x / sigma_t`` and ``learner = x / sigma_t + h(t)`` give per-sample errors that
    depend only on (s, t), and the noise sign cancels the same way.
    """
    expert = lambda x, t: x / schedule.sigmas[t][:, None]
    learner = lambda x, t: x / schedule.sigmas[t][:, None] + h(t)[:, None]
    return expert, learner


def _instrumented_truth(schedule, states, h, grid, weighting):
    """Exact value: mean over the grid of w(t) * mean_dims[(u + h(t))^2 - u^2], u = a s / sigma."""
    s = np.asarray(states, np.float64)
    total = np.zeros(len(s))
    for t in grid:
        sig = float(schedule.sigmas[t])
        u = float(schedule.sqrt_alpha_bars[t]) * s / sig
        w = 1.0 / sig**2 if weighting == "score" else 1.0
        total += w * np.mean((u + float(h(jnp.array([t]))[0])) ** 2 - u**2, axis=1)
    return total / len(grid)


@pytest.mark.parametrize("antithetic", [False, True])
@pytest.mark.parametrize("weighting", ["simple", "score"])
def test_each_state_averages_the_whole_grid(antithetic, weighting):
    schedule = linear_schedule(T=200, beta_1=1e-3, beta_T=0.05)
    h = lambda t: jnp.cos(t.astype(jnp.float32) / 17.0) + t.astype(jnp.float32) / 100.0
    expert, learner = _instrumented(schedule, h)
    k = 8
    config = RewardConfig(
        num_timesteps=k, antithetic=antithetic, weighting=weighting, normalize=False
    )
    grid = grid_timesteps(schedule.num_steps, config.grid_size)
    np.testing.assert_array_equal(grid, np.arange(config.grid_size) * 200 // config.grid_size)
    states = states_of(0, k, 2, 0.5)  # B = K: a tiling of states and timesteps would pair them
    run = lambda s, key: np.asarray(
        naive_reward(expert, learner, s, None, key, schedule=schedule, config=config)
    )
    batch = run(states, jax.random.PRNGKey(1))
    truth = _instrumented_truth(schedule, states, h, grid, weighting)
    np.testing.assert_allclose(batch, truth, rtol=2e-4)
    # Each state alone (a different batch size, a different key) gets the same value.
    alone = np.array([run(states[i : i + 1], jax.random.PRNGKey(10 + i))[0] for i in range(k)])
    np.testing.assert_allclose(alone, batch, rtol=2e-4)


def test_fast_estimator_gives_each_state_the_whole_grid():
    # Zero x-kernels make both networks functions of t only: g_m(t). With antithetic noise the
    # eps terms cancel exactly, so every state's reward is mean_grid mean_dims(g_l^2 - g_e^2).
    def time_only(params):
        params = jax.tree.map(lambda p: p, params)
        kernel = params["params"]["layers_0"]["kernel"]
        params["params"]["layers_0"]["kernel"] = kernel.at[:3].set(0.0)
        return params

    expert, learner = time_only(random_params(1, 3)), time_only(random_params(2, 3))
    k = 12
    config = RewardConfig(
        num_timesteps=k, antithetic=True, normalize=False, chunk_size=5, block_size=5
    )
    grid = jnp.asarray(grid_timesteps(SCHEDULE.num_steps, config.grid_size))
    g = lambda p: ScoreNet(3, SMALL_NET).apply(p, jnp.zeros((len(grid), 3)), grid)
    truth = float(jnp.mean(jnp.mean(g(learner) ** 2 - g(expert) ** 2, axis=1)))
    states = states_of(0, k, 3)  # B = K
    batch = fast(config, expert, learner, states, None, jax.random.PRNGKey(0))
    np.testing.assert_allclose(batch, truth, rtol=1e-4, atol=1e-6)


# ------------------------------------------------------------------------ Gaussian ground truth
def gaussian_eps(schedule, mu, std):
    """Optimal noise predictor of N(mu, std^2 I) after diffusion to step t (closed form)."""
    mu = jnp.asarray(mu, jnp.float32)

    def predictor(x, t):
        ab, a, sig = (
            c[t][:, None] for c in (schedule.alpha_bars, schedule.sqrt_alpha_bars, schedule.sigmas)
        )
        return sig * (x - a * mu) / (ab * std**2 + sig**2)

    return predictor


def ds_per_dim(schedule, t, mu_k, std_k, mu_e, std_e):
    """E_{x ~ p_k,t} ||score_k - score_e||^2 / d for isotropic Gaussians, per timestep t
    (either process: ``alpha_bar`` is the squared mean coefficient, 1 for VE)."""
    ab = np.asarray(schedule.alpha_bars, np.float64)[t]
    sig2 = np.asarray(schedule.sigmas, np.float64)[t] ** 2
    v_k, v_e = ab * std_k**2 + sig2, ab * std_e**2 + sig2
    dmu2 = np.sum((np.asarray(mu_k) - np.asarray(mu_e)) ** 2)
    return v_k * (1 / v_e - 1 / v_k) ** 2 + ab * dmu2 / (len(mu_k) * v_e**2)


GAUSSIAN_PROCESSES = {
    "vp": linear_schedule(T=200, beta_1=1e-3, beta_T=0.05),
    "ve": ve_schedule(200, sigma_min=0.03, sigma_max=5.0),
}


@pytest.mark.parametrize("weighting", ["score", "simple"])
@pytest.mark.parametrize("antithetic", [False, True])
@pytest.mark.parametrize("process", ["vp", "ve"])
def test_mean_reward_is_minus_the_ds_divergence(weighting, antithetic, process):
    schedule = GAUSSIAN_PROCESSES[process]
    mu_e, std_e, mu_k, std_k = [0.5, -0.5], 0.6, [-0.3, 0.2], 0.9
    config = RewardConfig(
        num_timesteps=20, antithetic=antithetic, weighting=weighting, normalize=False
    )
    learner_states = jnp.asarray(mu_k) + std_k * states_of(0, 40_000, 2)
    r = naive_reward(
        gaussian_eps(schedule, mu_e, std_e),
        gaussian_eps(schedule, mu_k, std_k),
        learner_states,
        None,
        jax.random.PRNGKey(1),
        schedule=schedule,
        config=config,
    )
    r = np.asarray(r, np.float64)
    grid = grid_timesteps(schedule.num_steps, config.grid_size)
    per_t = ds_per_dim(schedule, grid, mu_k, std_k, mu_e, std_e)
    if weighting == "simple":
        per_t = per_t * np.asarray(schedule.sigmas, np.float64)[grid] ** 2
    expected = -float(np.mean(per_t))
    sem = r.std() / np.sqrt(len(r))
    assert abs(r.mean() - expected) < max(4 * sem, 1e-3 * abs(expected)), (r.mean(), expected, sem)
    assert abs(r.mean() - expected) < 0.05 * abs(expected)


def _expected_gap(schedule, states, t, mu_e, std_e, mu_k, std_k, weighting):
    """E_eps of w(t) * (err_learner - err_expert) at state s, for the Gaussian predictors."""
    ab = float(schedule.alpha_bars[t])
    sig = np.sqrt(1 - ab)
    out = np.zeros(len(states))
    for sign, mu, std in ((1, mu_k, std_k), (-1, mu_e, std_e)):
        c = sig / (ab * std**2 + sig**2)
        # pred - eps = c a (s - mu) + (c sigma - 1) eps
        out += sign * (c**2 * ab * np.mean((states - np.asarray(mu)) ** 2, 1) + (c * sig - 1) ** 2)
    return out * (1 / sig**2 if weighting == "score" else 1.0)


def test_estimator_is_unbiased_per_state():
    # T = K = 100: the grid is every timestep, so the mean over repeats must reach the exact
    # E_t E_eps value of each state; with K = 10 it must reach the exact average over its grid.
    schedule = linear_schedule(T=100, beta_1=1e-3, beta_T=0.1)
    mu_e, std_e, mu_k, std_k = [1.0, 0.0], 0.5, [-1.0, 0.5], 0.8
    states = np.random.default_rng(0).normal(0, 1.2, (6, 2)).astype(np.float32)
    expert, learner = gaussian_eps(schedule, mu_e, std_e), gaussian_eps(schedule, mu_k, std_k)
    for k, antithetic, weighting, repeats in (
        (100, False, "simple", 200),
        (10, True, "score", 2000),
    ):
        config = RewardConfig(
            num_timesteps=k, antithetic=antithetic, weighting=weighting, normalize=False
        )
        one = functools.partial(
            naive_reward, expert, learner, states, None, schedule=schedule, config=config
        )
        runs = np.asarray(jax.jit(jax.vmap(one))(jax.random.split(jax.random.PRNGKey(k), repeats)))
        grid = grid_timesteps(100, config.grid_size)
        truth = np.mean(
            [_expected_gap(schedule, states, t, mu_e, std_e, mu_k, std_k, weighting) for t in grid],
            axis=0,
        )
        sem = runs.std(axis=0) / np.sqrt(repeats)
        assert np.all(np.abs(runs.mean(axis=0) - truth) < 4 * sem + 1e-4), (k, runs.mean(0), truth)
        assert np.all(sem < 0.1 * np.abs(truth).mean())  # the check has power


def test_trained_models_rank_states_and_learners():
    # Score networks trained by the library on samples (same model settings as the trainer test,
    # so the training step compiles once for the file).
    rng = np.random.default_rng(0)
    mu_e, mu_near, mu_far, std = np.array([1.5, 1.5]), np.array([1.0, 1.0]), -np.ones(2) * 1.5, 0.3
    sample = lambda mu, n=2000: (mu + std * rng.normal(size=(n, 2))).astype(np.float32)
    model = ScoreModel(2, SMALL_NET)
    fit = functools.partial(model.fit, batch_size=128, steps_per_call=20)
    expert, near, far = (
        fit(sample(mu), 300, jax.random.PRNGKey(i))[0].params
        for i, mu in enumerate((mu_e, mu_near, mu_far))
    )
    config = RewardConfig(num_timesteps=100, antithetic=True, normalize=False)
    key = jax.random.PRNGKey(7)
    reward = lambda learner, states: fast(config, expert, learner, states, None, key)
    # Against the far learner: expert-like states are rewarded, the learner's own are not.
    r_expert, r_far = reward(far, sample(mu_e, 512)), reward(far, sample(mu_far, 512))
    assert r_expert.mean() > 0 > r_far.mean()
    assert np.mean(r_expert > np.median(r_far)) > 0.95
    # The cost (minus the mean reward on the learner's own states) grows with the distance.
    cost_near, cost_far = -np.mean(reward(near, sample(mu_near, 512))), -np.mean(r_far)
    assert 0 < cost_near < 0.5 * cost_far


# ------------------------------------------------------------------------ options and the hook
def test_state_action_inputs():
    config = case_config(*CASES[2])  # use_actions=True; compiled already by the equality test
    expert, learner = random_params(1, OBS + ACT, LINEAR), random_params(2, OBS + ACT, LINEAR)
    states, actions, key = states_of(0, B, OBS), states_of(1, B, ACT), jax.random.PRNGKey(0)
    r = fast(config, expert, learner, states, actions, key, LINEAR)
    assert r.shape == (B,) and np.all(np.isfinite(r))
    # The actions matter: the same states with other actions get other rewards.
    assert not np.allclose(r, fast(config, expert, learner, states, -actions, key, LINEAR))
    with pytest.raises(RewardConfigError):  # models of dim OBS + ACT cannot read states alone
        fast(config.replace(use_actions=False), expert, learner, states, actions, key, LINEAR)
    with pytest.raises(RewardConfigError):  # use_actions needs the actions
        fast(config, expert, learner, states, None, key, LINEAR)


def test_normalisation_gives_mean_zero_and_std_point_one():
    config = case_config(*CASES[3])  # normalize=True
    assert config.normalize
    args = (random_params(1, OBS), random_params(2, OBS), states_of(0, B, OBS, 2.0))
    r = fast(config, *args, states_of(1, B, ACT), jax.random.PRNGKey(0))
    assert abs(float(np.mean(r))) < 1e-6
    np.testing.assert_allclose(np.std(r), 0.1, rtol=1e-4)
    raw = np.random.default_rng(0).normal(3.0, 7.0, 100).astype(np.float32)
    want = (raw - raw.mean()) / (raw.std() + 1e-6) * 0.1
    np.testing.assert_allclose(normalize_rewards(jnp.asarray(raw)), want, rtol=1e-4, atol=1e-6)


def test_robust_scale_matches_std_on_normal_rewards_and_caps_outliers():
    raw = np.random.default_rng(0).normal(3.0, 7.0, 20_000).astype(np.float32)
    std = np.asarray(normalize_rewards(jnp.asarray(raw)))
    robust = np.asarray(normalize_rewards(jnp.asarray(raw), scale="robust"))
    # On a normal batch the two scales agree (bar the rows past 3 std, clipped).
    inside = np.abs(std) < 0.25
    np.testing.assert_allclose(robust[inside], std[inside], atol=0.01)
    # A heavy tail: 5% of rows far below. The std scale squeezes the other 95% together,
    # the robust one keeps their spread and holds the outliers at -0.3.
    heavy = raw.copy()
    heavy[:1000] = -1e4
    std_h = np.asarray(normalize_rewards(jnp.asarray(heavy)))
    robust_h = np.asarray(normalize_rewards(jnp.asarray(heavy), scale="robust"))
    assert np.std(std_h[1000:]) < 0.01
    assert 0.08 < np.std(robust_h[1000:]) < 0.11
    np.testing.assert_allclose(robust_h[:1000], -0.3, rtol=1e-6)
    assert robust_h.max() <= 0.3 + 1e-6


def test_robust_log_scale_keeps_the_bulk_and_the_order_of_the_tail():
    raw = np.random.default_rng(0).normal(3.0, 7.0, 20_000).astype(np.float32)
    raw[:3] = [-1e4, -1e3, -1e2]  # three outliers, far apart
    robust = np.asarray(normalize_rewards(jnp.asarray(raw), scale="robust"))
    soft = np.asarray(normalize_rewards(jnp.asarray(raw), scale="robust-log"))
    inside = np.abs(robust) < 0.3 - 1e-6
    np.testing.assert_array_equal(soft[inside], robust[inside])  # the bulk as robust's
    assert soft[0] < soft[1] < soft[2] < -0.3  # the clip ties them at -0.3; the log tail does not
    np.testing.assert_allclose(robust[:3], -0.3, rtol=1e-6)
    # by hand: z = (r - median) / (IQR / 1.349); past 3 units, 3 + log(1 + (|z| - 3))
    q25, median, q75 = np.quantile(raw, [0.25, 0.5, 0.75])
    z = (raw[:3] - median) / ((q75 - q25) / 1.349 + 1e-6)
    want = -(3.0 + np.log1p(-z - 3.0)) * 0.1
    np.testing.assert_allclose(soft[:3], want, rtol=1e-4)
    grid = jnp.linspace(-50.0, 50.0, 2001)
    bent = np.asarray(log_tail(grid, 3.0))
    assert np.all(np.diff(bent) > 0)  # strictly increasing
    assert float(log_tail(jnp.asarray(3.0 + 1e-4), 3.0)) == pytest.approx(3.0 + 1e-4, abs=1e-6)
    assert RewardConfig(scale="robust-log").scale == "robust-log"


def test_robust_scale_ignores_absorbing_rows():
    r = jnp.asarray([1.0, 2.0, 3.0, 4.0, -100.0])
    mask = jnp.asarray([False, False, False, False, True])
    got = normalize_rewards(r, mask, scale="robust")
    np.testing.assert_allclose(got[:4], normalize_rewards(r[:4], scale="robust"), rtol=1e-5)
    assert float(got[4]) == pytest.approx(-0.3)  # clipped on the real rows' scale


def test_robust_scale_reaches_the_reward_estimator():
    config = case_config(*CASES[3]).replace(scale="robust")
    args = (random_params(1, OBS), random_params(2, OBS), states_of(0, B, OBS, 2.0))
    r = np.asarray(fast(config, *args, states_of(1, B, ACT), jax.random.PRNGKey(0)))
    raw = np.asarray(
        fast(config.replace(normalize=False), *args, states_of(1, B, ACT), jax.random.PRNGKey(0))
    )
    assert abs(float(np.median(r))) < 1e-6
    np.testing.assert_allclose(
        r, np.asarray(normalize_rewards(jnp.asarray(raw), scale="robust")), rtol=1e-5, atol=1e-7
    )
    with pytest.raises(RewardConfigError, match="unknown scale"):
        RewardConfig(scale="mad")


def test_target_std_sets_the_normalised_scale_for_both_scales_and_reaches_the_estimator():
    config = case_config(*CASES[3]).replace(target_std=1.0)
    args = (random_params(1, OBS), random_params(2, OBS), states_of(0, B, OBS, 2.0))
    key = jax.random.PRNGKey(0)
    ten_x = np.asarray(fast(config, *args, states_of(1, B, ACT), key))
    reference = np.asarray(fast(config.replace(target_std=0.1), *args, states_of(1, B, ACT), key))
    assert np.std(ten_x) == pytest.approx(1.0, rel=1e-3)
    np.testing.assert_allclose(ten_x, 10.0 * reference, rtol=1e-4, atol=1e-6)
    raw = jnp.asarray(np.random.default_rng(0).normal(3.0, 7.0, 1000).astype(np.float32))
    np.testing.assert_allclose(
        normalize_rewards(raw, scale="robust", target_std=2.0),
        20.0 * np.asarray(normalize_rewards(raw, scale="robust")),
        rtol=1e-4,
        atol=1e-6,
    )
    with pytest.raises(RewardConfigError, match="target_std"):
        RewardConfig(target_std=0.0)


def test_reward_config_validates():
    with pytest.raises(RewardConfigError):
        RewardConfig(num_timesteps=5, antithetic=True)
    with pytest.raises(RewardConfigError):
        RewardConfig(weighting="snr")
    with pytest.raises(RewardConfigError):
        RewardConfig(num_timesteps=0)
    with pytest.raises(RewardConfigError):
        RewardConfig(chunk_size=-1)
    with pytest.raises(RewardConfigError):
        RewardConfig(block_size=-1)
    assert RewardConfig(num_timesteps=10, antithetic=True).grid_size == 5


def test_make_reward_fn_is_the_fast_estimator_and_never_recompiles():
    # The SAC hook contract: reward_fn(states, actions, key) -> (B,) called inside jit, with the
    # parameters bound as Partial arguments (traced), so new score models reuse the compilation.
    config = case_config(*CASES[0])
    traces = []

    @jax.jit
    def sac_like_update(reward_fn, states, actions, key):
        traces.append(1)
        return jnp.reshape(reward_fn(states, actions, key), (states.shape[0],))

    states, actions, key = states_of(0, B, OBS), states_of(1, B, ACT), jax.random.PRNGKey(2)
    for seed in range(3):
        expert, learner = random_params(seed, OBS), random_params(seed + 10, OBS)
        reward_fn = make_reward_fn(expert, learner, config, SMALL_NET, linear_schedule())
        assert isinstance(reward_fn, Partial)
        got = np.asarray(sac_like_update(reward_fn, states, actions, key))
        want = fast(config, expert, learner, states, actions, key)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert len(traces) == 1  # new parameters are traced inputs, not baked-in constants
