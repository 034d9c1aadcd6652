"""Learning methods, each a loop of :class:`smiling.algos.base.Learner` with its own reward."""

from smiling.algos.base import Learner, LoopConfig
from smiling.algos.sac_true_reward import TrueRewardSAC
from smiling.algos.smiling import SMILING, SMILING_PRESETS, SmilingConfig

ALGOS: dict[str, type[Learner]] = {"smiling": SMILING, "sac": TrueRewardSAC}

__all__ = ["ALGOS", "SMILING", "SMILING_PRESETS", "Learner", "LoopConfig", "SmilingConfig"]
__all__ += ["TrueRewardSAC"]
