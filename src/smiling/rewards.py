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

A method says when its reward model changed by returning ``MethodStep(reward_changed=True)`` from
its per-step hook; only then does the loop ask it for a new reward function.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
from jax.tree_util import Partial

RewardFn = Callable[[jax.Array, jax.Array, jax.Array], jax.Array]


def bind(fn: Callable[..., jax.Array], *params: Any) -> RewardFn:
    """``fn(*params, states, actions, key)`` as a reward function whose ``params`` are traced."""
    return Partial(fn, *params)


def as_traced(reward_fn: RewardFn | None) -> RewardFn | None:
    """``reward_fn`` in the form a jitted update takes as an argument (a ``Partial``)."""
    if reward_fn is None or isinstance(reward_fn, Partial):
        return reward_fn
    return Partial(reward_fn)


@dataclasses.dataclass(frozen=True)
class MethodStep:
    """What a method's per-step hook reports: metrics to log, and whether its reward changed."""

    metrics: dict[str, float] = dataclasses.field(default_factory=dict)
    reward_changed: bool = False


NOTHING = MethodStep()
