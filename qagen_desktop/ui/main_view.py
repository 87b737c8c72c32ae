"""The main window's view: panes, menus, shortcuts and status bar. It holds no behaviour.

The controllers that drive it are built and wired by the composition root (``ui/app.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from qagen_desktop import APP_NAME
from qagen_desktop.core.settings import Settings
from qagen_desktop.ui.panes.context_pane import ContextPane
from qagen_desktop.ui.panes.endpoint_pane import EndpointPane
from qagen_desktop.ui.panes.passage_preview import PassagePreview
from qagen_desktop.ui.panes.results_pane import ResultsPane
from qagen_desktop.ui.panes.sources_pane import SourcesPane
from qagen_desktop.ui.panes.table_hint import EmptyTableHint
from qagen_desktop.ui.table.results_model import ResultsModel
from qagen_desktop.ui.theme import Tone, paint_tone
from qagen_desktop.ui.widgets import name_widget

# The first window: this size where the screen has room, else this share of the screen.
DEFAULT_SIZE = QSize(1280, 820)
SCREEN_SHARE = 0.9
# A window shown but never painted (minimised at start) still gets its start-up work this late.
FIRST_PAINT_FALLBACK_MS = 1000


def first_window_size(available: QSize) -> QSize:
    """``DEFAULT_SIZE``, shrunk to ``SCREEN_SHARE`` of the available screen where it is smaller."""
    return QSize(
        min(DEFAULT_SIZE.width(), int(available.width() * SCREEN_SHARE)),
        min(DEFAULT_SIZE.height(), int(available.height() * SCREEN_SHARE)),
    )


class MainView(QMainWindow):
    """Endpoint settings on the left; on the right the context editor beside the Sources list,
    and below them the results over the selected pair's source passage.

    Signals: firstShown() -- once, just after the window's first paint: the work it starts
    (the keyring read, the recovery check) never delays the first frame.
    ``close_guard`` is asked before the window closes: False keeps it open.
    """

    firstShown = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setAccessibleName(APP_NAME)
        self.close_guard: Callable[[], bool] = lambda: True

        self.model = ResultsModel(parent=self)
        self.endpoint_pane = EndpointPane()
        self.context_pane = ContextPane()
        self.sources_pane = SourcesPane()
        self.results_pane = ResultsPane(self.model)
        self.passage_preview = PassagePreview()
        self.empty_hint = EmptyTableHint(self.results_pane.table)
        self._build_run_bar()
        self._build_layout()
        self._build_actions()
        self._build_review_actions()
        self._build_status_bar()
        self._first_paint: _FirstPaint | None = None

    # Building ---------------------------------------------------------------------------------

    def _build_run_bar(self) -> None:
        self.pairsSpin = name_widget(QSpinBox(), "pairsSpin", "Number of pairs")
        self.pairsSpin.setRange(1, 1_000_000)
        self.pairsSpin.setToolTip("How many question-answer pairs to generate from the text")
        self.generateButton = name_widget(QPushButton("Generate"), "generateButton", "Generate")
        self.generateButton.setDefault(True)
        self.generateButton.setToolTip("Generate pairs from the text (Ctrl+Return)")
        self.cancelButton = name_widget(QPushButton("Cancel"), "cancelButton", "Cancel generation")
        self.cancelButton.setToolTip("Stop and keep the pairs received so far (Esc)")
        self.cancelButton.setEnabled(False)
        self.progressBar = name_widget(QProgressBar(), "progressBar", "Chunks done")
        self.progressBar.setRange(0, 1)
        self.progressBar.setValue(0)
        self.progressBar.setFormat("%v of %m chunks")
        # No count to show before the first run ("0 of 1 chunks" would mean nothing).
        self.progressBar.setTextVisible(False)

        bar = QWidget()
        layout = QHBoxLayout(bar)
        layout.setContentsMargins(0, 0, 0, 0)
        pairs_label = QLabel("Pairs")
        pairs_label.setBuddy(self.pairsSpin)
        layout.addWidget(pairs_label)
        layout.addWidget(self.pairsSpin)
        layout.addWidget(self.generateButton)
        layout.addWidget(self.cancelButton)
        layout.addWidget(self.progressBar, 1)
        self.run_bar = bar

    def _build_layout(self) -> None:
        left = QScrollArea()
        left.setObjectName("endpointScroll")
        left.setWidgetResizable(True)
        left.setWidget(self.endpoint_pane)
        left.setFrameShape(QScrollArea.Shape.NoFrame)
        left.setMinimumWidth(300)

        self.contextSplitter = self._split(
            "contextSplitter", Qt.Orientation.Horizontal, (self.context_pane, self.sources_pane)
        )
        self.contextSplitter.setSizes([560, 400])
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.contextSplitter, 1)
        top_layout.addWidget(self.run_bar)

        # The passage under the results, as wide as the table: beside it, it would squeeze the
        # question and answer columns, and a passage reads better in long lines.
        self.resultsSplitter = self._split(
            "resultsSplitter", Qt.Orientation.Vertical, (self.results_pane, self.passage_preview)
        )
        self.resultsSplitter.setSizes([420, 90])
        self.workSplitter = QSplitter(Qt.Orientation.Vertical)
        self.workSplitter.setObjectName("workSplitter")
        self.workSplitter.addWidget(top)
        self.workSplitter.addWidget(self.resultsSplitter)
        self.workSplitter.setStretchFactor(0, 2)
        self.workSplitter.setStretchFactor(1, 3)
        self.workSplitter.setSizes([330, 520])

        self.mainSplitter = QSplitter(Qt.Orientation.Horizontal)
        self.mainSplitter.setObjectName("mainSplitter")
        self.mainSplitter.addWidget(left)
        self.mainSplitter.addWidget(self.workSplitter)
        self.mainSplitter.setStretchFactor(0, 0)
        self.mainSplitter.setStretchFactor(1, 1)
        self.mainSplitter.setContentsMargins(8, 8, 8, 0)
        self.setCentralWidget(self.mainSplitter)
        self.fit_to_screen()

    def available_geometry(self) -> QRect:
        """The screen's room for windows (without task bars and docks), in logical pixels."""
        screen = self.screen()
        return screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 820)

    def fit_to_screen(self) -> None:
        """Size the window for its screen and centre it there (a first start, or a saved
        geometry from a larger screen)."""
        available = self.available_geometry()
        size = first_window_size(available.size())
        self.resize(size)
        # Whatever the minimum size made of it: centred on the screen, never above its top.
        frame = QRect(0, 0, self.width(), self.height())
        frame.moveCenter(available.center())
        self.move(max(frame.left(), available.left()), max(frame.top(), available.top()))
        left = min(360, size.width() // 3)
        self.mainSplitter.setSizes([left, size.width() - left])

    @staticmethod
    def _split(name: str, orientation: Qt.Orientation, panes: tuple[QWidget, QWidget]) -> QSplitter:
        """Two panes in a splitter: the first takes the room the window gains, neither can be
        dragged out of sight; sizes set by the caller hold until the settings restore the user's."""
        splitter = QSplitter(orientation)
        splitter.setObjectName(name)
        splitter.setChildrenCollapsible(False)
        for pane in panes:
            splitter.addWidget(pane)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        return splitter

    def _action(self, name: str, text: str, shortcut: str | QKeySequence | None = None) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        return action

    def _build_actions(self) -> None:
        # Ctrl+L adds files to the Sources list (the pane's action); loading a text file into
        # the editor keeps its menu entry, without a shortcut.
        self.actionLoadContext = self._action("actionLoadContext", "Load text into &editor…")
        self.actionOpen = self._action("actionOpen", "&Open dataset…", "Ctrl+O")
        self.actionSave = self._action("actionSave", "&Save", "Ctrl+S")
        self.actionSaveAs = self._action("actionSaveAs", "Save &as…", "Ctrl+Shift+S")
        self.actionQuit = self._action("actionQuit", "&Quit", "Ctrl+Q")
        self.actionGenerate = self._action("actionGenerate", "&Generate", "Ctrl+Return")
        self.actionGenerate.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.actionCancel = self._action("actionCancel", "&Cancel", "Esc")
        self.actionCancel.setEnabled(False)
        self.actionTestConnection = self._action("actionTestConnection", "&Test connection")
        self.actionAddRow = self._action("actionAddRow", "&Add row", "Ctrl+Shift+N")
        self.actionDeleteRows = self._action("actionDeleteRows", "&Delete rows", "Del")
        # Del deletes rows only where the table has focus; elsewhere it deletes characters.
        self.actionDeleteRows.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.results_pane.table.addAction(self.actionDeleteRows)
        self.actionClearResults = self._action("actionClearResults", "C&lear results")
        self.actionAbout = self._action("actionAbout", f"&About {APP_NAME}")

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.sources_pane.addSourcesAction)
        file_menu.addAction(self.sources_pane.addFolderAction)
        file_menu.addAction(self.actionLoadContext)
        file_menu.addSeparator()
        file_menu.addAction(self.actionOpen)
        self.recentMenu = file_menu.addMenu("Open &recent")
        self.recentMenu.setObjectName("recentMenu")
        file_menu.addAction(self.actionSave)
        file_menu.addAction(self.actionSaveAs)
        file_menu.addSeparator()
        file_menu.addAction(self.actionQuit)
        self.editMenu = menu.addMenu("&Edit")
        view_menu = menu.addMenu("&View")
        view_menu.setObjectName("viewMenu")
        view_menu.addAction(self.results_pane.sourceOrderAction)
        run_menu = menu.addMenu("&Run")
        run_menu.addAction(self.actionGenerate)
        run_menu.addAction(self.actionCancel)
        run_menu.addSeparator()
        run_menu.addAction(self.actionTestConnection)
        self.helpMenu = menu.addMenu("&Help")
        self.helpMenu.addAction(self.actionAbout)

        self.actionQuit.triggered.connect(self.close)

    # Review ------------------------------------------------------------------------------------

    def _build_review_actions(self) -> None:
        """Accept, reject, regenerate and judge the selected rows, and judge them all.

        Their keys act where the table has focus (as Del does), so they never take a key from
        a text field; the Review menu lists them.
        """
        table = self.results_pane.table
        self.actionAccept = self._action("actionAccept", "&Accept selected", "Ctrl+Shift+A")
        self.actionReject = self._action("actionReject", "&Reject selected", "Ctrl+Shift+R")
        self.actionRegenerate = self._action(
            "actionRegenerate", "Re&generate selected", "Ctrl+Shift+G"
        )
        self.actionJudge = self._action("actionJudge", "&Judge selected", "Ctrl+Shift+J")
        self.actionJudgeAll = self._action("actionJudgeAll", "Judge a&ll pairs")
        self.actionShowRejected = self._action("actionShowRejected", "&Show rejected pairs")
        self.actionShowRejected.setCheckable(True)
        row_actions = (
            self.actionAccept,
            self.actionReject,
            self.actionRegenerate,
            self.actionJudge,
        )
        for action in row_actions:
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            table.addAction(action)
        # Before Help, which stays last.
        menu = QMenu("Re&view", self)
        self.menuBar().insertMenu(self.helpMenu.menuAction(), menu)
        menu.setObjectName("reviewMenu")
        menu.addActions(list(row_actions[:2]))
        menu.addSeparator()
        menu.addActions([*row_actions[2:], self.actionJudgeAll])
        menu.addSeparator()
        menu.addAction(self.actionShowRejected)
        pane = self.results_pane
        check = pane.showRejectedCheck
        self.actionShowRejected.toggled.connect(check.setChecked)
        check.toggled.connect(self.actionShowRejected.setChecked)
        for button, action in zip(pane.review_buttons, row_actions, strict=True):
            key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            button.setToolTip(f"{button.toolTip()} ({key})")
        pane.set_review_actions(
            [*row_actions[:2], None, *row_actions[2:], None, self.actionDeleteRows]
        )

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        status.setObjectName("statusBar")
        self.pairsLabel = name_widget(QLabel("0 pairs"), "pairsLabel", "Pairs in the table")
        self.tokensLabel = name_widget(QLabel(""), "tokensLabel", "Tokens used")
        self.elapsedLabel = name_widget(QLabel(""), "elapsedLabel", "Elapsed time")
        self.failedButton = name_widget(
            QPushButton(""), "failedChunksButton", "Failed chunks: show reasons"
        )
        self.failedButton.setFlat(True)
        self.failedButton.setCursor(Qt.CursorShape.PointingHandCursor)
        paint_tone(self.failedButton, Tone.ERROR)
        underlined = self.failedButton.font()
        underlined.setUnderline(True)
        self.failedButton.setFont(underlined)
        self.failedButton.hide()
        # Room for the longest usual text: a count that grows does not re-layout the window.
        metrics = self.fontMetrics()
        self.pairsLabel.setMinimumWidth(metrics.horizontalAdvance("1,000,000 pairs") + 8)
        self.tokensLabel.setMinimumWidth(metrics.horizontalAdvance("100,000,000 tokens") + 8)
        self.elapsedLabel.setMinimumWidth(metrics.horizontalAdvance("100:00 elapsed") + 8)
        for label in (self.pairsLabel, self.tokensLabel, self.elapsedLabel):
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        for widget in (self.failedButton, self.tokensLabel, self.elapsedLabel, self.pairsLabel):
            status.addPermanentWidget(widget)

    # Layout persistence -----------------------------------------------------------------------

    def restore_layout(self, settings: Settings) -> None:
        """Geometry and splitter positions as the settings file kept them."""
        saved = settings.window
        geometry = saved.get("geometry")
        if isinstance(geometry, str) and geometry and self._fits(saved.get("size")):
            self.restoreGeometry(QByteArray.fromBase64(geometry.encode("ascii")))
        for key, restore in (
            ("state", self.restoreState),
            ("main_splitter", self.mainSplitter.restoreState),
            ("work_splitter", self.workSplitter.restoreState),
            ("context_splitter", self.contextSplitter.restoreState),
            ("results_splitter", self.resultsSplitter.restoreState),
        ):
            value = saved.get(key)
            if isinstance(value, str) and value:
                restore(QByteArray.fromBase64(value.encode("ascii")))

    def _fits(self, size: object) -> bool:
        """Whether a saved window size ("1280x820") fits this screen. restoreGeometry alone would
        stretch a window from a larger screen to this one's edges; the first start's size is
        better."""
        if not isinstance(size, str):
            return True  # saved before sizes were kept: restoreGeometry keeps it on the screen
        try:
            width, height = (int(part) for part in size.split("x"))
        except ValueError:
            return True
        available = self.available_geometry()
        return width <= available.width() and height <= available.height()

    def layout_state(self) -> dict[str, str]:
        """Geometry and splitter positions as base64 text for the settings file."""

        def encoded(data: QByteArray) -> str:
            return bytes(data.toBase64().data()).decode("ascii")

        return {
            "geometry": encoded(self.saveGeometry()),
            "size": f"{self.width()}x{self.height()}",
            "state": encoded(self.saveState()),
            "main_splitter": encoded(self.mainSplitter.saveState()),
            "work_splitter": encoded(self.workSplitter.saveState()),
            "context_splitter": encoded(self.contextSplitter.saveState()),
            "results_splitter": encoded(self.resultsSplitter.saveState()),
        }

    # Events -----------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._first_paint is None:
            # After the window is on screen: a question asked then appears over it.
            self._first_paint = _FirstPaint(self, self.firstShown.emit)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.close_guard():
            event.accept()
        else:
            event.ignore()


class _FirstPaint(QObject):
    """Calls ``done`` once, from the event loop just after ``widget``'s first paint (or after
    ``FIRST_PAINT_FALLBACK_MS`` should no paint come)."""

    def __init__(self, widget: QWidget, done: Callable[[], None]) -> None:
        super().__init__(widget)
        self._widget = widget
        self._done: Callable[[], None] | None = done
        # A timer, not a posted call: input and timers already due when the frame is up are
        # served before the start-up work, not after it.
        self._after_paint = QTimer(self)
        self._after_paint.setSingleShot(True)
        self._after_paint.setInterval(0)
        self._after_paint.timeout.connect(self._fire)
        widget.installEventFilter(self)
        # A timer of its own (not QTimer.singleShot with a receiver, which loads QMetaMethod):
        # it goes with this object too.
        self._fallback = QTimer(self)
        self._fallback.setSingleShot(True)
        self._fallback.timeout.connect(self._fire)
        self._fallback.start(FIRST_PAINT_FALLBACK_MS)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self._after_paint.isActive():
            self._after_paint.start()  # fires once the frame is flushed to the screen
        return False

    def _fire(self) -> None:
        done, self._done = self._done, None
        if done is not None:
            self._widget.removeEventFilter(self)
            done()
