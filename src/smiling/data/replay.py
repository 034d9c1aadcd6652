"""Replay buffer for off-policy learners, kept in NumPy so sampling costs no device transfer."""

from __future__ import annotations

from pathlib import Path

import numpy as np

_FIELDS = ("obs", "actions", "rewards", "next_obs", "terminated")


class ReplayBuffer:
    """Fixed-capacity ring buffer of transitions ``(s, a, r, s', terminated)``.

    ``terminated`` is 1 only at true terminal states; time-limit truncations are stored as 0 so the
    learner bootstraps through them.
    """

    def __init__(self, obs_dim: int, act_dim: int, capacity: int):
        self.capacity = int(capacity)
        self.obs = np.zeros((self.capacity, obs_dim), np.float32)
        self.actions = np.zeros((self.capacity, act_dim), np.float32)
        self.rewards = np.zeros((self.capacity,), np.float32)
        self.next_obs = np.zeros((self.capacity, obs_dim), np.float32)
        self.terminated = np.zeros((self.capacity,), np.float32)
        self.size = 0
        self.pos = 0

    def add(
        self, obs, action, reward: float, next_obs, terminated: bool, truncated: bool = False
    ) -> None:
        """Store one transition; ``truncated`` (a time limit) needs no mark: s' is stored."""
        i = self.pos
        self.obs[i], self.actions[i], self.rewards[i] = obs, action, reward
        self.next_obs[i], self.terminated[i] = next_obs, float(terminated)
        self.pos = (self.pos + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def __len__(self) -> int:
        return self.size

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        idx = rng.integers(0, self.size, size=batch_size)
        return {name: getattr(self, name)[idx] for name in _FIELDS}

    def save(self, path: Path) -> None:
        """Write the filled part (for checkpoints); the caller makes the write atomic."""
        n = self.size
        with open(path, "wb") as f:
            np.savez(f, pos=self.pos, size=n, **{k: getattr(self, k)[:n] for k in _FIELDS})

    def load(self, path: Path) -> None:
        with np.load(path, allow_pickle=False) as data:
            n = int(data["size"])
            if n > self.capacity:
                raise ValueError(
                    f"{path}: holds {n} transitions, more than capacity {self.capacity}"
                )
            for k in _FIELDS:
                getattr(self, k)[:n] = data[k]
            # Into a larger buffer (a resumed run with a bigger budget), writing continues after
            # the stored transitions; at the same capacity, where the saved buffer left off.
            self.size, self.pos = n, int(data["pos"]) if n == self.capacity else n
