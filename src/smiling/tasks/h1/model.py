"""HumanoidBench's H1 (``h1_pos``), built in code from MuJoCo Menagerie's ``unitree_h1``.

Menagerie's model (:mod:`smiling.tasks.h1.assets`) drives its 19 joints with torque motors and
collides through a few capsules, spheres and boxes. HumanoidBench's ``h1_pos`` is the same robot
(same bodies, joints, inertias, 19 of its 21 meshes) edited as follows, and this module makes the
same edits with MuJoCo's model-editing API (:class:`mujoco.MjSpec`):

- **Actuators**: 19 *position* servos instead of motors, each aimed over its joint's range,
  with HumanoidBench's gains and force limits (:data:`SERVOS`).
- **Hip pitch** range widened from +-1.57 to [-3.14, 2.53] rad (room to sit and to crawl).
- **Collision**: every link's own mesh (its convex hull) collides instead of the primitives;
  only the hip-yaw cylinders are kept, and Menagerie's torso/shoulder contact exclusions go.
- **Ankles**: HumanoidBench's newer ankle link (mass 0.552 kg and its inertia). Its mesh ships
  in no package; Menagerie's older ankle mesh is used for the feet's shape.
- **Sites and sensor** the rewards read: ``head`` (0.7 m above the torso joint), ``imu``
  (Menagerie's), ``left_foot``/``right_foot``, ``left_hand``/``right_hand``, and the pelvis
  subtree's linear velocity (the centre-of-mass velocity).
- **Physics**: timestep 0.002 s, Newton solver, 100 iterations, 50 line-search iterations
  (HumanoidBench's ``<option>``); one control step is :data:`FRAME_SKIP` physics steps (50 Hz).
- **Scene**: a ground plane, a light, the tracking camera ``cam_default`` and the start
  keyframe :data:`HOME_QPOS`; each task adds its props (:mod:`smiling.tasks.h1.arenas`).

Building reads and compiles 21 meshes (about a second); :func:`build_model` keeps one compiled
model per task and process and hands out copies.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import mujoco
import numpy as np

from smiling.tasks.h1.assets import h1_xml

TIMESTEP = 0.002
FRAME_SKIP = 10  # physics steps per control step: 50 Hz control
SOLVER_ITERATIONS = 100
LINESEARCH_ITERATIONS = 50

# Joints in qpos/qvel order, which is also the actuator (action) order.
JOINTS = (
    "left_hip_yaw",
    "left_hip_roll",
    "left_hip_pitch",
    "left_knee",
    "left_ankle",
    "right_hip_yaw",
    "right_hip_roll",
    "right_hip_pitch",
    "right_knee",
    "right_ankle",
    "torso",
    "left_shoulder_pitch",
    "left_shoulder_roll",
    "left_shoulder_yaw",
    "left_elbow",
    "right_shoulder_pitch",
    "right_shoulder_roll",
    "right_shoulder_yaw",
    "right_elbow",
)
HIP_PITCH_RANGE = (-3.14, 2.53)


@dataclass(frozen=True)
class Servo:
    """A position actuator: force ``kp * (target - q) - kv * qdot``, clipped to +-``force``."""

    kp: float
    kv: float
    force: float


_HIP, _KNEE, _ANKLE = Servo(200, 5, 200), Servo(300, 6, 300), Servo(40, 2, 40)
_SHOULDER, _ARM = Servo(100, 2, 40), Servo(100, 2, 18)  # pitch/roll; yaw and elbow
SERVOS: dict[str, Servo] = {
    **{f"{s}_{j}": _HIP for s in ("left", "right") for j in ("hip_yaw", "hip_roll", "hip_pitch")},
    **{f"{s}_knee": _KNEE for s in ("left", "right")},
    **{f"{s}_ankle": _ANKLE for s in ("left", "right")},
    "torso": Servo(300, 6, 200),
    **{f"{s}_shoulder_{j}": _SHOULDER for s in ("left", "right") for j in ("pitch", "roll")},
    **{f"{s}_{j}": _ARM for s in ("left", "right") for j in ("shoulder_yaw", "elbow")},
}

# Links whose own mesh is their collision shape (the hip-yaw links keep Menagerie's cylinder).
MESH_COLLIDERS = (
    "pelvis",
    *(f"{s}_{link}_link" for s in ("left", "right") for link in ("hip_roll", "hip_pitch")),
    *(f"{s}_{link}_link" for s in ("left", "right") for link in ("knee", "ankle")),
    "torso_link",
    *(
        f"{s}_{link}_link"
        for s in ("left", "right")
        for link in ("shoulder_pitch", "shoulder_roll", "shoulder_yaw", "elbow")
    ),
)
_KEEP_COLLIDERS = ("left_hip_yaw_link", "right_hip_yaw_link")

# HumanoidBench's ankle link (its inertial frame, mass and principal inertia).
ANKLE_INERTIA = {
    "ipos": (0.048568, 0.0, -0.045609),
    "iquat": (0.489385, 0.510394, 0.510394, 0.489385),
    "mass": 0.552448,
    "inertia": (0.00362, 0.00355701, 0.000149987),
}

# Sites the rewards read: (body, name, position in the body's frame).
SITES = (
    ("torso_link", "head", (0.0, 0.0, 0.7)),
    ("left_ankle_link", "left_foot", (0.0, 0.0, -0.05)),
    ("right_ankle_link", "right_foot", (0.0, 0.0, -0.05)),
    ("left_elbow_link", "left_hand", (0.31, 0.0, -0.01)),
    ("right_elbow_link", "right_hand", (0.31, 0.0, -0.01)),
)
COM_VELOCITY_SENSOR = "pelvis_subtreelinvel"
CAMERA = "cam_default"

# Standing start: pelvis 0.98 m up, knees bent 0.8 rad, hips and ankles -0.4 rad, arms down.
HOME_QPOS = np.array(
    [0, 0, 0.98, 1, 0, 0, 0]  # pelvis position, orientation (w, x, y, z)
    + [0, 0, -0.4, 0.8, -0.4] * 2  # legs: hip yaw, roll, pitch, knee, ankle
    + [0.0] * 9,  # torso, arms
    dtype=np.float64,
)
NQ, NV, NU = 26, 25, 19


def robot_spec() -> mujoco.MjSpec:
    """Menagerie's H1 edited into HumanoidBench's ``h1_pos`` (module docstring)."""
    spec = mujoco.MjSpec.from_file(str(h1_xml()))
    _physics_options(spec)
    _joints_and_inertia(spec)
    _colliders(spec)
    _sites_and_sensors(spec)
    _servos(spec)
    return spec


def _physics_options(spec: mujoco.MjSpec) -> None:
    spec.option.timestep = TIMESTEP
    spec.option.solver = mujoco.mjtSolver.mjSOL_NEWTON
    spec.option.iterations = SOLVER_ITERATIONS
    spec.option.ls_iterations = LINESEARCH_ITERATIONS


def _joints_and_inertia(spec: mujoco.MjSpec) -> None:
    for side in ("left", "right"):
        spec.joint(f"{side}_hip_pitch").range = HIP_PITCH_RANGE
        ankle = spec.body(f"{side}_ankle_link")
        for key, value in ANKLE_INERTIA.items():
            setattr(ankle, key, value)


def _colliders(spec: mujoco.MjSpec) -> None:
    for body in spec.bodies:
        if body.name in _KEEP_COLLIDERS:
            continue
        for geom in list(body.geoms):
            if geom.contype or geom.conaffinity:  # Menagerie's collision primitives
                spec.delete(geom)
    for name in MESH_COLLIDERS:
        body = spec.body(name)
        mesh = next(g.meshname for g in body.geoms if g.type == mujoco.mjtGeom.mjGEOM_MESH)
        body.add_geom(
            type=mujoco.mjtGeom.mjGEOM_MESH,
            meshname=mesh,
            group=3,
            contype=1,
            conaffinity=1,
            mass=0,
            density=0,
        )
    for exclude in list(spec.excludes):
        spec.delete(exclude)


def _sites_and_sensors(spec: mujoco.MjSpec) -> None:
    for body, name, pos in SITES:
        spec.body(body).add_site(name=name, pos=pos, size=[0.01, 0.01, 0.01], group=4)
    spec.add_sensor(
        name=COM_VELOCITY_SENSOR,
        type=mujoco.mjtSensor.mjSENS_SUBTREELINVEL,
        objtype=mujoco.mjtObj.mjOBJ_BODY,
        objname="pelvis",
    )


def _servos(spec: mujoco.MjSpec) -> None:
    for actuator in list(spec.actuators):
        spec.delete(actuator)
    for joint in JOINTS:
        servo = SERVOS[joint]
        actuator = spec.add_actuator(name=joint, target=joint, trntype=mujoco.mjtTrn.mjTRN_JOINT)
        actuator.set_to_position(kp=servo.kp, kv=servo.kv)
        actuator.ctrllimited = mujoco.mjtLimited.mjLIMITED_TRUE
        actuator.ctrlrange = spec.joint(joint).range
        actuator.forcelimited = mujoco.mjtLimited.mjLIMITED_TRUE
        actuator.forcerange = (-servo.force, servo.force)


def scene_spec(add_props: Callable[[mujoco.MjSpec], None] | None = None) -> mujoco.MjSpec:
    """The robot on a ground plane, lit, with the tracking camera and the start keyframe;
    ``add_props`` adds a task's objects (:mod:`smiling.tasks.h1.arenas`)."""
    spec = robot_spec()
    spec.modelname = "h1_pos"
    spec.visual.headlight.diffuse = (0.6, 0.6, 0.6)
    spec.visual.headlight.ambient = (0.3, 0.3, 0.3)
    spec.visual.headlight.specular = (0.0, 0.0, 0.0)
    spec.visual.quality.offsamples = 0  # no multisampling: half the cost of a frame on a CPU
    spec.add_texture(
        name="skybox",
        type=mujoco.mjtTexture.mjTEXTURE_SKYBOX,
        builtin=mujoco.mjtBuiltin.mjBUILTIN_GRADIENT,
        rgb1=(0.9, 0.9, 0.9),
        rgb2=(0.9, 0.9, 0.9),
        width=100,
        height=100,
    )
    spec.add_texture(
        name="grid",
        type=mujoco.mjtTexture.mjTEXTURE_2D,
        builtin=mujoco.mjtBuiltin.mjBUILTIN_CHECKER,
        mark=mujoco.mjtMark.mjMARK_EDGE,
        rgb1=(0.9, 0.9, 0.9),
        rgb2=(0.9, 0.9, 0.9),
        markrgb=(0.7, 0.7, 0.7),
        width=100,
        height=100,
    )
    floor_material = spec.add_material(name="floor", texrepeat=(20, 20), specular=0.5)
    floor_material.textures[mujoco.mjtTextureRole.mjTEXROLE_RGB] = "grid"
    world = spec.worldbody
    for light in list(spec.lights):  # Menagerie's spotlight on the torso
        spec.delete(light)
    world.add_light(
        pos=(0, 0, 10),
        dir=(0, 0, -1),
        type=mujoco.mjtLightType.mjLIGHT_DIRECTIONAL,
        ambient=(0.1, 0.1, 0.1),
        diffuse=(0.5, 0.5, 0.5),
        specular=(0.3, 0.3, 0.3),
    )
    # A plane collides everywhere; its size (20 m each way from the origin) is only drawn.
    world.add_geom(
        name="floor", type=mujoco.mjtGeom.mjGEOM_PLANE, size=(20, 20, 1), material="floor"
    )
    camera = spec.body("pelvis").add_camera(
        name=CAMERA, pos=(2, 3, 0.8), mode=mujoco.mjtCamLight.mjCAMLIGHT_TRACKCOM
    )
    camera.alt.type = mujoco.mjtOrientation.mjORIENTATION_XYAXES
    camera.alt.xyaxes = (-1, 0.5, 0, -0.2, -0.2, 1)
    if add_props is not None:
        add_props(spec)
    spec.add_key(name="home", qpos=HOME_QPOS)
    return spec


@functools.cache
def _compiled(task: str) -> mujoco.MjModel:
    from smiling.tasks.h1.arenas import ARENAS

    return scene_spec(ARENAS[task]).compile()


def build_model(task: str) -> mujoco.MjModel:
    """The compiled model of ``task`` (``sit_simple``, ``crawl``, ``pole``): a copy of one
    compiled once per process, so each environment may own (and change) its model."""
    import copy

    model = _compiled(task)
    if (model.nq, model.nv, model.nu) != (NQ, NV, NU):  # a task's props must be static
        raise AssertionError(f"H1 {task}: nq, nv, nu = {model.nq, model.nv, model.nu}")
    return copy.copy(model)
