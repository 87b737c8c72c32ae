"""What one run needs, as plain values, with the defaults declared once for every face.

The settings file and ``qagen``'s options take their defaults from ``DEFAULTS``; ``validate``
is the one place a run's numbers are checked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from qagen_desktop.core.chunking import MIN_CHUNK_CHARS
from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.prompts import DEFAULT_TEMPLATE, check_template

if TYPE_CHECKING:
    from qagen_desktop.core.generation.negotiation import Refusal

# ``chunk_chars`` of this value: fit the chunks to the server's context window (``qagen
# --chunk-chars auto``; the window's "auto" setting).
AUTO_CHUNK_CHARS = 0
# A grounded pair in JSON takes 60-120 tokens (question 10-40, answer 15-80, keys and quotes
# about 12); a reply's limit allows this much per pair asked, plus ``REPLY_ALLOWANCE_TOKENS``.
DEFAULT_TOKENS_PER_PAIR = 150
# ``ResponseMode.JSON_SCHEMA`` by value: the negotiation's module (its request shapes) loads with
# the first run, not with the settings that every start of the window reads.
DEFAULT_RESPONSE_MODE = "json_schema"


class InvalidValue(ConfigError):
    """A number out of range; ``name`` is the RunConfig field, so each face can name its own
    control (``qagen`` says ``-n``, the window says "Pairs")."""

    def __init__(self, name: str, label: str, rule: str, value: object) -> None:
        super().__init__(f"{label} must be {rule} (got {value}).")
        self.name = name
        self.rule = rule
        self.value = value


@dataclass(frozen=True)
class RunConfig:
    """Everything one run needs (read from flags, environment and settings by the session)."""

    endpoint: Endpoint = field(default_factory=Endpoint)
    api_key: str | None = field(default=None, repr=False)
    total_pairs: int = 5
    chunk_chars: int = 3000
    concurrency: int = 4
    max_retries: int = 3
    timeout: float = 60.0
    prompt_template: str = DEFAULT_TEMPLATE
    system_message: str = ""
    response_mode: str = DEFAULT_RESPONSE_MODE
    # The judge pass (see generation.judging): off by default; the run's endpoint, model and
    # key unless a judge endpoint or model is given. ``judge_api_key`` is the key for the judge
    # endpoint's own host (the session never hands it the generation key for another host).
    judge: bool = False
    min_score: int = 7
    judge_model: str | None = None
    judge_endpoint: Endpoint | None = None
    judge_api_key: str | None = field(default=None, repr=False)
    # The reply's token limit per pair asked (0: send no limit at all).
    max_tokens_per_pair: int = DEFAULT_TOKENS_PER_PAIR
    # What this endpoint refused before (remembered in the settings), so no request asks again.
    refused: frozenset[Refusal] = frozenset()

    @property
    def auto_chunk(self) -> bool:
        return self.chunk_chars == AUTO_CHUNK_CHARS

    def validate(self) -> None:
        """Raise ConfigError (one sentence naming the fix) for a run that cannot work."""
        from qagen_desktop.core.generation.negotiation import ResponseMode

        self.endpoint.chat_url()  # raises ConfigError for a URL that cannot work
        if self.total_pairs < 1:
            raise InvalidValue("total_pairs", "The number of pairs", "1 or more", self.total_pairs)
        if self.chunk_chars < MIN_CHUNK_CHARS and not self.auto_chunk:
            raise InvalidValue(
                "chunk_chars", "The chunk size", f"at least {MIN_CHUNK_CHARS}", self.chunk_chars
            )
        if self.max_tokens_per_pair < 0:
            raise InvalidValue(
                "max_tokens_per_pair",
                "Max tokens per pair",
                "0 (no limit) or more",
                self.max_tokens_per_pair,
            )
        if self.concurrency < 1:
            raise InvalidValue("concurrency", "Concurrency", "1 or more", self.concurrency)
        if self.max_retries < 0:
            raise InvalidValue("max_retries", "Max retries", "0 or more", self.max_retries)
        # nan compares false with everything, so "not > 0" catches it too.
        if not self.timeout > 0 or math.isinf(self.timeout):
            raise InvalidValue(
                "timeout", "The timeout", "a number of seconds above 0", f"{self.timeout:g}"
            )
        if self.response_mode not in set(ResponseMode):
            raise ConfigError(
                f"Unknown response mode {self.response_mode!r}: use one of "
                f"{', '.join(ResponseMode)}."
            )
        if not 1 <= self.min_score <= 10:
            raise InvalidValue("min_score", "The minimum score", "from 1 to 10", self.min_score)
        if self.judge and self.judge_endpoint is not None:
            self.judge_endpoint.chat_url()
        problem = check_template(self.prompt_template)
        if problem:
            raise ConfigError(problem)

    def judge_target(self) -> tuple[Endpoint, str | None]:
        """The endpoint (with the judge's model) and key the judge's requests go to."""
        if self.judge_endpoint is None:
            endpoint, key = self.endpoint, self.api_key
        else:
            endpoint, key = self.judge_endpoint, self.judge_api_key
        if self.judge_model:
            endpoint = replace(endpoint, model=self.judge_model)
        return endpoint, key


DEFAULTS = RunConfig()


# The largest chunk "auto" makes: the default size.
AUTO_CHUNK_CAP = DEFAULTS.chunk_chars


def counting_size(chunk_chars: int) -> int:
    """The chunk size to count a text's chunks by before any server is asked: "auto" (or any
    size under the smallest chunk, as the window's "auto" step) counts at its largest chunk."""
    return chunk_chars if chunk_chars >= MIN_CHUNK_CHARS else AUTO_CHUNK_CAP
