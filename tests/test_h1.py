"""The Unitree H1 tasks (smiling.tasks.h1): the model as HumanoidBench builds it, the ids through
``smiling.make_env``, and each reward term at hand-set poses against values worked out by hand
from HumanoidBench's definitions.

A gaussian tolerance with margin ``m`` is ``0.1 ** ((d / m) ** 2)`` at distance ``d`` outside
its bounds; a linear one with 0 at the margin is ``1 - d / m``; a quadratic one ``1 - (d / m) **
2``. Poses are set with every joint at the standing keyframe's angle and its servo aimed at that
angle (zero actuator force), unless a test says otherwise.
"""

from __future__ import annotations

import sys

# isort: off
import smiling.envs  # noqa: F401  (first: it sets MUJOCO_GL, offscreen GL, before mujoco loads)

# isort: on
import gymnasium as gym
import mujoco
import numpy as np
import pytest

from smiling import make_env
from smiling.tasks.h1 import ENV_IDS, HORIZON, TERMINATING_IDS
from smiling.termination import can_terminate

# The model's package needs Python 3.11; everywhere else these tests run (make test installs it).
pytestmark = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="the H1 model's package needs Python 3.11"
)

IMU = np.array([-0.04452, -0.01891, 0.27756])  # the imu site in the torso's frame
HEAD = np.array([0.0, 0.0, 0.7])  # the head site in the torso's frame
CHAIR_X = -0.25


def g(d: float, margin: float) -> float:
    """Gaussian tolerance at distance ``d`` outside the bounds."""
    return 0.1 ** ((d / margin) ** 2)


def quat_x(angle: float) -> np.ndarray:
    """Rotation by ``angle`` about the world x axis (roll), as (w, x, y, z)."""
    return np.array([np.cos(angle / 2), np.sin(angle / 2), 0.0, 0.0])


@pytest.fixture(scope="module")
def envs():
    from smiling.tasks.h1.env import H1Env

    made = {task: H1Env(task) for task in ENV_IDS}
    yield made
    for env in made.values():
        env.close()


def place(env, pos, quat=(1, 0, 0, 0), lin_vel=(0, 0, 0), pull=None):
    """Put the robot at pelvis position ``pos`` and orientation ``quat`` moving at ``lin_vel``
    (no rotation), joints as in the keyframe, servo targets on them plus ``pull``
    ({actuator index: offset in rad}); returns the reward and its terms."""
    from smiling.tasks.h1.model import HOME_QPOS

    model, data = env.model, env.data
    mujoco.mj_resetData(model, data)
    data.qpos[:] = HOME_QPOS
    data.qpos[:3], data.qpos[3:7] = pos, quat
    data.qvel[:3] = lin_vel
    data.ctrl[:] = data.qpos[7:]
    for index, offset in (pull or {}).items():
        data.ctrl[index] += offset
    mujoco.mj_forward(model, data)
    return env.reward()


# ------------------------------------------------------------------------------ model
def test_model_is_humanoidbench_h1_pos(envs):
    from smiling.tasks.h1.model import JOINTS

    model = envs["sit_simple"].model
    assert (model.nq, model.nv, model.nu) == (26, 25, 19)
    assert model.opt.timestep == 0.002 and model.opt.solver == mujoco.mjtSolver.mjSOL_NEWTON
    assert (model.opt.iterations, model.opt.ls_iterations) == (100, 50)
    assert model.body_subtreemass[1] == pytest.approx(51.65, abs=0.01)  # kg, with its ankles
    name = lambda i: mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_ACTUATOR, i)
    assert [name(i) for i in range(19)] == list(JOINTS)
    # Position servos: gain kp, bias -kp q - kv qdot, force limits, targets over joint ranges.
    kp = {"hip": 200, "knee": 300, "ankle": 40, "torso": 300, "shoulder": 100, "elbow": 100}
    kv = {"hip": 5, "knee": 6, "ankle": 2, "torso": 6, "shoulder": 2, "elbow": 2}
    force = {"hip": 200, "knee": 300, "ankle": 40, "torso": 200, "elbow": 18}
    for i, joint in enumerate(JOINTS):
        kind = next(k for k in kp if k in joint)
        limit = 18 if joint.endswith("shoulder_yaw") else force.get(kind, 40)
        assert model.actuator_gainprm[i, 0] == kp[kind]
        np.testing.assert_array_equal(model.actuator_biasprm[i, :3], [0, -kp[kind], -kv[kind]])
        np.testing.assert_array_equal(model.actuator_forcerange[i], [-limit, limit])
        jnt = model.actuator_trnid[i, 0]
        np.testing.assert_array_equal(model.actuator_ctrlrange[i], model.jnt_range[jnt])
    np.testing.assert_array_equal(model.actuator_ctrlrange[2], [-3.14, 2.53])  # hip pitch
    # Every link but the hip-yaw links collides through its own mesh.
    colliding = model.geom_contype > 0
    robot = model.body_rootid[model.geom_bodyid] == 1  # the pelvis's tree, not the chair
    meshes = colliding & robot & (model.geom_type == mujoco.mjtGeom.mjGEOM_MESH)
    assert meshes.sum() == 18 and (colliding & robot).sum() == 20


