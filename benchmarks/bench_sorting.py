"""Sorting the results table at 100,000 rows: figures printed, nothing asserted.

    .venv/bin/python benchmarks/bench_sorting.py [--rows 100000]

Times each header sort (question, answer, score, status, back to the source order) through
the table's own filter, a run's batch of new rows placed into the sorted view, a review's
verdicts on 1,000 rows while sorted by status (each moves), and a delete of 1,000 scattered
rows of the sorted view; then a header click in a shown window, painted. Target: a sort of
100,000 rows in well under a second (a click answered at once).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The window's user folders in a temporary place (no recovery offer, no settings of the user's).
_HOME = tempfile.mkdtemp(prefix="bench-sorting-")
for _name in ("CONFIG", "DATA", "CACHE", "STATE"):
    os.environ[f"XDG_{_name}_HOME"] = str(Path(_HOME) / _name.lower())
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from qagen_desktop.core.records import PairStatus, QAPair  # noqa: E402
from qagen_desktop.ui.table.cells import ANSWER, QUESTION, SCORE, STATUS  # noqa: E402
from qagen_desktop.ui.table.edit_commands import RemoveRowsCommand  # noqa: E402
from qagen_desktop.ui.table.results_filter import ResultsFilter  # noqa: E402
from qagen_desktop.ui.table.results_model import ResultsModel  # noqa: E402

ANSWER_TEXT = (
    "Because the tide reaches the estuary twice a day, the mills were built to run on the ebb; "
    "the records of 1788 describe the sluice gates and the miller's dues."
)


def _pairs(count: int, chance: random.Random) -> list[QAPair]:
    pairs = []
    for i in range(count):
        pair = QAPair(f"What does question {chance.randrange(count)} ask?", f"{ANSWER_TEXT} {i}")
        pair.score = chance.choice((None, *range(1, 11)))
        pairs.append(pair)
    return pairs


def _ms(start: float) -> str:
    return f"{(time.perf_counter() - start) * 1000:7.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    rows = parser.parse_args().rows
    app = QApplication.instance() or QApplication(sys.argv[:1])
    chance = random.Random(7)
    model = ResultsModel(_pairs(rows, chance))
    proxy = ResultsFilter(model)
    proxy.set_show_rejected(True)
    print(f"== sorting {rows:,} rows through ResultsFilter")
    for name, column, order in (
        ("question, ascending", QUESTION, Qt.SortOrder.AscendingOrder),
        ("question, descending", QUESTION, Qt.SortOrder.DescendingOrder),
        ("answer", ANSWER, Qt.SortOrder.AscendingOrder),
        ("score", SCORE, Qt.SortOrder.AscendingOrder),
        ("status", STATUS, Qt.SortOrder.AscendingOrder),
        ("source order", -1, Qt.SortOrder.AscendingOrder),
    ):
        start = time.perf_counter()
        proxy.sort(column, order)
        print(f"   {name:<28}{_ms(start)}", flush=True)

    proxy.sort(QUESTION)
    start = time.perf_counter()
    model.append_pairs(_pairs(100, chance))
    print(f"   100 new rows placed, sorted {_ms(start)}", flush=True)

    proxy.sort(STATUS)
    verdicts = []
    for row in chance.sample(range(model.rowCount()), 1000):
        pair = QAPair(model.pairs[row].question, model.pairs[row].answer, score=2)
        pair.status = PairStatus.REJECTED
        verdicts.append((row, pair))
    start = time.perf_counter()
    model.replace_rows(verdicts)
    print(f"   1,000 verdicts, each moved   {_ms(start)}", flush=True)

    for column in (STATUS, -1):  # sorted, then the source order with rejected pairs hidden
        proxy.sort(column)
        proxy.set_show_rejected(column >= 0)
        delete = RemoveRowsCommand(model, chance.sample(range(model.rowCount()), 1000))
        start = time.perf_counter()
        delete.redo()  # as Delete does it: one command for the selected rows
        where = "sorted" if column >= 0 else "unsorted"
        print(f"   1,000 scattered deletes, {where:<8}{_ms(start)}", flush=True)
        start = time.perf_counter()
        delete.undo()
        print(f"   ... and their undo, {where:<13}{_ms(start)}", flush=True)
        delete.redo()

    from qagen_desktop.ui.main_window import MainWindow

    window = MainWindow()
    window.show()
    window.model.replace_all(_pairs(rows, chance))
    app.processEvents()
    header = window.results_pane.table.horizontalHeader()
    start = time.perf_counter()
    header.setSortIndicator(QUESTION, Qt.SortOrder.AscendingOrder)  # what a click does
    window.results_pane.table.viewport().repaint()
    print(f"   window: header sort, painted {_ms(start)}", flush=True)
    window.close()


if __name__ == "__main__":
    main()
