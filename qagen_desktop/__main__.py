"""``python -m qagen_desktop`` opens the window, as ``qagen-desktop`` does."""

from __future__ import annotations

import sys

from qagen_desktop.launcher import main

if __name__ == "__main__":
    sys.exit(main())
