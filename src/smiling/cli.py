"""The ``smiling`` command.

User errors (:class:`smiling.errors.SmilingError`) end with one ``smiling: error: ...`` line on
stderr and exit status 2, never a traceback.

The flags are built from the declarations they set, not listed here: the loop's settings from
:class:`~smiling.algos.loop_config.LoopConfig`'s fields (:mod:`smiling.settings`), the variant
switches from :data:`smiling.variants.VARIANT_FLAGS`, the presets from
:data:`smiling.config.PRESETS`, the default agent and the lists of methods and agents from their
registries. None of these imports JAX, so building the parser stays instant.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

from smiling import interrupt, preflight, settings
from smiling.algos.loop_config import LoopConfig
from smiling.config import PRESETS
from smiling.errors import SettingError, SmilingError
from smiling.rl.registry import DEFAULT_AGENT
from smiling.runspec import RunSpec
from smiling.variants import VARIANT_FLAGS

# A training command's run specification from its flags (and train's, preflight's and sweep's).
_spec = RunSpec.from_args


def _expert(args: argparse.Namespace) -> None:
    """``smiling expert``: ``smiling train --method rl --keep-best`` with an expert's defaults
    (the directory experts/<env>, an evaluation every 10,000 steps, a required budget), and
    ``--resume``: ``smiling resume`` of that directory once it is known to be the same expert."""
    from smiling.algos.legacy import upgrade_config
    from smiling.algos.registry import get_method
    from smiling.bundled import slug
    from smiling.errors import ExpertError
    from smiling.runs import RunDir
    from smiling.runspec import build_learner

    spec = _spec(args)  # its settings were checked by preflight
    out = Path(args.out or f"experts/{slug(args.env)}")
    run = RunDir(out)
    if args.resume:
        if not run.exists():
            raise ExpertError(f"{out}: no checkpoint to resume from")
        saved = upgrade_config(run.read_config(), run.config_path)
        if (saved["env_id"], saved["preset"]) != (spec.env_id, spec.preset):
            raise ExpertError(
                f"{out}: checkpoint is for {saved['env_id']} / {saved['preset']}, "
                f"not {spec.env_id} / {spec.preset}"
            )
        learner, steps = get_method(spec.method).cls.restore(out, args.steps)
    else:
        if run.exists():
            raise ExpertError(
                f"{out} already holds an expert; use --resume to continue it or choose a new --out"
            )
        learner, steps = build_learner(spec), args.steps
    summary = learner.learn(steps, run_dir=out, progress=None)
    print(
        f"expert for {summary['env_id']}: best eval return {summary['best_eval_return']:.1f} "
        f"after {summary['env_steps']} steps ({summary['env_steps_per_second']} steps/s) -> {out}"
    )


def _train(args: argparse.Namespace) -> None:
    import time

    from smiling.bundled import slug
    from smiling.runs import RunDir
    from smiling.runspec import build_learner, default_steps

    spec = _spec(args)
    learner = build_learner(spec)  # every problem with the spec fails here, before any write
    steps = default_steps(spec.env_id, args.steps)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = Path(args.out or f"runs/{args.method}-{slug(args.env)}-s{args.seed}-{stamp}")
    RunDir(out).refuse_existing(  # RunDir(out) fails first if a file stands in the way
        f"choose another --out, or continue it with: smiling resume {shlex.quote(str(out))}"
    )
    _report_training(learner.learn(steps, run_dir=out, progress=None), out)


def _report_training(s: dict, out: Path) -> None:
    """The end of ``train`` and ``resume``: the learner's return next to the expert's."""
    done = (
        f"{s['gradient_steps']} gradient steps"
        if "gradient_steps" in s
        else f"{s['env_steps']} env steps ({s['env_steps_per_second']:.1f} steps/s)"
    )
    label = s["label"]  # the arm, as the progress line names it (rl@dreamerv3)
    print(f"\n{label} on {s['env_id']}: {done} in {s['wall_seconds']:.0f} s")
    if s["eval_return"] is None:
        print("  no evaluation was made")
    elif s["normalized_return"] is not None:
        print(f"  learner return {s['eval_return']:9.1f}   normalised {s['normalized_return']:.2f}")
        print(f"  expert  return {s['expert_return']:9.1f}   normalised 1.00")
        print(f"  random  return {s['random_return']:9.1f}   normalised 0.00")
    else:
        print(f"  learner return {s['eval_return']:9.1f}")
        print(f"  normalised return unavailable: {_why_not_normalised(s, out)}")
    print(f"  run directory: {out}")


def _why_not_normalised(s: dict, out: Path) -> str:
    """Why a run reports raw returns only, and the advice only where it applies: the reference
    returns normalise against demonstrations, so a run without any is told nothing to pass."""
    from smiling.runs import RunDir

    if not RunDir(out).demos_path.exists():  # the run learned from no demonstrations
        return "the run has no demonstrations, whose expert and random returns it would use"
    if s["expert_return"] is not None and s["random_return"] is not None:
        return (
            f"the expert return ({s['expert_return']:.1f}) is below the random return "
            f"({s['random_return']:.1f})"
        )
    return (
        "the demonstrations record no expert and random returns "
        "(pass --expert-return and --random-return if you know them)"
    )


def _method_config(args: argparse.Namespace):
    """The method's preset with variant flags and ``--set`` overrides applied."""
    return _spec(args).method_config()


