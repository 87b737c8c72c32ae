"""qagen-desktop: pasted text to a question-answer dataset, with any OpenAI-compatible model."""

__version__ = "0.1.0"
APP_NAME = "qagen-desktop"
