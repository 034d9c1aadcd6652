"""The world model: an RSSM with discrete latents, its heads, and its loss (paper, section 2).

The latent state is ``(h_t, z_t)``: ``h_t = f(h_{t-1}, z_{t-1}, a_{t-1})`` is deterministic (a
LayerNorm GRU), ``z_t`` is ``stoch`` categoricals of ``classes`` classes (one-hot samples with
straight-through gradients, 1% uniform mixed in). The posterior ``q(z_t | h_t, x_t)`` sees the
observation, the prior ``p(z_t | h_t)`` does not; imagination runs on the prior alone. Heads on
``feat = [h_t, z_t]`` predict ``symlog(x_t)`` (squared error), the reward received on arriving at
``x_t`` (two-hot in symlog space) and whether the episode continues (Bernoulli).

The loss is ``L_pred + dyn_scale * L_dyn + rep_scale * L_rep`` (KL balancing with free bits).
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from smiling.rl.dreamerv3.distributions import (
    kl_losses,
    mode_onehot,
    sample_onehot,
    symlog,
    twohot_loss,
    twohot_mean,
    unimix_logits,
)
from smiling.rl.dreamerv3.networks import MLP, NormGRUCell


class WorldModel(nn.Module):
    """Encoder, RSSM and heads; call its methods through ``apply(..., method=...)``."""

    obs_dim: int
    deter: int
    hidden: int
    layers: int
    stoch: int
    classes: int
    bins: int
    unimix: float

    def setup(self) -> None:
        self.encoder = MLP(self.hidden, self.layers)
        self.img_in = MLP(self.hidden, 1)
        self.gru = NormGRUCell(self.deter)
        self.prior_net = MLP(self.hidden, 1, self.stoch * self.classes)
        self.post_net = MLP(self.hidden, 1, self.stoch * self.classes)
        self.decoder = MLP(self.hidden, self.layers, self.obs_dim)
        self.reward_head = MLP(self.hidden, self.layers, self.bins, zero_out=True)
        self.cont_head = MLP(self.hidden, self.layers, 1)

    def __call__(self, h, z, action, obs):
        """One filtering step and the heads (touches every parameter, for ``init``)."""
        h = self.step(h, z, action)
        post = self.posterior(h, self.encode(obs))
        prior = self.prior(h)
        return self.heads(feature(h, post + prior))

    def encode(self, obs: jax.Array) -> jax.Array:
        return self.encoder(symlog(obs))

    def step(self, h: jax.Array, z: jax.Array, action: jax.Array) -> jax.Array:
        """The sequence model ``h_t = f(h_{t-1}, z_{t-1}, a_{t-1})``."""
        z_flat = z.reshape(*z.shape[:-2], -1)
        return self.gru(h, self.img_in(jnp.concatenate([z_flat, action], -1)))

    def _logits(self, raw: jax.Array) -> jax.Array:
        raw = raw.reshape(*raw.shape[:-1], self.stoch, self.classes)
        return unimix_logits(raw, self.unimix)

    def prior(self, h: jax.Array) -> jax.Array:
        return self._logits(self.prior_net(h))

    def posterior(self, h: jax.Array, embed: jax.Array) -> jax.Array:
        return self._logits(self.post_net(jnp.concatenate([h, embed], -1)))

    def heads(self, feat: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        """Decoded ``symlog(x)``, reward logits over the bins, continue logit."""
        return self.decoder(feat), self.reward_head(feat), self.cont_head(feat)[..., 0]


def feature(h: jax.Array, z: jax.Array) -> jax.Array:
    """``[h, flat(z)]``, what every head and the actor and critic read."""
    return jnp.concatenate([h, z.reshape(*z.shape[:-2], -1)], -1)


def filter_step(
    model: WorldModel,
    params: Any,
    h: jax.Array,
    z: jax.Array,
    prev_action: jax.Array,
    embed: jax.Array,
    is_first: jax.Array,
    key: jax.Array | None,
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """One posterior step: reset the state where an episode starts, advance, read the
    observation. ``key=None`` takes the posterior's mode (deterministic acting).
    Returns ``(h, z, post_logits, prior_logits)``."""
    keep = (1.0 - is_first)[..., None]
    h, z, prev_action = h * keep, z * keep[..., None], prev_action * keep
    h = model.apply(params, h, z, prev_action, method=WorldModel.step)
    post = model.apply(params, h, embed, method=WorldModel.posterior)
    prior = model.apply(params, h, method=WorldModel.prior)
    z = mode_onehot(post) if key is None else sample_onehot(post, key)
    return h, z, post, prior


def observe(
    model: WorldModel, params: Any, batch: dict[str, jax.Array], key: jax.Array
) -> dict[str, jax.Array]:
    """Posterior states along replayed sequences ``(B, T, ...)``, from a zero state at each
    sequence's start (the first step counts as an episode start)."""
    obs, actions = batch["obs"], batch["actions"]
    b, t = obs.shape[:2]
    embed = model.apply(params, obs, method=WorldModel.encode)
    is_first = batch["is_first"].at[:, 0].set(1.0)
    h0 = jnp.zeros((b, model.deter))
    z0 = jnp.zeros((b, model.stoch, model.classes))
    keys = jax.random.split(key, t)

    def step(carry, inputs):
        h, z = carry
        a, e, first, k = inputs
        h, z, post, prior = filter_step(model, params, h, z, a, e, first, k)
        return (h, z), (h, z, post, prior)

    time_major = (jnp.swapaxes(actions, 0, 1), jnp.swapaxes(embed, 0, 1), is_first.T, keys)
    _, (h, z, post, prior) = jax.lax.scan(step, (h0, z0), time_major)
    to_batch = lambda x: jnp.swapaxes(x, 0, 1)  # noqa: E731
    return {"h": to_batch(h), "z": to_batch(z), "post": to_batch(post), "prior": to_batch(prior)}


def world_model_loss(
    model: WorldModel,
    params: Any,
    batch: dict[str, jax.Array],
    rewards: jax.Array,
    key: jax.Array,
    centres: jax.Array,
    free_nats: float,
    dyn_scale: float,
    rep_scale: float,
) -> tuple[jax.Array, tuple[dict[str, jax.Array], dict[str, jax.Array]]]:
    """The world model's loss on a batch of sequences with ``rewards`` (B, T) as the reward
    targets (the relabelled ones); returns the loss, the posterior states and metrics."""
    states = observe(model, params, batch, key)
    feat = feature(states["h"], states["z"])
    recon, reward_logits, cont_logit = model.apply(params, feat, method=WorldModel.heads)
    decoder = jnp.sum((recon - symlog(batch["obs"])) ** 2, -1)
    reward = twohot_loss(reward_logits, rewards, centres)
    cont_target = 1.0 - batch["is_terminal"]
    cont = -(
        cont_target * jax.nn.log_sigmoid(cont_logit)
        + (1.0 - cont_target) * jax.nn.log_sigmoid(-cont_logit)
    )
    dyn, rep, kl = kl_losses(states["post"], states["prior"], free_nats)
    loss = jnp.mean(decoder + reward + cont + dyn_scale * dyn + rep_scale * rep)
    metrics = {
        "losses/wm": loss,
        "losses/decoder": jnp.mean(decoder),
        "losses/reward": jnp.mean(reward),
        "losses/continue": jnp.mean(cont),
        "charts/kl": jnp.mean(kl),
        "charts/reward_error": jnp.mean(jnp.abs(twohot_mean(reward_logits, centres) - rewards)),
    }
    return loss, (states, metrics)
