"""Expert demonstrations: the one on-disk format every method reads.

A demonstrations file is a NumPy ``.npz`` archive read with ``allow_pickle=False``. Episodes are
stored concatenated, with their lengths, so no object arrays (and so no pickle) are needed:

=================  ==========================  ==============================================
field              shape / dtype               meaning
=================  ==========================  ==============================================
format_version     () int                      currently 1
env_id             () str                      id given to ``smiling.make_env``
observations       (N, obs_dim) float32        state s_t at which the expert acted
actions            (N, act_dim) float32        optional: absent for state-only data
rewards            (N,) float32                environment reward r_t
episode_lengths    (E,) int64                  steps of each episode; sum = N
obs_shape          (1,) int64                  ``(obs_dim,)``
act_shape          (1,) int64                  ``(act_dim,)``
expert_return      () float64                  mean return of the expert (normalised 1)
random_return      () float64                  mean return of a uniform-random policy (0)
seed               () int64                    seed used to collect the episodes
deterministic      () bool                     whether the expert acted deterministically
versions           () str                      JSON of package versions at collection time
=================  ==========================  ==============================================

Loading validates every field and raises :class:`DemonstrationsError` naming the file and the
problem; saving writes a temporary file and renames it so a crash never leaves a partial file.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from smiling.errors import DemonstrationsError
from smiling.io import atomic_open

FORMAT_VERSION = 1
_REQUIRED = (
    "format_version",
    "env_id",
    "observations",
    "rewards",
    "episode_lengths",
    "obs_shape",
    "act_shape",
    "expert_return",
    "random_return",
)


@dataclass
class Demonstrations:
    """Expert episodes (states, optional actions, rewards) with the metadata to normalise returns.

    ``normalized(R) = (R - random_return) / (expert_return - random_return)``.
    """

    env_id: str
    observations: np.ndarray
    rewards: np.ndarray
    episode_lengths: np.ndarray
    expert_return: float
    random_return: float
    actions: np.ndarray | None = None
    act_dim: int | None = None
    seed: int = 0
    deterministic: bool = False
    versions: dict[str, str] = field(default_factory=dict)
    source: str = field(default="demonstrations", repr=False, compare=False)

    def __post_init__(self) -> None:
        self.observations = np.asarray(self.observations, np.float32)
        self.rewards = np.asarray(self.rewards, np.float32)
        self.episode_lengths = np.asarray(self.episode_lengths, np.int64)
        if self.actions is not None:
            self.actions = np.asarray(self.actions, np.float32)
            self.act_dim = self.actions.shape[-1]
        _validate(self)

    # ----------------------------------------------------------- properties
    @property
    def obs_dim(self) -> int:
        return int(self.observations.shape[1])

    @property
    def num_episodes(self) -> int:
        return len(self.episode_lengths)

    @property
    def has_actions(self) -> bool:
        return self.actions is not None

    @property
    def episode_returns(self) -> np.ndarray:
        return np.add.reduceat(self.rewards, self._starts()) if len(self.rewards) else np.zeros(0)

    def normalize(self, episode_return: float) -> float:
        """Normalised return: 0 for the random policy, 1 for the expert."""
        return (episode_return - self.random_return) / (self.expert_return - self.random_return)

    def state_only(self) -> Demonstrations:
        """The same episodes without actions (the main SMILING setting)."""
        return self._subset(np.arange(self.num_episodes), keep_actions=False)

    def split(self, val_episodes: int) -> tuple[Demonstrations, Demonstrations]:
        """Split by episode: the first episodes train, the last ``val_episodes`` validate."""
        if not 0 < val_episodes < self.num_episodes:
            raise DemonstrationsError(
                f"cannot hold out {val_episodes} of {self.num_episodes} episodes for validation"
            )
        cut = self.num_episodes - val_episodes
        idx = np.arange(self.num_episodes)
        return self._subset(idx[:cut]), self._subset(idx[cut:])

    def check_env(self, env_id: str, obs_dim: int, act_dim: int) -> None:
        """Raise unless these demonstrations were made in ``env_id`` with matching shapes.

        Errors name the demonstrations by :attr:`source` (``demonstrations file '<path>'`` for
        loaded ones)."""
        where = self.source
        if env_id != self.env_id:
            raise DemonstrationsError(f"{where} are for '{self.env_id}', not for '{env_id}'")
        if obs_dim != self.obs_dim:
            raise DemonstrationsError(
                f"{where} have observations of size {self.obs_dim}; '{env_id}' has {obs_dim}"
            )
        if self.act_dim is not None and act_dim != self.act_dim:
            raise DemonstrationsError(
                f"{where} have actions of size {self.act_dim}; '{env_id}' has {act_dim}"
            )

    # ------------------------------------------------------------------ I/O
    def save(self, path: str | os.PathLike) -> None:
        """Write to ``path`` atomically (temporary file, then rename)."""
        arrays = {
            "format_version": np.asarray(FORMAT_VERSION, np.int64),
            "env_id": np.asarray(self.env_id),
            "observations": self.observations,
            "rewards": self.rewards,
            "episode_lengths": self.episode_lengths,
            "obs_shape": np.asarray([self.obs_dim], np.int64),
            "act_shape": np.asarray([self.act_dim if self.act_dim is not None else -1], np.int64),
            "expert_return": np.asarray(self.expert_return, np.float64),
            "random_return": np.asarray(self.random_return, np.float64),
            "seed": np.asarray(self.seed, np.int64),
            "deterministic": np.asarray(self.deterministic),
            "versions": np.asarray(json.dumps(self.versions, sort_keys=True)),
        }
        if self.actions is not None:
            arrays["actions"] = self.actions
        with atomic_open(path, "wb") as f:
            np.savez_compressed(f, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike, env_id: str | None = None) -> Demonstrations:
        """Read and validate ``path``; with ``env_id``, also check it matches."""
        path = Path(path)
        where = f"demonstrations file '{path}'"
        if not path.exists():
            raise DemonstrationsError(f"{where} does not exist")
        if path.is_dir():
            raise DemonstrationsError(f"{where} is a directory, not a .npz file")
        if not zipfile.is_zipfile(path):
            raise DemonstrationsError(
                f"{where} is not a .npz archive (it may be truncated or in another format)"
            )
        try:
            with np.load(path, allow_pickle=False) as npz:
                if not isinstance(npz, np.lib.npyio.NpzFile):
                    raise DemonstrationsError(f"{where} is a single array, not a .npz archive")
                missing = [k for k in _REQUIRED if k not in npz.files]
                if missing:
                    raise DemonstrationsError(f"{where} is missing field(s): {', '.join(missing)}")
                raw = {k: npz[k] for k in npz.files}
        except DemonstrationsError:
            raise
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as err:
            raise DemonstrationsError(
                f"{where} is not a readable .npz archive (truncated or another format): {err}"
            ) from None
        demos = _from_arrays(raw, where)
        if env_id is not None and env_id != demos.env_id:
            raise DemonstrationsError(
                f"{where} holds demonstrations for '{demos.env_id}', not '{env_id}'"
            )
        return demos

    # -------------------------------------------------------------- helpers
    def _starts(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.episode_lengths)[:-1]]).astype(np.int64)

    def _subset(self, episodes: np.ndarray, keep_actions: bool = True) -> Demonstrations:
        starts, lengths = self._starts()[episodes], self.episode_lengths[episodes]
        rows = np.concatenate([np.arange(s, s + n) for s, n in zip(starts, lengths, strict=True)])
        return Demonstrations(
            env_id=self.env_id,
            observations=self.observations[rows],
            rewards=self.rewards[rows],
            episode_lengths=lengths,
            expert_return=self.expert_return,
            random_return=self.random_return,
            actions=self.actions[rows] if (keep_actions and self.actions is not None) else None,
            act_dim=self.act_dim,
            seed=self.seed,
            deterministic=self.deterministic,
            versions=dict(self.versions),
            source=self.source,
        )


def _scalar(raw: dict, name: str, kind: str, where: str):
    value = raw[name]
    if value.shape != ():
        raise DemonstrationsError(
            f"{where}: field '{name}' must be a scalar, got shape {value.shape}"
        )
    if value.dtype.kind not in kind:
        raise DemonstrationsError(f"{where}: field '{name}' has dtype {value.dtype}")
    return value.item()


def _from_arrays(raw: dict[str, np.ndarray], where: str) -> Demonstrations:
    version = _scalar(raw, "format_version", "iu", where)
    if version != FORMAT_VERSION:
        raise DemonstrationsError(
            f"{where}: format_version {version} is not supported (expected 1)"
        )
    for name in ("observations", "rewards", "actions"):
        if name in raw and raw[name].dtype.kind != "f":
            raise DemonstrationsError(
                f"{where}: field '{name}' must be floating, got {raw[name].dtype}"
            )
    if raw["episode_lengths"].dtype.kind not in "iu":
        raise DemonstrationsError(f"{where}: field 'episode_lengths' must be integers")
    for name in ("obs_shape", "act_shape"):
        if raw[name].shape != (1,) or raw[name].dtype.kind not in "iu":
            raise DemonstrationsError(
                f"{where}: field '{name}' must be one integer, got {raw[name]!r}"
            )
    obs, obs_dim = raw["observations"], int(raw["obs_shape"][0])
    if obs.ndim != 2 or obs.shape[1] != obs_dim:
        raise DemonstrationsError(
            f"{where}: observations have shape {obs.shape}, expected (N, {obs_dim})"
        )
    act_dim = int(raw["act_shape"][0])
    actions = raw.get("actions")
    if actions is not None and (actions.ndim != 2 or actions.shape[1] != act_dim):
        raise DemonstrationsError(
            f"{where}: actions have shape {actions.shape}, expected (N, {act_dim})"
        )
    versions_text = str(raw["versions"]) if "versions" in raw else "{}"
    try:
        versions = json.loads(versions_text)
    except json.JSONDecodeError:
        raise DemonstrationsError(f"{where}: field 'versions' is not JSON") from None
    return Demonstrations(
        env_id=str(_scalar(raw, "env_id", "U", where)),
        observations=obs,
        rewards=raw["rewards"],
        episode_lengths=raw["episode_lengths"],
        expert_return=float(_scalar(raw, "expert_return", "fi", where)),
        random_return=float(_scalar(raw, "random_return", "fi", where)),
        actions=actions,
        act_dim=act_dim if act_dim > 0 else None,
        seed=int(_scalar(raw, "seed", "iu", where)) if "seed" in raw else 0,
        deterministic=bool(raw["deterministic"]) if "deterministic" in raw else False,
        versions=versions,
        source=where,
    )


def _validate(d: Demonstrations) -> None:
    """Shape, consistency and finiteness checks shared by construction and loading."""

    def fail(problem: str) -> None:
        raise DemonstrationsError(f"{d.source}: {problem}")

    if not d.env_id:
        fail("env_id is empty")
    if d.observations.ndim != 2:
        fail(f"observations must be 2-D (N, obs_dim), got shape {d.observations.shape}")
    n = d.observations.shape[0]
    if n == 0 or d.episode_lengths.size == 0:
        fail("holds no episodes (the dataset is empty)")
    if d.episode_lengths.ndim != 1 or np.any(d.episode_lengths <= 0):
        fail("episode_lengths must be a 1-D array of positive lengths")
    if int(d.episode_lengths.sum()) != n:
        fail(
            f"episode_lengths sum to {int(d.episode_lengths.sum())} but there are {n} observations"
        )
    if d.rewards.shape != (n,):
        fail(f"rewards have shape {d.rewards.shape}, expected ({n},)")
    if d.actions is not None and (d.actions.ndim != 2 or d.actions.shape[0] != n):
        fail(f"actions have shape {d.actions.shape}, expected ({n}, act_dim)")
    for name in ("observations", "actions", "rewards"):
        value = getattr(d, name)
        if value is not None and not np.all(np.isfinite(value)):
            bad = int(np.sum(~np.isfinite(value)))
            fail(f"{name} contain {bad} NaN or infinite value(s)")
    for name in ("expert_return", "random_return"):
        if not np.isfinite(getattr(d, name)):
            fail(f"{name} is not finite")
    if d.expert_return == d.random_return:
        fail("expert_return equals random_return, so returns cannot be normalised")