def test_ids_registered_with_the_contract():
    for env_id in [*ENV_IDS.values(), *TERMINATING_IDS.values()]:
        assert gym.spec(env_id).max_episode_steps == HORIZON
        env = make_env(env_id, seed=0)
        assert env.observation_space.shape == (51,) and env.action_space.shape == (19,)
        assert np.all(env.action_space.low == -1) and np.all(env.action_space.high == 1)
        assert can_terminate(env) == (env_id in TERMINATING_IDS.values())
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert obs.dtype == np.float32 and np.all(np.isfinite(obs))
        assert isinstance(reward, float) and not terminated and not truncated
        assert "small_control" in info
        env.close()


def test_observation_is_qpos_then_qvel_from_the_noisy_keyframe(envs):
    from smiling.tasks.h1.model import HOME_QPOS

    env = envs["crawl"]
    obs, _ = env.reset(seed=5)
    np.testing.assert_array_equal(obs[:26], env.data.qpos)
    np.testing.assert_array_equal(obs[26:], env.data.qvel)
    assert np.all(np.abs(obs[:26] - HOME_QPOS) <= 0.01) and np.all(obs[26:] == 0)
    assert 0.97 <= obs[2] <= 0.99  # pelvis height


def test_actions_span_the_joint_ranges(envs):
    env = envs["pole"]
    low, high = env.model.actuator_ctrlrange.T
    np.testing.assert_allclose(env.targets(-np.ones(19)), low)
    np.testing.assert_allclose(env.targets(np.ones(19)), high)
    np.testing.assert_allclose(env.targets(np.zeros(19)), (low + high) / 2)
    np.testing.assert_allclose(env.targets(3 * np.ones(19)), high)  # clipped to [-1, 1]


def test_seeded_resets_and_rollouts_are_identical():
    def rollout(seed):
        env = make_env(ENV_IDS["sit_simple"], seed=seed)
        first = env.reset(seed=seed)[0]
        actions = np.random.default_rng(0).uniform(-1, 1, (3, 19)).astype(np.float32)
        steps = [env.step(a)[:2] for a in actions]
        env.close()
        return first, np.stack([o for o, _ in steps]), [r for _, r in steps]

    a, b, c = rollout(7), rollout(7), rollout(8)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[2] == b[2]
    assert not np.array_equal(a[0], c[0])


# ------------------------------------------------------------------------------ rewards
def test_standing_scores_stand_and_upright_near_1_and_fallen_near_0(envs):
    env = envs["pole"]
    _, stand = place(env, (0, 0, 0.98))  # head at 0.98 + 0.7 m, above 1.65
    assert stand["standing"] == 1.0 and stand["upright"] == 1.0 and stand["stand_reward"] == 1
    on_back = (np.cos(np.pi / 4), 0, -np.sin(np.pi / 4), 0)  # torso axis horizontal
    _, lying = place(env, (0, 0, 0.15), quat=on_back)
    assert lying["standing"] == pytest.approx(g(1.65 - 0.15, 1.65 / 4), rel=1e-6)  # 6e-14
    assert lying["upright"] == pytest.approx(1 - 0.9 / 1.9)  # linear: 0 only upside down
    assert lying["stand_reward"] < 1e-12
    _, upside_down = place(env, (0, 0, 1.8), quat=quat_x(np.pi))
    assert upside_down["upright"] == pytest.approx(0.0, abs=1e-12)


