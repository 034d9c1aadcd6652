"""Small tasks of the package's own, registered with Gymnasium when :mod:`smiling.envs` is
imported (so ``smiling.make_env`` and every command accept their ids).

- ``smiling/TwoRoutes-v0`` (:mod:`smiling.tasks.two_routes`): a point mass reaches a goal
  around an obstacle, above or below it; a task with two equally good modes, and its one-route
  variants ``smiling/TwoRoutes-up-v0`` / ``smiling/TwoRoutes-down-v0`` to train one expert per
  mode.
- ``smiling/H1-sit_simple-v0``, ``smiling/H1-crawl-v0``, ``smiling/H1-pole-v0``
  (:mod:`smiling.tasks.h1`): HumanoidBench's Unitree H1 tasks (the model is the ``h1`` extra).
"""

from __future__ import annotations


def register_tasks() -> None:
    """Register every task of the package with Gymnasium (idempotent)."""
    from smiling.tasks import h1, two_routes

    two_routes.register()
    h1.register()
