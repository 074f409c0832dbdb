#!/usr/bin/env bash
# Start the FL_PyTorch desktop GUI:   ./run_gui.sh [RESULT FILES...]
# On a headless server, over VNC:     ./run_gui.sh --vnc [PORT] [--password-file FILE]
#   (Xvfb + openbox + x11vnc bound to 127.0.0.1 with a password; prints the ssh tunnel command)
# Without a display, the GUI says in one line to use --vnc and exits with status 2.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
if [ "${1:-}" = "--vnc" ]; then
  shift
  exec "${PYTHON:-python3}" -m gui.vnc "$@"
fi
exec "${PYTHON:-python3}" -m gui "$@"
