"""Behavioural cloning: supervised learning of the expert's actions (needs state-action demos).

The policy is SAC's tanh-Gaussian actor, so BC's policy is evaluated, saved and loaded exactly
like every other learner's. Two losses:

- ``mle``: ``-mean log pi(a_E | s_E)`` under the tanh-Gaussian (the SMILING paper's BC baseline);
- ``mse``: ``mean ||tanh(mu(s_E)) - a_E||^2``, the deterministic action the evaluation uses.

BC takes no environment steps: its step unit is the gradient step (its registry entry says so),
so the shared loop counts them, evaluates the deterministic policy on the true reward every
``loop.eval_every`` of them and writes the usual run directory. Its policy is the SAC agent's
actor (the agent's critic is never trained), so BC drives only that agent.
"""

from __future__ import annotations

from typing import Any

import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax

from smiling import interrupt
from smiling.algos.bc_config import (  # their home: JAX-free, for the command line
    BC_ENTRY,
    BC_PRESETS,  # noqa: F401 - re-exported
    LOSSES,  # noqa: F401 - re-exported
    BCConfig,  # noqa: F401 - re-exported
)
from smiling.algos.persistence import Learner
from smiling.nn import TrainState, scan_steps

_STEPS_PER_CALL = 500  # gradient steps per jit call: bounds the minibatch tensor's size


class BC(Learner, entry=BC_ENTRY):
    """Behavioural cloning of a tanh-Gaussian actor from state-action demonstrations.

    >>> agent = BC("Pendulum-v1", smiling.bundled_demos("Pendulum-v1"), loss="mle")
    >>> agent.learn(10_000, run_dir="runs/bc-pendulum")  # gradient steps
    """

    def setup(self) -> None:
        # An agent that normalises its inputs (SimBa) takes its statistics from the
        # demonstrations: BC never sees any other state.
        self.state = self.agent.observe(self.state, self.demos.observations)
        self.tx = optax.adam(self.config.lr)
        self.opt_state = self.tx.init(self.state.actor_params)
        self.gradient_steps = 0
        self._train = jax.jit(self._train_impl)

    # ------------------------------------------------------------ the method
    def loss(self, actor_params: Any, obs: jax.Array, actions: jax.Array) -> jax.Array:
        """The configured BC loss on one minibatch."""
        if self.config.loss == "mle":
            return -jnp.mean(self.agent.log_prob(actor_params, obs, actions))
        mean, _ = self.agent.actor.apply(actor_params, obs)
        return jnp.mean(jnp.sum((jnp.tanh(mean) - actions) ** 2, axis=-1))

    def _train_impl(self, params, opt_state, obs, actions):
        def loss(p, o, a, _key):
            return self.loss(p, o, a), None

        state = TrainState(params, opt_state, jnp.zeros((), jnp.int32))
        key = jax.random.PRNGKey(0)  # the losses draw nothing
        state, (losses, _) = scan_steps(loss, self.tx, state, (obs, actions), key)
        return state.params, state.opt_state, losses

    def train_steps(self, steps: int) -> float | None:
        """Up to ``steps`` Adam steps on minibatches drawn with replacement; their mean loss
        (``None`` if none were taken).

        After Ctrl-C it returns early, at the end of a jitted chunk: the loop then checkpoints
        there and stops. The chunks start at the same steps whether or not a run was stopped
        and resumed in between, so the resumed run draws the same minibatches."""
        b, losses = self.config.batch_size, []
        for start in range(0, steps, _STEPS_PER_CALL):
            if interrupt.requested():
                break
            n = min(_STEPS_PER_CALL, steps - start)
            idx = self.rng.integers(0, len(self.demos.observations), n * b)
            obs = self.agent.encode(self.state, self.demos.observations[idx])
            obs = np.asarray(obs).reshape(n, b, self.obs_dim)
            actions = self.demos.actions[idx].reshape(n, b, self.act_dim)
            params, self.opt_state, loss = self._train(
                self.state.actor_params, self.opt_state, obs, actions
            )
            self.state = self.state.replace(actor_params=params)
            losses.append(np.asarray(loss))
            self.gradient_steps += n
        return float(np.mean(np.concatenate(losses))) if losses else None

    @property
    def steps_done(self) -> int:
        return self.gradient_steps

    def begin(self, steps: int) -> None:
        """BC takes no environment steps: no replay, no episode."""

    def advance(self, until: int) -> None:
        """Gradient steps until ``until`` in total (the loop ends chunks at its cadences)."""
        loss = self.train_steps(until - self.gradient_steps)
        if loss is not None:
            self.last_metrics["losses/bc"] = loss
        self.last_metrics["gradient_steps"] = self.gradient_steps
        self._bar.update(self.gradient_steps)

    # ------------------------------------------------------------ checkpoint
    def method_state(self) -> dict[str, bytes]:
        blob = {"opt_state": self.opt_state, "gradient_steps": self.gradient_steps}
        return {"bc": flax.serialization.to_bytes(blob)}

    def restore_method_state(self, blobs: dict[str, bytes]) -> None:
        template = {"opt_state": self.opt_state, "gradient_steps": 0}
        blob = flax.serialization.from_bytes(template, blobs["bc"])
        self.opt_state, self.gradient_steps = blob["opt_state"], int(blob["gradient_steps"])