def _resume(args: argparse.Namespace) -> None:
    from smiling.algos import Learner

    if args.steps is not None and args.steps < 1:
        raise SmilingError(f"--steps must be at least 1, got {args.steps}")
    learner, steps = Learner.restore(args.run_dir, args.steps)
    print(
        f"resuming {learner.label} on {learner.env_id} (seed {learner.seed}) in {args.run_dir} "
        f"from step {learner.env_steps} of {steps}",
        flush=True,
    )
    _report_training(learner.learn(steps, run_dir=args.run_dir, progress=None), args.run_dir)


def _eval(args: argparse.Namespace) -> None:
    from smiling.run_eval import evaluate_run

    r = evaluate_run(args.run_dir, args.episodes, args.seed, args.video, args.video_frames)
    norm = r["normalized_return"]
    unit = "" if r["step_unit"] == "env" else f"{r['step_unit']} "
    print(
        f"{r['label']} on {r['env_id']} ({r['policy']}, {unit}step {r['step']}): "
        f"return {r['return_mean']:.1f} +- {r['return_std']:.1f} over {r['episodes']} episodes "
        f"(seeds {r['seed']}..{r['seed'] + r['episodes'] - 1})"
        + ("" if norm is None else f", normalised {norm:.2f}")
    )
    if r["video"]:
        print(f"  video: {r['video']}")
    print(f"  result: {r['file']}")


