"""``python -m fl_pytorch.results COMMAND ...``: the results tools without the rest of the CLI."""

import sys

from .cli import main

sys.exit(main())
