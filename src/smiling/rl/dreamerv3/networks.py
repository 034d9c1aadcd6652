"""DreamerV3's building blocks in Flax: LayerNorm-SiLU MLPs and the LayerNorm GRU cell."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp


class MLP(nn.Module):
    """``layers`` hidden layers of ``Dense -> LayerNorm -> SiLU`` (the paper's hidden layer),
    then an optional linear output; ``zero_out`` starts the output at zero, as the paper does
    for the reward head and the critic so early predictions are exactly zero, not random."""

    width: int
    layers: int
    out: int | None = None
    zero_out: bool = False

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        for _ in range(self.layers):
            x = nn.silu(nn.LayerNorm()(nn.Dense(self.width, use_bias=False)(x)))
        if self.out is None:
            return x
        init = nn.initializers.zeros if self.zero_out else nn.initializers.lecun_normal()
        return nn.Dense(self.out, kernel_init=init)(x)


class NormGRUCell(nn.Module):
    """A GRU whose gates come from one LayerNorm'd projection of ``[x, h]``; the update gate is
    biased by -1 so a fresh cell keeps its state (the DreamerV2/V3 recurrent cell)."""

    size: int

    @nn.compact
    def __call__(self, h: jax.Array, x: jax.Array) -> jax.Array:
        parts = nn.LayerNorm()(nn.Dense(3 * self.size, use_bias=False)(jnp.concatenate([x, h], -1)))
        reset, cand, update = jnp.split(parts, 3, axis=-1)
        reset = jax.nn.sigmoid(reset)
        cand = jnp.tanh(reset * cand)
        update = jax.nn.sigmoid(update - 1.0)
        return update * cand + (1.0 - update) * h
