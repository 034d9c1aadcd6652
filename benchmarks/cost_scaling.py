"""What does score matching cost as the state grows? Time per call vs state dimension d.

Usage: python benchmarks/cost_scaling.py [--quick] [--note TEXT]
Full grid, on one core (the command the results were made with is in their JSON):
    XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \\
        taskset -c 1 .venv/bin/python benchmarks/cost_scaling.py

For d in {8, 16, ..., 1024} (``--dims``) it times, on random inputs and freshly initialised
networks (the cost of a dense network does not depend on the values it computes with):

* ``reward K=..``: one call of the SMILING reward (``make_reward_fn`` -> ``fast_reward``,
  jitted, batch 256 as SAC relabels it) for K in {4, 8, 32, 500} (``--ks``): the fast preset's
  reward settings (stratified grid) with ``num_timesteps = K``, and for K = 500 the paper
  preset's (fixed grid). A (d, K) whose noise draws exceed the generator's counters
  (``check_noise_budget``) is recorded as skipped, with the reason;
* ``score step``: one AdamW step of a score model (``ScoreModel.train_steps``, batch 1024 as
  ``score_batch``), timed as calls of ``--train-steps`` steps in one ``lax.scan``, divided;
* ``DAC disc step``: one step of DAC's discriminator (``DiscriminatorModel.train_steps``, 1024
  learner + 1024 expert rows, gradient penalty included), timed the same way;
* ``DAC reward``: one call of DAC's reward (``make_dac_reward_fn``, batch 256);
* ``SAC update``: one SAC update (fast preset: 256x2, batch 256; obs_dim = d, act_dim = 6)
  without a reward hook, the RL update every other part accompanies.

Networks are the presets' defaults (``ScoreNetConfig()``, ``DiscriminatorConfig()``). Each time
is the median over calls after a first, compiling call (``common.time_call``). Per component, the
log-log slope of time vs d is fitted from d = 64 up and set beside the slope of a count of its
dense-layer multiply-adds (``dense_macs``), which is affine in d: a measured slope above that
count's means costs beyond the matmul arithmetic (memory traffic) grow faster than d.

Writes benchmarks/results/cost_scaling/cost_scaling.{json,md,png}; ``--quick`` (d in {8, 64, 128}, K
= 8, short timing) writes cost_scaling_quick.* instead, to check the script.
"""

from __future__ import annotations

import os

# One core: XLA's CPU backend would otherwise spread matmuls over every core. Set before JAX
# loads; an XLA_FLAGS given by the caller is kept (and recorded).
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from common import provenance, results_dir, time_call  # noqa: E402

from smiling.algos.dac import DAC_PRESETS  # noqa: E402
from smiling.algos.discriminator import DiscriminatorModel, make_dac_reward_fn  # noqa: E402
from smiling.algos.smiling import SMILING_PRESETS  # noqa: E402
from smiling.diffusion import RewardConfigError, ScoreModel, make_reward_fn  # noqa: E402
from smiling.diffusion.reward import check_noise_budget  # noqa: E402
from smiling.rl.sac import PRESETS as SAC_PRESETS  # noqa: E402
from smiling.rl.sac import SAC  # noqa: E402

RESULTS = results_dir("cost_scaling")  # where its results go (common.results_dir)
DIMS = (8, 16, 32, 64, 128, 256, 512, 1024)
KS = (4, 8, 32, 500)
QUICK_DIMS, QUICK_KS = (8, 64, 128), (8,)
ACT_DIM = 6  # as dmc:cheetah-run
REWARD_BATCH = 256  # SAC's fast-preset batch, which the reward relabels
SLOPE_FROM = 64  # slopes are fitted over d >= SLOPE_FROM
FAST, PAPER = SMILING_PRESETS["fast"], SMILING_PRESETS["paper"]
DAC = DAC_PRESETS["fast"]
SAC_CONFIG = SAC_PRESETS["fast"]
NET = FAST.net  # ScoreNetConfig() in every non-debug preset
DISC_NET = DAC.net  # DiscriminatorConfig()
SCORE_BATCH = FAST.score_batch  # 1024
DISC_BATCH = DAC.batch_size  # 1024


