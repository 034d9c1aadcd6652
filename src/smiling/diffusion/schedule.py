"""Diffusion processes (DDPM noise schedules) and the forward (noising) process.

A :class:`NoiseSchedule` is a pytree of arrays indexed by the timestep ``t in {0, ..., T-1}``:
the one description of a diffusion process that training and the reward estimator share,
``x_t = mean_coef(t) * x0 + noise_scale(t) * eps``. Two processes are built on it:

* variance-preserving (VP, the paper's DDPM): ``mean_coef = sqrt(alpha_bar_t)``,
  ``noise_scale = sqrt(1 - alpha_bar_t)`` (:func:`linear_schedule`, :func:`cosine_schedule`);
* variance-exploding (VE, :func:`ve_schedule`): ``mean_coef = 1``, ``noise_scale = sigma(t)``
  on a geometric grid from ``sigma_min`` to ``sigma_max``.

It is passed to jitted functions as data rather than baked in, so swapping schedules (or building a
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
    """Per-timestep tables of a diffusion process: ``x_t = sqrt_alpha_bars[t] * x0 + sigmas[t] *
    eps`` (read them through :meth:`mean_coef` and :meth:`noise_scale`).

    Variance-preserving: ``alpha_bars[t] = prod_{i <= t} (1 - betas[i])`` and ``sigmas[t] =
    sqrt(1 - alpha_bars[t])``. Variance-exploding (:func:`ve_schedule`): ``alpha_bars`` and
    ``sqrt_alpha_bars`` are 1 (the state is never shrunk), ``betas`` 0 (no per-step shrinking)
    and ``sigmas`` the geometric noise levels; ``sigmas**2 + alpha_bars = 1`` holds for VP only.
    """

    betas: jax.Array
    alpha_bars: jax.Array
    sqrt_alpha_bars: jax.Array
    sigmas: jax.Array

    @property
    def num_steps(self) -> int:
        """``T``; static under ``jit`` because it is an array shape."""
        return int(self.betas.shape[0])

    def mean_coef(self, t: jax.Array) -> jax.Array:
        """The coefficient of ``x0`` in ``x_t`` at timesteps ``t`` (``sqrt(alpha_bar_t)``; 1 for
        VE)."""
        return self.sqrt_alpha_bars[t]

    def noise_scale(self, t: jax.Array) -> jax.Array:
        """The standard deviation of the noise in ``x_t`` at timesteps ``t`` (``sigma_t``); the
        score of ``x_t`` given ``x0`` is ``-eps / sigma_t`` for both processes."""
        return self.sigmas[t]


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


def ve_schedule(T: int, sigma_min: float = 0.01, sigma_max: float = 50.0) -> NoiseSchedule:
    """A variance-exploding process: ``x_t = x0 + sigma(t) * eps`` with the geometric schedule
    ``sigma(t) = sigma_min * (sigma_max / sigma_min) ** (t / (T - 1))``, t = 0..T-1.

    The exponent is ``t / (T - 1)`` so that the first and last of the T timesteps are exactly
    ``sigma_min`` and ``sigma_max``, and the grid is even in ``log sigma`` (Song & Ermon's
    NCSN geometric levels). The defaults are chosen for this project's inputs, which are the raw
    (not standardised) observations: ``sigma_min = 0.01`` is the VP linear schedule's first noise
    level (``sqrt(beta_1)``), so both processes resolve the same finest detail; ``sigma_max =
    50`` is about four times the largest per-dimension spread of the demonstrations (12.6 on
    cheetah-run's velocities, 0.34 on ball_in_cup-catch, 5.8 on Hopper-v5) and of the order of
    the largest distance between two demonstration states (65 on cheetah-run, 21 on Hopper-v5),
    Song & Ermon's (2020, "Improved techniques for training score-based generative models") rule
    for where the noise must reach for every pair of states to blur together. Unlike VP, whose
    linear schedule spends about 60% of its steps where the state is pure noise, the geometric
    grid spends them evenly in ``log sigma``: on ball_in_cup-catch a quarter lie above its
    largest distance between two demonstration states (6.75), on cheetah-run none.

    The network's input is not rescaled by ``1 / sqrt(1 + sigma^2)`` (EDM's ``c_in``): with
    that scaling a VE process becomes a VP one with another schedule, which is not the factor
    this option exists to measure.
    """
    if T < 2:
        raise SmilingError(f"a variance-exploding schedule needs T >= 2 steps, got {T}")
    if not 0 < sigma_min < sigma_max:
        raise SmilingError(
            f"a variance-exploding schedule needs 0 < sigma_min < sigma_max, got {sigma_min} "
            f"and {sigma_max}"
        )
    frac = np.arange(T, dtype=np.float64) / (T - 1)
    sigmas = sigma_min * (sigma_max / sigma_min) ** frac
    ones = jnp.ones((T,), jnp.float32)
    return NoiseSchedule(
        betas=jnp.zeros((T,), jnp.float32),
        alpha_bars=ones,
        sqrt_alpha_bars=ones,
        sigmas=jnp.asarray(sigmas, jnp.float32),
    )


def diffusion_process(
    process: str,
    schedule: str,
    T: int,
    sigma_min: float = 0.01,
    sigma_max: float = 50.0,
) -> NoiseSchedule:
    """The process a SMILING config names: ``process`` ``'vp'`` with the ``schedule``
    ``'linear'`` or ``'cosine'``, or ``'ve'`` with its geometric ``sigma_min..sigma_max``."""
    if process == "ve":
        return ve_schedule(T, sigma_min, sigma_max)
    if process != "vp":
        raise SmilingError(f"unknown diffusion process '{process}'; choose 'vp' or 've'")
    if schedule == "linear":
        return linear_schedule(T)
    if schedule == "cosine":
        return cosine_schedule(T)
    raise SmilingError(f"unknown noise schedule '{schedule}'; choose 'linear' or 'cosine'")


def _per_example(coef: jax.Array, like: jax.Array) -> jax.Array:
    """Append trailing axes to a per-timestep coefficient so it broadcasts over ``like``."""
    return jnp.reshape(coef, coef.shape + (1,) * (like.ndim - coef.ndim))


def diffuse(schedule: NoiseSchedule, x0: jax.Array, t: jax.Array, eps: jax.Array) -> jax.Array:
    """Sample ``x_t`` given ``x0``: ``mean_coef(t) * x0 + noise_scale(t) * eps``.

    ``t`` is an integer scalar or has ``x0``'s leading shape (one timestep per example).
    """
    t = jnp.asarray(t)
    a = _per_example(schedule.mean_coef(t), x0)
    s = _per_example(schedule.noise_scale(t), x0)
    return a * x0 + s * eps
