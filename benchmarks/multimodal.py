"""Multi-modal experts (issue 20, item 2): SMILING, DAC and BC imitating demonstrations made of
two equally good, clearly distinct behaviours, half of each. Which do the learners reproduce:
both, one, or a blend of the two that is neither?

Usage:
  python benchmarks/multimodal.py experts [--steps 30000]
  python benchmarks/multimodal.py run --arms smiling dac bc [--seeds 0 1 2] [--steps N]
      [--bc-steps N]
  python benchmarks/multimodal.py report [--note TEXT]

The task is ``smiling/TwoRoutes-v0`` (smiling.tasks.two_routes): a point mass goes from left of
a round obstacle to a goal right of it, above it (mode ``up``) or below it (``down``); the task
is mirror-symmetric, so both routes earn the same return, and an episode's mode is the side on
which it first passes the obstacle's centre (``none``: it never passes).

``experts`` trains one expert per mode with ``smiling expert`` (SAC on the true reward) in the
variant whose wall closes the other route (``smiling/TwoRoutes-up-v0`` / ``-down-v0``), in
benchmarks/runs/multimodal/experts/<mode> (not committed; resumable), and copies each expert's
small files to results/multimodal/experts/<mode>/. It then rolls each expert out in the plain
task (whose states are the variant's: the expert's route never touches the wall): 50
deterministic and 50 sampled episodes check that it keeps its mode there
(results/multimodal/experts.json), and ``DEMO_EPISODES`` sampled episodes of each (the paper's
demonstrations sample the policy) are interleaved, up, down, up, ..., into one demonstrations
file for the plain task, results/multimodal/demos.npz (with actions; its expert return is the
mean over all its episodes, its random return the uniform policy's in the plain task).
Interleaving matters: SMILING holds out the *last* ``val_episodes`` episodes for its score
model's validation loss, and the runs set it to 4, so it trains on 8 episodes of each mode.

``run`` brings each (seed, arm) run to its budget in benchmarks/runs/multimodal/<arm>-smiling_
TwoRoutes-v0-s<seed> (not committed; a finished or recorded run is skipped, an interrupted one
continues from its last checkpoint), seed 0 of every arm first, and records it in the committed
results/multimodal/runs/multimodal/ (common.run_grid). SMILING and DAC learn from the states only,
BC from the states and actions (its budget counts gradient steps). Every run: fast preset, 10
deterministic evaluation episodes every 5k steps on the true reward. After a run, its final
policy is rolled out ``MODE_EPISODES`` times deterministically and ``MODE_EPISODES`` times
sampling its actions, from the same start states for every run, and each episode's mode and
return go into the run's record (modes.json), which ``report`` reads. On two cores, one ``run``
per core, pinned and single-threaded:

  XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \\
      taskset -c 0 python benchmarks/multimodal.py run --arms smiling bc
  XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \\
      taskset -c 1 python benchmarks/multimodal.py run --arms dac

``report`` writes benchmarks/results/multimodal/multimodal.{png,md,csv,json}: the library's report
of the returns (with the two experts' own training curves as the reference group), and under it the
mode table: for each arm and seed, the fraction of evaluation episodes of each mode and their
mean return, deterministic and sampled.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
from common import (
    provenance,
    recorded_runs,
    records_dir,
    report_runs,
    results_dir,
    run_grid,
    run_report_cli,
)

from smiling.algos.legacy import report_label
from smiling.bundled import slug
from smiling.cli import main as smiling_main
from smiling.data.demos import Demonstrations
from smiling.io import atomic_write, write_json
from smiling.policy import AgentPolicy, Policy
from smiling.report import RunCurve
from smiling.runs import RunDir, record_step
from smiling.runspec import run_status
from smiling.tasks import two_routes
from smiling.tasks.two_routes import ENV_ID, ROUTES, VARIANT_IDS, mode_fractions, route

BENCHMARK = "multimodal"
ROOT = Path(__file__).parent
HERE = results_dir(BENCHMARK)  # its results, the experts' small files and the demonstrations
RECORDS = records_dir(BENCHMARK, BENCHMARK)
DEMOS = HERE / "demos.npz"
EXPERT_RUNS = ROOT / "runs" / BENCHMARK / "experts"
EXPERT_FILES = ("config.json", "actor.msgpack", "eval.csv", "summary.json")
EXPERT_STEPS = 80_000
EXPERT_SETTINGS = ["--eval-every", "5000", "--eval-episodes", "10", "--checkpoint-every", "5000"]
DEMO_EPISODES = 10  # per mode
DEMO_SEEDS = {"up": 0, "down": 1000}  # episode i of a mode starts from env seed DEMO_SEEDS + i
CHECK_EPISODES = 50  # per expert and policy, in the plain task
CHECK_SEED = 2000
MODE_EPISODES = 100  # per run and policy
MODE_SEED = 50_000  # the same start states for every run (training evaluations use 10_000+)

STEPS = 100_000  # SMILING and DAC: environment steps
BC_STEPS = 20_000  # BC: gradient steps
ARMS = {
    "smiling": ["--method", "smiling", "--set", "val_episodes=4"],
    "dac": ["--method", "dac"],
    "bc": ["--method", "bc"],
}
SETTINGS = ["--preset", "fast", "--eval-every", "5000", "--eval-episodes", "10"]
SETTINGS += ["--checkpoint-every", "10000", "--video-every", "0"]
BC_SETTINGS = ["--preset", "fast", "--eval-every", "2000", "--eval-episodes", "10"]
BC_SETTINGS += ["--checkpoint-every", "5000", "--video-every", "0"]
EXPERT_LABEL = "expert (sac, true reward, one route open)"
POLICIES = ("deterministic", "sampled")


# ------------------------------------------------------------------ rolling out policies
def rollouts(policy: Policy, episodes: int, seed: int) -> dict:
    """``episodes`` episodes in the plain task (episode i from env seed ``seed + i``), run side by
    side: ``policy(observations) -> actions`` acts for all of them at once (one batched call per
    step; one ``reset`` starts them all). Each episode's mode and return, the mode fractions and
    the mean return. The batch shrinks as episodes end, so the policy must be feed-forward."""
    from smiling.envs import make_env

    if getattr(policy, "recurrent", True):
        raise SystemExit("rollouts act on a shrinking batch: they need a feed-forward policy")
    envs = [make_env(ENV_ID) for _ in range(episodes)]
    obs = np.stack([env.reset(seed=seed + i)[0] for i, env in enumerate(envs)])
    policy.reset()
    states, returns = [[o] for o in obs], np.zeros(episodes)
    live = np.arange(episodes)
    while live.size:
        actions = np.asarray(policy(obs[live]))
        still = []
        for i, action in zip(live, actions, strict=True):
            obs[i], reward, terminated, truncated, _ = envs[i].step(action)
            states[i].append(obs[i].copy())
            returns[i] += reward
            if not (terminated or truncated):
                still.append(i)
        live = np.asarray(still, int)
    for env in envs:
        env.close()
    modes = [route(np.asarray(s)) for s in states]
    by_mode = {
        m: float(np.mean([r for r, x in zip(returns, modes, strict=True) if x == m]))
        for m in sorted(set(modes))
    }
    return {
        "episodes": episodes,
        "seed": seed,
        "fractions": mode_fractions(modes),
        "return_mean": float(np.mean(returns)),
        "return_std": float(np.std(returns)),
        "return_by_mode": by_mode,
        "modes": modes,
        "returns": [float(r) for r in returns],
    }


# ------------------------------------------------------------------ experts and demonstrations
def _train_expert(mode: str, steps: int) -> Path:
    """Bring the expert of ``mode`` to ``steps`` (skip / resume / train) and copy its small
    files to results/multimodal/experts/<mode>/."""
    out = EXPERT_RUNS / mode
    status = run_status(out, steps)
    if status == "skip":
        print(f"skip expert {mode} (finished)")
    else:
        cmd = ["expert", "--env", VARIANT_IDS[mode], "--steps", str(steps), "--seed", "0"]
        cmd += [*EXPERT_SETTINGS, "--out", str(out)]
        code = smiling_main([*cmd, "--resume"] if status == "resume" else cmd)
        if code:
            raise SystemExit(code)
    dest = HERE / "experts" / mode
    dest.mkdir(parents=True, exist_ok=True)
    for name in EXPERT_FILES:
        shutil.copyfile(out / name, dest / name)
    return dest


def experts(args: argparse.Namespace) -> None:
    import jax

    from smiling.experts.collect import collect_demos
    from smiling.experts.policy import load_expert

    no_key = jax.random.PRNGKey(0)  # a deterministic policy draws nothing
    demos, checks = {}, {}
    for mode in ROUTES:
        directory = _train_expert(mode, args.steps)
        expert = load_expert(directory)
        plain = dataclasses.replace(expert, env_id=ENV_ID)  # the same policy, the plain task
        det = rollouts(expert.policy(no_key, deterministic=True), CHECK_EPISODES, CHECK_SEED)
        sampling = expert.policy(jax.random.PRNGKey(CHECK_SEED), deterministic=False)
        smp = rollouts(sampling, CHECK_EPISODES, CHECK_SEED)
        summary = json.loads((directory / "summary.json").read_text())
        checks[mode] = {
            "trained_in": VARIANT_IDS[mode],
            "best_eval_return_in_variant": summary["best_eval_return"],
            "env_steps": summary["env_steps"],
            "env_steps_per_second": summary["env_steps_per_second"],
            "deterministic": det,
            "sampled": smp,
        }
        demos[mode] = collect_demos(plain, DEMO_EPISODES, seed=DEMO_SEEDS[mode])
        demo_modes = two_routes.routes(demos[mode].observations, demos[mode].episode_lengths)
        checks[mode]["demos"] = {
            "seed": DEMO_SEEDS[mode],
            "modes": demo_modes,
            "return_mean": demos[mode].expert_return,
        }
        print(
            f"expert {mode}: in {ENV_ID}, deterministic {det['fractions']} return "
            f"{det['return_mean']:.1f}; sampled {smp['fractions']} return {smp['return_mean']:.1f}"
            f"; demos {mode_fractions(demo_modes)} return {demos[mode].expert_return:.1f}"
        )
    mixed = interleave([demos[m] for m in ROUTES])
    mixed.save(DEMOS)
    modes = two_routes.routes(mixed.observations, mixed.episode_lengths)
    write_json(
        HERE / "experts.json",
        {
            **provenance(),
            "expert_steps": args.steps,
            "experts": checks,
            "mixed_demos": {
                "file": str(DEMOS.relative_to(ROOT.parent)),
                "episodes": mixed.num_episodes,
                "modes": modes,
                "fractions": mode_fractions(modes),
                "expert_return": mixed.expert_return,
                "random_return": mixed.random_return,
            },
        },
    )
    print(
        f"{mixed.num_episodes} episodes ({mode_fractions(modes)}) -> {DEMOS}: expert return "
        f"{mixed.expert_return:.1f}, random return {mixed.random_return:.1f}"
    )


def interleave(parts: list[Demonstrations]) -> Demonstrations:
    """One demonstrations file of ``parts`` (same task, same number of episodes), episode 0 of
    each, then episode 1 of each, ...; the expert return is the mean over every episode and the
    random return the mean of the parts'."""
    episodes = []
    for i in range(parts[0].num_episodes):
        for part in parts:
            start = int(np.sum(part.episode_lengths[:i]))
            span = slice(start, start + int(part.episode_lengths[i]))
            episodes.append((part.observations[span], part.actions[span], part.rewards[span]))
    obs, actions, rewards = (list(x) for x in zip(*episodes, strict=True))
    return Demonstrations.from_arrays(
        parts[0].env_id,
        obs,
        actions=actions,
        rewards=rewards,
        expert_return=float(np.sum([np.sum(r) for r in rewards]) / len(rewards)),
        random_return=float(np.mean([p.random_return for p in parts])),
        terminated=np.zeros(len(episodes), bool),
    )


