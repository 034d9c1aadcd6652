"""The run recorder: everything a training run writes into its run directory except checkpoints.

It creates the run directory (``config.json``, ``demos.npz``) or lines an existing one up with a
resumed learner's step, and then records: one row of the learning curve (``eval.csv``) and one
metrics record (``metrics.jsonl`` and TensorBoard) per evaluation, videos, the policy
(``actor.msgpack``) and, at the end, ``model/`` and ``summary.json``. The layout is described in
:mod:`smiling.runs`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from smiling.errors import SmilingError
from smiling.io import atomic_write
from smiling.runs import RunDir
from smiling.video import write_video


class RunRecorder:
    """Records one training session into the run directory ``path``."""

    def __init__(self, path: str | Path, replacing: bool = False):
        """``replacing``: the folder held a run that was just cleared for this one, so files of
        the user's beside it are not a reason to refuse it (they were beside a run already)."""
        self.run = RunDir(path)
        self._replacing = replacing

    @property
    def path(self) -> Path:
        return self.run.path

    def open(
        self,
        steps: int,
        at: int,
        curve: list[list[float]],
        config: Callable[[], dict[str, Any]],
        write_demos: Callable[[Path], None] | None,
    ) -> None:
        """Create the run directory, or line an existing one up with a learner at step ``at``.

        A resumed learner is at its checkpoint's step: records past it (written by the killed
        process after its last checkpoint) are dropped so no step is logged twice.
        """
        existed = self.run.exists()
        if not existed:
            if not self._replacing:
                self.run.check_unmixed()
            try:
                self.path.mkdir(parents=True, exist_ok=True)
            except OSError as err:  # /proc/..., a read-only /sys/...: one line, not a traceback
                raise SmilingError(f"cannot create '{self.path}' ({err.strerror or err})") from None
            if write_demos is not None:
                write_demos(self.run.demos_path)
            self.run.write_config({**config(), "steps": steps})  # last: marks a run
        else:
            saved = self.run.read_config()
            if saved.get("steps") != steps:
                self.run.write_config({**saved, "steps": steps})
            self.run.truncate_metrics(at)
            self.run.write_curve(curve)
            if at < steps:
                self.run.summary_path.unlink(missing_ok=True)  # no longer the final numbers
        self.run.open_tensorboard(purge_step=at + 1 if existed else None)

    def evaluation(self, record: dict[str, Any], curve: list[list[float]]) -> None:
        """One evaluation: its metrics record and the learning curve so far."""
        self.run.append_metrics(record)
        self.run.write_curve(curve)

    def policy(self, data: bytes) -> None:
        """The policy the run hands out (``actor.msgpack``)."""
        atomic_write(self.path / "actor.msgpack", lambda f: f.write(data))

    def video(self, name: str, frames: list[np.ndarray], fps: float) -> Path:
        return write_video(self.run.videos_dir / f"{name}.mp4", frames, fps)

    def summary(self, summary: dict[str, Any]) -> None:
        """``summary.json``; JSON never holds NaN or infinity, so those become ``null``."""
        self.run.write_summary({k: _finite(v) for k, v in summary.items()})

    def close(self) -> None:
        self.run.close()


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
