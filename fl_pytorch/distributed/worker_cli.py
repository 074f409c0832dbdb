"""``run.sh worker`` (or the original ``run.sh --worker-listen-mode PORT``): start a worker."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from ..errors import ConfigError
from .auth import load_secret, new_secret
from .probe import probe_worker


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, no usage dump
        raise ConfigError(message)


def build_worker_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="run.sh worker", description=(
        "Serve FL_PyTorch runs of remote masters: a master given --external-devices "
        "HOST:PORT:DEVICE connects here, authenticates with the shared secret, and this worker "
        "runs the clients it owns on DEVICE. One run at a time; Ctrl-C stops it. "
        "See docs/remote.md."))
    parser.add_argument("--port", "--worker-listen-mode", dest="port", type=int, metavar="PORT",
                        help="port to listen on (0 = any free port, printed at start)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on: 127.0.0.1 (this machine only, e.g. behind "
                        "an ssh tunnel) or this machine's address on the network the master "
                        "uses")
    parser.add_argument("--secret-file", default="", metavar="FILE",
                        help="file whose first line is the shared secret (default: "
                        "$FL_PYTORCH_SECRET)")
    parser.add_argument("--data-path", default=None, metavar="PATH",
                        help="dataset folder on this machine (default: the master's --data-path)")
    parser.add_argument("--plugins", default="", metavar="MODULES",
                        help="comma-separated modules or .py files with your own algorithms, "
                        "compressors, datasets or models, loaded at start: the only plugins a "
                        "master may ask this worker to run (it sends their names, never code)")
    parser.add_argument("--loglevel", default="INFO", choices=["DEBUG", "INFO", "WARNING"])
    parser.add_argument("--new-secret", metavar="FILE",
                        help="write a fresh random secret to FILE (mode 600) and exit")
    parser.add_argument("--probe", metavar="HOST:PORT",
                        help="ask the worker at HOST:PORT for its status and exit")
    return parser


def worker_main(argv: Sequence[str]) -> int:
    """Entry point; returns the exit status (ConfigErrors are printed by ``cli.main``)."""
    args = build_worker_parser().parse_args(list(argv))
    if args.new_secret:
        print(f"wrote a new secret to {new_secret(args.new_secret)}; copy it to every machine")
        return 0
    if not args.probe and args.port is None:
        raise ConfigError("--port: a port to listen on is required (e.g. --port 29500)")
    secret = load_secret(args.secret_file, "--secret-file")
    if args.probe:
        host, _, port = args.probe.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"--probe: invalid value {args.probe!r}; expected HOST:PORT")
        status = probe_worker(host, int(port), secret)
        print(f"{status.address}: {status.message}")
        return 0 if status.online else 1
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port: invalid value {args.port}; valid: 0 .. 65535")
    from ..plugins import check_plugins, load_plugins, plugin_names
    if check_plugins(args.plugins):
        raise ConfigError(f"--plugins: invalid value {args.plugins!r}; "
                          f"{check_plugins(args.plugins)}")
    load_plugins(args.plugins)
    from .server import WorkerServer  # torch is imported only when serving
    logging.basicConfig(level=args.loglevel, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    try:
        server = WorkerServer(args.host, args.port, secret, args.data_path,
                              plugin_names(args.plugins))
    except OSError as e:
        raise ConfigError(f"--port: cannot listen on {args.host}:{args.port} ({e})") from None
    print(f"worker listening on {server.address}; Ctrl-C stops it", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("worker stopping (Ctrl-C again to quit at once)", flush=True)
    finally:
        try:
            server.stop()
        except KeyboardInterrupt:
            pass
    return 0
