"""``python -m fl_pytorch``."""

import sys

try:
    from .cli import main
except KeyboardInterrupt:  # Ctrl-C in the first instant: one line, no traceback
    print("interrupted (Ctrl-C) before a run started; nothing was computed", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
