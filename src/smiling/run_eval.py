"""``smiling eval``: evaluate the policy of a run directory after (or during) training.

The policy is the run's final model (``RUN_DIR/model``) or, for an unfinished run, its newest
readable checkpoint. The result goes to its own ``eval_step<N>_seed<S>_n<M>.json`` (and a video
to ``videos/eval_step<N>_seed<S>.mp4``), so training files are never touched.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from smiling.errors import SmilingError
from smiling.io import write_json
from smiling.runs import RunDir
from smiling.video import write_video


def evaluate_run(
    run_dir: str | Path,
    episodes: int = 10,
    seed: int | None = None,
    video: bool = False,
    max_frames: int = 1000,
) -> dict[str, Any]:
    """Evaluate the run's deterministic policy for ``episodes`` episodes; returns the result.

    ``seed=None`` uses the run's own evaluation seeds, so the final model reproduces the
    training's last evaluation.
    """
    from smiling.algos.base import EVAL_SEED_OFFSET, Learner

    if episodes < 1:
        raise SmilingError("--episodes must be at least 1")
    run = RunDir(run_dir)
    run.read_config()  # a clear error for a directory that is not a run
    model = run.path / "model"
    if (model / "config.json").is_file():
        learner, source = Learner.load(model), "model"
    else:
        learner = Learner.from_dir(run.path)
        source = learner.load_checkpoint(run.path, budget=None).name
    learner.loop = dataclasses.replace(learner.loop, video_max_frames=max_frames)
    start = learner.seed + EVAL_SEED_OFFSET if seed is None else seed
    frames: list[np.ndarray] | None = [] if video else None
    returns = learner.evaluate(episodes, frames, seed=start)
    mean = float(np.mean(returns))
    tag = f"step{learner.env_steps}_seed{start}"
    result: dict[str, Any] = {
        "run_dir": str(run.path),
        "algo": learner.algo,
        "env_id": learner.env_id,
        "policy": source,
        "env_steps": learner.env_steps,
        "seed": start,
        "episodes": episodes,
        "returns": returns,
        "return_mean": mean,
        "return_std": float(np.std(returns)),
        "normalized_return": learner.normalize(mean),
        "video": None,
    }
    if frames:
        path = write_video(run.videos_dir / f"eval_{tag}.mp4", frames, learner.render_fps)
        result["video"] = str(path)
    result["file"] = str(run.path / f"eval_{tag}_n{episodes}.json")
    write_json(result["file"], result)
    return result
