"""``smiling sweep``: every (method, env, seed) of a grid as its own ``smiling train`` process.

Each arm is a method spec (smiling.variants): a method with optional variants and agent,
``dac+linear``, ``smiling@dreamerv3``. Each run gets a deterministic directory
``<out>/<method spec>-<env slug>-s<seed>``, so a sweep can be
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

import contextlib
import dataclasses
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

from smiling.bundled import slug
from smiling.errors import SmilingError
from smiling.runs import RunDir
from smiling.runspec import RunSpec, run_status
from smiling.variants import canonical_spec, spec_args

SINGLE_THREAD_XLA = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


@dataclasses.dataclass(frozen=True)
class Job:
    """One run of the sweep: where it lives and the ``smiling`` arguments that (re)start it."""

    method_spec: str  # canonical: smiling+actions
    env_id: str
    seed: int
    run_dir: Path
    args: tuple[str, ...]  # () when the run is already finished
    settings: dict[str, str] = dataclasses.field(default_factory=dict, compare=False)

    @property
    def action(self) -> str:
        return "skip" if not self.args else self.args[0]  # skip, train or resume

    @property
    def log(self) -> Path:
        return self.run_dir / "sweep.log"


@dataclasses.dataclass(frozen=True)
class Outcome:
    job: Job
    returncode: int | None  # 0 for a skipped run; None for one a Ctrl-C kept from starting

    @property
    def interrupted(self) -> bool:
        return self.returncode == 130


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped the sweep: no run was started after it, and the runs under way stopped at
    their safe points. ``outcomes`` holds every job's (``None``: never started)."""

    def __init__(self, outcomes: list[Outcome]):
        super().__init__()
        self.outcomes = outcomes


class Stop:
    """Ctrl-C during a sweep, counted in a file every run's :func:`execute` watches.

    The sweep's own process only counts (the runs are process groups of their own, so the
    terminal's Ctrl-C does not reach them directly): then no new run starts, and each run under
    way hears each press once, from its :func:`execute`.
    """

    def __init__(self, path: Path):
        self.path, self.presses = path, 0

    def press(self, *_: object) -> None:
        self.presses += 1
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(str(self.presses))

    @contextlib.contextmanager
    def watching(self):
        """Within the block, Ctrl-C is counted (in the main thread; elsewhere nothing changes)."""
        self.path.unlink(missing_ok=True)  # a file left by a killed sweep is not a press
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.signal(signal.SIGINT, self.press)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)
            self.path.unlink(missing_ok=True)


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


def run_dir_name(method_spec: str, env_id: str, seed: int) -> str:
    """``<method spec>-<env slug>-s<seed>``: the same name for the same run in every sweep."""
    return f"{method_spec}-{slug(env_id)}-s{seed}"


SETTINGS_FILE = "sweep.json"  # in the sweep's folder: the settings each run was started with


def settings_of(args: Sequence[str]) -> dict[str, str]:
    """The settings ``smiling train`` arguments set, by flag: ``{"--preset": "fast",
    "--set reward.num_timesteps": "8", "--keep-best": "on", ...}`` (what a re-run compares)."""
    found: dict[str, str] = {}
    i = 0
    while i < len(args):
        flag = args[i]
        value = args[i + 1] if i + 1 < len(args) else None
        if flag == "--set" and value is not None:
            key, _, text = value.partition("=")
            found[f"--set {key.strip()}"] = text.strip()
            i += 2
        elif value is not None and not value.startswith("--"):
            found[flag] = value
            i += 2
        else:
            found[flag] = "on"
            i += 1
    return found


def differences(recorded: Mapping[str, str], wanted: Mapping[str, str]) -> list[str]:
    """``--flag: A there, B now`` for each setting that differs (``unset``: not given)."""
    return [
        f"{key}: {recorded.get(key, 'unset')} there, {wanted.get(key, 'unset')} now"
        for key in sorted(set(recorded) | set(wanted))
        if recorded.get(key) != wanted.get(key)
    ]


def read_settings(out: Path) -> dict[str, dict[str, str]]:
    """The settings file of the sweep folder ``out``: run directory name -> its settings."""
    try:
        return json.loads((out / SETTINGS_FILE).read_text())
    except (OSError, ValueError):
        return {}


