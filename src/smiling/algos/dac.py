"""DAC: SAC on a discriminator's reward (the GAN-style baseline of the SMILING paper).

Same loop, same SAC and same data schedule as SMILING's learner score model; only the objective
differs. Every ``update_every`` environment steps the discriminator (warm-started, never
re-initialised) takes one pass over ``learner_samples`` states drawn with replacement from the
FIFO of visited states and as many expert states, and SAC's sampled batches are relabelled,
inside the jitted update, with the current discriminator's reward.
"""

from __future__ import annotations

import flax.serialization
import jax
import numpy as np

from smiling.algos.dac_config import (  # their home: JAX-free, for the command line
    DAC_ENTRY,
    DAC_PRESETS,  # noqa: F401 - re-exported
    DACConfig,  # noqa: F401 - re-exported
)
from smiling.algos.discriminator import DiscriminatorModel, make_dac_reward_fn
from smiling.algos.persistence import Learner
from smiling.algos.visited import VisitedStates
from smiling.rewards import NOTHING, MethodStep, RewardFn


class DAC(Learner, entry=DAC_ENTRY):
    """Discriminator-actor-critic imitation from (state-only by default) demonstrations.

    >>> agent = DAC("Pendulum-v1", smiling.bundled_demos("Pendulum-v1").state_only())
    >>> agent.learn(20_000, run_dir="runs/dac-pendulum")
    """

    def setup(self) -> None:
        cfg, demos = self.config, self.demos
        self.visited = VisitedStates(self.env, cfg.use_actions, cfg.fifo_capacity, cfg.termination)
        self.input_dim = self.visited.dim
        self.model = DiscriminatorModel(
            self.input_dim,
            cfg.net,
            lr=cfg.lr,
            weight_decay=cfg.weight_decay,
            gp_weight=cfg.gp_weight,
        )
        self.key, key = jax.random.split(self.key)
        self.disc = self.model.init(key)
        self.expert_inputs = self.visited.expert_inputs(demos)

    # ------------------------------------------------------------ the method
    def reward_fn(self) -> RewardFn:
        cfg = self.config
        return make_dac_reward_fn(
            self.disc.params,
            cfg.net,
            cfg.reward_style,
            cfg.normalize_reward,
            cfg.use_actions,
            absorbing=self.visited.absorbing.active,
        )

    def observe(self, obs: np.ndarray, action: np.ndarray) -> None:
        self.visited.add(obs, action)

    def episode_ended(self, terminated: bool, steps: int) -> None:
        self.visited.episode_ended(terminated, steps)

    def after_step(self, env_steps: int) -> MethodStep:
        cfg = self.config
        if env_steps % cfg.update_every != 0:
            return NOTHING
        steps = max(1, min(cfg.learner_samples, cfg.expert_samples) // cfg.batch_size)
        shape = (steps, cfg.batch_size, self.input_dim)
        learner = self.visited.sample(steps * cfg.batch_size, self.rng).reshape(shape)
        idx = self.rng.integers(0, len(self.expert_inputs), steps * cfg.batch_size)
        expert = self.expert_inputs[idx].reshape(shape)
        self.key, key = jax.random.split(self.key)
        self.disc, parts = self.model.train_steps(self.disc, learner, expert, key)
        metrics = {
            "losses/discriminator": float(np.mean(parts["loss"])),
            "losses/discriminator_gp": float(np.mean(parts["gp"])),
            "charts/discriminator_accuracy": float(np.mean(parts["accuracy"])),
        }
        return MethodStep(metrics, reward_changed=True)

    # ------------------------------------------------------------ checkpoint
    def method_state(self) -> dict[str, bytes]:
        return {
            "discriminator": self.model.to_bytes(self.disc),
            "fifo": flax.serialization.msgpack_serialize(self.visited.fifo.state_dict()),
        }

    def restore_method_state(self, blobs: dict[str, bytes]) -> None:
        self.disc = self.model.from_bytes(blobs["discriminator"])
        self.visited.fifo.load_state_dict(flax.serialization.msgpack_restore(blobs["fifo"]))