# ------------------------------------------------------------------ the grid
def run_name(arm: str, seed: int) -> str:
    return f"{arm}-{slug(ENV_ID)}-s{seed}"


def run(args: argparse.Namespace) -> None:
    if not DEMOS.is_file():
        raise SystemExit(f"{DEMOS} is missing: run `python benchmarks/multimodal.py experts`")
    for seed in args.seeds:
        for arm in args.arms:
            steps, settings = (
                (args.bc_steps, BC_SETTINGS) if arm == "bc" else (args.steps, SETTINGS)
            )
            options = [*ARMS[arm], "--demos", str(DEMOS)]
            run_grid(BENCHMARK, ENV_ID, {arm: options}, [seed], steps, settings, RECORDS)
            record_modes(ROOT / "runs" / BENCHMARK / run_name(arm, seed))


def record_modes(run_dir: Path) -> None:
    """Roll out the final policy of a finished run (deterministic and sampled) and write each
    episode's mode and return to its record's modes.json; kept while it is of the run's last
    step (a run continued to a larger budget gets new ones)."""
    import jax

    from smiling.algos import Learner

    record = RECORDS / run_dir.name
    target = record / "modes.json"
    summary = RunDir(run_dir).read_summary()
    if summary is None or not (run_dir / "model" / "config.json").is_file():
        return
    if target.exists() and json.loads(target.read_text())["steps"] == record_step(summary):
        return
    learner = Learner.load(run_dir / "model")
    payload = {"run": run_dir.name, "label": learner.label, "seed": learner.seed}
    payload["steps"] = record_step(summary)
    det = AgentPolicy(learner.agent, learner.state, jax.random.PRNGKey(0), deterministic=True)
    payload["deterministic"] = rollouts(det, MODE_EPISODES, MODE_SEED)
    key = jax.random.PRNGKey(learner.seed)  # sampled: a new key from it at every step
    smp = AgentPolicy(learner.agent, learner.state, key, deterministic=False)
    payload["sampled"] = rollouts(smp, MODE_EPISODES, MODE_SEED)
    record.mkdir(parents=True, exist_ok=True)
    write_json(target, payload)
    for policy in POLICIES:
        r = payload[policy]
        print(f"{run_dir.name} {policy}: {r['fractions']} return {r['return_mean']:.1f}")


