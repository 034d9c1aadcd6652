"""SimBa: SAC with pre-LayerNorm residual networks and running observation normalisation.

SimBa (Lee et al., "SimBa: Simplicity Bias for Scaling Up Parameters in Deep Reinforcement
Learning", ICLR 2025) keeps SAC's objective and changes what the networks see and are:

- **Running observation normalisation.** Every observation the agent is trained on updates a
  running mean and variance (:class:`ObsNorm`); actor and critics see ``(s - mean) / std``.
  The statistics are agent state: checkpointed, resumed exactly, and used identically when
  acting, updating, evaluating and collecting demonstrations (they travel with the actor in
  :meth:`Simba.policy_bytes`). The imitation reward never sees them: the reward hook receives
  the environment's states (:meth:`smiling.rl.sac.SAC.encode` is applied after relabelling).
- **Residual networks.** A linear embedding to ``width``, ``blocks`` pre-LayerNorm residual
  blocks ``x + W2 relu(W1 LN(x))`` (inner width ``4 * width``), a final LayerNorm, a linear head:
  the block keeps an identity path, so depth and width add capacity without losing the
  simplicity bias that makes larger SAC networks trainable.
- **AdamW** with weight decay on the kernels, and more updates per decision
  (``updates_per_step``) where the budget allows.

Everything else (the tanh-Gaussian actor, clipped double Q, the temperature, target networks, the
absorbing-state treatment, the reward hook) is :class:`~smiling.rl.sac.SAC`'s own, so every
method that drives SAC drives SimBa.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from typing import Any, ClassVar

import flax
import flax.linen as nn
import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax

from smiling.rl.networks import tanh_gaussian_head
from smiling.rl.sac import SAC, SACState
from smiling.rl.simba_config import (  # their home: JAX-free, for the command line
    PRESETS,  # noqa: F401 - re-exported
    SIMBA_ENTRY,  # noqa: F401 - re-exported
    SimbaConfig,
)

NORM_EPS = 1e-8  # added to the variance before the square root
NORM_PRIOR = 1e-4  # the prior's weight: mean 0, variance 1 before any observation


class ResidualBlock(nn.Module):
    """``x + W2 relu(W1 LN(x))``, inner width ``4 * width``: the identity path carries the
    input through, so a deeper network starts as a shallower one."""

    width: int

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        y = nn.LayerNorm()(x)
        y = nn.relu(nn.Dense(4 * self.width, kernel_init=nn.initializers.he_normal())(y))
        return x + nn.Dense(self.width, kernel_init=nn.initializers.he_normal())(y)


class ResidualMLP(nn.Module):
    """Linear embedding, ``blocks`` residual blocks, a final LayerNorm and a linear head."""

    width: int
    blocks: int
    out: int

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        init = nn.initializers.orthogonal()
        x = nn.Dense(self.width, kernel_init=init)(x)
        for _ in range(self.blocks):
            x = ResidualBlock(self.width)(x)
        return nn.Dense(self.out, kernel_init=init)(nn.LayerNorm()(x))


class ResidualActor(nn.Module):
    """The tanh-Gaussian actor (SAC's head) on a residual trunk."""

    width: int
    blocks: int
    act_dim: int
    log_std_min: float
    log_std_max: float

    @nn.compact
    def __call__(self, obs: jax.Array) -> tuple[jax.Array, jax.Array]:
        out = ResidualMLP(self.width, self.blocks, 2 * self.act_dim)(obs)
        return tanh_gaussian_head(out, self.log_std_min, self.log_std_max)


class ResidualCritics(nn.Module):
    """``critics`` independent residual Q networks on ``[s, a]`` (output ``(critics, B)``; SAC's
    targets and actor take the minimum over the first axis)."""

    width: int
    blocks: int
    critics: int = 2

    @nn.compact
    def __call__(self, obs: jax.Array, act: jax.Array) -> jax.Array:
        x = jnp.concatenate([obs, act], axis=-1)
        heads = [ResidualMLP(self.width, self.blocks, 1)(x)[..., 0] for _ in range(self.critics)]
        return jnp.stack(heads)


@flax.struct.dataclass
class SimbaState(SACState):
    """SAC's state plus the running observation statistics (float64 NumPy, updated outside the
    jitted update so that they are exact and cost no compilation)."""

    obs_mean: Any
    obs_var: Any
    obs_count: Any


def update_moments(
    mean: np.ndarray, var: np.ndarray, count: float, batch: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Mean and (population) variance of everything seen so far, given those of the past and
    a new batch of rows: the parallel form of Welford's update, exact in float64."""
    batch = np.asarray(batch, np.float64).reshape(-1, mean.shape[0])
    n = batch.shape[0]
    total = count + n
    delta = batch.mean(axis=0) - mean
    m2 = var * count + batch.var(axis=0) * n + delta**2 * count * n / total
    return mean + delta * n / total, m2 / total, total


class Simba(SAC):
    """SAC with SimBa's networks and observation normalisation (an ``Agent``)."""

    name: ClassVar[str] = "simba"
    config: SimbaConfig

    def __init__(self, obs_dim: int, act_dim: int, config: SimbaConfig):
        super().__init__(obs_dim, act_dim, config)
        if config.target_entropy is None:
            self.target_entropy = config.entropy_per_action * act_dim
        self._act_encoded = jax.jit(self._act_encoded_impl, static_argnames="deterministic")

    def compile_key(self) -> Hashable | None:
        """SimBa's traced code reads only what its config fixes: equal configs share it."""
        if type(self) is not Simba:
            return None
        return (Simba, self.obs_dim, self.act_dim, self.config)

    def networks(self) -> tuple[nn.Module, nn.Module]:
        cfg = self.config
        actor = ResidualActor(
            cfg.actor_width, cfg.actor_blocks, self.act_dim, cfg.log_std_min, cfg.log_std_max
        )
        return actor, ResidualCritics(cfg.critic_width, cfg.critic_blocks, cfg.critics)

    def optimizer(self, lr: float) -> optax.GradientTransformation:
        """AdamW, decaying kernels only (not biases or LayerNorm scales)."""

        def kernels(params: Any) -> Any:
            return jax.tree_util.tree_map_with_path(
                lambda path, _: getattr(path[-1], "key", None) == "kernel", params
            )

        return optax.adamw(lr, weight_decay=self.config.weight_decay, mask=kernels)

    # ----------------------------------------------------------------- state
    def init(self, key: jax.Array) -> SimbaState:
        sac = super().init(key)
        fields = {f.name: getattr(sac, f.name) for f in dataclasses.fields(sac)}
        return SimbaState(
            **fields,
            obs_mean=np.zeros(self.obs_dim),
            obs_var=np.ones(self.obs_dim),
            obs_count=np.asarray(NORM_PRIOR),
        )

    def observe(self, state: SimbaState, obs: np.ndarray) -> SimbaState:
        """Fold ``obs`` (one observation or a batch) into the running statistics."""
        mean, var, count = update_moments(
            state.obs_mean, state.obs_var, float(state.obs_count), obs
        )
        return state.replace(obs_mean=mean, obs_var=var, obs_count=np.asarray(count))

    def encode(self, state: SimbaState, obs: jax.Array) -> jax.Array:
        return normalize(obs, state.obs_mean, state.obs_var)

    def update(self, state: SimbaState, batch, key, reward_fn=None):
        """SAC's update on normalised observations; the statistics pass through unchanged
        (the jitted update would return them in float32)."""
        new, metrics = super().update(state, batch, key, reward_fn)
        return self._keep_stats(new, state), metrics

    @staticmethod
    def _keep_stats(new: SimbaState, old: SimbaState) -> SimbaState:
        return new.replace(obs_mean=old.obs_mean, obs_var=old.obs_var, obs_count=old.obs_count)

    def to_bytes(self, state: SimbaState) -> bytes:
        return flax.serialization.to_bytes(state)

    def from_bytes(self, data: bytes) -> SimbaState:
        return flax.serialization.from_bytes(self.init(jax.random.PRNGKey(0)), data)

    WEIGHTS: ClassVar[tuple[str, ...]] = (*SAC.WEIGHTS, "obs_mean", "obs_var", "obs_count")

    def policy_bytes(self, state: SimbaState) -> bytes:
        """The actor and the statistics it acts with."""
        return flax.serialization.to_bytes(_policy_part(state))

    def load_policy(self, data: bytes) -> SimbaState:
        state = self.init(jax.random.PRNGKey(0))
        part = flax.serialization.from_bytes(_policy_part(state), data)
        return state.replace(**part)

    # ---------------------------------------------------------------- acting
    def act(self, state: SimbaState, obs, key, carry=None, deterministic: bool = False):
        """The policy's action(s) for raw ``obs``, normalised with the state's statistics."""
        action = self._act_encoded(
            state.actor_params, state.obs_mean, state.obs_var, jnp.asarray(obs), key, deterministic
        )
        return np.asarray(action), None

    def _act_encoded_impl(self, actor_params, mean, var, obs, key, deterministic: bool):
        return self._act_impl(actor_params, normalize(obs, mean, var), key, deterministic)


def normalize(obs: jax.Array, mean: Any, var: Any) -> jax.Array:
    """``(obs - mean) / sqrt(var + eps)`` in float32, the same arithmetic wherever it runs."""
    mean = jnp.asarray(mean, jnp.float32)
    var = jnp.asarray(var, jnp.float32)
    return (obs - mean) / jnp.sqrt(var + NORM_EPS)


def _policy_part(state: SimbaState) -> dict[str, Any]:
    return {
        "actor_params": state.actor_params,
        "obs_mean": state.obs_mean,
        "obs_var": state.obs_var,
        "obs_count": state.obs_count,
    }
