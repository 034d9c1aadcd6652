"""DDPM noise schedules and the forward (noising) process.

A :class:`NoiseSchedule` is a pytree of arrays indexed by the timestep ``t in {0, ..., T-1}``. It
is passed to jitted functions as data rather than baked in, so swapping schedules (or building a
hand-made one in a test) never changes what is compiled beyond the array shapes. The tables are
computed in float64 with NumPy and stored as float32: the cumulative product over 5000 steps loses
precision in float32, and nothing downstream needs more than float32.
"""

from __future__ import annotations

import flax.struct
import jax
import jax.numpy as jnp
import numpy as np

from smiling.errors import SmilingError


@flax.struct.dataclass
class NoiseSchedule:
    """Per-timestep tables of a variance-preserving diffusion.

    ``alpha_bars[t] = prod_{i <= t} (1 - betas[i])``; ``sigmas[t] = sqrt(1 - alpha_bars[t])`` is
    the noise level of ``x_t``, so ``x_t = sqrt_alpha_bars[t] * x0 + sigmas[t] * eps``.
    """

    betas: jax.Array
    alpha_bars: jax.Array
    sqrt_alpha_bars: jax.Array
    sigmas: jax.Array

    @property
    def num_steps(self) -> int:
        """``T``; static under ``jit`` because it is an array shape."""
        return int(self.betas.shape[0])


def schedule_from_betas(betas: np.ndarray) -> NoiseSchedule:
    """Build every table from the per-step betas (float64 in, float32 out)."""
    betas = np.asarray(betas, np.float64)
    if betas.ndim != 1 or betas.size == 0 or np.any(betas <= 0) or np.any(betas >= 1):
        raise SmilingError("a noise schedule needs a non-empty 1-D array of betas in (0, 1)")
    alpha_bars = np.cumprod(1.0 - betas)
    return NoiseSchedule(
        betas=jnp.asarray(betas, jnp.float32),
        alpha_bars=jnp.asarray(alpha_bars, jnp.float32),
        sqrt_alpha_bars=jnp.asarray(np.sqrt(alpha_bars), jnp.float32),
        sigmas=jnp.asarray(np.sqrt(1.0 - alpha_bars), jnp.float32),
    )


def linear_schedule(T: int = 5000, beta_1: float = 1e-4, beta_T: float = 0.02) -> NoiseSchedule:
    """The DDPM linear schedule the SMILING paper uses (arXiv 2410.13855): betas evenly spaced."""
    if T < 1:
        raise SmilingError(f"a noise schedule needs T >= 1 steps, got {T}")
    return schedule_from_betas(np.linspace(beta_1, beta_T, T))


def cosine_schedule(T: int, s: float = 0.008, max_beta: float = 0.999) -> NoiseSchedule:
    """Nichol & Dhariwal's cosine schedule; betas clipped at ``max_beta`` to avoid a singular end.

    ``alpha_bar(t) = f(t) / f(0)`` with ``f(t) = cos^2(((t / T) + s) / (1 + s) * pi / 2)``, and
    ``beta_t = 1 - alpha_bar(t + 1) / alpha_bar(t)``.
    """
    if T < 1:
        raise SmilingError(f"a noise schedule needs T >= 1 steps, got {T}")
    steps = np.arange(T + 1, dtype=np.float64) / T
    f = np.cos((steps + s) / (1 + s) * np.pi / 2) ** 2
    alpha_bar = f / f[0]
    betas = np.clip(1.0 - alpha_bar[1:] / alpha_bar[:-1], 1e-12, max_beta)
    return schedule_from_betas(betas)


def _per_example(coef: jax.Array, like: jax.Array) -> jax.Array:
    """Append trailing axes to a per-timestep coefficient so it broadcasts over ``like``."""
    return jnp.reshape(coef, coef.shape + (1,) * (like.ndim - coef.ndim))


def diffuse(schedule: NoiseSchedule, x0: jax.Array, t: jax.Array, eps: jax.Array) -> jax.Array:
    """Sample ``x_t`` given ``x0``: ``sqrt(alpha_bar_t) * x0 + sigma_t * eps``.

    ``t`` is an integer scalar or has ``x0``'s leading shape (one timestep per example).
    """
    t = jnp.asarray(t)
    a = _per_example(schedule.sqrt_alpha_bars[t], x0)
    s = _per_example(schedule.sigmas[t], x0)
    return a * x0 + s * eps
