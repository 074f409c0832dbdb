"""Remote workers: one simulation's clients on several machines, over torch.distributed.

The master (``--external-devices host:port:device,...``, ``remote_executor.py``) connects to
workers started with ``run.sh worker --port PORT`` (``server.py``). Each connection opens with a
mutual HMAC challenge-response on a shared secret (``auth.py``) and carries authenticated JSON
frames (``frames.py``); tensors move in one Gloo group per worker (``pairs.py``), described by
JSON (``tensors.py``, ``protocol.py``). Only tensors and JSON cross the wire: nothing is pickled,
so no peer can make another run code. Design and recipes: docs/remote.md.
"""
