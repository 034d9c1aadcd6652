"""Minari import and export: datasets made here with Minari's own DataCollector, in a temporary
MINARI_DATASETS_PATH; nothing is downloaded."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from conftest import make_demos

from smiling import Demonstrations, DemonstrationsError, SmilingError, make_env
from smiling.cli import main
from smiling.data import minari_io
from smiling.envs import observation_keys

minari = pytest.importorskip("minari")

# Minari asks for an author, a code link, ... on every dataset it creates.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(autouse=True)
def minari_root(tmp_path, monkeypatch):
    root = tmp_path / "minari"
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(root))
    return root


def record(env: gym.Env, dataset_id: str, seeds: list[int], steps: int | None = None):
    """Record one episode per seed with uniform-random actions (until done, or ``steps``).

    Returns the dataset and what the env produced: per episode the T+1 observations, T actions
    and T rewards.
    """
    collector = minari.DataCollector(env)
    collector.action_space.seed(0)
    episodes = []
    for seed in seeds:
        obs, _ = collector.reset(seed=seed)
        seen, actions, rewards = [obs], [], []
        done = False
        while not done and (steps is None or len(actions) < steps):
            action = collector.action_space.sample()
            obs, reward, terminated, truncated, _ = collector.step(action)
            seen.append(obs)
            actions.append(action)
            rewards.append(reward)
            done = terminated or truncated
        episodes.append((seen, np.asarray(actions), np.asarray(rewards)))
    dataset = collector.create_dataset(dataset_id)
    collector.close()
    return dataset, episodes


@pytest.fixture
def pendulum_dataset():
    """InvertedPendulum-v5: actions in [-3, 3], episodes that terminate early."""
    return record(gym.make("InvertedPendulum-v5"), "test/inverted-pendulum-v0", [0, 1, 2])


def finger_dataset(dataset_id: str = "test/finger-v0", seeds=(3, 4), steps: int = 6):
    """finger-spin recorded through shimmy, as Minari users record dm_control tasks: no env spec
    (shimmy's cannot be stored), dict observations whose natural key order is not sorted."""
    shimmy = pytest.importorskip("shimmy")
    from dm_control import suite

    env = gym.wrappers.TimeLimit(shimmy.DmControlCompatibilityV0(suite.load("finger", "spin")), 50)
    return record(env, dataset_id, list(seeds), steps=steps)


# ------------------------------------------------------------------------------------- import
def test_import_gymnasium_dataset(pendulum_dataset):
    dataset, episodes = pendulum_dataset
    demos = Demonstrations.from_minari("test/inverted-pendulum-v0", random_episodes=3)
    assert demos.env_id == "InvertedPendulum-v5"  # from the dataset's env spec
    lengths = [len(a) for _, a, _ in episodes]
    assert demos.episode_lengths.tolist() == lengths and max(lengths) < 1000  # terminated early
    expected_obs = np.concatenate([np.asarray(o[:-1], np.float32) for o, _, _ in episodes])
    np.testing.assert_array_equal(demos.observations, expected_obs)  # final observations dropped
    expected_actions = np.concatenate([a for _, a, _ in episodes]) / 3.0  # [-3, 3] -> [-1, 1]
    np.testing.assert_allclose(demos.actions, expected_actions, atol=1e-6)
    np.testing.assert_allclose(demos.rewards, np.concatenate([r for _, _, r in episodes]))
    assert demos.expert_return == pytest.approx(np.mean([r.sum() for _, _, r in episodes]))
    again = Demonstrations.from_minari(dataset, random_episodes=3)  # the object works too
    assert demos.random_return == again.random_return  # seeded: reproducible
    env = make_env("InvertedPendulum-v5")
    demos.check_env("InvertedPendulum-v5", env.observation_space.shape[0], 1)
    assert demos.versions["minari"] == minari.__version__


def test_import_by_path_and_given_returns(pendulum_dataset, minari_root):
    path = minari_root / "test" / "inverted-pendulum-v0"
    demos = Demonstrations.from_minari(path, expert_return=1000.0, random_return=5.0)
    assert (demos.expert_return, demos.random_return) == (1000.0, 5.0)
    assert Demonstrations.from_minari(path / "data", random_episodes=0).random_return is None
    state_only = Demonstrations.from_minari(path, random_episodes=0, state_only=True)
    assert not state_only.has_actions and state_only.act_dim == 1


def test_shimmy_dm_control_dataset_flattens_like_make_env():
    dataset, episodes = finger_dataset()
    keys = observation_keys(make_env("dmc:finger-spin"))
    assert keys == ("position", "velocity", "touch") and list(keys) != sorted(keys)
    assert list(next(iter(dataset)).observations) == sorted(keys)  # Minari hands them sorted
    with pytest.raises(DemonstrationsError, match="does not record its environment.*--env"):
        Demonstrations.from_minari("test/finger-v0")
    demos = Demonstrations.from_minari(
        "test/finger-v0", "dm_control/finger-spin-v0", random_episodes=0
    )
    assert demos.env_id == "dmc:finger-spin" and demos.random_return is None
    # The same seeds and actions in our env give the same flat observations.
    env = make_env("dmc:finger-spin")
    ours = []
    for seed, (_, actions, _) in zip((3, 4), episodes, strict=True):
        obs, _ = env.reset(seed=seed)
        for action in actions:
            ours.append(obs)
            obs, *_ = env.step(action)
    np.testing.assert_array_equal(demos.observations, np.asarray(ours))
    assert demos.episode_lengths.tolist() == [6, 6]


def test_dimension_mismatch_names_both_shapes(pendulum_dataset):
    with pytest.raises(DemonstrationsError, match=r"shape \(4,\).*'Pendulum-v1' observes 3"):
        Demonstrations.from_minari("test/inverted-pendulum-v0", "Pendulum-v1")
    finger_dataset()
    with pytest.raises(DemonstrationsError, match=r"keys \['position', 'touch', 'velocity'\]"):
        Demonstrations.from_minari("test/finger-v0", "dmc:cartpole-swingup")
    with pytest.raises(DemonstrationsError, match="dict observations.*'Pendulum-v1' observes one"):
        Demonstrations.from_minari("test/finger-v0", "Pendulum-v1")


def _buffers_dataset(dataset_id: str, act_dim: int, actions: float | None = None):
    """A dataset made from buffers with no env: Box(3) observations, Box(act_dim) actions."""
    from minari.data_collector import EpisodeBuffer

    rng = np.random.default_rng(0)
    buffers = [
        EpisodeBuffer(
            observations=rng.normal(size=(6, 3)),
            actions=rng.uniform(-1, 1, (5, act_dim))
            if actions is None
            else np.full((5, 1), actions),
            rewards=np.ones(5),
            terminations=np.r_[np.zeros(4, bool), True],
            truncations=np.zeros(5, bool),
        )
        for _ in range(2)
    ]
    return minari.create_dataset_from_buffers(
        dataset_id,
        buffers,
        observation_space=gym.spaces.Box(-np.inf, np.inf, (3,)),
        action_space=gym.spaces.Box(-1, 1, (act_dim,)),
    )


def test_action_mismatch_names_both_shapes():
    _buffers_dataset("test/two-actions-v0", act_dim=2)
    with pytest.raises(DemonstrationsError, match=r"actions of shape \(2,\).*takes 1"):
        Demonstrations.from_minari("test/two-actions-v0", "Pendulum-v1")


def test_missing_dataset(minari_root, tmp_path):
    _buffers_dataset("test/present-v0", act_dim=1)
    with pytest.raises(DemonstrationsError) as err:
        Demonstrations.from_minari("mujoco/hopper/expert-v0")
    message = str(err.value)
    assert "'mujoco/hopper/expert-v0'" in message and str(minari_root) in message
    assert "minari download" in message and "test/present-v0" in message
    (tmp_path / "empty").mkdir()
    with pytest.raises(DemonstrationsError, match="not a Minari dataset directory"):
        Demonstrations.from_minari(tmp_path / "empty")


def test_dataset_without_actions():
    """NaN actions (how Minari, which always stores actions, carries state-only data) import as
    state-only demonstrations; a dataset missing its actions array is one clear error."""
    _buffers_dataset("test/no-actions-v0", act_dim=1, actions=np.nan)
    demos = Demonstrations.from_minari("test/no-actions-v0", "Pendulum-v1", random_episodes=0)
    assert not demos.has_actions and demos.act_dim == 1 and demos.num_episodes == 2

    import h5py

    dataset = _buffers_dataset("test/broken-v0", act_dim=1)
    with h5py.File(dataset.storage.data_path / "main_data.hdf5", "a") as f:
        del f["episode_0"]["actions"]
    with pytest.raises(DemonstrationsError, match="'test/broken-v0'.*cannot be read"):
        Demonstrations.from_minari("test/broken-v0", "Pendulum-v1", random_episodes=0)


def test_customised_env_spec_warns(capsys):
    record(gym.make("InvertedPendulum-v5", max_episode_steps=30), "test/short-v0", [0])
    Demonstrations.from_minari("test/short-v0", random_episodes=0)
    assert "max_episode_steps=30 (registered: 1000)" in capsys.readouterr().err


# ------------------------------------------------------------------------------------- export
def test_export_round_trip_through_minari(minari_root):
    demos = make_demos()  # Pendulum-v1, 4 episodes of 20 steps, actions in [-1, 1]
    path = demos.to_minari("smiling/pendulum-v0")
    assert path == minari_root / "smiling" / "pendulum-v0"
    dataset = minari.load_dataset("smiling/pendulum-v0")
    assert dataset.env_spec.id == "Pendulum-v1" and dataset.total_episodes == 4
    starts = np.cumsum([0, *demos.episode_lengths[:-1]])
    for ep, start, n in zip(dataset.iterate_episodes(), starts, demos.episode_lengths, strict=True):
        rows = slice(start, start + n)
        assert len(ep) == n and len(ep.observations) == n + 1
        np.testing.assert_array_equal(ep.observations[:-1], demos.observations[rows])
        np.testing.assert_array_equal(ep.observations[-1], ep.observations[-2])  # repeated
        np.testing.assert_allclose(ep.actions, 2.0 * demos.actions[rows], rtol=1e-6)  # [-2, 2]
        np.testing.assert_array_equal(ep.rewards, demos.rewards[rows])
        assert ep.terminations[-1] and not ep.truncations.any()  # 20 < the 200-step limit
    back = Demonstrations.from_minari("smiling/pendulum-v0")
    np.testing.assert_array_equal(back.observations, demos.observations)
    np.testing.assert_allclose(back.actions, demos.actions, atol=1e-7)
    np.testing.assert_array_equal(back.rewards, demos.rewards)
    np.testing.assert_array_equal(back.episode_lengths, demos.episode_lengths)
    assert (back.expert_return, back.random_return) == (demos.expert_return, demos.random_return)
    assert minari.get_normalized_score(dataset, np.array([-150.0]))[0] == pytest.approx(1.0)


def test_export_dmc_state_only_without_rewards(tmp_path):
    rng = np.random.default_rng(0)
    demos = Demonstrations.from_arrays(
        "dmc:cartpole-swingup", [rng.normal(size=(7, 5)), rng.normal(size=(9, 5))], act_dim=1
    )
    path = demos.to_minari("cartpole-states-v0", tmp_path / "out")
    dataset = minari.MinariDataset(path / "data")
    assert dataset.env_spec is None  # our flat observations are no spec's observations
    ep = dataset[1]
    assert np.isnan(ep.actions).all() and np.isnan(ep.rewards).all()
    assert ep.truncations[-1] and not ep.terminations.any()  # dm-control never terminates
    back = Demonstrations.from_minari(path)  # the env id is in the metadata: no --env needed
    assert back.env_id == "dmc:cartpole-swingup" and back.act_dim == 1
    assert not back.has_actions and not back.has_rewards and back.normalize(1.0) is None
    np.testing.assert_array_equal(back.observations, demos.observations)
    np.testing.assert_array_equal(back.episode_lengths, [7, 9])


def test_export_refuses_to_replace(tmp_path):
    demos = make_demos()
    target = demos.to_minari("p-v0", tmp_path / "p")
    with pytest.raises(DemonstrationsError, match="already exists"):
        demos.to_minari("p-v0", target)
    shorter = make_demos(episodes=2)
    shorter.to_minari("p-v0", target, overwrite=True)
    assert minari.MinariDataset(target / "data").total_episodes == 2
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "thesis.tex").write_text("x")
    with pytest.raises(DemonstrationsError, match="not a Minari dataset"):
        demos.to_minari("p-v0", tmp_path / "precious", overwrite=True)
    assert (tmp_path / "precious" / "thesis.tex").exists()
    with pytest.raises(DemonstrationsError, match="not a Minari dataset id"):
        demos.to_minari("no version", tmp_path / "q")
    with pytest.raises(
        DemonstrationsError, match="observations have size 3; .dmc:cartpole-swingup. has 5"
    ):
        dataclasses.replace(demos, env_id="dmc:cartpole-swingup").to_minari("c-v0", tmp_path / "c")


