"""Make docs/screenshot.png, docs/screenshot-dark.png and docs/screenshot-review.png: the real
window under Xvfb, filled with a realistic example, in a light and in a dark palette, and in
the middle of a review (scores and verdicts in, the rejected pairs shown, sorted by score).

    .venv/bin/python scripts/screenshot.py                      # all three
    .venv/bin/python scripts/screenshot.py --theme light|dark|both [--out FILE]
    .venv/bin/python scripts/screenshot.py --review [--out FILE]

Starts its own Xvfb (Debian: apt-get install xvfb), runs the window with Qt's xcb platform in
temporary user folders (nothing of yours is read or written) and grabs it with QScreen.grabWindow.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SIZE = (1360, 860)
CHUNK_CHARS = 450  # the example text makes three chunks

CONTEXT = """\
Lighthouses of the Pacific coast

The Point Reyes Lighthouse was built in 1870 on a headland that juts ten miles into the Pacific. \
The site is one of the foggiest places on the North American coast: fog can hide the light for \
weeks at a time in summer, so a steam fog signal was added in 1871.

Its first-order Fresnel lens, made in France in 1867, holds 1,032 prisms of hand-ground glass. \
A clockwork mechanism, wound by the keepers every two and a half hours, turned the lens so that \
the light flashed once every five seconds.

The lighthouse stands 300 steps below the cliff top, low enough to shine beneath the fog that \
often covers the headland. Keepers climbed those steps several times a day, in wind that \
regularly exceeded 40 miles per hour.

