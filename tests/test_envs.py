"""The environment contract: flat float32 observations, unit actions, truncation, seeding."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from smiling import UnknownEnvError, make_env
from smiling.algos.registry import METHODS
from smiling.envs import ActionRepeat, native_spaces, observation_keys
from smiling.errors import SettingError, SmilingError

ENV_IDS = ["Pendulum-v1", "MountainCarContinuous-v0", "dmc:cartpole-swingup", "dmc:cheetah-run"]


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_contract(env_id):
    env = make_env(env_id, seed=0)
    obs, _ = env.reset(seed=1)
    assert obs.dtype == np.float32 and obs.ndim == 1
    assert obs.shape == env.observation_space.shape
    assert env.observation_space.dtype == np.float32
    assert np.all(env.action_space.low == -1) and np.all(env.action_space.high == 1)
    for _ in range(5):
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        assert obs.dtype == np.float32 and obs.shape == env.observation_space.shape
        assert np.isfinite(reward)
    env.close()


@pytest.mark.parametrize("env_id", ["Pendulum-v1", "dmc:ball_in_cup-catch"])
def test_same_seed_same_first_observations(env_id):
    def rollout(seed):
        env = make_env(env_id, seed=seed)
        obs, _ = env.reset(seed=seed)
        trace = [obs]
        for _ in range(3):
            trace.append(env.step(np.full(env.action_space.shape, 0.3, np.float32))[0])
        return np.stack(trace)

    np.testing.assert_array_equal(rollout(7), rollout(7))
    assert not np.array_equal(rollout(7), rollout(8))


def test_dmc_truncates_at_1000_and_never_terminates():
    env = make_env("dmc:cartpole-swingup", seed=0)
    env.reset(seed=0)
    zero = np.zeros(env.action_space.shape, np.float32)
    for step in range(1, 1001):
        _, _, terminated, truncated, _ = env.step(zero)
        assert not terminated
        assert truncated == (step == 1000)


def test_dmc_state_set_by_hand_is_what_the_policy_sees_and_steps_from():
    """Diagnostics place cartpole upright by hand; the observation must then describe that
    state and the next step must start from it."""
    env = make_env("dmc:cartpole-swingup", seed=0)
    first, _ = env.reset(seed=0)
    dmc = env.unwrapped
    np.testing.assert_allclose(dmc.observe(), first, atol=1e-6)  # reset's own observation
    physics = dmc.physics
    with physics.reset_context():
        physics.named.data.qpos["slider"] = 0.3
        physics.named.data.qpos["hinge_1"] = 0.0  # upright
        physics.named.data.qvel[:] = 0.0
    obs = dmc.observe()  # cart position, then cos and sin of the pole angle, then velocities
    np.testing.assert_allclose(obs[:3], [0.3, 1.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(obs[3:], 0.0, atol=1e-9)
    after, reward, *_ = env.step(np.zeros(env.action_space.shape, np.float32))
    assert after[1] > 0.99 and abs(after[0] - 0.3) < 0.01  # one step on, still upright there
    assert reward > 0.9  # upright, near the centre, still: close to the maximum reward


def test_actions_are_rescaled_to_env_bounds():
    env = make_env("Pendulum-v1", seed=0)  # native torque range [-2, 2]
    env.reset(seed=0)
    env.step(np.array([1.0], np.float32))
    assert env.unwrapped.last_u == pytest.approx(2.0)


@pytest.mark.parametrize("env_id", ["Pendulum-v1", "dmc:cartpole-swingup"])
def test_render_offscreen(env_id):
    env = make_env(env_id, seed=0)
    env.reset(seed=0)
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert frame.std() > 0  # a real picture, not a blank buffer


@pytest.mark.parametrize("env_id", ["NoSuchEnv-v0", "dmc:cheetah-fly", "dmc:nodomain-run", "dmc:x"])
def test_unknown_env_explains_naming(env_id):
    with pytest.raises(UnknownEnvError, match="dmc:<domain>-<task>"):
        make_env(env_id)


def test_discrete_actions_rejected():
    with pytest.raises(UnknownEnvError, match="continuous"):
        make_env("CartPole-v1")


@pytest.mark.parametrize("task", ["finger-spin", "walker-walk", "cartpole-swingup"])
def test_dmc_observation_keys_are_the_concatenation_order(task):
    """The keys the Minari import flattens in are those of dm-control's observation itself."""
    from dm_control import suite

    env = make_env(f"dmc:{task}", seed=0)
    keys = observation_keys(env)
    raw = suite.load(*task.split("-"), task_kwargs={"random": 0}).reset().observation
    assert keys == tuple(raw)
    flat, _ = env.reset(seed=0)
    expected = np.concatenate([np.ravel(raw[k]) for k in keys]).astype(np.float32)
    np.testing.assert_allclose(flat, expected, rtol=1e-6)


def test_native_spaces():
    obs_space, act_space = native_spaces(make_env("InvertedPendulum-v5", seed=0))
    assert obs_space.shape == (4,) and (act_space.low[0], act_space.high[0]) == (-3.0, 3.0)
    assert observation_keys(make_env("Pendulum-v1", seed=0)) is None
    _, act_space = native_spaces(make_env("dmc:finger-spin"))
    assert act_space.shape == (2,) and act_space.high[0] == 1.0


