"""The checks of a command's arguments and paths that need no learner: made before anything slow.

Building a learner imports JAX and the environment (seconds on a loaded machine, ~10 s with a
cold cache), so a typo in ``--steps`` or an ``--out`` that cannot be used would otherwise be
refused only after that wait. :func:`check` runs every check that needs nothing but the
arguments and the file system, before the command itself; the command repeats none of them
(the library keeps its own checks for library users). That includes a run's method and agent
settings (``--preset``, variants, ``--set``): their configs and registry entries live in
JAX-free modules (``smiling/algos/<method>_config.py``, ``smiling/rl/<agent>_config.py``), so
they are built here exactly as the command builds them. Nothing here imports JAX, an
environment or a method's code: ``tests/test_cli_preflight.py`` asserts it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import tempfile
from collections.abc import Callable
from pathlib import Path

from smiling import settings
from smiling.algos.loop_config import LoopConfig
from smiling.errors import DemonstrationsError, ExpertError, SmilingError
from smiling.runs import RunDir, record_step
from smiling.runspec import RunSpec


def check(args: argparse.Namespace) -> None:
    """Raise the first problem of ``args`` that is visible without building anything."""
    command = args.command
    if command == "demos":
        command = args.demos_command or "demos"
    checker = _CHECKS.get(command)
    if checker is not None:
        checker(args)


def check_seed(seed: int | None, flag: str = "--seed") -> None:
    """Seeds start at 0: NumPy's generators and Gymnasium's resets refuse negative ones."""
    if seed is not None and seed < 0:
        raise SmilingError(f"{flag} must be 0 or more, got {seed}")


def check_at_least_one(value: int | None, flag: str) -> None:
    if value is not None and value < 1:
        raise SmilingError(f"{flag} must be at least 1, got {value}")


def check_new_run_dir(path: str | Path, refuse: Callable[[RunDir], None] | None = None) -> None:
    """``path`` can become a new run directory: not a file, not a run already (``refuse``
    raises the caller's error for one; ``None`` lets an existing run pass), not a folder of
    other files, and creatable."""
    run = RunDir(path)  # a file where the folder (or a parent) would be: one error here
    if run.exists():
        if refuse is not None:
            refuse(run)
        return
    run.check_unmixed()
    check_creatable(run.path)


def _refuse(message: str) -> None:
    raise SmilingError(message)


def check_creatable(path: Path) -> None:
    """The folder ``path`` exists or can be made: probed with a temporary folder in its
    nearest existing parent, removed at once (permissions alone do not tell: root may write
    anywhere but in ``/proc``, and ``/sys`` is often mounted read-only)."""
    parent = next((p for p in (path, *path.parents) if p.exists()), Path("."))
    try:
        probe = tempfile.mkdtemp(prefix=".smiling-probe-", dir=parent)
    except OSError as err:
        raise SmilingError(
            f"cannot create '{path}': '{parent}' is not writable ({err.strerror or err})"
        ) from None
    with contextlib.suppress(OSError):
        os.rmdir(probe)


def _loop_settings(args: argparse.Namespace) -> None:
    """The loop's settings as the command builds them, so their errors come first too."""
    settings.from_args(LoopConfig, args)


def check_run_settings(spec: RunSpec) -> None:
    """The method's and agent's configs of ``spec`` (preset, variants, ``--set``), built as the
    command builds them (:meth:`RunSpec.configs`): an unknown or malformed setting is refused
    here, from the JAX-free config modules, not after JAX and the environment are loaded."""
    spec.configs()


def check_names(method_spec: str, agent: str | None) -> None:
    """The method and agent names exist: looked up in the registries' tables, which name them
    without importing them (a method's variants and agents are checked when it is built)."""
    from smiling.algos.registry import ALIASES, METHODS
    from smiling.rl.registry import AGENTS

    body, at, spec_agent = method_spec.strip().partition("@")
    name = body.split("+")[0]
    if ALIASES.get(name, name) not in METHODS:
        known = ", ".join(METHODS)
        raise SmilingError(f"unknown method '{name}' in '{method_spec}'; choose from {known}")
    for named in (spec_agent if at else None, agent):
        if named is not None and named not in AGENTS:
            raise SmilingError(f"unknown agent '{named}'; known agents: {', '.join(AGENTS)}")


def _train(args: argparse.Namespace) -> None:
    check_names(args.method, args.agent)
    check_seed(args.seed)
    check_at_least_one(args.steps, "--steps")
    check_at_least_one(args.demo_episodes, "--demo-episodes")
    check_run_settings(RunSpec.from_args(args))  # builds the loop's settings too
    if args.demos and not Path(args.demos).is_file():
        what = "is a directory, not a .npz file" if Path(args.demos).is_dir() else "does not exist"
        raise DemonstrationsError(f"demonstrations file '{args.demos}' {what}")
    if args.out:
        # train's own sentence (cli._train, Learner.learn): one rule, one message
        how = f"choose another --out, or continue it with: smiling resume {shlex.quote(args.out)}"
        check_new_run_dir(args.out, lambda run: run.refuse_existing(how))
    else:
        check_creatable(Path("runs"))


def _expert(args: argparse.Namespace) -> None:
    from smiling.bundled import slug

    check_names(args.method, args.agent)
    check_seed(args.seed)
    check_at_least_one(args.steps, "--steps")
    spec = RunSpec.from_args(args)  # builds the loop's settings too
    if spec.method_overrides():  # the true-reward method has no settings of its own
        raise SmilingError(
            f"--set {spec.method_overrides()[0]}: only {spec.agent}.<field> settings apply here"
        )
    check_run_settings(spec)
    out = Path(args.out or f"experts/{slug(args.env)}")
    if args.resume:
        if not RunDir(out).exists():
            raise ExpertError(f"{out}: no checkpoint to resume from")
        return
    taken = f"{out} already holds an expert; use --resume to continue it or choose a new --out"
    check_new_run_dir(out, lambda _run: _refuse(taken))


def _resume(args: argparse.Namespace) -> None:
    check_at_least_one(args.steps, "--steps")
    run = RunDir(args.run_dir)
    config = run.read_config()  # one error for a folder that is not a run
    total = args.steps if args.steps is not None else config.get("steps")
    if not isinstance(total, int) or total < 1:
        return  # no budget recorded: Learner.restore says so
    run.check_budget(total)
    summary = run.read_summary()
    if summary is not None and record_step(summary) >= total:
        at = record_step(summary)
        raise SmilingError(
            f"'{run.path}' has finished: it is at step {at} of {total}; "
            f"pass --steps above {at} to continue it"
        )


def _eval(args: argparse.Namespace) -> None:
    from smiling.run_eval import check_evaluable

    check_evaluable(args.run_dir, args.episodes, args.seed, args.video_frames)


def _sweep(args: argparse.Namespace) -> None:
    check_at_least_one(args.steps, "--steps")
    check_at_least_one(args.workers, "--workers")
    _loop_settings(args)
    if args.out.exists() and not args.out.is_dir():
        raise SmilingError(f"--out '{args.out}' is a file; a sweep writes a folder of runs")
    check_creatable(args.out)


def _demos(args: argparse.Namespace) -> None:
    check_seed(args.seed)
    check_at_least_one(args.episodes, "--episodes")
    if args.out is not None and Path(args.out).exists() and not args.overwrite:
        raise SmilingError(f"'{args.out}' already exists; pass --overwrite to replace it")


def _import_minari(args: argparse.Namespace) -> None:
    check_seed(args.minari_seed)
    out = Path(args.minari_out)
    if out.exists() and not args.minari_overwrite:
        raise SmilingError(f"'{out}' already exists; pass --overwrite to replace it")


_CHECKS = {
    "train": _train,
    "expert": _expert,
    "resume": _resume,
    "eval": _eval,
    "sweep": _sweep,
    "demos": _demos,
    "import-minari": _import_minari,
}