The light was automated in 1975, when the Coast Guard installed an automatic beacon on a \
nearby building. The original lens was kept in place and is still lit on special occasions.
"""

PAIRS = [
    (
        "When was the Point Reyes Lighthouse built?",
        "In 1870, on a headland that juts ten miles into the Pacific.",
        0,
    ),
    (
        "Why was a steam fog signal added in 1871?",
        "Because fog can hide the light for weeks at a time in summer.",
        0,
    ),
    (
        "What makes the site unusual on the North American coast?",
        "It is one of the foggiest places on the coast.",
        0,
    ),
    ("How many prisms does the Fresnel lens hold?", "1,032 prisms of hand-ground glass.", 1),
    ("Where was the lens made, and when?", "In France, in 1867.", 1),
    ("How often did the keepers wind the clockwork?", "Every two and a half hours.", 1),
    ("How often did the light flash?", "Once every five seconds.", 1),
    (
        "Why does the lighthouse stand 300 steps below the cliff top?",
        "So that it shines beneath the fog that often covers the headland.",
        2,
    ),
    (
        "What wind speeds did the keepers face on the steps?",
        "Winds that regularly exceeded 40 miles per hour.",
        2,
    ),
    ("When was the light automated?", "In 1975.", 2),
    (
        "What did the Coast Guard install when it automated the light?",
        "An automatic beacon on a nearby building.",
        2,
    ),
    (
        "What happened to the original lens after automation?",
        "It was kept in place and is still lit on special occasions.",
        2,
    ),
]


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    """Xvfb on the first free display; returns the process and its DISPLAY."""
    read_end, write_end = os.pipe()
    width, height = SIZE
    xvfb = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_end),
            "-screen",
            "0",
            f"{width + 80}x{height + 80}x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        number = pipe.readline().strip()
    if not number:
        xvfb.kill()
        raise SystemExit("Xvfb did not start (Debian: apt-get install xvfb)")
    return xvfb, f":{number}"


THEMES = ("light", "dark")
REVIEW = "review"  # a scene, in the light palette

# The judge's verdicts for the review scene, by pair: (score, reason); None: not judged yet.
VERDICTS: list[tuple[int, str] | None] = [
    (9, "States the year and the place, as the passage does."),
    (8, "Grounded: the passage gives fog as the reason."),
    (7, "Right, though the passage says foggiest, not unusual."),
    (10, "The exact figure from the passage."),
    (9, "Both facts are in the passage."),
    (3, "The passage says two and a half hours; the answer is vague."),
    (2, "Flashes every five seconds is in the passage; the answer adds nothing."),
    (9, "Grounded in the passage."),
    None,
    None,
    None,
    None,
]
# Rejected in the scene: the judge's low scores, and one by hand.
BY_HAND = 4


def default_out(shot: str) -> Path:
    name = "screenshot.png" if shot == "light" else f"screenshot-{shot}.png"
    return ROOT / "docs" / name


def capture(out: Path, shot: str) -> None:
    """Runs inside Xvfb: builds the window, fills it, grabs it."""
    from PySide6.QtCore import QTimer

    from qagen_desktop.core.chunking import chunk_text
    from qagen_desktop.core.records import QAPair
    from qagen_desktop.ui.app import make_application
    from qagen_desktop.ui.main_window import MainWindow
    from qagen_desktop.ui.theme import dark_palette

    app = make_application(sys.argv[:1])
    # Fusion in both: the same widgets, only the palette differs (as a desktop's theme would).
    app.setStyle("Fusion")
    if shot == "dark":
        app.setPalette(dark_palette())
    window = MainWindow()
    window.resize(*SIZE)
    window.move(40, 40)
    pane = window.endpoint_pane
    pane.endpointEdit.setText("http://localhost:11434/v1")
    pane.modelEdit.setText("llama3.1:8b")
    pane.show_verdict(True, "Connected: llama3.1:8b answered.")
    pane.advancedToggle.setChecked(True)
    pane.chunkCharsSpin.setValue(CHUNK_CHARS)
    # A local server costs nothing: prices of 0 make the estimate say so.
    pane.inputPriceEdit.setText("0")
    pane.outputPriceEdit.setText("0")
    window.context_pane.set_text(CONTEXT)
    window.pairsSpin.setValue(12)
    chunks = [chunk.text for chunk in chunk_text(CONTEXT, CHUNK_CHARS)]
    pairs = [QAPair(q, a, c, chunks[c], document="lighthouses.txt") for q, a, c in PAIRS]
    window.model.append_pairs(pairs)
    # As a finished run leaves the bar: its count shows once a run has started.
    window.progressBar.setTextVisible(True)
    window.progressBar.setRange(0, 3)
    window.progressBar.setValue(3)
    window.tokensLabel.setText("4,812 tokens")
    window.elapsedLabel.setText("0:14 elapsed")
    window.results_pane.table.selectRow(6)
    window.statusBar().showMessage("Done: 12 pairs.")
    if shot == REVIEW:
        set_up_review(window)
    window.show()

    def grab() -> None:
        if shot == REVIEW:
            # A made-up key, shown masked as a hosted API's would be (the keyring is a null one
            # here: nothing is stored).
            window.endpoint_pane.apiKeyEdit.setText("sk-example-" + "x" * 24)
            window.endpoint_pane.show_verdict(True, "Connected: gpt-4o-mini answered.")
        window.raise_()
        window.activateWindow()
        app.processEvents()
        screen = window.screen()
        image = screen.grabWindow(window.winId())
        out.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(out), "PNG"):
            raise SystemExit(f"could not write {out}")
        print(f"wrote {out} ({image.width()}x{image.height()})")
        window.controller.document.dirty = False  # an example: nothing to save on close
        window.close()
        app.quit()

    QTimer.singleShot(1200, grab)
    app.exec()


def set_up_review(window: Any) -> None:
    """The window part-way through a review: the judge has scored eight of the twelve pairs
    (two under the minimum, rejected), one more is rejected by hand, the rejected pairs are
    shown, the table is sorted by score, and a rejected pair is selected with its passage."""
    from dataclasses import replace

    from PySide6.QtCore import Qt

    from qagen_desktop.core.records import PairStatus

    pane = window.endpoint_pane
    pane.providerCombo.setCurrentText("openai")
    pane.endpointEdit.setText("https://api.openai.com/v1")
    pane.modelEdit.setText("gpt-4o-mini")
    pane.inputPriceEdit.setText("0.15")
    pane.outputPriceEdit.setText("0.60")
    window.context_pane.update_count()
    model = window.model
    changes = []
    for row, verdict in enumerate(VERDICTS):
        pair = model.pairs[row]
        if verdict is not None:
            score, reason = verdict
            low = score < 5
            status = PairStatus.REJECTED if low else PairStatus.ACCEPTED
            pair = replace(
                pair,
                score=score,
                reason=reason,
                status=status,
                rejection="low_score" if low else "",
            )
        if row == BY_HAND:
            pair = replace(pair, status=PairStatus.REJECTED, rejection="by_hand")
        changes.append((row, pair))
    model.replace_rows(changes)
    results = window.results_pane
    results.showRejectedCheck.setChecked(True)
    results.table.horizontalHeader().setSortIndicator(3, Qt.SortOrder.AscendingOrder)  # Score
    results.fit_columns()
    # The judge is still at work on the rest: the bar counts the pairs it has judged.
    from qagen_desktop.ui.controllers.review import JUDGE_PROGRESS_FORMAT
    from qagen_desktop.ui.controllers.run import set_progress

    judged = sum(verdict is not None for verdict in VERDICTS)
    window.progressBar.setFormat(JUDGE_PROGRESS_FORMAT)
    window.progressBar.setTextVisible(True)
    set_progress(window.progressBar, judged, len(VERDICTS))
    window.statusBar().showMessage(f"Judged {judged} of {len(VERDICTS)} pairs… (Esc stops)")
    window.results_pane.table.selectRow(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--theme", choices=(*THEMES, "both"), help="the window, in this palette")
    parser.add_argument("--review", action="store_true", help="the window mid-review only")
    parser.add_argument("--out", type=Path, help="with one screenshot: the file to write")
    parser.add_argument("--inside", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        capture(args.out.resolve(), args.inside)
        return
    if args.review and args.theme:
        parser.error("--review is a screenshot of its own: give it or --theme")
    if args.review:
        shots: tuple[str, ...] = (REVIEW,)
    elif args.theme:
        shots = THEMES if args.theme == "both" else (args.theme,)
    else:
        shots = (*THEMES, REVIEW)
    if args.out is not None and len(shots) > 1:
        parser.error("--out needs one screenshot: --theme light, --theme dark or --review")
    xvfb, display = start_xvfb()
    try:
        for shot in shots:
            out = (args.out or default_out(shot)).resolve()
            # Each theme in a fresh process with fresh user folders: nothing carries over.
            with tempfile.TemporaryDirectory(prefix="qagen-shot-") as home:
                env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
                for name in ("CONFIG", "DATA", "CACHE", "STATE"):
                    env[f"XDG_{name}_HOME"] = str(Path(home) / name.lower())
                env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
                for name in ("API_ENDPOINT", "API_KEY", "MODEL"):
                    env.pop(name, None)
                subprocess.run(
                    [sys.executable, __file__, "--inside", shot, "--out", str(out)],
                    env=env,
                    check=True,
                    timeout=60,
                )
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)


if __name__ == "__main__":
    main()