# ------------------------------------------------------------------ report
def expert_curves() -> list[RunCurve]:
    """The two experts' evaluation curves while they trained (in their one-route variants),
    normalised by the mixed demonstrations' returns: the report's reference group."""
    demos = Demonstrations.load(DEMOS)
    curves = []
    for i, mode in enumerate(ROUTES):
        path = HERE / "experts" / mode / "eval.csv"
        if not path.is_file():
            continue
        rows = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
        returns = rows[:, 1]
        curves.append(
            RunCurve(
                path=path,
                label=EXPERT_LABEL,
                env_id=ENV_ID,
                seed=i,  # two replicates of the group: one per mode
                steps=rows[:, 0].astype(int),
                normalized=(returns - demos.random_return)
                / (demos.expert_return - demos.random_return),
                returns=returns,
                steps_per_second=float(rows[-1, 5]),
            )
        )
    return curves


def mode_rows() -> list[dict]:
    """Every recorded run's modes.json."""
    return [json.loads(p.read_text()) for p in sorted(RECORDS.glob("*/modes.json"))]


def _mode_order(row: dict) -> tuple:
    """A mode row's place in the tables: the arms in ``ARMS`` order, then by label and seed."""
    label = report_label(row)
    return ({arm: i for i, arm in enumerate(ARMS)}.get(label, 99), label, row["seed"])


