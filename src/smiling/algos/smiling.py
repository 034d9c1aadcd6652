"""SMILING: an RL agent on the diffusion-score reward, in the loop of the paper's reference
implementation (docs/smiling.md, "How it works").

1. Pre-train the expert score model g_e on the expert states (cached in the run directory).
2. Repeat: environment steps of the agent, whose replayed batches are relabelled, inside its
   jitted update, with r(s) = learner denoising loss - expert denoising loss at s (the current
   g_e, g_k); every ``learner_update_every`` steps, fit the learner score model g_k
   (warm-started, never re-initialised) on states drawn with replacement from a FIFO of every
   visited state.

The agent is any registered one (``--agent``; :data:`smiling.rl.registry.AGENTS`): SAC, as in the
paper, by default. The method only hands it a reward function (:mod:`smiling.rewards`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import flax.serialization
import jax
import numpy as np

from smiling.algos.entry import MethodEntry, Variant
from smiling.algos.persistence import Learner
from smiling.algos.visited import VisitedStates
from smiling.config import Config
from smiling.diffusion import (
    NoiseSchedule,
    RewardConfig,
    ScoreModel,
    ScoreNetConfig,
    diffusion_process,
    make_reward_fn,
)
from smiling.errors import warn
from smiling.rewards import NOTHING, MethodStep, RewardFn
from smiling.termination import DEFAULT_TERMINATION, check_termination

# The diffusion processes (smiling.diffusion.schedule.diffusion_process builds them) and the
# variance-preserving process's noise schedules; plain names, so the config needs no JAX.
DIFFUSION_PROCESSES = ("vp", "ve")
NOISE_SCHEDULES = ("linear", "cosine")


@dataclasses.dataclass(frozen=True)
class SmilingConfig(Config):
    """Every number of the SMILING loop. ``SMILING_PRESETS`` holds the named settings.

    ``process`` is the diffusion: ``'vp'`` (variance-preserving, the paper's DDPM, with the noise
    ``schedule`` ``'linear'`` or ``'cosine'``) or ``'ve'`` (variance-exploding, ``x_t = x0 +
    sigma(t) eps`` with ``sigma`` geometric from ``sigma_min`` to ``sigma_max`` over the
    ``diffusion_steps``; :func:`smiling.diffusion.schedule.ve_schedule` says why 0.01 and 50).
    Both train the score models with the same noise-prediction loss and give the same reward
    form; ``sigma_min`` and ``sigma_max`` are unused by ``'vp'``.
    """

    reward: RewardConfig = RewardConfig()
    net: ScoreNetConfig = ScoreNetConfig()
    diffusion_steps: int = 5000
    schedule: str = "linear"  # or "cosine"; the variance-preserving process's only
    score_lr: float = 5e-3
    score_batch: int = 1024
    expert_pretrain_steps: int = 20_000
    learner_update_every: int = 1001
    learner_samples: int = 100_000  # drawn with replacement from the FIFO per learner update
    fifo_capacity: int = 200_000
    val_episodes: int = 5  # demonstration episodes held out for the validation loss
    # Episodes that end early (smiling.termination); runs recorded before it existed had none.
    termination: str = dataclasses.field(
        default=DEFAULT_TERMINATION, metadata={"unrecorded": "none"}
    )
    # Runs recorded before the variance-exploding process existed used the variance-preserving.
    process: str = dataclasses.field(default="vp", metadata={"unrecorded": "vp"})
    sigma_min: float = 0.01
    sigma_max: float = 50.0

    def __post_init__(self) -> None:
        check_termination(self.termination)
        self._check_diffusion()

    def _check_diffusion(self) -> None:
        """The diffusion settings name a process that exists (one line naming the setting)."""
        if self.process not in DIFFUSION_PROCESSES:
            raise ValueError(
                f"process must be one of {list(DIFFUSION_PROCESSES)}, got '{self.process}'"
            )
        if self.schedule not in NOISE_SCHEDULES:
            raise ValueError(
                f"schedule must be one of {list(NOISE_SCHEDULES)}, got '{self.schedule}'"
            )
        if self.process == "ve" and self.schedule != "linear":
            raise ValueError(
                f"schedule={self.schedule} is a variance-preserving schedule; process=ve has "
                "its own geometric one (set sigma_min and sigma_max instead)"
            )
        minimum_steps = 2 if self.process == "ve" else 1
        if self.diffusion_steps < minimum_steps:
            raise ValueError(
                f"diffusion_steps must be at least {minimum_steps} for process={self.process}, "
                f"got {self.diffusion_steps}"
            )
        if not 0 < self.sigma_min < self.sigma_max:
            raise ValueError(
                f"sigma_min and sigma_max need 0 < sigma_min < sigma_max, got {self.sigma_min} "
                f"and {self.sigma_max}"
            )


SMILING_PRESETS: dict[str, SmilingConfig] = {
    # The paper's numbers exactly (arXiv 2410.13855 and its reference implementation).
    "paper": SmilingConfig(
        reward=RewardConfig(num_timesteps=500, antithetic=False, weighting="simple"),
    ),
    # CPU default, chosen from benchmarks/results/reward_estimator/reward_estimator.* and
    # smiling_learning.*: (with the agent's fast preset, SAC 256x2) K = 8 on a stratified (randomly
    # shifted) grid, fewer pre-training steps.
    "fast": SmilingConfig(
        reward=RewardConfig(num_timesteps=8, stratified=True, weighting="simple"),
        expert_pretrain_steps=5000,
    ),
    # The smallest settings that run every code path in seconds (tests, trying a setup).
    "debug": SmilingConfig(
        reward=RewardConfig(num_timesteps=4, stratified=True, weighting="simple"),
        net=ScoreNetConfig(hidden=16),
        expert_pretrain_steps=10,
        learner_update_every=100,
        learner_samples=256,
        score_batch=64,
        val_episodes=1,
    ),
}


class SMILING(Learner):
    """Score-matching imitation from (state-only) demonstrations.

    >>> learner = SMILING("Pendulum-v1", smiling.bundled_demos("Pendulum-v1"), preset="fast")
    >>> learner.learn(20_000, run_dir="runs/pendulum")
    >>> action, state = learner.predict(obs)
    """

    def setup(self) -> None:
        cfg, demos = self.config, self.demos
        self.visited = VisitedStates(
            self.env, cfg.reward.use_actions, cfg.fifo_capacity, cfg.termination
        )
        # The reward's input layout follows the task: the indicator only where it can terminate.
        cfg = self.config = cfg.replace(
            reward=cfg.reward.replace(absorbing=self.visited.absorbing.active)
        )
        self.input_dim = self.visited.dim
        self.schedule = smiling_process(cfg)
        self.score_model = ScoreModel(self.input_dim, cfg.net, self.schedule, lr=cfg.score_lr)
        self.key, k_e, k_k = jax.random.split(self.key, 3)
        self.expert_score = self.score_model.init(k_e)
        self.learner_score = self.score_model.init(k_k)
        if demos.num_episodes > cfg.val_episodes:
            self.train_demos, self.val_demos = demos.split(cfg.val_episodes)
        else:
            self.train_demos, self.val_demos = demos, None

    # ------------------------------------------------------------ the method
    def prepare(self, run_path: Path | None) -> None:
        """Pre-train g_e on the expert states, or reuse the copy cached in the run directory."""
        cache = None if run_path is None else run_path / "expert_score.msgpack"
        if cache is not None and cache.exists():
            self.expert_score = self.score_model.from_bytes(cache.read_bytes())
            return
        self.key, key = jax.random.split(self.key)
        steps = self.config.expert_pretrain_steps
        # A phase of its own, with its own progress: it takes a while before the first step.
        with self.phase_progress("expert score-model pre-training", steps) as shown:
            self.expert_score, losses = self.score_model.fit(
                self.visited.expert_inputs(self.train_demos),
                steps,
                key,
                batch_size=self.config.score_batch,
                on_progress=shown.update,
            )
        self.last_metrics["losses/expert_score_train"] = float(np.mean(losses[-100:]))
        if self.val_demos is not None:
            self.key, key = jax.random.split(self.key)
            self.last_metrics["losses/expert_score_val"] = self.score_model.validation_loss(
                self.expert_score.params, self.visited.expert_inputs(self.val_demos), key
            )
        else:
            n, held = self.train_demos.num_episodes, self.config.val_episodes
            warn(  # nothing left to train on if they were held out: train on all, say so
                f"{n} demonstration episode{'s' if n != 1 else ''}, not more than "
                f"val_episodes={held}: nothing is held out, the expert score model trains on "
                "all of them and has no validation loss (losses/expert_score_val)"
            )
        if cache is not None:
            cache.write_bytes(self.score_model.to_bytes(self.expert_score))

    def reward_fn(self) -> RewardFn:
        return make_reward_fn(
            self.expert_score.params,
            self.learner_score.params,
            self.config.reward,
            self.config.net,
            self.schedule,
        )

    def observe(self, obs: np.ndarray, action: np.ndarray) -> None:
        self.visited.add(obs, action)

    def episode_ended(self, terminated: bool, steps: int) -> None:
        self.visited.episode_ended(terminated, steps)

    def after_step(self, env_steps: int) -> MethodStep:
        cfg = self.config
        if env_steps % cfg.learner_update_every != 0:
            return NOTHING
        steps = max(1, cfg.learner_samples // cfg.score_batch)
        batches = self.visited.sample(steps * cfg.score_batch, self.rng)
        batches = batches.reshape(steps, cfg.score_batch, self.input_dim)
        self.key, key = jax.random.split(self.key)
        self.learner_score, losses = self.score_model.train_steps(self.learner_score, batches, key)
        metrics = {"losses/learner_score": float(np.mean(losses))}
        return MethodStep(metrics, reward_changed=True)

    # ------------------------------------------------------------ checkpoint
    def method_state(self) -> dict[str, bytes]:
        return {
            "expert_score": self.score_model.to_bytes(self.expert_score),
            "learner_score": self.score_model.to_bytes(self.learner_score),
            "fifo": flax.serialization.msgpack_serialize(self.visited.fifo.state_dict()),
        }

    def restore_method_state(self, blobs: dict[str, bytes]) -> None:
        self.expert_score = self.score_model.from_bytes(blobs["expert_score"])
        self.learner_score = self.score_model.from_bytes(blobs["learner_score"])
        self.visited.fifo.load_state_dict(flax.serialization.msgpack_restore(blobs["fifo"]))


def smiling_process(config: SmilingConfig) -> NoiseSchedule:
    """The diffusion process a SMILING config names; the score models' training and the reward
    both read it (benchmarks/reward_diagnosis.py rebuilds a run's with it)."""
    return diffusion_process(
        config.process,
        config.schedule,
        config.diffusion_steps,
        config.sigma_min,
        config.sigma_max,
    )


def _use_actions(config: SmilingConfig) -> SmilingConfig:
    return config.replace(reward=dataclasses.replace(config.reward, use_actions=True))


def _linear(config: SmilingConfig) -> SmilingConfig:
    return config.replace(net=dataclasses.replace(config.net, linear=True))


SMILING_ENTRY = MethodEntry(
    name="smiling",
    cls=SMILING,
    presets=SMILING_PRESETS,
    summary="score-matching imitation from (state-only) demonstrations",
    variants={
        "actions": Variant(_use_actions, lambda c: bool(c.reward.use_actions)),
        "linear": Variant(_linear, lambda c: bool(c.net.linear)),
    },
    actions_need="--use-actions: its score models see [s, a]",
)
