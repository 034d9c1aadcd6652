"""Cost per environment step of DreamerV3 presets on one CPU core (docs/dreamer.md).

Times the pieces of a training run separately: one environment step, one ``act`` (filtering and
acting), one train step on a full ``batch_size x batch_length`` batch. The cost per environment
step is ``env + act + train_step * train_ratio / (batch_size * batch_length)``.

    XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \
        taskset -c 1 python benchmarks/dreamer_timing.py [--env dmc:cheetah-run] fast paper
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time

import jax
import numpy as np

from smiling.envs import make_env
from smiling.rl.dreamerv3.agent import PRESETS, DreamerV3

ENV = "dmc:cartpole-swingup"


def time_preset(
    name: str, overrides: dict, env_id: str = ENV, updates: int = 3, acts: int = 200
) -> dict:
    config = dataclasses.replace(PRESETS[name], **overrides)
    env = make_env(env_id, seed=0)
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]
    agent = DreamerV3(obs_dim, act_dim, config)
    state = agent.init(jax.random.PRNGKey(0))
    replay, rng = agent.make_replay(10_000), np.random.default_rng(0)
    obs, _ = env.reset(seed=0)
    t0 = time.perf_counter()
    for _ in range(2000):
        action = rng.uniform(-1, 1, act_dim).astype(np.float32)
        nxt, r, term, trunc, _ = env.step(action)
        replay.add(obs, action, r, nxt, term, trunc)
        obs = env.reset()[0] if term or trunc else nxt
    env_s = (time.perf_counter() - t0) / 2000
    carry, key = agent.initial_carry(), jax.random.PRNGKey(1)
    agent.act(state, obs, key, carry)  # compile
    t0 = time.perf_counter()
    for _ in range(acts):
        action, carry = agent.act(state, obs, key, carry)
    act_s = (time.perf_counter() - t0) / acts
    t0 = time.perf_counter()
    state, m = agent.update(state, agent.sample(replay, rng), key)
    jax.block_until_ready(m)
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(updates):
        state, m = agent.update(state, agent.sample(replay, rng), jax.random.PRNGKey(i))
    jax.block_until_ready(m)
    update_s = (time.perf_counter() - t0) / updates
    per_step = (
        env_s + act_s + update_s * config.train_ratio / (config.batch_size * config.batch_length)
    )
    return {
        "env_id": env_id,
        "preset": name,
        "overrides": overrides,
        "env_ms": 1e3 * env_s,
        "act_ms": 1e3 * act_s,
        "update_s": update_s,
        "compile_s": compile_s,
        "ms_per_env_step": 1e3 * per_step,
        "hours_per_100k_steps": per_step * 1e5 / 3600,
    }


if __name__ == "__main__":
    args, env_id = sys.argv[1:], ENV
    if args[:1] == ["--env"]:
        env_id, args = args[1], args[2:]
    for arg in args:
        name, _, extra = arg.partition(":")
        overrides = dict(kv.split("=") for kv in extra.split(",") if kv)
        overrides = {k: int(v) for k, v in overrides.items()}
        print(json.dumps(time_preset(name, overrides, env_id)), flush=True)
