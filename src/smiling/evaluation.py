"""Policy evaluation on the environment's true reward."""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import numpy as np

Policy = Callable[[np.ndarray], np.ndarray]


def run_episodes(env: gym.Env, policy: Policy, episodes: int, seed: int) -> list[float]:
    """Returns of ``episodes`` full episodes of ``policy``; episode i starts from ``seed + i``."""
    returns = []
    for i in range(episodes):
        obs, _ = env.reset(seed=seed + i)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(policy(obs))
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    return returns


def random_policy(env: gym.Env) -> Policy:
    """Uniform-random actions: the lower end of the normalised return."""
    return lambda _obs: env.action_space.sample()
