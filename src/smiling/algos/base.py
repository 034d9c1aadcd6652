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
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

import flax.serialization
import jax
import numpy as np
from tqdm import tqdm

from smiling.data.demos import Demonstrations
from smiling.data.replay import ReplayBuffer
from smiling.envs import make_env
from smiling.errors import SmilingError
from smiling.evaluation import run_episodes
from smiling.io import atomic_write, package_versions, write_json
from smiling.rl.sac import SAC, RewardFn, SACConfig, SACState
from smiling.runs import RunDir


@dataclasses.dataclass(frozen=True)
class LoopConfig:
    """Evaluation, checkpointing and logging cadence (in environment steps)."""

    eval_every: int = 5000
    eval_episodes: int = 5
    checkpoint_every: int = 50_000
    keep_best: bool = False  # experts keep the best-evaluated actor; imitation keeps the latest


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
    def config_dict(self) -> dict[str, Any]:
        return {
            "algo": self.algo,
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

    def evaluate(self, episodes: int) -> list[float]:
        """True-reward returns of the deterministic policy (the env reward is used only here)."""
        params = self.state.actor_params
        key = jax.random.PRNGKey(0)
        policy = lambda o: self.sac.act(params, o, key, deterministic=True)  # noqa: E731
        return run_episodes(self.eval_env, policy, episodes, seed=self.seed + 10_000)

    def normalize(self, episode_return: float) -> float | None:
        return None if self.demos is None else float(self.demos.normalize(episode_return))

    # ---------------------------------------------------------------- learning
    def learn(
        self, steps: int, run_dir: str | Path | None = None, progress: bool | None = None
    ) -> dict[str, Any]:
        """Train until ``steps`` environment steps in total; returns the summary.

        With ``run_dir``, writes the run directory (config, metrics, curve, checkpoints, model,
        summary). ``progress=None`` shows a progress bar on a terminal and log lines otherwise.
        """
        run = RunDir(run_dir) if run_dir is not None else None
        if run is not None and not run.exists():
            run.write_config(self.config_dict())
        if progress is None:
            progress = sys.stderr.isatty()
        if self.buffer is None:
            self.buffer = ReplayBuffer(
                self.obs_dim, self.act_dim, min(self.sac_config.buffer_size, max(steps, 1))
            )
        if not self._prepared:
            self._prepare(run)
            self._prepared = True
        cfg = self.sac_config
        t0 = time.perf_counter() - self.wall_seconds
        episode = self.env_steps // 1000 + 1
        obs, _ = self.env.reset(seed=self.seed + episode)
        bar = tqdm(
            total=steps,
            initial=self.env_steps,
            disable=not progress,
            file=sys.stderr,
            dynamic_ncols=True,
            desc=f"{self.algo} {self.env_id}",
            unit="step",
        )
        reward_fn = self._reward_fn()
        while self.env_steps < steps:
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
            bar.update(1)
            if self.env_steps % self.loop.eval_every == 0 or self.env_steps == steps:
                self.wall_seconds = time.perf_counter() - t0
                self._evaluate_and_log(run, bar, progress)
            if run is not None and (
                self.env_steps % self.loop.checkpoint_every == 0 or self.env_steps == steps
            ):
                self.wall_seconds = time.perf_counter() - t0
                self.save_checkpoint(run.path)
        bar.close()
        self.wall_seconds = time.perf_counter() - t0
        summary = self.summary()
        if run is not None:
            if not self.loop.keep_best:
                atomic_write(run.path / "actor.msgpack", _bytes_writer(self.state.actor_params))
            self.save(run.path / "model")
            run.write_summary(summary)
        return summary

    def _evaluate_and_log(self, run: RunDir | None, bar: tqdm, progress: bool) -> None:
        returns = self.evaluate(self.loop.eval_episodes)
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
        shown = f"{mean:.1f}" + ("" if norm is None else f" ({norm:.2f} of expert)")
        bar.set_postfix_str(f"eval return {shown}, {sps:.0f} steps/s")
        if not progress:
            print(
                f"[{self.algo} {self.env_id}] step {self._curve_step()}: eval return {shown}, "
                f"{sps:.1f} steps/s",
                flush=True,
            )

    def summary(self) -> dict[str, Any]:
        last = self.curve[-1] if self.curve else [self.env_steps, float("nan")]
        norm = self.normalize(last[1]) if self.curve else None
        return {
            "algo": self.algo,
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
        write_json(d / "config.json", self.config_dict())

    @classmethod
    def load(cls, directory: str | Path) -> Learner:
        """Rebuild a learner written by :meth:`save` (of this class or, from ``Learner``, any)."""
        from smiling.algos import ALGOS

        d = Path(directory)
        if not (d / "config.json").is_file():
            raise SmilingError(f"'{d}' holds no saved model (config.json is missing)")
        config = json.loads((d / "config.json").read_text())
        algo = ALGOS.get(config.get("algo", ""))
        if algo is None or not issubclass(algo, cls):
            raise SmilingError(f"'{d}' holds a '{config.get('algo')}' model, not {cls.algo}")
        demos = Demonstrations.load(d / "demos.npz") if (d / "demos.npz").exists() else None
        sac_dict = dict(config["sac"], hidden=tuple(config["sac"]["hidden"]))
        learner = algo._from_config(
            config, demos, SACConfig(**sac_dict), LoopConfig(**config["loop"])
        )
        try:
            learner._read_state(d)
        except (ValueError, KeyError, OSError) as err:
            raise SmilingError(f"'{d}': saved model is unreadable ({err})") from None
        learner._prepared = True
        return learner

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

        The new checkpoint is completed in a temporary folder and swapped in with renames, so a
        kill at any moment leaves the previous or the new checkpoint readable.
        """
        path = Path(path)
        tmp, final, old = path / "checkpoint.tmp", path / "checkpoint", path / "checkpoint.old"
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
        }
        (tmp / "progress.json").write_text(json.dumps(progress))
        if final.exists():
            shutil.rmtree(old, ignore_errors=True)
            final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)

    def load_checkpoint(self, path: str | Path, capacity: int) -> None:
        """Restore the state written by :meth:`save_checkpoint` (falls back to the previous one)."""
        path = Path(path)
        folder = path / "checkpoint"
        if not (folder / "progress.json").exists() and (path / "checkpoint.old").exists():
            folder = path / "checkpoint.old"  # killed between the two renames
        if not (folder / "progress.json").exists():
            raise SmilingError(f"{path}: no checkpoint to resume from")
        try:
            progress = json.loads((folder / "progress.json").read_text())
            self._read_state(folder)
            self.buffer = ReplayBuffer(self.obs_dim, self.act_dim, capacity)
            if (folder / "buffer.npz").exists():
                self.buffer.load(folder / "buffer.npz")
        except (ValueError, KeyError, OSError) as err:
            raise SmilingError(f"{folder}: checkpoint is unreadable ({err})") from None
        self.env_steps = int(progress["step"])
        self.best_return = float(progress["best"])
        self.wall_seconds = float(progress["wall_seconds"])
        self.key = jax.numpy.asarray(np.asarray(progress["key"], np.uint32))
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = progress["rng"]
        self.curve = [list(row) for row in progress.get("curve", [])]
        self._prepared = bool(progress.get("prepared", True))


def _bytes_writer(tree: Any):
    data = flax.serialization.to_bytes(tree)
    return lambda f: f.write(data)
