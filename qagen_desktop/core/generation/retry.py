"""When to ask again after a failed request, and how long to wait first: pure values, no I/O.

Which failures retry is the client's call (``ChatError.retryable``: 408, 409, 429, 5xx, connect
errors and timeouts); the policy turns a retryable failure into a wait. The server's own
``retry-after-ms`` / ``retry-after`` (already read by the client) wins over the backoff; a wait
longer than the quota cap means an exhausted quota, which is reported rather than slept through.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from qagen_desktop.core.errors import ErrorKind

# Failures after which sending the rest of the run is pointless: every request would fail alike.
FATAL_KINDS = frozenset(
    {
        ErrorKind.AUTH,
        ErrorKind.FORBIDDEN,
        ErrorKind.NOT_FOUND,
        ErrorKind.QUOTA,
        ErrorKind.REDIRECT,
        ErrorKind.DNS,
        ErrorKind.TLS,
        ErrorKind.CONNECT,
    }
)


@dataclass(frozen=True)
class QuotaWait:
    """The server asks for a wait over the cap: the message says what to do instead."""

    seconds: float
    message: str


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, capped; ``quota_wait`` is the longest wait slept."""

    base: float = 0.5
    cap: float = 20.0
    quota_wait: float = 120.0

    def backoff(self, failures: int, rng: random.Random) -> float:
        """The wait before retry number ``failures`` (1-based): base * 2^(n-1), capped, times a
        jitter in [0.5, 1) so chunks that failed together do not retry together."""
        return min(self.cap, self.base * 2 ** (max(failures, 1) - 1)) * rng.uniform(0.5, 1)

    def wait(
        self,
        failures: int,
        retry_after: float | None,
        rng: random.Random,
        *,
        kind: ErrorKind = ErrorKind.SERVER,
        status: int | None = None,
    ) -> float | QuotaWait:
        """Seconds to sleep before the next try, or a QuotaWait when the server asks for more
        than ``quota_wait``."""
        wait = retry_after if retry_after is not None else self.backoff(failures, rng)
        if wait <= self.quota_wait:
            return wait
        if kind == ErrorKind.RATE_LIMITED:
            message = (
                f"The provider's quota is exhausted: it asks to wait {wait:.0f} s; try again "
                "later or raise the quota."
            )
        else:
            message = (
                f"The server is unavailable (HTTP {status}) and asks to wait {wait:.0f} s: "
                "try again later."
            )
        return QuotaWait(wait, message)
