"""Retry policy: bounded attempts, exponential backoff with jitter, ``Retry-After``."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

__all__ = ["RETRYABLE_STATUS", "RetryPolicy", "is_retryable_error", "parse_retry_after"]

#: Statuses worth another try: rate limiting and server-side failures.
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to try a request again.

    A request is tried at most ``max_attempts`` times in all. Network errors (connection
    refused or reset, a dropped body, timeouts), 429 and the 5xx statuses in
    :data:`RETRYABLE_STATUS` are retried; no other 4xx is (a 401 is handled once by the
    authenticator, not here).

    Attributes:
        max_attempts: total tries of one request (1 disables retries).
        initial_backoff: the first delay, in seconds.
        max_backoff: the largest delay computed by backoff, in seconds.
        multiplier: growth factor of the delay after every failure.
        jitter: spread each delay uniformly over ``[delay/2, delay]`` ("equal jitter").
        max_retry_after: the largest ``Retry-After`` honoured, in seconds; a registry
            asking for longer fails the request instead of blocking for that long.
        sleep: the function that waits (tests pass a recorder).
    """

    max_attempts: int = 5
    initial_backoff: float = 0.5
    max_backoff: float = 10.0
    multiplier: float = 2.0
    jitter: bool = True
    max_retry_after: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)

    def backoff(self, failures: int) -> float:
        """The delay before the next try, after ``failures`` failed tries (>= 1)."""
        delay = min(self.max_backoff, self.initial_backoff * self.multiplier ** (failures - 1))
        if self.jitter:
            delay = random.uniform(delay / 2, delay)
        return max(0.0, delay)

    def delay_for(self, failures: int, retry_after: float | None) -> float | None:
        """The delay before the next try, or None when no try is left.

        Args:
            failures: failed tries so far (>= 1).
            retry_after: the server's ``Retry-After`` in seconds, if it sent one.
        """
        if failures >= self.max_attempts:
            return None
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                return None
            return max(retry_after, 0.0)
        return self.backoff(failures)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Parse a ``Retry-After`` header: delta seconds or an HTTP date; None when absent/bad."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def is_retryable_error(exc: BaseException) -> bool:
    """Whether a transport exception is worth another try (network, protocol, timeout)."""
    return isinstance(exc, httpx.TransportError) and not isinstance(
        exc, httpx.UnsupportedProtocol | httpx.ProxyError
    )
