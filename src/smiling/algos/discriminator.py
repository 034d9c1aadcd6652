"""DAC's discriminator: network, loss with gradient penalty, AdamW trainer and reward hook.

``D(x)`` is a logit: high where ``x`` looks like the expert's. It is trained with

    L = 0.5 * (BCE(D(x_learner), 0) + BCE(D(x_expert), 1))
        + gp_weight * E_u (||grad_x D(u x_expert + (1 - u) x_learner)||_2 - 1)^2,  u ~ U(0, 1)

(the SMILING paper's DAC baseline, arXiv 2410.13855). The reward the policy maximises is
``-log(1 - sigmoid(D) + 1e-8)`` ("gail") or ``D`` itself ("airl").
"""

from __future__ import annotations

import functools
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from jax.tree_util import Partial

from smiling.algos.dac_config import (  # their home: JAX-free, for the command line
    REWARD_STYLES,  # noqa: F401 - re-exported
    DiscriminatorConfig,
)
from smiling.errors import SmilingError
from smiling.nn import (
    TrainState,
    from_bytes,
    scan_steps,
    to_bytes,
    torch_like_init,
)
from smiling.rewards import normalize_rewards, takes_absorbing
from smiling.termination import with_indicator

Params = Any


class Discriminator(nn.Module):
    """``D(x)``: one logit per input row, shape ``x.shape[:-1]``."""

    config: DiscriminatorConfig = DiscriminatorConfig()

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        init = torch_like_init()  # PyTorch Linear's default, as the reference networks
        for _ in range(self.config.depth):
            x = self.config.act(nn.Dense(self.config.hidden, kernel_init=init)(x))
        return nn.Dense(1, kernel_init=init)(x)[..., 0]


def gradient_penalty(
    params: Params, apply, learner: jax.Array, expert: jax.Array, key: jax.Array
) -> jax.Array:
    """``E (||grad_x D(x_mix)||_2 - 1)^2`` on random interpolates of paired rows."""
    u = jax.random.uniform(key, (learner.shape[0], 1))
    mix = u * expert + (1.0 - u) * learner
    grads = jax.vmap(jax.grad(lambda x: apply(params, x)))(mix)
    norms = jnp.sqrt(jnp.sum(grads**2, axis=-1) + 1e-12)  # finite gradient at grad = 0
    return jnp.mean((norms - 1.0) ** 2)


