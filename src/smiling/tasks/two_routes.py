"""TwoRoutes: a point mass that reaches a goal around a round obstacle, above it or below it.

A task whose expert behaviour has two clearly distinct, equally good modes (issue 20,
"multi-modal experts"). The mass starts left of a disk, the goal lies right of it, and the disk
sits on the straight line between them, so every good path passes it either above (``up``) or
below (``down``); the task is mirror-symmetric in ``y``, so both routes earn the same return.
:func:`route` reads an episode's mode off its states.

- state (4 floats): position ``x, y`` and velocity ``vx, vy``;
- action (2 floats in [-1, 1]): a force; ``v += DT * (ACCEL * a - DAMPING * v)``, then
  ``p += DT * v`` (top speed ``ACCEL / DAMPING = 1``, 0.05 per step);
- start: ``(-1, 0)`` plus uniform noise of +-``START_NOISE`` on each coordinate, at rest;
- reward: ``-|p - goal|``, plus 1 while within ``GOAL_RADIUS`` of the goal;
- episodes last ``HORIZON`` steps and end by truncation only (no terminal states).

The walls of the arena (``|x|, |y| <= ARENA``) and the disk stop the mass without bouncing: it
slides along them. The variants ``route="up"`` / ``route="down"`` add a wall from the disk to
the arena's edge that closes the other route (ids ``smiling/TwoRoutes-up-v0`` and
``smiling/TwoRoutes-down-v0``): an expert trained with SAC there takes the open route, and since
its route never touches the wall, it takes it in the plain task as well, whose states are the
same. The ids are registered with Gymnasium when :mod:`smiling.envs` is imported.
"""

from __future__ import annotations

from collections.abc import Sequence

import gymnasium as gym
import numpy as np
from gymnasium import spaces

ENV_ID = "smiling/TwoRoutes-v0"
VARIANT_IDS = {"up": "smiling/TwoRoutes-up-v0", "down": "smiling/TwoRoutes-down-v0"}
ROUTES = ("up", "down")
NO_ROUTE = "none"  # an episode that never passed the obstacle
HORIZON = 200

DT = 0.05
ACCEL = 2.0
DAMPING = 2.0
ARENA = 1.5
START = np.array([-1.0, 0.0])
START_NOISE = 0.1
GOAL = np.array([1.0, 0.0])
GOAL_RADIUS = 0.1
GOAL_BONUS = 1.0
OBSTACLE_RADIUS = 0.5  # the disk is centred at the origin
WALL_HALF_WIDTH = 0.1  # a route's blocking wall: |x| < this, from the disk to the arena's edge
WALL_INNER = 0.45  # |y| where the wall starts: inside the disk, so no gap is left
MAX_SPEED = ACCEL / DAMPING


