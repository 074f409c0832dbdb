"""``python3 -m gui``: start the desktop GUI."""

import sys

from .app import main

sys.exit(main())
