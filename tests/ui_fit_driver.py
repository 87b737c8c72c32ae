"""Shows the real window on an offscreen screen of a given size and scale; prints what fits.

Used by test_ui_fit.py, which runs it with a screen described to Qt's offscreen platform:
    QT_QPA_PLATFORM=offscreen:configfile=SCREENS.json [QT_SCALE_FACTOR=2] python ui_fit_driver.py
Prints one JSON object: the screen's available geometry, the window's frame, and for each control
a person must reach, whether it lies wholly inside the screen and is at least 4 pixels wide.
"""

from __future__ import annotations

import json
import sys

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QWidget

from qagen_desktop.ui.app import make_application
from qagen_desktop.ui.main_window import MainWindow

CONTROLS = (
    "generateButton",
    "cancelButton",
    "pairsSpin",
    "progressBar",
    "contextEdit",
    "resultsTable",
    "exportFormatCombo",
    "deleteRowsButton",
    "addRowButton",
    "pairsLabel",
    "tokensLabel",
    "elapsedLabel",
    "endpointScroll",
)


def rect(r: QRect) -> list[int]:
    return [r.x(), r.y(), r.width(), r.height()]


def main() -> int:
    app = make_application(sys.argv[:1])
    window = MainWindow()
    window.show()
    for _ in range(5):
        app.processEvents()
    screen = window.screen().availableGeometry()
    frame = window.frameGeometry()
    reachable = {}
    for name in CONTROLS:
        widget = window.findChild(QWidget, name)
        if widget is None:
            reachable[name] = False
            continue
        top_left = widget.mapToGlobal(QPoint(0, 0))
        area = QRect(top_left, widget.size())
        reachable[name] = widget.isVisible() and screen.contains(area) and area.width() >= 4
    print(
        json.dumps(
            {
                "screen": rect(screen),
                "frame": rect(frame),
                "reachable": reachable,
                "answer_width": window.results_pane.table.columnWidth(1),
            }
        ),
        flush=True,
    )
    # The key loads on a worker thread once the window shows: wait for it before the process ends.
    window.controller.keys.wait_for_threads()
    window.controller.document.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
