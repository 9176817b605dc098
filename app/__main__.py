"""`python -m app ...` runs the `museum` command line."""

import sys

from app.cli import main

sys.exit(main())
