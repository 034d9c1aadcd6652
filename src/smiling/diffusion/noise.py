"""Gaussian noise for the reward estimator from a counter-based hash (cheap on a CPU).

The estimator needs ``K * B * d`` fresh standard normals per SAC update (8.7 million for the
paper's K = 500, B = 1024 on cheetah). JAX's default generator (threefry) spends about 40 ns
per number on this 2-core CPU, a fifth of the whole paper-preset reward; at the fast preset it
was half of the reward's time. Hashing a counter with a keyed integer mixer costs a few integer
multiplies per number and vectorises, and the normal comes from the same inverse-erf transform
``jax.random.normal`` uses (measured in benchmarks/reward_estimator.py).

The mixer is a 32-bit "multiply-xorshift" finaliser (the two-multiply ``lowbias32`` constants
published by C. Wellons' hash-prospector), applied twice with the two key words mixed in, so a
(key, counter) pair maps to a well-avalanched 32-bit word. Counters are ``g * n + i`` for grid
index ``g`` and element ``i`` of the ``n``-element batch, so the noise of grid index ``g`` is a
function of ``(key, g)`` only: the naive and the chunked estimators draw identical numbers.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

_GOLDEN = np.uint32(0x9E3779B9)
_MUL1 = np.uint32(0x7FEB352D)
_MUL2 = np.uint32(0x846CA68B)
MAX_COUNTER = 2**32  # counters are uint32: grid size x batch elements must stay below this


def _mix32(h: jax.Array) -> jax.Array:
    """Bijective avalanche mixer on uint32 words."""
    h = h ^ (h >> 16)
    h = h * _MUL1
    h = h ^ (h >> 15)
    h = h * _MUL2
    return h ^ (h >> 16)


def key_words(key: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The two uint32 words of a JAX PRNG key (raw ``uint32[2]`` or typed key)."""
    data = jax.random.key_data(key) if jnp.issubdtype(key.dtype, jax.dtypes.prng_key) else key
    data = jnp.asarray(data).astype(jnp.uint32).reshape(-1)
    return data[0], data[-1]


def counter_normal(key: jax.Array, g: jax.Array | int, shape: tuple[int, ...]) -> jax.Array:
    """Standard normals of shape ``shape`` for stream ``g`` of ``key``, float32.

    Deterministic in ``(key, g)``; streams ``g`` and ``g'`` never share a counter as long as
    ``(g + 1) * prod(shape) <= MAX_COUNTER``. Values are truncated at about 5.3 sigma (the top
    23 bits feed the inverse erf), a tail mass below 1e-7.
    """
    n = int(np.prod(shape))
    k0, k1 = key_words(key)
    counter = jax.lax.iota(jnp.uint32, n) + jnp.asarray(g).astype(jnp.uint32) * jnp.uint32(n)
    h = _mix32(_mix32(counter * _GOLDEN ^ k0) + k1)
    # Odd multiples of 2^-23 in (-1, 1): exact in float32 and never +-1 (erf_inv would be inf).
    u = ((h >> 9).astype(jnp.float32) * 2.0 + 1.0) * np.float32(2.0**-23) - 1.0
    return (np.float32(np.sqrt(2.0)) * jax.lax.erf_inv(u)).reshape(shape)
