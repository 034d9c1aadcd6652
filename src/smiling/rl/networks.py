"""Flax networks for SAC: a tanh-squashed Gaussian actor and a double-Q critic.

Both follow the pytorch_sac conventions the SMILING paper uses: ReLU MLPs, orthogonal
initialisation, and a log-std squashed into ``[log_std_min, log_std_max]`` with tanh so the policy's
entropy stays bounded without clipping gradients away.
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

_LOG2 = 0.6931471805599453


class MLP(nn.Module):
    """ReLU MLP with orthogonal weights and zero biases."""

    hidden: Sequence[int]
    out: int

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        init = nn.initializers.orthogonal()
        for width in self.hidden:
            x = nn.relu(nn.Dense(width, kernel_init=init)(x))
        return nn.Dense(self.out, kernel_init=init)(x)


class Actor(nn.Module):
    """Outputs the mean and the squashed log-std of the pre-tanh Gaussian."""

    hidden: Sequence[int]
    act_dim: int
    log_std_min: float = -5.0
    log_std_max: float = 2.0

    @nn.compact
    def __call__(self, obs: jax.Array) -> tuple[jax.Array, jax.Array]:
        out = MLP(self.hidden, 2 * self.act_dim)(obs)
        return tanh_gaussian_head(out, self.log_std_min, self.log_std_max)


def tanh_gaussian_head(
    out: jax.Array, log_std_min: float, log_std_max: float
) -> tuple[jax.Array, jax.Array]:
    """A trunk's ``2 * act_dim`` outputs as the pre-tanh Gaussian's mean and log-std, the
    log-std squashed into ``[log_std_min, log_std_max]``."""
    mean, raw = jnp.split(out, 2, axis=-1)
    log_std = log_std_min + 0.5 * (log_std_max - log_std_min) * (jnp.tanh(raw) + 1.0)
    return mean, log_std


def sample_tanh_gaussian(
    mean: jax.Array, log_std: jax.Array, key: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """Reparameterised sample ``tanh(mean + std * eps)`` and its log-density.

    The tanh change of variables uses ``log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u))``,
    which stays finite where ``tanh(u)`` rounds to +-1.
    """
    u = mean + jnp.exp(log_std) * jax.random.normal(key, mean.shape)
    gauss = -0.5 * (((u - mean) / jnp.exp(log_std)) ** 2) - log_std - 0.5 * jnp.log(2 * jnp.pi)
    correction = 2.0 * (_LOG2 - u - jax.nn.softplus(-2.0 * u))
    return jnp.tanh(u), jnp.sum(gauss - correction, axis=-1)


class DoubleCritic(nn.Module):
    """Two independent Q networks evaluated as one batched computation (output shape (2, B))."""

    hidden: Sequence[int]

    @nn.compact
    def __call__(self, obs: jax.Array, act: jax.Array) -> jax.Array:
        x = jnp.concatenate([obs, act], axis=-1)
        return jnp.stack([MLP(self.hidden, 1)(x)[..., 0] for _ in range(2)])
