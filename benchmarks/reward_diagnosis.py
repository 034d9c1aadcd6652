"""What reward does a trained SMILING run give, and to which states? (issue 18's "why")

Usage:
  python benchmarks/reward_diagnosis.py RUN_DIR [RUN_DIR ...] [--name NAME] [--note TEXT]

A SMILING run's checkpoint holds everything its reward depends on: the expert and learner score
models, and the SAC replay buffer, which (when its capacity exceeds the run's steps) holds every
state the learner visited, in order, with the environment's true reward. SAC samples its batches
uniformly from that buffer and relabels them with the *current* models, so the reward that
shaped the policy at the checkpoint is the current models' reward on the buffer's states. This
script measures that reward, from the checkpoint alone (no training, no environment):

* the reference reward of each state: the unnormalised estimator at K = 500 on the stratified
  grid, averaged over 2 independent estimates (the average over all T timesteps, closely);
* by the age of the states: the buffer cut into 50k-step slices, and the FIFO's window (the
  last ``fifo_capacity`` steps, what the learner score model trains on) against the states
  older than it; each slice's mean reward in units of the reward's std over the whole buffer
  (what SAC's per-batch standardisation divides by), beside the slice's mean true reward;
* the expert's states (the held-out demonstration episodes, else the trained-on ones, as the
  report says) on the same scale;
* alignment: the rank correlation, over a uniform sample of the buffer, between the reference
  reward and the true reward of the same transition (cheetah-run: the forward speed);
* the estimator's noise at the run's K and at K = 32 on the same sample: noise/signal and the
  correlation of one estimate with the reference.

Writes benchmarks/results/reward_diagnosis/reward_diagnosis[_NAME].{json,md}.
Runs with state-action inputs or
absorbing-state indicators are refused (their model input is not the bare state).
"""

from __future__ import annotations

import argparse
import functools
import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from common import note_arg, provenance, results_dir

from smiling.algos.legacy import upgrade_config
from smiling.algos.smiling import SmilingConfig, smiling_process
from smiling.data.demos import Demonstrations
from smiling.diffusion import (
    RewardConfig,
    ScoreModel,
    ScoreNetConfig,
    fast_reward,
)
from smiling.rewards import ROBUST_CLIP, SCALES, normalize_rewards

HOME = results_dir("reward_diagnosis")  # where its results go (common.results_dir)

REFERENCE_K = 500
REFERENCE_REPEATS = 2
NOISE_KS = (8, 32)
NOISE_REPEATS = 8
SLICE = 50_000  # buffer steps per age slice
SAMPLE = 1024  # states per slice / group
PRE_FALL = 20  # steps before a terminal that count as "just before a fall"
QUANTILES = (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)