def discriminator_loss(
    params: Params,
    apply,
    learner: jax.Array,
    expert: jax.Array,
    key: jax.Array,
    gp_weight: float,
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Mean of the two BCE terms plus ``gp_weight`` times the gradient penalty."""
    d_l, d_e = apply(params, learner), apply(params, expert)
    # BCE(logit, 0) = softplus(logit); BCE(logit, 1) = softplus(-logit), numerically stable.
    bce = 0.5 * (jnp.mean(jax.nn.softplus(d_l)) + jnp.mean(jax.nn.softplus(-d_e)))
    gp = gradient_penalty(params, apply, learner, expert, key)
    accuracy = 0.5 * (jnp.mean(d_l < 0) + jnp.mean(d_e > 0))
    return bce + gp_weight * gp, {"bce": bce, "gp": gp, "accuracy": accuracy}


DiscriminatorState = TrainState  # what a discriminator learns (params, AdamW state, step)


class DiscriminatorModel:
    """A discriminator with its AdamW optimiser; holds no learning state (like ``ScoreModel``)."""

    def __init__(
        self,
        dim: int,
        config: DiscriminatorConfig = DiscriminatorConfig(),
        lr: float = 5e-3,
        weight_decay: float = 1e-2,
        gp_weight: float = 10.0,
    ):
        # weight_decay 1e-2: PyTorch AdamW's default, as for the score models.
        self.dim, self.config = dim, config
        self.lr, self.weight_decay, self.gp_weight = float(lr), float(weight_decay), gp_weight
        self.net = Discriminator(config)

    def apply(self, params: Params, x: jax.Array) -> jax.Array:
        return self.net.apply(params, x)

    def init(self, key: jax.Array) -> DiscriminatorState:
        params = self.net.init(key, jnp.zeros((1, self.dim)))
        return TrainState.create(params, optax.adamw(self.lr, weight_decay=self.weight_decay))

    def train_steps(
        self, state: DiscriminatorState, learner: jax.Array, expert: jax.Array, key: jax.Array
    ) -> tuple[DiscriminatorState, dict[str, jax.Array]]:
        """One AdamW step per minibatch pair; ``learner`` and ``expert`` are ``(S, B, dim)``.

        Runs as one ``lax.scan`` in one jit call; returns the per-step loss terms.
        """
        return _train_steps(
            state,
            jnp.asarray(learner, jnp.float32),
            jnp.asarray(expert, jnp.float32),
            key,
            config=self.config,
            lr=self.lr,
            weight_decay=self.weight_decay,
            gp_weight=self.gp_weight,
        )

    def to_bytes(self, state: DiscriminatorState) -> bytes:
        return to_bytes(state)

    def from_bytes(self, data: bytes) -> DiscriminatorState:
        return from_bytes(self.init(jax.random.PRNGKey(0)), data)


@functools.partial(jax.jit, static_argnames=("config", "lr", "weight_decay", "gp_weight"))
def _train_steps(
    state: DiscriminatorState,
    learner: jax.Array,
    expert: jax.Array,
    key: jax.Array,
    *,
    config: DiscriminatorConfig,
    lr: float,
    weight_decay: float,
    gp_weight: float,
) -> tuple[DiscriminatorState, dict[str, jax.Array]]:
    apply, tx = Discriminator(config).apply, optax.adamw(lr, weight_decay=weight_decay)

    def loss(params: Params, l_batch: jax.Array, e_batch: jax.Array, k: jax.Array):
        return discriminator_loss(params, apply, l_batch, e_batch, k, gp_weight)

    state, (losses, parts) = scan_steps(loss, tx, state, (learner, expert), key)
    return state, {"loss": losses, **parts}


def dac_reward(logits: jax.Array, style: str) -> jax.Array:
    """Reward from discriminator logits: ``-log(1 - sigmoid(D) + 1e-8)`` (gail) or ``D`` (airl).

    ``1 - sigmoid(D)`` is computed as ``sigmoid(-D)``: written as a difference it cancels to
    0 in float32 once ``D`` passes about 17, and XLA, free to reassociate ``(1 - s) + 1e-8``,
    then takes the log of 0. A DAC run on cheetah-run got an infinite reward that way and its
    policy's actions turned NaN at step 6850.
    """
    if style == "gail":
        return -jnp.log(jax.nn.sigmoid(-logits) + 1e-8)
    if style == "airl":
        return logits
    raise SmilingError(f"unknown reward style '{style}'; choose one of {list(REWARD_STYLES)}")


def make_dac_reward_fn(
    params: Params,
    config: DiscriminatorConfig,
    style: str = "gail",
    normalize: bool = False,
    use_actions: bool = False,
    absorbing: bool = False,
) -> Partial:
    """The SAC reward hook ``(states, actions, key) -> (B,)`` for discriminator ``params``.

    ``params`` is a bound :class:`Partial` argument, so it is traced by the jitted SAC update and
    a retrained discriminator needs no recompilation. With ``absorbing`` the discriminator's
    inputs end with the absorbing-state indicator (:mod:`smiling.termination`).
    """
    if style not in REWARD_STYLES:
        raise SmilingError(f"unknown reward style '{style}'; choose one of {list(REWARD_STYLES)}")
    return Partial(_reward_hook(config, style, normalize, use_actions, absorbing), params)


@functools.cache
def _reward_hook(
    config: DiscriminatorConfig, style: str, normalize: bool, use_actions: bool, treated: bool
):
    """One function object per setting: ``Partial``'s function is part of the jit cache key.
    ``treated``: the inputs end with the absorbing-state indicator."""
    apply = Discriminator(config).apply

    def hook(
        params: Params,
        states: jax.Array,
        actions: jax.Array,
        key: jax.Array,
        absorbing: jax.Array | None = None,
    ) -> jax.Array:
        x = jnp.concatenate([states, actions], axis=-1) if use_actions else states
        if treated:
            x = with_indicator(x, absorbing)
        r = dac_reward(apply(params, x), style)
        # As SMILING's: mean 0, std 0.1 over the real rows.
        return normalize_rewards(r, absorbing) if normalize else r

    return takes_absorbing(hook) if treated else hook
