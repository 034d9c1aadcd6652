"""Learning methods, each a :class:`Learner` with its own reward; the registry of them is
:data:`smiling.algos.registry.METHODS`.

Modules: :mod:`~smiling.algos.loop` (the training loop and the hooks a method overrides),
:mod:`~smiling.algos.persistence` (:class:`Learner`: the loop plus save, load, resume),
:mod:`~smiling.algos.legacy` (reading runs written by older versions), per method a module of
its code and a JAX-free ``<method>_config`` module of its config, presets and registry entry,
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
    "SMILING_PRESETS": "smiling.algos.smiling_config",
    "SmilingConfig": "smiling.algos.smiling_config",
    "RL": "smiling.algos.rl",
    "TrueReward": "smiling.algos.rl",
    "RLConfig": "smiling.algos.rl_config",
    "DAC": "smiling.algos.dac",
    "DAC_PRESETS": "smiling.algos.dac_config",
    "DACConfig": "smiling.algos.dac_config",
    "BC": "smiling.algos.bc",
    "BC_PRESETS": "smiling.algos.bc_config",
    "BCConfig": "smiling.algos.bc_config",
    "IQLearn": "smiling.algos.iq_learn",
    "IQ_PRESETS": "smiling.algos.iq_learn_config",
    "IQLearnConfig": "smiling.algos.iq_learn_config",
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
    from smiling.algos.bc import BC
    from smiling.algos.bc_config import BC_PRESETS, BCConfig
    from smiling.algos.dac import DAC
    from smiling.algos.dac_config import DAC_PRESETS, DACConfig
    from smiling.algos.iq_learn import IQLearn
    from smiling.algos.iq_learn_config import IQ_PRESETS, IQLearnConfig
    from smiling.algos.loop_config import LoopConfig
    from smiling.algos.persistence import Learner
    from smiling.algos.registry import METHODS, get_method
    from smiling.algos.rl import RL, TrueReward
    from smiling.algos.rl_config import RLConfig
    from smiling.algos.smiling import SMILING
    from smiling.algos.smiling_config import SMILING_PRESETS, SmilingConfig


__getattr__, __dir__ = lazy_exports("smiling.algos", _HOMES, globals(), __all__)
