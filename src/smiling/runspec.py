"""A training run as data: :class:`RunSpec`, built into a learner by :func:`build_learner`.

The CLI is a thin layer over this module: ``smiling train`` (and ``smiling expert``) parse their
flags into a spec and call :func:`build_learner`; ``smiling sweep`` parses its flags into the
spec its runs share and hands each run that spec as ``smiling train`` arguments
(:meth:`RunSpec.shared_args`, generated from the same declarations as the flags, so parsing
them gives the spec back); ``smiling sweep`` and the benchmark scripts decide what a run
directory needs with :func:`run_status`, the one rule for "finished".
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smiling import settings, variants
from smiling.algos.loop_config import LoopConfig
from smiling.algos.registry import get_method
from smiling.config import apply_overrides
from smiling.errors import SmilingError
from smiling.rl.registry import DEFAULT_AGENT, get_agent
from smiling.runs import RunDir, record_step

if TYPE_CHECKING:
    from smiling.algos.persistence import Learner

# The default step budget of each task with bundled demonstrations (``smiling train --help``).
DEFAULT_STEPS = {
    "Pendulum-v1": 20_000,
    "dmc:cartpole-swingup": 150_000,
    "dmc:ball_in_cup-catch": 150_000,
    "dmc:cheetah-run": 1_000_000,
}
AGENT_PREFIX = "agent."  # --set agent.<field>=V sets a field of whichever agent the run uses
# The RunSpec fields only `smiling train` has flags for (the other commands leave them None).
_OPTIONAL_SPEC_FLAGS = ("demos", "expert_return", "random_return", "demo_episodes")


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """Everything that defines a training run before it starts. ``method`` is a registered
    method's name (its variants and agent are fields of their own)."""

    method: str
    env_id: str
    agent: str = DEFAULT_AGENT
    preset: str = "fast"
    seed: int = 0
    demos: str | None = None  # a demonstrations file; None: the bundled ones for env_id
    # The ends of the normalised return, where the demonstrations do not record them.
    expert_return: float | None = None
    random_return: float | None = None
    demo_episodes: int | None = None  # learn from the first N episodes only (None: all)
    variants: tuple[str, ...] = ()
    overrides: tuple[str, ...] = ()  # key=value; <agent name>.<field> or agent.<field>: agent's
    loop: LoopConfig = LoopConfig()

    @classmethod
    def from_args(
        cls, args: argparse.Namespace, method_spec: str | None = None, env: str | None = None
    ) -> RunSpec:
        """The run specification of a training command's flags (a method spec may carry
        variants and an agent: ``smiling+linear``, ``smiling@sac``; the flags add to it).
        ``method_spec`` and ``env`` replace the flags' (a sweep's spec is that of its first
        run); flags a command does not have keep their defaults. Here, not in the CLI, because
        :mod:`smiling.preflight` checks the same spec before the command builds it."""
        method_spec = method_spec or args.method
        method, spec_variants, spec_agent = variants.parse_full_spec(method_spec)
        flag_agent = getattr(args, "agent", None)
        if spec_agent and flag_agent and spec_agent != flag_agent:
            raise SmilingError(
                f"--method {method_spec} names agent '{spec_agent}' but --agent is {flag_agent}"
            )
        switched = [
            v for v, flag in variants.VARIANT_FLAGS.items() if getattr(args, flag.dest, False)
        ]
        optional = {k: getattr(args, k, None) for k in _OPTIONAL_SPEC_FLAGS}
        return cls(
            method=method,
            env_id=env or args.env,
            agent=spec_agent or flag_agent or DEFAULT_AGENT,
            preset=args.preset,
            seed=getattr(args, "seed", 0),
            variants=tuple(dict.fromkeys([*spec_variants, *switched])),
            overrides=tuple(args.set),
            loop=settings.from_args(LoopConfig, args),
            **optional,
        )

    def configs(self) -> tuple[Any, Any]:
        """The method's and the agent's configs (once the method is known to drive the agent):
        what :func:`build_learner` builds the learner from, and what :mod:`smiling.preflight`
        builds to refuse a bad ``--preset``, variant or ``--set`` before JAX is imported. The
        configs and entries import no JAX (``smiling/algos/<method>_config.py``)."""
        get_method(self.method).check_agent(self.agent)
        return self.method_config(), self.agent_config()

    def shared_args(self) -> list[str]:
        """The ``smiling train`` arguments of every setting but the method, agent, environment
        and seed: what a sweep's runs share."""
        args = ["--preset", self.preset]
        optional = {
            "--demos": self.demos,
            "--demo-episodes": self.demo_episodes,
            "--expert-return": self.expert_return,
            "--random-return": self.random_return,
        }
        for flag, value in optional.items():
            args += [] if value is None else [flag, str(value)]
        args += settings.to_args(self.loop)
        for pair in self.overrides:
            args += ["--set", pair]
        return args

    def train_args(self) -> list[str]:
        """All ``smiling train`` arguments of this spec (but ``--steps`` and ``--out``)."""
        args = ["--method", self.method, *(variants.FLAGS[v] for v in self.variants)]
        args += [] if self.agent == DEFAULT_AGENT else ["--agent", self.agent]
        args += ["--env", self.env_id, "--seed", str(self.seed)]
        return [*args, *self.shared_args()]

    def agent_overrides(self) -> list[str]:
        prefixes = (f"{self.agent}.", AGENT_PREFIX)
        return [p.split(".", 1)[1] for p in self.overrides if p.startswith(prefixes)]

    def method_overrides(self) -> list[str]:
        prefixes = (f"{self.agent}.", AGENT_PREFIX)
        return [p for p in self.overrides if not p.startswith(prefixes)]

    def method_config(self) -> Any:
        """The method's preset with the variants and overrides applied."""
        from smiling.config import pick_preset

        entry = get_method(self.method)
        variants.check(self.method, self.variants)
        config = pick_preset(entry.presets, self.preset)
        config = variants.apply(entry.name, config, self.variants)
        return apply_overrides(config, self.method_overrides())

    def knows(self, pair: str) -> bool:
        """Whether the ``--set`` pair ``key=value`` names a setting of this run's method or agent
        (its value is not checked): how a sweep scopes a pair to the arms it applies to."""
        key = pair.partition("=")[0].strip()
        from smiling.rl.registry import AGENTS

        head, _, rest = key.partition(".")
        if head in (self.agent, AGENT_PREFIX.rstrip(".")):
            config, path = get_agent(self.agent).preset(self.preset), rest
        elif head in AGENTS:
            return False  # another agent's setting
        else:
            config, path = self._method_base(), key
        for name in path.split("."):
            if not dataclasses.is_dataclass(config):
                return False
            if name not in {f.name for f in dataclasses.fields(config)}:
                return False
            config = getattr(config, name)
        return True

    def why_unknown(self, pair: str) -> str:
        """The error that applying ``pair`` to this run gives (why it does not apply)."""
        try:
            dataclasses.replace(self, overrides=(pair,)).method_config()
            dataclasses.replace(self, overrides=(pair,)).agent_config()
        except SmilingError as err:
            return str(err)
        return "it names no setting of these arms"

    def _method_base(self) -> Any:
        from smiling.config import pick_preset

        entry = get_method(self.method)
        config = pick_preset(entry.presets, self.preset)
        return variants.apply(entry.name, config, self.variants)

    def agent_config(self) -> Any:
        entry = get_agent(self.agent)
        return apply_overrides(entry.preset(self.preset), self.agent_overrides(), f"{self.agent}.")


