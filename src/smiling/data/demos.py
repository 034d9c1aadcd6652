"""Expert demonstrations: the one on-disk format every method reads.

A demonstrations file is a NumPy ``.npz`` archive read with ``allow_pickle=False``. Episodes are
stored concatenated, with their lengths, so no object arrays (and so no pickle) are needed:

=================  ==========================  ==============================================
field              shape / dtype               meaning
=================  ==========================  ==============================================
format_version     () int                      1, or 2 when a field optional only in 2 is absent
env_id             () str                      id given to ``smiling.make_env``
observations       (N, obs_dim) float32        state s_t at which the expert acted
actions            (N, act_dim) float32        optional: absent for state-only data
rewards            (N,) float32                environment reward r_t (optional in format 2)
episode_lengths    (E,) int64                  steps of each episode; sum = N
obs_shape          (1,) int64                  ``(obs_dim,)``
act_shape          (1,) int64                  ``(act_dim,)``, ``(-1,)`` when unknown
expert_return      () float64                  mean return of the expert (normalised 1;
                                               optional in format 2)
random_return      () float64                  mean return of a uniform-random policy (0;
                                               optional in format 2)
seed               () int64                    seed used to collect the episodes
deterministic      () bool                     whether the expert acted deterministically
terminated         (E,) bool                   optional: episode ended by termination (not
                                               by its time limit); absent: none did
versions           () str                      JSON of package versions at collection time
=================  ==========================  ==============================================

Format 2 only makes ``rewards``, ``expert_return`` and ``random_return`` optional, for
demonstrations whose rewards or reference returns are unknown (state-only data from another
pipeline). A file that has all three is still written as format 1, so older versions of the
package read it; one without them is written as format 2, so an older version says which format it
cannot read instead of naming a missing field. ``terminated`` is optional in both formats (older
versions of the package ignore it).

Loading validates every field and raises :class:`DemonstrationsError` naming the file and the
problem; saving writes a temporary file and renames it so a crash never leaves a partial file.
"""

from __future__ import annotations

import dataclasses
import json
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from smiling.errors import DemonstrationsError
from smiling.io import atomic_open

if TYPE_CHECKING:
    from minari import MinariDataset

# Actions are in make_env's [-1, 1]; float32 rounding of a rescaled bound may pass it by this.
ACTION_TOLERANCE = 1e-5
FORMAT_VERSION = 2  # the newest format this module reads; see the module docstring
_REQUIRED = {
    1: (
        "format_version",
        "env_id",
        "observations",
        "rewards",
        "episode_lengths",
        "obs_shape",
        "act_shape",
        "expert_return",
        "random_return",
    ),
    2: ("format_version", "env_id", "observations", "episode_lengths", "obs_shape", "act_shape"),
}


