"""Minari datasets in and out of smiling's demonstrations format.

Minari (the Farama Foundation's offline-RL dataset format) is optional: ``pip install -e
'.[minari]'``. This module imports it only when called, so ``import smiling`` never needs it, and
it never downloads: a dataset is read from the local Minari root (``MINARI_DATASETS_PATH``, by
default ``~/.minari/datasets``) or from a dataset directory.

What the two formats disagree on, and what is done about it:

* **Final observation.** Minari stores T+1 observations for T actions (the state after the last
  action). Demonstrations store the T states at which the expert acted, so import drops each
  episode's last observation; export, which must write one, repeats the episode's last state.
* **Observation layout.** Dict observations (dm_control tasks recorded through shimmy, goal-based
  Gymnasium environments) are flattened in the order :func:`smiling.make_env` uses for the same
  task, never in the dataset's own key order (Minari returns dict keys sorted).
* **Action scale.** Minari stores actions in the environment's units; smiling's are in [-1, 1]
  (``make_env`` rescales). Import maps the dataset's declared bounds to [-1, 1]; export maps back.
* **Environment.** A dataset names its environment through a Gymnasium ``EnvSpec``; shimmy's
  ``dm_control/<domain>-<task>-v0`` becomes ``dmc:<domain>-<task>``. Datasets of dm_control tasks
  recorded through shimmy cannot store their spec, so there the environment must be named.
* **Returns.** The expert return is the dataset's mean episode return; the random return is
  measured with a seeded uniform-random policy (:data:`RANDOM_EPISODES` episodes). Minari's own
  ``ref_min_score``/``ref_max_score`` of foreign datasets are not used: they are often another
  policy's score, not this data's. Datasets written by :func:`export_minari` keep the returns
  they were exported with (unknown stays unknown).
* **Missing data.** Minari always stores actions and rewards. Export writes NaN where the
  demonstrations have none (state-only data, unknown rewards) and says so in the metadata;
  import turns all-NaN actions or rewards back into "none".
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from smiling.data.demos import Demonstrations
from smiling.envs import DMC_PREFIX, env_family, make_env, native_spaces, observation_keys
from smiling.errors import DemonstrationsError, SmilingError, UnknownEnvError, warn

if TYPE_CHECKING:
    from minari import MinariDataset

RANDOM_EPISODES = 10  # episodes of the uniform-random policy behind an imported random return
RANDOM_SEED_OFFSET = 1_000_000  # random episode i starts from seed + offset + i, as collect_demos
INSTALL_HINT = "pip install -e '.[minari]'"
_SHIMMY_DMC = re.compile(r"^dm_control/(?P<domain>[^/-]+)-(?P<task>[^/]+)-v\d+$")
# Metadata keys export_minari adds to Minari's; their presence marks a dataset smiling wrote.
ENV_KEY, REWARDS_KEY, ACTIONS_KEY = "smiling_env_id", "smiling_rewards", "smiling_actions"

Flatten = Callable[[Any], np.ndarray]


def _minari():
    """The ``minari`` module, or one error that says how to install it."""
    try:
        import h5py  # noqa: F401  (Minari's default storage; without it reading fails later)
        import minari
    except ImportError as err:
        raise SmilingError(
            f"Minari support needs the 'minari' extra ({err}); install it with: {INSTALL_HINT}"
        ) from None
    return minari


def to_smiling_env_id(env_id: str) -> str:
    """Our id for a Gymnasium id: shimmy's ``dm_control/<d>-<t>-v0`` is ``dmc:<d>-<t>``."""
    match = _SHIMMY_DMC.match(env_id)
    return f"{DMC_PREFIX}{match['domain']}-{match['task']}" if match else env_id


def minari_root() -> Path:
    """Where Minari keeps local datasets: ``MINARI_DATASETS_PATH`` or ``~/.minari/datasets``."""
    root = os.environ.get("MINARI_DATASETS_PATH")
    return Path(root) if root else Path.home() / ".minari" / "datasets"


