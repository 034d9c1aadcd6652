"""Our rebuilt H1 tasks beside HumanoidBench's own model files: same start, same actions.

Usage: python benchmarks/h1_vs_humanoidbench.py --humanoid-bench DIR [--seeds 3] [--out FILE]
``DIR`` is a checkout of HumanoidBench's repository (github carlosferrazza/humanoid-bench; not
a dependency of this project, nothing of it is copied here): its
``humanoid_bench/assets/envs/h1_pos_<task>.xml`` is loaded as it is. For each task and seed the
two models start from the same noisy keyframe and take the same 1000 actions, under two
policies: holding the keyframe's joint angles, and uniform-random actions. Both are scored with
this project's reward code (:mod:`smiling.tasks.h1.rewards`), which reads sites and bodies that
both models name alike, so the returns differ only where the models do (the feet's mesh, the
collision details). Writes ``results/h1_vs_humanoidbench/h1_vs_humanoidbench.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from common import provenance, results_dir

import smiling.envs  # noqa: F401  (MuJoCo's offscreen GL setting, before mujoco loads)
from smiling.io import atomic_write
from smiling.tasks.h1 import TASKS
from smiling.tasks.h1.model import FRAME_SKIP, HOME_QPOS, build_model
from smiling.tasks.h1.rewards import REWARDS, H1Readings

HOME = results_dir("h1_vs_humanoidbench")  # where its results go (common.results_dir)

STEPS = 1000


def episode(model, task: str, qpos0: np.ndarray, actions: np.ndarray) -> dict:
    import mujoco

    data = mujoco.MjData(model)
    mujoco.mj_resetDataKeyframe(model, data, 0)
    data.qpos[:] = qpos0
    mujoco.mj_forward(model, data)
    readings = H1Readings.of(model)
    low, high = model.actuator_ctrlrange.T
    rewards, heights = [], []
    start = time.process_time()
    for action in actions:
        data.ctrl[:] = low + (action + 1) / 2 * (high - low)
        mujoco.mj_step(model, data, nstep=FRAME_SKIP)
        rewards.append(REWARDS[task](readings, data)[0])
        heights.append(float(data.qpos[2]))
    return {
        "return": float(np.sum(rewards)),
        "pelvis_z_at": {str(t): heights[t - 1] for t in (50, 200, STEPS)},
        "cpu_ms_per_step": 1000 * (time.process_time() - start) / len(actions),
    }


def main() -> None:
    import mujoco

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--humanoid-bench", type=Path, required=True, help="its repository")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HOME / "h1_vs_humanoidbench.json")
    args = parser.parse_args()
    envs = args.humanoid_bench / "humanoid_bench" / "assets" / "envs"
    rows = []
    for task in TASKS:
        models = {"ours": build_model(task), "humanoidbench": None}
        models["humanoidbench"] = mujoco.MjModel.from_xml_path(str(envs / f"h1_pos_{task}.xml"))
        low, high = models["ours"].actuator_ctrlrange.T
        hold = (2 * (HOME_QPOS[7:] - low) / (high - low) - 1)[None].repeat(STEPS, axis=0)
        for seed in range(args.seeds):
            rng = np.random.default_rng(seed)
            qpos0 = HOME_QPOS + rng.uniform(-0.01, 0.01, HOME_QPOS.size)
            policies = {"hold": hold, "random": rng.uniform(-1, 1, (STEPS, 19))}
            for policy, actions in policies.items():
                row = {"task": task, "seed": seed, "policy": policy}
                for name, model in models.items():
                    row[name] = episode(model, task, qpos0, actions)
                rows.append(row)
                print(json.dumps(row), flush=True)
    result = {**provenance(), "rows": rows}
    lines = [
        "# Our H1 tasks beside HumanoidBench's model files",
        "",
        f"{result['date']}; `{result['command']}`. Same start and actions; our reward code on "
        "both. Returns over 1000 steps; pelvis height (m) after 50 / 200 / 1000 steps.",
        "",
        "| task | policy | seed | return, ours | HumanoidBench | pelvis z, ours | HumanoidBench |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        z = {k: "/".join(f"{v:.2f}" for v in row[k]["pelvis_z_at"].values()) for k in models}
        lines.append(
            f"| {row['task']} | {row['policy']} | {row['seed']} | {row['ours']['return']:.1f} | "
            f"{row['humanoidbench']['return']:.1f} | {z['ours']} | {z['humanoidbench']} |"
        )
    text = "\n".join(lines) + "\n"
    atomic_write(args.out, lambda f: f.write(json.dumps(result, indent=1) + "\n"), mode="w")
    atomic_write(args.out.with_suffix(".md"), lambda f: f.write(text), mode="w")
    print(text)


if __name__ == "__main__":
    main()
