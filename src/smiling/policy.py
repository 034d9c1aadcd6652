"""Policies with an explicit episode start: the one shape every rollout in the package uses.

Why this exists: an agent may carry a recurrent state between the steps of an episode
(DreamerV3 keeps its latent belief there; see :mod:`smiling.rl.agent`), and that state must be
forgotten exactly when a new episode starts, no sooner and no later. A plain ``obs -> action``
function cannot be told where an episode starts, so the code that held one either carried the
state into the next episode (evaluation) or dropped it at every step (the expert wrapper).

So a :class:`Policy` has two calls: :meth:`Policy.reset` at each episode's start, and
``policy(obs) -> action`` for each step. Every rollout loop (evaluation and the videos filmed
from it, demonstration collection, the benchmarks) takes a ``Policy`` and resets it before each
episode's first step; nothing else resets it. A feed-forward function becomes one with
:func:`stateless`, which says so in the code that passes it.

:func:`predict` is the same step for callers that keep the state themselves, in the
Stable-Baselines3 shape ``(observation, state, episode_start, deterministic) -> (action,
state)``; :meth:`smiling.algos.base.Learner.predict` is it for a learner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:  # JAX is imported where an agent acts, so evaluation.py stays light
    import jax

    from smiling.rl.agent import Agent


@runtime_checkable
class Policy(Protocol):
    """A policy stepped through episodes: ``reset()`` at each episode's start, then one
    ``policy(obs)`` per step (one observation, or a batch of side-by-side episodes).

    :class:`Stateless` and :class:`AgentPolicy` also say whether they carry a state
    (``recurrent``), for a loop that changes its batch between steps (``benchmarks/
    multimodal.py``): a recurrent state has one row per episode and cannot follow that."""

    def reset(self) -> None:
        """A new episode starts: forget everything carried from the last one."""
        ...

    def __call__(self, obs: np.ndarray) -> np.ndarray: ...


class Stateless:
    """A feed-forward function as a :class:`Policy`: it carries nothing, so ``reset`` does
    nothing. Its action depends only on the observation it is given."""

    recurrent = False

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray]):
        self.fn = fn

    def reset(self) -> None:
        """Nothing to forget."""

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        return self.fn(obs)


def stateless(fn: Callable[[np.ndarray], np.ndarray]) -> Stateless:
    """``fn`` (a function of the observation alone) as a :class:`Policy`."""
    return Stateless(fn)


def check_policy(policy: Any) -> Policy:
    """``policy`` if it has an episode start; a plain function is refused rather than assumed
    feed-forward, as that assumption is how a recurrent state leaked across episodes."""
    if not isinstance(policy, Policy):
        raise TypeError(
            f"{policy!r} is not a smiling.policy.Policy (it has no reset() to start an episode); "
            "wrap a feed-forward function with smiling.policy.stateless(fn)"
        )
    return policy


class AgentPolicy:
    """An agent's policy, carrying its recurrent state (``carry``) through an episode.

    ``deterministic`` acts with the policy's mode and uses ``key`` as given (the key is then
    unused: SAC's and DreamerV3's deterministic actions draw nothing). A sampling policy splits
    ``key`` at every step, so each step draws afresh and the sequence of draws is reproducible
    from ``key`` alone; ``reset`` does not rewind it, so episodes draw differently.
    """

    def __init__(self, agent: Agent, state: Any, key: jax.Array, deterministic: bool = True):
        self.agent, self.state, self.key, self.deterministic = agent, state, key, deterministic
        self.carry = agent.initial_carry()
        # The protocol's convention: a feed-forward agent's carry is None (smiling.rl.agent).
        self.recurrent = self.carry is not None

    def reset(self) -> None:
        self.carry = self.agent.initial_carry()

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        if self.deterministic:
            key = self.key
        else:
            import jax

            self.key, key = jax.random.split(self.key)
        action, self.carry = self.agent.act(
            self.state, obs, key, self.carry, deterministic=self.deterministic
        )
        return action


def predict(
    agent: Agent,
    agent_state: Any,
    observation: np.ndarray,
    key: jax.Array,
    state: Any = None,
    episode_start: bool | np.ndarray | None = None,
    deterministic: bool = True,
) -> tuple[np.ndarray, Any]:
    """One step of the agent's policy in the Stable-Baselines3 shape: ``(action, state)``.

    ``observation`` is one observation or a batch (one row per side-by-side episode).
    ``state`` is the recurrent state returned by the previous call (opaque: pass it back as
    is); ``None`` starts from the initial state. ``episode_start`` (a bool, or one per row)
    marks the rows whose episode starts at this observation: their state is reset before
    acting, the others continue. A feed-forward agent (SAC) returns ``state`` ``None`` and
    ignores both.
    """
    if isinstance(state, bool | np.bool_):
        raise TypeError(
            "predict's second argument is the recurrent state, as in Stable-Baselines3: "
            "pass deterministic by name (predict(obs, deterministic=...))"
        )
    carry = _start_episodes(agent, state, episode_start)
    return agent.act(agent_state, observation, key, carry, deterministic=deterministic)


def _start_episodes(agent: Agent, state: Any, episode_start: Any) -> Any:
    """The carry to act from: ``state`` with the rows in ``episode_start`` reset."""
    initial = agent.initial_carry()
    if state is None or episode_start is None:
        return initial if state is None else state
    starts = np.asarray(episode_start, bool)
    if starts.all():
        return initial
    if not starts.any():
        return state
    if starts.ndim != 1:
        raise ValueError(f"episode_start must be a bool or one per row, got shape {starts.shape}")

    import jax
    import jax.numpy as jnp

    def reset_rows(first: Any, carried: Any) -> jax.Array:
        carried = jnp.asarray(carried)
        if carried.ndim == 0 or carried.shape[0] != starts.size:
            raise ValueError(
                f"a recurrent state of shape {carried.shape} has no row per episode "
                f"({starts.size} in episode_start): reset all rows at once or none"
            )
        mask = jnp.asarray(starts).reshape(-1, *([1] * (carried.ndim - 1)))
        return jnp.where(mask, jnp.broadcast_to(first, carried.shape), carried)

    return jax.tree_util.tree_map(reset_rows, initial, state)