class TwoRoutesEnv(gym.Env):
    """The point mass of the module docstring; ``route`` (``None``, ``"up"``, ``"down"``)
    names the one route left open (``None``: both)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 20}

    def __init__(self, route: str | None = None, render_mode: str | None = None):
        if route is not None and route not in ROUTES:
            raise ValueError(f"route must be None or one of {ROUTES}, got {route!r}")
        self.route = route
        self.render_mode = render_mode
        high = np.array([ARENA, ARENA, MAX_SPEED, MAX_SPEED], np.float32)
        self.observation_space = spaces.Box(-high, high, dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.pos = START.copy()
        self.vel = np.zeros(2)

    # ------------------------------------------------------------ geometry
    def blocked(self, pos: np.ndarray) -> bool:
        """Whether ``pos`` lies inside the disk or this variant's wall."""
        return _in_disk(pos) or self._in_wall(pos)

    def _in_wall(self, pos: np.ndarray) -> bool:
        if self.route is None or abs(pos[0]) >= WALL_HALF_WIDTH:
            return False
        # "up" leaves the upper route open: its wall closes the lower one (y below the disk).
        return bool(pos[1] < -WALL_INNER) if self.route == "up" else bool(pos[1] > WALL_INNER)

    def _move(self, old: np.ndarray, new: np.ndarray, vel: np.ndarray) -> None:
        """Put the mass at ``new`` (moved out of what it ran into) with velocity ``vel``."""
        for axis in range(2):  # the arena's walls
            if abs(new[axis]) > ARENA:
                new[axis] = np.sign(new[axis]) * ARENA
                vel[axis] = 0.0
        if _in_disk(new):  # onto the disk's edge, keeping only the tangential velocity
            normal = new / max(np.linalg.norm(new), 1e-9)
            new = normal * (OBSTACLE_RADIUS + 1e-9)
            vel = vel - min(float(vel @ normal), 0.0) * normal
        if self._in_wall(new):  # back to the face it came from
            new[0] = np.copysign(WALL_HALF_WIDTH, old[0] if old[0] != 0 else -1.0)
            vel[0] = 0.0
        if self.blocked(new):  # a corner between the disk and a wall: stay put
            new, vel = old.copy(), np.zeros(2)
        self.pos, self.vel = new, vel

    # ------------------------------------------------------------ gym API
    def _obs(self) -> np.ndarray:
        return np.concatenate([self.pos, self.vel]).astype(np.float32)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.pos = START + self.np_random.uniform(-START_NOISE, START_NOISE, 2)
        self.vel = np.zeros(2)
        return self._obs(), {}

    def step(self, action):
        a = np.clip(np.asarray(action, np.float64), -1.0, 1.0)
        vel = self.vel + DT * (ACCEL * a - DAMPING * self.vel)
        self._move(self.pos.copy(), self.pos + DT * vel, vel)
        distance = float(np.linalg.norm(self.pos - GOAL))
        reward = -distance + (GOAL_BONUS if distance < GOAL_RADIUS else 0.0)
        return self._obs(), reward, False, False, {"distance": distance}

    def render(self) -> np.ndarray:
        """A top-down picture: grey obstacle and wall, green goal, red mass."""
        size = 160
        coords = (np.arange(size) + 0.5) / size * 2 * ARENA - ARENA
        x, y = np.meshgrid(coords, coords[::-1])
        image = np.full((size, size, 3), 255, np.uint8)
        grid = np.stack([x, y], -1)
        inside = np.hypot(x, y) < OBSTACLE_RADIUS
        if self.route is not None:
            inside |= np.apply_along_axis(self._in_wall, -1, grid)
        image[inside] = (120, 120, 120)
        image[np.hypot(x - GOAL[0], y - GOAL[1]) < GOAL_RADIUS] = (40, 170, 60)
        image[np.hypot(x - self.pos[0], y - self.pos[1]) < 0.06] = (210, 40, 40)
        return image


def _in_disk(pos: np.ndarray) -> bool:
    return bool(pos[0] ** 2 + pos[1] ** 2 < OBSTACLE_RADIUS**2)


def route(positions: np.ndarray) -> str:
    """The mode of one episode from its ``(T, >=2)`` states (x, y first): ``"up"`` or
    ``"down"`` by the sign of ``y`` where ``x`` first crosses the obstacle's centre (``x = 0``)
    from the left, ``"none"`` if it never does."""
    x, y = np.asarray(positions)[:, 0], np.asarray(positions)[:, 1]
    crossed = np.flatnonzero((x[:-1] < 0) & (x[1:] >= 0))
    if crossed.size == 0:
        return NO_ROUTE
    return "up" if y[crossed[0] + 1] > 0 else "down"


def routes(observations: np.ndarray, episode_lengths: Sequence[int]) -> list[str]:
    """:func:`route` of every episode of concatenated states (a demonstrations file's layout)."""
    starts = np.concatenate([[0], np.cumsum(episode_lengths)[:-1]]).astype(int)
    return [route(observations[s : s + n]) for s, n in zip(starts, episode_lengths, strict=True)]


def mode_fractions(modes: Sequence[str]) -> dict[str, float]:
    """The fraction of episodes of each mode, ``up``, ``down`` and ``none``."""
    n = max(len(modes), 1)
    return {m: sum(1 for x in modes if x == m) / n for m in (*ROUTES, NO_ROUTE)}


def register() -> None:
    """Register the plain task and its two one-route variants with Gymnasium (idempotent)."""
    entry = f"{__name__}:TwoRoutesEnv"
    for env_id, kwargs in ((ENV_ID, {}), *((v, {"route": r}) for r, v in VARIANT_IDS.items())):
        if env_id not in gym.registry:
            gym.register(env_id, entry_point=entry, max_episode_steps=HORIZON, kwargs=kwargs)
