"""Actor and critic learned in imagination (paper, section 3).

From every posterior state of the replayed batch, the world model's prior and the actor imagine
``horizon`` steps. The critic regresses lambda-returns of the imagined rewards (two-hot, with a
regulariser towards a slow EMA copy of itself); the actor maximises the same returns divided by
``max(1, S)``, ``S`` an EMA of their 5th-95th percentile range, plus an entropy bonus.

Continuous actions: a Gaussian with mean ``tanh(m)`` and std in ``[min_std, max_std]``; the
sample is clipped to [-1, 1], its gradient either straight through the clip
(``clip_gradient="straight_through"``) or the clip's own (``"exact"``, zero past the bounds).
``actor_grad="backprop"`` differentiates the returns through the learned dynamics (the 2023
paper's choice for continuous actions); ``"reinforce"`` uses the score-function gradient with
the critic as baseline (later versions' choice for every action space).
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from smiling.rl.dreamerv3.distributions import (
    lambda_returns,
    sample_onehot,
    twohot_loss,
    twohot_mean,
    update_return_scale,
)
from smiling.rl.dreamerv3.networks import MLP
from smiling.rl.dreamerv3.world_model import WorldModel, feature
from smiling.rl.dreamerv3_config import CLIP_GRADIENTS  # noqa: F401 - re-exported: it was here

sg = jax.lax.stop_gradient


class Actor(nn.Module):
    """``feat -> (mean, std)`` of a Gaussian over actions in [-1, 1]."""

    act_dim: int
    hidden: int
    layers: int
    min_std: float
    max_std: float

    @nn.compact
    def __call__(self, feat: jax.Array) -> tuple[jax.Array, jax.Array]:
        m, s = jnp.split(MLP(self.hidden, self.layers, 2 * self.act_dim)(feat), 2, -1)
        std = (self.max_std - self.min_std) * jax.nn.sigmoid(s + 2.0) + self.min_std
        return jnp.tanh(m), std


class Critic(nn.Module):
    """``feat -> logits`` over the two-hot bins of ``symlog(return)``; starts at zero."""

    hidden: int
    layers: int
    bins: int

    @nn.compact
    def __call__(self, feat: jax.Array) -> jax.Array:
        return MLP(self.hidden, self.layers, self.bins, zero_out=True)(feat)


def sample_action(
    mean: jax.Array, std: jax.Array, key: jax.Array, clip_gradient: str = "straight_through"
) -> tuple[jax.Array, jax.Array]:
    """``(action, raw)``: a Gaussian sample ``raw`` and its clip to [-1, 1].

    ``"straight_through"``: the action's gradient is the unclipped sample's, so backprop never
    sees a flat zero; but it is biased where the policy presses against a bound: a sample past
    +1 still "gains" from a larger std when the return rises with the action, so on bang-bang
    tasks the std is pushed to its maximum. ``"exact"``: the clip's own derivative (zero past the
    bounds), the unbiased reparameterised gradient of the expected return of clipped actions.
    """
    raw = mean + std * jax.random.normal(key, mean.shape)
    if clip_gradient == "exact":
        return jnp.clip(raw, -1.0, 1.0), raw
    return raw + sg(jnp.clip(raw, -1.0, 1.0) - raw), raw


def gaussian_log_prob(x: jax.Array, mean: jax.Array, std: jax.Array) -> jax.Array:
    return jnp.sum(-0.5 * ((x - mean) / std) ** 2 - jnp.log(std) - 0.5 * jnp.log(2 * jnp.pi), -1)


def gaussian_entropy(std: jax.Array) -> jax.Array:
    return jnp.sum(jnp.log(std) + 0.5 * jnp.log(2 * jnp.pi * jnp.e), -1)


def imagine(
    wm: WorldModel,
    wm_params: Any,
    actor: Actor,
    actor_params: Any,
    h: jax.Array,
    z: jax.Array,
    horizon: int,
    key: jax.Array,
    clip_gradient: str = "straight_through",
) -> dict[str, jax.Array]:
    """Roll the prior and the actor ``horizon`` steps from states ``(h, z)`` of shape (N, ...);
    the actor acts on each state with its gradient stopped.
    Returns time-major ``feat`` (H+1, N, F) and, per step taken, ``action``, ``raw``,
    ``mean``, ``std`` (H, N, A)."""

    def step(carry, k):
        h, z = carry
        k_act, k_z = jax.random.split(k)
        # The actor sees the imagined state held fixed (the paper's authors' code does the same):
        # the return reaches its parameters through each action and the dynamics that follow
        # it, not through the chain of later actions reacting to the states it shaped (a product
        # of the GRU's and the policy's Jacobians over up to 15 steps, which can blow up).
        mean, std = actor.apply(actor_params, sg(feature(h, z)))
        action, raw = sample_action(mean, std, k_act, clip_gradient)
        h = wm.apply(wm_params, h, z, action, method=WorldModel.step)
        z = sample_onehot(wm.apply(wm_params, h, method=WorldModel.prior), k_z)
        return (h, z), (feature(h, z), action, raw, mean, std)

    _, (feats, action, raw, mean, std) = jax.lax.scan(step, (h, z), jax.random.split(key, horizon))
    feats = jnp.concatenate([feature(h, z)[None], feats], 0)
    return {"feat": feats, "action": action, "raw": raw, "mean": mean, "std": std}


def actor_loss(
    actor_params: Any,
    *,
    wm: WorldModel,
    wm_params: Any,
    actor: Actor,
    critic: Critic,
    critic_params: Any,
    h: jax.Array,
    z: jax.Array,
    start_continue: jax.Array,
    return_scale: jax.Array,
    key: jax.Array,
    centres: jax.Array,
    horizon: int,
    discount: float,
    lam: float,
    entropy: float,
    scale_decay: float,
    actor_grad: str,
    clip_gradient: str = "straight_through",
    terminal_value: jax.Array | None = None,
) -> tuple[jax.Array, dict[str, Any]]:
    """The actor's loss on an imagined rollout; its aux holds what the critic trains on (the
    trajectory's features, returns and weights, all constants) and the new return scale.

    ``terminal_value``: the absorbing state's value (:mod:`smiling.termination`); an imagined
    step that ends the episode (continue ``c``) then also earns ``discount (1 - c) V(s_a)``."""
    traj = imagine(wm, wm_params, actor, actor_params, h, z, horizon, key, clip_gradient)
    feats = traj["feat"]
    _, reward_logits, cont_logit = wm.apply(wm_params, feats[1:], method=WorldModel.heads)
    rewards = twohot_mean(reward_logits, centres)
    conts = jax.nn.sigmoid(cont_logit)
    if terminal_value is not None:
        rewards = rewards + discount * (1.0 - conts) * terminal_value
    values = twohot_mean(critic.apply(critic_params, feats), centres)
    returns = lambda_returns(rewards, conts, values[1:], discount, lam)
    # Weight of step i: the model's probability that the imagined episode is still running.
    alive = jnp.concatenate([start_continue[None], conts[:-1]], 0)
    weights = sg(jnp.cumprod(alive, 0))
    new_scale = update_return_scale(return_scale, sg(returns), scale_decay)
    norm = jnp.maximum(1.0, new_scale)
    advantage = (returns - sg(values[:-1])) / norm
    if actor_grad == "backprop":
        objective, std = advantage, traj["std"]
    else:
        # The score-function gradient is the policy's at the imagined states, held fixed: through
        # the states (which earlier actions shaped) it would add a term with no place in it.
        mean, std = actor.apply(actor_params, sg(feats[:-1]))
        objective = gaussian_log_prob(sg(traj["raw"]), mean, std) * sg(advantage)
    ent = gaussian_entropy(std)
    loss = -jnp.mean(weights * (objective + entropy * ent))
    aux = {
        "feat": sg(feats[:-1]),
        "returns": sg(returns),
        "weights": weights,
        "scale": new_scale,
        "metrics": {
            "losses/actor": loss,
            "charts/imag_reward": jnp.mean(rewards),
            "charts/imag_return": jnp.mean(returns),
            "charts/return_scale": new_scale,
            "charts/entropy": jnp.mean(ent),
        },
    }
    return loss, aux


def critic_loss(
    critic_params: Any,
    *,
    critic: Critic,
    slow_params: Any,
    feat: jax.Array,
    returns: jax.Array,
    weights: jax.Array,
    centres: jax.Array,
    slow_reg: float,
) -> tuple[jax.Array, jax.Array]:
    """Two-hot regression of the lambda-returns, plus the same towards the slow critic's
    prediction (keeps the critic from chasing its own noisy bootstraps)."""
    logits = critic.apply(critic_params, feat)
    slow = sg(twohot_mean(critic.apply(slow_params, feat), centres))
    per_step = twohot_loss(logits, returns, centres) + slow_reg * twohot_loss(logits, slow, centres)
    return jnp.mean(weights * per_step), jnp.mean(twohot_mean(logits, centres))
