"""Bounded retries with exponential backoff, full jitter and ``Retry-After``, for every HTTP call.

Safe requests (reads, upserts, requests with an idempotency guarantee) are retried on 429, 5xx,
timeouts and connection errors. Unsafe requests (e.g. creating a Billit invoice) are retried
only when the request certainly did not take effect: a connection that never opened, or a 429.
A timeout after sending raises ``OutcomeUnknownError``; a 5xx comes back to the caller, which
knows the API well enough to call it "outcome unknown".
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx

from billit_sync.errors import OutcomeUnknownError, TransientError
from billit_sync.http.redact import describe_request
from billit_sync.observability import logger

# Raised before the request left this machine: it cannot have had an effect.
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
# Raised after the request may have reached the server.
MAYBE_SENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


def default_retryable_response(response: httpx.Response) -> bool:
    return response.status_code == 429 or response.status_code >= 500


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. The defaults keep one call under about half a minute of waiting."""

    max_attempts: int = 5
    base_delay: float = 0.25
    max_delay: float = 8.0
    max_total_delay: float = 30.0
    retryable_response: Callable[[httpx.Response], bool] = default_retryable_response

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max_delay, base * 2**n)]."""
        cap = min(self.max_delay, self.base_delay * (2**retry_number))
        return rng.uniform(0, cap)


NO_RETRIES = RetryPolicy(max_attempts=1)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


class RequestFailedError(TransientError):
    """No usable response after all retries (connection errors or timeouts)."""


@dataclass
class RetryingSender:
    """Sends one logical request, retrying as the policy allows. Shared by both API clients."""

    client: httpx.Client
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def send(self, build: Callable[[], httpx.Request], *, unsafe: bool = False) -> httpx.Response:
        """Send until success, a non-retryable answer, or the budget is spent.

        ``build`` makes a fresh request per attempt (so a refreshed token can be used).
        Returns the last response, which may still be a 429 or 5xx when retries ran out.
        """
        waited = 0.0
        attempt = 0
        while True:
            request = build()
            retry_after: float | None = None
            response: httpx.Response | None = None
            try:
                answer = self.client.send(request)
            except NOT_SENT_ERRORS as exc:
                reason = type(exc).__name__
            except MAYBE_SENT_ERRORS as exc:
                if unsafe:
                    raise OutcomeUnknownError(
                        f"{describe_request(request)}: no answer after sending "
                        f"({type(exc).__name__}); look the result up before retrying"
                    ) from None
                reason = type(exc).__name__
            else:
                retryable = answer.status_code == 429 or (
                    not unsafe and self.policy.retryable_response(answer)
                )
                if not retryable:
                    return answer
                answer.read()
                response = answer
                retry_after = parse_retry_after(answer.headers.get("Retry-After"))
                reason = f"HTTP {answer.status_code}"

            attempt += 1
            delay = max(self.policy.backoff(attempt - 1, self.rng), retry_after or 0.0)
            out_of_attempts = attempt >= self.policy.max_attempts
            out_of_time = waited + delay > self.policy.max_total_delay
            if out_of_attempts or out_of_time:
                logger.warning(
                    "giving up on HTTP request",
                    extra={
                        "request": describe_request(request),
                        "reason": reason,
                        "attempts": attempt,
                        "waited_seconds": round(waited, 3),
                    },
                )
                if response is not None:
                    return response
                raise RequestFailedError(
                    f"{describe_request(request)}: {reason} after {attempt} attempt(s)"
                ) from None
            logger.info(
                "retrying HTTP request",
                extra={
                    "request": describe_request(request),
                    "reason": reason,
                    "attempt": attempt,
                    "delay_seconds": round(delay, 3),
                },
            )
            self.sleep(delay)
            waited += delay
