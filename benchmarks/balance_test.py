"""Can a cartpole-swingup policy hold the pole up once it is there?

Usage:
  python benchmarks/balance_test.py POLICY [POLICY ...] [--starts N] [--steps T]
                                    [--name NAME] [--note TEXT]

POLICY is a run directory (its final model, else its latest checkpoint) or an expert directory
(``src/smiling/assets/experts/dmc_cartpole-swingup``).

A learner that plateaus on cartpole-swingup by spinning the pole round (passing upright every
turn, half paid for) may be missing either of two skills: stopping the pole at the top, or
holding it there. Swing-up episodes cannot tell them apart; this does. Each of ``N`` episodes
starts with the pole near upright and at rest (angle uniform in +-0.1 rad, cart position
uniform in +-0.2, velocities zero), set in the simulator by hand, and runs the deterministic
policy for ``T`` steps on the true reward. Per policy: the mean reward per step (1.0 is the
most the task pays), the fraction of steps with the pole up (cos > 0.9, about 25 degrees),
the fraction of episodes in which it never fell, and the mean absolute angular velocity.
A policy that holds the pole scores near 1 on all but the last; one that can only spin scores
like its swing-up episodes.

For a DreamerV3 run it also asks whether the world model saw the fall coming: from each
episode's first ``CONTEXT`` steps (filtered through the posterior), the prior is rolled forward
open loop with the actions the policy really took, and the predicted pole (cos of its angle,
angular velocity) is set beside the real one some steps ahead. A model that predicts the pole
staying up where it fell is being exploited by the actor; one that predicts the fall leaves the
actor at fault. Writes benchmarks/results/balance_test/balance_test[_NAME].{json,md}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import jax
import numpy as np
from common import note_arg, provenance, results_dir
from dreamer_diagnosis import open_loop

from smiling.algos import Learner
from smiling.envs import DMCEnv, make_env
from smiling.experts.policy import load_expert
from smiling.policy import AgentPolicy, Policy
from smiling.rl.dreamerv3.distributions import mode_onehot, symexp
from smiling.rl.dreamerv3.world_model import WorldModel, feature

HOME = results_dir("balance_test")  # where its results go (common.results_dir)

ENV_ID = "dmc:cartpole-swingup"
UP_COS = 0.9  # "pole up": within about 25 degrees of vertical
SEED = 0
CONTEXT = 4  # posterior steps before the world model's open-loop prediction
AHEAD = (5, 15, 30, 60)  # steps ahead at which its prediction is compared with the real pole


Loaded = tuple[str, Policy, Learner | None]


def load_policy(path: Path) -> Loaded:
    """``(label, policy, learner)`` for a run or an expert directory (``learner`` None); the
    policy is reset at each episode's start (a recurrent policy's carried state)."""
    key = jax.random.PRNGKey(SEED)
    if (path / "actor.msgpack").is_file():
        expert = load_expert(path)
        if expert.env_id != ENV_ID:
            raise SystemExit(f"{path}: an expert for {expert.env_id}, not {ENV_ID}")
        return f"expert {path.name}", expert.policy(key, deterministic=True), None
    learner, _ = Learner.trained(path)
    if learner.env_id != ENV_ID:
        raise SystemExit(f"{path}: a run on {learner.env_id}, not {ENV_ID}")
    policy = AgentPolicy(learner.agent, learner.state, key)
    label = f"{path.parent.name}/{path.name} at {learner.steps_done} steps"
    return label, policy, learner


def balance(
    policy: Policy, starts: int, steps: int
) -> tuple[dict, list[tuple[np.ndarray, np.ndarray]]]:
    """Episodes from near-upright rest states; what the policy does with them, and each
    episode's ``(observations, actions)`` rows (``actions[t]`` led to ``observations[t]``,
    zero at the start: the replay's convention)."""
    env = make_env(ENV_ID, seed=SEED)
    dmc = env.unwrapped
    assert isinstance(dmc, DMCEnv)
    rng = np.random.default_rng(SEED)
    rewards, up, held, spin, fell, rows = [], [], [], [], [], []
    cart_at_fall: list[float] = []
    for i in range(starts):
        env.reset(seed=SEED + i)
        physics = dmc.physics
        with physics.reset_context():
            physics.named.data.qpos["slider"] = rng.uniform(-0.2, 0.2)
            physics.named.data.qpos["hinge_1"] = rng.uniform(-0.1, 0.1)
            physics.named.data.qvel[:] = 0.0
        obs = dmc.observe().astype(np.float32)
        policy.reset()
        ep_rewards, cos, angvel = [], [], []
        ep_obs, ep_actions = [obs], [np.zeros(env.action_space.shape, np.float32)]
        for _ in range(steps):
            action = np.asarray(policy(obs), np.float32)
            obs, reward, _, truncated, _ = env.step(action)
            ep_obs.append(obs)
            ep_actions.append(action)
            ep_rewards.append(reward)
            cos.append(obs[1])
            angvel.append(obs[4])
            if truncated:
                break
        cos_arr = np.asarray(cos)
        rewards.append(float(np.mean(ep_rewards)))
        up.append(float(np.mean(cos_arr > UP_COS)))
        held.append(bool(np.all(cos_arr > UP_COS)))
        spin.append(float(np.mean(np.abs(angvel))))
        down = np.flatnonzero(cos_arr <= UP_COS)
        fell.append(int(down[0]) + 1 if len(down) else len(cos_arr))
        if len(down):
            cart_at_fall.append(abs(float(ep_obs[int(down[0]) + 1][0])))
        rows.append((np.asarray(ep_obs, np.float32), np.asarray(ep_actions, np.float32)))
    result = {
        "reward_per_step": float(np.mean(rewards)),
        "fraction_up": float(np.mean(up)),
        "episodes_held": float(np.mean(held)),
        "mean_abs_angular_velocity": float(np.mean(spin)),
        "mean_steps_until_first_fall": float(np.mean(fell)),
        "mean_abs_cart_position_at_fall": float(np.mean(cart_at_fall)) if cart_at_fall else None,
        "per_episode_reward_per_step": [round(r, 3) for r in rewards],
    }
    return result, rows


