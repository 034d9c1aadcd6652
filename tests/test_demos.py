"""Demonstrations: round trip, split, and one clear error for every malformed file."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_demos

from smiling import Demonstrations, DemonstrationsError, bundled_demos
from smiling.bundled import BUNDLED_ENVS, EXPERT_TARGETS


def test_round_trip(tmp_path, demos):
    path = tmp_path / "d.npz"
    demos.save(path)
    back = Demonstrations.load(path)
    np.testing.assert_array_equal(back.observations, demos.observations)
    np.testing.assert_array_equal(back.actions, demos.actions)
    np.testing.assert_array_equal(back.rewards, demos.rewards)
    np.testing.assert_array_equal(back.episode_lengths, demos.episode_lengths)
    assert (back.env_id, back.expert_return, back.random_return) == ("Pendulum-v1", -150, -1200)
    assert back.obs_dim == 3 and back.act_dim == 1 and back.num_episodes == 4


def test_state_only_round_trip(tmp_path, demos):
    path = tmp_path / "s.npz"
    demos.state_only().save(path)
    back = Demonstrations.load(path)
    assert back.actions is None and not back.has_actions
    assert back.act_dim == 1  # the action size is kept for shape checks


def test_split_by_episode(demos):
    train, val = demos.split(1)
    assert (train.num_episodes, val.num_episodes) == (3, 1)
    np.testing.assert_array_equal(val.observations, demos.observations[60:])
    np.testing.assert_array_equal(train.actions, demos.actions[:60])
    with pytest.raises(DemonstrationsError, match="cannot hold out"):
        demos.split(4)


def test_normalize_and_returns(demos):
    assert demos.normalize(-150) == pytest.approx(1.0)
    assert demos.normalize(-1200) == pytest.approx(0.0)
    assert demos.episode_returns.shape == (4,)
    np.testing.assert_allclose(demos.episode_returns.sum(), demos.rewards.sum(), rtol=1e-5)


def _save_raw(path, **overrides):
    """Write a demonstrations archive with some fields replaced (None removes a field)."""
    base = make_demos()
    base.save(path)
    with np.load(path) as npz:
        arrays = dict(npz)
    for key, value in overrides.items():
        if value is None:
            arrays.pop(key)
        else:
            arrays[key] = value
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


BAD_FIELDS = {
    "missing observations": ({"observations": None}, "missing field.*observations"),
    "missing env id": ({"env_id": None}, "missing field.*env_id"),
    "wrong obs shape": ({"observations": np.zeros((80, 4), np.float32)}, "shape"),
    "1-d obs": ({"observations": np.zeros(80, np.float32)}, "shape"),
    "int obs": ({"observations": np.zeros((80, 3), np.int64)}, "floating"),
    "nan obs": (
        {"observations": np.full((80, 3), np.nan, np.float32)},
        "observations contain 240 NaN",
    ),
    "inf reward": ({"rewards": np.r_[np.inf, np.zeros(79)].astype(np.float32)}, "rewards contain"),
    "nan action": ({"actions": np.full((80, 1), np.nan, np.float32)}, "actions contain"),
    "wrong action shape": ({"actions": np.zeros((80, 2), np.float32)}, "actions have shape"),
    "lengths mismatch": ({"episode_lengths": np.array([20, 20])}, "sum to 40"),
    "empty": (
        {
            "observations": np.zeros((0, 3), np.float32),
            "rewards": np.zeros(0, np.float32),
            "actions": np.zeros((0, 1), np.float32),
            "episode_lengths": np.zeros(0, np.int64),
        },
        "empty",
    ),
    "bad version": ({"format_version": np.asarray(99)}, "format_version 99"),
    "nan expert return": ({"expert_return": np.asarray(np.nan)}, "expert_return is not finite"),
    "vector env id": ({"env_id": np.asarray(["a", "b"])}, "env_id.*scalar"),
}


@pytest.mark.parametrize("case", sorted(BAD_FIELDS))
def test_malformed_fields(tmp_path, case):
    overrides, pattern = BAD_FIELDS[case]
    path = _save_raw(tmp_path / "bad.npz", **overrides)
    with pytest.raises(DemonstrationsError, match=pattern) as err:
        Demonstrations.load(path)
    assert str(path) in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(DemonstrationsError, match="does not exist"):
        Demonstrations.load(tmp_path / "nope.npz")


def test_not_npz_and_truncated(tmp_path, demos):
    text = tmp_path / "text.npz"
    text.write_text("hello")
    with pytest.raises(DemonstrationsError, match="not a .npz archive"):
        Demonstrations.load(text)
    good = tmp_path / "good.npz"
    demos.save(good)
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(DemonstrationsError, match="cut.npz"):
        Demonstrations.load(cut)
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(DemonstrationsError, match="not a .npz archive"):
        Demonstrations.load(single)


def test_object_arrays_are_never_unpickled(tmp_path):
    path = tmp_path / "pickled.npz"
    demos_path = _save_raw(path, observations=np.array([object()] * 3, dtype=object))
    with pytest.raises(DemonstrationsError, match="pickled.npz"):
        Demonstrations.load(demos_path)


def test_env_mismatch(tmp_path, demos):
    path = tmp_path / "d.npz"
    demos.save(path)
    with pytest.raises(DemonstrationsError, match="'Pendulum-v1', not 'dmc:cheetah-run'"):
        Demonstrations.load(path, env_id="dmc:cheetah-run")
    with pytest.raises(DemonstrationsError, match="observations of size 3"):
        demos.check_env("Pendulum-v1", obs_dim=5, act_dim=1)
    demos.check_env("Pendulum-v1", obs_dim=3, act_dim=1)


def test_interrupted_save_keeps_previous_file(tmp_path, demos, monkeypatch):
    path = tmp_path / "d.npz"
    demos.save(path)
    before = path.read_bytes()

    def explode(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez_compressed", explode)
    with pytest.raises(KeyboardInterrupt):
        make_demos(seed=1).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["d.npz"]  # no temporary file left behind


@pytest.mark.parametrize("env_id", BUNDLED_ENVS)
def test_bundled_demos_load(env_id):
    try:
        demos = bundled_demos(env_id)
    except DemonstrationsError as err:
        pytest.fail(f"bundled demonstrations for {env_id} missing: {err}")
    assert demos.env_id == env_id and demos.num_episodes == 10 and demos.has_actions
    assert demos.expert_return > demos.random_return
    assert demos.expert_return >= EXPERT_TARGETS[env_id]
    np.testing.assert_allclose(demos.expert_return, demos.episode_returns.mean(), rtol=1e-5)


def test_unknown_bundled_env():
    with pytest.raises(DemonstrationsError, match="no bundled demonstrations"):
        bundled_demos("Acrobot-v1")