def _sweep(args: argparse.Namespace) -> None:
    from smiling.sweep import parse_seeds, plan, record_settings, scoped_args, sweep
    from smiling.variants import canonical_spec

    arms = [canonical_spec(a) for a in args.method.split(",") if a.strip()]  # fails if unknown
    envs = [e.strip() for e in args.env.split(",") if e.strip()]
    if args.workers is not None and args.workers < 1:
        raise SmilingError("--workers must be at least 1")
    if not arms or not envs:
        raise SmilingError(f"--{'method' if not arms else 'env'} names nothing to run")
    arms = _sweep_arms(args, arms)
    # Each arm's settings as a run spec (the loop's are checked here, once), its --set pairs
    # only those that apply to it: checked from the JAX-free configs, before any environment.
    arm_args = scoped_args({arm: _spec(args, method_spec=arm, env=envs[0]) for arm in arms})
    from smiling.envs import make_env  # imports the simulators: after the settings' checks

    for env_id in envs:
        make_env(env_id).close()  # an unknown env id fails here, before anything runs
    jobs = plan(arms, envs, parse_seeds(args.seeds), args.out, args.steps, arm_args, args.changed)
    record_settings(args.out, jobs)

    def report(outcome) -> None:
        job = outcome.job
        if job.action == "skip":
            print(f"skipped {job.run_dir} (finished)", flush=True)
        elif outcome.returncode == 0:
            print(f"{job.action:>7} {job.run_dir}: done", flush=True)
        elif outcome.interrupted:
            print(f"stopped {job.run_dir} (Ctrl-C)", flush=True)
        else:
            print(f" FAILED {job.run_dir} (exit {outcome.returncode}); log: {job.log}", flush=True)

    try:
        outcomes = sweep(jobs, args.backend, args.workers, args.address, report)
    except KeyboardInterrupt as stop:
        stop.summary = _sweep_stopped(stop, args.out)  # type: ignore[attr-defined]
        raise
    failed = [o.job for o in outcomes if o.returncode != 0]
    print(f"sweep: {len(outcomes) - len(failed)} of {len(outcomes)} runs finished in {args.out}")
    if failed:
        names = ", ".join(j.run_dir.name for j in failed)
        raise SmilingError(
            f"{len(failed)} run(s) failed: {names}; see their sweep.log, then run the same "
            "sweep again to resume them"
        )
    print(f"next: smiling report {args.out}/*/ --out {args.out}-report")


def _sweep_arms(args: argparse.Namespace, method_specs: list[str]) -> list[str]:
    """The sweep's arms with ``--agent`` folded in (an arm's own ``@agent`` must agree with it),
    so each arm's run directories and commands name the agent that drives it."""
    from smiling.variants import canonical_spec, parse_full_spec

    if not args.agent:
        return method_specs
    arms = []
    for spec in method_specs:
        own = parse_full_spec(spec)[2]
        if own and own != args.agent:
            raise SmilingError(f"--method {spec} names agent '{own}' but --agent is {args.agent}")
        arms.append(spec if own or args.agent == DEFAULT_AGENT else f"{spec}@{args.agent}")
    return [canonical_spec(a) for a in arms]


def _sweep_stopped(stop: KeyboardInterrupt, out: Path) -> str:
    """The lines that end a sweep stopped by Ctrl-C: each run's state, and how to go on."""
    from smiling.interrupt import kept

    outcomes = getattr(stop, "outcomes", [])
    lines = []
    for o in outcomes:
        if o.returncode is None:
            lines.append(f"  not started: {o.job.run_dir}")
        elif o.returncode == 0:
            lines.append(f"  finished:    {o.job.run_dir}")
        elif o.interrupted:
            lines.append(f"  stopped:     {o.job.run_dir}{kept(o.job.run_dir, None)}")
        else:
            lines.append(f"  failed:      {o.job.run_dir} (exit {o.returncode}; see its sweep.log)")
    return "\n".join(
        [
            f"smiling: sweep interrupted; no further run was started in {out}:",
            *lines,
            "continue with the same `smiling sweep` command: finished runs are skipped, stopped "
            "ones resume from their checkpoints, and the others start",
        ]
    )


def _report(args: argparse.Namespace) -> None:
    from smiling.errors import warn
    from smiling.report import LATE, REPORT_FILES, write_report
    from smiling.runs import RunDir

    if args.out.exists() and not args.out.is_dir():
        raise SmilingError(f"--out '{args.out}' is a file; a report is a folder")
    taken = [name for name in REPORT_FILES if (args.out / name).exists()]
    if taken and not args.overwrite:
        raise SmilingError(
            f"'{args.out}' already holds a report ({', '.join(taken)}); choose another --out "
            "or pass --overwrite to replace it"
        )
    payload = write_report(args.run_dirs, args.out)  # fails on a bad run before writing
    unfinished = [str(d) for d in args.run_dirs if RunDir(d).read_summary() is None]
    if unfinished:  # reported all the same: watching a sweep's curves mid-way is useful
        warn(
            f"{len(unfinished)} of {len(args.run_dirs)} runs are unfinished (no summary.json) and "
            f"are reported at their latest evaluation: {', '.join(unfinished)}"
        )
    for row in payload["table"]:
        lo, hi = row["final_iqm_ci95"]
        late_lo, late_hi = row["late_iqm_ci95"]
        print(
            f"{row['label']} on {row['env_id']}: final {row['metric']} IQM {row['final_iqm']:.2f} "
            f"[{lo:.2f}, {hi:.2f}], IQM of the last {LATE:.0%} {row['late_iqm']:.2f} "
            f"[{late_lo:.2f}, {late_hi:.2f}] over seeds {row['seeds']}"
        )
    print(f"report: {args.out}/report.md, report.png, report.csv, report.json")


