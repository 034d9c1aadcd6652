"""The run directory every training command writes, and the names of the metrics in it.

Layout::

    RUN_DIR/
      config.json       algo, env id, seed, step budget (``steps``), every hyper-parameter,
                        package versions: everything ``smiling resume`` needs to continue
      demos.npz         the demonstrations the run learns from (so the run is self-contained)
      metrics.jsonl     one JSON object per evaluation: ``env_steps`` + metric name -> value
      tb/               TensorBoard event files of the same metrics (``tensorboard --logdir``)
      eval.csv          the learning curve on the true reward (env_steps, returns, wall, steps/s)
      videos/           ``step_<N>.mp4`` of an evaluation episode (with ``--video-every``) and
                        the videos of ``smiling eval --video``
      checkpoint/       the newest full training state (written atomically, with checksums)
      checkpoint.old/   the one before it, used when the newest is unreadable
      actor.msgpack     the policy (imitation: the latest one; experts: the best evaluation)
      model/            everything needed to rebuild the learner (``Learner.load``)
      summary.json      final numbers: algo, env_id, seed, env_steps, wall_seconds,
                        env_steps_per_second, eval_return, normalized_return, ...
      eval_*.json       results of ``smiling eval`` (never a training file)

Metric names follow CleanRL's scheme, a group and a name; the x-axis (TensorBoard step) is always
the number of environment steps:

- ``charts/eval_return``, ``charts/eval_return_std``: true-reward return of the deterministic
  policy over ``eval_episodes`` episodes (mean and standard deviation);
- ``charts/normalized_return``: ``(R - R_random) / (R_expert - R_random)`` of that mean (absent
  without demonstrations);
- ``charts/SPS``: environment steps per second since the run started; ``charts/wall_seconds``;
- ``charts/temperature``, ``charts/q_mean``, ``charts/entropy``, ``charts/reward_mean``: SAC
  diagnostics of the latest update batch (``reward_mean`` is the method's reward, e.g. SMILING's);
- ``losses/<name>``: losses of the latest update: ``losses/critic``, ``losses/actor``,
  ``losses/temperature``; SMILING adds ``losses/expert_score_train``, ``losses/expert_score_val``
  and ``losses/learner_score``.

SAC diagnostics and losses are sampled every 1000 environment steps and logged with the next
evaluation.

After a resume, ``metrics.jsonl`` and ``eval.csv`` hold no record past the checkpoint's step, and
the TensorBoard writer purges the lost segment (``purge_step``), so no step appears twice.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from smiling.errors import SmilingError
from smiling.io import atomic_write, write_json

EVAL_HEADER = (
    "env_steps",
    "return_mean",
    "return_std",
    "normalized_return",
    "wall_seconds",
    "env_steps_per_second",
)
CHECKPOINT, PREVIOUS_CHECKPOINT = "checkpoint", "checkpoint.old"


STEP_KEYS = ("env_steps", "gradient_steps")


def record_step(record: dict[str, Any]) -> int:
    """A metrics record's x value: its ``gradient_steps`` for offline methods (BC), which take
    no environment steps, and its ``env_steps`` otherwise."""
    return int(record.get("gradient_steps", record.get("env_steps", 0)))


class RunDir:
    """Reads and writes the files of one run directory."""

    def __init__(self, path: str | Path):
        """Raises a :class:`SmilingError` when a file stands where the folder would be.

        Checked here, before any work: otherwise creating the folder fails deep inside training
        with ``FileExistsError`` (``--out`` naming a file) or ``NotADirectoryError``.
        """
        self.path = Path(path)
        self._tb: Any = None
        for folder in (self.path, *self.path.parents):  # the nearest existing one decides
            if not folder.exists():
                continue
            if folder.is_dir():
                break
            if folder == self.path:
                problem = f"'{folder}' is a file, not a run directory (which is a folder)"
            else:
                problem = f"'{self.path}' cannot be a run directory: '{folder}' is a file"
            raise SmilingError(f"{problem}; choose another path")

    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def summary_path(self) -> Path:
        return self.path / "summary.json"

    @property
    def tb_dir(self) -> Path:
        return self.path / "tb"

    @property
    def videos_dir(self) -> Path:
        return self.path / "videos"

    @property
    def demos_path(self) -> Path:
        return self.path / "demos.npz"

    def checkpoints(self) -> list[Path]:
        """The checkpoint folders on disk, newest first."""
        return [
            self.path / name
            for name in (CHECKPOINT, PREVIOUS_CHECKPOINT)
            if (self.path / name).is_dir()
        ]

    def checkpoint_step(self) -> int | None:
        """The step of the newest checkpoint whose ``progress.json`` reads, or ``None``.

        Without loading the checkpoint: cheap enough to check a step budget or to tell an
        interrupted user where a resume starts. The environment step, or the learning curve's
        last step when larger (BC counts gradient steps, and checkpoints right after evaluating).
        """
        for folder in self.checkpoints():
            try:
                progress = json.loads((folder / "progress.json").read_text())
                curve = progress.get("curve") or [[0]]
                return max(int(progress["step"]), int(curve[-1][0]))
            except (OSError, ValueError, KeyError, TypeError, IndexError):
                continue
        return None

    def check_budget(self, steps: int) -> None:
        """Refuse a step budget below the step the run's newest checkpoint is at.

        Checked before the checkpoint is loaded: its replay buffer would not fit a buffer sized
        for the smaller budget, and that failure would read as an unreadable checkpoint.
        """
        at = self.checkpoint_step()
        if at is not None and steps < at:
            raise SmilingError(
                f"'{self.path}' is at step {at}; a budget of {steps} steps is below it "
                f"(pass --steps above {at} to continue it)"
            )

    def exists(self) -> bool:
        return self.config_path.exists()

    def check_unmixed(self) -> None:
        """Refuse a folder that holds files of its own: a run written there would mix its
        files with them (and a later ``rm -r`` of the run would take them too). An empty
        folder, or one holding only a run's own files (a run stopped before its config.json,
        a sweep's ``sweep.log``), is fine."""
        if not self.path.is_dir():
            return
        foreign = sorted(p.name for p in self.path.iterdir() if not _run_entry(p.name))
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise SmilingError(
                f"'{self.path}' is a folder of other files ({shown}), not a run directory; "
                "choose a new or empty folder"
            )

    def write_config(self, config: dict[str, Any]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        write_json(self.config_path, config)

    def read_config(self) -> dict[str, Any]:
        """The run's config; a missing or unreadable file is a :class:`SmilingError`."""
        if not self.config_path.is_file():
            raise SmilingError(f"'{self.path}' is not a run directory (no config.json)")
        try:
            return json.loads(self.config_path.read_text())
        except (ValueError, OSError) as err:
            raise SmilingError(f"{self.config_path}: unreadable ({err})") from None

    def read_summary(self) -> dict[str, Any] | None:
        """The final summary, or ``None`` for an unfinished run."""
        try:
            return json.loads(self.summary_path.read_text())
        except (FileNotFoundError, ValueError):
            return None

    # ---------------------------------------------------------------- metrics
    def open_tensorboard(self, purge_step: int | None = None) -> None:
        """Start writing TensorBoard events to ``tb/``.

        ``purge_step`` (on resume: the checkpoint's step + 1) tells TensorBoard to drop events of
        an earlier session at or after that step, i.e. the segment lost with the killed process.
        """
        from tensorboardX import SummaryWriter

        self.close()
        self._tb = SummaryWriter(str(self.tb_dir), purge_step=purge_step, flush_secs=30)

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
            self._tb = None

    def append_metrics(self, record: dict[str, Any]) -> None:
        """Append one record (``env_steps`` + metric name -> value) to metrics.jsonl and TB."""
        with open(self.metrics_path, "a") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")
        if self._tb is not None:
            step = record_step(record)
            for name, value in record.items():
                if name not in STEP_KEYS and isinstance(value, int | float):
                    if math.isfinite(value):
                        self._tb.add_scalar(name, float(value), step)
            self._tb.flush()  # evaluations are rare: keep the file current for a kill

    def read_metrics(self) -> list[dict[str, Any]]:
        """The records of metrics.jsonl; a line torn by a killed process is skipped."""
        if not self.metrics_path.exists():
            return []
        records = []
        for line in self.metrics_path.read_text().splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
        return records

    def truncate_metrics(self, step: int) -> None:
        """Keep only records up to ``step`` (resuming from a checkpoint taken at ``step``)."""
        if not self.metrics_path.exists():
            return
        kept = [r for r in self.read_metrics() if record_step(r) <= step]
        text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in kept)
        atomic_write(self.metrics_path, lambda f: f.write(text), mode="w")

    def write_curve(self, rows: list[list[float]]) -> None:
        def write(f):
            writer = csv.writer(f)
            writer.writerow(EVAL_HEADER)
            writer.writerows(rows)

        atomic_write(self.path / "eval.csv", write, mode="w")

    def read_curve(self) -> list[list[float]]:
        path = self.path / "eval.csv"
        if not path.exists():
            return []
        with open(path) as f:
            rows = list(csv.reader(f))[1:]
        return [[int(r[0]), *(float(v) if v != "" else float("nan") for v in r[1:])] for r in rows]

    def write_summary(self, summary: dict[str, Any]) -> None:
        write_json(self.summary_path, summary)


