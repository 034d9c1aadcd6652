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


def check_evaluable(
    run_dir: str | Path, episodes: int | None, seed: int | None, video_frames: int
) -> RunDir:
    """The run directory, once it is known to hold a policy and the settings can evaluate it:
    checked before the learner is built (which imports JAX and the environment)."""
    if episodes is not None and episodes < 1:
        raise SmilingError(f"--episodes must be at least 1, got {episodes}")
    if seed is not None and seed < 0:
        raise SmilingError(f"--seed must be 0 or more, got {seed}")
    if video_frames < 1:
        raise SmilingError(f"--video-frames must be at least 1, got {video_frames}")
    run = RunDir(run_dir)
    run.read_config()  # a clear error for a folder that is not a run
    if not (run.path / "model" / "config.json").is_file() and not run.checkpoints():
        raise SmilingError(
            f"'{run.path}' has no policy to evaluate yet: no final model and no checkpoint "
            "(the run stopped before its first checkpoint; `smiling resume` continues it)"
        )
    return run


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
    run = check_evaluable(run_dir, episodes, seed, video_frames)
    from smiling.algos.loop import EVAL_SEED_OFFSET
    from smiling.algos.persistence import Learner

    learner, source = Learner.trained(run.path)
    learner.loop = dataclasses.replace(learner.loop, video_max_frames=video_frames)
    episodes = learner.loop.eval_episodes if episodes is None else episodes
    start = learner.seed + EVAL_SEED_OFFSET if seed is None else seed
    frames: list[np.ndarray] | None = [] if video else None
    returns = learner.evaluate(episodes, frames, seed=start)
    mean = float(np.mean(returns))
    # The policy's step in its method's unit (BC: gradient steps; it takes no env steps), so
    # the files of two evaluations of one BC run at different points do not share a name.
    step, unit = learner.steps_done, learner.entry.step_unit
    tag = f"step{step}_seed{start}"
    result: dict[str, Any] = {
        "run_dir": str(run.path),
        "method": learner.method,
        "label": learner.label,
        "env_id": learner.env_id,
        "policy": source,
        "env_steps": learner.env_steps,
        "step": step,
        "step_unit": unit,
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