def _demos(args: argparse.Namespace) -> None:
    from smiling.experts.collect import collect_demos
    from smiling.experts.policy import load_expert

    if args.expert is None or args.out is None:
        raise SmilingError(
            "demos: --expert and --out are required to roll out an expert "
            "(or run `smiling demos import-minari` / `smiling demos export-minari`)"
        )
    out = Path(args.out)
    if out.exists() and not args.overwrite:
        raise SmilingError(f"'{out}' already exists; pass --overwrite to replace it")
    if args.episodes < 1:
        raise SmilingError("--episodes must be at least 1")
    expert = load_expert(args.expert)
    demos = collect_demos(expert, args.episodes, seed=args.seed, deterministic=args.deterministic)
    if args.state_only:
        demos = demos.state_only()
    demos.save(out)
    print(
        f"{demos.num_episodes} episodes of {demos.env_id} -> {out}: expert return "
        f"{demos.expert_return:.1f}, random return {demos.random_return:.1f}"
    )


def _expert_options_unused(args: argparse.Namespace) -> None:
    """Options of `smiling demos` itself (rolling out an expert) given before a Minari command
    would be ignored silently: say so instead."""
    given = {
        "--expert": args.expert is not None,
        "--episodes": args.episodes != 10,
        "--out": args.out is not None,
        "--seed": args.seed != 0,
        "--deterministic": args.deterministic,
        "--state-only": args.state_only,
        "--overwrite": args.overwrite,
    }
    misplaced = [name for name, on in given.items() if on]
    if misplaced:
        raise SmilingError(
            f"{', '.join(misplaced)} before '{args.demos_command}' belong to rolling out an "
            f"expert; put options of {args.demos_command} after its name"
        )


def _import_minari(args: argparse.Namespace) -> None:
    from smiling.data.demos import Demonstrations

    _expert_options_unused(args)
    out = Path(args.minari_out)
    if out.exists() and not args.minari_overwrite:
        raise SmilingError(f"'{out}' already exists; pass --overwrite to replace it")
    if args.random_episodes < 0:
        raise SmilingError("--random-episodes must be 0 or more")
    demos = Demonstrations.from_minari(
        args.dataset,
        args.env,
        expert_return=args.expert_return,
        random_return=args.random_return,
        random_episodes=args.random_episodes,
        seed=args.minari_seed,
        state_only=args.minari_state_only,
    )
    demos.save(out)
    actions = "with actions" if demos.has_actions else "state-only"
    rewards = "" if demos.has_rewards else ", no rewards"
    print(
        f"{demos.num_episodes} episodes ({len(demos.observations)} states, {actions}{rewards}) of "
        f"{demos.env_id} from {demos.source} -> {out}: expert return "
        f"{_known(demos.expert_return)}, random return {_known(demos.random_return)}"
    )


def _export_minari(args: argparse.Namespace) -> None:
    from smiling.data.demos import Demonstrations

    _expert_options_unused(args)
    demos = Demonstrations.load(args.file)
    path = demos.to_minari(args.dataset_id, args.minari_out, overwrite=args.minari_overwrite)
    print(
        f"{demos.num_episodes} episodes of {demos.env_id} -> Minari dataset "
        f"'{args.dataset_id}' in {path}"
    )


