"""What the Unitree H1 tasks cost on one core: building the model, a control step, a frame.

Usage: taskset -c 1 python benchmarks/h1_step_cost.py [--steps 3000] [--out FILE]
For each task (sit_simple, crawl, pole): the model's build time (MuJoCo Menagerie's H1 read,
edited and compiled, uncached); the physics cost of a control step (10 physics steps of 2 ms
and the reward) under two policies, uniform-random actions (the robot soon lies on the floor:
many contacts, as early in training) and holding the standing keyframe's joint angles; and
one rendered frame (320 x 240, offscreen). ``dmc:humanoid-walk`` (21 actions, 5 physics steps
per control step) is measured the same way as a reference. Times are CPU time of this process
(``time.process_time``), so other jobs sharing the core inflate them little; wall time beside.
Writes ``results/h1_step_cost/h1_step_cost.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from common import provenance, results_dir

from smiling.envs import make_env
from smiling.io import atomic_write

HOME = results_dir("h1_step_cost")  # where its results go (common.results_dir)


def clocks() -> tuple[float, float]:
    return time.process_time(), time.perf_counter()


def since(start: tuple[float, float]) -> tuple[float, float]:
    cpu, wall = clocks()
    return cpu - start[0], wall - start[1]


def hold_action(env) -> np.ndarray:
    """The action whose targets are the standing keyframe's joint angles."""
    from smiling.tasks.h1.model import HOME_QPOS

    low, high = env.unwrapped.model.actuator_ctrlrange.T
    return (2 * (HOME_QPOS[7:] - low) / (high - low) - 1).astype(np.float32)


def step_cost(env_id: str, steps: int, policy: str) -> dict:
    env = make_env(env_id, seed=0)
    rng = np.random.default_rng(0)
    size = env.action_space.shape[0]
    actions = (
        rng.uniform(-1, 1, (steps, size)).astype(np.float32)
        if policy == "random"
        else np.repeat(hold_action(env)[None], steps, axis=0)
    )
    env.reset(seed=0)
    contacts, episode_return, returns = [], 0.0, []
    start = clocks()
    for action in actions:
        _, reward, terminated, truncated, _ = env.step(action)
        episode_return += reward
        if hasattr(env.unwrapped, "data"):
            contacts.append(env.unwrapped.data.ncon)
        if terminated or truncated:
            returns.append(episode_return)
            episode_return = 0.0
            env.reset()
    cpu, wall = since(start)
    env.close()
    return {
        "env": env_id,
        "policy": policy,
        "steps": steps,
        "cpu_ms_per_step": 1000 * cpu / steps,
        "wall_ms_per_step": 1000 * wall / steps,
        "mean_contacts": float(np.mean(contacts)) if contacts else None,
        "episode_returns": returns,
    }


def build_cost(task: str) -> dict:
    from smiling.tasks.h1.arenas import ARENAS
    from smiling.tasks.h1.model import scene_spec

    start = clocks()
    model = scene_spec(ARENAS[task]).compile()
    cpu, wall = since(start)
    return {"task": task, "build_cpu_s": cpu, "build_wall_s": wall, "mesh_faces": model.nmeshface}


def render_cost(env_id: str, frames: int = 5) -> dict:
    env = make_env(env_id, seed=0)
    start = clocks()
    env.render()  # the first frame makes the GL context
    first = since(start)
    start = clocks()
    for _ in range(frames):
        env.render()
    cpu, wall = since(start)
    env.close()
    return {
        "env": env_id,
        "first_frame_wall_s": first[1],
        "cpu_ms_per_frame": 1000 * cpu / frames,
        "wall_ms_per_frame": 1000 * wall / frames,
    }


def report(result: dict) -> str:
    lines = [
        "# Unitree H1 tasks: cost on one core",
        "",
        f"Machine: {result['machine']['cpu']}; {result['date']}; `{result['command']}`.",
        "CPU time of the process (other jobs shared the core; wall time beside).",
        "",
        "| env | policy | ms per control step (CPU) | wall | mean contacts |",
        "|---|---|---|---|---|",
    ]
    for row in result["steps"]:
        contacts = "" if row["mean_contacts"] is None else f"{row['mean_contacts']:.1f}"
        lines.append(
            f"| {row['env']} | {row['policy']} | {row['cpu_ms_per_step']:.2f} | "
            f"{row['wall_ms_per_step']:.2f} | {contacts} |"
        )
    lines += ["", "| task | model build, s (CPU) | wall |", "|---|---|---|"]
    lines += [
        f"| {row['task']} | {row['build_cpu_s']:.2f} | {row['build_wall_s']:.2f} |"
        for row in result["builds"]
    ]
    lines += ["", "| env | ms per frame (CPU) | wall | first frame, s (wall) |"]
    lines += ["|---|---|---|---|"]
    lines += [
        f"| {row['env']} | {row['cpu_ms_per_frame']:.0f} | {row['wall_ms_per_frame']:.0f} | "
        f"{row['first_frame_wall_s']:.1f} |"
        for row in result["renders"]
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000, help="control steps per measurement")
    parser.add_argument("--out", type=Path, default=HOME / "h1_step_cost.json")
    args = parser.parse_args()
    from smiling.tasks.h1 import ENV_IDS

    result = {**provenance(), "builds": [], "steps": [], "renders": []}
    for task, env_id in ENV_IDS.items():
        result["builds"].append(build_cost(task))
        for policy in ("random", "hold"):
            result["steps"].append(step_cost(env_id, args.steps, policy))
            print(json.dumps(result["steps"][-1])[:200], flush=True)
        result["renders"].append(render_cost(env_id))
    result["steps"].append(step_cost("dmc:humanoid-walk", args.steps, "random"))
    text = report(result)
    atomic_write(args.out, lambda f: f.write(json.dumps(result, indent=1) + "\n"), mode="w")
    atomic_write(args.out.with_suffix(".md"), lambda f: f.write(text), mode="w")
    print(text)


if __name__ == "__main__":
    main()
