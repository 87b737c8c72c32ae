"""``MainWindow``: the window's view with its controllers, as ``MainWindow()`` promises.

The view (``main_view.MainView``) builds no controller; this subclass asks the composition root
(``app.wire_window``) for them, so ``MainWindow()`` alone is the working window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qagen_desktop.ui.app import wire_window
from qagen_desktop.ui.main_view import MainView

if TYPE_CHECKING:
    from qagen_desktop.core.settings import Settings
    from qagen_desktop.ui.controllers.keys import KeyStoreLike


class MainWindow(MainView):
    """The main window, wired. Built from the default settings locations unless given others;
    ``keystore`` is for tests that bring their own keyring backend.
    """

    def __init__(
        self, *, settings: Settings | None = None, keystore: KeyStoreLike | None = None
    ) -> None:
        super().__init__()
        self.controller = wire_window(self, settings=settings, keystore=keystore)
