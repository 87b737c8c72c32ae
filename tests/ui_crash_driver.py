"""Runs the real window offscreen against a server and generates, printing each pair as it shows.

Used by test_ui_recovery.py, which kills this process with SIGKILL mid-run:
    python ui_crash_driver.py SERVER_URL PAIRS
Prints one JSON line per batch of rows that appeared in the table: {"questions": [...]}.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QModelIndex, QTimer

from qagen_desktop.ui.app import make_application
from qagen_desktop.ui.main_window import MainWindow

TEXT = "\n\n".join(
    f"Part {i}. The river Loire rises in the Massif Central and flows 1,006 km to the Atlantic. "
    f"Its valley holds more than three hundred chateaux, and part {i} describes one of them."
    for i in range(40)
)


def main() -> int:
    url, pairs = sys.argv[1], int(sys.argv[2])
    app = make_application(sys.argv[:1])
    window = MainWindow()
    window.endpoint_pane.endpointEdit.setText(url)
    window.endpoint_pane.concurrencySpin.setValue(1)
    window.endpoint_pane.chunkCharsSpin.setValue(400)
    window.context_pane.set_text(TEXT)
    window.pairsSpin.setValue(pairs)

    def shown(_parent: QModelIndex, first: int, last: int) -> None:
        questions = [p.question for p in window.model.pairs[first : last + 1]]
        print(json.dumps({"questions": questions}), flush=True)

    window.model.rowsInserted.connect(shown)
    window.show()
    QTimer.singleShot(0, window.controller.run.generate)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
