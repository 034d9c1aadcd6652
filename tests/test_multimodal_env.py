"""The TwoRoutes task (smiling.tasks.two_routes): spaces, time limit, the mode of an episode,
the one-route variants' walls, and its ids through ``smiling.make_env``."""

from __future__ import annotations

import numpy as np
import pytest

from smiling import UnknownEnvError, make_env
from smiling.tasks import two_routes
from smiling.tasks.two_routes import (
    ENV_ID,
    HORIZON,
    OBSTACLE_RADIUS,
    VARIANT_IDS,
    TwoRoutesEnv,
    mode_fractions,
    route,
    routes,
)

ALL_IDS = [ENV_ID, *VARIANT_IDS.values()]


def steer(obs: np.ndarray, side: float) -> np.ndarray:
    """A hand-made policy around the obstacle, above it (``side=1``) or below it (``-1``)."""
    x = obs[0]
    target = (-0.3, 0.7 * side) if x < -0.3 else (0.4, 0.7 * side) if x < 0.3 else (1.0, 0.0)
    return np.clip(3 * (np.asarray(target) - obs[:2]) - obs[2:], -1, 1).astype(np.float32)


def rollout(env, policy, seed: int = 0) -> tuple[np.ndarray, float, list[tuple[bool, bool]]]:
    """States (first one included), return and (terminated, truncated) of each step."""
    obs, _ = env.reset(seed=seed)
    states, total, ends = [obs], 0.0, []
    while True:
        obs, reward, terminated, truncated, _ = env.step(policy(obs))
        states.append(obs)
        total += reward
        ends.append((terminated, truncated))
        if terminated or truncated:
            return np.asarray(states), total, ends


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_builds_through_make_env_with_the_package_contract(env_id):
    env = make_env(env_id, seed=0)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.shape == (4,) and obs.shape == (4,)
    assert obs.dtype == np.float32 and env.observation_space.dtype == np.float32
    assert env.action_space.shape == (2,)
    assert np.all(env.action_space.low == -1) and np.all(env.action_space.high == 1)
    start = np.asarray(two_routes.START)
    assert np.all(np.abs(obs[:2] - start) <= two_routes.START_NOISE) and np.all(obs[2:] == 0)
    frame = env.render()
    assert frame.ndim == 3 and frame.shape[-1] == 3 and frame.dtype == np.uint8
    env.close()


def test_unknown_variant_is_an_error():
    with pytest.raises(UnknownEnvError):
        make_env("smiling/TwoRoutes-sideways-v0")
    with pytest.raises(ValueError):
        TwoRoutesEnv(route="sideways")


def test_registering_again_changes_nothing():
    two_routes.register()
    make_env(ENV_ID).close()


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_time_limit_truncates_and_nothing_terminates(env_id):
    env = make_env(env_id, seed=0)
    rng = np.random.default_rng(0)
    _, _, ends = rollout(env, lambda _obs: rng.uniform(-1, 1, 2).astype(np.float32))
    assert len(ends) == HORIZON
    assert not any(terminated for terminated, _ in ends)
    assert [truncated for _, truncated in ends] == [False] * (HORIZON - 1) + [True]


def test_same_seed_same_start_and_noise_between_seeds():
    env = make_env(ENV_ID, seed=0)
    a, b, c = (env.reset(seed=s)[0] for s in (3, 3, 4))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_both_routes_reach_the_goal_with_equal_returns():
    """The task is mirror-symmetric: a path and its mirror image earn the same return."""
    env = TwoRoutesEnv()
    env.reset(seed=0)

    def run(side: float) -> tuple[np.ndarray, float]:
        env.pos, env.vel = np.array([-1.0, 0.0]), np.zeros(2)  # the same start, on the axis
        obs, states, total = env._obs(), [env._obs()], 0.0
        for _ in range(HORIZON):
            obs, reward, *_ = env.step(steer(obs, side))
            states.append(obs)
            total += reward
        return np.asarray(states), total

    (up, up_return), (down, down_return) = run(1.0), run(-1.0)
    assert route(up) == "up" and route(down) == "down"
    assert up_return == pytest.approx(down_return, abs=1e-6)
    assert np.linalg.norm(up[-1, :2] - two_routes.GOAL) < two_routes.GOAL_RADIUS
    assert up_return > -50  # a uniform-random policy's return is about -400


