"""DreamerV3 behind the :class:`smiling.rl.agent.Agent` protocol: config, presets, the agent.

One train step (relabelling, world model, imagination, actor, critic, slow critic, return scale)
is one jitted function of ``(state, batch, key, reward_fn)``. The jitted functions are built once
per ``(obs_dim, act_dim, config)`` and shared by every agent of that shape, so the many learners
a sweep or a test suite makes compile once.

Reward alignment (relabelling): the reward head at ``(h_t, z_t)`` predicts the reward received on
arriving at ``x_t``, i.e. that of the transition ``(x_{t-1}, a_{t-1}) -> x_t``. SAC credits its
transition ``(s, a, r, s')`` with ``reward_fn(s, a)``; so row ``t`` is relabelled with
``reward_fn(x_{t-1}, a_{t-1})`` (the batch's ``prev_obs`` and ``actions``), and an episode's first
row, reached by no transition, gets 0. Both learners therefore see the same reward for the same
transition.
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

import flax
import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax

from smiling.rewards import RewardFn, as_traced, relabel
from smiling.rl.agent import Batch, weights_only, with_weights
from smiling.rl.dreamerv3.behavior import (
    Actor,
    Critic,
    actor_loss,
    critic_loss,
)
from smiling.rl.dreamerv3.distributions import bins
from smiling.rl.dreamerv3.replay import SequenceReplay
from smiling.rl.dreamerv3.world_model import WorldModel, feature, filter_step, world_model_loss
from smiling.rl.dreamerv3_config import (  # their home: JAX-free, for the command line
    DREAMERV3_ENTRY,  # noqa: F401 - re-exported
    PRESETS,  # noqa: F401 - re-exported
    DreamerV3Config,
)
from smiling.termination import absorbing_value

sg = jax.lax.stop_gradient


@flax.struct.dataclass
class DreamerV3State:
    """Everything DreamerV3 learns: networks, optimiser states, slow critic, return scale."""

    wm_params: Any
    actor_params: Any
    critic_params: Any
    slow_critic_params: Any
    wm_opt: Any
    actor_opt: Any
    critic_opt: Any
    return_scale: jax.Array
    step: jax.Array


class _Core:
    """The networks, optimisers and jitted functions of one ``(obs_dim, act_dim, config)``."""

    def __init__(self, obs_dim: int, act_dim: int, config: DreamerV3Config):
        c = config
        self.obs_dim, self.act_dim, self.config = obs_dim, act_dim, c
        self.wm = WorldModel(
            obs_dim, c.deter, c.hidden, c.layers, c.stoch, c.classes, c.bins, c.unimix
        )
        self.actor = Actor(act_dim, c.hidden, c.layers, c.min_std, c.max_std)
        self.critic = Critic(c.hidden, c.layers, c.bins)
        self.wm_tx = _clipped_adam(c.wm_lr, c.wm_eps, c.wm_clip)
        self.actor_tx = _clipped_adam(c.ac_lr, c.ac_eps, c.ac_clip)
        self.critic_tx = _clipped_adam(c.critic_lr, c.ac_eps, c.ac_clip)
        self.centres = bins(c.bins)
        self.update = jax.jit(self._update_impl)
        self.act = jax.jit(self._act_impl, static_argnames="deterministic")
        self.init = jax.jit(self._init_impl)

    def _init_impl(self, key: jax.Array) -> DreamerV3State:
        c = self.config
        k_wm, k_actor, k_critic = jax.random.split(key, 3)
        h = jnp.zeros((1, c.deter))
        z = jnp.zeros((1, c.stoch, c.classes))
        a = jnp.zeros((1, self.act_dim))
        wm_params = self.wm.init(k_wm, h, z, a, jnp.zeros((1, self.obs_dim)))
        feat = feature(h, z)
        actor_params = self.actor.init(k_actor, feat)
        critic_params = self.critic.init(k_critic, feat)
        return DreamerV3State(
            wm_params=wm_params,
            actor_params=actor_params,
            critic_params=critic_params,
            slow_critic_params=critic_params,
            wm_opt=self.wm_tx.init(wm_params),
            actor_opt=self.actor_tx.init(actor_params),
            critic_opt=self.critic_tx.init(critic_params),
            return_scale=jnp.zeros((), jnp.float32),
            step=jnp.zeros((), jnp.int32),
        )

    def relabel(
        self, batch: Batch, key: jax.Array, reward_fn: RewardFn | None
    ) -> tuple[jax.Array, jax.Array | None]:
        """The rewards the world model learns (see the module docstring for the alignment),
        and the absorbing state's reward where the method treats early termination."""
        if reward_fn is None:
            return batch["rewards"], None
        b, t = batch["obs"].shape[:2]
        flat, absorbing_reward = relabel(
            reward_fn,
            batch["prev_obs"].reshape(b * t, -1),
            batch["actions"].reshape(b * t, -1),
            key,
        )
        return jnp.reshape(flat, (b, t)) * (1.0 - batch["is_first"]), absorbing_reward

    def _update_impl(self, state: DreamerV3State, batch: Batch, key, reward_fn):
        c = self.config
        k_reward, k_wm, k_ac = jax.random.split(key, 3)
        rewards, absorbing_reward = self.relabel(batch, k_reward, reward_fn)
        terminal_value = (
            None if absorbing_reward is None else absorbing_value(absorbing_reward, c.discount)
        )

        def wm_loss(params):
            return world_model_loss(
                self.wm, params, batch, rewards, k_wm, self.centres,
                c.free_nats, c.dyn_scale, c.rep_scale,
            )  # fmt: skip

        (_, (states, metrics)), grads = jax.value_and_grad(wm_loss, has_aux=True)(state.wm_params)
        updates, wm_opt = self.wm_tx.update(grads, state.wm_opt, state.wm_params)
        wm_params = optax.apply_updates(state.wm_params, updates)

        # Imagination starts from the batch's posterior states (constants here: all of them,
        # or ``imag_starts`` drawn without replacement), with the world model the posteriors
        # came from.
        n = batch["obs"].shape[0] * batch["obs"].shape[1]
        h = sg(states["h"]).reshape(n, c.deter)
        z = sg(states["z"]).reshape(n, c.stoch, c.classes)
        start_continue = 1.0 - batch["is_terminal"].reshape(n)
        if c.imag_starts:
            k_starts, k_ac = jax.random.split(k_ac)
            pick = jax.random.choice(k_starts, n, (c.imag_starts,), replace=False)
            h, z, start_continue = h[pick], z[pick], start_continue[pick]
        (_, aux), a_grads = jax.value_and_grad(actor_loss, has_aux=True)(
            state.actor_params,
            wm=self.wm, wm_params=state.wm_params, actor=self.actor, critic=self.critic,
            critic_params=state.critic_params, h=h, z=z,
            start_continue=start_continue,
            return_scale=state.return_scale, key=k_ac, centres=self.centres,
            horizon=c.horizon, discount=c.discount, lam=c.lam, entropy=c.entropy,
            terminal_value=terminal_value,
            scale_decay=c.return_scale_decay, actor_grad=c.actor_grad,
            clip_gradient=c.clip_gradient,
        )  # fmt: skip
        updates, actor_opt = self.actor_tx.update(a_grads, state.actor_opt, state.actor_params)
        actor_params = optax.apply_updates(state.actor_params, updates)

        (c_loss, value), c_grads = jax.value_and_grad(critic_loss, has_aux=True)(
            state.critic_params,
            critic=self.critic, slow_params=state.slow_critic_params, feat=aux["feat"],
            returns=aux["returns"], weights=aux["weights"], centres=self.centres,
            slow_reg=c.slow_reg,
        )  # fmt: skip
        updates, critic_opt = self.critic_tx.update(c_grads, state.critic_opt, state.critic_params)
        critic_params = optax.apply_updates(state.critic_params, updates)
        d = c.slow_critic_decay
        slow = jax.tree.map(
            lambda s, p: d * s + (1 - d) * p, state.slow_critic_params, critic_params
        )
        new_state = DreamerV3State(
            wm_params=wm_params,
            actor_params=actor_params,
            critic_params=critic_params,
            slow_critic_params=slow,
            wm_opt=wm_opt,
            actor_opt=actor_opt,
            critic_opt=critic_opt,
            return_scale=aux["scale"],
            step=state.step + 1,
        )
        metrics = {
            **metrics,
            **aux["metrics"],
            "losses/critic": c_loss,
            "charts/value": value,
            "charts/reward_mean": jnp.mean(rewards),
        }
        if absorbing_reward is not None:
            metrics["charts/absorbing_reward"] = absorbing_reward
        return new_state, metrics

    def _act_impl(self, wm_params, actor_params, obs, carry, key, deterministic: bool):
        h, z, prev_action = carry
        n = obs.shape[0]
        h = jnp.broadcast_to(h, (n, *h.shape[1:]))
        z = jnp.broadcast_to(z, (n, *z.shape[1:]))
        prev_action = jnp.broadcast_to(prev_action, (n, *prev_action.shape[1:]))
        k_z, k_a = jax.random.split(key)
        embed = self.wm.apply(wm_params, obs, method=WorldModel.encode)
        h, z, _, _ = filter_step(
            self.wm, wm_params, h, z, prev_action, embed, jnp.zeros(n),
            None if deterministic else k_z,
        )  # fmt: skip
        mean, std = self.actor.apply(actor_params, feature(h, z))
        if deterministic:
            action = mean
        else:
            action = jnp.clip(mean + std * jax.random.normal(k_a, mean.shape), -1.0, 1.0)
        return action, (h, z, action)


