"""Planners: build a model from the data, solve it, read the plan back, check it independently."""