def mode_table(rows: list[dict], checks: dict | None) -> str:
    """The mode table (markdown): per arm and seed, for both policies, the fraction of episodes
    of each mode and the mean return; the experts' own rows (in the plain task) first."""
    lines = [
        "## Modes",
        "",
        f"Each final policy's episodes in {ENV_ID} by the side on which they passed the "
        f"obstacle: {MODE_EPISODES} with its deterministic (mean) action and {MODE_EPISODES} "
        f"sampling its actions, from env seeds {MODE_SEED}..{MODE_SEED + MODE_EPISODES - 1} "
        "(the same start states for every run). The experts' rows: each expert's "
        f"{CHECK_EPISODES} check episodes in the plain task (env seeds {CHECK_SEED}..), after "
        "training in the variant that closes the other route. The demonstrations are "
        f"{DEMO_EPISODES} sampled episodes of each expert, interleaved.",
        "",
        "| policy of | seed | actions | up | down | none | mean return | return up / down |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def line(name: str, seed: str, policy: str, r: dict) -> str:
        f = r["fractions"]
        by = r["return_by_mode"]
        per = " / ".join(f"{by[m]:.1f}" if m in by else "-" for m in ROUTES)
        return (
            f"| {name} | {seed} | {policy} | {f['up']:.2f} | {f['down']:.2f} | {f['none']:.2f} "
            f"| {r['return_mean']:.1f} | {per} |"
        )

    for mode, check in (checks or {}).items():
        for policy in POLICIES:
            lines.append(line(f"expert {mode}", "0", policy, check[policy]))
    for row in sorted(rows, key=_mode_order):
        for policy in POLICIES:
            lines.append(line(report_label(row), str(row["seed"]), policy, row[policy]))
    lines += [
        "",
        "Over seeds: the mean fraction of each mode, and how many seeds' policies take both "
        "routes (each in at least 10% of the episodes).",
        "",
        "| label | actions | seeds | up | down | none | both routes | mean return |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in mode_summary(rows):
        f = r["mean_fractions"]
        lines.append(
            f"| {r['label']} | {r['policy']} | {len(r['seeds'])} | {f['up']:.2f} | "
            f"{f['down']:.2f} | {f['none']:.2f} | {r['seeds_with_both_routes']} of "
            f"{len(r['seeds'])} | {r['mean_return']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def mode_summary(rows: list[dict]) -> list[dict]:
    """Per arm and policy: the mean over seeds of each mode's fraction, and how many seeds'
    policies take both routes (each in at least 10% of episodes)."""
    out = []
    order = {arm: i for i, arm in enumerate(ARMS)}
    for label in sorted({report_label(r) for r in rows}, key=lambda a: (order.get(a, 99), a)):
        runs = [r for r in rows if report_label(r) == label]
        for policy in POLICIES:
            fr = [r[policy]["fractions"] for r in runs]
            out.append(
                {
                    "label": label,
                    "policy": policy,
                    "seeds": [r["seed"] for r in runs],
                    "mean_fractions": {m: float(np.mean([f[m] for f in fr])) for m in fr[0]},
                    "seeds_with_both_routes": sum(min(f["up"], f["down"]) >= 0.1 for f in fr),
                    "mean_return": float(np.mean([r[policy]["return_mean"] for r in runs])),
                }
            )
    return out


def report(args: argparse.Namespace) -> None:
    runs = [*recorded_runs(BENCHMARK, archived=False), *expert_curves()]
    payload = report_runs(runs, HERE, BENCHMARK, args.note)
    checks_path = HERE / "experts.json"
    checks = json.loads(checks_path.read_text())["experts"] if checks_path.is_file() else None
    rows = mode_rows()
    table = mode_table(rows, checks)
    md = HERE / f"{BENCHMARK}.md"
    text = md.read_text() + "\n" + table
    atomic_write(md, lambda f: f.write(text), mode="w")
    payload["modes"] = {
        "episodes": MODE_EPISODES,
        "seed": MODE_SEED,
        "summary": mode_summary(rows),
        "runs": rows,
        "experts": checks,
    }
    write_json(HERE / f"{BENCHMARK}.json", payload)
    print(table)


# ------------------------------------------------------------------ command line
def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    p.add_argument("--steps", type=int, default=STEPS, help="SMILING and DAC: env steps")
    p.add_argument("--bc-steps", type=int, default=BC_STEPS, help="BC: gradient steps")


def _expert_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--steps", type=int, default=EXPERT_STEPS, help="each expert's env steps")


if __name__ == "__main__":
    run_report_cli(__doc__, run, report, _run_args, more={"experts": (experts, _expert_args)})
