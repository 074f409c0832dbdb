"""Callbacks that report a run: log, progress bar, resource monitor, Weights & Biases."""
