"""Episodes that end early: the absorbing-state treatment (Kostrikov et al., 2019, the DAC paper).

Why it is needed. Gymnasium's locomotion tasks (Hopper, Walker2d, Ant, Humanoid) *terminate* an
episode when the robot falls, and an agent stops bootstrapping there: the value after a terminal
state is 0. An imitation reward is not the task's reward, and 0 is not neutral for it. SMILING's
reward is standardised per batch to mean 0, and DAC's AIRL reward is signed: a learner whose
states score below average gains by falling at once, one whose states score above average gains
by surviving whatever it imitates (GAIL's always-positive reward makes that survival bias
permanent). The paper sidestepped the question by turning termination off.

The treatment. After a terminal state the episode continues in one *absorbing* state ``s_a``
that loops to itself whatever the action. The method's reward model is trained on ``s_a`` like on
any other state, so the data decide whether ending an episode is good or bad: demonstrations
that never end early put no mass on ``s_a`` (its learned reward is low, falling is punished); an
expert who ends episodes (a goal reached) puts mass there (ending is rewarded).

How it is done here:

- **Representation.** The reward model's input gains one indicator coordinate: a real input is
  ``[x, 0]``, the absorbing state ``[0, ..., 0, 1]`` (for SMILING the coordinate is diffused like
  the others, so an expert model that never saw it denoises ``s_a`` badly).
- **Occupancy.** A learner episode that terminates after ``t`` steps of a task with time limit
  ``T`` spends its remaining ``T - t`` steps in ``s_a``: that many absorbing rows join the
  learner's state FIFO, so the learner model sees the occupancy a fixed-horizon comparison of
  state distributions needs; a demonstration episode that terminated is padded the same way.
  Without a known time limit, one row per terminal (Kostrikov et al.'s one absorbing transition).
- **Value.** ``s_a`` loops forever and no action changes anything there, so its value is exactly
  ``r(s_a) / (1 - gamma)`` (no entropy term: there is nothing to choose). The agent's target at a
  terminal transition is ``r(s) + gamma * r(s_a) / (1 - gamma)`` instead of ``r(s)``;
  ``r(s_a)`` is evaluated in every update beside the batch (:func:`smiling.rewards.relabel`) and
  standardised with the batch's real rows only.
- **Where.** Only tasks that can terminate change (:func:`can_terminate`). DeepMind Control tasks
  and Pendulum end by time limit only; for them ``termination='absorbing'`` adds nothing, and
  their results are identical to the setting ``'none'``.

``termination='none'`` keeps the usual cut (value 0 after a terminal state).
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import jax.numpy as jnp
import numpy as np

# The setting's choices, where configs check them without JAX (re-exported: they were here).
from smiling.config import DEFAULT_TERMINATION, TERMINATIONS, check_termination  # noqa: F401
from smiling.envs import env_family, id_of


def can_terminate(env: gym.Env) -> bool:
    """Whether episodes of ``env`` (as built by :func:`smiling.envs.make_env`) can end before
    their time limit: what the environment says (MuJoCo locomotion's
    ``terminate_when_unhealthy``), else what its family's row of
    :data:`smiling.envs.ENV_FAMILIES` says (DeepMind Control tasks never do; unknown Gymnasium
    tasks are assumed to)."""
    unhealthy = getattr(env.unwrapped, "_terminate_when_unhealthy", None)
    if unhealthy is not None:
        return bool(unhealthy)
    return env_family(id_of(env)).can_terminate


def time_limit(env: gym.Env) -> int | None:
    """The episode length limit of ``env``, when it has one."""
    return env.spec.max_episode_steps if env.spec is not None else None


@dataclass(frozen=True)
class AbsorbingState:
    """The treatment's data side for a method whose reward model sees inputs of ``dim``
    (before the indicator). ``active`` is False for ``termination='none'`` and for tasks that
    cannot terminate: then every method here is what it was without the treatment."""

    active: bool
    horizon: int | None  # the task's time limit; None: one absorbing row per terminal

    @classmethod
    def for_env(cls, termination: str, env: gym.Env) -> AbsorbingState:
        check_termination(termination)
        return cls(termination == "absorbing" and can_terminate(env), time_limit(env))

    @property
    def extra_dims(self) -> int:
        """Input coordinates the treatment adds to the reward model (the indicator)."""
        return 1 if self.active else 0

    def augment(self, x: np.ndarray) -> np.ndarray:
        """Real inputs ``x`` (``(..., d)``) with the indicator 0 appended (unchanged if off)."""
        if not self.active:
            return x
        zeros = np.zeros((*x.shape[:-1], 1), x.dtype)
        return np.concatenate([x, zeros], axis=-1)

    def rows(self, n: int, dim: int) -> np.ndarray:
        """``n`` copies of the absorbing state's input, ``dim`` wide including the indicator."""
        out = np.zeros((n, dim), np.float32)
        out[:, -1] = 1.0
        return out

    def padding(self, episode_steps: int) -> int:
        """Absorbing rows for an episode that terminated after ``episode_steps`` steps."""
        if self.horizon is None:
            return 1
        return max(1, self.horizon - episode_steps)

    def expert_inputs(
        self, inputs: np.ndarray, episode_lengths: np.ndarray, terminated: np.ndarray
    ) -> np.ndarray:
        """Demonstration inputs with the indicator, and each terminated episode's absorbing
        padding appended (the occupancy the learner's is compared with)."""
        if not self.active:
            return inputs
        pad = sum(
            self.padding(int(n)) for n, t in zip(episode_lengths, terminated, strict=True) if t
        )
        return np.concatenate([self.augment(inputs), self.rows(pad, inputs.shape[1] + 1)])


def absorbing_value(reward: jnp.ndarray, discount: float) -> jnp.ndarray:
    """The value of the absorbing state: ``r(s_a)`` forever, ``r(s_a) / (1 - gamma)``."""
    return reward / (1.0 - discount)


def with_indicator(x: jnp.ndarray, absorbing: jnp.ndarray | None) -> jnp.ndarray:
    """Inside a jitted reward: rows of ``x`` with the indicator appended; rows where
    ``absorbing`` is True become the absorbing state ``[0, ..., 0, 1]``."""
    if absorbing is None:
        return jnp.concatenate([x, jnp.zeros((*x.shape[:-1], 1), x.dtype)], axis=-1)
    flag = absorbing.astype(x.dtype)[:, None]
    return jnp.concatenate([x * (1.0 - flag), flag], axis=-1)
