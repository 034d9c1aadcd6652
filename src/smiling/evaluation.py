"""Policy evaluation on the environment's true reward.

A policy here is a :class:`smiling.policy.Policy`: it is reset at each episode's start (and
only there), so a recurrent policy's state never carries from one episode into the next.
"""

from __future__ import annotations

from typing import NamedTuple

import gymnasium as gym
import numpy as np

from smiling.errors import SmilingError
from smiling.policy import Policy, check_policy, stateless


def _frame(env: gym.Env) -> np.ndarray:
    """``env.render()``, or one clear error where the environment renders no image (one whose
    constructor takes no ``render_mode`` is built without one: :func:`smiling.make_env`)."""
    try:
        frame = env.render()
    except NotImplementedError:
        frame = None
    if not isinstance(frame, np.ndarray) or frame.ndim != 3:
        name = env.spec.id if env.spec is not None else type(env.unwrapped).__name__
        raise SmilingError(
            f"environment '{name}' renders no image (env.render() gave no frame), "
            "so no video can be made; give its constructor a render_mode argument that accepts "
            "'rgb_array'"
        )
    return frame


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
    recorded = record_episodes(env, policy, episodes, seed, frames, max_frames)
    rewards, lengths = recorded.rewards, recorded.lengths
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return [float(r) for r in np.add.reduceat(rewards.astype(np.float64), starts)]


def random_policy(env: gym.Env) -> Policy:
    """Uniform-random actions: the lower end of the normalised return."""
    return stateless(lambda _obs: env.action_space.sample())


class Episodes(NamedTuple):
    """Recorded episodes, concatenated: ``observations[t]`` is where ``actions[t]`` was taken."""

    observations: np.ndarray  # (N, obs_dim) float32
    actions: np.ndarray  # (N, act_dim) float32
    rewards: np.ndarray  # (N,) float32
    lengths: np.ndarray  # (E,) int64
    terminated: np.ndarray  # (E,) bool: the episode ended by termination, not a time limit


def record_episodes(
    env: gym.Env,
    policy: Policy,
    episodes: int,
    seed: int,
    frames: list[np.ndarray] | None = None,
    max_frames: int = 1000,
) -> Episodes:
    """The states, actions, rewards, lengths and endings of ``policy``'s episodes.

    Episode i starts from ``env.reset(seed=seed + i)`` and ``policy.reset()``, so recordings
    are reproducible and each episode's return is the one it would have alone. With a
    ``frames`` list, ``env.render()`` of the first episode (its first state and the state after
    each step, at most ``max_frames``) is appended to it.
    """
    check_policy(policy)
    observations, actions, rewards, lengths, ended = [], [], [], [], []
    for i in range(episodes):
        obs, _ = env.reset(seed=seed + i)
        policy.reset()
        filming = frames is not None and i == 0
        if filming and len(frames) < max_frames:
            frames.append(_frame(env))
        terminated = truncated = False
        n = 0
        while not (terminated or truncated):
            action = policy(obs)
            next_obs, reward, terminated, truncated, _ = env.step(action)
            if filming and len(frames) < max_frames:
                frames.append(_frame(env))
            observations.append(obs)
            actions.append(action)
            rewards.append(reward)
            obs, n = next_obs, n + 1
        lengths.append(n)
        ended.append(bool(terminated))
    return Episodes(
        np.asarray(observations, np.float32),
        np.asarray(actions, np.float32),
        np.asarray(rewards, np.float32),
        np.asarray(lengths, np.int64),
        np.asarray(ended, bool),
    )
