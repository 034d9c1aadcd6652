"""The SMILING reward: learner denoising loss minus expert denoising loss (docs/smiling.md,
"How it works").

For a state ``s`` (or ``[s, a]``), with K timesteps on the grid ``t_k = k * T // K`` and one
``eps_k ~ N(0, I)`` per (state, timestep) given to BOTH models (common random numbers)::

    r(s) = mean_k w(t_k) * ( mean_dims (eps_learner(x_k, t_k) - eps_k)^2
                           - mean_dims (eps_expert(x_k, t_k) - eps_k)^2 ),
    x_k  = a_{t_k} s + sigma_{t_k} eps_k,

with the process's mean coefficient ``a_t`` (``sqrt(alpha_bar_t)`` for the variance-preserving
process, 1 for the variance-exploding one) and noise scale ``sigma_t``
(:class:`smiling.diffusion.schedule.NoiseSchedule`).

Every state sees every grid timestep: unlike the reference implementation, states and timesteps
are never paired by tiling, so the estimate of one state does not depend on its batch index.

Two implementations compute the same numbers from the same key:

* :func:`naive_reward` evaluates two arbitrary noise predictors on all ``B * K`` noisy inputs at
  once. It is the readable definition and the reference in tests (and accepts analytic predictors).
* :func:`fast_reward` is what training uses. It relies on the network's structure: the first
  layer is ``x @ w_x + temb(t) @ w_t + b``, so ``temb(t) @ w_t + b`` is computed once per grid
  timestep, ``x @ w_x`` splits into ``a_t * (s @ w_x) + sigma_t * (eps @ w_x)`` with
  ``s @ w_x`` computed once per state, and the expert's and learner's ``w_x`` are concatenated so
  one matmul serves both models (and both signs when antithetic). The work is cut into tiles of
  about ``TILE_ROWS`` rows (a chunk of timesteps x both signs x a block of states): a
  ``lax.scan`` over timestep chunks, a ``lax.map`` over state blocks, so the ``(rows, 2H)``
  intermediates stay in cache instead of materialising ``(K, B, 2H)``.

Noise for grid index ``g`` is ``grid_noise(key, g, (B, dim))`` in both, which is what lets
the chunked version reproduce the naive one exactly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.tree_util import Partial

from smiling.diffusion.config import (  # their home: JAX-free, for the command line
    WEIGHTINGS,  # noqa: F401 - re-exported
    RewardConfig,
    RewardConfigError,
    ScoreNetConfig,
)
from smiling.diffusion.noise import MAX_COUNTER, counter_normal
from smiling.diffusion.schedule import NoiseSchedule, diffuse, linear_schedule
from smiling.diffusion.score_net import ScoreNet, first_layer_parts, time_bias, trunk
from smiling.rewards import normalize_rewards, takes_absorbing
from smiling.termination import with_indicator

Params = Any
EpsPredictor = Callable[[jax.Array, jax.Array], jax.Array]  # (x (N, d), t (N,)) -> eps (N, d)
_OFFSET_STREAM = 2**31 - 1  # fold_in index of the stratified grid offset (never a grid index)
DEFAULT_NET = ScoreNetConfig()  # the reference architecture
# Rows (timesteps x signs x states) per tile of the fast estimator: a tile's (rows, 2 * hidden)
# float32 intermediates then stay in a core's L2 cache (256 x 512 x 4 B = 512 KiB at the
# reference width). Chosen by benchmarks/reward_estimator.py's tile sweep.
TILE_ROWS = 256


# ------------------------------------------------------------------------------------ pieces
def grid_timesteps(num_steps: int, grid_size: int) -> np.ndarray:
    """The fixed uniform grid ``t_g = g * T // G``, g = 0..G-1 (a NumPy constant under jit)."""
    return (np.arange(grid_size, dtype=np.int64) * num_steps // grid_size).astype(np.int32)


def timestep_grid(num_steps: int, grid_size: int, key: jax.Array, stratified: bool) -> jax.Array:
    """The G timesteps of one call: the fixed grid, or the grid shifted by a random offset.

    The offset is drawn from ``key`` folded with a constant no grid index uses, so it is
    independent of every grid noise draw.
    """
    grid = jnp.asarray(grid_timesteps(num_steps, grid_size))
    if not stratified:
        return grid
    stride = max(num_steps // grid_size, 1)
    offset = jax.random.randint(jax.random.fold_in(key, _OFFSET_STREAM), (), 0, stride)
    return grid + offset.astype(grid.dtype)


def timestep_weights(schedule: NoiseSchedule, t: jax.Array, weighting: str) -> jax.Array:
    """``w(t)``: 1 for 'simple'; ``1 / sigma_t^2`` for 'score' (turns eps errors into scores).

    The same for both processes: VP's and VE's ``x_t`` given ``x0`` are Gaussian with std
    ``sigma_t``, so the score is ``-eps / sigma_t`` in both (docs/smiling.md's weighting).
    """
    if weighting == "score":
        return 1.0 / jnp.square(schedule.noise_scale(t))
    return jnp.ones(jnp.shape(t), jnp.float32)


def grid_noise(key: jax.Array, g: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """The noise of grid index ``g`` for the whole batch; a function of (key, g) only.

    Drawn by :func:`smiling.diffusion.noise.counter_normal` (a counter hash, several times
    cheaper than threefry on a CPU); the streams of distinct ``g`` never overlap.
    """
    return counter_normal(key, g, shape)


def model_input(
    states: jax.Array,
    actions: jax.Array | None,
    config: RewardConfig,
    absorbing: jax.Array | None = None,
) -> jax.Array:
    """What the score models see: ``s``, or ``[s, a]`` for state-action demonstrations; with
    the absorbing-state treatment, followed by its indicator (rows ``absorbing`` become
    ``s_a``)."""
    x = jnp.asarray(states, jnp.float32)
    if config.use_actions:
        if actions is None:
            raise RewardConfigError("use_actions=True needs the actions of the batch")
        x = jnp.concatenate([x, jnp.asarray(actions, jnp.float32)], axis=-1)
    if config.absorbing:
        return with_indicator(x, absorbing)
    if absorbing is not None:
        raise RewardConfigError("an absorbing-row mask needs RewardConfig(absorbing=True)")
    return x


def check_noise_budget(batch: int, dim: int, config: RewardConfig) -> None:
    """The counter-based noise streams of one call must not overlap (static shapes)."""
    if batch * dim * config.grid_size > MAX_COUNTER:
        raise RewardConfigError(
            f"batch {batch} x input dim {dim} x {config.grid_size} grid timesteps exceeds the "
            f"noise generator's {MAX_COUNTER} counters per call; use a smaller batch or K"
        )


def _finish(r: jax.Array, config: RewardConfig, absorbing: jax.Array | None) -> jax.Array:
    if not config.normalize:
        return r
    return normalize_rewards(r, absorbing, config.scale, config.target_std)


# ------------------------------------------------------------------------------------- naive
def naive_reward(
    expert_fn: EpsPredictor,
    learner_fn: EpsPredictor,
    states: jax.Array,
    actions: jax.Array | None,
    key: jax.Array,
    *,
    schedule: NoiseSchedule,
    config: RewardConfig = RewardConfig(),
    absorbing: jax.Array | None = None,
) -> jax.Array:
    """Reward of each state, shape ``(B,)``, by evaluating both predictors on ``B * K`` inputs.

    ``expert_fn(x, t)`` and ``learner_fn(x, t)`` predict the noise of ``x`` (shape ``(N, d)``)
    at integer timesteps ``t`` (shape ``(N,)``); any callables will do (networks via
    :func:`network_predictor`, or closed-form predictors).
    """
    x0 = model_input(states, actions, config, absorbing)
    b, d = x0.shape
    check_noise_budget(b, d, config)
    grid = timestep_grid(schedule.num_steps, config.grid_size, key, config.stratified)
    eps = jax.vmap(lambda g: grid_noise(key, g, (b, d)))(jnp.arange(config.grid_size))
    eps = jnp.concatenate([s * eps for s in config.signs])  # (K, B, d)
    t = jnp.tile(grid, len(config.signs))  # (K,)
    k = t.shape[0]
    t_flat = jnp.repeat(t, b)
    eps_flat = eps.reshape(k * b, d)
    x = diffuse(schedule, jnp.broadcast_to(x0, (k, b, d)).reshape(k * b, d), t_flat, eps_flat)
    err_e = jnp.mean((expert_fn(x, t_flat) - eps_flat) ** 2, axis=-1).reshape(k, b)
    err_l = jnp.mean((learner_fn(x, t_flat) - eps_flat) ** 2, axis=-1).reshape(k, b)
    w = timestep_weights(schedule, t, config.weighting)[:, None]
    return _finish(jnp.mean(w * (err_l - err_e), axis=0), config, absorbing)


def network_predictor(params: Params, net_config: ScoreNetConfig) -> EpsPredictor:
    """A score network as a plain ``(x, t) -> eps`` callable for :func:`naive_reward`."""
    return lambda x, t: ScoreNet(x.shape[-1], net_config).apply(params, x, t)


# -------------------------------------------------------------------------------------- fast
def fast_reward(
    expert_params: Params,
    learner_params: Params,
    states: jax.Array,
    actions: jax.Array | None,
    key: jax.Array,
    *,
    schedule: NoiseSchedule,
    config: RewardConfig = RewardConfig(),
    net_config: ScoreNetConfig = DEFAULT_NET,
    absorbing: jax.Array | None = None,
) -> jax.Array:
    """Same values as :func:`naive_reward` on two :class:`ScoreNet` s, computed cheaply.

    Pure and jittable (``config`` and ``net_config`` static). Both networks must share
    ``net_config``; their input dimension must be the model input's (``s`` or ``[s, a]``).
    """
    x0 = model_input(states, actions, config, absorbing)
    b, d = x0.shape
    wx_e, _, _ = first_layer_parts(expert_params)
    wx_l, _, _ = first_layer_parts(learner_params)
    if wx_e.shape[0] != d or wx_l.shape[0] != d:
        raise RewardConfigError(
            f"score models take inputs of dim {wx_e.shape[0]} and {wx_l.shape[0]}, but the "
            f"reward's model input has dim {d} (use_actions={config.use_actions})"
        )
    check_noise_budget(b, d, config)
    hidden = wx_e.shape[1]
    n_grid, n_signs = config.grid_size, len(config.signs)
    n_blocks, block = chunk_layout(b, config.block_size or max(1, TILE_ROWS // n_signs))
    n_chunks, size = chunk_layout(n_grid, config.chunk_size or TILE_ROWS // (n_signs * block))
    # Chunks all have one shape (one compiled body); the few padded slots past the grid reuse
    # its last timestep and get weight 0. Padded states (zeros) are computed and dropped.
    slots = jnp.arange(n_chunks * size, dtype=jnp.int32)
    grid = timestep_grid(schedule.num_steps, n_grid, key, config.stratified)
    grid = grid[jnp.minimum(slots, n_grid - 1)]

    # State-independent work, once per call: fused first-layer kernel, per-timestep biases.
    w_x = jnp.concatenate([wx_e, wx_l], axis=1)  # (d, 2H)
    t_bias = jnp.concatenate(
        [
            time_bias(expert_params, grid, d, net_config),
            time_bias(learner_params, grid, d, net_config),
        ],
        axis=1,
    )  # (slots, 2H)
    # s @ w_x once per state, reused at every timestep; stored per block of states.
    s_w = _pad_axis(x0 @ w_x, 0, n_blocks * block).reshape(n_blocks, block, 2 * hidden)
    coef_s = schedule.mean_coef(grid)
    coef_eps = schedule.noise_scale(grid)
    weights = jnp.where(slots < n_grid, timestep_weights(schedule, grid, config.weighting), 0.0)
    signs = jnp.asarray(config.signs, jnp.float32)[:, None, None, None]  # (S, 1, 1, 1)

    def tile_sum(gs: jax.Array, eps: jax.Array, s_w_block: jax.Array) -> jax.Array:
        """Weighted loss gaps of one block of states summed over slots ``gs`` and signs."""
        e_w = eps @ w_x  # (c, block, 2H): one matmul serves both models and both signs
        base = coef_s[gs][:, None, None] * s_w_block + t_bias[gs][:, None, :]
        h = base + signs * (coef_eps[gs][:, None, None] * e_w)  # (S, c, block, 2H)
        target = signs * eps  # (S, c, block, d)
        pred_e = trunk(expert_params, h[..., :hidden], d, net_config)
        pred_l = trunk(learner_params, h[..., hidden:], d, net_config)
        gap = jnp.mean((pred_l - target) ** 2, -1) - jnp.mean((pred_e - target) ** 2, -1)
        return jnp.sum(weights[gs][None, :, None] * gap, axis=(0, 1))

    def chunk_sum(gs: jax.Array) -> jax.Array:
        """Weighted loss gaps of every state summed over the slots ``gs`` and signs, ``(B,)``."""
        eps = jax.vmap(lambda g: grid_noise(key, g, (b, d)))(gs)  # (c, B, d), as naive_reward
        eps = _pad_axis(eps, 1, n_blocks * block).reshape(size, n_blocks, block, d)
        eps = jnp.moveaxis(eps, 1, 0)  # (n_blocks, c, block, d)
        if n_blocks == 1:
            sums = tile_sum(gs, eps[0], s_w[0])[None]
        else:
            sums = jax.lax.map(lambda blk: tile_sum(gs, *blk), (eps, s_w))
        return sums.reshape(-1)[:b]

    total, _ = jax.lax.scan(
        lambda acc, gs: (acc + chunk_sum(gs), None),
        jnp.zeros((b,), jnp.float32),
        slots.reshape(n_chunks, size),
    )
    return _finish(total / config.num_timesteps, config, absorbing)


def _pad_axis(x: jax.Array, axis: int, length: int) -> jax.Array:
    """Zero-pad ``x`` along ``axis`` to ``length``."""
    pad = [(0, 0)] * x.ndim
    pad[axis] = (0, length - x.shape[axis])
    return jnp.pad(x, pad) if length > x.shape[axis] else x


def chunk_layout(grid_size: int, chunk_size: int) -> tuple[int, int]:
    """``(number of chunks, timesteps per chunk)`` covering the grid with equal chunks.

    The chunks are balanced (at most ``chunk_size`` each) so padding wastes fewer slots than
    there are chunks: a grid of 12 in chunks of at most 5 becomes 3 x 4, not 5 + 5 + 2.
    """
    n_chunks = -(-grid_size // max(1, min(chunk_size, grid_size)))
    return n_chunks, -(-grid_size // n_chunks)


# ------------------------------------------------------------------------------ the SAC hook
@functools.cache
def _reward_hook(config: RewardConfig, net_config: ScoreNetConfig) -> Callable[..., jax.Array]:
    """One function object per configuration.

    A :class:`Partial` is compared by its function's identity inside jit's cache, so returning the
    same object for the same settings is what keeps new parameters from forcing a recompile.
    """

    def hook(
        schedule: NoiseSchedule,
        expert_params: Params,
        learner_params: Params,
        states: jax.Array,
        actions: jax.Array,
        key: jax.Array,
        absorbing: jax.Array | None = None,
    ) -> jax.Array:
        return fast_reward(
            expert_params,
            learner_params,
            states,
            actions,
            key,
            schedule=schedule,
            config=config,
            net_config=net_config,
            absorbing=absorbing,
        )

    return takes_absorbing(hook) if config.absorbing else hook


def make_reward_fn(
    expert_params: Params,
    learner_params: Params,
    config: RewardConfig = RewardConfig(),
    net_config: ScoreNetConfig = DEFAULT_NET,
    schedule: NoiseSchedule | None = None,
) -> Partial:
    """The SAC reward hook ``(states, actions, key) -> (B,)`` for the current score models.

    The parameters and the schedule are bound as :class:`Partial` arguments, so they are traced
    inputs of the jitted SAC update: a new learner model needs no recompilation.
    """
    schedule = linear_schedule() if schedule is None else schedule
    return Partial(_reward_hook(config, net_config), schedule, expert_params, learner_params)
