"""Environments with one contract for every learner in the package.

``make_env`` returns a Gymnasium environment whose observations are flat ``float32`` vectors and
whose actions live in ``[-1, 1]``, for any Gymnasium id and for DeepMind Control tasks named
``dmc:<domain>-<task>``. The package's own tasks (:mod:`smiling.tasks`, e.g.
``smiling/TwoRoutes-v0``) are Gymnasium ids, registered when this module is imported. DeepMind
Control episodes last 1000 steps and always end by *truncation*, never termination, so a learner
keeps bootstrapping through the time limit as SAC requires. Rendering works offscreen on a
CPU-only machine through MuJoCo's EGL backend (Mesa's software renderer), which is why
``MUJOCO_GL`` is set before dm-control is imported.

Which ids exist, how each is built and whether its episodes can end before the time limit is one
table, :data:`ENV_FAMILIES` (prefix -> maker, can terminate): a new family of environments is
one row there (its maker may register its Gymnasium ids, or build its own :class:`gym.Env`);
:func:`make_env`, :func:`smiling.termination.can_terminate` and the Minari export ask it.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from smiling.errors import SettingError, SmilingError, UnknownEnvError, warn
from smiling.tasks import register_tasks

DMC_PREFIX = "dmc:"

os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("PYOPENGL_PLATFORM", os.environ["MUJOCO_GL"])
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

register_tasks()  # the package's own tasks (smiling/TwoRoutes-v0, ...) for gym.make


def make_env(env_id: str, seed: int | None = None, action_repeat: int = 1) -> gym.Env:
    """Build ``env_id`` with flat float32 observations and actions in [-1, 1].

    ``seed`` seeds the environment's first reset and its action space, so two environments made
    with the same seed produce the same first observations. ``action_repeat`` holds each action
    for that many simulator steps (:class:`ActionRepeat`). Raises :class:`UnknownEnvError` with
    the naming rules when the id is not known.
    """
    if not isinstance(env_id, str) or not env_id:
        raise UnknownEnvError(f"environment id must be a non-empty string; {NAMING_HELP}")
    if isinstance(action_repeat, bool) or not isinstance(action_repeat, int) or action_repeat < 1:
        raise SettingError(
            "action_repeat", f"must be an integer of at least 1, got {action_repeat}"
        )
    env = _FlatFloat32(env_family(env_id).make(env_id), env_id)
    env = _unit_actions(env)
    if action_repeat > 1:
        env = ActionRepeat(env, action_repeat)
    if seed is not None:
        env.reset(seed=seed)
        env.action_space.seed(seed)
    return env


def _make_gym(env_id: str) -> gym.Env:
    _route_mujoco_warnings()
    try:
        env = _make_rendering(env_id)
    except gym.error.Error as err:  # NameNotFound, VersionNotFound, NamespaceNotFound, ...
        raise UnknownEnvError(f"unknown environment '{env_id}' ({err}); {NAMING_HELP}") from None
    if not isinstance(env.action_space, spaces.Box):
        env.close()
        raise UnknownEnvError(
            f"environment '{env_id}' has a {type(env.action_space).__name__} action space; "
            "smiling's learners need continuous (Box) actions"
        )
    return env


def _make_rendering(env_id: str) -> gym.Env:
    """``gym.make`` with offscreen rendering (videos need it), or without it for an environment
    whose constructor takes no ``render_mode`` (a user's own): it trains and evaluates as usual,
    and only a video of it fails, with its own message (:mod:`smiling.evaluation`)."""
    if not _declares_rgb_array(env_id):  # gym.make would warn that it does not
        return gym.make(env_id)
    try:
        return gym.make(env_id, render_mode="rgb_array")
    except TypeError as err:
        if "unexpected keyword argument 'render_mode'" not in str(err):
            raise
    return gym.make(env_id)


def _declares_rgb_array(env_id: str) -> bool:
    """Whether the environment's class lists ``rgb_array`` among its ``render_modes`` (or
    declares none it can be asked about: then it is tried)."""
    from gymnasium.envs.registration import load_env_creator

    entry = gym.spec(env_id).entry_point
    creator = load_env_creator(entry) if isinstance(entry, str) else entry
    metadata = getattr(creator, "metadata", None)
    if not isinstance(metadata, dict) or not isinstance(metadata.get("render_modes"), list | tuple):
        return True
    return "rgb_array" in metadata["render_modes"]


_mujoco_warnings_seen: set[str] = set()


def _mujoco_warning(message: str) -> None:
    """MuJoCo's warnings as ``smiling: warning:`` lines, each distinct one once per process."""
    if message not in _mujoco_warnings_seen:
        _mujoco_warnings_seen.add(message)
        warn(f"MuJoCo: {message}")


