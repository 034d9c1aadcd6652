"""DreamerV3's settings, presets and registry entry: everything about the agent but its code
(:mod:`smiling.rl.dreamerv3.agent`, whose class the entry names and which re-exports these names).

Kept apart because this module imports no JAX: the command line builds a run's agent config from
a preset and its ``--set dreamerv3.<field>=...`` overrides, and refuses a bad one, before JAX is
imported.
"""

from __future__ import annotations

import dataclasses

from smiling.config import Config, check_range
from smiling.rl.entry import AgentEntry

# The clipped action's gradient in imagination (smiling.rl.dreamerv3.behavior.sample_action).
CLIP_GRADIENTS = ("straight_through", "exact")


@dataclasses.dataclass(frozen=True)
class DreamerV3Config(Config):
    """DreamerV3's settings; ``PRESETS`` holds the named ones (values: docs/dreamer.md)."""

    deter: int = 1024  # GRU width of h_t
    hidden: int = 640  # width of every MLP layer
    layers: int = 3  # hidden layers of the encoder, decoder, heads, actor and critic
    stoch: int = 32  # categorical latent variables in z_t
    classes: int = 32  # classes of each
    bins: int = 255  # two-hot bins of the reward head and the critic
    unimix: float = 0.01  # uniform mixed into every latent categorical
    batch_size: int = 16  # sequences per train step
    batch_length: int = 64  # steps per sequence
    train_ratio: int = 64  # replayed steps per environment step
    warmup_steps: int = 5000  # random actions before acting and training
    buffer_size: int = 1_000_000  # replay rows
    horizon: int = 15  # imagination steps
    # Posterior states imagination starts from, drawn at random from the batch's; 0: all of
    # them (DreamerV3's). Imagination is most of a train step's cost on a CPU, so fewer starts
    # let the world model train on larger batches at little extra cost
    # (docs/notes/dreamer_cartpole.md, fifth round).
    imag_starts: int = 0
    discount: float = 0.997  # 1 - 1/333
    lam: float = 0.95  # lambda of the returns
    free_nats: float = 1.0  # free bits of the KL losses
    dyn_scale: float = 0.5
    rep_scale: float = 0.1
    wm_lr: float = 1e-4
    wm_eps: float = 1e-8
    wm_clip: float = 1000.0
    ac_lr: float = 3e-5  # the actor's
    # The critic's own learning rate: how fast values propagate (docs/notes/dreamer_cartpole.md).
    critic_lr: float = 3e-5
    ac_eps: float = 1e-5
    ac_clip: float = 100.0
    slow_critic_decay: float = 0.98
    slow_reg: float = 1.0  # weight of the critic's regulariser towards the slow critic
    return_scale_decay: float = 0.99
    entropy: float = 3e-4
    actor_grad: str = "backprop"  # or "reinforce"
    # The clipped action's gradient in imagination (behavior.sample_action): "straight_through"
    # or "exact" (the clip's own, zero past the bounds)
    clip_gradient: str = "straight_through"
    min_std: float = 0.1
    max_std: float = 1.0

    def __post_init__(self) -> None:
        """Reject settings no DreamerV3 can run with, naming the field."""
        for name in ("deter", "hidden", "layers", "stoch", "batch_size", "batch_length"):
            check_range(self, name, 1)
        for name in ("classes", "bins"):
            check_range(self, name, 2)
        check_range(self, "train_ratio", 1)
        check_range(self, "horizon", 1)
        check_range(self, "imag_starts", 0, self.batch_size * self.batch_length)
        check_range(self, "warmup_steps", self.batch_length)  # a first window must fit
        check_range(self, "buffer_size", self.batch_length + 1)
        for name in ("unimix", "lam", "slow_critic_decay", "return_scale_decay"):
            check_range(self, name, 0, 1)
        check_range(self, "discount", 0, 1, inclusive=False)
        for name in ("free_nats", "dyn_scale", "rep_scale", "slow_reg", "entropy"):
            check_range(self, name, 0)
        for name in (
            "wm_lr",
            "wm_eps",
            "wm_clip",
            "ac_lr",
            "critic_lr",
            "ac_eps",
            "ac_clip",
            "min_std",
        ):
            check_range(self, name, 0, inclusive=False)
        if self.max_std < self.min_std:
            raise ValueError(f"max_std must be at least min_std, got {self.max_std}")
        if self.actor_grad not in ("backprop", "reinforce"):
            raise ValueError(f"actor_grad must be 'backprop' or 'reinforce', got {self.actor_grad}")
        if self.clip_gradient not in CLIP_GRADIENTS:
            raise ValueError(
                f"clip_gradient must be one of {', '.join(CLIP_GRADIENTS)}, "
                f"got {self.clip_gradient}"
            )


PRESETS: dict[str, DreamerV3Config] = {
    # SMILING's humanoid runs: DreamerV3's "medium" world model (deter 1024, MLPs 3 x 640,
    # 32 x 32 latents), train ratio 64, batches of 16 x 64; every other value the paper's.
    "paper": DreamerV3Config(),
    # The CPU preset, chosen by measurement (docs/dreamer.md): narrower MLPs than the paper's
    # (timing on dmc:cartpole-swingup) and sequences of 16, not 64. At the same train ratio
    # (replayed rows per env step) 16 x 16 batches cost 5x less per train step than 16 x 64 and
    # give 4x the gradient steps: on Pendulum-v1 (true reward) 0.98 normalised at 15k env steps,
    # where 16 x 64 was at 0.23 at 20k. About 0.4 s per train step on one core, one per 8 env
    # steps: ~50 ms per env step.
    "fast": DreamerV3Config(
        deter=256,
        hidden=128,
        layers=2,
        stoch=16,
        classes=16,
        batch_length=16,
        train_ratio=32,
        warmup_steps=2000,
    ),
    # The smallest DreamerV3 that runs every code path in seconds (tests, trying a setup).
    "debug": DreamerV3Config(
        deter=16,
        hidden=16,
        layers=1,
        stoch=4,
        classes=4,
        bins=31,
        batch_size=4,
        batch_length=8,
        train_ratio=8,
        warmup_steps=100,
        horizon=4,
    ),
}


DREAMERV3_ENTRY = AgentEntry(
    name="dreamerv3",
    cls="smiling.rl.dreamerv3.agent:DreamerV3",
    config_type=DreamerV3Config,
    presets=PRESETS,
    summary="DreamerV3: a world model replays sequences, actor and critic learn in imagination",
    title="DreamerV3",
)