def reward_config(k: int):
    """The paper preset's reward at its K = 500; otherwise the fast preset's with K timesteps."""
    return PAPER.reward if k == PAPER.reward.num_timesteps else FAST.reward.replace(num_timesteps=k)


# ------------------------------------------------------------------------------ measurements
def time_reward(d: int, k: int, timing: dict) -> dict:
    config = reward_config(k)
    model = ScoreModel(d, NET, lr=FAST.score_lr)
    expert = model.init(jax.random.PRNGKey(0)).params
    learner = model.init(jax.random.PRNGKey(1)).params
    reward = make_reward_fn(expert, learner, config, NET, model.schedule)
    rng = np.random.default_rng(d)
    states = jnp.asarray(rng.normal(size=(REWARD_BATCH, d)), jnp.float32)
    actions = jnp.zeros((REWARD_BATCH, ACT_DIM), jnp.float32)
    # The Partial is an argument, as in SAC's jitted update: its parameters are traced inputs.
    call = jax.jit(lambda fn, s, a, key: fn(s, a, key))
    return time_call(call, reward, states, actions, jax.random.PRNGKey(2), **timing)


def time_score_step(d: int, steps: int, timing: dict) -> dict:
    model = ScoreModel(d, NET, lr=FAST.score_lr)
    state = model.init(jax.random.PRNGKey(0))
    rng = np.random.default_rng(d)
    batches = jnp.asarray(rng.normal(size=(steps, SCORE_BATCH, d)), jnp.float32)
    # Every call starts from the same state: the cost of a step does not depend on it.
    return time_call(model.train_steps, state, batches, jax.random.PRNGKey(1), **timing)


def time_disc_step(d: int, steps: int, timing: dict) -> dict:
    model = DiscriminatorModel(
        d, DISC_NET, lr=DAC.lr, weight_decay=DAC.weight_decay, gp_weight=DAC.gp_weight
    )
    state = model.init(jax.random.PRNGKey(0))
    rng = np.random.default_rng(d)
    learner = jnp.asarray(rng.normal(size=(steps, DISC_BATCH, d)), jnp.float32)
    expert = jnp.asarray(rng.normal(1.0, size=(steps, DISC_BATCH, d)), jnp.float32)
    return time_call(model.train_steps, state, learner, expert, jax.random.PRNGKey(1), **timing)


def time_dac_reward(d: int, timing: dict) -> dict:
    model = DiscriminatorModel(d, DISC_NET)
    params = model.init(jax.random.PRNGKey(0)).params
    reward = make_dac_reward_fn(params, DISC_NET, DAC.reward_style, DAC.normalize_reward)
    rng = np.random.default_rng(d)
    states = jnp.asarray(rng.normal(size=(REWARD_BATCH, d)), jnp.float32)
    actions = jnp.zeros((REWARD_BATCH, ACT_DIM), jnp.float32)
    call = jax.jit(lambda fn, s, a, key: fn(s, a, key))
    return time_call(call, reward, states, actions, jax.random.PRNGKey(2), **timing)


def time_sac_update(d: int, timing: dict) -> dict:
    sac = SAC(d, ACT_DIM, SAC_CONFIG)
    state = sac.init(jax.random.PRNGKey(0))
    rng = np.random.default_rng(d)
    b = SAC_CONFIG.batch_size
    batch = {
        "obs": jnp.asarray(rng.normal(size=(b, d)), jnp.float32),
        "actions": jnp.asarray(rng.uniform(-1, 1, (b, ACT_DIM)), jnp.float32),
        "rewards": jnp.asarray(rng.normal(size=b), jnp.float32),
        "next_obs": jnp.asarray(rng.normal(size=(b, d)), jnp.float32),
        "terminated": jnp.zeros(b, jnp.float32),
    }
    return time_call(sac.update, state, batch, jax.random.PRNGKey(1), **timing)


