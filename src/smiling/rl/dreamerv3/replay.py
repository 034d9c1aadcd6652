"""Uniform replay of sequences that knows where episodes start.

Rows are *arrivals*: row ``t`` holds the observation ``x_t``, the action ``a_{t-1}`` that led to
it, the reward received on arriving (the environment's ``r(x_{t-1}, a_{t-1})``), ``is_first``
and ``is_terminal``. The first ``add`` of an episode also writes the episode's first row
(``is_first=1``, zero action and reward), so an episode of ``n`` transitions is ``n + 1`` rows and
a terminal observation is stored (the continue head learns from it). Sequences may cross
episode boundaries: the world model resets its state where ``is_first`` is set.

A sampled window has ``length + 1`` rows; the batch is the last ``length`` of them, plus
``prev_obs`` (each row's predecessor's observation, ``x_{t-1}``) so a reward function of
``(state, action)`` can relabel the reward of the transition ``(x_{t-1}, a_{t-1}) -> x_t``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

_FIELDS = ("obs", "actions", "rewards", "is_first", "is_terminal")


class SequenceReplay:
    """A ring of at most ``capacity`` rows, grown as it fills (memory follows use)."""

    def __init__(self, obs_dim: int, act_dim: int, capacity: int, initial: int = 4096):
        self.obs_dim, self.act_dim, self.capacity = obs_dim, act_dim, int(capacity)
        self._alloc(min(self.capacity, initial))
        self.size = 0  # rows stored
        self.pos = 0  # next row written
        self.transitions = 0  # ``add`` calls (what ``len`` counts)
        self._episode_open = False  # False: the next ``add`` starts an episode

    def _alloc(self, rows: int) -> None:
        old = {k: getattr(self, k) for k in _FIELDS} if hasattr(self, "obs") else None
        self.obs = np.zeros((rows, self.obs_dim), np.float32)
        self.actions = np.zeros((rows, self.act_dim), np.float32)
        self.rewards = np.zeros((rows,), np.float32)
        self.is_first = np.zeros((rows,), np.float32)
        self.is_terminal = np.zeros((rows,), np.float32)
        if old is not None:
            for k, v in old.items():
                getattr(self, k)[: len(v)] = v

    def _write(self, obs, action, reward: float, first: bool, terminal: bool) -> None:
        if self.pos == len(self.obs) and len(self.obs) < self.capacity:
            self._alloc(min(self.capacity, 2 * len(self.obs)))
        i = self.pos % len(self.obs)
        self.obs[i], self.actions[i], self.rewards[i] = obs, action, reward
        self.is_first[i], self.is_terminal[i] = float(first), float(terminal)
        self.pos = (i + 1) % self.capacity if len(self.obs) == self.capacity else i + 1
        self.size = min(self.size + 1, self.capacity)

    def add(
        self, obs, action, reward: float, next_obs, terminated: bool, truncated: bool = False
    ) -> None:
        """Store the transition ``(obs, action, reward, next_obs)`` as the arrival at
        ``next_obs``; ``terminated``/``truncated`` close the episode (only ``terminated`` marks
        the row terminal: a time limit is not the end of the task)."""
        if not self._episode_open:
            self._write(obs, np.zeros(self.act_dim, np.float32), 0.0, True, False)
        self._write(next_obs, action, reward, False, terminated)
        self._episode_open = not (terminated or truncated)
        self.transitions += 1

    def __len__(self) -> int:
        return self.transitions

    def _ordered(self, name: str) -> np.ndarray:
        """A field's stored rows, oldest first."""
        data = getattr(self, name)
        if self.size < self.capacity or len(data) < self.capacity:
            return data[: self.size]
        return np.roll(data, -self.pos, axis=0)

    def sample(self, batch: int, length: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """``batch`` windows of ``length + 1`` consecutive rows, uniform over their start."""
        if self.size < length + 1:
            raise ValueError(f"replay holds {self.size} rows, fewer than length + 1 = {length + 1}")
        oldest = 0 if self.size < self.capacity else self.pos
        starts = rng.integers(0, self.size - length, size=batch)
        idx = (oldest + starts[:, None] + np.arange(length + 1)[None]) % len(self.obs)
        rows = {k: getattr(self, k)[idx] for k in _FIELDS}
        out = {k: v[:, 1:] for k, v in rows.items()}
        out["prev_obs"] = rows["obs"][:, :-1]
        return out

    def save(self, path: Path) -> None:
        """The stored rows oldest first (numpy ``.npz``; the caller makes the write atomic)."""
        with open(path, "wb") as f:
            np.savez(
                f,
                transitions=self.transitions,
                **{k: self._ordered(k) for k in _FIELDS},
            )

    def load(self, path: Path) -> None:
        """Rows saved by :meth:`save` (the newest ``capacity`` of them). The loop begins a new
        episode after a restore, so the next ``add`` starts one here too."""
        with np.load(path, allow_pickle=False) as data:
            rows = {k: data[k][-self.capacity :] for k in _FIELDS}
            self.transitions = int(data["transitions"])
        n = len(rows["obs"])
        self._alloc(max(min(self.capacity, 4096), n))
        for k, v in rows.items():
            getattr(self, k)[:n] = v
        self.size = n
        self.pos = n % self.capacity if len(self.obs) == self.capacity else n
        self._episode_open = False
