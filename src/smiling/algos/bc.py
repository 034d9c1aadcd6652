"""Behavioural cloning: supervised learning of the expert's actions (needs state-action demos).

The policy is SAC's tanh-Gaussian actor, so BC's policy is evaluated, saved and loaded exactly
like every other learner's. Two losses:

- ``mle``: ``-mean log pi(a_E | s_E)`` under the tanh-Gaussian (the paper's BC, spec section 8);
- ``mse``: ``mean ||tanh(mu(s_E)) - a_E||^2``, the deterministic action the evaluation uses.

BC takes no environment steps: :meth:`BC.learn` counts gradient steps, evaluates the deterministic
policy on the true reward every ``loop.eval_every`` of them and writes the usual run directory.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, ClassVar

import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax

from smiling import interrupt
from smiling.algos.base import MethodLearner, _due
from smiling.config import MethodConfig
from smiling.data.demos import Demonstrations
from smiling.errors import SmilingError
from smiling.progress import Progress
from smiling.runs import RunDir

LOSSES = ("mle", "mse")
_STEPS_PER_CALL = 500  # gradient steps per jit call: bounds the minibatch tensor's size


@dataclasses.dataclass(frozen=True)
class BCConfig(MethodConfig):
    """BC settings; ``sac_preset`` only chooses the actor's architecture."""

    sac_preset: str = "fast"
    loss: str = "mle"
    lr: float = 1e-3
    batch_size: int = 256

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise SmilingError(f"unknown BC loss '{self.loss}'; choose one of {list(LOSSES)}")
        if self.batch_size < 1 or self.lr <= 0:
            raise SmilingError("BC needs batch_size >= 1 and lr > 0")


BC_PRESETS: dict[str, BCConfig] = {
    # The paper's actor (1024x2) with its SAC learning rate and batch.
    "paper": BCConfig(sac_preset="paper", lr=1e-4, batch_size=1024),
    "fast": BCConfig(sac_preset="fast"),
}


class BC(MethodLearner):
    """Behavioural cloning of a tanh-Gaussian actor from state-action demonstrations.

    >>> agent = BC("Pendulum-v1", smiling.bundled_demos("Pendulum-v1"), loss="mle")
    >>> agent.learn(10_000, run_dir="runs/bc-pendulum")  # gradient steps
    """

    algo: ClassVar[str] = "bc"

    presets: ClassVar[dict[str, BCConfig]] = BC_PRESETS

    def _check_demos(self, demos: Demonstrations | None) -> None:
        if demos is None or not demos.has_actions:
            where = "no demonstrations" if demos is None else f"{demos.source} is state-only"
            raise SmilingError(f"BC needs demonstrations with actions ({where})")

    def _setup(self) -> None:
        self.tx = optax.adam(self.config.lr)
        self.opt_state = self.tx.init(self.state.actor_params)
        self.gradient_steps = 0
        self._train = jax.jit(self._train_impl)

    # ------------------------------------------------------------ the method
    def loss(self, actor_params: Any, obs: jax.Array, actions: jax.Array) -> jax.Array:
        """The configured BC loss on one minibatch."""
        if self.config.loss == "mle":
            return -jnp.mean(self.sac.log_prob(actor_params, obs, actions))
        mean, _ = self.sac.actor.apply(actor_params, obs)
        return jnp.mean(jnp.sum((jnp.tanh(mean) - actions) ** 2, axis=-1))

    def _train_impl(self, params, opt_state, obs, actions):
        def step(carry, batch):
            p, o = carry
            loss, grads = jax.value_and_grad(self.loss)(p, *batch)
            updates, o = self.tx.update(grads, o, p)
            return (optax.apply_updates(p, updates), o), loss

        (params, opt_state), losses = jax.lax.scan(step, (params, opt_state), (obs, actions))
        return params, opt_state, losses

    def train_steps(self, steps: int) -> float:
        """``steps`` Adam steps on minibatches drawn with replacement; the mean loss."""
        b, losses = self.config.batch_size, []
        for start in range(0, steps, _STEPS_PER_CALL):
            n = min(_STEPS_PER_CALL, steps - start)
            idx = self.rng.integers(0, len(self.demos.observations), n * b)
            obs = self.demos.observations[idx].reshape(n, b, self.obs_dim)
            actions = self.demos.actions[idx].reshape(n, b, self.act_dim)
            params, self.opt_state, loss = self._train(
                self.state.actor_params, self.opt_state, obs, actions
            )
            self.state = self.state.replace(actor_params=params)
            losses.append(np.asarray(loss))
        self.gradient_steps += steps
        return float(np.mean(np.concatenate(losses)))

    def _learn(self, steps: int, run: RunDir | None, progress: bool | None) -> dict[str, Any]:
        """Train until ``steps`` GRADIENT steps in total; evaluate every ``loop.eval_every``.

        Replaces the environment loop of :class:`Learner`; the run directory, evaluation,
        checkpoints and summary are the shared ones.
        """
        t0 = time.perf_counter() - self.wall_seconds
        bar = Progress(f"bc {self.env_id}", steps, self.gradient_steps, bar=progress)
        every = self.loop.eval_every
        while self.gradient_steps < steps:
            interrupt.check()
            n = min(every - self.gradient_steps % every, steps - self.gradient_steps)
            self.last_metrics["losses/bc"] = self.train_steps(n)
            self.last_metrics["gradient_steps"] = self.gradient_steps
            bar.update(self.gradient_steps)
            self.wall_seconds = time.perf_counter() - t0
            last = self.gradient_steps == steps
            self._evaluate_and_log(run, bar, last)
            if run is not None and (_due(self.gradient_steps, self.loop.checkpoint_every) or last):
                self.save_checkpoint(run.path)
        bar.close()
        self.wall_seconds = time.perf_counter() - t0
        return self._finish(run)

    def summary(self) -> dict[str, Any]:
        return {**super().summary(), "gradient_steps": self.gradient_steps}

    def _curve_step(self) -> int:
        return self.gradient_steps

    # ------------------------------------------------------------ checkpoint
    def _extra_state(self) -> dict[str, bytes]:
        blob = {"opt_state": self.opt_state, "gradient_steps": self.gradient_steps}
        return {"bc": flax.serialization.to_bytes(blob)}

    def _restore_extra(self, blobs: dict[str, bytes]) -> None:
        template = {"opt_state": self.opt_state, "gradient_steps": 0}
        blob = flax.serialization.from_bytes(template, blobs["bc"])
        self.opt_state, self.gradient_steps = blob["opt_state"], int(blob["gradient_steps"])