@dataclass
class Demonstrations:
    """Expert episodes (states, optional actions and rewards) with the returns that normalise.

    ``normalized(R) = (R - random_return) / (expert_return - random_return)``; where either return
    is unknown (``None``), :meth:`normalize` gives ``None`` rather than a made-up number.
    """

    env_id: str
    observations: np.ndarray
    episode_lengths: np.ndarray
    actions: np.ndarray | None = None
    rewards: np.ndarray | None = None
    expert_return: float | None = None
    random_return: float | None = None
    act_dim: int | None = None
    seed: int = 0
    deterministic: bool = False
    versions: dict[str, str] = field(default_factory=dict)
    terminated: np.ndarray | None = None  # per episode; None: no episode ended early
    source: str = field(default="demonstrations", repr=False, compare=False)

    def __post_init__(self) -> None:
        self.observations = np.asarray(self.observations, np.float32)
        self.episode_lengths = np.asarray(self.episode_lengths, np.int64)
        if self.rewards is not None:
            self.rewards = np.asarray(self.rewards, np.float32)
        if self.actions is not None:
            self.actions = np.asarray(self.actions, np.float32)
            self.act_dim = self.actions.shape[-1]
        if self.terminated is not None:
            self.terminated = np.asarray(self.terminated, bool)
        for name in ("expert_return", "random_return"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, float(value))
        _validate(self)

    # ----------------------------------------------------------- constructors
    @classmethod
    def from_arrays(
        cls,
        env_id: str,
        observations: np.ndarray | Sequence[np.ndarray],
        episode_lengths: np.ndarray | Sequence[int] | None = None,
        actions: np.ndarray | Sequence[np.ndarray] | None = None,
        rewards: np.ndarray | Sequence[np.ndarray] | None = None,
        *,
        expert_return: float | None = None,
        random_return: float | None = None,
        act_dim: int | None = None,
        seed: int = 0,
        terminated: np.ndarray | Sequence[bool] | None = None,
    ) -> Demonstrations:
        """Demonstrations from your own arrays, checked like a loaded file.

        Give either concatenated arrays (``observations`` of shape ``(N, obs_dim)``, ``actions``
        ``(N, act_dim)``, ``rewards`` ``(N,)``) with ``episode_lengths`` summing to N, or one array
        per episode for each (a list of ``(T_i, obs_dim)`` arrays, ...) and no
        ``episode_lengths``. ``observations[t]`` is the state at which ``actions[t]`` was taken:
        leave out each episode's final state (the one after its last action). Actions must already
        be scaled to ``[-1, 1]`` as :func:`smiling.make_env` expects. ``act_dim`` records the
        action size of state-only data for shape checks. ``terminated`` (one flag per episode)
        marks episodes that ended by termination, not by a time limit (see
        :mod:`smiling.termination`). Any problem raises one
        :class:`DemonstrationsError` naming the argument.
        """
        where = "from_arrays"
        per_episode = not isinstance(observations, np.ndarray) and episode_lengths is None
        if per_episode:
            episodes = [_numeric(o, "observations", where) for o in observations]
            if not episodes:
                raise DemonstrationsError(f"{where}: observations hold no episodes")
            for i, o in enumerate(episodes):
                if o.ndim != 2:
                    raise DemonstrationsError(
                        f"{where}: episode {i}'s observations have shape {o.shape}; each episode "
                        "needs a (T, obs_dim) array (or pass episode_lengths with one "
                        "concatenated array)"
                    )
            lengths = np.asarray([len(o) for o in episodes], np.int64)
            obs = _concat(episodes, "observations", where)
            actions = _concat_like(actions, lengths, "actions", where)
            rewards = _concat_like(rewards, lengths, "rewards", where)
        else:
            if episode_lengths is None:
                raise DemonstrationsError(
                    f"{where}: episode_lengths is required when observations are one "
                    "concatenated array (or pass a list with one array per episode)"
                )
            obs = _numeric(observations, "observations", where)
            lengths = np.asarray(episode_lengths)
            if lengths.dtype.kind not in "iu":
                raise DemonstrationsError(
                    f"{where}: episode_lengths must be integers, got dtype {lengths.dtype}"
                )
            actions = None if actions is None else _numeric(actions, "actions", where)
            rewards = None if rewards is None else _numeric(rewards, "rewards", where)
        if not isinstance(env_id, str):
            raise DemonstrationsError(f"{where}: env_id must be a string, got {env_id!r}")
        if actions is not None and act_dim is not None and actions.shape[-1] != act_dim:
            raise DemonstrationsError(
                f"{where}: actions have shape {actions.shape} but act_dim is {act_dim}"
            )
        return cls(
            env_id=env_id,
            observations=obs,
            episode_lengths=lengths,
            actions=actions,
            rewards=rewards,
            expert_return=expert_return,
            random_return=random_return,
            act_dim=act_dim,
            seed=seed,
            terminated=None if terminated is None else np.asarray(terminated),
            source=where,
        )

    @classmethod
    def from_minari(
        cls,
        dataset: str | os.PathLike | MinariDataset,
        env_id: str | None = None,
        *,
        expert_return: float | None = None,
        random_return: float | None = None,
        random_episodes: int = 10,
        seed: int = 0,
        state_only: bool = False,
    ) -> Demonstrations:
        """Demonstrations from a local Minari dataset (an id, a dataset directory, or the object).

        Needs the ``minari`` extra. See :func:`smiling.data.minari_io.import_minari` for how the
        environment, observations, actions and returns are mapped.
        """
        from smiling.data.minari_io import import_minari

        return import_minari(
            dataset,
            env_id,
            expert_return=expert_return,
            random_return=random_return,
            random_episodes=random_episodes,
            seed=seed,
            state_only=state_only,
        )

    def to_minari(
        self,
        dataset_id: str,
        path: str | os.PathLike | None = None,
        overwrite: bool = False,
    ) -> Path:
        """Write these episodes as a Minari dataset; returns its directory.

        Needs the ``minari`` extra. See :func:`smiling.data.minari_io.export_minari`.
        """
        from smiling.data.minari_io import export_minari

        return export_minari(self, dataset_id, path, overwrite=overwrite)

    def with_returns(
        self, expert: float | None = None, random: float | None = None
    ) -> Demonstrations:
        """A copy with the expert and/or random return set (``None`` keeps the current value).

        For demonstrations whose reference returns are known from elsewhere (a paper's table,
        a dataset card) but not stored with them.
        """
        return dataclasses.replace(
            self,
            expert_return=self.expert_return if expert is None else expert,
            random_return=self.random_return if random is None else random,
        )

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
    def episodes_terminated(self) -> np.ndarray:
        """Per episode, whether it ended by termination (all False where unrecorded)."""
        if self.terminated is None:
            return np.zeros(self.num_episodes, bool)
        return self.terminated

    @property
    def has_rewards(self) -> bool:
        return self.rewards is not None

    @property
    def can_normalize(self) -> bool:
        """Whether both reference returns are known and the expert's is above the random
        policy's, so :meth:`normalize` gives a number that means something."""
        return self._both_returns_known and not self.returns_reversed

    @property
    def _both_returns_known(self) -> bool:
        return self.expert_return is not None and self.random_return is not None

    @property
    def returns_reversed(self) -> bool:
        """Whether the expert return is below the random return: a normalised return would then
        call a random policy's score near 1 and the expert's 0, so none is given."""
        return self._both_returns_known and self.expert_return < self.random_return

    def returns_warning(self) -> str | None:
        """The warning ``smiling info`` and training give for reversed reference returns."""
        if not self.returns_reversed:
            return None
        return (
            f"{self.source}: the expert return ({self.expert_return:.1f}) is below the random "
            f"return ({self.random_return:.1f}), so no normalised return is reported; check the "
            "data (or pass the right --expert-return / --random-return)"
        )

    @property
    def episode_returns(self) -> np.ndarray:
        """Return of each episode; raises :class:`DemonstrationsError` without rewards."""
        if self.rewards is None:
            raise DemonstrationsError(f"{self.source}: has no rewards, so no episode returns")
        return np.add.reduceat(self.rewards, self._starts())

    def normalize(self, episode_return: float) -> float | None:
        """Normalised return: 0 for the random policy, 1 for the expert; None when either
        reference return is unknown (training then reports raw returns only)."""
        if not self.can_normalize:  # unknown, or reversed (see returns_reversed)
            return None
        return (episode_return - self.random_return) / (self.expert_return - self.random_return)

    def state_only(self) -> Demonstrations:
        """The same episodes without actions (the main SMILING setting)."""
        return self._subset(np.arange(self.num_episodes), keep_actions=False)

    def first(self, episodes: int) -> Demonstrations:
        """The first ``episodes`` episodes (how little data is enough?), returns unchanged."""
        if not 0 < episodes <= self.num_episodes:
            raise DemonstrationsError(
                f"{self.source}: cannot take {episodes} of its {self.num_episodes} episodes"
            )
        return self.select(range(episodes))

    def select(self, episodes: Sequence[int]) -> Demonstrations:
        """The episodes at the given indices, in that order, returns unchanged.

        For a study of which episodes matter: the first episode of a file is not always a typical
        one (ball_in_cup-catch's bundled first episode starts with the ball nearly caught).
        """
        idx = np.asarray(list(episodes), np.int64)
        if idx.size == 0 or idx.min() < 0 or idx.max() >= self.num_episodes:
            raise DemonstrationsError(
                f"{self.source}: cannot select episodes {idx.tolist()} of its "
                f"{self.num_episodes} (indices from 0 to {self.num_episodes - 1}, at least one)"
            )
        return self._subset(idx)

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
            raise DemonstrationsError(f"{where}: made for '{self.env_id}', not for '{env_id}'")
        if obs_dim != self.obs_dim:
            raise DemonstrationsError(
                f"{where}: observations have size {self.obs_dim}; '{env_id}' has {obs_dim}"
            )
        if self.act_dim is not None and act_dim != self.act_dim:
            raise DemonstrationsError(
                f"{where}: actions have size {self.act_dim}; '{env_id}' has {act_dim}"
            )

    # ------------------------------------------------------------------ I/O
    def save(self, path: str | os.PathLike) -> None:
        """Write to ``path`` atomically (temporary file, then rename).

        Written as format 1 when rewards and both returns are known (readable by every version
        of the package), else as format 2 without the unknown fields.
        """
        optional = {
            "rewards": self.rewards,
            "expert_return": None
            if self.expert_return is None
            else np.asarray(self.expert_return, np.float64),
            "random_return": None
            if self.random_return is None
            else np.asarray(self.random_return, np.float64),
        }
        version = 1 if all(v is not None for v in optional.values()) else 2
        arrays = {
            "format_version": np.asarray(version, np.int64),
            "env_id": np.asarray(self.env_id),
            "observations": self.observations,
            "episode_lengths": self.episode_lengths,
            "obs_shape": np.asarray([self.obs_dim], np.int64),
            "act_shape": np.asarray([self.act_dim if self.act_dim is not None else -1], np.int64),
            "seed": np.asarray(self.seed, np.int64),
            "deterministic": np.asarray(self.deterministic),
            "versions": np.asarray(json.dumps(self.versions, sort_keys=True)),
        }
        arrays.update({k: v for k, v in optional.items() if v is not None})
        if self.actions is not None:
            arrays["actions"] = self.actions
        if self.terminated is not None:
            arrays["terminated"] = self.terminated
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
                if "format_version" not in npz.files:
                    raise DemonstrationsError(f"{where} is missing field(s): format_version")
                version = _scalar(npz, "format_version", "iu", where)
                if version not in _REQUIRED:
                    raise DemonstrationsError(
                        f"{where}: format_version {version} is not supported (this version of "
                        f"smiling reads formats {', '.join(map(str, _REQUIRED))})"
                    )
                missing = [k for k in _REQUIRED[version] if k not in npz.files]
                if missing:
                    raise DemonstrationsError(f"{where} is missing field(s): {', '.join(missing)}")
                raw = {k: npz[k] for k in npz.files}
        except DemonstrationsError:
            raise
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as err:
            raise DemonstrationsError(
                f"{where} is not a readable .npz archive (truncated or another format): {err}"
            ) from None
        demos = _from_npz(raw, where)
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
            episode_lengths=lengths,
            actions=self.actions[rows] if (keep_actions and self.actions is not None) else None,
            rewards=None if self.rewards is None else self.rewards[rows],
            expert_return=self.expert_return,
            random_return=self.random_return,
            act_dim=self.act_dim,
            seed=self.seed,
            deterministic=self.deterministic,
            versions=dict(self.versions),
            terminated=None if self.terminated is None else self.terminated[episodes],
            source=self.source,
        )


