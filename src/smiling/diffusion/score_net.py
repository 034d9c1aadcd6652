"""Noise-prediction (score) network, its denoising loss and a small AdamW trainer.

The network is the SMILING paper's reference architecture (arXiv 2410.13855, its code)::

    temb = Dense(temb_dim)(act(Dense(temb_hidden)(sinusoid(t))))
    h    = Dense(hidden)([x_t, temb])            # first layer
    out  = Dense(d)(act(... act(h) ...))          # depth hidden layers in all

With ``residual=True`` the same time branch and first layer are followed by ``depth`` residual
blocks, then the same output layer (:class:`ResidualBlock`)::

    h    = h + Dense(hidden)(act(Dense(hidden)(LayerNorm(h))))   # depth times
    out  = Dense(d)(act(h))

It is split into :meth:`ScoreNet.time_features`, the first layer and :meth:`ScoreNet.trunk`
because the reward estimator evaluates it on a fixed grid of timesteps: the time branch and the
time part of the first layer do not depend on the state, so the estimator computes them once per
grid timestep (:func:`time_bias`) and only multiplies the state part (:func:`first_layer_parts`)
per sample. ``__call__`` is built from the same pieces, so the two ways cannot drift apart.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from smiling import interrupt
from smiling.diffusion.config import ScoreNetConfig  # its home: JAX-free, for the CLI
from smiling.diffusion.schedule import NoiseSchedule, diffuse, linear_schedule
from smiling.errors import SmilingError
from smiling.nn import (
    TrainState,
    from_bytes,
    scan_steps,
    to_bytes,
    torch_like_init,
)

Params = Any
EpsFn = Callable[[Params, jax.Array, jax.Array], jax.Array]


def sinusoidal_embedding(t: jax.Array, dim: int) -> jax.Array:
    """Transformer-style ``[sin(t f_i), cos(t f_i)]`` with geometric frequencies ``f_i``."""
    half = dim // 2
    scale = math.log(10000.0) / max(half - 1, 1)
    freqs = jnp.exp(-scale * jnp.arange(half, dtype=jnp.float32))
    args = jnp.asarray(t, jnp.float32)[..., None] * freqs
    return jnp.concatenate([jnp.sin(args), jnp.cos(args)], axis=-1)


class ResidualBlock(nn.Module):
    """``h + Dense(act(Dense(LayerNorm(h))))``, the pre-LayerNorm residual block.

    Why this form: the LayerNorm sits on the branch, not on the skip path, so whatever the
    size the residual stream ``h`` grows to, each branch sees a normalised input, and the
    gradient reaches the first layer through an identity path at any depth (pre-LN is what
    keeps deep transformers trainable without warm-up). The branch's last layer starts at zero
    (kernel and bias), so every block is the identity at initialisation and a residual net of
    any depth starts as exactly the plain one-hidden-layer MLP with the same first and output
    layers; depth is added by training, not by the initial scale.
    """

    config: ScoreNetConfig

    def setup(self) -> None:
        c = self.config
        self.norm = nn.LayerNorm()
        self.inner = nn.Dense(c.hidden, kernel_init=torch_like_init())
        self.outer = nn.Dense(c.hidden, kernel_init=nn.initializers.zeros)

    def __call__(self, h: jax.Array) -> jax.Array:
        return h + self.outer(self.config.act(self.inner(self.norm(h))))


class ScoreNet(nn.Module):
    """``eps_theta(x_t, t)``: predicts the noise that was added to a ``dim``-dim input."""

    dim: int
    config: ScoreNetConfig = ScoreNetConfig()

    def setup(self) -> None:
        c, init = self.config, torch_like_init()
        self.temb_in = nn.Dense(c.temb_hidden, kernel_init=init)
        self.temb_out = nn.Dense(c.temb_dim, kernel_init=init)
        # ``layers_0`` is the first layer in both forms (first_layer_parts reads it by name).
        n_plain = 1 if c.residual else c.depth
        self.layers = [nn.Dense(c.hidden, kernel_init=init) for _ in range(n_plain)]
        self.blocks = [ResidualBlock(c) for _ in range(c.depth if c.residual else 0)]
        self.out = nn.Dense(self.dim, kernel_init=init)

    def time_mlp(self, emb: jax.Array) -> jax.Array:
        """The time branch applied to sinusoidal features ``emb`` (affine when linear)."""
        return self.temb_out(self.config.act(self.temb_in(emb)))

    def time_features(self, t: jax.Array) -> jax.Array:
        """The time embedding ``temb(t)``, shape ``t.shape + (temb_dim,)``."""
        return self.time_mlp(sinusoidal_embedding(t, self.config.temb_dim))

    def trunk(self, h: jax.Array) -> jax.Array:
        """Everything after the first layer, given its pre-activation ``h``."""
        for layer in self.layers[1:]:
            h = layer(self.config.act(h))
        for block in self.blocks:
            h = block(h)
        return self.out(self.config.act(h))

    def predict(self, x: jax.Array, emb: jax.Array) -> jax.Array:
        """The network as a function of ``x`` and the sinusoidal features ``emb`` of ``t``.

        Exposed so that tests can check the linear ablation is affine in both jointly.
        """
        temb = jnp.broadcast_to(self.time_mlp(emb), x.shape[:-1] + (self.config.temb_dim,))
        return self.trunk(self.layers[0](jnp.concatenate([x, temb], axis=-1)))

    def __call__(self, x: jax.Array, t: jax.Array) -> jax.Array:
        return self.predict(x, sinusoidal_embedding(t, self.config.temb_dim))


def first_layer_parts(params: Params) -> tuple[jax.Array, jax.Array, jax.Array]:
    """The first layer's kernel split into its ``x`` rows and ``temb`` rows, and its bias.

    ``Dense([x, temb]) = x @ w_x + temb @ w_t + b``; the input dimension is read from the kernel.
    """
    layer = params["params"]["layers_0"]
    kernel, bias = layer["kernel"], layer["bias"]
    temb_rows = params["params"]["temb_out"]["kernel"].shape[1]
    x_rows = kernel.shape[0] - temb_rows
    return kernel[:x_rows], kernel[x_rows:], bias


def time_bias(params: Params, t: jax.Array, dim: int, config: ScoreNetConfig) -> jax.Array:
    """``temb(t) @ w_t + b``: the state-independent part of the first layer, ``t.shape + (H,)``."""
    temb = ScoreNet(dim, config).apply(params, t, method=ScoreNet.time_features)
    _, w_t, b = first_layer_parts(params)
    return temb @ w_t + b


def trunk(params: Params, h: jax.Array, dim: int, config: ScoreNetConfig) -> jax.Array:
    """Apply everything after the first layer to its pre-activation ``h``."""
    return ScoreNet(dim, config).apply(params, h, method=ScoreNet.trunk)


def dsm_loss(
    params: Params, apply: EpsFn, schedule: NoiseSchedule, x0: jax.Array, key: jax.Array
) -> jax.Array:
    """Denoising score matching: ``mean ||eps_theta(x_t, t) - eps||^2`` over dims and batch.

    ``t ~ U{0, ..., T-1}`` and ``eps ~ N(0, I)``, one of each per example.
    """
    k_t, k_eps = jax.random.split(key)
    t = jax.random.randint(k_t, x0.shape[:1], 0, schedule.num_steps)
    eps = jax.random.normal(k_eps, x0.shape, x0.dtype)
    pred = apply(params, diffuse(schedule, x0, t, eps), t)
    return jnp.mean((pred - eps) ** 2)


ScoreModelState = TrainState  # what a score model learns (params, AdamW state, step count)


class ScoreModel:
    """A score network with its schedule, AdamW optimiser and jitted training functions.

    Like :class:`smiling.rl.sac.SAC` it holds no learning state: :meth:`init` makes a
    :class:`ScoreModelState` and the training functions map one state to the next.
    """

    def __init__(
        self,
        dim: int,
        config: ScoreNetConfig = ScoreNetConfig(),
        schedule: NoiseSchedule | None = None,
        lr: float = 5e-3,
        weight_decay: float = 1e-2,
    ):
        # weight_decay 1e-2 is PyTorch AdamW's default, which the reference relies on.
        self.dim, self.config = dim, config
        self.lr, self.weight_decay = float(lr), float(weight_decay)
        self.schedule = linear_schedule() if schedule is None else schedule
        self.net = ScoreNet(dim, config)
        self.tx = _adamw(self.lr, self.weight_decay)

    # ----------------------------------------------------------------- model
    def apply(self, params: Params, x: jax.Array, t: jax.Array) -> jax.Array:
        """``eps_theta(x, t)``."""
        return self.net.apply(params, x, t)

    def init(self, key: jax.Array) -> ScoreModelState:
        params = self.net.init(key, jnp.zeros((1, self.dim)), jnp.zeros((1,), jnp.int32))
        return TrainState.create(params, self.tx)

    def to_bytes(self, state: ScoreModelState) -> bytes:
        return to_bytes(state)

    def from_bytes(self, data: bytes) -> ScoreModelState:
        return from_bytes(self.init(jax.random.PRNGKey(0)), data)

    # -------------------------------------------------------------- training
    def train_steps(
        self, state: ScoreModelState, batches: jax.Array, key: jax.Array
    ) -> tuple[ScoreModelState, jax.Array]:
        """One AdamW step per minibatch in ``batches`` (shape ``(S, B, dim)``), in one jit call.

        The steps run in a ``lax.scan`` so S small steps cost one dispatch, not S. Returns the new
        state and the S minibatch losses.
        """
        return _train_steps(
            state,
            jnp.asarray(batches, jnp.float32),
            key,
            self.schedule,
            dim=self.dim,
            config=self.config,
            lr=self.lr,
            weight_decay=self.weight_decay,
        )

    def fit(
        self,
        states: np.ndarray,
        steps: int,
        key: jax.Array,
        *,
        state: ScoreModelState | None = None,
        batch_size: int = 1024,
        steps_per_call: int = 50,
        on_progress: Callable[[int], None] | None = None,
    ) -> tuple[ScoreModelState, np.ndarray]:
        """Train for ``steps`` minibatches drawn epoch by epoch (shuffled, without replacement).

        Starts from ``state`` (warm start, as the learner's model is never re-initialised) or from
        a fresh initialisation. Returns the trained state and the per-step loss history.
        ``on_progress(done)`` hears the steps done after each jitted chunk (a long fit, the
        expert pre-training, shows its progress with it).
        """
        states = np.asarray(states, np.float32)
        if states.ndim != 2 or states.shape[1] != self.dim or len(states) == 0:
            raise SmilingError(
                f"score model of dim {self.dim} needs states of shape (N, {self.dim}), "
                f"got {states.shape}"
            )
        k_init, k_seed, k_train = jax.random.split(key, 3)
        state = self.init(k_init) if state is None else state
        rng = np.random.default_rng(int(jax.random.randint(k_seed, (), 0, 2**31 - 1)))
        index = _epoch_indices(rng, len(states), steps * batch_size)
        losses = []
        for start in range(0, steps, steps_per_call):
            interrupt.check()  # a long fit (expert pre-training) stops between its jitted chunks
            n = min(steps_per_call, steps - start)
            idx = index[start * batch_size : (start + n) * batch_size]
            batches = states[idx].reshape(n, batch_size, self.dim)
            state, loss = self.train_steps(state, batches, jax.random.fold_in(k_train, start))
            losses.append(np.asarray(loss))
            if on_progress is not None:
                on_progress(start + n)
        history = np.concatenate(losses) if losses else np.zeros(0, np.float32)
        return state, history

    def validation_loss(
        self, params: Params, states: np.ndarray, key: jax.Array, n_repeats: int = 8
    ) -> float:
        """DSM loss on ``states`` averaged over ``n_repeats`` fresh draws of ``t`` and ``eps``."""
        states = jnp.asarray(states, jnp.float32)
        loss = _validation_loss(
            params,
            states,
            key,
            self.schedule,
            dim=self.dim,
            config=self.config,
            n_repeats=n_repeats,
        )
        return float(loss)


# The jitted functions live at module level with the configuration as static arguments, so every
# ScoreModel of one configuration shares one compilation (the learner's model is rebuilt freely).
def _adamw(lr: float, weight_decay: float) -> optax.GradientTransformation:
    return optax.adamw(lr, weight_decay=weight_decay)


@functools.partial(jax.jit, static_argnames=("dim", "config", "lr", "weight_decay"))
def _train_steps(
    state: ScoreModelState,
    batches: jax.Array,
    key: jax.Array,
    schedule: NoiseSchedule,
    *,
    dim: int,
    config: ScoreNetConfig,
    lr: float,
    weight_decay: float,
) -> tuple[ScoreModelState, jax.Array]:
    apply = ScoreNet(dim, config).apply

    def loss(params: Params, batch: jax.Array, k: jax.Array) -> tuple[jax.Array, None]:
        return dsm_loss(params, apply, schedule, batch, k), None

    state, (losses, _) = scan_steps(loss, _adamw(lr, weight_decay), state, (batches,), key)
    return state, losses


@functools.partial(jax.jit, static_argnames=("dim", "config", "n_repeats"))
def _validation_loss(
    params: Params,
    states: jax.Array,
    key: jax.Array,
    schedule: NoiseSchedule,
    *,
    dim: int,
    config: ScoreNetConfig,
    n_repeats: int,
) -> jax.Array:
    apply = ScoreNet(dim, config).apply
    losses = jax.lax.map(
        lambda k: dsm_loss(params, apply, schedule, states, k), jax.random.split(key, n_repeats)
    )
    return jnp.mean(losses)


def _epoch_indices(rng: np.random.Generator, n: int, total: int) -> np.ndarray:
    """``total`` indices made of consecutive shuffled passes over ``range(n)``."""
    passes = -(-total // n)
    return np.concatenate([rng.permutation(n) for _ in range(passes)])[:total]


def init_score_model(
    key: jax.Array,
    dim: int,
    config: ScoreNetConfig = ScoreNetConfig(),
    lr: float = 5e-3,
    weight_decay: float = 1e-2,
    schedule: NoiseSchedule | None = None,
) -> tuple[ScoreModel, ScoreModelState]:
    """A :class:`ScoreModel` and a freshly initialised state for it."""
    model = ScoreModel(dim, config, schedule, lr, weight_decay)
    return model, model.init(key)
