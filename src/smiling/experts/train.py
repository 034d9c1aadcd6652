"""Train an expert with SAC on the environment's true reward, with checkpoints and resume.

An expert directory is a run directory (see :mod:`smiling.runs`) of ``algo = rl`` (SAC) whose
``actor.msgpack`` is the actor of the best periodic evaluation: the expert.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from smiling.algos.base import LoopConfig, upgrade_config
from smiling.algos.rl import TrueReward
from smiling.config import apply_overrides
from smiling.errors import ExpertError
from smiling.rl.sac import SAC_ENTRY
from smiling.runs import RunDir


@dataclasses.dataclass
class ExpertRun:
    env_id: str
    steps: int
    preset: str = "fast"
    seed: int = 0
    eval_every: int = 10_000
    eval_episodes: int = 5
    checkpoint_every: int = 50_000
    sac_overrides: tuple[str, ...] = ()  # "key=value" pairs applied to the SAC preset


def train_expert(run: ExpertRun, out: Path, resume: bool = False, progress: bool = True) -> dict:
    """Train (or, with ``resume``, continue) an expert into ``out``; returns the summary.

    Resuming goes through :meth:`Learner.restore` like ``smiling resume``; the requested
    environment and preset must be the checkpoint's.
    """
    run_dir = RunDir(out)
    if resume:
        if not run_dir.exists():
            raise ExpertError(f"{out}: no checkpoint to resume from")
        saved = upgrade_config(run_dir.read_config(), run_dir.config_path)
        if (saved["env_id"], saved["preset"]) != (run.env_id, run.preset):
            raise ExpertError(
                f"{out}: checkpoint is for {saved['env_id']} / {saved['preset']}, "
                f"not {run.env_id} / {run.preset}"
            )
        learner, steps = TrueReward.restore(out, run.steps)
        return learner.learn(steps, run_dir=out, progress=progress)
    if run_dir.exists():
        raise ExpertError(
            f"{out} already holds an expert; use --resume to continue it or choose a new --out"
        )
    loop = LoopConfig(
        eval_every=run.eval_every,
        eval_episodes=run.eval_episodes,
        checkpoint_every=run.checkpoint_every,
        keep_best=True,
    )
    sac_config = apply_overrides(SAC_ENTRY.preset(run.preset), list(run.sac_overrides), "sac.")
    learner = TrueReward(
        run.env_id, None, run.preset, run.seed, loop=loop, agent="sac", agent_config=sac_config
    )
    return learner.learn(run.steps, run_dir=out, progress=progress)
