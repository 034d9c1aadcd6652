"""Episode starts: every agent's policy is evaluated, filmed, collected and predicted from a fresh
recurrent state at each episode's start, and never reset inside one.

The contract test runs over every registered agent: the returns of ``evaluate(n)`` must equal
those of ``n`` one-episode evaluations from the same seeds. An agent that carries a latent state
(DreamerV3) fails it when evaluation does not reset that state between episodes; a freshly
initialised agent is enough to show it, so the test needs no training.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

from smiling.algos import LoopConfig
from smiling.algos.rl import TrueReward
from smiling.envs import make_env
from smiling.evaluation import record_episodes, run_episodes
from smiling.experts.collect import collect_demos
from smiling.experts.policy import ExpertPolicy
from smiling.policy import AgentPolicy, stateless
from smiling.rl import registry

ENV = "Pendulum-v1"  # 200-step episodes
LOOP = LoopConfig(eval_every=100, eval_episodes=1)
SEED = 100  # evaluation episode i starts from env seed SEED + i


def make(agent: str) -> TrueReward:
    return TrueReward(ENV, None, preset="debug", seed=3, loop=LOOP, agent=agent)


@pytest.mark.parametrize("agent", list(registry.AGENTS))
def test_evaluate_n_equals_n_one_episode_evaluations(agent):
    learner = make(agent)
    together = learner.evaluate(3, seed=SEED)
    alone = [learner.evaluate(1, seed=SEED + i)[0] for i in range(3)]
    assert together == alone


@pytest.mark.parametrize("agent", list(registry.AGENTS))
def test_predict_with_its_state_and_episode_starts_replays_evaluation(agent):
    """Stepping two episodes through ``predict``, passing its state back and marking the second
    episode's start, takes evaluation's actions: the same returns as ``evaluate(2)``."""
    learner = make(agent)
    env = make_env(ENV)
    returns, state = [], None
    for i in range(2):
        obs, _ = env.reset(seed=SEED + i)
        rewards, start, done = [], True, False
        while not done:
            action, state = learner.predict(obs, state, episode_start=start)
            obs, reward, terminated, truncated, _ = env.step(action)
            rewards.append(reward)
            start, done = False, terminated or truncated
        returns.append(float(np.sum(np.asarray(rewards, np.float32), dtype=np.float64)))
    np.testing.assert_allclose(returns, learner.evaluate(2, seed=SEED), rtol=1e-12)
    if agent == "sac":
        assert state is None  # a feed-forward policy has no state to return


def test_episode_start_resets_only_its_rows():
    """A batch of side-by-side episodes: the rows marked as starting act from the initial
    state, the others continue theirs."""
    learner = make("dreamerv3")
    rng = np.random.default_rng(0)
    first, second = (rng.normal(size=(2, 3)).astype(np.float32) for _ in range(2))
    _, state = learner.predict(first)
    mixed, _ = learner.predict(second, state, episode_start=np.array([True, False]))
    fresh, _ = learner.predict(second)
    carried, _ = learner.predict(second, state, episode_start=np.array([False, False]))
    assert not np.array_equal(fresh, carried)  # the state matters, so the test means something
    np.testing.assert_array_equal(mixed[0], fresh[0])
    np.testing.assert_array_equal(mixed[1], carried[1])
    restarted, _ = learner.predict(second, state, episode_start=True)
    np.testing.assert_array_equal(restarted, fresh)


def test_predict_refuses_deterministic_in_the_state_position():
    """``predict(obs, False)`` meant deterministic=False before predict took a state; now it
    would be read as a state, so it is an error rather than a silent change of meaning."""
    learner = make("sac")
    obs = np.zeros(3, np.float32)
    with pytest.raises(TypeError, match="pass deterministic by name"):
        learner.predict(obs, False)
    action, state = learner.predict(obs, deterministic=False)
    assert action.shape == (1,) and state is None


class Counting:
    """A policy that records the step within its episode at which each call came."""

    def __init__(self) -> None:
        self.step, self.calls = 0, []

    def reset(self) -> None:
        self.step = 0

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        self.calls.append(self.step)
        self.step += 1
        return np.zeros(1, np.float32)


def test_record_episodes_resets_the_policy_at_each_episode_start():
    policy = Counting()
    policy.step = 99  # left over from some earlier use: the first episode must not see it
    recorded = record_episodes(make_env(ENV), policy, 2, SEED)
    assert recorded.lengths.tolist() == [200, 200]
    assert policy.calls == [*range(200), *range(200)]


def test_a_plain_function_is_refused_and_stateless_wraps_it():
    env = make_env(ENV)
    with pytest.raises(TypeError, match="stateless"):
        run_episodes(env, lambda obs: np.zeros(1, np.float32), 1, SEED)
    assert len(run_episodes(env, stateless(lambda obs: np.zeros(1, np.float32)), 2, SEED)) == 2


@pytest.mark.parametrize("agent", list(registry.AGENTS))
def test_a_deterministic_experts_demonstrations_are_its_evaluation_episodes(agent):
    """The expert wrapper carries the agent's state through each demonstration episode (it
    used to reset it at every step): deterministic demonstrations score what evaluation does."""
    learner = make(agent)
    expert = ExpertPolicy(env_id=ENV, agent=learner.agent, state=learner.state)
    demos = collect_demos(expert, 2, seed=SEED, deterministic=True)
    np.testing.assert_allclose(demos.episode_returns, learner.evaluate(2, seed=SEED), rtol=1e-5)


def test_a_sampling_policy_draws_afresh_at_each_step_and_reproducibly():
    learner = make("sac")
    obs = np.zeros(3, np.float32)

    def draws() -> list[float]:
        policy = AgentPolicy(learner.agent, learner.state, jax.random.PRNGKey(7), False)
        policy.reset()
        return [float(policy(obs)[0]) for _ in range(3)]

    first = draws()
    assert len(set(first)) == 3 and draws() == first