class RunModels:
    """The score models, schedule and reward settings of one SMILING run's checkpoint."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        path = run_dir / "config.json"
        self.config = upgrade_config(json.loads(path.read_text()), path)
        name, method = self.config["method"]["name"], self.config["method"]["config"]
        reward = method["reward"]
        if name != "smiling" or reward["use_actions"]:
            raise SystemExit(
                f"{run_dir}: not a state-only SMILING run "
                f"(method {name}, use_actions {reward['use_actions']})"
            )
        # A task that terminates: the models' input ends with the absorbing-state indicator.
        self.absorbing = bool(reward.get("absorbing"))
        # The run's own diffusion process and network (VP or VE, plain or residual), rebuilt
        # the way SMILING builds them; configs from before those settings read as VP and MLP.
        smiling_config = SmilingConfig.from_dict(method)
        self.schedule = smiling_process(smiling_config)
        self.net = smiling_config.net
        self.run_k = reward["num_timesteps"]
        self.fifo_capacity = method["fifo_capacity"]
        model = ScoreModel(self.config["obs_dim"] + self.absorbing, self.net, self.schedule)
        ckpt = run_dir / "checkpoint"
        self.expert = model.from_bytes((ckpt / "expert_score.msgpack").read_bytes()).params
        self.learner = model.from_bytes((ckpt / "learner_score.msgpack").read_bytes()).params
        self.progress = json.loads((ckpt / "progress.json").read_text())

    def reward(
        self, states: np.ndarray, k: int, seed: int, absorbing_state: bool = False
    ) -> np.ndarray:
        """One unnormalised estimate per state at K = ``k`` (stratified grid); with
        ``absorbing_state``, of the absorbing state instead, once per row of ``states``."""
        config = RewardConfig(
            num_timesteps=k, stratified=True, normalize=False, absorbing=self.absorbing
        )
        rows = np.full(SAMPLE, absorbing_state) if self.absorbing else None
        out = []
        for i in range(0, len(states), SAMPLE):  # bounded memory and one compiled shape
            chunk = _pad(states[i : i + SAMPLE], SAMPLE)
            key = jax.random.fold_in(jax.random.PRNGKey(seed), i)
            r = _reward_fn(config, self.net)(
                self.expert, self.learner, chunk, key, self.schedule, rows
            )
            out.append(np.asarray(r)[: len(states) - i])
        return np.concatenate(out)

    def reference(self, states: np.ndarray, absorbing_state: bool = False) -> np.ndarray:
        runs = [
            self.reward(states, REFERENCE_K, 10_000 + s, absorbing_state)
            for s in range(REFERENCE_REPEATS)
        ]
        return np.mean(runs, axis=0)


@functools.cache
def _reward_fn(config: RewardConfig, net: ScoreNetConfig):
    return jax.jit(
        lambda expert, learner, s, key, schedule, absorbing: fast_reward(
            expert,
            learner,
            s,
            None,
            key,
            schedule=schedule,
            config=config,
            net_config=net,
            absorbing=absorbing,
        )
    )


def _pad(x: np.ndarray, n: int) -> np.ndarray:
    return np.concatenate([x, np.zeros((n - len(x), x.shape[1]), x.dtype)]) if len(x) < n else x


def _rank(x: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(x)).astype(np.float64)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(_rank(a), _rank(b))[0, 1])


def load_buffer(run_dir: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The buffer's states and true rewards in the order visited (refuses a wrapped buffer),
    and per step the steps until its episode terminates (:func:`steps_to_terminal`)."""
    with np.load(run_dir / "checkpoint" / "buffer.npz", allow_pickle=False) as data:
        size, pos = int(data["size"]), int(data["pos"])
        if pos not in (size, 0):  # 0: exactly full, never wrapped
            raise SystemExit(f"{run_dir}: the replay buffer wrapped; its order is lost")
        obs = data["obs"][:size]
        to_end = steps_to_terminal(obs, data["next_obs"][:size], data["terminated"][:size] > 0)
        return obs, data["rewards"][:size], to_end


def steps_to_terminal(obs: np.ndarray, next_obs: np.ndarray, terminated: np.ndarray) -> np.ndarray:
    """Per buffer step, the steps until its episode terminates (inf: it ended by time limit or
    is still running). Episodes are cut where a transition's next state is not the next row's
    state; a terminal transition is its episode's last."""
    size = len(obs)
    ends = np.append(np.any(next_obs[:-1] != obs[1:], axis=1) | terminated[:-1], True)
    out = np.full(size, np.inf)
    left, falls = np.inf, False
    for i in range(size - 1, -1, -1):  # backwards: the distance to the end of the episode
        if ends[i]:
            left, falls = 0.0, bool(terminated[i])
        else:
            left += 1
        out[i] = left if falls else np.inf
    return out