def test_mujoco_warnings_leave_no_log_file_in_the_working_directory(tmp_path):
    """MuJoCo appends warnings to MUJOCO_LOG.TXT in the current directory unless a callback is
    set. A fresh process (dm-control, once imported, sets its own) in an empty directory makes
    HalfCheetah-v5 (deprecated ``settotalmass``) and forces one more warning (a NaN position)."""
    script = (
        "import mujoco, numpy, smiling\n"
        "env = smiling.make_env('HalfCheetah-v5', seed=0)\n"
        "model, data = env.unwrapped.model, env.unwrapped.data\n"
        "data.qpos[0] = numpy.nan\n"
        "mujoco.mj_checkPos(model, data)\n"
        "mujoco.mj_checkPos(model, data)\n"
    )
    src = str(Path(__file__).resolve().parents[1] / "src")
    path = os.pathsep.join(filter(None, [src, os.getenv("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []
    warnings = [line for line in result.stderr.splitlines() if "MuJoCo:" in line]
    assert any("QPOS" in line for line in warnings), result.stderr
    assert len(warnings) == len(set(warnings))  # each distinct warning once
    assert all(line.startswith("smiling: warning: MuJoCo: ") for line in warnings)


@pytest.mark.parametrize(
    "env_id, repeat, decisions", [("dmc:cartpole-swingup", 2, 500), ("Pendulum-v1", 3, 67)]
)
def test_action_repeat_holds_actions_and_sums_their_rewards(env_id, repeat, decisions):
    """A decision at repeat k is k simulator steps of the same action: its observation is the
    last one's, its reward their sum, and an episode ends at the same simulator step (Pendulum's
    200 steps at k = 3: 66 full decisions and one of 2 steps)."""
    actions = np.random.default_rng(0).uniform(-1, 1, (decisions, 1)).astype(np.float32)
    fine = make_env(env_id, seed=4)
    fine.reset(seed=4)
    coarse = make_env(env_id, seed=4, action_repeat=repeat)
    assert isinstance(coarse, ActionRepeat)
    coarse.reset(seed=4)
    for i, action in enumerate(actions):
        total = 0.0
        for _ in range(repeat):
            obs, reward, terminated, truncated, _ = fine.step(action)
            total += reward
            if terminated or truncated:
                break
        got = coarse.step(action)
        np.testing.assert_array_equal(got[0], obs)
        assert got[1] == pytest.approx(total, abs=1e-9)
        assert (got[2], got[3]) == (terminated, truncated) == (False, i == decisions - 1)
    assert native_spaces(coarse)[1] == native_spaces(fine)[1]


@pytest.mark.parametrize("repeat", [0, -2, 1.5])
def test_action_repeat_below_one_is_refused(repeat):
    with pytest.raises(SettingError, match="action_repeat must be an integer of at least 1"):
        make_env("Pendulum-v1", action_repeat=repeat)


class _NanAfter(gym.Env):
    """A user's environment whose state goes NaN at its third step."""

    observation_space = gym.spaces.Box(-np.inf, np.inf, (3,), np.float64)
    action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    metadata = {"render_modes": ["rgb_array"]}

    def __init__(self, render_mode: str | None = None):
        self.render_mode = render_mode

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(3), {}

    def step(self, action):
        self.t += 1
        obs = np.array([self.t, np.nan if self.t >= 3 else 0.0, 1.0])
        return obs, 0.0, False, False, {}


def test_a_non_finite_observation_is_one_clear_error_naming_the_environment():
    gym.register("SmilingTestNanAfter3-v0", entry_point=_NanAfter, max_episode_steps=50)
    try:
        env = make_env("SmilingTestNanAfter3-v0", seed=0)
        env.step(np.zeros(1, np.float32))
        env.step(np.zeros(1, np.float32))  # two finite steps pass through
        with pytest.raises(SmilingError, match=r"'SmilingTestNanAfter3-v0' returned a non-fin"
                           r"ite observation \(entries \[1\] of 3 are \[nan\]"):  # fmt: skip
            env.step(np.zeros(1, np.float32))
        # The learner stops with the environment's error, not a NaN policy further on.
        learner = METHODS["rl"].cls("SmilingTestNanAfter3-v0", None, preset="debug")
        with pytest.raises(SmilingError, match="SmilingTestNanAfter3-v0' returned a non-finite"):
            learner.learn(20, progress=False)
    finally:
        gym.registry.pop("SmilingTestNanAfter3-v0", None)


class _NoRenderMode(gym.Env):
    """A user's environment written without rendering: its constructor takes no render_mode."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
    action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)

    def __init__(self):
        pass

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(2, np.float32), {}

    def step(self, action):
        return np.zeros(2, np.float32), 0.0, False, False, {}


def test_an_environment_without_render_mode_trains_and_only_a_video_is_refused(recwarn):
    from smiling.evaluation import run_episodes
    from smiling.policy import stateless

    gym.register("SmilingTestNoRender-v0", entry_point=_NoRenderMode, max_episode_steps=5)
    try:
        env = make_env("SmilingTestNoRender-v0", seed=0)
        assert not [w for w in recwarn if "render_mode" in str(w.message)]  # not passed at all
        policy = stateless(lambda obs: np.zeros(1, np.float32))
        assert run_episodes(env, policy, 2, seed=0) == [0.0, 0.0]
        with pytest.raises(SmilingError, match="'SmilingTestNoRender-v0' renders no image"):
            run_episodes(env, policy, 1, seed=0, frames=[])
    finally:
        gym.registry.pop("SmilingTestNoRender-v0", None)