def build_learner(spec: RunSpec) -> Learner:
    """The learner of ``spec``, untrained; every problem is one :class:`SmilingError`."""
    from smiling.bundled import bundled_demos, has_bundled_demos
    from smiling.data.demos import Demonstrations
    from smiling.envs import make_env

    make_env(spec.env_id).close()  # an unknown env id fails here, before anything is built
    entry = get_method(spec.method)
    config, agent_config = spec.configs()
    if spec.demos:
        demos = Demonstrations.load(spec.demos)
    elif entry.needs_demos or has_bundled_demos(spec.env_id):
        demos = bundled_demos(spec.env_id)  # a clear error when nothing is bundled
    else:
        demos = None  # returns are reported raw
    if spec.demo_episodes is not None:
        if demos is None:
            raise SmilingError("--demo-episodes needs demonstrations")
        demos = demos.first(spec.demo_episodes)
    if spec.expert_return is not None or spec.random_return is not None:
        if demos is None:
            raise SmilingError(
                "--expert-return / --random-return set the ends of the demonstrations' "
                f"normalised return, and this run has no demonstrations ({spec.method} on "
                f"'{spec.env_id}' without --demos); pass --demos, or leave them out"
            )
        demos = demos.with_returns(expert=spec.expert_return, random=spec.random_return)
    if demos is not None and demos.has_actions and not entry.reads_actions(config):
        demos = demos.state_only()  # the main setting: the learner never sees expert actions
    return entry.cls(
        spec.env_id,
        demos,
        preset=spec.preset,
        seed=spec.seed,
        config=config,
        loop=spec.loop,
        agent=spec.agent,
        agent_config=agent_config,
    )


def default_steps(env_id: str, steps: int | None) -> int:
    """``steps``, or the task's default budget; a clear error for a budget below 1."""
    if steps is None:
        if env_id not in DEFAULT_STEPS:
            raise SmilingError(f"--steps is required for '{env_id}' (no default budget)")
        return DEFAULT_STEPS[env_id]
    if steps < 1:
        raise SmilingError(f"--steps must be at least 1, got {steps}")
    return steps


def run_status(run_dir: str | Path, steps: int | None) -> str:
    """What the run directory needs to reach ``steps`` (``None``: its recorded budget):
    ``"skip"`` (finished: a summary at or past the budget), ``"resume"`` (started) or
    ``"train"`` (nothing there yet)."""
    run = RunDir(run_dir)
    summary = run.read_summary()
    # record_step: an offline method's budget counts gradient steps (its env_steps are 0)
    if summary is not None and (steps is None or record_step(summary) >= steps):
        return "skip"
    return "resume" if run.exists() else "train"