def test_sit_reward_is_high_only_at_sitting_height_on_the_chair(envs):
    env = envs["sit_simple"]
    seated, terms = place(env, (CHAIR_X, 0, 0.70))
    assert seated == pytest.approx(1.0)
    assert terms["sitting_posture"] == 1.0  # head 0.7 - imu 0.278 = 0.422 m, in [0.35, 0.45]
    standing_on_chair, _ = place(env, (CHAIR_X, 0, 0.98))
    assert standing_on_chair == pytest.approx(0.5 + 0.5 * g(0.98 - 0.72, 0.2))  # ~0.51
    low_off_chair, terms = place(env, (1.5, 1.0, 0.70))
    assert terms["on_chair"] < 1e-20 and low_off_chair == pytest.approx(0.5)
    sprawled, _ = place(env, (CHAIR_X, 0, 0.70), quat=quat_x(np.pi / 2))
    assert sprawled == 0.0  # upright: 0 below 0.95 - 0.9


def test_sit_terms_at_a_hand_set_pose(envs):
    env = envs["sit_simple"]
    tilt = 0.5
    # Knee pulled 0.01 rad: 300 * 0.01 = 3 N m. Elbow 0.05: 5 N m. Ankle 2 (the target clips at
    # the joint's end, 0.52 - (-0.4) = 0.92 rad): 36.8 N m, beyond the 10 N m margin.
    pull = {3: 0.01, 14: 0.05, 4: 2.0}
    reward, t = place(env, (CHAIR_X + 0.25, 0.05, 0.80), quat_x(tilt), (0.5, -1.0, 0), pull)
    forces = np.zeros(19)
    forces[[3, 14, 4]] = 3.0, 5.0, 36.8
    np.testing.assert_allclose(env.data.actuator_force, forces, atol=1e-9)
    control = (4 + (16 + (1 - 0.3**2) + (1 - 0.5**2) + 0) / 19) / 5
    sitting = g(0.80 - 0.72, 0.2)
    on_chair = g(0.25 - 0.19, 0.2) * g(0.05, 0.1)
    rise = (HEAD - IMU) @ [0, np.sin(tilt), np.cos(tilt)]  # 0.380 m: in [0.35, 0.45]
    assert 0.35 < rise < 0.45 and t["sitting_posture"] == 1.0
    upright = 1 - (0.95 - np.cos(tilt)) / 0.9
    dont_move = (g(0.5, 2) + g(1.0, 2)) / 2
    expected = {
        "small_control": control,
        "sitting": sitting,
        "on_chair": on_chair,
        "upright": upright,
        "dont_move": dont_move,
        "sit_reward": (0.5 * sitting + 0.5 * on_chair) * upright,
    }
    for name, value in expected.items():
        assert t[name] == pytest.approx(value, rel=1e-9), name
    assert reward == pytest.approx(control * expected["sit_reward"] * dont_move, rel=1e-9)


def test_crawl_terms_at_a_hand_set_pose_and_the_tunnel_term(envs):
    env = envs["crawl"]
    reward, t = place(env, (3.0, 0.4, 0.5), lin_vel=(0.4, 0, 0))
    crawling_head = g(0.5 + 0.7 - 1.0, 1)  # head 1.2 m, 0.2 above the band [0.6, 1.0]
    assert t["crawling"] == 1.0  # imu at 0.5 + 0.278 m: in the band
    assert t["crawling_head"] == pytest.approx(crawling_head, rel=1e-9)
    # |(1, 0, 0, 0) - (0.75, 0, 0.65, 0)|^2 = 0.25^2 + 0.65^2 = 0.485
    assert t["orientation"] == pytest.approx(0.1**0.485, rel=1e-9)
    assert t["move"] == pytest.approx((5 * (1 - 0.6) + 1) / 6)  # 0.4 m/s of the 1 asked
    assert t["small_control"] == 1.0 and t["in_tunnel"] == 1.0
    inside = 0.1 + 0.25 * crawling_head + 0.4 * 0.5 + 0.25 * 0.1**0.485
    assert reward == pytest.approx(inside, rel=1e-9)
    outside, t = place(env, (3.0, 1.5, 0.5), lin_vel=(0.4, 0, 0))  # imu y 1.48: past y = 1
    assert t["in_tunnel"] == 0.0 and outside == 0.0
    edge, t = place(env, (3.0, 1.0 - 1e-3 - IMU[1], 0.5))  # imu y just inside 1 m
    assert t["in_tunnel"] == 1.0 and edge > 0


