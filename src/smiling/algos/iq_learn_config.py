"""IQ-Learn's settings, presets and registry entry: everything about the method but its code
(:mod:`smiling.algos.iq_learn`, whose class the entry names and which re-exports these names).

Kept apart because this module imports no JAX: the command line builds a run's config from a
preset and its ``--set`` overrides, and refuses a bad one, before JAX is imported.
"""

from __future__ import annotations

import dataclasses

from smiling.algos.entry import MethodEntry
from smiling.config import Config
from smiling.errors import SmilingError

SAMPLES = ("expert", "policy", "mixture")


@dataclasses.dataclass(frozen=True)
class IQLearnConfig(Config):
    """Every number of IQ-Learn's critic objective. ``IQ_PRESETS`` holds the named settings.

    chi2_weight: ``c = 1 / (4 a)`` of the chi^2 regulariser (a = 0.5 gives c = 0.5).
    value_on: samples of the value term ``V(s) - gamma V(s')``: expert, policy (replay) or both.
    reg_on: samples of the chi^2 term: expert (``phi`` as written) or the expert/policy mixture.
    use_target: ``V(s')`` from the Polyak-averaged target critic (no gradient) instead of ``Q``.
    actor_states: states the actor is trained on: policy (replay, as SAC) or both.
    """

    chi2_weight: float = 0.5
    value_on: str = "mixture"
    reg_on: str = "mixture"
    use_target: bool = False
    actor_states: str = "policy"

    def __post_init__(self) -> None:
        for name, allowed in (
            ("value_on", SAMPLES),
            ("reg_on", ("expert", "mixture")),
            ("actor_states", ("policy", "mixture")),
        ):
            if getattr(self, name) not in allowed:
                raise SmilingError(
                    f"unknown {name} '{getattr(self, name)}'; choose one of {list(allowed)}"
                )
        if self.chi2_weight < 0:
            raise SmilingError(f"chi2_weight must be >= 0, got {self.chi2_weight}")


IQ_PRESETS: dict[str, IQLearnConfig] = {
    "paper": IQLearnConfig(),  # with the agent's paper preset: the SMILING paper's SAC
    "fast": IQLearnConfig(),
    "debug": IQLearnConfig(),  # with the agent's debug preset (tests, trying a setup)
}


IQ_ENTRY = MethodEntry(
    name="iq-learn",
    cls="smiling.algos.iq_learn:IQLearn",
    presets=IQ_PRESETS,
    summary="inverse soft-Q learning: needs expert actions",
    always_actions=True,
    agents=("sac", "simba"),
    agents_reason="its critic loss is a soft-Q loss on a SAC-family critic",
    actions_need="it needs demonstrations with actions: its expert term is Q(s, a_E)",
)
