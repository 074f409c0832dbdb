"""The run of a simulation: setup (build_simulation), round loop, checkpoints, results."""