# --------------------------------------------------------------------- dense-layer work model
def score_net_macs(d: int) -> int:
    """Multiply-adds of one score-network forward pass on one input (time branch included)."""
    c = NET
    time_branch = c.temb_dim * c.temb_hidden + c.temb_hidden * c.temb_dim
    hidden = (c.depth - 1) * c.hidden * c.hidden
    return time_branch + (d + c.temb_dim) * c.hidden + hidden + c.hidden * d


def dense_macs(component: str, d: int, k: int | None = None) -> int:
    """Multiply-adds of the dense layers in one call (a backward pass counted as twice its
    forward); affine in d. Element-wise work (activations, the noise hash and inverse erf, the
    optimisers) is left out: it is what makes the measured slopes differ from this count's."""
    h = NET.hidden
    if component == "reward":
        config = reward_config(k)
        g, n = config.grid_size, config.num_timesteps
        # s @ w_x once per state; eps @ w_x once per (state, grid timestep), both models fused;
        # the output layer H x d of both models per (state, evaluation); the time bias per slot.
        per_state = d * 2 * h + g * d * 2 * h + n * 2 * h * d
        time_bias = g * 2 * (NET.temb_dim * NET.temb_hidden * 2 + NET.temb_dim * h)
        return REWARD_BATCH * per_state + time_bias
    if component == "score step":
        return 3 * SCORE_BATCH * score_net_macs(d)
    hd, depth = DISC_NET.hidden, DISC_NET.depth
    disc_fwd = d * hd + (depth - 1) * hd * hd + hd
    if component == "DAC disc step":
        # BCE on learner and expert rows (forward + backward), and the gradient penalty:
        # an input gradient (2 forwards) differentiated again by the parameters (x 3).
        return 3 * 2 * DISC_BATCH * disc_fwd + 6 * DISC_BATCH * disc_fwd
    if component == "DAC reward":
        return REWARD_BATCH * disc_fwd
    if component == "SAC update":
        widths = SAC_CONFIG.hidden
        inner = sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=True))
        actor = d * widths[0] + inner + widths[-1] * 2 * ACT_DIM
        critic = 2 * ((d + ACT_DIM) * widths[0] + inner + widths[-1])  # the double critic
        # Target value: actor + target critic forward on next_obs; critic loss: forward +
        # backward; actor loss: actor forward + backward, critic forward + backward to the action.
        return SAC_CONFIG.batch_size * (actor + critic + 3 * critic + 3 * actor + 2 * critic)
    raise ValueError(component)


def loglog_slope(dims: list[int], values: list[float]) -> float | None:
    """Least-squares slope of log(value) against log(d) over d >= SLOPE_FROM."""
    pts = [(math.log(d), math.log(v)) for d, v in zip(dims, values, strict=True) if d >= SLOPE_FROM]
    if len(pts) < 2:
        return None
    x, y = np.array(pts).T
    return float(np.polyfit(x, y, 1)[0])


# ------------------------------------------------------------------------------------ report
def component_series(rows: list[dict]) -> dict[str, tuple[list[int], list[float], int | None]]:
    """``{label: (dims, ms, K)}`` of the measured (not skipped) rows, in measurement order."""
    series: dict[str, tuple[list[int], list[float], int | None]] = {}
    for row in rows:
        if "ms_median" not in row:
            continue
        dims, ms, _ = series.setdefault(row["label"], ([], [], row.get("K")))
        dims.append(row["d"])
        ms.append(row["ms_median"])
    return series


def slope_table(series: dict) -> list[dict]:
    out = []
    for label, (dims, ms, k) in series.items():
        component = label.split(" K=")[0]
        model = [dense_macs(component, d, k) for d in dims]
        measured, counted = loglog_slope(dims, ms), loglog_slope(dims, model)
        local = [
            {
                "from_d": a,
                "to_d": b,
                "slope": round(math.log(tb / ta) / math.log(b / a), 3),
            }
            for (a, ta), (b, tb) in zip(
                zip(dims[:-1], ms[:-1], strict=True),
                zip(dims[1:], ms[1:], strict=True),
                strict=True,
            )
        ]
        out.append(
            {
                "label": label,
                "slope_measured": None if measured is None else round(measured, 3),
                "slope_dense_macs": None if counted is None else round(counted, 3),
                "local_slopes": local,
            }
        )
    return out