# ---------------------------------------------------------------------------------------- CLI
def test_cli_import_and_export(pendulum_dataset, tmp_path, capsys):
    out = tmp_path / "ip.npz"
    args = ["demos", "import-minari", "test/inverted-pendulum-v0", "--out", str(out)]
    assert main([*args, "--expert-return", "1000", "--random-return", "5"]) == 0
    assert "expert return 1000.0, random return 5.0" in capsys.readouterr().out
    assert Demonstrations.load(out).env_id == "InvertedPendulum-v5"
    assert main(args) == 2
    assert "already exists" in capsys.readouterr().err
    assert main([*args, "--overwrite", "--random-episodes", "0"]) == 0
    assert "random return unknown" in capsys.readouterr().out
    assert main(["info", str(out)]) == 0
    assert "/ unknown" in capsys.readouterr().out

    export = ["demos", "export-minari", str(out), "--dataset-id", "smiling/ip-v0"]
    assert main(export) == 0
    assert "Minari dataset 'smiling/ip-v0'" in capsys.readouterr().out
    assert minari.load_dataset("smiling/ip-v0").total_episodes == 3
    assert main(export) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_cli_export_to_a_relative_path(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    make_demos().save("d.npz")
    assert main(["demos", "export-minari", "d.npz", "--dataset-id", "d-v0", "--out", "rel"]) == 0
    assert minari.MinariDataset("rel/data").total_episodes == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.npz", "rel"]  # no temporary left


def test_cli_errors_are_one_line(capsys):
    assert main(["demos", "import-minari", "nope/none-v0", "--out", "x.npz"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("smiling: error: Minari dataset 'nope/none-v0'") and err.count("\n") == 1
    assert main(["demos", "--expert", "e", "import-minari", "nope/none-v0", "--out", "x"]) == 2
    assert "--expert before 'import-minari'" in capsys.readouterr().err
    assert main(["demos", "--episodes", "3"]) == 2
    assert "--expert and --out are required" in capsys.readouterr().err


# ------------------------------------------------------------------------------ optional extra
def test_minari_missing_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "minari", None)  # makes `import minari` fail
    with pytest.raises(SmilingError, match=r"pip install -e '\.\[minari\]'"):
        Demonstrations.from_minari("test/anything-v0")
    with pytest.raises(SmilingError, match="pip install"):
        make_demos().to_minari("x-v0")


def test_import_smiling_does_not_import_minari():
    code = "import smiling, sys; assert 'minari' not in sys.modules and 'h5py' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=None)


def test_shimmy_ids_map_to_ours():
    assert minari_io.to_smiling_env_id("dm_control/ball_in_cup-catch-v0") == "dmc:ball_in_cup-catch"
    assert minari_io.to_smiling_env_id("Hopper-v5") == "Hopper-v5"