def _info(args: argparse.Namespace) -> None:
    from smiling.data.demos import Demonstrations
    from smiling.errors import warn

    demos = Demonstrations.load(args.file)
    print(f"file:            {args.file}")
    print(f"env id:          {demos.env_id}")
    print(f"episodes:        {demos.num_episodes} ({len(demos.observations)} states)")
    print(f"observation dim: {demos.obs_dim}")
    print(f"actions:         {demos.act_dim if demos.has_actions else 'none (state-only)'}")
    if demos.has_rewards:
        returns = demos.episode_returns
        print(f"episode returns: mean {returns.mean():.1f}, min {returns.min():.1f}")
    else:
        print("episode returns: unknown (no rewards)")
    print(f"expert / random: {_known(demos.expert_return)} / {_known(demos.random_return)}")
    if demos.returns_reversed:
        warn(demos.returns_warning())
    if demos.terminated is None:
        print("episode endings: not recorded (treated as time limits)")
    else:
        ended = int(demos.terminated.sum())
        print(f"episode endings: {ended} terminated, {demos.num_episodes - ended} by time limit")


def _known(value: float | None) -> str:
    """A return for printing, or 'unknown' where the demonstrations do not know it."""
    return "unknown" if value is None else f"{value:.1f}"


def _epilog_on_help(parser: argparse.ArgumentParser, epilog: Callable[[], str]) -> None:
    """Compute ``parser``'s epilog only when its help is shown: the registries it lists import
    JAX (seconds), which building the parser for every command must not wait for (nor may a
    Ctrl-C during that import escape :mod:`smiling.interrupt`)."""
    plain = parser.format_help

    def format_help() -> str:
        parser.epilog = epilog()
        return plain()

    parser.format_help = format_help  # type: ignore[method-assign]


def _train_epilog() -> str:
    """The methods, agents and default budgets, from their registries."""
    from smiling.algos.registry import METHODS
    from smiling.runspec import DEFAULT_STEPS

    lines = ["methods (--method):"]
    for entry in METHODS.values():
        extra = f" [variants: {', '.join(entry.variants)}]" if entry.variants else ""
        lines.append(f"  {entry.name:<10} {entry.summary}{extra}")
    lines.append(_agents_epilog())
    lines.append("default budgets (--steps):")
    lines += [f"  {env:<22} {steps:,}" for env, steps in DEFAULT_STEPS.items()]
    return "\n".join(lines)


SET_HELP = (
    "override a setting, repeatable: <agent>.<field>=V for the agent, e.g. sac.seed_steps=1000 "
    "(agent.<field>=V: whichever agent), "
    "<field>=V or reward.<field>=V / net.<field>=V for the method (e.g. reward.num_timesteps=20, "
    "dac: reward_style=airl, iq-learn: chi2_weight=0.5, bc: loss=mse)"
)


def _agents_epilog() -> str:
    """The agents ``--agent`` can name, from their registry."""
    from smiling.rl.registry import AGENTS

    return "\n".join(
        ["agents (--agent):", *(f"  {a.name:<10} {a.summary}" for a in AGENTS.values())]
    )


def _add_set(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=SET_HELP)


def _add_preset(p: argparse.ArgumentParser) -> None:
    """``--preset``: the names every method and agent defines (:data:`smiling.config.PRESETS`)."""
    described = "; ".join(f"{name}: {what}" for name, what in PRESETS.items())
    p.add_argument("--preset", default="fast", choices=list(PRESETS), help=described)