@functools.lru_cache(maxsize=16)
def _core(obs_dim: int, act_dim: int, config: DreamerV3Config) -> _Core:
    return _Core(obs_dim, act_dim, config)


class DreamerV3:
    """DreamerV3 as an ``Agent``: holds no learning state (``init`` makes a
    :class:`DreamerV3State`, ``update`` maps it to the next)."""

    name: ClassVar[str] = "dreamerv3"

    def __init__(self, obs_dim: int, act_dim: int, config: DreamerV3Config):
        self.obs_dim, self.act_dim, self.config = obs_dim, act_dim, config
        self.core = _core(obs_dim, act_dim, config)
        self._update = self.core.update

    # ----------------------------------------------------------------- state
    def init(self, key: jax.Array) -> DreamerV3State:
        return self.core.init(key)

    def to_bytes(self, state: DreamerV3State) -> bytes:
        return flax.serialization.to_bytes(state)

    def from_bytes(self, data: bytes) -> DreamerV3State:
        return flax.serialization.from_bytes(self.init(jax.random.PRNGKey(0)), data)

    # What a compact checkpoint keeps (the rest is rebuilt: see ``Agent.from_weights``).
    WEIGHTS: ClassVar[tuple[str, ...]] = (
        "wm_params", "actor_params", "critic_params", "return_scale", "step",
    )  # fmt: skip

    def weights_bytes(self, state: DreamerV3State) -> bytes:
        return weights_only(state, self.WEIGHTS)

    def from_weights(self, data: bytes) -> DreamerV3State:
        fresh = self.init(jax.random.PRNGKey(0))
        return with_weights(fresh, data, self.WEIGHTS, {"slow_critic_params": "critic_params"})

    def policy_bytes(self, state: DreamerV3State) -> bytes:
        """The world model (acting filters observations through it) and the actor."""
        return flax.serialization.to_bytes({"wm": state.wm_params, "actor": state.actor_params})

    def load_policy(self, data: bytes) -> DreamerV3State:
        state = self.init(jax.random.PRNGKey(0))
        template = {"wm": state.wm_params, "actor": state.actor_params}
        policy = flax.serialization.from_bytes(template, data)
        return state.replace(wm_params=policy["wm"], actor_params=policy["actor"])

    # ---------------------------------------------------------------- replay
    @property
    def warmup_steps(self) -> int:
        return self.config.warmup_steps

    def make_replay(self, budget: int) -> SequenceReplay:
        """Sequence replay of ``buffer_size`` rows, or room for the whole budget if smaller
        (an episode of n steps is n + 1 rows; twice the budget covers any episode length)."""
        return SequenceReplay(self.obs_dim, self.act_dim, min(self.config.buffer_size, 2 * budget))

    def sample(self, replay: SequenceReplay, rng: np.random.Generator) -> Batch:
        return replay.sample(self.config.batch_size, self.config.batch_length, rng)

    def _trained_by(self, env_steps: int) -> int:
        """Train steps due in total after ``env_steps``: one at the end of the warm-up, then
        one per ``batch_size * batch_length / train_ratio`` environment steps."""
        c = self.config
        if env_steps < c.warmup_steps:
            return 0
        return (env_steps - c.warmup_steps) * c.train_ratio // (c.batch_size * c.batch_length) + 1

    def updates_due(self, env_steps: int) -> int:
        return self._trained_by(env_steps) - self._trained_by(env_steps - 1)

    # ---------------------------------------------------------------- acting
    def observe(self, state: Any, obs: np.ndarray) -> Any:
        """DreamerV3 keeps no input statistics: ``state`` unchanged."""
        return state

    def initial_carry(self) -> tuple[jax.Array, jax.Array, jax.Array]:
        """``(h, z, previous action)`` at an episode's start: all zero, as the world model's
        state is reset where ``is_first`` is set in training."""
        c = self.config
        return (
            jnp.zeros((1, c.deter)),
            jnp.zeros((1, c.stoch, c.classes)),
            jnp.zeros((1, self.act_dim)),
        )

    def act(
        self,
        state: DreamerV3State,
        obs: np.ndarray,
        key: jax.Array,
        carry: Any = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, Any]:
        """Filter ``obs`` (one, or a batch) into the carried latent state and act from it."""
        carry = self.initial_carry() if carry is None else carry
        obs = np.asarray(obs, np.float32)
        single = obs.ndim == 1
        action, carry = self.core.act(
            state.wm_params, state.actor_params, jnp.asarray(obs[None] if single else obs),
            carry, key, deterministic=deterministic,
        )  # fmt: skip
        action = np.asarray(action)
        return (action[0] if single else action), carry

    # ---------------------------------------------------------------- update
    def update(
        self,
        state: DreamerV3State,
        batch: Batch,
        key: jax.Array,
        reward_fn: RewardFn | None = None,
    ) -> tuple[DreamerV3State, dict[str, jax.Array]]:
        """One train step on ``batch`` (``(B, T, ...)``: obs, prev_obs, actions, rewards,
        is_first, is_terminal); with ``reward_fn`` the rewards are relabelled inside it."""
        return self._update(state, batch, key, as_traced(reward_fn))


def _clipped_adam(lr: float, eps: float, clip: float) -> optax.GradientTransformation:
    """Adam after clipping the gradient's global norm: every DreamerV3 optimiser's shape."""
    return optax.chain(optax.clip_by_global_norm(clip), optax.adam(lr, eps=eps))
