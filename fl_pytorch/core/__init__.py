"""The simulation core: round loop, sampling, aggregation, client-state store, metrics."""