def _numeric(value: Any, name: str, where: str) -> np.ndarray:
    """``value`` as a float32 array, or one error naming the argument when it is not numbers."""
    try:
        array = np.asarray(value)
    except ValueError as err:  # ragged nested lists
        raise DemonstrationsError(f"{where}: {name} is not a rectangular array ({err})") from None
    if array.dtype.kind not in "fiu":
        raise DemonstrationsError(f"{where}: {name} must be numbers, got dtype {array.dtype}")
    return array.astype(np.float32)


def _concat(episodes: list[np.ndarray], name: str, where: str) -> np.ndarray:
    shapes = {e.shape[1:] for e in episodes}
    if len(shapes) != 1:
        raise DemonstrationsError(
            f"{where}: the episodes' {name} have different shapes per step: {sorted(shapes)}"
        )
    return np.concatenate(episodes)


def _concat_like(
    episodes: Sequence[np.ndarray] | None, lengths: np.ndarray, name: str, where: str
) -> np.ndarray | None:
    """Concatenate per-episode ``episodes``, checking they match the observations' lengths."""
    if episodes is None:
        return None
    arrays = [_numeric(e, name, where) for e in episodes]
    got = [len(a) for a in arrays]
    if got != lengths.tolist():
        raise DemonstrationsError(
            f"{where}: {name} have per-episode lengths {got}, observations {lengths.tolist()}"
        )
    return _concat(arrays, name, where)


