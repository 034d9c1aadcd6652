"""The JAX scaffolding every trained model here shares: activations, initialisation, the
train state, its serialisation, and the scanned trainer.

The score models, the discriminator and BC's actor are all "a network, an optimiser, and many
small steps": :func:`scan_steps` runs S optimiser steps as one ``lax.scan`` in one jitted call (S
steps cost one dispatch, not S), on a :class:`TrainState`, which serialises with
:func:`to_bytes` / :func:`from_bytes` like every agent state (flax msgpack, no pickle).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flax.linen as nn
import flax.serialization
import flax.struct
import jax
import jax.numpy as jnp
import optax

from smiling.config import check_activation  # noqa: F401 - re-exported: its home was here

Params = Any

# One function per name of smiling.config.ACTIVATION_NAMES (where configs check them without JAX).
ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "leaky_relu": nn.leaky_relu,  # slope 0.01, as PyTorch's default LeakyReLU
    "relu": nn.relu,
    "silu": nn.silu,
    "gelu": nn.gelu,
    "tanh": jnp.tanh,
}


def torch_like_init() -> nn.initializers.Initializer:
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)) kernels, PyTorch Linear's default, as the reference."""
    return nn.initializers.variance_scaling(1.0 / 3.0, "fan_in", "uniform")


@flax.struct.dataclass
class TrainState:
    """Everything a trained model learns; a pytree, so it checkpoints with :func:`to_bytes`."""

    params: Params
    opt_state: Any
    step: jax.Array

    @classmethod
    def create(cls, params: Params, tx: optax.GradientTransformation) -> TrainState:
        return cls(params, tx.init(params), jnp.zeros((), jnp.int32))


def to_bytes(state: Any) -> bytes:
    return flax.serialization.to_bytes(state)


def from_bytes(template: Any, data: bytes) -> Any:
    """``data`` read into the structure of ``template`` (a freshly initialised state)."""
    return flax.serialization.from_bytes(template, data)


def scan_steps(
    loss_fn: Callable[..., tuple[jax.Array, Any]],
    tx: optax.GradientTransformation,
    state: TrainState,
    batches: tuple[jax.Array, ...],
    key: jax.Array,
) -> tuple[TrainState, tuple[jax.Array, Any]]:
    """One ``tx`` step per leading-axis slice of ``batches``, in a ``lax.scan`` (call it inside
    a jitted function). ``loss_fn(params, *batch, key) -> (loss, aux)``; each step gets its own
    key. Returns the new state and the per-step losses and aux values, stacked."""

    def step(carry: TrainState, inputs):
        *batch, k = inputs
        (loss, aux), grads = jax.value_and_grad(loss_fn, has_aux=True)(carry.params, *batch, k)
        updates, opt_state = tx.update(grads, carry.opt_state, carry.params)
        params = optax.apply_updates(carry.params, updates)
        return TrainState(params, opt_state, carry.step + 1), (loss, aux)

    keys = jax.random.split(key, batches[0].shape[0])
    return jax.lax.scan(step, state, (*batches, keys))
