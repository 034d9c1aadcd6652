"""Learning methods, each a :class:`smiling.algos.base.Learner` with its own reward; the registry
of them is :data:`smiling.algos.registry.METHODS`."""

from smiling.algos.base import Learner, LoopConfig
from smiling.algos.bc import BC, BC_PRESETS, BCConfig
from smiling.algos.dac import DAC, DAC_PRESETS, DACConfig
from smiling.algos.iq_learn import IQ_PRESETS, IQLearn, IQLearnConfig
from smiling.algos.registry import METHODS, get_method
from smiling.algos.rl import RLConfig, TrueReward
from smiling.algos.smiling import SMILING, SMILING_PRESETS, SmilingConfig

__all__ = ["METHODS", "get_method", "SMILING", "SMILING_PRESETS", "Learner", "LoopConfig"]
__all__ += ["SmilingConfig", "TrueReward", "RLConfig", "DAC", "DAC_PRESETS", "DACConfig", "BC"]
__all__ += ["BC_PRESETS", "BCConfig", "IQLearn", "IQ_PRESETS", "IQLearnConfig"]