# What a run directory holds (the layout above, the checkpoints' working folders, a sweep's log).
RUN_ENTRIES = frozenset(
    {
        "config.json",
        "demos.npz",
        "metrics.jsonl",
        "tb",
        "eval.csv",
        "videos",
        "actor.msgpack",
        "model",
        "summary.json",
        "sweep.log",
        CHECKPOINT,
        PREVIOUS_CHECKPOINT,
        f"{CHECKPOINT}.tmp",
        f"{CHECKPOINT}.trash",
    }
)


def _run_entry(name: str) -> bool:
    """Whether a file or folder of this name belongs to a run (atomic writes' temporary
    files, ``.<name>.<random>.tmp``, included)."""
    if name in RUN_ENTRIES:
        return True
    if name.startswith("eval_") and name.endswith(".json"):
        return True
    return name.startswith(".") and name.endswith(".tmp")


def read_tensorboard_scalars(directory: str | Path) -> dict[str, list[tuple[int, float]]]:
    """Scalars of the event files in ``directory`` as name -> [(step, value)], in step order.

    Reads the TFRecord framing itself (no TensorFlow) and applies TensorBoard's purge rule: a
    session that starts at step s discards earlier events at steps >= s.
    """
    from tensorboardX.proto import event_pb2

    scalars: dict[str, dict[int, float]] = {}
    for path in sorted(Path(directory).glob("events.out.tfevents.*")):
        for data in _tfrecords(path.read_bytes()):
            event = event_pb2.Event.FromString(data)
            if event.HasField("session_log") and event.session_log.status == 1:  # START
                for values in scalars.values():
                    for s in [s for s in values if s >= event.step]:
                        del values[s]
            if event.HasField("summary"):
                for v in event.summary.value:
                    scalars.setdefault(v.tag, {})[int(event.step)] = float(v.simple_value)
    return {tag: sorted(values.items()) for tag, values in scalars.items()}


def _tfrecords(data: bytes):
    """Payloads of a TFRecord stream: [len u64][crc u32][payload][crc u32]; a torn tail ends it."""
    pos = 0
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos : pos + 8], "little")
        end = pos + 12 + length + 4
        if end > len(data):
            return
        yield data[pos + 12 : pos + 12 + length]
        pos = end