def model_check(learner: Learner, rows: list[tuple[np.ndarray, np.ndarray]]) -> dict:
    """The DreamerV3 world model's open-loop prediction of the balance episodes (see the
    module docstring): per step ahead in ``AHEAD``, the real and the predicted mean cos of the
    pole angle and mean absolute angular velocity, over the episodes."""
    agent, params = learner.agent, learner.state.wm_params
    wm = agent.core.wm
    obs = np.stack([o for o, _ in rows])
    actions = np.stack([a for _, a in rows])
    is_first = np.zeros(obs.shape[:2], np.float32)
    is_first[:, 0] = 1.0
    states, ahead = open_loop(wm, params, obs, actions, is_first, CONTEXT, max(AHEAD))
    h, z = states["h"][:, -1], mode_onehot(states["post"][:, -1])
    # How finely the filtered state resolves the pole near upright, where balancing is decided:
    # the decoder's error on the context's last step, beside how much the pole varies there.
    recon, _, _ = wm.apply(params, feature(h, z), method=WorldModel.heads)
    last = obs[:, CONTEXT - 1]
    resolution = {
        "filtered_sin_mae": float(np.abs(np.asarray(symexp(recon))[:, 2] - last[:, 2]).mean()),
        "filtered_angvel_mae": float(np.abs(np.asarray(symexp(recon))[:, 4] - last[:, 4]).mean()),
        "filtered_real_abs_sin": float(np.abs(last[:, 2]).mean()),
        "filtered_real_abs_angvel": float(np.abs(last[:, 4]).mean()),
    }
    out: dict[str, list[float]] = {k: [] for k in ("real_cos", "model_cos", "real_abs_angvel",
                                                    "model_abs_angvel")}  # fmt: skip
    for k in AHEAD:  # k steps after the context's last one
        row = CONTEXT - 1 + k
        predicted = np.asarray(symexp(ahead[k - 1][0]))
        out["real_cos"].append(float(obs[:, row, 1].mean()))
        out["model_cos"].append(float(predicted[:, 1].mean()))
        out["real_abs_angvel"].append(float(np.abs(obs[:, row, 4]).mean()))
        out["model_abs_angvel"].append(float(np.abs(predicted[:, 4]).mean()))
    return {"context": CONTEXT, "ahead": list(AHEAD), **out, **resolution}


