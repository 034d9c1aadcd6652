"""Soft Actor-Critic in JAX with the whole update in one jitted function: the first agent.

The update (reward relabelling, critic, actor, temperature, target network) is a pure function
of ``(state, batch, key, reward_fn)``. ``reward_fn`` is the hook every imitation method uses
(the contract is in :mod:`smiling.rewards`): when given, it *replaces* the batch's rewards inside
the jitted update, so rewards always come from the current reward model and never from the
environment. :class:`SAC` implements :class:`smiling.rl.agent.Agent`: it replays transitions,
acts at random for ``seed_steps`` steps, then makes one update per environment step.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, ClassVar

import flax
import flax.linen as nn
import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax

from smiling.data.replay import ReplayBuffer
from smiling.rewards import RewardFn, as_traced, relabel
from smiling.rl.agent import Batch, weights_only, with_weights
from smiling.rl.networks import Actor, DoubleCritic, sample_tanh_gaussian
from smiling.rl.sac_config import (  # their home: JAX-free, for the command line
    PRESETS,  # noqa: F401 - re-exported
    SAC_ENTRY,  # noqa: F401 - re-exported
    SACConfig,  # noqa: F401 - re-exported
    SACCoreConfig,
)
from smiling.termination import absorbing_value


@flax.struct.dataclass
class SACState:
    """Everything SAC learns: parameters, optimiser states, temperature and the update counter."""

    actor_params: Any
    critic_params: Any
    target_critic_params: Any
    log_alpha: jax.Array
    actor_opt: Any
    critic_opt: Any
    alpha_opt: Any
    step: jax.Array


class SAC:
    """Networks, optimisers and jitted functions of one SAC configuration (an ``Agent``).

    The object holds no learning state: ``init`` creates a :class:`SACState` and ``update`` maps one
    state to the next, so checkpointing is serialising the state.
    """

    name: ClassVar[str] = "sac"

    def __init__(self, obs_dim: int, act_dim: int, config: SACCoreConfig):
        self.obs_dim, self.act_dim, self.config = obs_dim, act_dim, config
        self.actor, self.critic = self.networks()
        self.actor_tx = self.optimizer(config.actor_lr)
        self.critic_tx = self.optimizer(config.critic_lr)
        self.alpha_tx = optax.adam(config.alpha_lr)
        self.target_entropy = (
            -float(act_dim) if config.target_entropy is None else config.target_entropy
        )

    # ------------------------------------------------------- compiled code
    def compile_key(self) -> Hashable | None:
        """What the traced functions (``_update_impl``, ``_act_impl``) read from ``self``.

        Objects with equal keys trace to the same computation, so they share one compiled
        update and act (:func:`_compiled`); ``None`` keeps this object's own. A subclass
        shares only by overriding this with everything its own traced code reads (IQ-Learn's
        adds its config): inheriting SAC's key could hand it another class's update.
        """
        if type(self) is not SAC:
            return None
        return (SAC, self.obs_dim, self.act_dim, self.config)

    @functools.cached_property
    def _update(self) -> Callable:
        """The jitted update (resolved on first use, once a subclass has set what it reads)."""
        return _compiled(self)[0]

    @functools.cached_property
    def _act(self) -> Callable:
        """The jitted policy (``deterministic`` static)."""
        return _compiled(self)[1]

    def networks(self) -> tuple[nn.Module, nn.Module]:
        """The actor and the double critic (pytorch_sac's ReLU MLPs of widths ``hidden``)."""
        cfg = self.config
        return Actor(cfg.hidden, self.act_dim, cfg.log_std_min, cfg.log_std_max), DoubleCritic(
            cfg.hidden
        )

    def optimizer(self, lr: float) -> optax.GradientTransformation:
        """The actor's and the critic's optimiser (Adam)."""
        return optax.adam(lr)

    # ----------------------------------------------------------------- state
    def init(self, key: jax.Array) -> SACState:
        k_actor, k_critic = jax.random.split(key)
        obs = jnp.zeros((1, self.obs_dim))
        act = jnp.zeros((1, self.act_dim))
        actor_params = self.actor.init(k_actor, obs)
        critic_params = self.critic.init(k_critic, obs, act)
        log_alpha = jnp.asarray(np.log(self.config.init_temperature), jnp.float32)
        return SACState(
            actor_params=actor_params,
            critic_params=critic_params,
            target_critic_params=critic_params,
            log_alpha=log_alpha,
            actor_opt=self.actor_tx.init(actor_params),
            critic_opt=self.critic_tx.init(critic_params),
            alpha_opt=self.alpha_tx.init(log_alpha),
            step=jnp.zeros((), jnp.int32),
        )

    def to_bytes(self, state: SACState) -> bytes:
        return flax.serialization.to_bytes(state)

    def from_bytes(self, data: bytes) -> SACState:
        return flax.serialization.from_bytes(self.init(jax.random.PRNGKey(0)), data)

    # What a compact checkpoint keeps (the rest is rebuilt: see ``Agent.from_weights``).
    WEIGHTS: ClassVar[tuple[str, ...]] = ("actor_params", "critic_params", "log_alpha", "step")

    def weights_bytes(self, state: SACState) -> bytes:
        return weights_only(state, self.WEIGHTS)

    def from_weights(self, data: bytes) -> SACState:
        fresh = self.init(jax.random.PRNGKey(0))
        return with_weights(fresh, data, self.WEIGHTS, {"target_critic_params": "critic_params"})

    def policy_bytes(self, state: SACState) -> bytes:
        return flax.serialization.to_bytes(state.actor_params)

    def load_policy(self, data: bytes) -> SACState:
        """A fresh state acting with the actor of :meth:`policy_bytes` (an expert's)."""
        state = self.init(jax.random.PRNGKey(0))
        return state.replace(actor_params=flax.serialization.from_bytes(state.actor_params, data))

    # ---------------------------------------------------------------- replay
    @property
    def warmup_steps(self) -> int:
        return self.config.seed_steps

    def make_replay(self, budget: int) -> ReplayBuffer:
        """A transition buffer: ``buffer_size`` transitions, or the run's budget if smaller."""
        return ReplayBuffer(self.obs_dim, self.act_dim, min(self.config.buffer_size, budget))

    def sample(self, replay: ReplayBuffer, rng: np.random.Generator) -> Batch:
        return replay.sample(self.config.batch_size, rng)

    def updates_due(self, env_steps: int) -> int:
        """``updates_per_step`` updates per decision once the random warm-up is over."""
        return self.config.updates_per_step if env_steps >= self.config.seed_steps else 0

    def observe(self, state: SACState, obs: np.ndarray) -> SACState:
        """SAC keeps no statistics of what it sees: ``state`` unchanged."""
        return state

    def encode(self, state: SACState, obs: jax.Array) -> jax.Array:
        """What the networks see of raw observations ``obs``: SAC feeds them unchanged. The
        reward hook always sees the raw observations (the environment's states)."""
        return obs

    # ---------------------------------------------------------------- acting
    def initial_carry(self) -> None:
        return None  # a feed-forward policy

    def act(
        self,
        state: SACState,
        obs: np.ndarray,
        key: jax.Array,
        carry: None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, None]:
        """The policy's action(s) for ``obs`` (one observation or a batch); no carry."""
        return self.actor_action(state.actor_params, obs, key, deterministic), None

    def actor_action(
        self, actor_params: Any, obs: np.ndarray, key: jax.Array, deterministic: bool = False
    ) -> np.ndarray:
        """Action(s) of an actor for one observation ``(obs_dim,)`` or a batch ``(B, obs_dim)``."""
        return np.asarray(self._act(actor_params, jnp.asarray(obs), key, deterministic))

    def _act_impl(self, actor_params, obs, key, deterministic: bool):
        mean, log_std = self.actor.apply(actor_params, obs)
        if deterministic:
            return jnp.tanh(mean)
        action, _ = sample_tanh_gaussian(mean, log_std, key)
        return action

    def log_prob(self, actor_params: Any, obs: jax.Array, actions: jax.Array) -> jax.Array:
        """Log-density of ``actions`` in (-1, 1) under the tanh-Gaussian policy (used by BC)."""
        mean, log_std = self.actor.apply(actor_params, obs)
        a = jnp.clip(actions, -1 + 1e-6, 1 - 1e-6)
        u = jnp.arctanh(a)
        gauss = -0.5 * (((u - mean) / jnp.exp(log_std)) ** 2) - log_std - 0.5 * jnp.log(2 * jnp.pi)
        return jnp.sum(gauss - jnp.log1p(-(a**2)), axis=-1)

    # ---------------------------------------------------------------- update
    def update(
        self,
        state: SACState,
        batch: Batch,
        key: jax.Array,
        reward_fn: RewardFn | None = None,
    ) -> tuple[SACState, dict[str, jax.Array]]:
        """One SAC update on ``batch`` (keys: obs, actions, rewards, next_obs, terminated).

        With ``reward_fn`` the batch's ``rewards`` are replaced, inside the jitted update, by
        ``reward_fn(batch['obs'], batch['actions'], key)`` (with the absorbing state's reward
        where the hook implements that treatment, see :func:`bellman_target`).
        """
        return self._update(state, batch, key, as_traced(reward_fn))

    def _update_impl(self, state: SACState, batch: Batch, key, reward_fn):
        k_reward, k_next, k_actor = jax.random.split(key, 3)
        obs, actions = batch["obs"], batch["actions"]
        if reward_fn is None:
            rewards, absorbing_reward = batch["rewards"], None
        else:
            rewards, absorbing_reward = relabel(reward_fn, obs, actions, k_reward)
        obs, next_obs = self.encode(state, obs), self.encode(state, batch["next_obs"])
        alpha = jnp.exp(state.log_alpha)

        # Critic: soft Bellman target from the target network; time limits are not terminal.
        next_v = self.soft_value(
            state.actor_params, state.target_critic_params, next_obs, alpha, k_next
        )
        target = bellman_target(
            rewards,
            jnp.min(next_v, axis=0),
            batch["terminated"],
            self.config.discount,
            absorbing_reward,
        )
        target = jax.lax.stop_gradient(target)

        def critic_loss(params):
            q = self.critic.apply(params, obs, actions)
            return jnp.sum(jnp.mean((q - target[None]) ** 2, axis=1)), q

        (c_loss, q), c_grads = jax.value_and_grad(critic_loss, has_aux=True)(state.critic_params)
        c_updates, critic_opt = self.critic_tx.update(
            c_grads, state.critic_opt, state.critic_params
        )
        critic_params = optax.apply_updates(state.critic_params, c_updates)
        metrics = {
            "losses/critic": c_loss,
            "charts/q_mean": jnp.mean(q),
            "charts/reward_mean": jnp.mean(rewards),
        }
        if absorbing_reward is not None:
            metrics["charts/absorbing_reward"] = absorbing_reward
        return self.policy_update(state, critic_params, critic_opt, obs, k_actor, metrics)

    def soft_value(
        self, actor_params: Any, critic_params: Any, obs: jax.Array, alpha: jax.Array, key
    ) -> jax.Array:
        """``V(s) = Q(s, a) - alpha log pi(a|s)`` with one ``a ~ pi(.|s)``, per critic: (2, B).

        Gradients flow into ``critic_params`` only; the sampled action is a constant.
        """
        mean, log_std = self.actor.apply(actor_params, obs)
        a, logp = jax.lax.stop_gradient(sample_tanh_gaussian(mean, log_std, key))
        return self.critic.apply(critic_params, obs, a) - alpha * logp[None]

    def policy_update(
        self,
        state: SACState,
        critic_params: Any,
        critic_opt: Any,
        obs: jax.Array,
        key: jax.Array,
        metrics: dict[str, jax.Array],
    ) -> tuple[SACState, dict[str, jax.Array]]:
        """Actor, temperature and target-network steps after a critic step; the new state.

        Shared by every critic objective (SAC's Bellman regression, IQ-Learn's inverse one):
        the actor maximises ``min Q - alpha log pi`` on ``obs`` against the new critic.
        """
        cfg = self.config
        alpha = jnp.exp(state.log_alpha)

        # Actor against the freshly updated critic (pytorch_sac order).
        def actor_loss(params):
            m, ls = self.actor.apply(params, obs)
            a, logp = sample_tanh_gaussian(m, ls, key)
            q_pi = jnp.min(self.critic.apply(critic_params, obs, a), axis=0)
            return jnp.mean(alpha * logp - q_pi), logp

        (a_loss, logp), a_grads = jax.value_and_grad(actor_loss, has_aux=True)(state.actor_params)
        a_updates, actor_opt = self.actor_tx.update(a_grads, state.actor_opt, state.actor_params)
        actor_params = optax.apply_updates(state.actor_params, a_updates)

        # Temperature towards the target entropy.
        entropy_gap = jax.lax.stop_gradient(-logp - self.target_entropy)

        def alpha_loss(log_alpha):
            return jnp.mean(jnp.exp(log_alpha) * entropy_gap)

        t_loss, t_grad = jax.value_and_grad(alpha_loss)(state.log_alpha)
        t_update, alpha_opt = self.alpha_tx.update(t_grad, state.alpha_opt)
        log_alpha = optax.apply_updates(state.log_alpha, t_update)

        # Polyak averaging every `target_update_period` updates.
        step = state.step + 1
        do_target = (step % cfg.target_update_period) == 0
        target_params = jax.tree.map(
            lambda t, p: jnp.where(do_target, (1 - cfg.tau) * t + cfg.tau * p, t),
            state.target_critic_params,
            critic_params,
        )
        new_state = state.replace(  # keeps the fields a subclass's state adds
            actor_params=actor_params,
            critic_params=critic_params,
            target_critic_params=target_params,
            log_alpha=log_alpha,
            actor_opt=actor_opt,
            critic_opt=critic_opt,
            alpha_opt=alpha_opt,
            step=step,
        )
        metrics = {
            **metrics,
            "losses/actor": a_loss,
            "losses/temperature": t_loss,
            "charts/temperature": alpha,
            "charts/entropy": -jnp.mean(logp),
        }
        return new_state, metrics


# Jitted (update, act) pairs by compile key, least recently used first; bounded like DreamerV3's
# cache of cores, since each entry keeps the first object of its key (and its compiled code).
_COMPILED: OrderedDict[Hashable, tuple[Callable, Callable]] = OrderedDict()
_COMPILED_MAX = 16


def _compiled(agent: SAC) -> tuple[Callable, Callable]:
    """The jitted ``(update, act)`` of ``agent``'s compile key.

    ``jax.jit(agent._update_impl)`` closes over ``agent``: made per object, every new SAC (each
    test, evaluation, reload, expert) compiled the same update again. Made once per key from the
    first object with that key, they are shared by all objects with an equal key, whose traces
    are the same computation: the results are bit-identical, only the compiling is saved.
    """
    key = agent.compile_key()
    try:
        hash(key)
    except TypeError:  # a config with an unhashable field: no sharing, as before
        key = None
    fns = _COMPILED.pop(key, None) if key is not None else None
    if fns is None:
        fns = (
            jax.jit(agent._update_impl),
            jax.jit(agent._act_impl, static_argnames="deterministic"),
        )
    if key is not None:
        _COMPILED[key] = fns  # now the most recently used
        while len(_COMPILED) > _COMPILED_MAX:
            _COMPILED.popitem(last=False)
    return fns


def bellman_target(
    rewards: jax.Array,
    next_value: jax.Array,
    terminated: jax.Array,
    discount: float,
    absorbing_reward: jax.Array | None = None,
) -> jax.Array:
    """``r + gamma (1 - done) V(s')``; time limits are not terminal (``terminated`` is 0 there).

    With the absorbing-state treatment (:mod:`smiling.termination`) a terminal transition leads
    to the absorbing state instead of nowhere: its target gains ``gamma V(s_a)``, with ``V(s_a)``
    the closed form :func:`~smiling.termination.absorbing_value` of ``absorbing_reward``.
    """
    target = rewards + discount * (1.0 - terminated) * next_value
    if absorbing_reward is None:
        return target
    return target + discount * terminated * absorbing_value(absorbing_reward, discount)
