"""DAC's settings, presets and registry entry, its discriminator's shape included: everything
about the method but its code (:mod:`smiling.algos.dac`, :mod:`smiling.algos.discriminator`,
which re-export these names).

Kept apart because this module imports no JAX: the command line builds a run's config from a
preset and its ``--set`` overrides, and refuses a bad one, before JAX is imported.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from smiling.algos.entry import MethodEntry, Variant
from smiling.config import DEFAULT_TERMINATION, Config, check_activation, check_termination
from smiling.errors import SmilingError

REWARD_STYLES = ("gail", "airl")


@dataclasses.dataclass(frozen=True)
class DiscriminatorConfig:
    """Architecture: ``d -> hidden (act) -> ... -> 1`` with ``depth`` hidden layers.

    ``linear=True`` removes every activation (the paper's linear-discriminator ablation), so
    ``D`` is affine in its input. Frozen (hashable): it is a static jit argument.
    """

    hidden: int = 256
    depth: int = 1
    linear: bool = False
    activation: str = "leaky_relu"

    def __post_init__(self) -> None:
        check_activation(self.activation)
        if self.depth < 0 or self.hidden < 1:
            raise SmilingError("a discriminator needs depth >= 0 and hidden >= 1")

    def act(self, x: Any) -> Any:
        """The configured nonlinearity, or none for the linear ablation (called while the
        network is traced, so JAX is loaded by then)."""
        from smiling.nn import ACTIVATIONS

        return x if self.linear else ACTIVATIONS[self.activation](x)


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


DAC_ENTRY = MethodEntry(
    name="dac",
    cls="smiling.algos.dac:DAC",
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