def _local_ids(root: Path, limit: int = 10) -> list[str]:
    if not root.is_dir():
        return []
    found = sorted(
        p.parent.parent.relative_to(root).as_posix() for p in root.glob("**/data/metadata.json")
    )
    return found[:limit]


def open_dataset(dataset: str | os.PathLike | MinariDataset) -> tuple[MinariDataset, str]:
    """The dataset and the name to report it by, from an id, a directory or the object."""
    minari = _minari()
    if isinstance(dataset, minari.MinariDataset):
        return dataset, dataset.id
    name = os.fspath(dataset)
    path = Path(name).expanduser()
    if path.is_dir():
        data = path / "data" if (path / "data" / "metadata.json").is_file() else path
        if not (data / "metadata.json").is_file():
            raise DemonstrationsError(
                f"'{path}' is not a Minari dataset directory (it has no data/metadata.json)"
            )
    else:
        root = minari_root()
        data = root / name / "data"
        if not (data / "metadata.json").is_file():
            local = _local_ids(root)
            raise DemonstrationsError(
                f"Minari dataset '{name}' is neither in {root} (the Minari root, set by "
                "MINARI_DATASETS_PATH) nor a dataset directory; smiling reads local datasets only "
                f"(fetch one with `minari download {name}`). "
                + (f"Local datasets: {', '.join(local)}" if local else "No local datasets found.")
            )
    try:
        return minari.MinariDataset(data), name
    except ImportError as err:
        raise SmilingError(f"cannot read Minari dataset '{name}' ({err}): {INSTALL_HINT}") from None
    except (ValueError, KeyError, TypeError, OSError, AssertionError) as err:
        raise DemonstrationsError(f"Minari dataset '{name}' cannot be read: {err}") from None


# ------------------------------------------------------------------------------ import
def import_minari(
    dataset: str | os.PathLike | MinariDataset,
    env_id: str | None = None,
    *,
    expert_return: float | None = None,
    random_return: float | None = None,
    random_episodes: int = RANDOM_EPISODES,
    seed: int = 0,
    state_only: bool = False,
) -> Demonstrations:
    """Demonstrations from a local Minari dataset.

    ``env_id`` (ours or a Gymnasium id, e.g. ``dm_control/cheetah-run-v0``) overrides the
    dataset's environment and is required where the dataset records none. ``expert_return`` and
    ``random_return`` override the computed ones; ``random_episodes=0`` leaves the random return
    unknown instead of measuring it (random episode i starts from ``seed + 1_000_000 + i``).
    ``state_only`` drops the actions. Every problem raises one :class:`DemonstrationsError`.
    """
    minari = _minari()
    if random_episodes < 0:
        raise DemonstrationsError(f"random_episodes must be 0 or more, got {random_episodes}")
    ds, name = open_dataset(dataset)
    where = f"Minari dataset '{name}'"
    meta = ds.storage.metadata
    ours = ENV_KEY in meta
    env_id = _env_id(ds, meta, env_id, where)
    try:
        env = make_env(env_id, seed=seed + RANDOM_SEED_OFFSET)
    except UnknownEnvError as err:
        raise DemonstrationsError(f"{where}: {err}") from None
    try:
        flatten = _flattener(ds.observation_space, env, env_id, where, ours)
        to_unit = _action_scaler(ds.action_space, env, env_id, where)
        obs, actions, rewards, lengths, terminated = _read_episodes(ds, flatten, to_unit, where)
        if np.all(np.isnan(actions)) or state_only or meta.get(ACTIONS_KEY) is False:
            actions = None
        if np.all(np.isnan(rewards)) or meta.get(REWARDS_KEY) is False:
            rewards = None
        if ours:  # written by export_minari: the returns it was given, unknown stays unknown
            expert = meta.get("ref_max_score")
            random = meta.get("ref_min_score")
        else:
            expert = None if rewards is None else _mean_return(rewards, lengths)
            random = None
            if random_return is None and random_episodes > 0:
                random = _random_return(env, random_episodes, seed + RANDOM_SEED_OFFSET)
        act_dim = int(env.action_space.shape[0])
    finally:
        env.close()
    from smiling.io import package_versions

    return Demonstrations(
        env_id=env_id,
        observations=obs,
        episode_lengths=lengths,
        actions=actions,
        rewards=rewards,
        expert_return=expert if expert_return is None else expert_return,
        random_return=random if random_return is None else random_return,
        act_dim=act_dim,
        seed=seed,
        versions={**package_versions(), "minari": minari.__version__},
        terminated=terminated,
        source=where,
    )