def verdict(row: dict) -> str:
    s, m = row["slope_measured"], row["slope_dense_macs"]
    if s is None:
        return f"too few points at d >= {SLOPE_FROM}"
    if s > 1.05:
        return "faster than linear, unlike its dense arithmetic (see below)"
    if s >= 0.95:
        return "about linear: the layers whose size is proportional to d dominate"
    if m is not None and s < m - 0.1:
        return "sublinear, below the count: fixed per-call work (dispatch, element-wise) dominates"
    return "sublinear: fixed work (layers not touching d) still weighs"


WHY = """\
How to read the slopes. No network here has a layer whose size grows faster than d. The score
network (hidden 256, depth 1) has exactly two layers that touch d, its first layer's x rows
(d x 256) and its output layer (256 x d), and no hidden x hidden layer, so its dense work is
almost all proportional to d. The discriminator has one d x 256 layer before fixed ones. SAC's
actor and critics have a d x 256 first layer beside fixed 256 x 256 layers and heads: their work
is a fixed part plus a d part, so SAC's slope starts well below 1 at small d and rises towards 1
as the first layer takes over. The reward estimator adds element-wise work per call that is also
proportional to d: B x G x d fresh normals (a counter hash and an inverse erf each; G = K grid
timesteps without antithetic pairs) and B x K x d squared errors per model; it is linear in K
too. The dense-MAC count's slope is therefore at most 1. A measured slope above 1 (and above the
count's) is not explained by arithmetic; the likely cause is memory traffic growing faster than
d once the working set leaves the caches. For the reward, that working set is the fused
first-layer kernel (d x 2H floats: 2 MiB at d = 1024, both models) and each tile's (rows x d)
noise, prediction and error arrays (a tile of TILE_ROWS = 256 rows was sized for the 2H-wide
hidden arrays that dominate at small d); for the score and discriminator steps it is the batch
of 1024 x d inputs and their gradients. The local slopes show from which d on. A slope below the
count's means fixed per-call work still weighs: dispatch, the 2H-wide activations, the time
branch, the optimiser's element-wise updates."""


def fmt_ms(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.3g}" if v < 100 else f"{v:.0f}"