def test_pole_terms_and_contact_scale_the_reward_by_a_tenth(envs):
    env = envs["pole"]
    tilt = 0.5
    reward, t = place(env, (0, 0, 0.98), quat=quat_x(tilt), lin_vel=(0.25, 0, 0))
    standing = g(1.65 - (0.98 + 0.7 * np.cos(tilt)), 1.65 / 4)
    upright = 1 - (0.9 - np.cos(tilt)) / 1.9
    move = (5 * (1 - 0.25 / 0.5) + 1) / 6
    assert t["standing"] == pytest.approx(standing, rel=1e-9)
    assert t["upright"] == pytest.approx(upright, rel=1e-9)
    assert t["move"] == pytest.approx(move) and t["collision_discount"] == 1.0
    assert reward == pytest.approx(0.5 * standing * upright + 0.5 * move, rel=1e-9)
    # Row 1 of the poles stands at x = 1 with poles at y = +-0.75: between them, free (the feet
    # on the floor do not count); on y = 0.75, the pole runs through the robot.
    free, t = place(env, (1.0, 0.0, 0.98), lin_vel=(0.25, 0, 0))
    assert t["collision_discount"] == 1.0 and env.data.ncon > 0
    hit, t = place(env, (1.0, 0.75, 0.98), lin_vel=(0.25, 0, 0))
    assert t["collision_discount"] == 0.1
    assert free == pytest.approx(0.5 + 0.5 * move) and hit == pytest.approx(0.1 * free)


def test_termination_is_an_option_and_off_by_default():
    from smiling.tasks.h1.env import H1Env

    on_back = (np.cos(np.pi / 4), 0, -np.sin(np.pi / 4), 0)
    for task, ends in (("sit_simple", True), ("pole", True), ("crawl", False)):
        for terminate in (False, True):
            env = H1Env(task, terminate=terminate)
            env.reset(seed=0)
            place(env, (0, 0, 0.2), quat=on_back)
            terminated = env.step(np.zeros(19))[2]
            assert terminated == (terminate and ends), (task, terminate)


def test_a_frame_renders():
    env = make_env(ENV_IDS["sit_simple"], seed=0)
    frame = env.render()
    env.close()
    assert frame.shape == (240, 320, 3) and frame.dtype == np.uint8
    assert frame.std() > 10  # a scene, not a blank image


@pytest.mark.filterwarnings("ignore::UserWarning")  # Minari's requests for an author, ...
def test_recorded_episodes_round_trip_through_minari(tmp_path, monkeypatch):
    """Demonstrations recorded on an H1 task keep its id and values through a Minari dataset."""
    pytest.importorskip("minari")
    from smiling import Demonstrations
    from smiling.evaluation import random_policy, record_episodes

    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "minari"))
    env = gym.wrappers.TimeLimit(make_env(ENV_IDS["crawl"], seed=0), max_episode_steps=6)
    recorded = record_episodes(env, random_policy(env), 2, seed=0)
    demos = Demonstrations(
        env_id=ENV_IDS["crawl"],
        observations=recorded.observations,
        actions=recorded.actions,
        rewards=recorded.rewards,
        episode_lengths=recorded.lengths,
    )
    path = demos.to_minari("smiling/h1-crawl-test-v0", tmp_path / "dataset")
    back = Demonstrations.from_minari(path)
    assert back.env_id == ENV_IDS["crawl"] and back.obs_dim == 51 and back.act_dim == 19
    np.testing.assert_array_equal(back.observations, demos.observations)
    np.testing.assert_allclose(back.actions, demos.actions, atol=1e-6)
    np.testing.assert_array_equal(back.episode_lengths, [6, 6])