def _route_mujoco_warnings() -> None:
    """Keep MuJoCo from writing ``MUJOCO_LOG.TXT`` into the user's working directory.

    With no warning callback set, MuJoCo appends each warning (e.g. ``HalfCheetah-v5``'s
    deprecated ``settotalmass``, at every model load) to that file in the current directory and
    prints it. A callback replaces both; one already set (dm-control's, the user's) is kept.
    """
    try:
        import mujoco
    except ImportError:  # no MuJoCo: no MuJoCo environment, nothing to route
        return
    if mujoco.get_mju_user_warning() is None:
        mujoco.set_mju_user_warning(_mujoco_warning)


def _make_dmc(env_id: str) -> gym.Env:
    name = env_id[len(DMC_PREFIX) :]
    domain, sep, task = name.partition("-")
    logging.getLogger("absl").setLevel(logging.ERROR)  # MuJoCo deprecation chatter per load
    from dm_control import suite

    if not sep or (domain, task) not in suite.ALL_TASKS:
        raise UnknownEnvError(
            f"unknown DeepMind Control task 'dmc:{name}'; {NAMING_HELP}. "
            f"Known domains: {', '.join(sorted({d for d, _ in suite.ALL_TASKS}))}"
        )
    return DMCEnv(domain, task)


@dataclasses.dataclass(frozen=True)
class EnvFamily:
    """The environments whose ids start with ``prefix``."""

    prefix: str
    make: Callable[[str], gym.Env]  # the full id -> the environment, before make_env's wrappers
    # Whether episodes can end before the time limit (by termination), unless the environment
    # says itself (MuJoCo locomotion's terminate_when_unhealthy); see smiling.termination.
    can_terminate: bool
    gymnasium: bool = True  # its ids are registered Gymnasium ids (with a spec: time limit, ...)
    naming: str = ""  # how the naming rules (errors for unknown ids) describe the family


# Every family of environments; an id belongs to the row with the longest prefix it starts with.
# The rows of Gymnasium tasks that end by time limit only say so (termination is assumed of any
# other Gymnasium task, except MuJoCo locomotion built with terminate_when_unhealthy=False).
ENV_FAMILIES: tuple[EnvFamily, ...] = (
    EnvFamily("", _make_gym, True, naming="a Gymnasium environment by its id (e.g. 'Pendulum-v1')"),
    EnvFamily(
        DMC_PREFIX,
        _make_dmc,
        False,  # DeepMind Control episodes end by truncation only
        gymnasium=False,
        naming="a DeepMind Control task as 'dmc:<domain>-<task>' "
        "(e.g. 'dmc:cheetah-run', 'dmc:ball_in_cup-catch')",
    ),
    EnvFamily("Pendulum-", _make_gym, False),
    EnvFamily("HalfCheetah-", _make_gym, False),
    EnvFamily("Swimmer-", _make_gym, False),
    EnvFamily("Reacher-", _make_gym, False),
    EnvFamily("Pusher-", _make_gym, False),
    EnvFamily("HumanoidStandup-", _make_gym, False),
)
NAMING_HELP = "name " + " or ".join(f.naming for f in ENV_FAMILIES if f.naming)


