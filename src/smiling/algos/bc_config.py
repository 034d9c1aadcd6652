"""Behavioural cloning's settings, presets and registry entry: everything about the method but
its code (:mod:`smiling.algos.bc`, whose class the entry names and which re-exports these names).

Kept apart because this module imports no JAX: the command line builds a run's config from a
preset and its ``--set`` overrides, and refuses a bad one, before JAX is imported.
"""

from __future__ import annotations

import dataclasses

from smiling.algos.entry import MethodEntry
from smiling.config import Config
from smiling.errors import SmilingError

LOSSES = ("mle", "mse")


@dataclasses.dataclass(frozen=True)
class BCConfig(Config):
    """BC settings; the preset's agent config only chooses the actor's architecture."""

    loss: str = "mle"
    lr: float = 1e-3
    batch_size: int = 256

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise SmilingError(f"unknown BC loss '{self.loss}'; choose one of {list(LOSSES)}")
        if self.batch_size < 1 or self.lr <= 0:
            raise SmilingError("BC needs batch_size >= 1 and lr > 0")


BC_PRESETS: dict[str, BCConfig] = {
    # The paper's actor (1024x2) with its SAC learning rate and batch.
    "paper": BCConfig(lr=1e-4, batch_size=1024),
    "fast": BCConfig(),
    "debug": BCConfig(batch_size=32),  # tests, trying a setup
}


BC_ENTRY = MethodEntry(
    name="bc",
    cls="smiling.algos.bc:BC",
    presets=BC_PRESETS,
    summary="behavioural cloning: needs expert actions; its budget counts gradient steps",
    always_actions=True,
    step_unit="gradient",
    agents=("sac", "simba"),
    agents_reason="its policy is a SAC-family tanh-Gaussian actor",
    actions_need="it fits the expert's actions",
)