def _scalar(raw: Any, name: str, kind: str, where: str):
    value = raw[name]
    if value.shape != ():
        raise DemonstrationsError(
            f"{where}: field '{name}' must be a scalar, got shape {value.shape}"
        )
    if value.dtype.kind not in kind:
        raise DemonstrationsError(f"{where}: field '{name}' has dtype {value.dtype}")
    return value.item()


def _from_npz(raw: dict[str, np.ndarray], where: str) -> Demonstrations:
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
    terminated = raw.get("terminated")
    if terminated is not None and terminated.dtype.kind != "b":
        raise DemonstrationsError(f"{where}: field 'terminated' must be booleans")
    versions_text = str(raw["versions"]) if "versions" in raw else "{}"
    try:
        versions = json.loads(versions_text)
    except json.JSONDecodeError:
        raise DemonstrationsError(f"{where}: field 'versions' is not JSON") from None
    returns = {
        name: float(_scalar(raw, name, "fi", where)) if name in raw else None
        for name in ("expert_return", "random_return")
    }
    return Demonstrations(
        env_id=str(_scalar(raw, "env_id", "U", where)),
        observations=obs,
        episode_lengths=raw["episode_lengths"],
        actions=actions,
        rewards=raw.get("rewards"),
        act_dim=act_dim if act_dim > 0 else None,
        seed=int(_scalar(raw, "seed", "iu", where)) if "seed" in raw else 0,
        deterministic=bool(raw["deterministic"]) if "deterministic" in raw else False,
        versions=versions,
        terminated=terminated,
        source=where,
        **returns,
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
    if d.terminated is not None and d.terminated.shape != d.episode_lengths.shape:
        fail(
            f"terminated has shape {d.terminated.shape}, expected one flag per episode "
            f"{d.episode_lengths.shape}"
        )
    if d.rewards is not None and d.rewards.shape != (n,):
        fail(f"rewards have shape {d.rewards.shape}, expected ({n},)")
    if d.actions is not None and (d.actions.ndim != 2 or d.actions.shape[0] != n):
        fail(f"actions have shape {d.actions.shape}, expected ({n}, act_dim)")
    for name in ("observations", "actions", "rewards"):
        value = getattr(d, name)
        if value is not None and not np.all(np.isfinite(value)):
            bad = int(np.sum(~np.isfinite(value)))
            fail(f"{name} contain {bad} NaN or infinite value(s)")
    for name in ("expert_return", "random_return"):
        value = getattr(d, name)
        if value is not None and not np.isfinite(value):
            fail(f"{name} is not finite")
    if d._both_returns_known and d.expert_return == d.random_return:
        fail("expert_return equals random_return, so returns cannot be normalised")
    if d.actions is not None:
        outside = np.abs(d.actions) > 1 + ACTION_TOLERANCE
        if outside.any():
            fail(
                f"{int(outside.sum())} of {d.actions.size} action values lie outside [-1, 1] "
                f"(from {float(d.actions.min()):.3g} to {float(d.actions.max()):.3g}); actions "
                "must be scaled to [-1, 1] as smiling.make_env's are (divide by the "
                "environment's action bounds)"
            )
