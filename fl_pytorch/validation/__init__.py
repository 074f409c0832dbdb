"""Checks that run before any work.

Value limits of every option, writable output locations, memory and time estimates, stale
temporary files, remote workers' secret (``preflight``). Importing this package is cheap (no
torch): ``config.py`` uses :mod:`.limits`.
"""
