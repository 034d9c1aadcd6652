"""smiling: imitation learning by score matching (SMILING, arXiv 2410.13855).

Public API: the learners (:class:`SMILING`, the baselines :class:`DAC`, :class:`IQLearn` and
:class:`BC`; :class:`RL`, the agent on the true reward, also importable by its old name
:class:`TrueReward`), environments (:func:`make_env`), demonstrations
(:class:`Demonstrations`, :func:`bundled_demos`), and the RL agents (:mod:`smiling.rl.registry`;
SAC in :mod:`smiling.rl.sac`).

The names are imported on first use (PEP 562), not with the package: importing JAX takes
seconds, and the ``smiling`` command must be able to handle Ctrl-C (and print ``--help``) before
that, as it cannot while the package is still being imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smiling.plugins import lazy_exports

__version__ = "0.1.0"

_HOMES = {
    "SMILING": "smiling.algos",
    "DAC": "smiling.algos",
    "IQLearn": "smiling.algos",
    "BC": "smiling.algos",
    "RL": "smiling.algos",
    "TrueReward": "smiling.algos",
    "Demonstrations": "smiling.data.demos",
    "DemonstrationsError": "smiling.errors",
    "SmilingError": "smiling.errors",
    "UnknownEnvError": "smiling.errors",
    "bundled_demos": "smiling.bundled",
    "make_env": "smiling.envs",
}
__all__ = [
    "SMILING",
    "DAC",
    "IQLearn",
    "BC",
    "RL",
    "TrueReward",
    "Demonstrations",
    "DemonstrationsError",
    "SmilingError",
    "UnknownEnvError",
    "bundled_demos",
    "make_env",
]

if TYPE_CHECKING:
    from smiling.algos import BC, DAC, RL, SMILING, IQLearn, TrueReward
    from smiling.bundled import bundled_demos
    from smiling.data.demos import Demonstrations
    from smiling.envs import make_env
    from smiling.errors import DemonstrationsError, SmilingError, UnknownEnvError


__getattr__, __dir__ = lazy_exports("smiling", _HOMES, globals(), __all__)