def _add_method(p: argparse.ArgumentParser, help: str) -> None:
    """``--method``, and ``--algo``: its name before it was called the method everywhere, hidden
    from the help but accepted (the same option), so recorded commands keep working."""
    p.add_argument("--method", default="smiling", metavar="METHOD_SPEC", help=help)
    p.add_argument("--algo", dest="method", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def _add_agent(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--agent", help=f"the RL agent the method drives (default: {DEFAULT_AGENT}); see below"
    )


def _add_variants(p: argparse.ArgumentParser) -> None:
    """A switch per variant (:data:`smiling.variants.VARIANT_FLAGS`)."""
    for variant in VARIANT_FLAGS.values():
        p.add_argument(variant.flag, dest=variant.dest, action="store_true", help=variant.help)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smiling", description="Imitation learning by score matching (SMILING)."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "expert",
        help="train an expert on the true reward (= train --method rl --keep-best)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _epilog_on_help(p, _agents_epilog)
    p.add_argument("--env", required=True, help="Gymnasium id or dmc:<domain>-<task>")
    _add_agent(p)
    p.add_argument("--steps", type=int, required=True, help="environment steps")
    _add_preset(p)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="expert directory (default experts/<env>)")
    settings.add_flags(p, LoopConfig, defaults={"eval_every": 10_000}, exclude=["keep_best"])
    _add_set(p)
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    p.set_defaults(func=_expert, method="rl", keep_best=True)

    p = sub.add_parser(
        "train",
        help="train a learner (SMILING by default) and write a run dir",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _epilog_on_help(p, _train_epilog)
    _add_method(
        p,
        "the method spec: a method, optionally with variants and an agent: smiling, "
        "dac+linear, rl@dreamerv3, ... (default: smiling); see the list below",
    )
    _add_agent(p)
    p.add_argument("--env", required=True, help="Gymnasium id or dmc:<domain>-<task>")
    p.add_argument("--demos", help="demonstrations .npz (default: the bundled ones for --env)")
    p.add_argument(
        "--demo-episodes",
        type=int,
        metavar="N",
        help="learn from the first N episodes of the demonstrations only (default: all). "
        "SMILING holds out its val_episodes for the score model's validation loss only when "
        "more episodes than that remain; otherwise it trains on all, reports no validation "
        "loss and warns",
    )
    p.add_argument(
        "--expert-return",
        type=float,
        help="the expert's mean return (normalised 1), where the demonstrations lack it",
    )
    p.add_argument(
        "--random-return",
        type=float,
        help="a random policy's mean return (normalised 0), where the demonstrations lack it",
    )
    _add_preset(p)
    p.add_argument(
        "--steps",
        type=int,
        help="in the method's step unit: environment steps, or gradient steps for a method "
        "that takes none (see below); default: the task's budget, see below",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="run directory (default runs/<method spec>-<env>-s<seed>-<time>)")
    _add_variants(p)
    settings.add_flags(p, LoopConfig)
    _add_set(p)
    p.set_defaults(func=_train)

    p = sub.add_parser("resume", help="continue a run from its newest checkpoint")
    p.add_argument("run_dir", type=Path, help="run directory written by `smiling train`")
    p.add_argument("--steps", type=int, help="new total step budget (default: the recorded one)")
    p.set_defaults(func=_resume)

    p = sub.add_parser("eval", help="evaluate a run's policy (final model or newest checkpoint)")
    p.add_argument("run_dir", type=Path)
    p.add_argument("--episodes", type=int, help="episodes (default: the run's own --eval-episodes)")
    p.add_argument("--seed", type=int, help="first episode's seed (default: the run's eval seeds)")
    p.add_argument("--video", action="store_true", help="film the first episode (videos/*.mp4)")
    p.add_argument("--video-frames", type=int, default=1000, help="frames per video")
    # The flag's name before it matched train's --video-frames; kept so recorded commands work.
    hidden = {"default": argparse.SUPPRESS, "help": argparse.SUPPRESS}
    p.add_argument("--max-frames", dest="video_frames", type=int, **hidden)
    p.set_defaults(func=_eval)

    p = sub.add_parser(
        "sweep",
        help="train a grid of methods x envs x seeds (local pool or Ray)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _epilog_on_help(p, _agents_epilog)
    _add_method(
        p,
        "method spec(s), comma-separated, each with optional variants and agent: e.g. "
        "smiling,smiling+actions,dac+linear,iq-learn,bc (default: smiling)",
    )
    p.add_argument("--env", required=True, help="environment id(s), comma-separated")
    p.add_argument("--seeds", default="0-4", help="e.g. 0-4 or 0,1,5 (default 0-4)")
    p.add_argument("--steps", type=int, help="environment steps (default: per-task budget)")
    _add_preset(p)
    _add_agent(p)
    settings.add_flags(p, LoopConfig)
    _add_set(p)
    p.add_argument(
        "--changed",
        choices=["new", "keep"],
        help="when runs already in --out were made with other settings: 'new' trains them "
        "again in new run directories, 'keep' keeps the old runs as they are "
        "(default: stop and name the differences)",
    )
    p.add_argument("--backend", choices=["local", "ray"], default="local")
    p.add_argument("--address", help="Ray cluster address (default: start a local Ray)")
    p.add_argument("--workers", type=int, help="runs at a time (local default: one per core)")
    p.add_argument("--out", type=Path, default=Path("runs/sweep"), help="folder of run dirs")
    p.set_defaults(func=_sweep)

    p = sub.add_parser("report", help="learning curves and a results table from run dirs")
    p.add_argument("run_dirs", nargs="+", type=Path, help="run directories (any methods, envs)")
    p.add_argument("--out", type=Path, default=Path("report"), help="folder for the report")
    p.add_argument("--overwrite", action="store_true", help="replace the report already in --out")
    p.set_defaults(func=_report)

    p = sub.add_parser(
        "demos",
        help="roll out an expert into a demonstrations .npz file, or import/export Minari data",
        description="Roll out an expert (--expert DIR --out FILE), or convert demonstrations "
        "from and to Minari datasets with the import-minari and export-minari commands.",
    )
    # Rolling out an expert is `smiling demos --expert ...` with no command; the Minari
    # conversions are commands of their own. --expert and --out are checked in _demos.
    p.add_argument("--expert", help="expert directory written by `smiling expert`")
    p.add_argument("--episodes", type=int, default=10)
    p.add_argument("--out", help="demonstrations file to write (.npz)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--deterministic", action="store_true", help="act with the policy mean (default: sample)"
    )
    p.add_argument("--state-only", action="store_true", help="do not store the expert's actions")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.set_defaults(func=_demos)
    demos_sub = p.add_subparsers(dest="demos_command", metavar="{import-minari,export-minari}")

    q = demos_sub.add_parser(
        "import-minari",
        help="a local Minari dataset -> demonstrations .npz",
        description="Convert a local Minari dataset (an id under MINARI_DATASETS_PATH, or a "
        "dataset directory) to a demonstrations file. Nothing is downloaded.",
    )
    q.add_argument("dataset", metavar="DATASET_ID_OR_PATH")
    q.add_argument(
        "--out",
        dest="minari_out",
        metavar="FILE",
        required=True,
        help="demonstrations file to write (.npz)",
    )
    q.add_argument(
        "--env",
        metavar="ID",
        help="environment, where the dataset records none (e.g. dmc:cheetah-run; "
        "dm_control/<domain>-<task>-v0 is accepted too)",
    )
    q.add_argument(
        "--expert-return", metavar="R", type=float, help="default: the dataset's mean return"
    )
    q.add_argument(
        "--random-return",
        metavar="R",
        type=float,
        help="default: measured with a uniform-random policy",
    )
    q.add_argument(
        "--random-episodes",
        metavar="N",
        type=int,
        default=10,
        help="episodes that measure the random return (0: leave it unknown)",
    )
    q.add_argument(
        "--seed",
        dest="minari_seed",
        metavar="SEED",
        type=int,
        default=0,
        help="seed of the random episodes",
    )
    q.add_argument(
        "--state-only", dest="minari_state_only", action="store_true", help="drop the actions"
    )
    q.add_argument(
        "--overwrite", dest="minari_overwrite", action="store_true", help="replace --out"
    )
    q.set_defaults(func=_import_minari)

    q = demos_sub.add_parser(
        "export-minari",
        help="demonstrations .npz -> a Minari dataset",
        description="Write a demonstrations file as a Minari dataset that minari.load_dataset "
        "reads (under MINARI_DATASETS_PATH unless --out is given).",
    )
    q.add_argument("file", help="demonstrations file (.npz)")
    q.add_argument(
        "--dataset-id", metavar="ID", required=True, help="e.g. smiling/pendulum-expert-v0"
    )
    q.add_argument(
        "--out",
        dest="minari_out",
        metavar="PATH",
        help="dataset directory (default: <Minari root>/<dataset id>)",
    )
    q.add_argument(
        "--overwrite",
        dest="minari_overwrite",
        action="store_true",
        help="replace an existing dataset",
    )
    q.set_defaults(func=_export_minari)

    p = sub.add_parser("info", help="validate a demonstrations file and print its summary")
    p.add_argument("file")
    p.set_defaults(func=_info)
    return parser


# The flags that set library settings, so errors name what the user typed.
SETTING_FLAGS = {**settings.flag_names(LoopConfig), "steps": "--steps"}


def _in_flags(err: SmilingError) -> str:
    """The error's message, naming the flag where a library setting came from one."""
    if isinstance(err, SettingError) and err.setting in SETTING_FLAGS:
        return f"{SETTING_FLAGS[err.setting]} {err.problem}"
    return str(err)


def _continue_command(args: argparse.Namespace) -> Callable[[Path], str]:
    """How to continue the run an interrupted training command leaves behind."""
    if args.func is _expert:
        preset = "" if args.preset == "fast" else f" --preset {args.preset}"
        return lambda run_dir: (
            f"smiling expert --env {shlex.quote(args.env)} --steps {args.steps}{preset} "
            f"--out {shlex.quote(str(run_dir))} --resume"
        )
    return lambda run_dir: f"smiling resume {shlex.quote(str(run_dir))}"


def _existing_run(args: argparse.Namespace) -> Path | None:
    """The run directory a command continues (``resume``, ``expert --resume``), if it is one."""
    from smiling.runs import RunDir

    path = args.run_dir if args.func is _resume else args.out if args.func is _expert else None
    try:
        return Path(path) if path is not None and RunDir(path).exists() else None
    except SmilingError:  # a file where the run should be: not a run to continue
        return None


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status (2: user error, 130: interrupted).

    In a training command Ctrl-C waits for the training loop's next safe point (it starts with
    one; :mod:`smiling.interrupt`), so an interrupted run stops in one piece and the message says
    how to continue it.
    """
    args = build_parser().parse_args(argv)
    training = args.func in (_train, _resume, _expert)
    try:
        preflight.check(args)  # every argument and path error before JAX or an environment
        with interrupt.deferred() if training else contextlib.nullcontext():
            args.func(args)
    except SmilingError as err:
        print(f"smiling: error: {_in_flags(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as stop:
        from smiling.progress import close_progress_bars

        interrupt.stopping()  # a second press must not break the message

        if getattr(stop, "run_dir", None) is None and _existing_run(args) is not None:
            stop = interrupt.Interrupted(_existing_run(args))  # stopped before its loop began
        close_progress_bars()  # the bar's line ends before the message starts
        print(interrupt.message(stop, _continue_command(args)), file=sys.stderr, flush=True)
        return 130
    return 0


def entry() -> None:
    """The ``smiling`` console command: :func:`main` in a process that Ctrl-C cannot crash.

    Ctrl-C is handled by :mod:`smiling.interrupt` from the start; once the command is done it is
    ignored, so a late press cannot raise inside JAX's exit hooks; an interrupted command ends
    with ``os._exit(130)``, skipping an interpreter teardown that XLA work may still be using.
    """
    interrupt.install()
    try:
        code = main()
    except KeyboardInterrupt:  # pressed before main could handle it (while parsing arguments)
        print("smiling: interrupted", file=sys.stderr)
        code = 130
    interrupt.finish()
    if code == 130:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