def scale_shapes(models: RunModels, obs: np.ndarray, to_end: np.ndarray, idx: np.ndarray) -> dict:
    """What each per-batch scale makes of the same rewards (``idx``: a uniform sample of the
    buffer, standardised as one batch), in the agent's units (target std 0.1): the share the
    robust scale clips, where its clip lies in std units, and on a task that terminates, the
    reward of the states just before a fall and of the absorbing state (after the agent's clip
    to the batch's mean -+ one std, smiling.rewards.relabel) against the other states."""
    ref = models.reference(obs[idx])
    out: dict = {}
    mean, std = float(ref.mean()), float(ref.std())
    q25, median, q75 = np.quantile(ref, [0.25, 0.5, 0.75])
    unit = (q75 - q25) / 1.349
    out["robust_clip_in_std_units"] = [
        float((median - ROBUST_CLIP * unit - mean) / std),
        float((median + ROBUST_CLIP * unit - mean) / std),
    ]
    near = to_end[idx] <= PRE_FALL
    out["pre_fall_share"] = float(np.mean(near))
    absorbing_ref = (
        float(models.reference(obs[idx[:SAMPLE]], absorbing_state=True).mean())
        if models.absorbing
        else None
    )
    edge = ROBUST_CLIP * 0.1 - 1e-6  # the robust clip in the agent's units (target std 0.1)
    for scale in SCALES:
        z = np.asarray(normalize_rewards(jnp.asarray(ref), None, scale))
        row = {
            "mean": float(z.mean()),
            "std": float(z.std()),
            "clipped_low": float(np.mean(z <= -edge)) if scale == "robust" else 0.0,
            "clipped_high": float(np.mean(z >= edge)) if scale == "robust" else 0.0,
            "pre_fall": float(z[near].mean()) if near.any() else None,
            "other": float(z[~near].mean()),
        }
        # how much worse the states before a fall are, against the spread of the bulk (what
        # the agent has to tell apart): the per-batch scales differ most in this
        q25_z, q75_z = np.quantile(z[~near], [0.25, 0.75])
        row["fall_gap_iqr"] = (
            float((row["other"] - row["pre_fall"]) / (q75_z - q25_z)) if near.any() else None
        )
        if absorbing_ref is not None:
            # the absorbing row standardised with the real rows' statistics, then clipped
            batch = jnp.asarray(np.append(ref, absorbing_ref))
            flags = jnp.asarray(np.append(np.zeros(len(ref), bool), True))
            r_abs = float(np.asarray(normalize_rewards(batch, flags, scale))[-1])
            row["absorbing_raw"] = r_abs
            row["absorbing"] = float(np.clip(r_abs, z.mean() - z.std(), z.mean() + z.std()))
        out[scale] = row
    return out