def env_family(env_id: str) -> EnvFamily:
    """The family of ``env_id``: the row of :data:`ENV_FAMILIES` with the longest matching
    prefix (the Gymnasium row, prefix ``""``, matches every id)."""
    return max(
        (f for f in ENV_FAMILIES if env_id.startswith(f.prefix)), key=lambda f: len(f.prefix)
    )


def id_of(env: gym.Env) -> str:
    """The id ``env`` was made from: :func:`make_env`'s, else its Gymnasium spec's ("" if
    neither is known, as for a bare :class:`gym.Env`)."""
    layer = env
    while True:
        if isinstance(layer, _FlatFloat32):
            return layer.env_id
        if not isinstance(layer, gym.Wrapper):
            break
        layer = layer.env
    if isinstance(env.unwrapped, DMCEnv):
        return f"{DMC_PREFIX}{env.unwrapped.domain}-{env.unwrapped.task}"
    return env.spec.id if env.spec is not None else ""


class DMCEnv(gym.Env):
    """A DeepMind Control task as a Gymnasium environment.

    The time limit (1000 steps for the suite) is reported as ``truncated=True`` and never as
    ``terminated``: DMC tasks have no terminal states, so the value must be bootstrapped there.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 50}

    def __init__(self, domain: str, task: str, render_size: tuple[int, int] = (240, 320)):
        from dm_control import suite

        self.domain, self.task = domain, task
        self._load = lambda seed: suite.load(domain, task, task_kwargs={"random": seed})
        self._env = self._load(None)
        self.render_mode = "rgb_array"
        self._render_size = render_size
        obs_spec = self._env.observation_spec()
        # dm-control builds the spec from an observation, so its keys are in the order _flat
        # concatenates; Minari/shimmy datasets return these dicts with keys sorted instead.
        self.observation_keys: tuple[str, ...] = tuple(obs_spec)
        dim = int(sum(int(np.prod(s.shape)) for s in obs_spec.values()))
        self.observation_space = spaces.Box(-np.inf, np.inf, (dim,), np.float64)
        act = self._env.action_spec()
        self.action_space = spaces.Box(
            act.minimum.astype(np.float32), act.maximum.astype(np.float32), act.shape, np.float32
        )

    def _flat(self, observation: dict[str, Any]) -> np.ndarray:
        return np.concatenate([np.asarray(v, np.float64).ravel() for v in observation.values()])

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:
            # dm-control draws initial states from its own RandomState: rebuild it from the seed.
            self._env.close()
            self._env = self._load(seed)
        ts = self._env.reset()
        return self._flat(ts.observation), {}

    def step(self, action):
        ts = self._env.step(np.asarray(action, np.float64))
        reward = float(ts.reward or 0.0)
        truncated = bool(ts.last())
        return self._flat(ts.observation), reward, False, truncated, {}

    @property
    def physics(self) -> Any:
        """The MuJoCo physics, for diagnostics that place the system in a chosen state (set it
        inside ``physics.reset_context()``, then read :meth:`observe`)."""
        return self._env.physics

    def observe(self) -> np.ndarray:
        """The task's observation of the physics' current state, as ``reset`` and ``step``
        return it."""
        return self._flat(self._env.task.get_observation(self._env.physics))

    def render(self) -> np.ndarray:
        height, width = self._render_size
        return self._env.physics.render(height, width, camera_id=0)

    def close(self) -> None:
        self._env.close()


class _FlatFloat32(gym.ObservationWrapper):
    """Flatten any Box (or dict of Boxes) observation to one float32 vector, and refuse a
    non-finite one: a NaN state would otherwise surface far away, as NaN score-model losses or
    a NaN policy, with nothing naming the environment as its source."""

    def __init__(self, env: gym.Env, env_id: str):
        super().__init__(env)
        self.env_id = env_id
        space = env.observation_space
        if isinstance(space, spaces.Dict):
            dim = sum(int(np.prod(s.shape)) for s in space.spaces.values())
        elif isinstance(space, spaces.Box):
            dim = int(np.prod(space.shape))
        else:
            raise UnknownEnvError(
                f"environment observations of type {type(space).__name__} are not supported; "
                "smiling needs Box or Dict-of-Box observations"
            )
        self.observation_space = spaces.Box(-np.inf, np.inf, (dim,), np.float32)
        self.observation_keys: tuple[str, ...] | None = None  # dict keys in concatenation order

    def observation(self, observation: Any) -> np.ndarray:
        if isinstance(observation, dict):
            if self.observation_keys is None:  # the env's own order, not its space's (sorted)
                self.observation_keys = tuple(observation)
            flat = np.concatenate([np.ravel(v) for v in observation.values()]).astype(np.float32)
        else:
            flat = np.asarray(observation, np.float32).ravel()
        if not np.all(np.isfinite(flat)):
            bad = np.flatnonzero(~np.isfinite(flat))
            raise SmilingError(
                f"environment '{self.env_id}' returned a non-finite observation (entries "
                f"{bad.tolist()} of {flat.size} are {flat[bad].tolist()}, as float32)"
            )
        return flat


class ActionRepeat(gym.Wrapper):
    """Hold each action for ``repeat`` simulator steps and return the sum of their rewards.

    The standard control-rate setting of world-model learners on DeepMind Control (DreamerV3
    uses 2): the agent decides half as often, so each of its imagined steps spans twice the
    simulated time. An episode that ends inside a repeat ends there (the remaining steps are
    not taken), so an episode's return is the same sum of simulator rewards at any repeat and
    normalises against the same expert return. Observations are those at decision points only.
    """

    def __init__(self, env: gym.Env, repeat: int):
        super().__init__(env)
        self.repeat = repeat
        fps = env.metadata.get("render_fps")
        # Frames are rendered once per decision, so a video's real-time rate is fps / repeat.
        self.metadata = {**env.metadata, "render_fps": fps / repeat if fps else None}

    def step(self, action):
        total = 0.0
        for _ in range(self.repeat):
            obs, reward, terminated, truncated, info = self.env.step(action)
            total += float(reward)
            if terminated or truncated:
                break
        return obs, total, terminated, truncated, info


def native_spaces(env: gym.Env) -> tuple[spaces.Space, spaces.Box]:
    """Observation and action spaces of the environment inside :func:`make_env`'s wrappers.

    Data recorded outside smiling (Minari datasets) is in these units: actions before rescaling
    to [-1, 1], observations before flattening (a ``dmc:`` task's are already flat here).
    """
    flat = _find_flat(env)
    if isinstance(env, ActionRepeat):
        env = env.env
    rescaled = isinstance(env, gym.wrappers.RescaleAction)  # what _unit_actions adds
    return flat.env.observation_space, env.env.action_space if rescaled else env.action_space


def observation_keys(env: gym.Env) -> tuple[str, ...] | None:
    """Keys of a dict observation in the order :func:`make_env` concatenates them.

    ``None`` when the environment observes an array. For a Gymnasium environment the order is
    the one its observations arrive in, known after the first ``reset`` (``make_env`` with a seed
    resets); for a ``dmc:`` task it is dm-control's.
    """
    flat = _find_flat(env)
    if isinstance(flat.unwrapped, DMCEnv):
        return flat.unwrapped.observation_keys
    if not isinstance(flat.env.observation_space, spaces.Dict):
        return None
    if flat.observation_keys is None:
        raise ValueError("observation_keys needs an environment that has been reset")
    return flat.observation_keys


def _find_flat(env: gym.Env) -> _FlatFloat32:
    layer = env
    while not isinstance(layer, _FlatFloat32):
        if not isinstance(layer, gym.Wrapper):
            raise ValueError("not an environment made by smiling.make_env")
        layer = layer.env
    return layer


def _unit_actions(env: gym.Env) -> gym.Env:
    """Rescale actions to [-1, 1] unless they already are."""
    box = env.action_space
    if np.allclose(box.low, -1.0) and np.allclose(box.high, 1.0) and box.dtype == np.float32:
        return env
    low = np.full(box.shape, -1.0, np.float32)
    high = np.full(box.shape, 1.0, np.float32)
    return gym.wrappers.RescaleAction(env, low, high)
