"""The training loop's settings: cadences, what is kept, control rate.

Each field is the one definition of its setting (:func:`smiling.settings.setting`): the
``smiling train`` / ``expert`` / ``sweep`` flags, their help, the flag named in errors and the
arguments a sweep hands each run are all generated from it. Kept apart from the loop itself
(:mod:`smiling.algos.loop`) because the command line is built from it before JAX is imported.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from smiling.settings import check_minimums, setting


@dataclasses.dataclass(frozen=True)
class LoopConfig:
    """Evaluation, checkpointing, video and logging cadences (in the learner's step unit).

    The last step of a run is always evaluated and checkpointed (and filmed when
    ``video_every > 0``); ``checkpoint_every = 0`` checkpoints only there.
    """

    eval_every: int = setting(
        5000, flag="--eval-every", minimum=1, metavar="N", help="evaluate every N steps"
    )
    eval_episodes: int = setting(
        5, flag="--eval-episodes", minimum=1, metavar="N", help="episodes per evaluation"
    )
    checkpoint_every: int = setting(
        50_000, flag="--checkpoint-every", minimum=0, metavar="N", help="0: only at the end"
    )
    # Experts keep the best-evaluated policy as actor.msgpack; imitation keeps the latest.
    keep_best: bool = setting(
        False,
        flag="--keep-best",
        help="keep the best-evaluated policy as the run's actor.msgpack, not the latest "
        "(how experts are kept; `smiling expert` sets it)",
    )
    video_every: int = setting(
        0,
        flag="--video-every",
        minimum=0,
        metavar="N",
        help="film an evaluation episode (0: never)",
    )
    video_max_frames: int = setting(
        1000, flag="--video-frames", minimum=1, metavar="N", help="frames per video"
    )  # one DMC episode
    # The agent's update metrics are sampled at multiples of this (no flag: a library setting).
    log_every: int = setting(1000, minimum=1)
    # Simulator steps per agent decision (smiling.envs.ActionRepeat). Every step count of the
    # run (budget, cadences, warm-up, curve) counts decisions: simulator steps = steps x this.
    action_repeat: int = setting(
        1,
        flag="--action-repeat",
        minimum=1,
        metavar="K",
        help="hold each action for K simulator steps (DreamerV3 uses 2 on dmc: tasks); "
        "every step count (--steps, cadences, curves) then counts decisions",
    )

    def __post_init__(self) -> None:
        """Reject cadences that would divide by zero or never produce anything."""
        check_minimums(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoopConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
