"""The frozen app's entry script: PyInstaller runs this file as ``__main__``."""

import sys

from qagen_desktop.launcher import main

sys.exit(main())