def _env_id(ds: MinariDataset, meta: dict, env_id: str | None, where: str) -> str:
    if env_id:
        return to_smiling_env_id(env_id)
    if meta.get(ENV_KEY):
        return str(meta[ENV_KEY])
    spec = ds.env_spec
    if spec is None:
        raise DemonstrationsError(
            f"{where} does not record its environment (datasets of dm_control tasks recorded "
            "through shimmy cannot store one); name it with --env (env_id= in Python), e.g. "
            "--env dmc:cheetah-run for dm_control/cheetah-run-v0"
        )
    ours = to_smiling_env_id(spec.id)
    _warn_if_customised(spec, where)
    return ours


def _warn_if_customised(spec: gym.envs.registration.EnvSpec, where: str) -> None:
    """Warn when the dataset's env differs from the registered one ``make_env`` builds."""
    try:
        registered = gym.spec(spec.id)
    except gym.error.Error:
        return  # make_env reports the unknown id
    diffs = []
    if spec.max_episode_steps != registered.max_episode_steps:
        diffs.append(
            f"max_episode_steps={spec.max_episode_steps} "
            f"(registered: {registered.max_episode_steps})"
        )
    missing = object()
    changed = {
        k: v
        for k, v in spec.kwargs.items()
        if k != "render_mode" and registered.kwargs.get(k, missing) != v
    }
    if changed:
        diffs.append(f"kwargs {changed}")
    if diffs:
        warn(
            f"{where} was recorded with {'; '.join(diffs)}; smiling makes '{spec.id}' with its "
            "registered settings, so evaluation and the random return use those"
        )


def _describe(space: spaces.Space) -> str:
    if isinstance(space, spaces.Dict):
        return "{" + ", ".join(f"{k}: {_describe(s)}" for k, s in space.spaces.items()) + "}"
    if isinstance(space, spaces.Box):
        return str(space.shape)
    return type(space).__name__


def _flattener(space: spaces.Space, env: gym.Env, env_id: str, where: str, ours: bool) -> Flatten:
    """A function from an episode's observations (T+1 steps) to ``(T+1, obs_dim)`` float32."""
    obs_dim = int(env.observation_space.shape[0])
    keys = observation_keys(env)
    if isinstance(space, spaces.Dict):
        if keys is None:
            raise DemonstrationsError(
                f"{where} has dict observations {_describe(space)}, but '{env_id}' observes one "
                f"array of {obs_dim} values"
            )
        if set(keys) != set(space.spaces):
            raise DemonstrationsError(
                f"{where} has observation keys {sorted(space.spaces)}, but '{env_id}' has "
                f"{sorted(keys)}"
            )
        if not all(isinstance(s, spaces.Box) for s in space.spaces.values()):
            raise DemonstrationsError(
                f"{where} has nested observations {_describe(space)}; smiling reads arrays or "
                "one-level dicts of arrays"
            )
        size = sum(int(np.prod(space.spaces[k].shape)) for k in keys)

        def flatten(o: Any) -> np.ndarray:
            return np.concatenate(
                [np.asarray(o[k], np.float32).reshape(len(o[k]), -1) for k in keys], axis=1
            )

    elif isinstance(space, spaces.Box):
        if keys is not None and not ours:
            raise DemonstrationsError(
                f"{where} has array observations of shape {space.shape}, but '{env_id}' observes "
                f"a dict {list(keys)}: the order its keys were flattened in is unknown"
            )
        size = int(np.prod(space.shape))

        def flatten(o: Any) -> np.ndarray:
            o = np.asarray(o, np.float32)
            return o.reshape(len(o), -1)

    else:
        raise DemonstrationsError(
            f"{where} has {type(space).__name__} observations; smiling reads arrays (Box) or "
            "dicts of arrays"
        )
    if size != obs_dim:
        raise DemonstrationsError(
            f"{where} has observations of shape {_describe(space)} ({size} values a step), but "
            f"'{env_id}' observes {obs_dim}: is the environment right (--env)?"
        )
    return flatten


