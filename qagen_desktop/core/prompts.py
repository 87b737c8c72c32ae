"""The prompt that asks for k grounded pairs, and the JSON schema for structured output.

The default template puts what never changes first (the instructions, the reply's shape), then
the chunk, then what changes from one request to the next (the count asked). A server with a
prompt cache (llama.cpp, vLLM, OpenAI) then serves a chunk's re-asks from it: they differ only
after the chunk. A custom template keeps its own order.

The reply's shape is described, not shown with "..." placeholders: a small base model copies
an example like ``{"question": "...", "answer": "..."}`` word for word.
"""

from __future__ import annotations

from typing import Any

DEFAULT_TEMPLATE = """\
Write question-answer pairs grounded in the text below. Each question must be answerable from \
the text alone, and each answer must come from the text. Do not repeat a question.

Reply with JSON only: an object whose "pairs" list holds each pair as \
{"question": <the question, in full>, "answer": <its answer, in full>}.

Text:
\"\"\"
{context}
\"\"\"

Generate {n} question-answer pairs from it.
"""

# The longest question and answer a bounded schema allows, in characters: well above what a
# grounded pair needs (questions run 40-150 characters, answers 50-300), so only a runaway string
# is cut.
QUESTION_MAX_CHARS = 300
ANSWER_MAX_CHARS = 600

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


def bounded_schema(n: int) -> dict[str, Any]:
    """``PAIRS_SCHEMA`` with exactly ``n`` items and strings of bounded length. llama.cpp turns
    the schema into a grammar, so the model stops after the n-th pair and cannot run on inside
    a string."""
    pair = PAIRS_SCHEMA["properties"]["pairs"]["items"]
    return {
        **PAIRS_SCHEMA,
        "properties": {
            "pairs": {
                "type": "array",
                "minItems": n,
                "maxItems": n,
                "items": {
                    **pair,
                    "properties": {
                        "question": {"type": "string", "maxLength": QUESTION_MAX_CHARS},
                        "answer": {"type": "string", "maxLength": ANSWER_MAX_CHARS},
                    },
                },
            }
        },
    }


def response_format(mode: str, bounded_to: int | None = None) -> dict[str, Any] | None:
    """The ``response_format`` of a request in this mode; None for the plain prompt.
    ``bounded_to``: the pairs asked, to bound the schema to (None: the schema unbounded)."""
    if mode == "json_schema":
        schema = PAIRS_SCHEMA if bounded_to is None else bounded_schema(bounded_to)
        return {
            "type": "json_schema",
            "json_schema": {"name": "qa_pairs", "schema": schema, "strict": True},
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
