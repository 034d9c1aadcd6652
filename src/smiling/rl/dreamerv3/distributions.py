"""The numerical pieces of DreamerV3 (Hafner et al., arXiv 2301.04104), as pure functions.

Each is small and tested on its own: the symlog squashing that makes one set of
hyper-parameters work across reward and observation scales, the two-hot discrete regression the
reward head and critic use, the unimix categorical with straight-through one-hot samples for the
stochastic latents, the KL balancing with free bits, lambda-returns, and the percentile return
scale the actor divides by.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def symlog(x: jax.Array) -> jax.Array:
    """``sign(x) ln(1 + |x|)``: compresses large magnitudes, identity-like near zero."""
    return jnp.sign(x) * jnp.log1p(jnp.abs(x))


def symexp(x: jax.Array) -> jax.Array:
    """The inverse of :func:`symlog`: ``sign(x) (exp(|x|) - 1)``."""
    return jnp.sign(x) * jnp.expm1(jnp.abs(x))


def bins(num: int, low: float = -20.0, high: float = 20.0) -> jax.Array:
    """``num`` bin centres spaced evenly in symlog space (the paper: 255 from -20 to 20)."""
    return jnp.linspace(low, high, num)


def twohot(y: jax.Array, centres: jax.Array) -> jax.Array:
    """Weights on the two bins around ``y`` (shape ``y.shape + (K,)``) whose expectation over
    ``centres`` is ``y`` exactly (``y`` clipped to the bins' range)."""
    y = jnp.clip(y, centres[0], centres[-1])
    k = jnp.clip(jnp.searchsorted(centres, y, side="right") - 1, 0, centres.shape[0] - 2)
    lo, hi = centres[k], centres[k + 1]
    w_hi = (y - lo) / (hi - lo)
    n = centres.shape[0]
    return (
        jax.nn.one_hot(k, n) * (1.0 - w_hi)[..., None] + jax.nn.one_hot(k + 1, n) * w_hi[..., None]
    )


def twohot_loss(logits: jax.Array, target: jax.Array, centres: jax.Array) -> jax.Array:
    """Cross-entropy of ``logits`` against the two-hot encoding of ``symlog(target)``."""
    weights = jax.lax.stop_gradient(twohot(symlog(target), centres))
    return -jnp.sum(weights * jax.nn.log_softmax(logits, axis=-1), axis=-1)


def twohot_mean(logits: jax.Array, centres: jax.Array) -> jax.Array:
    """The prediction of a two-hot head: ``symexp`` of the expected bin."""
    return symexp(jnp.sum(jax.nn.softmax(logits, axis=-1) * centres, axis=-1))


def unimix_logits(logits: jax.Array, mix: float) -> jax.Array:
    """Log-probabilities of ``(1 - mix) softmax(logits) + mix / classes`` over the last axis:
    a floor on every class's probability keeps the KL terms finite and gradients alive."""
    probs = jax.nn.softmax(logits, axis=-1)
    probs = (1.0 - mix) * probs + mix / logits.shape[-1]
    return jnp.log(probs)


def sample_onehot(logits: jax.Array, key: jax.Array) -> jax.Array:
    """A one-hot sample whose gradient is that of the probabilities (straight-through):
    the forward value is the discrete sample, the backward pass sees ``softmax(logits)``."""
    probs = jax.nn.softmax(logits, axis=-1)
    idx = jax.random.categorical(key, logits, axis=-1)
    onehot = jax.nn.one_hot(idx, logits.shape[-1], dtype=probs.dtype)
    return onehot + probs - jax.lax.stop_gradient(probs)


def mode_onehot(logits: jax.Array) -> jax.Array:
    """The most likely class as a one-hot (acting deterministically)."""
    return jax.nn.one_hot(jnp.argmax(logits, axis=-1), logits.shape[-1])


def categorical_kl(p_logits: jax.Array, q_logits: jax.Array) -> jax.Array:
    """``KL[p || q]`` of independent categoricals (``(..., stoch, classes)``), summed over the
    ``stoch`` variables: one number per latent state."""
    p_log = jax.nn.log_softmax(p_logits, axis=-1)
    q_log = jax.nn.log_softmax(q_logits, axis=-1)
    return jnp.sum(jnp.exp(p_log) * (p_log - q_log), axis=(-2, -1))


def kl_losses(
    post_logits: jax.Array, prior_logits: jax.Array, free: float
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """The dynamics and representation losses with free bits (paper, eq. 5):
    ``L_dyn = max(free, KL[sg(q) || p])`` trains the prior towards the posterior,
    ``L_rep = max(free, KL[q || sg(p)])`` the posterior towards the prior; below ``free`` nats
    neither gets a gradient, so the latents are not squeezed into carrying nothing. Also the raw
    KL (for logging)."""
    sg = jax.lax.stop_gradient
    dyn = categorical_kl(sg(post_logits), prior_logits)
    rep = categorical_kl(post_logits, sg(prior_logits))
    return jnp.maximum(free, dyn), jnp.maximum(free, rep), rep


def lambda_returns(
    rewards: jax.Array,
    continues: jax.Array,
    values: jax.Array,
    discount: float,
    lam: float,
) -> jax.Array:
    """TD(lambda) returns along the leading (time) axis of an imagined trajectory.

    Index ``i`` of every input is the step *arrived at* from state ``i``: ``rewards[i]`` and
    ``continues[i]`` are those of state ``i + 1``, ``values[i]`` is ``v(s_{i+1})``. Then
    ``R_i = r_{i+1} + discount c_{i+1} ((1 - lam) v_{i+1} + lam R_{i+1})`` with ``R_H = v_H``
    (the last value bootstraps). Returns ``R_0 .. R_{H-1}``.
    """

    def back(next_return, inputs):
        r, c, v = inputs
        ret = r + discount * c * ((1.0 - lam) * v + lam * next_return)
        return ret, ret

    _, returns = jax.lax.scan(back, values[-1], (rewards, continues, values), reverse=True)
    return returns


def update_return_scale(
    scale: jax.Array, returns: jax.Array, decay: float, low: float = 5.0, high: float = 95.0
) -> jax.Array:
    """EMA of the batch's ``high`` minus ``low`` percentile of returns; the actor divides its
    advantages by ``max(1, scale)``, so large returns are scaled down and small ones are never
    scaled up (which would amplify noise under sparse rewards)."""
    spread = jnp.percentile(returns, high) - jnp.percentile(returns, low)
    return decay * scale + (1.0 - decay) * spread