def diagnose(run_dir: Path, rng: np.random.Generator) -> dict:
    models = RunModels(run_dir)
    obs, true_r, to_end = load_buffer(run_dir)
    n = len(obs)

    # The scale SAC sees: the reference reward over a uniform sample of the whole buffer.
    uniform = rng.integers(0, n, SAMPLE)
    ref_u = models.reference(obs[uniform])
    mean_u, std_u = float(ref_u.mean()), float(ref_u.std())

    def scaled(r: np.ndarray) -> float:
        return float((r.mean() - mean_u) / std_u)

    def window(lo: int, hi: int) -> tuple[dict, np.ndarray]:
        """Buffer steps ``[lo, hi)``: their mean reward in z units and mean true reward, and
        the reference rewards of the sampled states."""
        idx = rng.integers(lo, hi, SAMPLE)
        r = models.reference(obs[idx])
        summary = {
            "steps": [lo, hi],
            "reward_z": scaled(r),
            "true_reward": float(true_r[idx].mean()),
        }
        return summary, r

    slices = [window(start, min(n, start + SLICE))[0] for start in range(0, n, SLICE)]
    windows, refs = {}, {}
    fifo_start = max(0, n - models.fifo_capacity)
    for name, lo, hi in (
        ("in FIFO", fifo_start, n),
        ("older than FIFO", 0, fifo_start),
        ("last 25k", max(0, n - 25_000), n),
    ):
        if hi > lo:
            windows[name], refs[name] = window(lo, hi)

    demos = Demonstrations.load(run_dir / "demos.npz")
    val_eps = models.config["method"]["config"]["val_episodes"]
    held_out = demos.split(val_eps)[1] if demos.num_episodes > val_eps else demos
    expert_source = (
        f"{held_out.num_episodes} held-out episodes"
        if demos.num_episodes > val_eps
        else f"the {demos.num_episodes} trained-on episode(s): none held out"
    )
    expert_states = held_out.observations[rng.integers(0, len(held_out.observations), SAMPLE)]
    expert_ref = models.reference(expert_states)
    auc = float(np.mean(expert_ref[:, None] > refs["last 25k"][None, :]))

    q = np.quantile(ref_u, QUANTILES)
    iqr = float(q[QUANTILES.index(0.75)] - q[QUANTILES.index(0.25)])
    low = ref_u <= np.quantile(ref_u, 0.05)
    noise = {}
    for k in sorted({models.run_k, *NOISE_KS}):
        runs = np.stack([models.reward(obs[uniform], k, s) for s in range(NOISE_REPEATS)])
        sd = np.std(runs, axis=0, ddof=1)
        noise[str(k)] = {
            "noise_to_signal": float(np.sqrt(np.mean(sd**2)) / np.std(ref_u)),
            # robust: a typical state's noise against the spread of the middle half of states
            "median_noise_to_iqr": float(np.median(sd) / iqr),
            "corr_single_vs_reference": float(np.mean([np.corrcoef(r, ref_u)[0, 1] for r in runs])),
        }
    shapes = scale_shapes(models, obs, to_end, uniform)
    return {
        "scales": shapes,
        "run": str(run_dir),
        "label": run_dir.name,
        "env_steps": models.progress["step"],
        "buffer_size": n,
        "fifo_capacity": models.fifo_capacity,
        "run_k": models.run_k,
        "linear": models.net.linear,
        "expert_states": expert_source,
        "expert_reward_z": scaled(expert_ref),
        "auc_expert_vs_last25k": auc,
        "quantiles_z": {
            str(p): float((v - mean_u) / std_u) for p, v in zip(QUANTILES, q, strict=True)
        },
        # how much of SAC's standardised scale the middle half of the states spans
        "iqr_over_std": iqr / std_u,
        "spearman_reward_vs_true": spearman(ref_u, true_r[uniform]),
        # what the outliers are: the true reward of the lowest 5% of rewards vs the other 95%
        "true_reward_lowest5": float(true_r[uniform][low].mean()),
        "true_reward_other95": float(true_r[uniform][~low].mean()),
        "slices": slices,
        "windows": windows,
        "noise": noise,
    }


