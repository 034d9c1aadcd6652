"""The diffusion package's settings: the score network's shape and the reward estimator's.

Kept apart from the modules that use them (:mod:`~smiling.diffusion.score_net`,
:mod:`~smiling.diffusion.reward`, which re-export them) because they import no JAX: SMILING's
config (:mod:`smiling.algos.smiling_config`) nests them, and the command line checks a run's
settings (``--set net.hidden=64``, ``--set reward.scale=robust``) before JAX is imported.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from smiling.config import SCALES, check_activation
from smiling.errors import SmilingError

WEIGHTINGS = ("simple", "score")


@dataclasses.dataclass(frozen=True)
class ScoreNetConfig:
    """Architecture of a score network. Frozen (hashable) so it can be a static jit argument.

    ``linear=True`` is the paper's linear ablation: every activation, the time branch's included,
    is removed, so the output is affine in ``x_t`` and in the sinusoidal features of ``t``.

    ``residual=True`` makes the trunk ``depth`` pre-LayerNorm residual blocks after the first
    layer (:class:`~smiling.diffusion.score_net.ResidualBlock`) instead of ``depth - 1`` more
    plain layers; it cannot be combined with ``linear`` (the LayerNorm is not affine).
    Parameters, at input dim ``d`` and the default time branch (1072 parameters): the plain MLP
    has ``1072 + (d + 16) H + H + (depth - 1)(H^2 + H) + H d + d``; the residual one ``1072 +
    (d + 16) H + H + depth (2 H^2 + 4 H) + H d + d``. On cheetah-run (d = 17, H = 256): MLP 256x1
    14,145, MLP 256x2 79,937, residual 256x2 278,337 (3.5 times the MLP 256x2: two H x H layers
    per block instead of one per layer).
    """

    hidden: int = 256
    depth: int = 1
    temb_dim: int = 16
    temb_hidden: int = 32
    linear: bool = False
    activation: str = "leaky_relu"
    # Runs recorded before the residual trunk existed had the plain MLP.
    residual: bool = dataclasses.field(default=False, metadata={"unrecorded": False})

    def __post_init__(self) -> None:
        check_activation(self.activation)
        if self.depth < 1 or self.hidden < 1 or self.temb_hidden < 1:
            raise SmilingError("a score network needs depth, hidden and temb_hidden >= 1")
        if self.residual and self.linear:
            raise SmilingError(
                "a score network cannot be both residual and linear: the residual blocks' "
                "LayerNorm is not affine"
            )
        if self.temb_dim < 2 or self.temb_dim % 2:
            raise SmilingError(f"temb_dim must be even and >= 2, got {self.temb_dim}")

    def act(self, x: Any) -> Any:
        """The configured nonlinearity, or the identity for the linear ablation (called while
        a network is traced, so JAX is loaded by then)."""
        from smiling.nn import ACTIVATIONS

        return x if self.linear else ACTIVATIONS[self.activation](x)


class RewardConfigError(SmilingError, ValueError):
    """A reward-estimator setting is out of range or inconsistent."""


@dataclasses.dataclass(frozen=True)
class RewardConfig:
    """Settings of the reward estimator. Frozen (hashable): it is static under ``jit``.

    num_timesteps: K, evaluations per state (grid timesteps x noise signs).
    antithetic: use a K/2 grid and both ``+eps`` and ``-eps`` at the SAME timestep; the pair's
        errors are negatively correlated, which lowers the noise at equal cost (pairing across
        adjacent timesteps measured no gain when the project was planned).
    weighting: ``'simple'`` (w = 1, the reference implementation's DDPM loss) or ``'score'``
        (w = 1 / sigma_t^2, the theory's DS divergence on true score differences).
    normalize: per batch ``(r - mean) / (std + 1e-6) * target_std`` as the reference (population
        std, ``target_std`` 0.1).
    scale: how ``normalize`` measures the batch: ``'std'`` (mean and std, the reference) or
        ``'robust'`` (median and IQR / 1.349, the std of a normal with that IQR, then clipped
        to ``ROBUST_CLIP`` of those units; :func:`smiling.rewards.normalize_rewards`) or
        ``'robust-log'`` (the same with a logarithmic tail past ``ROBUST_CLIP``). On
        cheetah-run the MLP score models' reward is heavy-tailed: a few far-off states get very
        negative rewards, and the std they inflate leaves the middle half of the states 0.09 std
        apart
        (benchmarks/results/reward_diagnosis/reward_diagnosis_cheetah.md); the robust scale gives
        the bulk its spread.
    target_std: the std of the normalised rewards; 0.1 is the reference's, tuned for SAC (whose
        temperature adapts to any scale). DreamerV3 divides its returns by ``max(1, S)``, ``S``
        their 5th-95th percentile range, so returns whose range is below 1 are not scaled up and
        its fixed entropy bonus weighs that much more against them: the knob to measure that with.
    chunk_size: grid timesteps per tile in :func:`fast_reward`; 0 picks it so that a tile has
        about ``TILE_ROWS`` rows (timesteps x signs x states). Never changes the values.
    block_size: states per tile in :func:`fast_reward`; 0 means ``min(B, TILE_ROWS / signs)``.
        Never changes the values.
    use_actions: the models see ``[s, a]`` (state-action demonstrations).
    absorbing: the models' inputs end with the absorbing-state indicator
        (:mod:`smiling.termination`); the reward then accepts an ``absorbing`` row mask.
    stratified: shift the whole grid by one random offset in ``[0, T // G)`` per call (shared by
        the batch, so per-timestep precomputation still applies). The fixed grid is a biased
        G-point quadrature of the average over all T timesteps, badly so for small K where most
        grid points sit in the pure-noise range; the shifted grid is unbiased for every state
        and keeps the stratification (measured on Pendulum, K = 8: correlation with the K = 500
        reference 0.69 for one estimate vs 0.64 fixed, and the fixed grid's bias does not
        average out over batches while the shifted grid's noise does).
    """

    num_timesteps: int = 500
    antithetic: bool = False
    weighting: str = "simple"
    normalize: bool = True
    chunk_size: int = 0
    use_actions: bool = False
    stratified: bool = False
    block_size: int = 0
    absorbing: bool = False
    scale: str = "std"
    target_std: float = 0.1

    def __post_init__(self) -> None:
        if self.num_timesteps < 1:
            raise RewardConfigError(f"num_timesteps must be >= 1, got {self.num_timesteps}")
        if self.antithetic and self.num_timesteps % 2:
            raise RewardConfigError(
                f"antithetic sampling needs an even num_timesteps, got {self.num_timesteps}"
            )
        if self.weighting not in WEIGHTINGS:
            raise RewardConfigError(
                f"unknown weighting '{self.weighting}'; choose one of {list(WEIGHTINGS)}"
            )
        if self.scale not in SCALES:
            raise RewardConfigError(f"unknown scale '{self.scale}'; choose one of {list(SCALES)}")
        if not self.target_std > 0:
            raise RewardConfigError(f"target_std must be > 0, got {self.target_std}")
        if self.chunk_size < 0 or self.block_size < 0:
            raise RewardConfigError(
                f"chunk_size and block_size must be >= 0 (0: automatic), got {self.chunk_size} "
                f"and {self.block_size}"
            )

    @property
    def grid_size(self) -> int:
        """Distinct timesteps per state: K, or K/2 when each is used with both noise signs."""
        return self.num_timesteps // 2 if self.antithetic else self.num_timesteps

    @property
    def signs(self) -> tuple[float, ...]:
        return (1.0, -1.0) if self.antithetic else (1.0,)

    def replace(self, **changes: Any) -> RewardConfig:
        return dataclasses.replace(self, **changes)
