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
    )
    out = Path(args.out or f"experts/{args.env.replace(':', '_')}")
    summary = train_expert(run, out, resume=args.resume, progress=sys.stderr.isatty())
    print(
        f"expert for {summary['env_id']}: best eval return {summary['best_eval_return']:.1f} "
        f"after {summary['env_steps']} steps ({summary['env_steps_per_second']} steps/s) -> {out}"
    )


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
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    p.set_defaults(func=_expert)
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
