"""The Gymnasium environment of the three H1 tasks (:class:`H1Env`).

- **Observation** (51 floats, float64): ``qpos`` (26) then ``qvel`` (25), HumanoidBench's
  layout. ``qpos``: ``[0:3]`` pelvis position (m, world), ``[3:7]`` pelvis orientation as a unit
  quaternion ``(w, x, y, z)``, ``[7:26]`` the 19 joint angles (rad) in :data:`JOINTS` order.
  ``qvel``: ``[0:3]`` pelvis linear velocity (m/s, world frame), ``[3:6]`` pelvis angular
  velocity (rad/s, pelvis frame), ``[6:25]`` the 19 joint velocities (rad/s). The props are fixed,
  so the observation is the robot's state alone.
- **Action** (19 floats in [-1, 1], :data:`JOINTS` order): each joint's position target, -1 and
  1 being the ends of its range; the servos (:data:`SERVOS`) pull towards it. A control step
  holds the targets for 10 physics steps of 2 ms (50 Hz).
- **Start**: the standing keyframe (:data:`HOME_QPOS`) with every ``qpos`` entry moved by
  uniform noise in +-0.01 (drawn from the environment's seeded generator), at rest.
- **Reward**: :mod:`smiling.tasks.h1.rewards`; ``info`` carries its terms.
- **End**: 1000 steps (the registered time limit, by truncation). With ``terminate=True``, the
  upstream rule also ends ``sit_simple`` and ``pole`` episodes when the pelvis is below 0.5 m
  (``crawl`` never ends early upstream). Off by default, as in the paper.
"""

from __future__ import annotations

import gymnasium as gym
import mujoco
import numpy as np
from gymnasium import spaces

from smiling.tasks.h1 import TASKS
from smiling.tasks.h1.model import CAMERA, FRAME_SKIP, HOME_QPOS, JOINTS, NQ, NU, NV, build_model
from smiling.tasks.h1.rewards import REWARDS, H1Readings

RESET_NOISE = 0.01
FALL_HEIGHT = {"sit_simple": 0.5, "pole": 0.5, "crawl": None}  # upstream's early end (pelvis z)
RENDER_SIZE = (240, 320)  # (height, width), as the dmc: tasks

__all__ = ["H1Env", "JOINTS", "TASKS"]


class H1Env(gym.Env):
    """HumanoidBench's H1 ``task`` (``sit_simple``, ``crawl``, ``pole``); module docstring."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": round(1 / (0.002 * FRAME_SKIP))}

    def __init__(
        self,
        task: str,
        terminate: bool = False,
        render_mode: str | None = None,
        render_size: tuple[int, int] = RENDER_SIZE,
    ):
        if task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {task!r}")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.task = task
        self.render_mode = render_mode
        self.fall_height = FALL_HEIGHT[task] if terminate else None
        # Read by smiling.termination.can_terminate, as on Gymnasium's own MuJoCo tasks.
        self._terminate_when_unhealthy = self.fall_height is not None
        self.model = build_model(task)
        self.data = mujoco.MjData(self.model)
        self.readings = H1Readings.of(self.model)
        self._reward = REWARDS[task]
        self._ctrl_low, self._ctrl_high = self.model.actuator_ctrlrange.T.copy()
        self.observation_space = spaces.Box(-np.inf, np.inf, (NQ + NV,), np.float64)
        self.action_space = spaces.Box(-1.0, 1.0, (NU,), np.float32)
        self._render_size = render_size
        self._renderer: mujoco.Renderer | None = None

    def _obs(self) -> np.ndarray:
        return np.concatenate([self.data.qpos, self.data.qvel])

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        mujoco.mj_resetDataKeyframe(self.model, self.data, 0)
        noise = self.np_random.uniform(-RESET_NOISE, RESET_NOISE, NQ)
        self.data.qpos[:] = HOME_QPOS + noise
        self.data.qvel[:] = 0.0
        mujoco.mj_forward(self.model, self.data)
        return self._obs(), {}

    def targets(self, action: np.ndarray) -> np.ndarray:
        """Joint position targets (rad) of an action in [-1, 1] (clipped there first)."""
        unit = np.clip(np.asarray(action, np.float64), -1.0, 1.0)
        return self._ctrl_low + (unit + 1.0) / 2.0 * (self._ctrl_high - self._ctrl_low)

    def reward(self) -> tuple[float, dict[str, float]]:
        """The task's reward and its terms in the simulator's current state (after a hand-set
        state, call ``mujoco.mj_forward(env.model, env.data)`` first)."""
        return self._reward(self.readings, self.data)

    def step(self, action):
        self.data.ctrl[:] = self.targets(action)
        mujoco.mj_step(self.model, self.data, nstep=FRAME_SKIP)
        reward, terms = self.reward()
        terminated = self.fall_height is not None and bool(self.data.qpos[2] < self.fall_height)
        return self._obs(), reward, terminated, False, terms

    def render(self) -> np.ndarray | None:
        if self.render_mode != "rgb_array":
            return None
        if self._renderer is None:
            height, width = self._render_size
            self._renderer = mujoco.Renderer(self.model, height, width)
        self._renderer.update_scene(self.data, camera=CAMERA)
        # Shadows would triple the cost of a frame (software rendering of ~290k mesh faces).
        self._renderer.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = False
        return self._renderer.render()

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
