"""``python -m podcap`` runs the command line."""

import sys

from podcap.cli import main

sys.exit(main())
