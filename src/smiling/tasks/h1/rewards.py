"""The three tasks' rewards, as HumanoidBench defines them, from the simulator's state.

Every term is a :func:`dm_control.utils.rewards.tolerance`: 1 inside its bounds, falling off
outside them over ``margin`` (``gaussian`` by default: 0.1 at the margin; ``linear`` and
``quadratic``: ``value_at_margin`` there, 0 beyond). Terms shared by the tasks:

- ``small_control = (4 + mean_j tol(force_j, margin=10, quadratic, 0 at margin)) / 5`` over the
  19 actuator forces (N or N m): 1 at zero force, at least 0.8;
- ``upright``: the world-z component of the torso's z axis (1 upright, 0 lying, -1 upside down);
- ``head height``: the ``head`` site's height; ``com velocity``: the robot's centre-of-mass
  velocity (world frame).

Per task (``x, y, z`` are the pelvis's position, ``qpos[0:3]``):

- **sit_simple** = ``small_control * sit * dont_move``, ``sit = (0.5 sitting + 0.5 on_chair)
  * upright * posture``; ``sitting = tol(z, [0.68, 0.72], margin 0.2)``; ``on_chair =
  tol(x - chair_x, [-0.19, 0.19], margin 0.2) * tol(y - chair_y, 0, margin 0.1)``; ``posture =
  tol(head_z - imu_z, [0.35, 0.45], margin 0.3)``; ``upright = tol(., [0.95, inf), linear,
  margin 0.9, 0 at margin)``; ``dont_move`` = mean over the horizontal com velocity's two
  components of ``tol(v, 0, margin 2)``.
- **crawl** = ``(0.1 small_control + 0.25 min(crawling, crawling_head) + 0.4 move + 0.25
  orientation) * in_tunnel``; ``crawling = tol(imu_z, [0.6, 1.0], margin 1)``,
  ``crawling_head = tol(head_z, [0.6, 1.0], margin 1)``; ``move = (5 tol(vx, [1, inf), linear,
  margin 1, 0 at margin) + 1) / 6``; ``orientation = tol(|pelvis quaternion - (0.75, 0, 0.65,
  0)|, 0, margin 1)`` (pitched forward, face down); ``in_tunnel = tol(imu_y, [-1, 1], margin
  0)``: 1 between the walls, else 0.
- **pole** = ``(0.5 small_control * standing * upright + 0.5 move) * collision``; ``standing =
  tol(head_z, [1.65, inf), margin 1.65 / 4)``; ``upright = tol(., [0.9, inf), linear, margin
  1.9, 0 at margin)``; ``move`` as crawl's with speed 0.5 m/s; ``collision`` is 0.1 while any
  pole touches anything but the floor, else 1.

HumanoidBench reads these right after its physics steps, from the state MuJoCo leaves there
(positions integrated, site positions, forces and contacts from the last step's start, 2 ms
earlier): so do the environments here (:mod:`smiling.tasks.h1.env`). For a state set by hand,
call ``mujoco.mj_forward`` first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import mujoco
import numpy as np
from dm_control.utils.rewards import tolerance

from smiling.tasks.h1.arenas import POLE_PREFIX
from smiling.tasks.h1.model import COM_VELOCITY_SENSOR

INF = float("inf")
STAND_HEIGHT = 1.65  # head height above which standing is 1
CRAWL_HEIGHT = 0.8  # crawl's target height for the head and the imu, +-0.2
CRAWL_SPEED = 1.0
POLE_SPEED = 0.5
CRAWL_PELVIS_QUAT = np.array([0.75, 0.0, 0.65, 0.0])
POLE_CONTACT_DISCOUNT = 0.1

Terms = dict[str, float]


@dataclass(frozen=True)
class H1Readings:
    """Where the rewards' quantities live in a compiled H1 model."""

    head: int  # site ids
    imu: int
    torso: int  # body ids
    pelvis: int
    chair: int | None
    com_velocity_at: slice  # in sensordata
    floor: int  # geom id
    pole_geoms: np.ndarray  # bool per geom: a pole

    @classmethod
    def of(cls, model: mujoco.MjModel) -> H1Readings:
        def find(kind: mujoco.mjtObj, name: str) -> int:
            index = mujoco.mj_name2id(model, kind, name)
            if index < 0:
                raise ValueError(f"the H1 model has no {kind.name} named '{name}'")
            return index

        obj = mujoco.mjtObj
        site, body, geom = obj.mjOBJ_SITE, obj.mjOBJ_BODY, obj.mjOBJ_GEOM
        sensor = find(obj.mjOBJ_SENSOR, COM_VELOCITY_SENSOR)
        adr = int(model.sensor_adr[sensor])
        names = [mujoco.mj_id2name(model, geom, i) or "" for i in range(model.ngeom)]
        chair = mujoco.mj_name2id(model, body, "chair")
        return cls(
            head=find(site, "head"),
            imu=find(site, "imu"),
            torso=find(body, "torso_link"),
            pelvis=find(body, "pelvis"),
            chair=chair if chair >= 0 else None,
            com_velocity_at=slice(adr, adr + 3),
            floor=find(geom, "floor"),
            pole_geoms=np.array([n.startswith(POLE_PREFIX) for n in names], bool),
        )

    # ------------------------------------------------------------------ quantities
    def head_height(self, data: mujoco.MjData) -> float:
        return float(data.site_xpos[self.head, 2])

    def imu_position(self, data: mujoco.MjData) -> np.ndarray:
        return data.site_xpos[self.imu]

    def torso_upright(self, data: mujoco.MjData) -> float:
        return float(data.xmat[self.torso, 8])  # z component of the torso's z axis

    def com_velocity(self, data: mujoco.MjData) -> np.ndarray:
        return data.sensordata[self.com_velocity_at]

    def pole_contact(self, data: mujoco.MjData) -> bool:
        """Whether any pole touches anything other than the floor."""
        pairs = data.contact.geom[: data.ncon]
        if not len(pairs) or not self.pole_geoms.any():
            return False
        touches = self.pole_geoms[pairs].any(axis=1) & (pairs != self.floor).all(axis=1)
        return bool(touches.any())