def _action_scaler(space: spaces.Space, env: gym.Env, env_id: str, where: str) -> Flatten:
    """From an episode's actions in the dataset's units to ``(T, act_dim)`` in [-1, 1]."""
    if not isinstance(space, spaces.Box):
        raise DemonstrationsError(
            f"{where} has {type(space).__name__} actions; smiling's learners need continuous "
            "(Box) actions"
        )
    act_dim = int(env.action_space.shape[0])
    if int(np.prod(space.shape)) != act_dim:
        raise DemonstrationsError(
            f"{where} has actions of shape {space.shape}, but '{env_id}' takes {act_dim} values"
        )
    _, native = native_spaces(env)
    low, high = (np.asarray(b, np.float64).ravel() for b in (space.low, space.high))
    native_low, native_high = (np.asarray(b, np.float64).ravel() for b in (native.low, native.high))
    if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
        low, high = native_low, native_high  # the dataset declares no bounds: use the env's
    elif not (np.allclose(low, native_low) and np.allclose(high, native_high)):
        warn(
            f"{where} declares action bounds {low.tolist()} to {high.tolist()}, '{env_id}' "
            f"{native_low.tolist()} to {native_high.tolist()}; actions are rescaled from the "
            "dataset's"
        )
    identity = np.all(low == -1.0) and np.all(high == 1.0)
    bounded = np.all(np.isfinite(low)) and np.all(np.isfinite(high))

    def to_unit(a: Any) -> np.ndarray:
        a = np.asarray(a, np.float64)
        a = a.reshape(len(a), -1)
        if identity or not bounded:
            return a.astype(np.float32)
        return (2.0 * (a - low) / (high - low) - 1.0).astype(np.float32)

    return to_unit


