"""Policy evaluation on the environment's true reward."""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import numpy as np

Policy = Callable[[np.ndarray], np.ndarray]


def run_episodes(
    env: gym.Env,
    policy: Policy,
    episodes: int,
    seed: int,
    frames: list[np.ndarray] | None = None,
    max_frames: int = 1000,
) -> list[float]:
    """Returns of ``episodes`` full episodes of ``policy``; episode i starts from ``seed + i``.

    With a ``frames`` list, the first episode is also rendered into it (see
    :func:`record_episodes`), so a video shows exactly an evaluated episode.
    """
    _, _, rewards, lengths = record_episodes(env, policy, episodes, seed, frames, max_frames)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return [float(r) for r in np.add.reduceat(rewards.astype(np.float64), starts)]


def random_policy(env: gym.Env) -> Policy:
    """Uniform-random actions: the lower end of the normalised return."""
    return lambda _obs: env.action_space.sample()


def record_episodes(
    env: gym.Env,
    policy: Policy,
    episodes: int,
    seed: int,
    frames: list[np.ndarray] | None = None,
    max_frames: int = 1000,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Observations s_t, actions a_t, rewards r_t and episode lengths of ``policy``'s episodes.

    Episode i starts from ``env.reset(seed=seed + i)``, so recordings are reproducible. With a
    ``frames`` list, ``env.render()`` of the first episode (its first state and the state after
    each step, at most ``max_frames``) is appended to it.
    """
    observations, actions, rewards, lengths = [], [], [], []
    for i in range(episodes):
        obs, _ = env.reset(seed=seed + i)
        filming = frames is not None and i == 0
        if filming and len(frames) < max_frames:
            frames.append(env.render())
        done, n = False, 0
        while not done:
            action = policy(obs)
            next_obs, reward, terminated, truncated, _ = env.step(action)
            if filming and len(frames) < max_frames:
                frames.append(env.render())
            observations.append(obs)
            actions.append(action)
            rewards.append(reward)
            obs, n, done = next_obs, n + 1, terminated or truncated
        lengths.append(n)
    return (
        np.asarray(observations, np.float32),
        np.asarray(actions, np.float32),
        np.asarray(rewards, np.float32),
        np.asarray(lengths, np.int64),
    )
