"""Small shared helpers (atomic writes, devices, random streams, progress)."""