def to_markdown(results: list[dict], note: str) -> str:
    lines = ["# Reward diagnosis", ""]
    if note:
        lines += [note, ""]
    lines += [
        "Rewards are the K = 500 reference, as (mean - buffer mean) / buffer std: the units of "
        "SAC's per-batch standardisation. True reward: the environment's, per step.",
        "",
        "| run | steps | expert z | last 25k z | in FIFO z | older z | AUC expert vs last 25k "
        "| Spearman(reward, true) | noise/signal K=run | corr K=run |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        w = r["windows"]
        k = r["noise"][str(r["run_k"])]

        def z(name: str, w: dict = w) -> str:
            return f"{w[name]['reward_z']:+.2f}" if name in w else "-"

        lines.append(
            f"| {r['label']} | {r['env_steps']} | {r['expert_reward_z']:+.2f} | {z('last 25k')} "
            f"| {z('in FIFO')} | {z('older than FIFO')} | {r['auc_expert_vs_last25k']:.2f} "
            f"| {r['spearman_reward_vs_true']:+.2f} | {k['noise_to_signal']:.2f} "
            f"| {k['corr_single_vs_reference']:.2f} |"
        )
    lines += [
        "",
        "The distribution of the reward over the buffer (z units), and the share of SAC's scale "
        "that the middle half of the states spans (IQR / std), and the mean true reward of the "
        "states with the lowest 5% of rewards against the other 95%:",
        "",
        "| run | "
        + " | ".join(f"q{round(100 * p)}" for p in QUANTILES)
        + " | IQR/std | true r, lowest 5% | true r, other 95% |",
        "|---|" + "---:|" * (len(QUANTILES) + 3),
    ]
    for r in results:
        qs = " | ".join(f"{v:+.2f}" for v in r["quantiles_z"].values())
        lines.append(
            f"| {r['label']} | {qs} | {r['iqr_over_std']:.3f} | {r['true_reward_lowest5']:.3f} "
            f"| {r['true_reward_other95']:.3f} |"
        )
    lines += [
        "",
        "What each per-batch scale makes of the same reference rewards (a uniform sample of the "
        "buffer standardised as one batch; the agent's units, target std 0.1): the share the "
        f"robust scale clips, the mean reward of the states at most {PRE_FALL} steps before a "
        "fall and of the others, and the absorbing state's reward after the agent's clip to "
        "the batch's mean -+ one std (unclipped in brackets):",
        "",
        "| run | scale | robust clip (std units) | clipped low / high | pre-fall share "
        "| pre-fall mean | other mean | gap in IQRs of the others | absorbing |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        sh = r["scales"]
        lo, hi = sh["robust_clip_in_std_units"]
        for scale in SCALES:
            row = sh[scale]
            pre = "-" if row["pre_fall"] is None else f"{row['pre_fall']:+.3f}"
            gap = "-" if row.get("fall_gap_iqr") is None else f"{row['fall_gap_iqr']:.2f}"
            absorbing = (
                f"{row['absorbing']:+.3f} ({row['absorbing_raw']:+.2f})"
                if "absorbing" in row
                else "-"
            )
            lines.append(
                f"| {r['label']} | {scale} | {lo:+.2f} / {hi:+.2f} "
                f"| {row['clipped_low']:.3f} / {row['clipped_high']:.3f} "
                f"| {sh['pre_fall_share']:.3f} | {pre} | {row['other']:+.3f} | {gap} "
                f"| {absorbing} |"
            )
    for r in results:
        lines += [
            "",
            f"## {r['label']} ({r['run']}), by age of the states",
            "",
            f"Expert states: {r['expert_states']}.",
            "",
            "| steps | reward z | true reward |",
            "|---|---:|---:|",
        ]
        for s in r["slices"]:
            lines.append(
                f"| {s['steps'][0]}-{s['steps'][1]} | {s['reward_z']:+.2f} "
                f"| {s['true_reward']:.3f} |"
            )
        lines += [
            "",
            "| K | noise/signal (RMS / std) | median noise / IQR | corr of one estimate, K=500 |",
            "|---:|---:|---:|---:|",
        ]
        for k, v in r["noise"].items():
            lines.append(
                f"| {k} | {v['noise_to_signal']:.2f} | {v['median_noise_to_iqr']:.2f} "
                f"| {v['corr_single_vs_reference']:.2f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("runs", nargs="+", type=Path, help="SMILING run directories with a checkpoint")
    p.add_argument("--name", default="", help="suffix of the output files")
    note_arg(p)
    args = p.parse_args()
    # One generator per run, so a run's numbers do not depend on the others listed with it.
    results = [diagnose(run.resolve(), np.random.default_rng(0)) for run in args.runs]
    stem = HOME / ("reward_diagnosis" + (f"_{args.name}" if args.name else ""))
    payload = {"provenance": provenance(), "note": args.note, "results": results}
    stem.with_suffix(".json").write_text(json.dumps(payload, indent=2) + "\n")
    stem.with_suffix(".md").write_text(to_markdown(results, args.note))
    print(stem.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
