"""HumanoidBench's Unitree H1 tasks ``sit_simple``, ``crawl`` and ``pole``, rebuilt in code.

Modules: :mod:`~smiling.tasks.h1.assets` (where the installed model is),
:mod:`~smiling.tasks.h1.model` (Menagerie's H1 edited into HumanoidBench's ``h1_pos``),
:mod:`~smiling.tasks.h1.arenas` (the chair, the tunnel, the poles),
:mod:`~smiling.tasks.h1.rewards` (the rewards), :mod:`~smiling.tasks.h1.env` (the environment).

Ids (registered with Gymnasium when :mod:`smiling.envs` is imported; 1000 steps, truncation
only): ``smiling/H1-sit_simple-v0``, ``smiling/H1-crawl-v0``, ``smiling/H1-pole-v0``. The
``-term-v0`` variants of sit_simple and pole keep HumanoidBench's early end (pelvis below
0.5 m), which the paper turned off. The model ships in the ``h1`` extra (``pip install -e
'.[h1]'``); registering needs nothing, making an environment does.
"""

from __future__ import annotations

import gymnasium as gym

TASKS = ("sit_simple", "crawl", "pole")
ENV_IDS = {task: f"smiling/H1-{task}-v0" for task in TASKS}
TERMINATING_IDS = {task: f"smiling/H1-{task}-term-v0" for task in ("sit_simple", "pole")}
HORIZON = 1000
# HumanoidBench's success thresholds (episode return).
SUCCESS_RETURN = {"sit_simple": 750.0, "crawl": 700.0, "pole": 700.0}


def register() -> None:
    """Register the H1 ids with Gymnasium (idempotent; builds no model)."""
    entry = "smiling.tasks.h1.env:H1Env"
    ids = [(env_id, task, False) for task, env_id in ENV_IDS.items()]
    ids += [(env_id, task, True) for task, env_id in TERMINATING_IDS.items()]
    for env_id, task, terminate in ids:
        if env_id not in gym.registry:
            gym.register(
                env_id,
                entry_point=entry,
                max_episode_steps=HORIZON,
                kwargs={"task": task, "terminate": terminate},
            )
