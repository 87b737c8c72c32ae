"""``python -m qagen_desktop.cli`` runs ``qagen``, as the installed command does."""

from __future__ import annotations

import sys

from qagen_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