def fmt(value: float | None) -> str:
    return "never fell" if value is None else f"{value:.2f}"


def to_markdown(rows: list[dict], note: str, starts: int, steps: int) -> str:
    lines = [
        "# Balance test (dmc:cartpole-swingup, pole started near upright and at rest)\n",
        note + "\n",
        f"{starts} episodes of {steps} steps each; deterministic policies; true reward.\n",
        "| policy | reward per step | steps with the pole up | episodes never fallen | "
        "mean abs angular velocity | steps until it first fell | abs cart position then "
        "(rails end at 1.8) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['policy']} | {r['reward_per_step']:.2f} | {r['fraction_up']:.2f} | "
            f"{r['episodes_held']:.2f} | {r['mean_abs_angular_velocity']:.2f} | "
            f"{r['mean_steps_until_first_fall']:.0f} | {fmt(r['mean_abs_cart_position_at_fall'])} |"
        )
    checked = [r for r in rows if "model" in r]
    if checked:
        lines += [
            "",
            f"World model, open loop from each episode's first {CONTEXT} steps with the actions "
            "really taken (mean over the episodes; real / predicted):",
            "",
            "| policy | steps ahead | cos of the pole angle | abs angular velocity |",
            "|---|---:|---:|---:|",
        ]
        for r in checked:
            m = r["model"]
            for i, k in enumerate(m["ahead"]):
                lines.append(
                    f"| {r['policy']} | {k} | {m['real_cos'][i]:.2f} / {m['model_cos'][i]:.2f} "
                    f"| {m['real_abs_angvel'][i]:.2f} / {m['model_abs_angvel'][i]:.2f} |"
                )
        lines += [
            "",
            f"Decoded from the filtered state at step {CONTEXT} (mean absolute error, beside the "
            "mean absolute value it should resolve):",
            "",
            "| policy | sin of the pole angle: error / value | angular velocity: error / value |",
            "|---|---:|---:|",
        ]
        for r in checked:
            m = r["model"]
            sin = f"{m['filtered_sin_mae']:.3f} / {m['filtered_real_abs_sin']:.3f}"
            angvel = f"{m['filtered_angvel_mae']:.3f} / {m['filtered_real_abs_angvel']:.3f}"
            lines.append(f"| {r['policy']} | {sin} | {angvel} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("policies", type=Path, nargs="+", help="run or expert directories")
    p.add_argument("--starts", type=int, default=10, help="episodes per policy")
    p.add_argument("--steps", type=int, default=500, help="steps per episode")
    p.add_argument("--name", default="")
    note_arg(p)
    args = p.parse_args()
    rows = []
    for path in args.policies:
        label, policy, learner = load_policy(path)
        result, episodes = balance(policy, args.starts, args.steps)
        if learner is not None and getattr(learner.agent, "name", "") == "dreamerv3":
            result["model"] = model_check(learner, episodes)
        rows.append({"policy": label, **result})
    stem = HOME / ("balance_test" + (f"_{args.name}" if args.name else ""))
    stem.with_suffix(".json").write_text(
        json.dumps(
            {
                **provenance(),
                "note": args.note,
                "starts": args.starts,
                "steps": args.steps,
                "results": rows,
            },
            indent=2,
        )  # fmt: skip
        + "\n"
    )
    stem.with_suffix(".md").write_text(to_markdown(rows, args.note, args.starts, args.steps))
    print(stem.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
