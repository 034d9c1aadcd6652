"""``smiling sweep``: every (algo, env, seed) of a grid as its own ``smiling train`` process.

An algo is an algo spec (smiling.variants): a method with optional variants, ``dac+linear``.
Each run gets a deterministic directory ``<out>/<algo spec>-<env slug>-s<seed>``, so a sweep can be
started again with the same command: finished runs (``summary.json`` at the step budget) are
skipped, unfinished or failed ones continue from their checkpoints with ``smiling resume``
(or start again when they never reached one), and new ones are trained. A run's output goes to
``<run dir>/sweep.log``.

Backends:

- ``local`` (default): a pool of ``workers`` processes on this machine (default: one per core
  this process may use). Each run is pinned to one XLA thread, so N runs use N cores instead of
  fighting over them.
- ``ray``: one Ray task (1 CPU) per run on a Ray cluster (``--address``; none starts a local
  one). Every node needs ``smiling`` installed and ``--out`` on a filesystem all nodes share.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from smiling.bundled import slug
from smiling.errors import SmilingError
from smiling.runs import RunDir
from smiling.runspec import run_status
from smiling.variants import canonical_spec, spec_args

SINGLE_THREAD_XLA = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


@dataclasses.dataclass(frozen=True)
class Job:
    """One run of the sweep: where it lives and the ``smiling`` arguments that (re)start it."""

    algo: str  # algo spec, canonical: smiling+actions
    env_id: str
    seed: int
    run_dir: Path
    args: tuple[str, ...]  # () when the run is already finished

    @property
    def action(self) -> str:
        return "skip" if not self.args else self.args[0]  # skip, train or resume

    @property
    def log(self) -> Path:
        return self.run_dir / "sweep.log"


@dataclasses.dataclass(frozen=True)
class Outcome:
    job: Job
    returncode: int  # 0 for a skipped run


def parse_seeds(text: str) -> list[int]:
    """``"0-4"`` -> [0, 1, 2, 3, 4]; ``"0,3,7"`` and mixes like ``"0-2,5"`` work too."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            lo, sep, hi = part.strip().partition("-")
            seeds += list(range(int(lo), int(hi) + 1)) if sep else [int(lo)]
    except ValueError:
        raise SmilingError(f"--seeds {text}: expected e.g. 0-4 or 0,1,5") from None
    if not seeds:
        raise SmilingError(f"--seeds {text}: no seeds")
    return sorted(set(seeds))


def run_dir_name(algo: str, env_id: str, seed: int) -> str:
    """``<algo>-<env slug>-s<seed>``: the same name for the same run in every sweep."""
    return f"{algo}-{slug(env_id)}-s{seed}"


def plan(
    algos: Sequence[str],
    envs: Sequence[str],
    seeds: Sequence[int],
    out: Path,
    steps: int | None = None,
    train_args: Sequence[str] = (),
) -> list[Job]:
    """The jobs of the grid, each with what it needs now: nothing, ``resume`` or ``train``.

    ``algos`` are algo specs (``dac+linear``); ``train_args`` are the ``smiling train`` options
    shared by all runs (preset, --set, ...).
    """
    jobs = []
    for algo in [canonical_spec(a) for a in algos]:
        for env_id in envs:
            for seed in seeds:
                run = RunDir(out / run_dir_name(algo, env_id, seed))
                budget = ["--steps", str(steps)] if steps is not None else []
                status = run_status(run.path, steps)
                if status == "skip":
                    args: tuple[str, ...] = ()
                elif status == "resume":
                    args = ("resume", str(run.path), *budget)
                else:
                    args = ("train", *spec_args(algo), "--env", env_id, "--seed", str(seed))
                    args += ("--out", str(run.path), *budget, *train_args)
                jobs.append(Job(algo, env_id, seed, run.path, args))
    return jobs


def execute(args: Sequence[str], log: str, extra_env: dict[str, str]) -> int:
    """Run ``smiling <args>`` with this interpreter, appending its output to ``log``."""
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **extra_env}
    with open(log, "a") as f:
        f.write(f"$ smiling {' '.join(args)}\n")
        f.flush()
        cmd = [sys.executable, "-m", "smiling.cli", *args]
        return subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env).returncode


def worker_env() -> dict[str, str]:
    """Environment of one run: a single XLA thread, added to any XLA flags already set.

    Flags already there are not repeated: XLA flags are part of JAX's compilation-cache key.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if SINGLE_THREAD_XLA not in flags:
        flags = f"{flags} {SINGLE_THREAD_XLA}".strip()
    return {"XLA_FLAGS": flags}


def default_workers() -> int:
    """One worker per core this process may run on (respects CPU affinity, e.g. taskset)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


Report = Callable[[Outcome], None]


def run_local(jobs: Sequence[Job], workers: int, report: Report) -> list[Outcome]:
    """Run the jobs in a pool of ``workers`` subprocesses on this machine."""
    outcomes = []
    env = worker_env()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(execute, j.args, str(j.log), env): j for j in jobs}
        for future in as_completed(futures):
            outcome = Outcome(futures[future], future.result())
            report(outcome)
            outcomes.append(outcome)
    return outcomes


def run_ray(
    jobs: Sequence[Job], address: str | None, workers: int | None, report: Report
) -> list[Outcome]:
    """Run the jobs as Ray tasks of one CPU each, at most ``workers`` at a time if given."""
    try:
        import ray
    except ImportError:
        raise SmilingError("--backend ray needs Ray: pip install 'smiling[ray]'") from None
    try:
        ray.init(address=address, log_to_driver=False, logging_level="ERROR")
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise SmilingError(f"cannot connect to the Ray cluster at '{address}' ({err})") from None
    try:
        task = ray.remote(num_cpus=1)(execute)
        env = worker_env()
        waiting, running, outcomes = list(jobs), {}, []
        while waiting or running:
            while waiting and (workers is None or len(running) < workers):
                job = waiting.pop(0)
                running[task.remote(job.args, str(job.log), env)] = job
            done, _ = ray.wait(list(running), num_returns=1)
            for ref in done:
                outcome = Outcome(running.pop(ref), int(ray.get(ref)))
                report(outcome)
                outcomes.append(outcome)
        return outcomes
    finally:
        ray.shutdown()


def sweep(
    jobs: Sequence[Job],
    backend: str = "local",
    workers: int | None = None,
    address: str | None = None,
    report: Report = lambda outcome: None,
) -> list[Outcome]:
    """Run the jobs that need running on ``backend``; returns every job's outcome."""
    todo = [j for j in jobs if j.args]
    outcomes = [Outcome(j, 0) for j in jobs if not j.args]
    for outcome in outcomes:
        report(outcome)
    if backend == "local":
        outcomes += run_local(todo, workers or default_workers(), report) if todo else []
    elif backend == "ray":
        outcomes += run_ray(todo, address, workers, report) if todo else []
    else:
        raise SmilingError(f"unknown backend '{backend}'; choose local or ray")
    return outcomes
