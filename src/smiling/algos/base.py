"""Where the learner used to live, kept so that imports written against it keep working.

``Learner`` was one 700-line class here; it is now the loop (:mod:`smiling.algos.loop`), its
persistence (:mod:`smiling.algos.persistence`, whose :class:`Learner` methods subclass) and the
reading of old runs (:mod:`smiling.algos.legacy`). Import from those modules, or
``from smiling.algos import Learner, LoopConfig``.
"""

from smiling.algos.legacy import upgrade_config
from smiling.algos.loop import EVAL_SEED_OFFSET, AgentPolicy
from smiling.algos.loop_config import LoopConfig
from smiling.algos.persistence import AGENT_STATE, REPLAY_FILE, Learner

__all__ = ["AGENT_STATE", "EVAL_SEED_OFFSET", "REPLAY_FILE", "AgentPolicy", "Learner"]
__all__ += ["LoopConfig", "upgrade_config"]
