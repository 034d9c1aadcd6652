"""smiling: imitation learning by score matching (SMILING, arXiv 2410.13855).

Public API: the learners (:class:`SMILING`, the baselines :class:`DAC`, :class:`IQLearn` and
:class:`BC`, :class:`TrueReward`), environments (:func:`make_env`), demonstrations
(:class:`Demonstrations`, :func:`bundled_demos`), and the RL agents (:mod:`smiling.rl.registry`;
SAC in :mod:`smiling.rl.sac`).
"""

from smiling.algos import BC, DAC, SMILING, IQLearn, TrueReward
from smiling.bundled import bundled_demos
from smiling.data.demos import Demonstrations
from smiling.envs import make_env
from smiling.errors import DemonstrationsError, SmilingError, UnknownEnvError

__version__ = "0.1.0"
__all__ = [
    "SMILING",
    "DAC",
    "IQLearn",
    "BC",
    "TrueReward",
    "Demonstrations",
    "DemonstrationsError",
    "SmilingError",
    "UnknownEnvError",
    "bundled_demos",
    "make_env",
]
