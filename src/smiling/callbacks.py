"""What a training loop does at cadences: evaluate, film, checkpoint.

Each callback has an explicit cadence ``every`` in the learner's step unit (environment steps;
gradient steps for offline methods such as BC; 0: never) and whether it also runs at the last
step. The loop runs them in order (evaluation, then video, then checkpoint, so a checkpoint holds
the evaluation of its own step) and asks them where the next one falls, so an offline learner can
train in chunks that end exactly there.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smiling.algos.loop import TrainingLoop as Learner


def due(step: int, every: int) -> bool:
    """Whether a cadence of ``every`` steps (0: never) falls on ``step``."""
    return every > 0 and step % every == 0


@dataclasses.dataclass
class Callback:
    """Runs :meth:`run` at multiples of ``every`` (and at the last step with ``at_end``)."""

    every: int
    at_end: bool = True

    def is_due(self, step: int, last: bool) -> bool:
        return due(step, self.every) or (last and self.at_end)

    def next_due(self, step: int) -> int | None:
        """The first step after ``step`` at which this callback runs (``None``: never again)."""
        return (step // self.every + 1) * self.every if self.every > 0 else None

    def run(self, learner: Learner, last: bool) -> None:
        raise NotImplementedError


class Evaluation(Callback):
    """Evaluate the deterministic policy on the true reward and record the curve."""

    def run(self, learner: Learner, last: bool) -> None:
        learner.evaluate_and_record()


class Video(Callback):
    """Film one evaluation episode (the first evaluation seed) into ``videos/step_<N>.mp4``."""

    def run(self, learner: Learner, last: bool) -> None:
        learner.film(f"step_{learner.steps_done}")


class Checkpointing(Callback):
    """Write a checkpoint (``every = 0``: only at the last step)."""

    def run(self, learner: Learner, last: bool) -> None:
        learner.save_checkpoint()
