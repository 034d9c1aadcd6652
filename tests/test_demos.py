"""Demonstrations: round trip, split, and one clear error for every malformed file."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

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


def test_select_takes_the_listed_episodes_in_order(demos):
    starts = np.concatenate([[0], np.cumsum(demos.episode_lengths)[:-1]])
    picked = demos.select([2, 0])
    assert picked.num_episodes == 2
    np.testing.assert_array_equal(picked.episode_lengths, demos.episode_lengths[[2, 0]])
    first_rows = slice(starts[2], starts[2] + demos.episode_lengths[2])
    np.testing.assert_array_equal(
        picked.observations[: demos.episode_lengths[2]], demos.observations[first_rows]
    )
    assert picked.expert_return == demos.expert_return  # scored against the same bar
    np.testing.assert_array_equal(demos.first(2).observations, demos.select([0, 1]).observations)
    for bad in ([], [demos.num_episodes], [-1]):
        with pytest.raises(DemonstrationsError, match="cannot select episodes"):
            demos.select(bad)


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
    "actions out of range": (
        {"actions": np.r_[np.full(5, 5.0), np.zeros(75)].astype(np.float32).reshape(80, 1)},
        r"5 of 80 action values lie outside \[-1, 1\] \(from 0 to 5\)",
    ),
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
    loaded = Demonstrations.load(path)
    with pytest.raises(DemonstrationsError) as err:
        loaded.check_env("Pendulum-v1", obs_dim=5, act_dim=1)
    # one subject per sentence (not "demonstrations file 'x' have observations")
    assert str(err.value) == (
        f"demonstrations file '{path}': observations have size 3; 'Pendulum-v1' has 5"
    )
    with pytest.raises(DemonstrationsError, match=f"'{path}': actions have size 1; "):
        loaded.check_env("Pendulum-v1", obs_dim=3, act_dim=2)
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


# --------------------------------------------- demonstrations without rewards or returns
def test_rewardless_round_trip_and_no_normalisation(tmp_path, demos):
    bare = dataclasses.replace(demos, rewards=None, expert_return=None, random_return=None)
    assert not bare.has_rewards and not bare.can_normalize
    assert bare.normalize(-300.0) is None
    with pytest.raises(DemonstrationsError, match="no rewards"):
        _ = bare.episode_returns
    path = tmp_path / "bare.npz"
    bare.save(path)
    with np.load(path) as npz:
        assert int(npz["format_version"]) == 2
        assert not {"rewards", "expert_return", "random_return"} & set(npz.files)
    back = Demonstrations.load(path)
    assert back.rewards is None and back.expert_return is None and back.random_return is None
    np.testing.assert_array_equal(back.observations, demos.observations)
    assert back.normalize(0.0) is None
    # a learner reports no normalised return for such demonstrations instead of failing
    from smiling.algos.base import Learner

    assert Learner.normalize(SimpleNamespace(demos=back), -300.0) is None
    assert Learner.normalize(SimpleNamespace(demos=demos), -150.0) == pytest.approx(1.0)


def test_complete_files_stay_format_1(tmp_path, demos):
    path = tmp_path / "d.npz"
    demos.save(path)
    with np.load(path) as npz:
        assert int(npz["format_version"]) == 1  # older versions of smiling read it


def test_one_return_known(tmp_path, demos):
    half = dataclasses.replace(demos, random_return=None)
    assert half.normalize(-150.0) is None
    path = tmp_path / "half.npz"
    half.save(path)
    back = Demonstrations.load(path)
    assert (back.expert_return, back.random_return) == (-150.0, None)
    assert back.episode_returns.shape == (4,)  # rewards kept


def test_with_returns(demos):
    bare = dataclasses.replace(demos, expert_return=None, random_return=None)
    full = bare.with_returns(expert=90.0, random=-10.0)
    assert full.normalize(90.0) == pytest.approx(1.0) and full.normalize(40.0) == pytest.approx(0.5)
    assert bare.expert_return is None  # a copy
    assert full.with_returns(random=0.0).expert_return == 90.0  # None keeps the other one
    with pytest.raises(DemonstrationsError, match="cannot be normalised"):
        bare.with_returns(expert=5.0, random=5.0)
    with pytest.raises(DemonstrationsError, match="expert_return is not finite"):
        bare.with_returns(expert=float("nan"))


def test_version_1_file_without_rewards_is_malformed(tmp_path):
    path = _save_raw(tmp_path / "v1.npz", rewards=None)
    with pytest.raises(DemonstrationsError, match="missing field.*rewards"):
        Demonstrations.load(path)


def test_file_written_by_the_first_format_loads(tmp_path):
    """The exact fields the first release wrote (format 1, every field present)."""
    rng = np.random.default_rng(0)
    path = tmp_path / "old.npz"
    np.savez_compressed(
        path,
        format_version=np.asarray(1, np.int64),
        env_id=np.asarray("Pendulum-v1"),
        observations=rng.normal(size=(30, 3)).astype(np.float32),
        rewards=rng.normal(size=30).astype(np.float32),
        episode_lengths=np.asarray([10, 20], np.int64),
        obs_shape=np.asarray([3], np.int64),
        act_shape=np.asarray([-1], np.int64),
        expert_return=np.asarray(-150.0),
        random_return=np.asarray(-1200.0),
        seed=np.asarray(3, np.int64),
        deterministic=np.asarray(False),
        versions=np.asarray('{"jax": "0.4"}'),
    )
    demos = Demonstrations.load(path)
    assert demos.num_episodes == 2 and demos.act_dim is None and demos.seed == 3
    assert demos.normalize(-150.0) == pytest.approx(1.0)


# ------------------------------------------------------------------ from_arrays
def test_from_arrays_concatenated_and_per_episode():
    rng = np.random.default_rng(1)
    obs = [rng.normal(size=(n, 3)) for n in (5, 7)]  # float64 is fine: stored as float32
    acts = [rng.uniform(-1, 1, (n, 1)) for n in (5, 7)]
    a = Demonstrations.from_arrays("Pendulum-v1", obs, actions=acts)
    b = Demonstrations.from_arrays(
        "Pendulum-v1", np.concatenate(obs), [5, 7], actions=np.concatenate(acts)
    )
    for d in (a, b):
        assert d.episode_lengths.tolist() == [5, 7] and d.observations.dtype == np.float32
        assert d.act_dim == 1 and not d.has_rewards and d.normalize(1.0) is None
    np.testing.assert_array_equal(a.observations, b.observations)
    np.testing.assert_array_equal(a.actions, b.actions)
    c = Demonstrations.from_arrays(
        "Pendulum-v1",
        obs,
        rewards=[np.ones(5), np.ones(7)],
        expert_return=6.0,
        random_return=0.0,
        act_dim=1,
    )
    assert c.episode_returns.tolist() == [5.0, 7.0] and c.normalize(3.0) == 0.5
    assert c.act_dim == 1 and not c.has_actions


FROM_ARRAYS_ERRORS = {
    "no lengths": (dict(observations=np.zeros((4, 3))), "episode_lengths is required"),
    "bad sum": (dict(observations=np.zeros((4, 3)), episode_lengths=[3]), "sum to 3"),
    "float lengths": (dict(observations=np.zeros((4, 3)), episode_lengths=[4.0]), "integers"),
    "strings": (dict(observations=[np.array([["a", "b"]])]), "must be numbers"),
    "1-d episode": (dict(observations=[np.zeros(3)]), r"episode 0's observations have shape"),
    "ragged dims": (dict(observations=[np.zeros((2, 3)), np.zeros((2, 4))]), "different shapes"),
    "action lengths": (
        dict(observations=[np.zeros((2, 3))], actions=[np.zeros((3, 1))]),
        r"actions have per-episode lengths \[3\], observations \[2\]",
    ),
    "nan": (dict(observations=[np.full((2, 3), np.nan)]), "observations contain 6 NaN"),
    "act_dim": (
        dict(observations=[np.zeros((2, 3))], actions=[np.zeros((2, 2))], act_dim=1),
        "act_dim is 1",
    ),
}


@pytest.mark.parametrize("case", sorted(FROM_ARRAYS_ERRORS))
def test_from_arrays_errors(case):
    kwargs, pattern = FROM_ARRAYS_ERRORS[case]
    with pytest.raises(DemonstrationsError, match=pattern):
        Demonstrations.from_arrays("Pendulum-v1", **kwargs)


def test_from_arrays_refuses_actions_outside_the_unit_range():
    """Actions in the environment's own units (5x Pendulum's [-1, 1] here) would train BC on
    actions make_env clips: refused with the range found, and what to do."""
    obs = [np.zeros((10, 3), np.float32)]
    with pytest.raises(DemonstrationsError, match=r"outside \[-1, 1\].*scaled to \[-1, 1\]"):
        Demonstrations.from_arrays("Pendulum-v1", obs, actions=[np.full((10, 1), 5.0)])
    ok = Demonstrations.from_arrays("Pendulum-v1", obs, actions=[np.ones((10, 1))])
    assert ok.actions.max() == 1.0  # the bounds themselves are in range


def test_reversed_reference_returns_normalise_nothing(demos):
    """An expert return below the random return would call a random policy's score near 1: no
    normalised return, and a warning that says why."""
    reversed_ = demos.with_returns(expert=-1200.0, random=-150.0)
    assert reversed_.returns_reversed and not reversed_.can_normalize
    assert reversed_.normalize(-1200.0) is None and reversed_.normalize(-150.0) is None
    assert "expert return (-1200.0) is below the random return (-150.0)" in (
        reversed_.returns_warning()
    )
    assert not demos.returns_reversed and demos.returns_warning() is None
