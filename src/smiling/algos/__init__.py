"""Learning methods, each a loop of :class:`smiling.algos.base.Learner` with its own reward."""

from smiling.algos.base import Learner, LoopConfig
from smiling.algos.bc import BC, BC_PRESETS, BCConfig
from smiling.algos.dac import DAC, DAC_PRESETS, DACConfig
from smiling.algos.iq_learn import IQ_PRESETS, IQLearn, IQLearnConfig
from smiling.algos.sac_true_reward import TrueRewardSAC
from smiling.algos.smiling import SMILING, SMILING_PRESETS, SmilingConfig

ALGOS: dict[str, type[Learner]] = {
    "smiling": SMILING,
    "dac": DAC,
    "iq-learn": IQLearn,
    "bc": BC,
    "sac": TrueRewardSAC,
}

__all__ = ["ALGOS", "SMILING", "SMILING_PRESETS", "Learner", "LoopConfig", "SmilingConfig"]
__all__ += ["TrueRewardSAC", "DAC", "DAC_PRESETS", "DACConfig", "BC", "BC_PRESETS", "BCConfig"]
__all__ += ["IQLearn", "IQ_PRESETS", "IQLearnConfig"]
