"""DAC: SAC on a discriminator's reward (the GAN-style baseline of the SMILING paper).

Same loop, same SAC and same data schedule as SMILING's learner score model; only the objective
differs. Every ``update_every`` environment steps the discriminator (warm-started, never
re-initialised) takes one pass over ``learner_samples`` states drawn with replacement from the
FIFO of visited states and as many expert states, and SAC's sampled batches are relabelled,
inside the jitted update, with the current discriminator's reward.
"""

from __future__ import annotations

import dataclasses

import flax.serialization
import jax
import numpy as np

from smiling.algos.discriminator import (
    REWARD_STYLES,
    DiscriminatorConfig,
    DiscriminatorModel,
    make_dac_reward_fn,
)
from smiling.algos.entry import MethodEntry, Variant
from smiling.algos.persistence import Learner
from smiling.algos.visited import VisitedStates
from smiling.config import Config
from smiling.errors import SmilingError
from smiling.rewards import NOTHING, MethodStep, RewardFn
from smiling.termination import DEFAULT_TERMINATION, check_termination


@dataclasses.dataclass(frozen=True)
class DACConfig(Config):
    """Every number of DAC. ``DAC_PRESETS`` holds the named settings."""

    net: DiscriminatorConfig = DiscriminatorConfig()
    use_actions: bool = False  # the discriminator sees [s, a] (needs demos with actions)
    reward_style: str = "gail"  # or "airl" (the logit)
    normalize_reward: bool = False  # the paper does not normalise DAC's reward
    lr: float = 5e-3
    weight_decay: float = 1e-2
    gp_weight: float = 10.0
    batch_size: int = 1024
    update_every: int = 1001
    learner_samples: int = 100_000  # per discriminator update, with replacement from the FIFO
    expert_samples: int = 100_000  # per discriminator update, with replacement from the demos
    fifo_capacity: int = 200_000
    # Episodes that end early (smiling.termination); runs recorded before it existed had none.
    termination: str = dataclasses.field(
        default=DEFAULT_TERMINATION, metadata={"unrecorded": "none"}
    )

    def __post_init__(self) -> None:
        check_termination(self.termination)
        if self.reward_style not in REWARD_STYLES:
            raise SmilingError(
                f"unknown reward_style '{self.reward_style}'; choose one of {list(REWARD_STYLES)}"
            )
        if min(self.batch_size, self.update_every, self.learner_samples, self.fifo_capacity) < 1:
            raise SmilingError(
                "batch_size, update_every, learner_samples and fifo_capacity must be >= 1"
            )


DAC_PRESETS: dict[str, DACConfig] = {
    "paper": DACConfig(),  # the SMILING paper's DAC, with the agent's paper preset
    "fast": DACConfig(),  # the same discriminator (it costs little), with the agent's fast preset
    # The smallest settings that run every code path in seconds (tests, trying a setup).
    "debug": DACConfig(
        net=DiscriminatorConfig(hidden=16),
        batch_size=64,
        update_every=100,
        learner_samples=256,
        expert_samples=256,
    ),
}


class DAC(Learner):
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


DAC_ENTRY = MethodEntry(
    name="dac",
    cls=DAC,
    presets=DAC_PRESETS,
    summary="discriminator-actor-critic: the GAN-style baseline, state-only by default",
    variants={
        "actions": Variant(lambda c: c.replace(use_actions=True), lambda c: bool(c.use_actions)),
        "linear": Variant(
            lambda c: c.replace(net=dataclasses.replace(c.net, linear=True)),
            lambda c: bool(c.net.linear),
        ),
    },
    actions_need="--use-actions: its discriminator sees [s, a]",
)
