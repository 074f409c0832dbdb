"""``python -m fl_pytorch``."""

import sys

from .cli import main

sys.exit(main())
