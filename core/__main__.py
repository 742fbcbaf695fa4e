"""`python -m core` runs the `smie` command line."""

import sys

from core.cli import main

sys.exit(main())
