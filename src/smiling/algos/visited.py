"""The data of a state-matching method: what its reward model sees of the learner and the expert.

SMILING's learner score model and DAC's discriminator are both fit on the learner's visited
inputs (``s``, or ``[s, a]``) drawn from a FIFO, against the demonstrations' inputs. This module
is that shared half: the inputs' layout, the FIFO, and the absorbing-state treatment of episodes
that end early (:mod:`smiling.termination`), so the two methods differ only in their objective.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from smiling.data.demos import Demonstrations
from smiling.data.fifo import ObservationFIFO
from smiling.termination import AbsorbingState


class VisitedStates:
    """The learner's visited inputs, as a reward model sees them, and the expert's.

    ``dim`` is the reward model's input size: the state, the action with ``use_actions``, and
    the absorbing-state indicator where that treatment is active.
    """

    def __init__(
        self,
        env: gym.Env,
        use_actions: bool,
        capacity: int,
        termination: str,
    ):
        self.use_actions = use_actions
        self.absorbing = AbsorbingState.for_env(termination, env)
        obs_dim = int(env.observation_space.shape[0])
        act_dim = int(env.action_space.shape[0])
        self.dim = obs_dim + (act_dim if use_actions else 0) + self.absorbing.extra_dims
        self.fifo = ObservationFIFO(self.dim, capacity)

    def _raw(self, obs: np.ndarray, actions: np.ndarray | None) -> np.ndarray:
        return np.concatenate([obs, actions], axis=-1) if self.use_actions else obs

    def add(self, obs: np.ndarray, action: np.ndarray) -> None:
        """One visited state (and the action taken there)."""
        self.fifo.add(self.absorbing.augment(self._raw(obs, action)))

    def episode_ended(self, terminated: bool, steps: int) -> None:
        """With the treatment, a terminated episode's remaining steps are spent absorbed."""
        if terminated and self.absorbing.active:
            for row in self.absorbing.rows(self.absorbing.padding(steps), self.dim):
                self.fifo.add(row)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.fifo.sample(n, rng)

    def expert_inputs(self, demos: Demonstrations) -> np.ndarray:
        """The demonstrations' inputs, with absorbing padding for episodes that terminated."""
        x = self._raw(demos.observations, demos.actions if self.use_actions else None)
        return self.absorbing.expert_inputs(x, demos.episode_lengths, demos.episodes_terminated)
