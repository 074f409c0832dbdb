#!/usr/bin/env bash
# Run an FL_PyTorch simulation: ./run.sh [OPTIONS]   (./run.sh --help lists every option)
# Result tools:                 ./run.sh results show|csv|json|plot FILE...
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
exec "${PYTHON:-python3}" -m fl_pytorch "$@"