def record_settings(out: Path, jobs: Sequence[Job]) -> None:
    """Add the settings of the runs about to be trained afresh to ``out``'s settings file."""
    from smiling.io import write_json

    fresh = {j.run_dir.name: j.settings for j in jobs if j.action == "train"}
    if fresh:
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / SETTINGS_FILE, {**read_settings(out), **fresh})


def plan(
    method_specs: Sequence[str],
    envs: Sequence[str],
    seeds: Sequence[int],
    out: Path,
    steps: int | None = None,
    train_args: Sequence[str] | Mapping[str, Sequence[str]] = (),
    changed: str | None = None,
) -> list[Job]:
    """The jobs of the grid, each with what it needs now: nothing, ``resume`` or ``train``.

    ``method_specs`` are the arms (``dac+linear``); ``train_args`` are the ``smiling train``
    options of the runs (preset, --set, ...): the same for all, or per canonical method spec (a
    ``--set`` goes only to the arms it applies to).

    A run directory made earlier with other settings (recorded in ``out/sweep.json``) is a
    :class:`SmilingError` naming the differences, unless ``changed`` says what to do: ``"new"``
    trains those runs again in new run directories (named after their settings), ``"keep"``
    keeps the old runs as they are (finished ones skipped, unfinished ones resumed with their
    own settings).
    """
    recorded = read_settings(out)
    jobs, clashes = [], []
    for arm in [canonical_spec(a) for a in method_specs]:
        shared = tuple(train_args.get(arm, ()) if isinstance(train_args, Mapping) else train_args)
        wanted = settings_of(shared)
        for env_id in envs:
            for seed in seeds:
                name = run_dir_name(arm, env_id, seed)
                before = recorded.get(name)
                diff = [] if before is None else differences(before, wanted)
                if diff and changed == "new":
                    digest = hashlib.sha256(json.dumps(wanted, sort_keys=True).encode())
                    name = f"{name}-{digest.hexdigest()[:6]}"
                    before = recorded.get(name)
                    diff = [] if before is None else differences(before, wanted)
                if diff and changed != "keep":
                    clashes.append(f"{name} ({'; '.join(diff)})")
                run = RunDir(out / name)
                budget = ["--steps", str(steps)] if steps is not None else []
                status = run_status(run.path, steps)
                if status == "skip":
                    args: tuple[str, ...] = ()
                elif status == "resume":
                    args = ("resume", str(run.path), *budget)
                else:
                    args = ("train", *spec_args(arm), "--env", env_id, "--seed", str(seed))
                    args += ("--out", str(run.path), *budget, *shared)
                jobs.append(Job(arm, env_id, seed, run.path, args, wanted))
    if clashes:
        raise SmilingError(
            f"{len(clashes)} run(s) in '{out}' were made with other settings: "
            f"{', '.join(clashes)}; pass --changed new to train them again in new run "
            "directories, or --changed keep to keep the old runs as they are"
        )
    return jobs


STOP_FILE = ".sweep-stop"  # in the sweep's folder: how many times Ctrl-C was pressed


def execute(args: Sequence[str], log: str, extra_env: dict[str, str], stop: str = "") -> int:
    """Run ``smiling <args>`` with this interpreter, appending its output to ``log``.

    The run is a process group of its own, so a terminal's Ctrl-C reaches only the sweep; the
    sweep counts the presses in the file ``stop`` (on the sweep's folder, which a Ray cluster's
    nodes share) and each press is passed on to the run here: one lets it stop at its next safe
    point and keep a checkpoint, a second stops it at once.
    """
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **extra_env}
    with open(log, "a") as f:
        f.write(f"$ smiling {' '.join(args)}\n")
        f.flush()
        cmd = [sys.executable, "-m", "smiling.cli", *args]
        proc = subprocess.Popen(
            cmd, stdout=f, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        passed = 0
        while True:
            try:
                return proc.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
            except KeyboardInterrupt:  # a Ray worker's cancellation: the run decides
                pass
            pressed = presses(stop)
            for _ in range(pressed - passed):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGINT)
            passed = max(passed, pressed)


def presses(stop: str) -> int:
    """How many times Ctrl-C was pressed, as the stop file ``stop`` records it (0: none)."""
    try:
        return int(Path(stop).read_text() or 0) if stop else 0
    except (OSError, ValueError):
        return 0


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


