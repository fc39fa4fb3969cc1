"""Developing new members (发展党员): the 25 steps, their rules and the pipeline."""
