"""Cost of the score-network and diffusion-process settings of issue 41's step 2, per update.

Usage: python benchmarks/score_variants.py [--rounds N] [--note TEXT]

For each setting (the plain MLP 256x1 with the variance-preserving process, the default; the
MLP 256x2; the residual MLP 256x2, ``net.residual=true net.depth=2``; the MLP 256x1 with the
variance-exploding process, ``process=ve``) on dmc:cheetah-run's input size (17) and the
``fast`` preset's numbers, it times in one process:

* the reward of one SAC update: :func:`fast_reward` on a batch of 256 states at the preset's
  K = 8 (stratified grid), both score models of the setting;
* one learner score-model update: the preset's ``learner_samples // score_batch`` AdamW steps of
  batch ``score_batch`` (97 x 1024) in one jitted call, as SMILING runs every
  ``learner_update_every`` (1001) environment steps; and its share per environment step.

The machine is shared with long experiments at a higher priority, so the settings are measured
interleaved: each round times every setting once (a block of reward calls, one score update), and
the table gives the median over rounds; a load change then shifts all settings alike instead of
one. XLA runs on one thread, as the grid's runs do, and the table gives CPU time (the process's,
``time.process_time``): on the loaded machine wall-clock times of a few-ms call came out bimodal
(11 or 23 ms for the same call, the waits for a time slice), CPU time is what a run on its own
core pays. The JSON keeps the wall-clock medians too. Writes
benchmarks/results/score_variants/score_variants.{json,md}.
"""

from __future__ import annotations

import os

# One core, as the SMILING runs of the grid use (XLA's CPU backend would otherwise spread each
# matmul over both busy cores, and the times came out bimodal). Set before JAX loads; an
# XLA_FLAGS given by the caller is kept (and recorded).
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import functools  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import jax  # noqa: E402
import numpy as np  # noqa: E402
from common import note_arg, provenance, results_dir  # noqa: E402

from smiling.algos.smiling import SMILING_PRESETS, SmilingConfig, smiling_process  # noqa: E402
from smiling.bundled import bundled_demos  # noqa: E402
from smiling.diffusion import ScoreModel, ScoreNetConfig, fast_reward  # noqa: E402

RESULTS = results_dir("score_variants")
ENV = "dmc:cheetah-run"
BATCH = 256
REWARD_CALLS = 30  # reward calls per round and setting (one call is a few ms)
FAST = SMILING_PRESETS["fast"]
SETTINGS: dict[str, SmilingConfig] = {
    "MLP 256x1, VP (default)": FAST,
    "MLP 256x2, VP": FAST.replace(net=ScoreNetConfig(depth=2)),
    "residual 256x2, VP": FAST.replace(net=ScoreNetConfig(depth=2, residual=True)),
    "MLP 256x1, VE": FAST.replace(process="ve"),
}


@dataclasses.dataclass
class Setting:
    """One setting's compiled pieces: models, reward and update functions and their inputs."""

    name: str
    config: SmilingConfig
    model: ScoreModel
    expert: object
    learner: object
    params: int

    def reward(self, states: np.ndarray, key: jax.Array) -> jax.Array:
        """The reward of one SAC update's batch under this setting."""
        return _reward(
            self.expert.params,
            self.learner.params,
            states,
            key,
            self.model.schedule,
            config=self.config.reward,
            net_config=self.config.net,
        )

    def update(self, batches: np.ndarray, key: jax.Array) -> jax.Array:
        """One learner update from the same state (the cost does not depend on which)."""
        _, losses = self.model.train_steps(self.learner, batches, key)
        return losses


@functools.partial(jax.jit, static_argnames=("config", "net_config"))
def _reward(expert, learner, states, key, schedule, *, config, net_config):
    return fast_reward(
        expert, learner, states, None, key, schedule=schedule, config=config, net_config=net_config
    )


def build(name: str, config: SmilingConfig, expert_states: np.ndarray) -> Setting:
    """Score models of ``config``: an expert trained briefly on the demonstrations (so the
    reward's values are those of a trained model; the cost does not depend on them) and a fresh
    learner."""
    dim = expert_states.shape[1]
    model = ScoreModel(dim, config.net, smiling_process(config), lr=config.score_lr)
    expert, _ = model.fit(expert_states, 200, jax.random.PRNGKey(0), batch_size=config.score_batch)
    learner = model.init(jax.random.PRNGKey(1))
    count = sum(int(np.size(p)) for p in jax.tree.leaves(learner.params))
    return Setting(name, config, model, expert, learner, count)


