"""The endpoint pane: where requests go (provider, URL, model, key) and how a run behaves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from qagen_desktop.core.chunking import MIN_CHUNK_CHARS
from qagen_desktop.core.endpoint import PROVIDERS, Endpoint
from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.generation.config import AUTO_CHUNK_CHARS
from qagen_desktop.core.prompts import DEFAULT_TEMPLATE
from qagen_desktop.core.settings import Settings
from qagen_desktop.ui.status import BoundMessage
from qagen_desktop.ui.theme import Tone, paint_tone
from qagen_desktop.ui.widgets import name_widget

if TYPE_CHECKING:
    from PySide6.QtCore import QStringListModel
    from PySide6.QtWidgets import QCompleter

    from qagen_desktop.core.estimate import TokenPrices

# A price as typed: digits, one decimal point or comma, an optional "$" before.
_PRICE = r"\$?\s*\d{0,9}([.,]\d{0,6})?"
VERDICT_LINES = 3  # the connection verdict's fixed room: the button above it never moves
_AUTO_SPIN = MIN_CHUNK_CHARS - 1


class EndpointPane(QWidget):
    """Provider, URL, model and key; Test connection; the advanced run settings.

    Signals: endpointChanged() (the URL, provider, deployment or api-version was committed),
    keyCommitted() (the key field was committed: Enter or focus left it), testRequested(),
    modelsRequested() (the server's model list was asked for),
    chunkCharsChanged(int), pricesChanged(TokenPrices) (a price per million tokens was typed).
    """

    endpointChanged = Signal()
    keyCommitted = Signal()
    testRequested = Signal()
    modelsRequested = Signal()
    chunkCharsChanged = Signal(int)
    pricesChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.providerCombo = name_widget(QComboBox(), "providerCombo", "Provider")
        self.providerCombo.addItems(PROVIDERS)
        self.providerCombo.setToolTip("openai: OpenAI and every compatible server; azure: Azure")
        self.endpointEdit = name_widget(QLineEdit(), "endpointEdit", "Endpoint URL")
        self.endpointEdit.setPlaceholderText("http://127.0.0.1:5272/v1/chat/completions")
        self.deploymentEdit = name_widget(QLineEdit(), "deploymentEdit", "Azure deployment")
        self.apiVersionEdit = name_widget(QLineEdit(), "apiVersionEdit", "Azure API version")
        self.modelEdit = name_widget(QLineEdit(), "modelEdit", "Model")
        # The server's models, offered as the field is typed in once they are listed
        # (set_models makes the completer: there is nothing to offer before); free typing stays.
        self.modelList: QStringListModel | None = None
        self.modelCompleter: QCompleter | None = None
        self.listModelsButton = name_widget(
            QToolButton(), "listModelsButton", "List the server's models"
        )
        self.listModelsButton.setText("List")
        self.listModelsButton.setToolTip("Ask the server for its models (/v1/models)")
        self.apiKeyEdit = name_widget(QLineEdit(), "apiKeyEdit", "API key")
        self.apiKeyEdit.setEchoMode(QLineEdit.EchoMode.Password)
        self.apiKeyEdit.setPlaceholderText("none for a local server")
        self.showKeyButton = name_widget(QToolButton(), "showKeyButton", "Show API key")
        self.showKeyButton.setText("Show")
        self.showKeyButton.setCheckable(True)
        self.testButton = name_widget(
            QPushButton("Test connection"), "testConnectionButton", "Test connection"
        )
        self.verdictLabel = name_widget(QLabel(), "verdictLabel", "Connection test result")
        self.verdictLabel.setWordWrap(True)
        self.verdictLabel.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.verdictLabel.setFixedHeight(self.fontMetrics().lineSpacing() * VERDICT_LINES + 4)
        self.verdict = BoundMessage(self.verdictLabel, hide_when_empty=False, parent=self)
        self.insecureLabel = name_widget(QLabel(), "insecureLabel", "Unencrypted connection")
        self.insecureLabel.setWordWrap(True)
        paint_tone(self.insecureLabel, Tone.WARNING)
        self.insecureLabel.setText(
            "This URL is plain http to another machine: the key would cross the network "
            "unencrypted. Use https."
        )
        self.insecureLabel.hide()
        self.keyNoticeLabel = name_widget(QLabel(), "keyNoticeLabel", "Key storage notice")
        self.keyNoticeLabel.setWordWrap(True)
        self.keyNoticeLabel.hide()

        model_row = QHBoxLayout()
        model_row.setContentsMargins(0, 0, 0, 0)
        model_row.addWidget(self.modelEdit, 1)
        model_row.addWidget(self.listModelsButton)

        key_row = QHBoxLayout()
        key_row.setContentsMargins(0, 0, 0, 0)
        key_row.addWidget(self.apiKeyEdit, 1)
        key_row.addWidget(self.showKeyButton)

        endpoint_box = QGroupBox("Endpoint")
        form = QFormLayout(endpoint_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Provider", self.providerCombo)
        form.addRow("URL", self.endpointEdit)
        form.addRow("Deployment", self.deploymentEdit)
        form.addRow("API version", self.apiVersionEdit)
        form.addRow("Model", model_row)
        form.addRow("API key", key_row)
        form.addRow(self.insecureLabel)
        form.addRow(self.keyNoticeLabel)
        test_row = QHBoxLayout()
        test_row.addWidget(self.testButton)
        test_row.addStretch(1)
        form.addRow(test_row)
        form.addRow(self.verdictLabel)
        self._form = form

        # Advanced: run settings most people leave alone.
        self.concurrencySpin = name_widget(QSpinBox(), "concurrencySpin", "Requests at once")
        self.concurrencySpin.setRange(1, 64)
        self.chunkCharsSpin = name_widget(QSpinBox(), "chunkCharsSpin", "Chunk size in characters")
        # One below the smallest chunk reads "auto": fitted to the server's context.
        self.chunkCharsSpin.setRange(_AUTO_SPIN, 1_000_000)
        self.chunkCharsSpin.setSpecialValueText("auto")
        self.chunkCharsSpin.setSingleStep(500)
        self.retriesSpin = name_widget(QSpinBox(), "retriesSpin", "Retries per chunk")
        self.retriesSpin.setRange(0, 20)
        self.timeoutSpin = name_widget(QDoubleSpinBox(), "timeoutSpin", "Timeout in seconds")
        self.timeoutSpin.setRange(1.0, 3600.0)
        self.timeoutSpin.setDecimals(0)
        self.timeoutSpin.setSuffix(" s")
        self.promptEdit = name_widget(QPlainTextEdit(), "promptEdit", "Prompt template")
        self.promptEdit.setToolTip("{n} becomes the number of pairs, {context} the chunk's text")
        self.resetPromptButton = name_widget(
            QPushButton("Reset to default"), "resetPromptButton", "Reset prompt to default"
        )
        self.systemMessageEdit = name_widget(
            QPlainTextEdit(), "systemMessageEdit", "System message"
        )
        self.systemMessageEdit.setPlaceholderText("optional; also written in openai-chat files")
        self.systemMessageEdit.setMaximumHeight(60)

        self.inputPriceEdit = name_widget(
            QLineEdit(), "inputPriceEdit", "Input price in dollars per million tokens"
        )
        self.outputPriceEdit = name_widget(
            QLineEdit(), "outputPriceEdit", "Output price in dollars per million tokens"
        )
        for edit in (self.inputPriceEdit, self.outputPriceEdit):
            edit.setPlaceholderText("$ per million tokens")
            edit.setValidator(QRegularExpressionValidator(QRegularExpression(_PRICE), edit))
            edit.setToolTip(
                "With both prices, the estimate under the text shows the run's cost; "
                "empty shows none, 0 is a free local server"
            )
            edit.textChanged.connect(lambda _text: self.pricesChanged.emit(self.prices()))

        self.advancedToggle = name_widget(QToolButton(), "advancedToggle", "Advanced settings")
        self.advancedToggle.setText("Advanced settings")
        self.advancedToggle.setCheckable(True)
        self.advancedToggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advancedToggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advancedToggle.setAutoRaise(True)
        self.advancedBox = QWidget()
        advanced = QFormLayout(self.advancedBox)
        advanced.setContentsMargins(0, 0, 0, 0)
        advanced.addRow("Requests at once", self.concurrencySpin)
        advanced.addRow("Chunk size", self.chunkCharsSpin)
        advanced.addRow("Retries", self.retriesSpin)
        advanced.addRow("Timeout", self.timeoutSpin)
        advanced.addRow("Prompt", self.promptEdit)
        advanced.addRow("", self.resetPromptButton)
        advanced.addRow("System message", self.systemMessageEdit)
        advanced.addRow("Input $/M tokens", self.inputPriceEdit)
        advanced.addRow("Output $/M tokens", self.outputPriceEdit)
        self.advancedBox.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(endpoint_box)
        layout.addWidget(self.advancedToggle)
        layout.addWidget(self.advancedBox, 1)
        layout.addStretch(0)

        self.providerCombo.currentTextChanged.connect(self._provider_changed)
        self.providerCombo.activated.connect(lambda _index: self.endpointChanged.emit())
        for edit in (self.endpointEdit, self.deploymentEdit, self.apiVersionEdit):
            edit.editingFinished.connect(self.endpointChanged)
        self.endpointEdit.textChanged.connect(self.update_security_warning)
        self.apiKeyEdit.textChanged.connect(self.update_security_warning)
        self.apiKeyEdit.editingFinished.connect(self.keyCommitted)
        self.showKeyButton.toggled.connect(self._show_key)
        self.testButton.clicked.connect(self.testRequested)
        self.listModelsButton.clicked.connect(self.modelsRequested)
        self.resetPromptButton.clicked.connect(
            lambda: self.promptEdit.setPlainText(DEFAULT_TEMPLATE)
        )
        self.advancedToggle.toggled.connect(self._show_advanced)
        self.chunkCharsSpin.valueChanged.connect(self.chunkCharsChanged)
        self._provider_changed(self.providerCombo.currentText())

    # Values -----------------------------------------------------------------------------------

    def endpoint(self) -> Endpoint:
        return Endpoint(
            provider=self.providerCombo.currentText(),
            url=self.endpointEdit.text().strip(),
            model=self.modelEdit.text().strip(),
            deployment=self.deploymentEdit.text().strip(),
            api_version=self.apiVersionEdit.text().strip(),
        )

    def chunk_chars(self) -> int:
        """The chunk size set, ``AUTO_CHUNK_CHARS`` for "auto"."""
        value = self.chunkCharsSpin.value()
        return AUTO_CHUNK_CHARS if value == _AUTO_SPIN else value

    def prices(self) -> TokenPrices:
        """The prices per million tokens typed in (None where a field is empty)."""
        from qagen_desktop.core.estimate import TokenPrices, parse_price

        return TokenPrices(
            parse_price(self.inputPriceEdit.text()), parse_price(self.outputPriceEdit.text())
        )

    def has_prices(self) -> bool:
        """Whether a price is typed in (``prices()`` loads the estimate's module to read it)."""
        return bool(self.inputPriceEdit.text().strip() or self.outputPriceEdit.text().strip())

    def api_key(self) -> str:
        return self.apiKeyEdit.text().strip()

    def set_api_key(self, key: str) -> None:
        self.apiKeyEdit.setText(key)

    def load(self, settings: Settings) -> None:
        self.providerCombo.setCurrentText(settings.provider)
        self.endpointEdit.setText(settings.endpoint)
        self.endpointEdit.setCursorPosition(0)
        self.deploymentEdit.setText(settings.deployment)
        self.apiVersionEdit.setText(settings.api_version)
        self.modelEdit.setText(settings.model)
        self.modelEdit.setCursorPosition(0)  # a long model name shows its start
        self.concurrencySpin.setValue(settings.concurrency)
        chunk_chars = settings.chunk_chars
        self.chunkCharsSpin.setValue(_AUTO_SPIN if chunk_chars == AUTO_CHUNK_CHARS else chunk_chars)
        self.retriesSpin.setValue(settings.max_retries)
        self.timeoutSpin.setValue(settings.timeout)
        self.promptEdit.setPlainText(settings.prompt_template)
        self.systemMessageEdit.setPlainText(settings.system_message)
        for edit, price in (
            (self.inputPriceEdit, settings.input_price),
            (self.outputPriceEdit, settings.output_price),
        ):
            edit.setText("" if price is None else f"{price:g}")
        self.update_security_warning()

    def store(self, settings: Settings) -> None:
        endpoint = self.endpoint()
        settings.provider = endpoint.provider
        settings.endpoint = endpoint.url
        settings.deployment = endpoint.deployment
        settings.api_version = endpoint.api_version
        settings.model = endpoint.model
        settings.concurrency = self.concurrencySpin.value()
        settings.chunk_chars = self.chunk_chars()
        settings.max_retries = self.retriesSpin.value()
        settings.timeout = float(self.timeoutSpin.value())
        settings.prompt_template = self.promptEdit.toPlainText()
        settings.system_message = self.systemMessageEdit.toPlainText()
        prices = self.prices()
        settings.input_price, settings.output_price = prices.input, prices.output

    # Feedback ---------------------------------------------------------------------------------

    def endpoint_signals(self) -> list[Any]:
        """Signals that change where requests go or how they authenticate: URL, key, model,
        provider, deployment or api-version. A message about the old values goes with them."""
        edits = (
            self.endpointEdit,
            self.modelEdit,
            self.apiKeyEdit,
            self.deploymentEdit,
            self.apiVersionEdit,
        )
        return [edit.textChanged for edit in edits] + [self.providerCombo.currentTextChanged]

    def show_verdict(self, ok: bool, message: str) -> None:
        """The connection test's verdict, shown until URL, key or model change."""
        tone = Tone.OK if ok else Tone.ERROR
        self.verdict.show(message, tone, until=self.endpoint_signals())

    def set_testing(self, testing: bool, note: str = "Testing…") -> None:
        self.testButton.setEnabled(not testing)
        self.listModelsButton.setEnabled(not testing)
        if testing:
            self.verdict.show(note, Tone.PLAIN)

    def set_models(self, names: list[str]) -> None:
        """Offer ``names`` in the model field, and open the list (the field keeps its text)."""
        if self.modelList is None or self.modelCompleter is None:
            from PySide6.QtCore import QStringListModel
            from PySide6.QtWidgets import QCompleter

            self.modelList = QStringListModel(self)
            self.modelCompleter = QCompleter(self.modelList, self)
            self.modelCompleter.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            self.modelCompleter.setFilterMode(Qt.MatchFlag.MatchContains)
            self.modelEdit.setCompleter(self.modelCompleter)
        self.modelList.setStringList(names)
        if names and self.isVisible():
            self.modelCompleter.setCompletionPrefix("")
            self.modelCompleter.complete()

    def show_key_notice(self, message: str) -> None:
        self.keyNoticeLabel.setText(message)
        self.keyNoticeLabel.show()

    def update_security_warning(self) -> None:
        try:
            unsafe = bool(self.api_key()) and self.endpoint().sends_key_unencrypted()
        except ConfigError:
            unsafe = False
        self.insecureLabel.setVisible(unsafe)

    def _provider_changed(self, provider: str) -> None:
        azure = provider == "azure"
        for field in (self.deploymentEdit, self.apiVersionEdit):
            self._form.setRowVisible(field, azure)
        self.update_security_warning()

    def _show_key(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.apiKeyEdit.setEchoMode(mode)
        self.showKeyButton.setText("Hide" if shown else "Show")

    def _show_advanced(self, shown: bool) -> None:
        self.advancedBox.setVisible(shown)
        self.advancedToggle.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