def write_markdown(payload: dict, path: Path) -> None:
    rows, settings = payload["results"], payload["settings"]
    series = component_series(rows)
    labels = list(series)
    dims = sorted({r["d"] for r in rows})
    ms = {(r["label"], r["d"]): r.get("ms_median") for r in rows}
    pairs = list(zip(dims[:-1], dims[1:], strict=True))
    lines = [
        "# Cost of score matching vs state dimension",
        "",
        f"Made by `{payload['command']}` on {payload['date']} "
        f"({payload['machine']['cpu']}, {payload['machine']['cores']} cores; one used: "
        f"XLA_FLAGS `{settings['xla_flags']}`, CPU affinity {settings['cpu_affinity']}). "
        f"Load average at start / end: {payload['load_average_start']} / "
        f"{payload['load_average_end']}. Total wall time {payload['wall_seconds']:.0f} s.",
        "",
    ]
    if payload.get("note"):
        lines += [f"Note: {payload['note']}", ""]
    lines += [
        "Milliseconds per call (median over calls after a compiling one). The reward is one "
        f"batch of {REWARD_BATCH} states; the score and discriminator steps are one AdamW step "
        f"on a batch of {SCORE_BATCH} (discriminator: {DISC_BATCH} learner + {DISC_BATCH} "
        "expert rows); the SAC update is the fast preset's "
        f"({'x'.join(map(str, SAC_CONFIG.hidden))}, batch {SAC_CONFIG.batch_size}, "
        f"act_dim {ACT_DIM}), obs_dim = d. Reward K = 500 is the paper preset's setting, "
        "the others the fast preset's with num_timesteps = K.",
        "",
        "| d | " + " | ".join(labels) + " |",
        "|---:|" + "---:|" * len(labels),
    ]
    for d in dims:
        lines.append(f"| {d} | " + " | ".join(fmt_ms(ms.get((lab, d))) for lab in labels) + " |")
    skipped = [r for r in rows if "skipped" in r]
    if skipped:
        lines += ["", "Skipped:", ""]
        lines += [f"- {r['label']}, d = {r['d']}: {r['skipped']}" for r in skipped]

    sac = {d: ms.get(("SAC update", d)) for d in dims}
    if any(sac.values()):
        others = [lab for lab in labels if lab != "SAC update"]
        lines += [
            "",
            "## Beside the SAC update",
            "",
            "Each component's time divided by one SAC update's at the same d.",
            "",
            "| d | " + " | ".join(others) + " |",
            "|---:|" + "---:|" * len(others),
        ]
        for d in dims:
            cells = []
            for lab in others:
                v = ms.get((lab, d))
                cells.append("-" if v is None or not sac[d] else f"{v / sac[d]:.3g}")
            lines.append(f"| {d} | " + " | ".join(cells) + " |")

        per_step = payload["per_env_step"]
        if per_step:
            fast_k = FAST.reward.num_timesteps
            lines += [
                "",
                "## Per environment step (fast presets)",
                "",
                f"SMILING = SAC update + reward (K = {fast_k}, computed inside that update) + "
                f"{settings['score_steps_per_update']} score steps every "
                f"{settings['score_update_every']} env steps; DAC = SAC update + DAC reward + "
                f"{settings['disc_steps_per_update']} discriminator steps every "
                f"{settings['disc_update_every']} env steps (sums of the separate timings, in "
                "ms; the ratios are over plain SAC).",
                "",
                "| d | SAC | SMILING | DAC | SMILING / SAC | DAC / SAC |",
                "|---:|---:|---:|---:|---:|---:|",
            ]
            for row in per_step:
                lines.append(
                    f"| {row['d']} | {fmt_ms(row['sac_ms'])} | {fmt_ms(row['smiling_ms'])} | "
                    f"{fmt_ms(row['dac_ms'])} | {row['smiling_over_sac']:.3g} | "
                    f"{row['dac_over_sac']:.3g} |"
                )

    lines += [
        "",
        "## Growth with d",
        "",
        f"Log-log slope of time vs d, least squares over d >= {SLOPE_FROM} (1: linear), beside "
        "the slope of the component's dense-layer multiply-add count over the same d "
        "(`dense_macs` in the script: affine in d, backward = 2 x forward).",
        "",
        "| component | slope (measured) | slope (dense MACs) | reading |",
        "|---|---:|---:|---|",
    ]
    for row in payload["slopes"]:
        s, m = row["slope_measured"], row["slope_dense_macs"]
        lines.append(
            f"| {row['label']} | {'-' if s is None else f'{s:.2f}'} | "
            f"{'-' if m is None else f'{m:.2f}'} | {verdict(row)} |"
        )
    fitted = [r for r in payload["slopes"] if r["slope_measured"] is not None]
    faster = [r["label"] for r in fitted if r["slope_measured"] > 1.05]
    lines += [
        "",
        "Faster than linear in d (slope > 1.05): "
        + (", ".join(faster) if faster else "none of the components" if fitted else "not fitted")
        + ".",
    ]
    if pairs:
        lines += [
            "",
            "Local slopes between consecutive d (where the growth changes):",
            "",
            "| component | " + " | ".join(f"{a}-{b}" for a, b in pairs) + " |",
            "|---|" + "---:|" * len(pairs),
        ]
    for row in payload["slopes"] if pairs else ():
        local = {(x["from_d"], x["to_d"]): x["slope"] for x in row["local_slopes"]}
        cells = ["-" if (a, b) not in local else f"{local[(a, b)]:.2f}" for a, b in pairs]
        lines.append(f"| {row['label']} | " + " | ".join(cells) + " |")
    lines += ["", WHY, ""]
    path.write_text("\n".join(lines))


