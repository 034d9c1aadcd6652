"""The run directory every training command writes.

Layout (metric names follow the CleanRL-style scheme ``charts/...``, ``losses/...``)::

    RUN_DIR/
      config.json     algo, env id, seed, every hyper-parameter, package versions
      metrics.jsonl   one JSON object per evaluation: env_steps + metric name -> value
      eval.csv        the learning curve on the true reward (env_steps, returns, wall, steps/s)
      actor.msgpack   the policy (imitation: the latest one; experts: the best evaluation)
      model/          everything needed to rebuild the learner (``Learner.load``)
      checkpoint/     full training state for ``--resume`` (written atomically)
      summary.json    final numbers: algo, env_id, seed, env_steps, wall_seconds,
                      env_steps_per_second, eval_return, normalized_return, ...
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from smiling.io import atomic_write, write_json

EVAL_HEADER = (
    "env_steps",
    "return_mean",
    "return_std",
    "normalized_return",
    "wall_seconds",
    "env_steps_per_second",
)


class RunDir:
    """Reads and writes the files of one run directory."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    def exists(self) -> bool:
        return self.config_path.exists()

    def write_config(self, config: dict[str, Any]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        write_json(self.config_path, config)

    def read_config(self) -> dict[str, Any]:
        return json.loads(self.config_path.read_text())

    def append_metrics(self, record: dict[str, Any]) -> None:
        with open(self.path / "metrics.jsonl", "a") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")

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
        write_json(self.path / "summary.json", summary)