def test_states_never_enter_the_obstacle_or_leave_the_arena():
    env = make_env(ENV_ID, seed=0)
    rng = np.random.default_rng(1)
    for seed in range(3):
        states, _, _ = rollout(env, lambda _obs: rng.uniform(-1, 1, 2).astype(np.float32), seed)
        push, _, _ = rollout(env, lambda _obs: np.array([1.0, 0.0], np.float32), seed)
        for s in (states, push):
            assert np.all(np.hypot(s[:, 0], s[:, 1]) >= OBSTACLE_RADIUS - 1e-6)
            assert np.all(np.abs(s[:, :2]) <= two_routes.ARENA + 1e-6)


def test_mode_of_hand_made_trajectories():
    xs = np.linspace(-1.0, 1.0, 21)
    arc = np.sqrt(np.maximum(0.0, 0.36 - xs**2)) + 0.1  # over the top of the disk
    above = np.stack([xs, arc], 1)
    below = np.stack([xs, -arc], 1)
    assert route(above) == "up"
    assert route(below) == "down"
    stuck = np.stack([np.linspace(-1.0, -0.5, 21), np.zeros(21)], 1)
    assert route(stuck) == "none"
    assert route(above[:1]) == "none"  # one state: no crossing
    # the first crossing counts, not a later one; the velocity columns are ignored
    back_and_forth = np.concatenate([below, below[::-1], above])
    assert route(np.concatenate([back_and_forth, np.zeros((63, 2))], 1)) == "down"
    # crossing from right to left is not passing the obstacle towards the goal
    assert route(above[::-1]) == "none"
    flat = np.concatenate([above, below, stuck])
    assert routes(flat, [21, 21, 21]) == ["up", "down", "none"]
    assert mode_fractions(["up", "down", "none", "up"]) == {"up": 0.5, "down": 0.25, "none": 0.25}


@pytest.mark.parametrize("mode", ["up", "down"])
def test_variant_blocks_the_other_route_and_leaves_its_own(mode):
    other = -1.0 if mode == "up" else 1.0
    own = -other
    blocked = make_env(VARIANT_IDS[mode], seed=0)
    states, blocked_return, _ = rollout(blocked, lambda obs: steer(obs, other))
    assert route(states) == "none"  # stopped at the wall, left of the obstacle's centre
    assert np.all(states[:, 0] <= -two_routes.WALL_HALF_WIDTH + 1e-6)
    open_states, open_return, _ = rollout(blocked, lambda obs: steer(obs, own))
    assert route(open_states) == mode
    plain = make_env(ENV_ID, seed=0)
    plain_states, plain_return, _ = rollout(plain, lambda obs: steer(obs, own))
    np.testing.assert_array_equal(open_states, plain_states)  # the wall is never touched
    assert plain_return == open_return > blocked_return
    # pushing straight at the goal slides round the disk in the plain task, not past a wall
    right = lambda _obs: np.array([1.0, 0.0], np.float32)  # noqa: E731
    assert route(rollout(plain, right, seed=5)[0]) in ("up", "down")
    wall_side = rollout(blocked, right, seed=5)[0]
    assert route(wall_side) in (mode, "none")


def test_wall_stops_a_mass_moving_into_it_from_either_side():
    for mode, y in (("up", -0.8), ("down", 0.8)):
        env = TwoRoutesEnv(route=mode)
        env.reset(seed=0)
        for x, push in ((-0.3, 1.0), (0.3, -1.0)):
            env.pos, env.vel = np.array([x, y]), np.zeros(2)
            for _ in range(40):
                env.step(np.array([push, 0.0]))
                assert not env.blocked(env.pos)
            assert env.pos[0] == pytest.approx(-push * two_routes.WALL_HALF_WIDTH)
