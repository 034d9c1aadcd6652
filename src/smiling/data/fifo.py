"""First-in-first-out store of the learner's visited states (SMILING's score-model data)."""

from __future__ import annotations

import numpy as np


class ObservationFIFO:
    """Keeps the most recent ``capacity`` states; the learner score model samples from it.

    The loop of the paper's reference implementation puts every visited state here, the random seed
    steps included, and draws 100k states with replacement per learner-model update.
    """

    def __init__(self, dim: int, capacity: int):
        self.data = np.zeros((int(capacity), dim), np.float32)
        self.size = 0
        self.pos = 0

    @property
    def capacity(self) -> int:
        return len(self.data)

    def add(self, state: np.ndarray) -> None:
        self.data[self.pos] = state
        self.pos = (self.pos + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        if self.size == 0:
            raise ValueError("the observation FIFO is empty")
        return self.data[rng.integers(0, self.size, size=n)]

    def state_dict(self) -> dict:
        return {"data": self.data[: self.size], "pos": self.pos, "size": self.size}

    def load_state_dict(self, state: dict) -> None:
        size = int(state["size"])
        self.data[:size] = np.asarray(state["data"])
        self.size, self.pos = size, int(state["pos"])
