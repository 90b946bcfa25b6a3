"""Patrol rounds: routes of checkpoints, round schedules, and how a walked round is judged."""
