"""The one environment loop every method shares: act, store, relabel, update, evaluate, checkpoint.

A method differs from another only in how it turns states into rewards (and what it learns to do
so). Subclasses override the hooks:

- :meth:`Learner._reward_fn` returns the SAC reward hook (``None``: the environment's reward);
- :meth:`Learner._observe` sees every visited state (e.g. SMILING's observation FIFO);
- :meth:`Learner._after_step` runs after each env step (e.g. the learner score-model update);
- :meth:`Learner._extra_state` / :meth:`Learner._restore_extra` add method state to checkpoints;
- :meth:`Learner._prepare` runs once before the first step (e.g. expert score-model pre-training).

SAC's update, the replay buffer, evaluation, the run directory and checkpoints are shared.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import time
import zipfile
from pathlib import Path
from typing import Any, ClassVar

import flax.serialization
import jax
import numpy as np

from smiling import interrupt, variants
from smiling.config import pick_preset
from smiling.data.demos import Demonstrations
from smiling.data.replay import ReplayBuffer
from smiling.envs import make_env
from smiling.errors import CheckpointError, SmilingError, warn
from smiling.evaluation import run_episodes
from smiling.io import atomic_write, package_versions, write_json
from smiling.progress import Progress
from smiling.rl.sac import SAC, RewardFn, SACConfig, SACState, get_preset
from smiling.runs import CHECKPOINT, PREVIOUS_CHECKPOINT, RunDir
from smiling.video import write_video


@dataclasses.dataclass(frozen=True)
class LoopConfig:
    """Evaluation, checkpointing and video cadence (in environment steps).

    The last step of a run is always evaluated and checkpointed (and filmed when
    ``video_every > 0``); ``checkpoint_every = 0`` checkpoints only there.
    """

    eval_every: int = 5000
    eval_episodes: int = 5
    checkpoint_every: int = 50_000
    keep_best: bool = False  # experts keep the best-evaluated actor; imitation keeps the latest
    video_every: int = 0  # film the first evaluation episode at evaluations at multiples of this
    video_max_frames: int = 1000  # frames per video (one DMC episode)

    def __post_init__(self) -> None:
        """Reject cadences that would divide by zero or never produce anything."""
        least = {
            "eval_every": ("--eval-every", 1),
            "eval_episodes": ("--eval-episodes", 1),
            "checkpoint_every": ("--checkpoint-every", 0),
            "video_every": ("--video-every", 0),
            "video_max_frames": ("--video-frames", 1),
        }
        for name, (flag, minimum) in least.items():
            if getattr(self, name) < minimum:
                raise SmilingError(f"{flag} must be at least {minimum}, got {getattr(self, name)}")


class Learner:
    """An off-policy learner (SAC) driven by a method-specific reward.

    ``demos`` provides the normalisation of returns (and, for imitation methods, the data).
    """

    algo: ClassVar[str] = "base"

    def __init__(
        self,
        env_id: str,
        demos: Demonstrations | None,
        sac_config: SACConfig,
        seed: int = 0,
        loop: LoopConfig = LoopConfig(),
        method_config: dict[str, Any] | None = None,
    ):
        self.env_id, self.demos, self.seed, self.loop = env_id, demos, seed, loop
        self.env = make_env(env_id, seed=seed)
        self.eval_env = make_env(env_id, seed=seed + 10_000)
        self.obs_dim = int(self.env.observation_space.shape[0])
        self.act_dim = int(self.env.action_space.shape[0])
        if demos is not None:
            demos.check_env(env_id, self.obs_dim, self.act_dim, demos.source)
        self.sac_config = sac_config
        self.sac = SAC(self.obs_dim, self.act_dim, sac_config)
        self.method_config = method_config or {}
        self.key = jax.random.PRNGKey(seed)
        self.key, init_key = jax.random.split(self.key)
        self.state: SACState = self.sac.init(init_key)
        self.rng = np.random.default_rng(seed)
        self.buffer: ReplayBuffer | None = None
        self.env_steps = 0
        self.wall_seconds = 0.0
        self.best_return = -np.inf
        self.curve: list[list[float]] = []
        self.last_metrics: dict[str, float] = {}
        self._prepared = False
        self._newest_checkpoint_bad = False  # restored from checkpoint.old: drop checkpoint/

    # ------------------------------------------------------------------ hooks
    def _prepare(self, run: RunDir | None) -> None:
        """Once, before the first environment step."""

    def _reward_fn(self) -> RewardFn | None:
        return None

    def _observe(self, obs: np.ndarray, action: np.ndarray) -> None:
        """Sees every visited state and the action taken there."""

    def _after_step(self, env_steps: int) -> dict[str, float]:
        """Runs after each environment step; returns metrics to log."""
        return {}

    def _extra_state(self) -> dict[str, bytes]:
        return {}

    def _restore_extra(self, blobs: dict[str, bytes]) -> None:
        """Inverse of :meth:`_extra_state`."""

    def _curve_step(self) -> int:
        """The learning curve's x value: environment steps (BC, which takes none: its updates)."""
        return self.env_steps

    # ---------------------------------------------------------------- config
    @property
    def label(self) -> str:
        """The experimental arm: the algo and any variant switched on (``smiling+linear``)."""
        return self.algo

    def config_dict(self) -> dict[str, Any]:
        return {
            "algo": self.algo,
            "label": self.label,
            "env_id": self.env_id,
            "seed": self.seed,
            "obs_dim": self.obs_dim,
            "act_dim": self.act_dim,
            "sac": dataclasses.asdict(self.sac_config),
            "loop": dataclasses.asdict(self.loop),
            "method": self.method_config,
            "demos": None
            if self.demos is None
            else {
                "source": self.demos.source,
                "episodes": self.demos.num_episodes,
                "expert_return": self.demos.expert_return,
                "random_return": self.demos.random_return,
            },
            "versions": package_versions(),
        }

    # ---------------------------------------------------------------- acting
    def predict(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """The policy's action for ``obs`` (one observation or a batch)."""
        self.key, key = jax.random.split(self.key)
        return self.sac.act(self.state.actor_params, obs, key, deterministic=deterministic)

    def evaluate(
        self, episodes: int, frames: list[np.ndarray] | None = None, seed: int | None = None
    ) -> list[float]:
        """True-reward returns of the deterministic policy (the env reward is used only here).

        Episode i starts from ``seed + i`` (default: the run's evaluation seeds, ``seed + 10000``
        onwards). With a ``frames`` list, the first episode is rendered into it.
        """
        params = self.state.actor_params
        key = jax.random.PRNGKey(0)
        policy = lambda o: self.sac.act(params, o, key, deterministic=True)  # noqa: E731
        start = self.seed + 10_000 if seed is None else seed
        return run_episodes(
            self.eval_env, policy, episodes, start, frames, self.loop.video_max_frames
        )

    def normalize(self, episode_return: float) -> float | None:
        return None if self.demos is None else float(self.demos.normalize(episode_return))

    @property
    def render_fps(self) -> float:
        """Frames per second of the environment's real time, for videos."""
        return float(self.eval_env.metadata.get("render_fps") or 30)

    # ---------------------------------------------------------------- learning
    @interrupt.stoppable  # Ctrl-C stops the loop at its next interrupt.check()
    def learn(
        self, steps: int, run_dir: str | Path | None = None, progress: bool | None = None
    ) -> dict[str, Any]:
        """Train until ``steps`` environment steps in total; returns the summary.

        With ``run_dir``, writes the run directory (see :mod:`smiling.runs`). ``progress=None``
        shows a progress bar on a terminal and log lines otherwise (``False``: log lines).
        """
        run = RunDir(run_dir) if run_dir is not None else None
        if run is not None:
            self._open_run(run, steps)
        try:
            return self._learn(steps, run, progress)
        finally:
            if run is not None:
                run.close()

    def _open_run(self, run: RunDir, steps: int) -> None:
        """Create the run directory, or line an existing one up with this learner's step.

        A resumed learner is at its checkpoint's step: records past it (written by the killed
        process after its last checkpoint) are dropped so no step is logged twice.
        """
        existed = run.exists()
        if not existed:
            run.path.mkdir(parents=True, exist_ok=True)
            if self.demos is not None:
                self.demos.save(run.demos_path)
            run.write_config({**self.config_dict(), "steps": steps})  # last: marks a run
        else:
            config = run.read_config()
            if config.get("steps") != steps:
                run.write_config({**config, "steps": steps})
            run.truncate_metrics(self._curve_step())
            run.write_curve(self.curve)
            if self._curve_step() < steps:
                run.summary_path.unlink(missing_ok=True)  # no longer the final numbers
        run.open_tensorboard(purge_step=self._curve_step() + 1 if existed else None)

    def _learn(self, steps: int, run: RunDir | None, progress: bool | None) -> dict[str, Any]:
        if self.buffer is None:
            self.buffer = ReplayBuffer(
                self.obs_dim, self.act_dim, min(self.sac_config.buffer_size, max(steps, 1))
            )
        if not self._prepared:
            self._prepare(run)
            self._prepared = True
        cfg, loop = self.sac_config, self.loop
        t0 = time.perf_counter() - self.wall_seconds
        episode = self.env_steps // 1000 + 1
        obs, _ = self.env.reset(seed=self.seed + episode)
        bar = Progress(f"{self.algo} {self.env_id}", steps, self.env_steps, bar=progress)
        reward_fn = self._reward_fn()
        while self.env_steps < steps:
            interrupt.check()
            if self.env_steps < cfg.seed_steps:
                action = self.rng.uniform(-1.0, 1.0, self.act_dim).astype(np.float32)
            else:
                self.key, act_key = jax.random.split(self.key)
                action = self.sac.act(self.state.actor_params, obs, act_key)
            next_obs, reward, terminated, truncated, _ = self.env.step(action)
            self.buffer.add(obs, action, reward, next_obs, terminated)
            self._observe(obs, action)
            obs = next_obs
            if terminated or truncated:
                episode += 1
                obs, _ = self.env.reset(seed=self.seed + episode)
            self.env_steps += 1
            extra = self._after_step(self.env_steps)
            if extra:
                self.last_metrics.update(extra)
                reward_fn = self._reward_fn()  # the reward model changed
            if self.env_steps >= cfg.seed_steps:
                self.key, up_key = jax.random.split(self.key)
                batch = self.buffer.sample(cfg.batch_size, self.rng)
                self.state, metrics = self.sac.update(self.state, batch, up_key, reward_fn)
                if self.env_steps % 1000 == 0:
                    self.last_metrics.update({k: float(v) for k, v in metrics.items()})
            bar.update(self.env_steps)
            last = self.env_steps == steps
            if self.env_steps % loop.eval_every == 0 or last:
                self.wall_seconds = time.perf_counter() - t0
                self._evaluate_and_log(run, bar, last)
            if run is not None and (_due(self.env_steps, loop.checkpoint_every) or last):
                self.wall_seconds = time.perf_counter() - t0
                self.save_checkpoint(run.path)
        bar.close()
        self.wall_seconds = time.perf_counter() - t0
        return self._finish(run)

    def _finish(self, run: RunDir | None) -> dict[str, Any]:
        """The summary; with a run directory, also the final policy, model and summary.json."""
        summary = self.summary()
        if run is not None:
            if not self.loop.keep_best:
                atomic_write(run.path / "actor.msgpack", _bytes_writer(self.state.actor_params))
            self.save(run.path / "model")
            run.write_summary(summary)
        return summary

    def _evaluate_and_log(self, run: RunDir | None, bar: Progress, last: bool) -> None:
        film = run is not None and self.loop.video_every > 0
        film = film and (_due(self._curve_step(), self.loop.video_every) or last)
        frames: list[np.ndarray] | None = [] if film else None
        returns = self.evaluate(self.loop.eval_episodes, frames)
        mean = float(np.mean(returns))
        norm = self.normalize(mean)
        sps = self.env_steps / max(self.wall_seconds, 1e-9)
        self.curve.append(
            [
                self._curve_step(),
                mean,
                float(np.std(returns)),
                float("nan") if norm is None else norm,
                round(self.wall_seconds, 2),
                round(sps, 2),
            ]
        )
        improved = mean >= self.best_return
        self.best_return = max(self.best_return, mean)
        record = {
            "env_steps": self.env_steps,
            "charts/eval_return": mean,
            "charts/eval_return_std": float(np.std(returns)),
            "charts/normalized_return": norm,
            "charts/SPS": sps,
            "charts/wall_seconds": self.wall_seconds,
            **self.last_metrics,
        }
        if run is not None:
            run.append_metrics(record)
            run.write_curve(self.curve)
            if self.loop.keep_best and improved:
                atomic_write(run.path / "actor.msgpack", _bytes_writer(self.state.actor_params))
            if frames:
                video = run.videos_dir / f"step_{self._curve_step()}.mp4"
                write_video(video, frames, self.render_fps)
        shown = f"{mean:.1f}" + ("" if norm is None else f" ({norm:.2f} of expert)")
        bar.evaluated(f"eval return {shown} at step {self._curve_step()}")

    def summary(self) -> dict[str, Any]:
        last = self.curve[-1] if self.curve else [self.env_steps, float("nan")]
        norm = self.normalize(last[1]) if self.curve else None
        return {
            "algo": self.algo,
            "label": self.label,
            "env_id": self.env_id,
            "seed": self.seed,
            "env_steps": self.env_steps,
            "wall_seconds": round(self.wall_seconds, 2),
            "env_steps_per_second": round(self.env_steps / max(self.wall_seconds, 1e-9), 2),
            "eval_return": last[1],
            "eval_episodes": self.loop.eval_episodes,
            "normalized_return": norm,
            "best_eval_return": self.best_return,
            "expert_return": None if self.demos is None else self.demos.expert_return,
            "random_return": None if self.demos is None else self.demos.random_return,
        }

    # ------------------------------------------------------------ save / load
    def save(self, directory: str | Path) -> None:
        """Write the learner (config, SAC state, method state, demonstrations) to ``directory``.

        The demonstrations travel with the model so :meth:`load` needs nothing else.
        """
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        self._write_state(d)
        if self.demos is not None:
            self.demos.save(d / "demos.npz")
        write_json(d / "config.json", {**self.config_dict(), "env_steps": self.env_steps})

    @classmethod
    def load(cls, directory: str | Path) -> Learner:
        """Rebuild a learner written by :meth:`save` (of this class or, from ``Learner``, any)."""
        d = Path(directory)
        if not (d / "config.json").is_file():
            raise SmilingError(f"'{d}' holds no saved model (config.json is missing)")
        learner = cls.from_dir(d)
        try:
            learner._read_state(d)
        except (ValueError, KeyError, OSError) as err:
            raise SmilingError(f"'{d}': saved model is unreadable ({err})") from None
        learner.env_steps = int(RunDir(d).read_config().get("env_steps", 0))
        learner._prepared = True
        return learner

    @classmethod
    def restore(cls, run_dir: str | Path, steps: int | None = None) -> tuple[Learner, int]:
        """The learner of a run directory at its newest usable checkpoint, and the step budget.

        Rebuilt from the run's own ``config.json`` and ``demos.npz``, so any algorithm of
        :data:`smiling.algos.ALGOS` resumes the same way. ``steps`` replaces the recorded budget.
        A run killed before its first checkpoint starts again from step 0 (with a warning); one
        killed after its last checkpoint but before its summary only writes its final files;
        a run with checkpoints none of which is readable is a :class:`SmilingError`.
        """
        run = RunDir(run_dir)
        config = run.read_config()
        total = steps if steps is not None else config.get("steps")
        if not total or total < 1:
            raise SmilingError(f"{run.config_path} records no step budget; pass --steps")
        run.check_budget(total)  # a smaller budget than the run's step: say so, before loading
        learner = cls.from_dir(run.path)
        if run.checkpoints():
            learner.load_checkpoint(run.path, min(learner.sac_config.buffer_size, total))
        else:
            warn(f"'{run.path}' has no checkpoint yet; starting it again from step 0")
        finished = run.read_summary() is not None
        at = learner._curve_step()
        if at > total or (at == total and finished):
            raise SmilingError(
                f"'{run.path}' is already at step {at} of {total}; "
                f"pass --steps above {at} to continue it"
            )
        return learner, int(total)

    @classmethod
    def from_dir(cls, d: Path) -> Learner:
        """A fresh learner (no trained state) built from ``d/config.json`` and its demos."""
        from smiling.algos import ALGOS

        config = RunDir(d).read_config()
        algo = ALGOS.get(config.get("algo", ""))
        if algo is None:
            raise SmilingError(
                f"{d / 'config.json'}: unknown algo '{config.get('algo')}'; "
                f"known: {', '.join(sorted(ALGOS))}"
            )
        if not issubclass(algo, cls):
            raise SmilingError(f"'{d}' holds a '{config.get('algo')}' model, not {cls.algo}")
        sac_dict = dict(config["sac"], hidden=tuple(config["sac"]["hidden"]))
        known = {f.name for f in dataclasses.fields(LoopConfig)}
        loop = LoopConfig(**{k: v for k, v in config["loop"].items() if k in known})
        return algo._from_config(config, _run_demos(d, config), SACConfig(**sac_dict), loop)

    def _write_state(self, d: Path) -> None:
        """SAC state and method state as ``state.msgpack`` + ``<name>.msgpack`` in ``d``."""
        atomic_write(d / "state.msgpack", lambda f: f.write(self.sac.to_bytes(self.state)))
        for name, blob in self._extra_state().items():
            atomic_write(d / f"{name}.msgpack", lambda f, blob=blob: f.write(blob))

    def _read_state(self, d: Path) -> None:
        """Inverse of :meth:`_write_state`."""
        self.state = self.sac.from_bytes((d / "state.msgpack").read_bytes())
        extra = {p.stem: p.read_bytes() for p in d.glob("*.msgpack") if p.stem != "state"}
        self._restore_extra(extra)

    @classmethod
    def _from_config(
        cls, config: dict, demos: Demonstrations | None, sac: SACConfig, loop: LoopConfig
    ) -> Learner:
        raise NotImplementedError

    # ------------------------------------------------------------ checkpoints
    def save_checkpoint(self, path: str | Path) -> None:
        """Write everything needed to continue into ``path/checkpoint`` (never a partial one).

        The new checkpoint is completed in ``checkpoint.tmp`` (with a SHA-256 of every file in
        its ``progress.json``, written last) and swapped in with renames; the one it replaces
        becomes ``checkpoint.old``. A kill at any moment leaves at least one complete checkpoint,
        and a checkpoint damaged later still leaves the previous one to fall back on.
        """
        path = Path(path)
        tmp, final = path / f"{CHECKPOINT}.tmp", path / CHECKPOINT
        old, trash = path / PREVIOUS_CHECKPOINT, path / f"{CHECKPOINT}.trash"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self._write_state(tmp)
        if self.buffer is not None:
            self.buffer.save(tmp / "buffer.npz")
        progress = {
            "step": self.env_steps,
            "best": self.best_return,
            "wall_seconds": self.wall_seconds,
            "key": np.asarray(self.key).tolist(),
            "rng": self.rng.bit_generator.state,
            "curve": self.curve,
            "prepared": self._prepared,
            "files": {p.name: _sha256(p) for p in sorted(tmp.iterdir())},
        }
        write_json(tmp / "progress.json", progress)
        shutil.rmtree(trash, ignore_errors=True)
        if final.exists():
            if self._newest_checkpoint_bad:
                final.rename(trash)  # damaged (resume skipped it): checkpoint.old stays previous
            else:
                if old.exists():
                    old.rename(trash)  # a rename, so checkpoint.old is never half-deleted
                final.rename(old)
        tmp.rename(final)
        self._newest_checkpoint_bad = False
        shutil.rmtree(trash, ignore_errors=True)

    def load_checkpoint(self, path: str | Path, capacity: int | None) -> Path:
        """Restore the newest readable checkpoint of the run in ``path``; returns its folder.

        An unreadable newest checkpoint is reported in one warning line naming the file, and the
        previous one is used; when none is readable, a :class:`SmilingError` says why. With
        ``capacity=None`` the replay buffer is not loaded (enough to act and evaluate).
        """
        folders = RunDir(path).checkpoints()
        if not folders:
            raise SmilingError(f"'{path}': no checkpoint to resume from")
        problems = []
        for i, folder in enumerate(folders):
            try:
                self._read_checkpoint(folder, capacity)
                self._newest_checkpoint_bad = i > 0
                return folder
            except CheckpointError as err:
                problems.append(str(err))
                if i + 1 < len(folders):
                    warn(f"{err}; using the previous checkpoint '{folders[i + 1]}'")
        raise SmilingError(f"'{path}': no usable checkpoint ({'; '.join(problems)})")

    def _read_checkpoint(self, folder: Path, capacity: int | None) -> None:
        progress_path = folder / "progress.json"
        try:
            progress = json.loads(progress_path.read_text())
        except (OSError, ValueError) as err:
            problem = f"checkpoint file '{progress_path}' is unreadable ({err})"
            raise CheckpointError(problem) from None
        for name, digest in progress.get("files", {}).items():
            file = folder / name
            if not file.is_file():
                raise CheckpointError(f"checkpoint file '{file}' is missing")
            if _sha256(file) != digest:
                raise CheckpointError(f"checkpoint file '{file}' is corrupted (checksum mismatch)")
        try:
            self._read_state(folder)
            if capacity is not None:
                self.buffer = ReplayBuffer(self.obs_dim, self.act_dim, capacity)
                if (folder / "buffer.npz").exists():
                    self.buffer.load(folder / "buffer.npz")
            self.env_steps = int(progress["step"])
            self.best_return = float(progress["best"])
            self.wall_seconds = float(progress["wall_seconds"])
            self.key = jax.numpy.asarray(np.asarray(progress["key"], np.uint32))
            self.rng = np.random.default_rng()
            self.rng.bit_generator.state = progress["rng"]
        except (ValueError, KeyError, TypeError, OSError, zipfile.BadZipFile) as err:
            raise CheckpointError(f"checkpoint '{folder}' is unreadable ({err})") from None
        self.curve = [list(row) for row in progress.get("curve", [])]
        self._prepared = bool(progress.get("prepared", True))


def _due(step: int, every: int) -> bool:
    """Whether a cadence of ``every`` steps (0: never) falls on ``step``."""
    return every > 0 and step % every == 0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _run_demos(d: Path, config: dict[str, Any]) -> Demonstrations | None:
    """The demonstrations of a run or model directory: its ``demos.npz``, or (runs written
    before runs kept a copy) the file the config names."""
    if (d / "demos.npz").exists():
        return Demonstrations.load(d / "demos.npz")
    recorded = config.get("demos")
    if recorded is None:
        return None
    source = Path(recorded.get("source", ""))
    if source.is_file():
        return Demonstrations.load(source)
    raise SmilingError(f"'{d}': the run's demonstrations are missing (no demos.npz, no '{source}')")


def _bytes_writer(tree: Any):
    data = flax.serialization.to_bytes(tree)
    return lambda f: f.write(data)


class MethodLearner(Learner):
    """A learner whose method has a config dataclass and named presets (``presets``).

    Holds the one constructor every imitation method shares, so their Python signatures stay
    identical: ``Method(env_id, demos, preset, seed, config, loop, sac_config)``. Subclasses
    check their data in :meth:`_check_demos` and build their models in :meth:`_setup`.
    """

    presets: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        env_id: str,
        demos: Demonstrations,
        preset: str = "fast",
        seed: int = 0,
        config: Any | None = None,
        loop: LoopConfig = LoopConfig(),
        sac_config: SACConfig | None = None,
    ):
        self.config = config if config is not None else pick_preset(self.presets, preset)
        self._check_demos(demos)
        sac_config = sac_config or get_preset(self.config.sac_preset)
        super().__init__(env_id, demos, sac_config, seed, loop, self.config.to_dict())
        self.preset = preset
        self._setup()

    @property
    def label(self) -> str:
        return variants.label(self.algo, self.config)

    def _check_demos(self, demos: Demonstrations | None) -> None:
        """Raise a :class:`SmilingError` when ``demos`` cannot train this method as configured."""
        if demos is None:
            raise SmilingError(f"{self.algo} needs demonstrations")

    def _setup(self) -> None:
        """Build the method's models, once the shared learner exists."""

    @classmethod
    def _from_config(cls, config, demos, sac, loop) -> MethodLearner:
        config_type = type(next(iter(cls.presets.values())))
        return cls(
            config["env_id"],
            demos,
            seed=config["seed"],
            config=config_type.from_dict(config["method"]),
            loop=loop,
            sac_config=sac,
        )