def median(values: list[float]) -> float:
    return float(np.median(values))


def timed(fn, *args) -> tuple[float, float]:
    """``(cpu ms, wall ms)`` of ``fn(*args)``, waited for with ``jax.block_until_ready``."""
    c0, w0 = time.process_time(), time.perf_counter()
    jax.block_until_ready(fn(*args))
    return (time.process_time() - c0) * 1000, (time.perf_counter() - w0) * 1000


def measure(rounds: int) -> dict:
    demos = bundled_demos(ENV)
    expert_states = np.asarray(demos.observations, np.float32)
    rng = np.random.default_rng(0)
    settings = [build(name, cfg, expert_states) for name, cfg in SETTINGS.items()]
    steps = max(1, FAST.learner_samples // FAST.score_batch)
    dim = expert_states.shape[1]
    learner_states = expert_states + rng.normal(0, 0.5, expert_states.shape).astype(np.float32)
    batches = learner_states[rng.integers(0, len(learner_states), steps * FAST.score_batch)]
    batches = batches.reshape(steps, FAST.score_batch, dim)
    states = learner_states[rng.integers(0, len(learner_states), BATCH)]
    for s in settings:  # compile outside the timed rounds
        jax.block_until_ready(s.reward(states, jax.random.PRNGKey(0)))
        jax.block_until_ready(s.update(batches, jax.random.PRNGKey(0)))
    # per setting: (cpu, wall) medians of each round
    reward_ms: dict[str, list[tuple[float, float]]] = {s.name: [] for s in settings}
    update_ms: dict[str, list[tuple[float, float]]] = {s.name: [] for s in settings}
    load = [os.getloadavg()]
    for r in range(rounds):
        for s in settings:
            calls = [
                timed(s.reward, states, jax.random.PRNGKey(1000 * r + i))
                for i in range(REWARD_CALLS)
            ]
            reward_ms[s.name].append((median([c for c, _ in calls]), median([w for _, w in calls])))
            update_ms[s.name].append(timed(s.update, batches, jax.random.PRNGKey(r)))
    load.append(os.getloadavg())
    rows = []
    for s in settings:
        reward = median([c for c, _ in reward_ms[s.name]])
        update = median([c for c, _ in update_ms[s.name]])
        rows.append(
            {
                "setting": s.name,
                "process": s.config.process,
                "net": dataclasses.asdict(s.config.net),
                "parameters": s.params,
                "reward_ms_median": reward,
                "reward_wall_ms_median": median([w for _, w in reward_ms[s.name]]),
                "reward_ms_rounds": [c for c, _ in reward_ms[s.name]],
                "score_update_ms_median": update,
                "score_update_wall_ms_median": median([w for _, w in update_ms[s.name]]),
                "score_update_ms_rounds": [c for c, _ in update_ms[s.name]],
                "adamw_step_ms": update / steps,
                "per_env_step_ms": reward + update / FAST.learner_update_every,
            }
        )
    return {
        "env": ENV,
        "input_dim": dim,
        "batch": BATCH,
        "num_timesteps": FAST.reward.num_timesteps,
        "stratified": FAST.reward.stratified,
        "score_update": {"steps": steps, "batch": FAST.score_batch},
        "learner_update_every": FAST.learner_update_every,
        "rounds": rounds,
        "reward_calls_per_round": REWARD_CALLS,
        "load_average_before_after": load,
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "rows": rows,
    }


def markdown(result: dict) -> str:
    lines = [
        "| setting | parameters | reward CPU ms (B=256, K=8) | score update CPU ms (97 x 1024) | "
        "CPU ms per AdamW step | reward + update per env step (CPU ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['setting']} | {r['parameters']:,} | {r['reward_ms_median']:.2f} | "
            f"{r['score_update_ms_median']:.0f} | {r['adamw_step_ms']:.2f} | "
            f"{r['per_env_step_ms']:.2f} |"
        )
    load = result["load_average_before_after"]
    lines += [
        "",
        f"{result['env']} input size ({result['input_dim']}), the fast preset; medians over "
        f"{result['rounds']} interleaved rounds, XLA on one thread (`{result['xla_flags']}`). "
        f"Load averages {[round(x, 2) for x in load[0]]} -> {[round(x, 2) for x in load[1]]} "
        "(2 cores, shared with long experiments).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=9)
    note_arg(p)
    args = p.parse_args()
    result = {**provenance(), "note": args.note, **measure(args.rounds)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "score_variants.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "score_variants.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
