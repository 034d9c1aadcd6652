"""Learning methods, each a :class:`Learner` with its own reward; the registry of them is
:data:`smiling.algos.registry.METHODS`.

Modules: :mod:`~smiling.algos.loop` (the training loop and the hooks a method overrides),
:mod:`~smiling.algos.persistence` (:class:`Learner`: the loop plus save, load, resume),
:mod:`~smiling.algos.legacy` (reading runs written by older versions), one module per method,
and :mod:`~smiling.algos.registry`.

The names are imported on first use (PEP 562), as in :mod:`smiling`: importing the package (for
:mod:`smiling.algos.loop_config` or the registry) must not import JAX and every method.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smiling.plugins import lazy_exports

_HOMES = {
    "Learner": "smiling.algos.persistence",
    "LoopConfig": "smiling.algos.loop_config",
    "METHODS": "smiling.algos.registry",
    "get_method": "smiling.algos.registry",
    "SMILING": "smiling.algos.smiling",
    "SMILING_PRESETS": "smiling.algos.smiling",
    "SmilingConfig": "smiling.algos.smiling",
    "RL": "smiling.algos.rl",
    "TrueReward": "smiling.algos.rl",
    "RLConfig": "smiling.algos.rl",
    "DAC": "smiling.algos.dac",
    "DAC_PRESETS": "smiling.algos.dac",
    "DACConfig": "smiling.algos.dac",
    "BC": "smiling.algos.bc",
    "BC_PRESETS": "smiling.algos.bc",
    "BCConfig": "smiling.algos.bc",
    "IQLearn": "smiling.algos.iq_learn",
    "IQ_PRESETS": "smiling.algos.iq_learn",
    "IQLearnConfig": "smiling.algos.iq_learn",
}
__all__ = [
    "Learner",
    "LoopConfig",
    "METHODS",
    "get_method",
    "SMILING",
    "SMILING_PRESETS",
    "SmilingConfig",
    "RL",
    "TrueReward",
    "RLConfig",
    "DAC",
    "DAC_PRESETS",
    "DACConfig",
    "BC",
    "BC_PRESETS",
    "BCConfig",
    "IQLearn",
    "IQ_PRESETS",
    "IQLearnConfig",
]

if TYPE_CHECKING:
    from smiling.algos.bc import BC, BC_PRESETS, BCConfig
    from smiling.algos.dac import DAC, DAC_PRESETS, DACConfig
    from smiling.algos.iq_learn import IQ_PRESETS, IQLearn, IQLearnConfig
    from smiling.algos.loop_config import LoopConfig
    from smiling.algos.persistence import Learner
    from smiling.algos.registry import METHODS, get_method
    from smiling.algos.rl import RL, RLConfig, TrueReward
    from smiling.algos.smiling import SMILING, SMILING_PRESETS, SmilingConfig


__getattr__, __dir__ = lazy_exports("smiling.algos", _HOMES, globals(), __all__)
