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
    episodes: int | None = None,
    seed: int | None = None,
    video: bool = False,
    video_frames: int = 1000,
) -> dict[str, Any]:
    """Evaluate the run's deterministic policy for ``episodes`` episodes; returns the result.

    ``episodes=None`` and ``seed=None`` use the run's own evaluation settings (its
    ``loop.eval_episodes`` episodes from its evaluation seeds), so the final model reproduces
    the training's last evaluation, mean and all.
    """
    from smiling.algos.loop import EVAL_SEED_OFFSET
    from smiling.algos.persistence import Learner

    if episodes is not None and episodes < 1:
        raise SmilingError("--episodes must be at least 1")
    if video_frames < 1:
        raise SmilingError("--video-frames must be at least 1")
    run = RunDir(run_dir)
    learner, source = Learner.trained(run.path)
    learner.loop = dataclasses.replace(learner.loop, video_max_frames=video_frames)
    episodes = learner.loop.eval_episodes if episodes is None else episodes
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
