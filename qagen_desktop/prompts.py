"""The prompt that asks for k grounded pairs, and the JSON schema for structured output."""

from __future__ import annotations

from typing import Any

DEFAULT_TEMPLATE = """\
Generate {n} question-answer pairs grounded in the text below. Each question must be answerable \
from the text alone, and each answer must come from the text. Do not repeat a question.

Reply with JSON only, in this shape:
{"pairs": [{"question": "...", "answer": "..."}]}

Text:
\"\"\"
{context}
\"\"\"
"""

# What the server should reply with, for response_format json_schema.
PAIRS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "pairs": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "question": {"type": "string"},
                    "answer": {"type": "string"},
                },
                "required": ["question", "answer"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["pairs"],
    "additionalProperties": False,
}


def render_prompt(template: str, context: str, n: int) -> str:
    """Fill ``{context}`` and ``{n}`` in; every other brace is left as written (JSON examples)."""
    # Replace {n} first so a literal "{n}" inside the context text is never touched.
    return template.replace("{n}", str(n)).replace("{context}", context)