def run_local(jobs: Sequence[Job], workers: int, report: Report, stop: Stop) -> list[Outcome]:
    """Run the jobs in a pool of ``workers`` subprocesses on this machine; after a Ctrl-C
    (``stop``) no more start."""
    outcomes: list[Outcome] = []
    env = worker_env()
    waiting = list(jobs)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        running: dict = {}
        while waiting or running:
            while waiting and len(running) < workers and not stop.presses:
                job = waiting.pop(0)
                running[pool.submit(execute, job.args, str(job.log), env, str(stop.path))] = job
            if not running:
                break
            done, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
            for future in done:
                outcome = Outcome(running.pop(future), future.result())
                report(outcome)
                outcomes.append(outcome)
    return outcomes + [Outcome(j, None) for j in waiting]


def run_ray(
    jobs: Sequence[Job], address: str | None, workers: int | None, report: Report, stop: Stop
) -> list[Outcome]:
    """Run the jobs as Ray tasks of one CPU each, at most ``workers`` at a time if given; after
    a Ctrl-C (``stop``) no more are submitted."""
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
            while waiting and (workers is None or len(running) < workers) and not stop.presses:
                job = waiting.pop(0)
                running[task.remote(job.args, str(job.log), env, str(stop.path))] = job
            if not running:
                break
            done, _ = ray.wait(list(running), num_returns=1, timeout=0.2)
            for ref in done:
                outcome = Outcome(running.pop(ref), int(ray.get(ref)))
                report(outcome)
                outcomes.append(outcome)
        return outcomes + [Outcome(j, None) for j in waiting]
    finally:
        ray.shutdown()


def sweep(
    jobs: Sequence[Job],
    backend: str = "local",
    workers: int | None = None,
    address: str | None = None,
    report: Report = lambda outcome: None,
) -> list[Outcome]:
    """Run the jobs that need running on ``backend``; returns every job's outcome.

    Ctrl-C starts no further run, lets the runs under way stop at their safe points (each keeps
    a checkpoint at the end of its current episode; a second Ctrl-C stops them at once) and
    raises :class:`SweepInterrupted` with every outcome.
    """
    if backend not in ("local", "ray"):
        raise SmilingError(f"unknown backend '{backend}'; choose local or ray")
    todo = [j for j in jobs if j.args]
    outcomes = [Outcome(j, 0) for j in jobs if not j.args]
    for outcome in outcomes:
        report(outcome)
    if not todo:
        return outcomes
    stop = Stop(todo[0].run_dir.parent / STOP_FILE)
    with stop.watching():
        if backend == "local":
            outcomes += run_local(todo, workers or default_workers(), report, stop)
        else:
            outcomes += run_ray(todo, address, workers, report, stop)
    if stop.presses:
        raise SweepInterrupted(outcomes)
    return outcomes


def scoped_args(arms: Mapping[str, RunSpec]) -> dict[str, list[str]]:
    """Each arm's ``smiling train`` settings, with only the ``--set`` pairs that apply to it.

    ``arms`` maps each canonical method spec to its run spec with every ``--set`` pair of the
    sweep. A pair applies to an arm whose method or agent has that setting (``sac.batch_size``
    to the arms driving SAC, ``reward.num_timesteps`` to SMILING's); one that applies to no arm,
    or a value an arm cannot take, is a :class:`SmilingError` before any run starts.
    """
    pairs = next(iter(arms.values())).overrides if arms else ()
    used: set[str] = set()
    scoped = {}
    for name, spec in arms.items():
        mine = tuple(p for p in pairs if spec.knows(p))
        used.update(mine)
        spec = dataclasses.replace(spec, overrides=mine)
        try:
            spec.method_config(), spec.agent_config()
        except SmilingError as err:
            raise SmilingError(f"{err} (in arm {name})") from None
        scoped[name] = spec.shared_args()
    for pair in pairs:
        if pair not in used:  # the arm that knows the most settings lists them best
            why = max((spec.why_unknown(pair) for spec in arms.values()), key=len)
            raise SmilingError(
                f"--set {pair} applies to none of the sweep's arms ({', '.join(arms)}): {why}"
            )
    return scoped
