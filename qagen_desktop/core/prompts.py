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


def response_format(mode: str) -> dict[str, Any] | None:
    """The ``response_format`` of a request in this mode; None for the plain prompt."""
    if mode == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {"name": "qa_pairs", "schema": PAIRS_SCHEMA, "strict": True},
        }
    if mode == "json_object":
        return {"type": "json_object"}
    return None


def build_messages(
    template: str, system_message: str, context: str, n: int
) -> list[dict[str, str]]:
    """The chat messages asking for ``n`` pairs from ``context``: an optional system message,
    then the filled-in template."""
    messages = []
    if system_message.strip():
        messages.append({"role": "system", "content": system_message})
    messages.append({"role": "user", "content": render_prompt(template, context, n)})
    return messages


def check_template(template: str) -> str | None:
    """What is wrong with an edited template (None when it is usable)."""
    missing = [name for name in ("{n}", "{context}") if name not in template]
    if missing:
        return f"The prompt template needs {' and '.join(missing)}: put it back in."
    return None
