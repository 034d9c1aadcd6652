"""Reinforcement-learning learners (SAC first) that every imitation method drives."""
