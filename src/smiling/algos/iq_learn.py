"""IQ-Learn (Garg et al., NeurIPS 2021): inverse soft-Q learning, from the paper's equations.

One soft-Q function ``Q`` stands for both the reward and the policy. With the soft value
``V(s) = E_{a~pi}[Q(s, a) - alpha log pi(a|s)]`` the implicit reward of a transition is
``r(s, a, s') = Q(s, a) - gamma V(s')`` and the critic MAXIMISES

    J(Q) = E_{rho_E}[ phi(Q(s, a) - gamma V(s')) ] - (1 - gamma) E_{rho_0}[ V(s_0) ].

The paper rewrites the initial-state term, for any occupancy ``mu`` of a policy, as
``(1 - gamma) E_{rho_0}[V(s_0)] = E_{(s, s')~mu}[V(s) - gamma V(s')]``, which online is estimated
on replay (and expert) transitions. With the chi^2 divergence, ``phi(x) = x - x^2 / (4 a)``; the
paper recommends chi^2 for online imitation and regularising on expert AND policy samples. So the
loss minimised here is

    L(Q) = -E_E[r] + E_mu[V(s) - gamma V(s')] + c * E_reg[r^2],   c = 1 / (4 a),

with ``mu`` and ``reg`` the expert, policy or mixed samples (``value_on``, ``reg_on``). The actor
and temperature are SAC's (the actor maximises ``min Q - alpha log pi``), so only the critic step
differs from SAC: :class:`IQSAC` reuses SAC's networks, optimisers, actor, temperature and target
update and replaces the Bellman regression with :func:`iq_loss`.

State-only demonstrations are rejected: the expert term needs the expert's action ``a``.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from smiling.algos.iq_learn_config import (  # their home: JAX-free, for the command line
    IQ_ENTRY,
    IQ_PRESETS,  # noqa: F401 - re-exported
    SAMPLES,  # noqa: F401 - re-exported
    IQLearnConfig,
)
from smiling.algos.persistence import Learner
from smiling.data.demos import Demonstrations
from smiling.errors import SmilingError
from smiling.rl.agent import AgentEntry, Batch
from smiling.rl.sac import SAC, SACConfig, SACState


def iq_loss(
    expert: tuple[jax.Array, jax.Array, jax.Array, jax.Array],
    policy: tuple[jax.Array, jax.Array, jax.Array, jax.Array],
    discount: float,
    chi2_weight: float,
    value_on: str = "mixture",
    reg_on: str = "mixture",
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """The IQ-Learn critic loss (to minimise) from per-transition terms.

    ``expert`` and ``policy`` are each ``(Q(s, a), V(s), V(s'), not_done)`` for a set of
    transitions, 1-D arrays. Written on these terms, not on a network, so that it applies to a
    tabular Q as well (the tests check it recovers the optimal soft-Q ordering on a small MDP).
    """
    q_e, v_e, v_e_next, nd_e = expert
    q_p, v_p, v_p_next, nd_p = policy
    r_e = q_e - discount * nd_e * v_e_next  # implicit rewards
    r_p = q_p - discount * nd_p * v_p_next
    value_e = v_e - discount * nd_e * v_e_next
    value_p = v_p - discount * nd_p * v_p_next
    value = {
        "expert": jnp.mean(value_e),
        "policy": jnp.mean(value_p),
        "mixture": jnp.mean(jnp.concatenate([value_e, value_p])),
    }[value_on]
    reg = r_e if reg_on == "expert" else jnp.concatenate([r_e, r_p])
    loss = -jnp.mean(r_e) + value + chi2_weight * jnp.mean(reg**2)
    return loss, {"expert_reward": jnp.mean(r_e), "policy_reward": jnp.mean(r_p), "value": value}


def expert_transitions(demos: Demonstrations) -> dict[str, np.ndarray]:
    """``(s, a, s', terminated)`` within each demonstration episode (its last step has no s').

    Demonstrations end by time limit, so no transition is terminal.
    """
    ends = np.cumsum(demos.episode_lengths) - 1
    keep = np.setdiff1d(np.arange(len(demos.observations)), ends)
    return {
        "obs": demos.observations[keep],
        "actions": demos.actions[keep],
        "next_obs": demos.observations[keep + 1],
        "terminated": np.zeros(len(keep), np.float32),
    }


class IQCritic:
    """Mixin over a SAC-family agent: its critic step becomes IQ-Learn's; the actor, temperature
    and target steps stay the agent's (:func:`iq_agent` builds the class).

    ``update`` takes the replay batch as SAC does; expert transitions (held on the device) are
    sampled inside the jitted update, one expert transition per replay transition. Both are
    seen through the agent's ``encode`` (SimBa's observation normaliser; SAC's identity).
    """

    def __init__(
        self,
        obs_dim: int,
        act_dim: int,
        config: SACConfig,
        iq: IQLearnConfig,
        expert: dict[str, np.ndarray],
    ):
        super().__init__(obs_dim, act_dim, config)
        self.iq = iq
        self.expert = {k: jnp.asarray(v, jnp.float32) for k, v in expert.items()}

    def compile_key(self) -> Hashable | None:
        """The base agent's key and IQ-Learn's config: the expert transitions reach the update
        as an argument, so IQ-Learn runs with the same settings share one compiled update.

        Only for a class :func:`iq_agent` made from a base that keys its own compiled code by
        ``(obs_dim, act_dim, config)`` (SAC, SimBa); any other class keeps its own. Without
        this every IQ-Learn over SimBa (each run, restore and test) compiled its update anew,
        the slowest compile of the test suite.
        """
        cls = type(self)
        base = cls.__bases__[-1]
        made = cls.__bases__ == (IQCritic, base) and iq_agent(base) is cls
        if not made or "compile_key" not in vars(base):
            return None
        return (type(self), self.obs_dim, self.act_dim, self.config, self.iq)

    def update(self, state: SACState, batch: Batch, key: jax.Array, reward_fn=None):
        """One IQ-Learn update; ``reward_fn`` must be None (the reward is implicit in Q)."""
        if reward_fn is not None:
            raise ValueError("IQ-Learn's reward is implicit in its critic; pass no reward_fn")
        return super().update(state, {**batch, "expert": self.expert}, key, None)

    def _update_impl(self, state: SACState, batch: Batch, key, reward_fn):
        cfg, iq = self.config, self.iq
        k_expert, k_value, k_actor = jax.random.split(key, 3)
        n = batch["obs"].shape[0]
        idx = jax.random.randint(k_expert, (n,), 0, batch["expert"]["obs"].shape[0])
        e = self._encoded(state, jax.tree.map(lambda x: x[idx], batch["expert"]))
        p = self._encoded(state, batch)
        alpha = jnp.exp(state.log_alpha)
        states = jnp.concatenate([e["obs"], p["obs"]])
        next_states = jnp.concatenate([e["next_obs"], p["next_obs"]])
        nd_e, nd_p = 1.0 - e["terminated"], 1.0 - p["terminated"]

        def loss_fn(params):
            v = self.soft_value(state.actor_params, params, states, alpha, k_value)
            next_params = state.target_critic_params if iq.use_target else params
            v_next = self.soft_value(state.actor_params, next_params, next_states, alpha, k_value)
            if iq.use_target:
                v_next = jax.lax.stop_gradient(v_next)
            q_e = self.critic.apply(params, e["obs"], e["actions"])
            q_p = self.critic.apply(params, p["obs"], p["actions"])

            def per_head(q_e, q_p, v, v_next):  # each of the two critics is its own Q
                terms_e = (q_e, v[:n], v_next[:n], nd_e)
                terms_p = (q_p, v[n:], v_next[n:], nd_p)
                return iq_loss(
                    terms_e, terms_p, cfg.discount, iq.chi2_weight, iq.value_on, iq.reg_on
                )

            losses, parts = jax.vmap(per_head)(q_e, q_p, v, v_next)
            return jnp.sum(losses), (parts, q_p)

        (c_loss, (parts, q_p)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            state.critic_params
        )
        updates, critic_opt = self.critic_tx.update(grads, state.critic_opt, state.critic_params)
        critic_params = optax.apply_updates(state.critic_params, updates)
        metrics = {
            "losses/critic": c_loss,
            "charts/q_mean": jnp.mean(q_p),
            "charts/reward_mean": jnp.mean(parts["policy_reward"]),
            "charts/expert_reward_mean": jnp.mean(parts["expert_reward"]),
        }
        actor_obs = p["obs"] if iq.actor_states == "policy" else states
        return self.policy_update(state, critic_params, critic_opt, actor_obs, k_actor, metrics)

    def _encoded(self, state: SACState, batch: Batch) -> Batch:
        """``batch`` with its states as the agent's networks see them."""
        return {
            **batch,
            "obs": self.encode(state, batch["obs"]),
            "next_obs": self.encode(state, batch["next_obs"]),
        }


@functools.cache
def iq_agent(base: type[SAC]) -> type:
    """The agent class ``base`` with IQ-Learn's critic step (one class per base, cached)."""
    return type(f"IQ{base.__name__}", (IQCritic, base), {})


IQSAC = iq_agent(SAC)


class IQLearn(Learner, entry=IQ_ENTRY):
    """Inverse soft-Q imitation from state-action demonstrations.

    >>> agent = IQLearn("Pendulum-v1", smiling.bundled_demos("Pendulum-v1"))
    >>> agent.learn(20_000, run_dir="runs/iq-pendulum")
    """

    def build_agent(self, entry: AgentEntry) -> IQCritic:
        """The agent (SAC or SimBa) with IQ-Learn's critic step, holding the expert's
        transitions."""
        expert = expert_transitions(self.demos)
        if len(expert["obs"]) == 0:
            raise SmilingError(f"{self.demos.source}: episodes of one step hold no transitions")
        cls = iq_agent(entry.cls)
        return cls(self.obs_dim, self.act_dim, self.agent_config, self.config, expert)
