"""Shared fixtures: small, deterministic objects so tests stay fast on 2 cores."""

from __future__ import annotations

import os
import shutil
import tempfile

import jax
import numpy as np
import pytest

from smiling.data.demos import Demonstrations

OURS = "SMILING_TESTS_JAX_CACHE"  # names the cache a test session made, as opposed to a user's

# XLA flags that make compiling about 4x cheaper on a CPU, at a few percent more per step:
# LLVM without optimisation, and XLA's older loop emitters instead of its fusion emitters
# (DreamerV3's debug-preset update: 23 -> 6 CPU-seconds to compile, 6.7 -> 7.9 ms a step).
# The suite's time is mostly compiling tiny networks, each trained for a few hundred steps.
# The programs are the same; floating-point results may differ from an optimised build in
# the last bits, which no test compares against (runs are compared within one session).
FAST_COMPILE_XLA = ("--xla_backend_optimization_level=0", "--xla_cpu_use_fusion_emitters=false")


def with_fast_compiles(flags: str) -> str:
    """``flags`` (an ``XLA_FLAGS`` value) with each fast-compile flag it does not set itself:
    a user's own setting of one of them wins."""
    named = {f.split("=")[0] for f in flags.split()}
    return " ".join([flags, *(f for f in FAST_COMPILE_XLA if f.split("=")[0] not in named)]).strip()


def pytest_configure(config: pytest.Config) -> None:
    """Cheap compiles and one JAX compilation cache for the session (below). XLA reads its
    flags when JAX first uses a device, after this; ``smiling`` subprocesses inherit them."""
    os.environ["XLA_FLAGS"] = with_fast_compiles(os.environ.get("XLA_FLAGS", ""))
    _compilation_cache(config)


def _compilation_cache(config: pytest.Config) -> None:
    """One JAX compilation cache for this test session (each ``pytest -n`` worker its own):
    tests build many agents, runs and ``smiling`` subprocesses whose compiled code is the same,
    and without it each compiles it again. Loading a compiled program gives the program itself,
    so results are bit-identical. A cache the user already set is used instead."""
    # A worker inherits its controller's environment: only a cache not made here is the user's.
    if os.environ.get("JAX_COMPILATION_CACHE_DIR", OURS) != os.environ.get(OURS, OURS):
        return
    cache = tempfile.mkdtemp(prefix="smiling-tests-jax-cache-")
    config.add_cleanup(lambda: shutil.rmtree(cache, ignore_errors=True))
    os.environ["JAX_COMPILATION_CACHE_DIR"] = os.environ[OURS] = cache  # subprocesses' too
    os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
    jax.config.update("jax_compilation_cache_dir", cache)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


def make_demos(
    episodes: int = 4, length: int = 20, obs_dim: int = 3, act_dim: int | None = 1, seed: int = 0
) -> Demonstrations:
    rng = np.random.default_rng(seed)
    n = episodes * length
    return Demonstrations(
        env_id="Pendulum-v1",
        observations=rng.normal(size=(n, obs_dim)).astype(np.float32),
        actions=None if act_dim is None else rng.uniform(-1, 1, (n, act_dim)).astype(np.float32),
        rewards=rng.normal(size=n).astype(np.float32),
        episode_lengths=np.full(episodes, length),
        expert_return=-150.0,
        random_return=-1200.0,
        seed=seed,
    )


def transitions(
    n: int, obs_dim: int, act_dim: int = 1, seed: int = 0, terminated: float = 0.0
) -> dict[str, np.ndarray]:
    """A replayed batch of ``n`` random transitions (rewards 0) as an agent's update takes it."""
    rng = np.random.default_rng(seed)
    return {
        "obs": rng.normal(size=(n, obs_dim)).astype(np.float32),
        "actions": rng.uniform(-1, 1, (n, act_dim)).astype(np.float32),
        "rewards": np.zeros(n, np.float32),
        "next_obs": rng.normal(size=(n, obs_dim)).astype(np.float32),
        "terminated": np.full(n, terminated, np.float32),
    }


@pytest.fixture
def demos() -> Demonstrations:
    return make_demos()


# `--set` overrides that make an end-to-end `smiling train` run cheap: a small SAC that starts
# learning after 100 steps.
TINY_SAC_ARGS = [
    "--set",
    "sac.hidden=32,32",
    "--set",
    "sac.batch_size=32",
    "--set",
    "sac.seed_steps=100",
]
