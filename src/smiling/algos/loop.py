"""The one training loop every method shares, and the hooks by which a method differs.

A learner is an environment, an *agent* (the RL algorithm, injected by name from
:mod:`smiling.rl.registry`: SAC first) and a *method* (a subclass, declared by its
:class:`~smiling.algos.entry.MethodEntry`: how states become rewards, and what the method learns
to make them). The loop only loops: act, store, let the method see the step, update the agent
with the method's reward, and run the callbacks (:mod:`smiling.callbacks`: evaluation, video,
checkpoint) at their cadences. What is written to disk during a run is the run recorder's
business (:mod:`smiling.recorder`); saving, loading and resuming a learner are
:mod:`smiling.algos.persistence`'s (its :class:`~smiling.algos.persistence.Learner` is this
loop plus those, and is what methods subclass). This module imports neither the method registry
nor any method: a method's name and presets come from the entry bound to its class.

A method overrides a few hooks, all optional:

- :meth:`TrainingLoop.reward_fn`: the reward hook handed to the agent's update (``None``: the
  environment's reward); see :mod:`smiling.rewards` for the contract;
- :meth:`TrainingLoop.observe`: sees every visited state and the action taken there;
- :meth:`TrainingLoop.episode_ended`: hears how each training episode ended (a termination, or
  a time limit), for methods that treat early termination (:mod:`smiling.termination`);
- :meth:`TrainingLoop.after_step`: runs after each environment step and returns a
  :class:`~smiling.rewards.MethodStep` (metrics, and whether the reward model changed: only then
  is :meth:`reward_fn` asked again);
- :meth:`TrainingLoop.prepare`: runs once before the first step (e.g. expert score-model
  fitting);
- :meth:`TrainingLoop.method_state` / :meth:`TrainingLoop.restore_method_state`: the method's
  own state in checkpoints and saved models;
- :meth:`TrainingLoop.build_agent`: a method that changes the agent's update (IQ-Learn's critic)
  builds its own agent here; :meth:`TrainingLoop.begin` and :meth:`TrainingLoop.advance`: a
  method that takes no environment steps (BC) replaces the environment session and loop with its
  own steps.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any, ClassVar

import jax
import numpy as np

from smiling import interrupt
from smiling.algos.entry import MethodEntry
from smiling.algos.loop_config import LoopConfig
from smiling.callbacks import Callback, Checkpointing, Evaluation, Video
from smiling.config import PRESET_VERSIONS, pick_preset
from smiling.data.demos import Demonstrations
from smiling.envs import make_env
from smiling.errors import SettingError, SmilingError, warn
from smiling.evaluation import run_episodes
from smiling.io import package_versions
from smiling.policy import AgentPolicy, predict
from smiling.progress import Progress
from smiling.recorder import RunRecorder
from smiling.rewards import NOTHING, MethodStep, RewardFn
from smiling.rl.agent import Agent, AgentEntry, Replay
from smiling.rl.registry import DEFAULT_AGENT, get_agent
from smiling.runs import RunDir

# Evaluation episode i of a run with seed s starts from env seed s + EVAL_SEED_OFFSET + i, far
# from the training episodes' seeds (s + 1, s + 2, ...), so the two never share a start.
EVAL_SEED_OFFSET = 10_000


class TrainingLoop:
    """An agent driven by a method's reward (see the module docstring).

    Every method has the same constructor, so their Python signatures are identical:
    ``Method(env_id, demos, preset, seed, config, loop, agent, agent_config)``. ``demos``
    provides the normalisation of returns (and, for imitation methods, the data); ``preset``
    picks the method's and the agent's named settings unless ``config`` / ``agent_config`` are
    given.

    Saving is declared here (:meth:`save`, :meth:`save_checkpoint`: the loop writes the final
    model and its checkpoints) and implemented by :class:`smiling.algos.persistence.Learner`.
    """

    # Bound when the method's class is defined (``class SMILING(Learner, entry=...)``).
    entry: ClassVar[MethodEntry]

    def __init_subclass__(cls, entry: MethodEntry | None = None, **kwargs: Any) -> None:
        """``entry``: the registry entry of the method this class is (:mod:`smiling.algos.entry`
        says why the class binds itself)."""
        super().__init_subclass__(**kwargs)
        if entry is not None:
            entry.bind(cls)

    def __init__(
        self,
        env_id: str,
        demos: Demonstrations | None = None,
        preset: str = "fast",
        seed: int = 0,
        config: Any | None = None,
        loop: LoopConfig = LoopConfig(),
        agent: str = DEFAULT_AGENT,
        agent_config: Any | None = None,
    ):
        if not isinstance(getattr(type(self), "entry", None), MethodEntry):
            name = type(self).__name__
            raise TypeError(
                f"{name} is no method: declare a MethodEntry for it "
                f"(class {name}(Learner, entry=MethodEntry(...)))"
            )
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            # NumPy's generators and Gymnasium's resets refuse negative seeds, with a traceback
            raise SettingError("seed", f"must be an integer of 0 or more, got {seed!r}")
        self.entry.check_agent(agent)
        self.config = config if config is not None else pick_preset(self.entry.presets, preset)
        self.check_demos(demos)
        self.env_id, self.demos, self.seed, self.loop, self.preset = (
            env_id,
            demos,
            seed,
            loop,
            preset,
        )
        # The version of the preset's numbers this run uses; a reloaded run keeps its recorded one.
        self.preset_version: int | None = PRESET_VERSIONS.get(preset)
        repeat = loop.action_repeat
        self.env = make_env(env_id, seed=seed, action_repeat=repeat)
        self.eval_env = make_env(env_id, seed=seed + EVAL_SEED_OFFSET, action_repeat=repeat)
        self.obs_dim = int(self.env.observation_space.shape[0])
        self.act_dim = int(self.env.action_space.shape[0])
        if demos is not None:
            demos.check_env(env_id, self.obs_dim, self.act_dim)
        agent_entry = get_agent(agent)
        self.agent_name = agent
        self.agent_config = agent_config if agent_config is not None else agent_entry.preset(preset)
        self.agent: Agent = self.build_agent(agent_entry)
        self.key = jax.random.PRNGKey(seed)
        self.key, init_key = jax.random.split(self.key)
        self.state: Any = self.agent.init(init_key)
        self.rng = np.random.default_rng(seed)
        self.replay: Replay | None = None
        self.env_steps = 0
        # The training episode under way (n starts from env seed seed + n; 0: none yet) and its
        # steps so far; _obs and _carry exist while an environment episode is live.
        self.episodes = 0
        self.episode_steps = 0
        self._obs: np.ndarray | None = None
        self.wall_seconds = 0.0
        self.best_return = -np.inf
        self.curve: list[list[float]] = []
        self.last_metrics: dict[str, float] = {}
        self._prepared = False
        # Updates wait until this step: after a continuation from a compact checkpoint (no
        # replay), the agent first refills its replay by acting (see persistence).
        self.refill_until = 0
        self._recorder: RunRecorder | None = None
        # The run directory this learner was restored from or last wrote: learn() may continue
        # it; any other directory holding a run is refused.
        self._run_path: Path | None = None
        self._progress_mode: bool | None = None
        self.setup()

    @property
    def method(self) -> str:
        """The method's name (its entry's): ``smiling``, ``dac``, ``rl``, ..."""
        return self.entry.name

    @property
    def algo(self) -> str:
        """The method's name under its old attribute name, kept for code written against it."""
        return self.method

    # ------------------------------------------------------------------ hooks
    def check_demos(self, demos: Demonstrations | None) -> None:
        """Raise a :class:`SmilingError` when ``demos`` cannot train this method as configured."""
        if self.entry.needs_demos and demos is None:
            raise SmilingError(f"{self.method} needs demonstrations")
        if demos is not None and self.entry.reads_actions(self.config) and not demos.has_actions:
            raise SmilingError(self.entry.actions_error(demos.source))

    def setup(self) -> None:
        """Build the method's models, once the agent exists."""

    def build_agent(self, entry: AgentEntry) -> Agent:
        """The agent this method drives (a method with its own update overrides this)."""
        return entry.build(self.obs_dim, self.act_dim, self.agent_config)

    def prepare(self, run_path: Path | None) -> None:
        """Once, before the first environment step."""

    def reward_fn(self) -> RewardFn | None:
        return None

    def observe(self, obs: np.ndarray, action: np.ndarray) -> None:
        """Sees every visited state and the action taken there."""

    def episode_ended(self, terminated: bool, steps: int) -> None:
        """A training episode ended after ``steps`` steps, by termination or by time limit."""

    def after_step(self, env_steps: int) -> MethodStep:
        """Runs after each environment step."""
        return NOTHING

    def method_state(self) -> dict[str, bytes]:
        return {}

    def restore_method_state(self, blobs: dict[str, bytes]) -> None:
        """Inverse of :meth:`method_state`."""

    @property
    def steps_done(self) -> int:
        """Progress in the method's step unit: environment steps (BC: its gradient steps)."""
        return self.env_steps

    # ---------------------------------------------------------------- config
    @property
    def label(self) -> str:
        """The experimental arm: the method, its variants and a non-default agent."""
        return self.entry.label(self.config, self.agent_name)

    def config_dict(self) -> dict[str, Any]:
        return {
            "method": {"name": self.method, "config": self.config.to_dict()},
            "label": self.label,
            "env_id": self.env_id,
            "seed": self.seed,
            "preset": self.preset,
            "preset_version": self.preset_version,
            "obs_dim": self.obs_dim,
            "act_dim": self.act_dim,
            "agent": {"name": self.agent_name, "config": dataclasses.asdict(self.agent_config)},
            "loop": dataclasses.asdict(self.loop),
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
    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: bool | np.ndarray | None = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, Any]:
        """``(action, state)`` for ``observation`` (one or a batch), as in Stable-Baselines3:
        pass the returned ``state`` back and ``episode_start`` at each episode's first
        observation (see :func:`smiling.policy.predict`). SAC's state is ``None``."""
        self.key, key = jax.random.split(self.key)
        return predict(
            self.agent, self.state, observation, key, state, episode_start, deterministic
        )

    def evaluate(
        self, episodes: int, frames: list[np.ndarray] | None = None, seed: int | None = None
    ) -> list[float]:
        """True-reward returns of the deterministic policy (the env reward is used only here).

        Episode i starts from ``seed + i`` (default: the run's evaluation seeds, ``seed +
        EVAL_SEED_OFFSET`` onwards) and from the agent's initial recurrent state, so it returns
        what it would alone. With a ``frames`` list, the first episode is rendered into it.
        """
        policy = AgentPolicy(self.agent, self.state, jax.random.PRNGKey(0))
        start = self.seed + EVAL_SEED_OFFSET if seed is None else seed
        return run_episodes(
            self.eval_env, policy, episodes, start, frames, self.loop.video_max_frames
        )

    def normalize(self, episode_return: float) -> float | None:
        norm = None if self.demos is None else self.demos.normalize(episode_return)
        return None if norm is None else float(norm)  # None: no demos, or their returns unknown

    @property
    def render_fps(self) -> float:
        """Frames per second of the environment's real time, for videos."""
        return float(self.eval_env.metadata.get("render_fps") or 30)

    # ---------------------------------------------------------------- learning
    def callbacks(self) -> list[Callback]:
        """Evaluation, video and checkpoint at the loop config's cadences (in this order)."""
        loop = self.loop
        cbs: list[Callback] = [Evaluation(loop.eval_every)]
        cbs.append(Video(loop.video_every, at_end=loop.video_every > 0))
        cbs.append(Checkpointing(loop.checkpoint_every))
        return cbs

    def learn(
        self,
        steps: int,
        run_dir: str | Path | None = None,
        progress: bool | None = None,
        overwrite: bool = False,
    ) -> dict[str, Any]:
        """Train until ``steps`` steps in total (the method's unit); returns the summary.

        With ``run_dir``, writes the run directory (see :mod:`smiling.runs`). A directory that
        already holds a run is refused, as ``smiling train --out`` refuses it, unless it is this
        learner's own: the run it was restored from (``Learner.restore(run_dir)``: how a run is
        resumed) or the one its previous ``learn`` wrote (training on). ``overwrite=True``
        deletes the run found there first (only the run's files). ``progress=None`` shows a
        progress bar on a terminal and log lines otherwise (``False``: log lines).

        Ctrl-C (one press) lets the current episode finish, checkpoints at its end, where a
        resume continues exactly, and raises :class:`smiling.interrupt.Interrupted`; a second
        press stops at once.
        """
        if steps < 1:
            raise SettingError("steps", f"must be at least 1, got {steps}")
        replaced = run_dir is not None and self._claim_run_dir(Path(run_dir), overwrite)
        if (
            self.entry.step_unit == "env"
            and self.env_steps == 0
            and steps <= self.agent.warmup_steps
        ):
            warn(
                f"a budget of {steps} steps is within the agent's random warm-up of "
                f"{self.agent.warmup_steps} steps: the policy will not be trained "
                f"(set a larger budget, or a shorter warm-up in the {self.agent_name} settings)"
            )
        if self.steps_done == 0 and self.demos is not None and self.demos.returns_reversed:
            warn(self.demos.returns_warning())
        callbacks = self.callbacks()
        # Ctrl-C stops at a check(); one pressed before this scope stops it before any write.
        with interrupt.deferred(run_dir, lambda: self.steps_done):
            self._recorder = None if run_dir is None else RunRecorder(run_dir, replaced)
            if self._recorder is not None:
                write_demos = None if self.demos is None else self.demos.save
                at = self.steps_done
                self._recorder.open(steps, at, self.curve, self.config_dict, write_demos)
                self._run_path = Path(run_dir)
            else:
                callbacks = [c for c in callbacks if isinstance(c, Evaluation)]
            try:
                return self._loop(steps, callbacks, progress)
            finally:
                if self._recorder is not None:
                    self._recorder.close()

    def _claim_run_dir(self, path: Path, overwrite: bool) -> bool:
        """Refuse (or, with ``overwrite``, clear) a run directory holding another run; whether
        a run was cleared (the folder's other files, kept, were already beside a run)."""
        run = RunDir(path)  # a file in the way fails here
        if not run.exists() or self._owns(path):
            return False
        if overwrite:
            run.remove_run()
            return True
        run.refuse_existing(
            f"choose another run_dir, continue it with {type(self).__name__}.restore"
            f"({str(path)!r}) and learn(), or pass overwrite=True to replace it"
        )

    def _owns(self, path: Path) -> bool:
        """Whether ``path`` is the run this learner was restored from or last wrote."""
        if self._run_path is None:
            return False
        return self._run_path.resolve() == path.resolve()

    def phase_progress(self, phase: str, total: int, unit: str = "update") -> Progress:
        """A progress display for a phase of its own before the environment steps (SMILING's
        expert score-model pre-training), shown the way the run's progress is."""
        return Progress(
            f"{self.label} {self.env_id}", total, bar=self._progress_mode, unit=unit, phase=phase
        )

    def _loop(self, steps: int, callbacks: list[Callback], progress: bool | None) -> dict[str, Any]:
        self._progress_mode = progress
        if not self._prepared:
            self.prepare(None if self._recorder is None else self._recorder.path)
            self._prepared = True
        t0 = time.perf_counter() - self.wall_seconds
        env_unit = self.entry.step_unit == "env"
        self._bar = Progress(
            f"{self.label} {self.env_id}",
            steps,
            self.steps_done,
            bar=progress,
            warmup=self.agent.warmup_steps if env_unit else 0,
            unit="step" if env_unit else f"{self.entry.step_unit} step",
        )
        self.begin(steps)
        while self.steps_done < steps:
            if interrupt.requested() and self._may_stop_here():
                self._stop_for_interrupt()
            nexts = [n for c in callbacks if (n := c.next_due(self.steps_done)) is not None]
            # Pause where a progress line falls due (an offline method's chunks stay as they
            # were: its random draws follow them).
            if env_unit:
                nexts.append(self._bar.next_line_step())
            before = self.steps_done
            self.advance(min([steps, *nexts]))
            self.wall_seconds = time.perf_counter() - t0
            if self.steps_done == before:
                continue  # stopped at once for Ctrl-C: this step's callbacks have run
            last = self.steps_done >= steps
            for callback in callbacks:
                if callback.is_due(self.steps_done, last):
                    callback.run(self, last)
            self._bar.tick()
        self._bar.close()
        self.wall_seconds = time.perf_counter() - t0
        return self._finish()

    def _may_stop_here(self) -> bool:
        """Whether Ctrl-C may stop the run now: at an episode's end (no environment step of
        the new one taken yet), where a checkpoint resumes exactly; anywhere without a run
        directory, as there is nothing to keep. (A method without episodes, BC, is always at
        one between its chunks.)"""
        return self._recorder is None or self.episode_steps == 0

    def _stop_for_interrupt(self) -> None:
        """Ctrl-C was pressed and the run is at a safe point: keep it in a checkpoint (the
        message then names its step), then stop with :class:`smiling.interrupt.Interrupted`."""
        if self._recorder is not None:
            self.save_checkpoint()
        interrupt.check()

    def begin(self, steps: int) -> None:
        """Begin a training session: the replay, the episode and the current reward.

        A learner that trained in this process continues its live episode. One restored from
        a checkpoint (the environment's state is not saved) begins its episode afresh: the
        episode under way if it had taken no step yet (a checkpoint at an episode's end), else
        the next one; so a run resumed from a checkpoint at an episode boundary continues
        exactly as the uninterrupted run.
        """
        if self.replay is None:
            self.replay = self.agent.make_replay(steps)
        if self._obs is None:
            if self.episodes == 0 or self.episode_steps > 0:
                self.episodes += 1
            self._new_episode()
        self._reward = self.reward_fn()

    def _new_episode(self) -> None:
        self._obs, _ = self.env.reset(seed=self.seed + self.episodes)
        self._carry = self.agent.initial_carry()
        self.episode_steps = 0

    def advance(self, until: int) -> None:
        """Environment steps (with the agent's updates) until ``until`` steps in total."""
        agent, log_every = self.agent, self.loop.log_every
        while self.env_steps < until:
            if interrupt.requested() and self._may_stop_here():
                return  # Ctrl-C: the loop checkpoints here and stops (between steps, no XLA work)
            obs = self._obs
            self.state = agent.observe(self.state, obs)  # e.g. running observation statistics
            if self.env_steps < agent.warmup_steps:
                action = self.rng.uniform(-1.0, 1.0, self.act_dim).astype(np.float32)
            else:
                self.key, act_key = jax.random.split(self.key)
                action, self._carry = agent.act(self.state, obs, act_key, self._carry)
                if not np.all(np.isfinite(action)):
                    raise SmilingError(self._diverged(action))
            next_obs, reward, terminated, truncated, _ = self.env.step(action)
            self.replay.add(obs, action, reward, next_obs, terminated, truncated)
            self.observe(obs, action)
            self._obs = next_obs
            self.episode_steps += 1
            if terminated or truncated:
                self.episode_ended(bool(terminated), self.episode_steps)
                self.episodes += 1
                self._new_episode()
            self.env_steps += 1
            step = self.after_step(self.env_steps)
            if step.metrics:
                self.last_metrics.update(step.metrics)
            if step.reward_changed:
                self._reward = self.reward_fn()
            updates = (
                agent.updates_due(self.env_steps) if self.env_steps >= self.refill_until else 0
            )
            for _ in range(updates):
                self.key, up_key = jax.random.split(self.key)
                batch = agent.sample(self.replay, self.rng)
                self.state, metrics = agent.update(self.state, batch, up_key, self._reward)
                if self.env_steps % log_every == 0:
                    self.last_metrics.update({k: float(v) for k, v in metrics.items()})
            self._bar.update(self.env_steps)

    # ------------------------------------------------------- progress, saving
    def progress(self) -> dict[str, Any]:
        """The loop's counters and random state: with the agent's and the method's state, all
        a checkpoint needs to continue exactly (:meth:`restore_progress` reads it back)."""
        return {
            "step": self.env_steps,
            "episodes": self.episodes,
            "episode_steps": self.episode_steps,
            "best": self.best_return,
            "wall_seconds": self.wall_seconds,
            "key": np.asarray(self.key).tolist(),
            "rng": self.rng.bit_generator.state,
            "curve": self.curve,
            "prepared": self._prepared,
            "refill_until": self.refill_until,
        }

    def restore_progress(self, progress: dict[str, Any]) -> None:
        """Inverse of :meth:`progress`. The environment's state is not saved: the episode
        under way begins afresh (:meth:`begin`)."""
        self.env_steps = int(progress["step"])
        self.best_return = float(progress["best"])
        self.wall_seconds = float(progress["wall_seconds"])
        self.key = jax.numpy.asarray(np.asarray(progress["key"], np.uint32))
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = progress["rng"]
        self.episodes = int(progress["episodes"])
        self.episode_steps = int(progress["episode_steps"])
        self._obs = None
        self.curve = [list(row) for row in progress["curve"]]
        self._prepared = bool(progress["prepared"])
        self.refill_until = int(progress.get("refill_until", 0))

    def save(self, directory: str | Path) -> None:
        """Write the learner to ``directory`` (the run's ``model/`` at the end of a run)."""
        raise NotImplementedError("smiling.algos.persistence.Learner saves learners")

    def save_checkpoint(self, path: str | Path | None = None) -> None:
        """Write everything needed to continue (default: into the run being written)."""
        raise NotImplementedError("smiling.algos.persistence.Learner writes checkpoints")

    def _diverged(self, action: Any) -> str:
        """The error for a non-finite action. Checked here because the simulator would
        otherwise fail later with its own obscure message (MuJoCo's ``BADCTRL``), or, for a
        Python environment, go on with NaN states; the run's checkpoints stay as they are."""
        bad = sorted(k for k, v in self.last_metrics.items() if not np.isfinite(v))
        logged = f"; non-finite in the last logged metrics: {', '.join(bad)}" if bad else ""
        return (
            f"training diverged: the agent's action at environment step {self.env_steps} is "
            f"not finite ({np.asarray(action).tolist()}){logged}. Resume from an earlier "
            "checkpoint with other settings (a lower learning rate, another seed)"
        )

    def _finish(self) -> dict[str, Any]:
        """The summary; with a run directory, also the final policy, model and summary.json."""
        summary = self.summary()
        if self._recorder is not None:
            if not self.loop.keep_best:
                self._recorder.policy(self.agent.policy_bytes(self.state))
            self.save(self._recorder.path / "model")
            self._recorder.summary(summary)
        return summary

    def evaluate_and_record(self) -> None:
        """One evaluation: the curve's next row, the metrics record, the best policy."""
        returns = self.evaluate(self.loop.eval_episodes)
        mean = float(np.mean(returns))
        norm = self.normalize(mean)
        sps = self.env_steps / max(self.wall_seconds, 1e-9)
        self.curve.append(
            [
                self.steps_done,
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
        if self._recorder is not None:
            self._recorder.evaluation(record, self.curve)
            if self.loop.keep_best and improved:
                self._recorder.policy(self.agent.policy_bytes(self.state))
        shown = f"{mean:.1f}" + ("" if norm is None else f" ({norm:.2f} of expert)")
        self._bar.evaluated(f"eval return {shown} at step {self.steps_done}")

    def film(self, name: str) -> None:
        """Film the first evaluation episode into the run's ``videos/<name>.mp4``."""
        if self._recorder is None:
            return
        frames: list[np.ndarray] = []
        self.evaluate(1, frames)
        self._recorder.video(name, frames, self.render_fps)

    def summary(self) -> dict[str, Any]:
        last = self.curve[-1] if self.curve else [self.steps_done, None]
        norm = self.normalize(last[1]) if self.curve else None
        summary = {
            "method": self.method,
            "label": self.label,
            "agent": self.agent_name,
            "env_id": self.env_id,
            "seed": self.seed,
            "env_steps": self.env_steps,
            "wall_seconds": round(self.wall_seconds, 2),
            "env_steps_per_second": round(self.env_steps / max(self.wall_seconds, 1e-9), 2),
            "eval_return": last[1],
            "eval_episodes": self.loop.eval_episodes,
            "normalized_return": norm,
            "best_eval_return": self.best_return if self.curve else None,
            "expert_return": None if self.demos is None else self.demos.expert_return,
            "random_return": None if self.demos is None else self.demos.random_return,
        }
        if self.entry.step_unit != "env":
            summary[f"{self.entry.step_unit}_steps"] = self.steps_done
        if self.loop.action_repeat > 1:  # env_steps counts decisions; say what they simulated
            summary["action_repeat"] = self.loop.action_repeat
            summary["simulator_steps"] = self.env_steps * self.loop.action_repeat
        return summary