def plot(payload: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = component_series(payload["results"])
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    for label, (dims, ms, _) in series.items():
        if label == "SAC update":
            ax.plot(dims, ms, "-", color="black", lw=2.2, marker="s", ms=4, label=label)
        else:
            style = "-" if label.startswith("reward") else "--"
            ax.plot(dims, ms, style, marker="o", ms=3.5, label=label)
    all_dims = sorted({d for dims, _, _ in series.values() for d in dims})
    if len(all_dims) > 1:
        # Slope-1 reference through the geometric mean of all measured times at the middle d.
        lo, hi = all_dims[0], all_dims[-1]
        mid_t = math.exp(np.mean([math.log(v) for _, ms, _ in series.values() for v in ms]))
        mid_d = math.sqrt(lo * hi)
        ref = [mid_t * lo / mid_d, mid_t * hi / mid_d]
        ax.plot([lo, hi], ref, ":", color="grey", lw=2, label="slope 1 (linear in d)")
    ax.set_xscale("log", base=2)
    ax.set_xticks(all_dims, [str(d) for d in all_dims])
    ax.minorticks_off()
    ax.set_yscale("log")
    ax.set_xlabel("state dimension d")
    ax.set_ylabel("ms per call (one core)")
    ax.set_title("Cost vs state dimension (reward: batch 256; steps: batch 1024)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# -------------------------------------------------------------------------------------- main
def per_env_step(rows: list[dict], settings: dict) -> list[dict]:
    ms = {(r["label"], r["d"]): r.get("ms_median") for r in rows}
    fast_label = f"reward K={FAST.reward.num_timesteps}"
    out = []
    for d in sorted({r["d"] for r in rows}):
        sac, rew = ms.get(("SAC update", d)), ms.get((fast_label, d))
        score, disc = ms.get(("score step", d)), ms.get(("DAC disc step", d))
        dac_rew = ms.get(("DAC reward", d))
        if None in (sac, rew, score, disc, dac_rew):
            continue
        smiling = (
            sac + rew + score * settings["score_steps_per_update"] / settings["score_update_every"]
        )
        dac = (
            sac + dac_rew + disc * settings["disc_steps_per_update"] / settings["disc_update_every"]
        )
        out.append(
            {
                "d": d,
                "sac_ms": sac,
                "smiling_ms": smiling,
                "dac_ms": dac,
                "smiling_over_sac": smiling / sac,
                "dac_over_sac": dac / sac,
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="reduced grid, to check the script")
    parser.add_argument("--dims", type=int, nargs="+", help=f"state dimensions (default {DIMS})")
    parser.add_argument("--ks", type=int, nargs="+", help=f"reward K values (default {KS})")
    parser.add_argument(
        "--min-seconds", type=float, help="timed seconds per measurement (default 1.0; quick 0.2)"
    )
    parser.add_argument("--min-calls", type=int, default=3, help="timed calls at least")
    parser.add_argument(
        "--train-steps", type=int, default=10, help="score/discriminator steps per timed call"
    )
    parser.add_argument("--out", help="results stem (default cost_scaling, quick: ..._quick)")
    parser.add_argument("--note", default="", help="conditions (e.g. background load)")
    args = parser.parse_args()
    dims = args.dims or (QUICK_DIMS if args.quick else DIMS)
    ks = args.ks or (QUICK_KS if args.quick else KS)
    min_seconds = args.min_seconds if args.min_seconds is not None else (0.2 if args.quick else 1.0)
    stem = args.out or ("cost_scaling_quick" if args.quick else "cost_scaling")
    timing = {"min_seconds": min_seconds, "min_calls": args.min_calls}
    steps = args.train_steps
    if "intra_op_parallelism_threads=1" not in os.environ.get("XLA_FLAGS", ""):
        print("warning: XLA_FLAGS does not restrict XLA to one thread:", os.environ["XLA_FLAGS"])

    settings = {
        "dims": list(dims),
        "ks": list(ks),
        "reward_batch": REWARD_BATCH,
        "reward_configs": {str(k): dataclasses.asdict(reward_config(k)) for k in ks},
        "score_net": dataclasses.asdict(NET),
        "score_batch": SCORE_BATCH,
        "score_lr": FAST.score_lr,
        "diffusion_steps": FAST.diffusion_steps,
        "discriminator": dataclasses.asdict(DISC_NET),
        "disc_batch": DISC_BATCH,
        "disc_lr": DAC.lr,
        "disc_gp_weight": DAC.gp_weight,
        "dac_reward_style": DAC.reward_style,
        "sac": dataclasses.asdict(SAC_CONFIG),
        "act_dim": ACT_DIM,
        "train_steps_per_call": steps,
        "timing": {**timing, "max_calls": 200, "statistic": "median ms per call, first excluded"},
        "slope_from_d": SLOPE_FROM,
        "score_steps_per_update": max(1, FAST.learner_samples // FAST.score_batch),
        "score_update_every": FAST.learner_update_every,
        "disc_steps_per_update": max(1, min(DAC.learner_samples, DAC.expert_samples) // DISC_BATCH),
        "disc_update_every": DAC.update_every,
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "cpu_affinity": sorted(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else None,
        "jax_backend": jax.default_backend(),
        "data": "random normal inputs, freshly initialised networks (cost is value-independent)",
    }
    load_start = os.getloadavg()
    start = time.perf_counter()
    rows: list[dict] = []

    def record(label: str, d: int, measure, k: int | None = None, per: int = 1) -> None:
        row: dict = {"label": label, "d": d}
        if k is not None:
            row["K"] = k
        try:
            result = measure()
        except RewardConfigError as err:
            row["skipped"] = str(err)
        else:
            if per > 1:
                row["steps_per_call"] = per
            row.update(
                ms_median=round(result["ms_median"] / per, 4),
                ms_min=round(result["ms_min"] / per, 4),
                calls=result["calls"],
                first_call_s=round(result["first_call_s"], 3),
                dense_macs=dense_macs(label.split(" K=")[0], d, k),
            )
        rows.append(row)
        shown = row.get("ms_median", row.get("skipped"))
        print(f"[{time.perf_counter() - start:6.0f} s] {label:14s} d={d:5d} {shown}", flush=True)

    for d in dims:
        record("SAC update", d, lambda d=d: time_sac_update(d, timing))
        for k in ks:
            # Checked before building anything: a (d, K) past the noise budget is not measured.
            def measure(d=d, k=k):
                check_noise_budget(REWARD_BATCH, d, reward_config(k))
                return time_reward(d, k, timing)

            record(f"reward K={k}", d, measure, k=k)
        record("score step", d, lambda d=d: time_score_step(d, steps, timing), per=steps)
        record("DAC disc step", d, lambda d=d: time_disc_step(d, steps, timing), per=steps)
        record("DAC reward", d, lambda d=d: time_dac_reward(d, timing))

    series = component_series(rows)
    payload = {
        **provenance(),
        "note": args.note,
        "quick": args.quick,
        "wall_seconds": round(time.perf_counter() - start, 1),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "settings": settings,
        "results": rows,
        "slopes": slope_table(series),
        "per_env_step": per_env_step(rows, settings),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(payload, indent=2) + "\n")
    write_markdown(payload, RESULTS / f"{stem}.md")
    plot(payload, RESULTS / f"{stem}.png")
    for row in payload["slopes"]:
        measured, counted = row["slope_measured"], row["slope_dense_macs"]
        print(f"slope {row['label']:14s} {measured} (dense MACs {counted})")
    print(f"-> {RESULTS / stem}.{{json,md,png}} in {payload['wall_seconds']:.0f} s")


if __name__ == "__main__":
    main()