def _read_episodes(
    ds: MinariDataset, flatten: Flatten, to_unit: Flatten, where: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Concatenated observations (final ones dropped), unit actions, rewards, lengths, and
    whether each episode ended by termination (its last step's flag)."""
    observations, actions, rewards, lengths, terminated = [], [], [], [], []
    episode = None
    try:
        for ep in ds.iterate_episodes():
            episode = ep.id
            steps = len(ep.rewards)
            if steps == 0:
                warn(f"{where}: episode {ep.id} has no steps; skipped")
                continue
            obs = flatten(ep.observations)
            act = to_unit(ep.actions)
            if len(obs) != steps + 1 or len(act) != steps:
                raise DemonstrationsError(
                    f"{where}: episode {ep.id} has {len(obs)} observations and {len(act)} "
                    f"actions for {steps} rewards; Minari stores T+1, T and T"
                )
            observations.append(obs[:steps])  # drop the final observation: no action taken there
            actions.append(act)
            rewards.append(np.asarray(ep.rewards, np.float64).reshape(steps))
            lengths.append(steps)
            terminated.append(bool(np.asarray(ep.terminations).reshape(steps)[-1]))
    except DemonstrationsError:
        raise
    except (KeyError, ValueError, TypeError, OSError) as err:
        at = "its first episode" if episode is None else f"the episode after {episode}"
        raise DemonstrationsError(
            f"{where}: {at} cannot be read ({err}); Minari datasets store observations, "
            "actions and rewards for every episode"
        ) from None
    if not lengths:
        raise DemonstrationsError(f"{where} holds no episodes")
    return (
        np.concatenate(observations),
        np.concatenate(actions),
        np.concatenate(rewards).astype(np.float32),
        np.asarray(lengths, np.int64),
        np.asarray(terminated, bool),
    )


def _mean_return(rewards: np.ndarray, lengths: np.ndarray) -> float:
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return float(np.mean(np.add.reduceat(rewards.astype(np.float64), starts)))


def _random_return(env: gym.Env, episodes: int, seed: int) -> float:
    from smiling.evaluation import random_policy, run_episodes

    return float(np.mean(run_episodes(env, random_policy(env), episodes, seed)))


# ------------------------------------------------------------------------------ export
def export_minari(
    demos: Demonstrations,
    dataset_id: str,
    path: str | os.PathLike | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Write ``demos`` as a Minari dataset; returns its directory.

    The directory is ``path``, or ``<Minari root>/<dataset_id>`` so that
    ``minari.load_dataset(dataset_id)`` finds it. Each episode's final observation repeats its
    last state; actions are scaled back to the environment's bounds; missing actions or rewards
    are NaN. A Gymnasium environment with array observations is stored as its ``EnvSpec``; for
    ``dmc:`` tasks and dict-observation environments (whose flat observations no spec would
    describe) the id is kept in the ``smiling_env_id`` metadata only. The dataset is written
    beside its destination and renamed into place, so a crash never leaves half a dataset.
    """
    minari = _minari()
    from minari.data_collector import EpisodeBuffer
    from minari.dataset.minari_dataset import parse_dataset_id
    from minari.dataset.minari_storage import MinariStorage

    try:
        namespace, _, _ = parse_dataset_id(dataset_id)
    except (ValueError, TypeError):
        raise DemonstrationsError(
            f"'{dataset_id}' is not a Minari dataset id: use [namespace/]name-v<version>, "
            "e.g. smiling/pendulum-expert-v0"
        ) from None
    target = Path(path).expanduser() if path is not None else minari_root() / dataset_id
    target = target.absolute()  # Minari's size bookkeeping breaks on relative dataset paths
    _check_target(target, overwrite)

    env = make_env(demos.env_id)
    try:
        demos.check_env(
            demos.env_id, int(env.observation_space.shape[0]), int(env.action_space.shape[0])
        )
        native_obs, act_space = native_spaces(env)
    finally:
        env.close()
    spec = _export_spec(demos.env_id, native_obs, demos.obs_dim)
    obs_space = (
        native_obs
        if spec is not None
        else spaces.Box(-np.inf, np.inf, (demos.obs_dim,), np.float32)
    )
    buffers = _buffers(demos, obs_space, act_space, EpisodeBuffer)
    metadata: dict[str, Any] = {
        "dataset_id": dataset_id,
        "minari_version": minari.__version__,
        "description": (
            f"{demos.num_episodes} episodes of {demos.env_id} exported by smiling from "
            f"{demos.source}. Actions are in the environment's units; each episode's final "
            "observation repeats its last state (smiling does not store it); NaN actions or "
            "rewards mean the demonstrations have none."
        ),
        ENV_KEY: demos.env_id,
        REWARDS_KEY: demos.has_rewards,
        ACTIONS_KEY: demos.has_actions,
    }
    if demos.expert_return is not None:
        metadata["ref_max_score"] = float(demos.expert_return)
    if demos.random_return is not None:
        metadata["ref_min_score"] = float(demos.random_return)

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        storage = MinariStorage.new(
            tmp / "data",
            observation_space=obs_space,
            action_space=act_space,
            env_spec=spec,
            data_format="hdf5",
        )
        storage.update_metadata(metadata)
        storage.update_episodes(buffers)
        _replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if path is None and namespace is not None:
        from minari.namespace import create_namespace, list_local_namespaces

        if namespace not in list_local_namespaces():  # so `minari list local` shows it
            with contextlib.suppress(ValueError):
                create_namespace(namespace)
    return target


def _check_target(target: Path, overwrite: bool) -> None:
    if not target.exists():
        return
    if not overwrite:
        raise DemonstrationsError(
            f"'{target}' already exists; pass --overwrite (overwrite=True) to replace it"
        )
    is_dataset = target.is_dir() and (target / "data" / "metadata.json").is_file()
    if not is_dataset and not (target.is_dir() and not any(target.iterdir())):
        raise DemonstrationsError(
            f"'{target}' exists and is not a Minari dataset; refusing to replace it"
        )


def _replace_dir(new: Path, target: Path) -> None:
    """Move ``new`` to ``target``, replacing an old dataset there only once ``new`` is complete."""
    if not target.exists():
        os.replace(new, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    os.replace(target, old / "dataset")
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def _export_spec(env_id: str, native_obs: spaces.Space, obs_dim: int):
    """The Gymnasium spec to store, when the stored observations are that env's own."""
    if not env_family(env_id).gymnasium:  # no Gymnasium spec to store
        return None
    if not isinstance(native_obs, spaces.Box) or int(np.prod(native_obs.shape)) != obs_dim:
        return None
    try:
        spec = gym.spec(env_id)
        spec.to_json()
    except (gym.error.Error, ValueError, TypeError):  # e.g. a callable entry point
        return None
    return spec


def _ends_in_terminal_state(demos: Demonstrations) -> Callable[[int, int], bool]:
    """Whether episode ``i`` of this many steps ended in a terminal state.

    Demonstrations that record it (``terminated``) say so; for older ones, as far as can be told:
    dm-control episodes never terminate; a
    Gymnasium episode cut short of the time limit ended in a terminal state, one that reached it
    was truncated (so was every episode of an env without a limit, which only termination ends).
    """
    if demos.terminated is not None:
        return lambda i, steps: bool(demos.terminated[i])
    env_id = demos.env_id
    family = env_family(env_id)
    if not family.gymnasium:  # no Gymnasium spec to read a time limit from: the family says
        return lambda i, steps: family.can_terminate
    try:
        limit = gym.spec(env_id).max_episode_steps
    except gym.error.Error:
        limit = None
    if limit is None:
        return lambda i, steps: True
    return lambda i, steps: steps < limit


def _buffers(
    demos: Demonstrations, obs_space: spaces.Box, act_space: spaces.Box, buffer_cls: type
) -> list:
    """One Minari episode buffer per episode, in the environment's units."""
    terminal = _ends_in_terminal_state(demos)
    low = np.asarray(act_space.low, np.float64).ravel()
    high = np.asarray(act_space.high, np.float64).ravel()
    unit = bool(np.all(low == -1.0) and np.all(high == 1.0))
    bounded = bool(np.all(np.isfinite(low)) and np.all(np.isfinite(high)))
    act_dim = int(np.prod(act_space.shape))
    buffers, start = [], 0
    for i, steps in enumerate(demos.episode_lengths.tolist()):
        rows = slice(start, start + steps)
        start += steps
        obs = demos.observations[rows]
        obs = np.concatenate([obs, obs[-1:]])  # Minari's final observation: the last state again
        if demos.actions is None:
            act = np.full((steps, act_dim), np.nan)
        elif unit or not bounded:
            act = demos.actions[rows].astype(np.float64)
        else:
            act = low + (demos.actions[rows].astype(np.float64) + 1.0) / 2.0 * (high - low)
        rewards = (np.full(steps, np.nan) if demos.rewards is None else demos.rewards[rows]).astype(
            np.float64
        )
        terminations = np.zeros(steps, bool)
        truncations = np.zeros(steps, bool)
        (terminations if terminal(i, steps) else truncations)[-1] = True
        buffers.append(
            buffer_cls(
                id=i,
                observations=obs.reshape(steps + 1, *obs_space.shape).astype(obs_space.dtype),
                actions=act.reshape(steps, *act_space.shape).astype(act_space.dtype),
                rewards=rewards,
                terminations=terminations,
                truncations=truncations,
            )
        )
    return buffers
