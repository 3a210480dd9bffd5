"""``python -m nnscratch`` runs the command-line tool."""

import sys

from nnscratch.cli import main

sys.exit(main())
