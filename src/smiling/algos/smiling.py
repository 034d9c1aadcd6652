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

from pathlib import Path

import flax.serialization
import jax
import numpy as np

from smiling.algos.persistence import Learner
from smiling.algos.smiling_config import (  # their home: JAX-free, for the command line
    SMILING_ENTRY,
    SMILING_PRESETS,  # noqa: F401 - re-exported
    SmilingConfig,  # noqa: F401 - re-exported
)
from smiling.algos.visited import VisitedStates
from smiling.diffusion import NoiseSchedule, ScoreModel, diffusion_process, make_reward_fn
from smiling.errors import warn
from smiling.rewards import NOTHING, MethodStep, RewardFn


class SMILING(Learner, entry=SMILING_ENTRY):
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
