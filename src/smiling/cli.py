"""The ``smiling`` command.

User errors (:class:`smiling.errors.SmilingError`) end with one ``smiling: error: ...`` line on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from smiling.errors import SmilingError


def _expert(args: argparse.Namespace) -> None:
    from smiling.experts.train import ExpertRun, train_expert

    run = ExpertRun(
        env_id=args.env,
        steps=args.steps,
        preset=args.preset,
        seed=args.seed,
        eval_every=args.eval_every,
        eval_episodes=args.eval_episodes,
        checkpoint_every=args.checkpoint_every,
        seed_steps=args.seed_steps,
    )
    out = Path(args.out or f"experts/{args.env.replace(':', '_')}")
    summary = train_expert(run, out, resume=args.resume, progress=sys.stderr.isatty())
    print(
        f"expert for {summary['env_id']}: best eval return {summary['best_eval_return']:.1f} "
        f"after {summary['env_steps']} steps ({summary['env_steps_per_second']} steps/s) -> {out}"
    )


def _demos(args: argparse.Namespace) -> None:
    from smiling.experts.collect import collect_demos
    from smiling.experts.policy import load_expert

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


def _info(args: argparse.Namespace) -> None:
    from smiling.data.demos import Demonstrations

    demos = Demonstrations.load(args.file)
    returns = demos.episode_returns
    print(f"file:            {args.file}")
    print(f"env id:          {demos.env_id}")
    print(f"episodes:        {demos.num_episodes} ({len(demos.observations)} states)")
    print(f"observation dim: {demos.obs_dim}")
    print(f"actions:         {demos.act_dim if demos.has_actions else 'none (state-only)'}")
    print(f"episode returns: mean {returns.mean():.1f}, min {returns.min():.1f}")
    print(f"expert / random: {demos.expert_return:.1f} / {demos.random_return:.1f}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smiling", description="Imitation learning by score matching (SMILING)."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("expert", help="train an expert with SAC on the true reward")
    p.add_argument("--env", required=True, help="Gymnasium id or dmc:<domain>-<task>")
    p.add_argument("--steps", type=int, required=True, help="environment steps")
    p.add_argument("--preset", default="fast", help="SAC preset: fast (CPU default) or paper")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="expert directory (default experts/<env>)")
    p.add_argument("--eval-every", type=int, default=10_000)
    p.add_argument("--eval-episodes", type=int, default=5)
    p.add_argument("--checkpoint-every", type=int, default=50_000)
    p.add_argument(
        "--seed-steps", type=int, help="uniform-random steps before learning (default: preset's)"
    )
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    p.set_defaults(func=_expert)

    p = sub.add_parser("demos", help="roll out an expert and write a demonstrations .npz file")
    p.add_argument("--expert", required=True, help="expert directory written by `smiling expert`")
    p.add_argument("--episodes", type=int, default=10)
    p.add_argument("--out", required=True, help="demonstrations file to write (.npz)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--deterministic", action="store_true", help="act with the policy mean (default: sample)"
    )
    p.add_argument("--state-only", action="store_true", help="do not store the expert's actions")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.set_defaults(func=_demos)

    p = sub.add_parser("info", help="validate a demonstrations file and print its summary")
    p.add_argument("file")
    p.set_defaults(func=_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except SmilingError as err:
        print(f"smiling: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("smiling: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
