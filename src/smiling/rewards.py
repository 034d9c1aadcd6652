"""The reward contract between a method and an agent.

A method turns what the learner visits into rewards; an agent maximises them. The method hands
the agent a *reward function*, ``reward_fn(states, actions, key) -> rewards``, with ``states`` of
shape ``(B, obs_dim)``, ``actions`` ``(B, act_dim)`` and a PRNG key; it returns shape ``(B,)`` and
may ignore the arguments it does not need. The agent calls it *inside* its jitted update, on the
batch it replays, so rewards always come from the current reward model (relabelling) and never
from the environment. ``None`` means "the environment's reward".

Parameters that change during training (score models, discriminators) are bound with
:func:`bind`: a :class:`jax.tree_util.Partial`'s bound arguments are traced like any other input,
so new parameters never trigger a recompilation of the agent's update.

A method that implements the absorbing-state treatment (:mod:`smiling.termination`) marks its
hook with :func:`takes_absorbing`; the hook then also accepts ``absorbing``, a ``(B,)`` boolean
mask of rows that stand for the absorbing state (their states and actions are ignored), and
standardises its rewards over the other rows only. Agents call :func:`relabel`, which returns
the batch's rewards and the absorbing state's reward (None for every other hook).

A method says when its reward model changed by returning ``MethodStep(reward_changed=True)`` from
its per-step hook; only then does the loop ask it for a new reward function.

A method whose raw rewards have no fixed scale may standardise each batch with
:func:`normalize_rewards` (SMILING does by default; DAC's discriminator with
``normalize_reward=True``): one function, so both methods' rewards reach an agent on the same
scale.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.tree_util import Partial

from smiling.config import SCALES  # noqa: F401 - re-exported: its home before smiling.config

RewardFn = Callable[[jax.Array, jax.Array, jax.Array], jax.Array]


def bind(fn: Callable[..., jax.Array], *params: Any) -> RewardFn:
    """``fn(*params, states, actions, key)`` as a reward function whose ``params`` are traced."""
    return Partial(fn, *params)


def as_traced(reward_fn: RewardFn | None) -> RewardFn | None:
    """``reward_fn`` in the form a jitted update takes as an argument (a ``Partial``)."""
    if reward_fn is None or isinstance(reward_fn, Partial):
        return reward_fn
    return Partial(reward_fn)


# How a method standardises each batch of rewards (:func:`normalize_rewards`; SMILING's and DAC's
# rewards both go through it, so it belongs to the contract, not to either method). Its choices
# are smiling.config.SCALES, where the reward's config checks them without JAX.
# The robust scale's clip, in its std-like units: where a normal's rows end (99.7% inside), so
# a reward without heavy tails is hardly touched and a far outlier counts as three units.
# ``robust-log`` bends its tail there instead of cutting it.
ROBUST_CLIP = 3.0
_IQR_PER_STD = 1.349  # the interquartile range of a standard normal


def normalize_rewards(
    r: jax.Array, absorbing: jax.Array | None = None, scale: str = "std", target_std: float = 0.1
) -> jax.Array:
    """Per-batch standardisation to mean 0 and std ``target_std`` (0.1: the reference's scale).

    ``scale='robust'`` centres on the median and divides by IQR / 1.349 instead, then clips to
    ``+-ROBUST_CLIP`` before the factor ``target_std``: the same numbers as ``'std'`` for a
    normal batch, but a few extreme rows neither set the scale nor dominate the returns.

    ``scale='robust-log'`` is ``'robust'`` with a logarithmic tail instead of the clip
    (:func:`log_tail`): the bulk gets the same numbers, but rows past the clip keep their order
    and part of their distance. The clip makes every state it reaches equally bad; on Hopper-v5
    those are the states just before a fall, which then cost about a quarter of what they cost
    under ``'std'`` measured against the spread of the bulk (docs/defaults.md).

    Rows marked ``absorbing`` are standardised with the statistics of the other rows, so the
    absorbing state's reward is on the batch's scale without moving it.
    """
    if scale in ("robust", "robust-log"):
        rows = r if absorbing is None else jnp.where(absorbing.astype(bool), jnp.nan, r)
        q25, median, q75 = jnp.nanquantile(rows, jnp.array([0.25, 0.5, 0.75]))
        z = (r - median) / ((q75 - q25) / _IQR_PER_STD + 1e-6)
        if scale == "robust-log":
            return log_tail(z, ROBUST_CLIP) * target_std
        return jnp.clip(z, -ROBUST_CLIP, ROBUST_CLIP) * target_std
    if absorbing is None:
        return (r - jnp.mean(r)) / (jnp.std(r) + 1e-6) * target_std
    real = 1.0 - absorbing.astype(r.dtype)
    mean = jnp.sum(real * r) / jnp.sum(real)
    std = jnp.sqrt(jnp.sum(real * (r - mean) ** 2) / jnp.sum(real))
    return (r - mean) / (std + 1e-6) * target_std


def log_tail(z: jax.Array, knee: float) -> jax.Array:
    """``z`` inside ``+-knee``; beyond it ``knee + log(1 + (|z| - knee))``, with ``z``'s sign.

    Continuous with slope 1 at the knee, strictly increasing, and growing only logarithmically:
    a row 100 units out counts about 7.6, not 100 (the std scale) nor 3 (the clip).
    """
    excess = jnp.maximum(jnp.abs(z) - knee, 0.0)
    return jnp.sign(z) * (jnp.minimum(jnp.abs(z), knee) + jnp.log1p(excess))


# Absorbing-state rows evaluated beside every batch; their mean is r(s_a). With K = 8 noise draws
# per row, 16 rows give r(s_a) the noise of one 128-draw estimate for 6% more reward work.
ABSORBING_ROWS = 16


def takes_absorbing(hook: Callable[..., jax.Array]) -> Callable[..., jax.Array]:
    """Mark a reward hook as accepting the ``absorbing`` mask (see the module docstring)."""
    hook.takes_absorbing = True  # type: ignore[attr-defined]
    return hook


def uses_absorbing(reward_fn: RewardFn | None) -> bool:
    """Whether ``reward_fn`` (a hook or a :class:`Partial` of one) implements the treatment."""
    fn = getattr(reward_fn, "func", reward_fn)
    return bool(getattr(fn, "takes_absorbing", False))


def relabel(
    reward_fn: RewardFn, states: jax.Array, actions: jax.Array, key: jax.Array
) -> tuple[jax.Array, jax.Array | None]:
    """The rewards ``(B,)`` of a replayed batch and the absorbing state's reward ``r(s_a)``.

    For a hook without the absorbing-state treatment ``r(s_a)`` is None and the hook is called
    exactly as before. With it, :data:`ABSORBING_ROWS` absorbing rows are evaluated in the same
    call (standardised with the batch's real rows), averaged, and clipped to within one
    standard deviation of the batch's mean reward. Unclipped, SMILING's reward at a point outside
    both models' data scales with the noise schedule's signal-to-noise ratio (hundreds of
    standard deviations), and its value ``r(s_a) / (1 - gamma)`` would swamp every other target;
    clipped to the batch's range (about 3 standard deviations) it still made the learner so
    averse to falling that it stopped exploring (Hopper-v5: docs/termination.md).
    """
    b = states.shape[0]
    if not uses_absorbing(reward_fn):
        return jnp.reshape(reward_fn(states, actions, key), (b,)), None
    n = ABSORBING_ROWS
    states = jnp.concatenate([states, jnp.zeros((n, states.shape[1]), states.dtype)])
    actions = jnp.concatenate([actions, jnp.zeros((n, actions.shape[1]), actions.dtype)])
    absorbing = jnp.arange(b + n) >= b
    r = jnp.reshape(reward_fn(states, actions, key, absorbing=absorbing), (b + n,))
    real = r[:b]
    mean, std = jnp.mean(real), jnp.std(real)
    return real, jnp.clip(jnp.mean(r[b:]), mean - std, mean + std)


@dataclasses.dataclass(frozen=True)
class MethodStep:
    """What a method's per-step hook reports: metrics to log, and whether its reward changed."""

    metrics: dict[str, float] = dataclasses.field(default_factory=dict)
    reward_changed: bool = False


NOTHING = MethodStep()
