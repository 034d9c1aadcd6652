"""The agent protocol: everything the training loop may ask of an RL agent, and nothing more.

An agent is built from ``(obs_dim, act_dim, config)`` and holds no learning state: :meth:`init`
makes a state (a pytree), :meth:`update` maps one state to the next, so checkpointing an agent is
serialising its state (:meth:`to_bytes`). It owns the kind of replay it learns from
(:meth:`make_replay`: SAC replays transitions, a sequence learner sequences) and how batches are
drawn from it (:meth:`sample`), how many updates it makes per environment step
(:meth:`updates_due`: its train ratio) and how long it acts at random first (``warmup_steps``).

The reward hook stays *inside* the jitted update: ``update(state, batch, key, reward_fn)``
replaces the replayed rewards by ``reward_fn(states, actions, key)`` (see :mod:`smiling.rewards`).

Acting carries an optional recurrent state (``carry``): ``None`` for a feed-forward policy such
as SAC's; a latent-state learner keeps its belief there. :meth:`initial_carry` is the carry at
an episode's start.

Agents are registered in :mod:`smiling.rl.registry` (one line each); a run's ``config.json``
records ``agent: {name, config}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import jax
import numpy as np

from smiling.rewards import RewardFn
from smiling.rl.entry import AgentEntry  # noqa: F401 - re-exported: its home was here

Batch = dict[str, Any]


@runtime_checkable
class Replay(Protocol):
    """The experience an agent learns from, in NumPy (sampling costs no device transfer)."""

    def add(
        self, obs: np.ndarray, action: np.ndarray, reward: float, next_obs: np.ndarray,
        terminated: bool, truncated: bool = False,
    ) -> None: ...  # fmt: skip

    def __len__(self) -> int: ...

    def save(self, path: Path) -> None: ...

    def load(self, path: Path) -> None: ...


@runtime_checkable
class Agent(Protocol):
    """An RL agent the loop drives (see the module docstring)."""

    name: ClassVar[str]
    config: Any

    @property
    def warmup_steps(self) -> int:
        """Environment steps of uniform random actions before the agent acts and learns."""
        ...

    def init(self, key: jax.Array) -> Any: ...

    def initial_carry(self) -> Any: ...

    def observe(self, state: Any, obs: np.ndarray) -> Any:
        """The state after seeing the training observation ``obs`` (before acting on it): an
        agent that keeps statistics of its inputs (SimBa's observation normaliser) updates
        them here; others return ``state`` unchanged."""
        ...

    def act(
        self, state: Any, obs: np.ndarray, key: jax.Array, carry: Any = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, Any]: ...  # fmt: skip

    def make_replay(self, budget: int) -> Replay: ...

    def sample(self, replay: Replay, rng: np.random.Generator) -> Batch: ...

    def updates_due(self, env_steps: int) -> int: ...

    def update(
        self, state: Any, batch: Batch, key: jax.Array, reward_fn: RewardFn | None = None
    ) -> tuple[Any, dict[str, jax.Array]]: ...

    def to_bytes(self, state: Any) -> bytes: ...

    def from_bytes(self, data: bytes) -> Any: ...

    def policy_bytes(self, state: Any) -> bytes:
        """The part of the state that acts (written as the run's ``actor.msgpack``)."""
        ...

    def load_policy(self, data: bytes) -> Any:
        """A state that acts with the policy of :meth:`policy_bytes` (an expert's)."""
        ...

    def weights_bytes(self, state: Any) -> bytes:
        """What the agent has learnt, without what it can rebuild (optimiser moments, target
        networks): a compact checkpoint's agent file (:func:`weights_only`)."""
        ...

    def from_weights(self, data: bytes) -> Any:
        """A state holding the weights of :meth:`weights_bytes`, with fresh optimiser moments
        and target networks copied from the networks they track (:func:`with_weights`)."""
        ...


def weights_only(state: Any, fields: tuple[str, ...]) -> bytes:
    """``fields`` of the (flax dataclass) ``state``, serialised: the learnt part of a state.

    Why: a full state is about three times its weights (Adam's two moments per parameter,
    target copies), and a checkpoint that must live in git (a long run's milestones, so that a
    fresh machine can continue it) should be no larger than what cannot be recomputed.
    """
    import flax.serialization

    whole = flax.serialization.to_state_dict(state)
    return flax.serialization.msgpack_serialize({name: whole[name] for name in fields})


def with_weights(
    fresh: Any, data: bytes, fields: tuple[str, ...], copies: dict[str, str] | None = None
) -> Any:
    """``fresh`` (a newly initialised state) with ``fields`` read from :func:`weights_only`'s
    bytes, then each ``copies`` target field set to its source (a target network starts as the
    network it tracks, as at initialisation)."""
    import flax.serialization

    saved = flax.serialization.msgpack_restore(data)
    missing = [name for name in fields if name not in saved]
    if missing:
        raise ValueError(f"weights lack {', '.join(missing)}")
    parts = {
        name: flax.serialization.from_state_dict(getattr(fresh, name), saved[name])
        for name in fields
    }
    state = fresh.replace(**parts)
    return state.replace(**{dst: getattr(state, src) for dst, src in (copies or {}).items()})
