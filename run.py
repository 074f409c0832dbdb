"""``python run.py [OPTIONS]``: the original FL_PyTorch's entry point, the same as ``./run.sh``.

Command lines copied from the original tool (``python run.py --rounds "3000" ...``) run unchanged
from this folder; see docs/compatibility.md.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fl_pytorch.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