def small_control(forces: np.ndarray) -> float:
    per_actuator = tolerance(forces, margin=10, value_at_margin=0, sigmoid="quadratic")
    return float((4 + np.mean(per_actuator)) / 5)


def move(speed: float, target: float) -> float:
    fast = tolerance(
        speed, bounds=(target, INF), margin=target, value_at_margin=0, sigmoid="linear"
    )
    return float((5 * fast + 1) / 6)


def sit_simple(r: H1Readings, data: mujoco.MjData) -> tuple[float, Terms]:
    x, y, z = data.qpos[:3]
    chair = data.xpos[r.chair]
    sitting = tolerance(z, bounds=(0.68, 0.72), margin=0.2)
    on_chair = tolerance(x - chair[0], bounds=(-0.19, 0.19), margin=0.2) * tolerance(
        y - chair[1], margin=0.1
    )
    posture = tolerance(
        r.head_height(data) - r.imu_position(data)[2], bounds=(0.35, 0.45), margin=0.3
    )
    upright = tolerance(
        r.torso_upright(data), bounds=(0.95, INF), sigmoid="linear", margin=0.9, value_at_margin=0
    )
    sit = (0.5 * sitting + 0.5 * on_chair) * upright * posture
    control = small_control(data.actuator_force)
    dont_move = float(np.mean(tolerance(r.com_velocity(data)[:2], margin=2)))
    terms = {
        "small_control": control,
        "sit_reward": float(sit),
        "dont_move": dont_move,
        "sitting": float(sitting),
        "on_chair": float(on_chair),
        "upright": float(upright),
        "sitting_posture": float(posture),
    }
    return float(control * sit * dont_move), terms


def crawl(r: H1Readings, data: mujoco.MjData) -> tuple[float, Terms]:
    control = small_control(data.actuator_force)
    forward = move(r.com_velocity(data)[0], CRAWL_SPEED)
    low = (CRAWL_HEIGHT - 0.2, CRAWL_HEIGHT + 0.2)
    imu = r.imu_position(data)
    crawling_head = tolerance(r.head_height(data), bounds=low, margin=1)
    crawling = tolerance(imu[2], bounds=low, margin=1)
    pelvis_quat = data.xquat[r.pelvis]
    orientation = tolerance(np.linalg.norm(pelvis_quat - CRAWL_PELVIS_QUAT), margin=1)
    in_tunnel = tolerance(imu[1], bounds=(-1, 1), margin=0)
    reward = (
        0.1 * control + 0.25 * min(crawling, crawling_head) + 0.4 * forward + 0.25 * orientation
    ) * in_tunnel
    terms = {
        "small_control": control,
        "move": forward,
        "crawling": float(crawling),
        "crawling_head": float(crawling_head),
        "orientation": float(orientation),
        "in_tunnel": float(in_tunnel),
    }
    return float(reward), terms


def pole(r: H1Readings, data: mujoco.MjData) -> tuple[float, Terms]:
    standing = tolerance(r.head_height(data), bounds=(STAND_HEIGHT, INF), margin=STAND_HEIGHT / 4)
    upright = tolerance(
        r.torso_upright(data), bounds=(0.9, INF), sigmoid="linear", margin=1.9, value_at_margin=0
    )
    stand = standing * upright
    control = small_control(data.actuator_force)
    forward = move(r.com_velocity(data)[0], POLE_SPEED)
    collision = POLE_CONTACT_DISCOUNT if r.pole_contact(data) else 1.0
    terms = {
        "stand_reward": float(stand),
        "small_control": control,
        "move": forward,
        "standing": float(standing),
        "upright": float(upright),
        "collision_discount": collision,
    }
    return float((0.5 * control * stand + 0.5 * forward) * collision), terms


REWARDS: dict[str, Callable[[H1Readings, mujoco.MjData], tuple[float, Terms]]] = {
    "sit_simple": sit_simple,
    "crawl": crawl,
    "pole": pole,
}
