"""How good is a DreamerV3 run's world model and critic, on the states it actually visited?

Usage:
  python benchmarks/dreamer_diagnosis.py RUN_DIR [RUN_DIR ...] [--name NAME] [--note TEXT]

DreamerV3's actor learns only from imagined rollouts, so when it learns a task slowly the first
question is whether its imagination is right. A run's checkpoint holds the world model, the
critic and the replay (every row it has seen, in arrival order), so this script measures, from
the checkpoint alone (no training, no environment):

* open-loop prediction: windows of replayed rows, filtered through the posterior for
  ``CONTEXT`` steps, then rolled forward with the prior (its mode) and the *replayed* actions
  for ``HORIZON`` steps; per step ahead, the mean absolute error of the predicted reward and
  of the decoded ``symlog(obs)``, beside the error of always predicting the replay's mean
  (what "no skill" scores);
* the critic: its value at the filtered states of those windows against the discounted return
  actually received from there to the end of the episode (truncated there, at the run's
  discount), as a rank correlation, beside the mean of each.

The rewards compared are the environment's (``--method rl``); for a method that relabels, the
world model learns the method's reward instead, so its reward error here is the distance
between the two, not an error. Writes
benchmarks/results/dreamer_diagnosis/dreamer_diagnosis[_NAME].{json,md}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from common import note_arg, provenance, results_dir
from reward_diagnosis import spearman

from smiling.algos import Learner
from smiling.rl.dreamerv3.distributions import mode_onehot, symlog, twohot_mean
from smiling.rl.dreamerv3.world_model import WorldModel, feature, observe

HOME = results_dir("dreamer_diagnosis")  # where its results go (common.results_dir)

CONTEXT = 8  # posterior steps before the open-loop rollout
HORIZON = 15  # the imagination horizon of every preset but debug
WINDOWS = 256  # sampled windows per run
# The critic is compared on states with at least this many rows of their episode still to
# come: the return received is cut at the episode's end (a time limit, not the task's end),
# so it falls short of the value by at most discount ** MIN_AHEAD of the remaining tail's worth
# (0.22 at the paper's discount 0.997); the critic's shortfall measured here is a lower bound.
# Counted in simulator steps: a run at action repeat k needs MIN_AHEAD // k decisions ahead.
MIN_AHEAD = 500
NEAR_MODE = 3  # the critic's concentration: its probability within this many bins of its mode
SEED = 0


def episode_returns(rewards: np.ndarray, is_first: np.ndarray, discount: float) -> np.ndarray:
    """Per row, the discounted sum of the rewards of the rows after it in its episode (the
    reward of row t is received on arriving at it, so the return from t starts at t + 1)."""
    out = np.zeros_like(rewards, dtype=np.float64)
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        out[t] = running
        running = 0.0 if is_first[t] else rewards[t] + discount * running
    return out


def windows(is_first: np.ndarray, length: int, ahead: int, rng: np.random.Generator) -> np.ndarray:
    """Start rows of ``WINDOWS`` windows of ``length`` rows inside one episode, each followed
    by at least ``ahead`` more rows of it (so that the critic's comparison is fair)."""
    n_rows, starts = len(is_first), []
    for _ in range(1000 * WINDOWS):
        s = int(rng.integers(0, n_rows - length - ahead))
        if not is_first[s + 1 : s + length + ahead].any():
            starts.append(s)
            if len(starts) == WINDOWS:
                return np.asarray(starts)
    raise SystemExit(f"the replay has too few episodes of {length + ahead} rows or more")


def mass_near_mode(logits: jax.Array, width: int = NEAR_MODE) -> np.ndarray:
    """Per state, the critic's probability within ``width`` bins of its most likely bin: near 1
    when the two-hot head is sure of one value, low when its expectation averages a spread."""
    probs = np.asarray(jax.nn.softmax(logits, axis=-1))
    mode = probs.argmax(-1)[:, None]
    near = np.abs(np.arange(probs.shape[-1])[None, :] - mode) <= width
    return (probs * near).sum(-1)


def restore_dreamer(run_dir: Path) -> tuple[Learner, int]:
    """A DreamerV3 run restored from its checkpoint, and the rows its replay holds in arrival
    order (a replay that wrapped has lost that order: refused)."""
    learner, _ = Learner.restore(run_dir, steps=10**9)  # any budget past its step
    if getattr(learner.agent, "name", "") != "dreamerv3":
        raise SystemExit(f"{run_dir}: not a DreamerV3 run")
    n = learner.replay.size
    if n >= learner.replay.capacity:
        raise SystemExit(f"{run_dir}: the replay wrapped; its rows' order is lost")
    return learner, n


def open_loop(
    wm: WorldModel,
    params: Any,
    obs: np.ndarray,
    actions: np.ndarray,
    is_first: np.ndarray,
    context: int,
    steps: int,
) -> tuple[dict[str, jax.Array], list[tuple[jax.Array, jax.Array]]]:
    """The world model's open-loop prediction of real sequences ``(B, L, ...)``: filter the
    first ``context`` steps, then roll the prior's mode ``steps`` further on the actions really
    taken (``actions[:, t]`` led to ``obs[:, t]``, the replay's convention), so the model sees
    no observation after the context. Returns the filter's states and, per step ahead, the
    decoded ``symlog(obs)`` and the reward logits."""
    batch = {
        "obs": jnp.asarray(obs[:, :context]),
        "actions": jnp.asarray(actions[:, :context]),
        "is_first": jnp.asarray(is_first[:, :context]),
    }
    states = observe(wm, params, batch, jax.random.PRNGKey(SEED))
    h, z = states["h"][:, -1], mode_onehot(states["post"][:, -1])
    ahead = []
    for k in range(steps):
        h = wm.apply(params, h, z, jnp.asarray(actions[:, context + k]), method=WorldModel.step)
        z = mode_onehot(wm.apply(params, h, method=WorldModel.prior))
        recon, reward_logits, _ = wm.apply(params, feature(h, z), method=WorldModel.heads)
        ahead.append((recon, reward_logits))
    return states, ahead


def diagnose(run_dir: Path) -> dict:
    learner, n = restore_dreamer(run_dir)
    agent, state, replay = learner.agent, learner.state, learner.replay
    c, wm, params = agent.config, agent.core.wm, state.wm_params
    obs, actions = replay.obs[:n], replay.actions[:n]
    rewards, is_first = replay.rewards[:n], replay.is_first[:n]
    length = CONTEXT + HORIZON
    ahead = MIN_AHEAD // learner.loop.action_repeat
    idx = windows(is_first, length, ahead, np.random.default_rng(SEED))
    idx = idx[:, None] + np.arange(length)
    states, predicted = open_loop(
        wm, params, obs[idx], actions[idx], is_first[idx], CONTEXT, HORIZON
    )
    centres = agent.core.centres
    reward_err, obs_err = [], []
    for k, (recon, reward_logits) in enumerate(predicted):
        row = idx[:, CONTEXT + k]
        reward = np.asarray(twohot_mean(reward_logits, centres))
        reward_err.append(float(np.mean(np.abs(reward - rewards[row]))))
        obs_err.append(float(np.mean(np.abs(np.asarray(recon) - np.asarray(symlog(obs[row]))))))
    feat = feature(states["h"][:, -1], states["z"][:, -1])
    value_logits = agent.core.critic.apply(state.critic_params, feat)
    value = np.asarray(twohot_mean(value_logits, centres))
    received = episode_returns(rewards, is_first, c.discount)[idx[:, CONTEXT - 1]]
    sym_obs = np.asarray(symlog(obs))
    return {
        "run": run_dir.name,
        "env_steps": int(learner.steps_done),
        "rows": int(n),
        "action_repeat": learner.loop.action_repeat,
        "min_ahead": ahead,
        "reward_mae_by_step": reward_err,
        "reward_mae_no_skill": float(np.mean(np.abs(rewards - rewards.mean()))),
        "reward_mean": float(rewards.mean()),
        "obs_mae_by_step": obs_err,
        "obs_mae_no_skill": float(np.mean(np.abs(sym_obs - sym_obs.mean(0)))),
        "value_spearman": spearman(value, received),
        "value_mean": float(value.mean()),
        "value_mass_near_mode": float(mass_near_mode(value_logits).mean()),
        "return_received_mean": float(received.mean()),
    }


def to_markdown(results: list[dict], note: str) -> str:
    lines = [f"# DreamerV3 diagnosis\n\n{note}\n"]
    steps = [1, 2, 5, 10, HORIZON]
    head = " | ".join(f"{k} ahead" for k in steps)
    for r in results:
        lines += [
            f"## {r['run']} (at {r['env_steps']} env steps)\n",
            f"| open loop (context {CONTEXT}) | {head} | no skill |",
            "|---" * (len(steps) + 2) + "|",
            "| reward MAE | "
            + " | ".join(f"{r['reward_mae_by_step'][k - 1]:.3f}" for k in steps)
            + f" | {r['reward_mae_no_skill']:.3f} |",
            "| symlog(obs) MAE | "
            + " | ".join(f"{r['obs_mae_by_step'][k - 1]:.3f}" for k in steps)
            + f" | {r['obs_mae_no_skill']:.3f} |",
            "",
            f"Critic: mean value {r['value_mean']:.2f} against a mean discounted return received "
            f"to the episode's end of {r['return_received_mean']:.2f} (states with "
            f"{r['min_ahead']} or more steps of their episode ahead); rank "
            f"correlation {r['value_spearman']:.2f} ({WINDOWS} states); on average "
            f"{r['value_mass_near_mode']:.0%} of its probability within {NEAR_MODE} bins of its "
            f"mode. Mean replayed reward {r['reward_mean']:.3f}.\n",
        ]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("runs", nargs="+", type=Path)
    p.add_argument("--name", default="")
    note_arg(p)
    args = p.parse_args()
    results = [diagnose(r) for r in args.runs]
    stem = HOME / ("dreamer_diagnosis" + (f"_{args.name}" if args.name else ""))
    payload = {**provenance(), "note": args.note, "results": results}
    stem.with_suffix(".json").write_text(json.dumps(payload, indent=2) + "\n")
    stem.with_suffix(".md").write_text(to_markdown(results, args.note))
    print(stem.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
