"""Hypothesis profiles for the fuzz targets, chosen with ``HYPOTHESIS_PROFILE``.

- ``ci`` (the default, what ``make test`` runs): a light pass over every target;
- ``fuzz`` (``make fuzz``): at least 10,000 examples per target.

No deadline in either: the handlers run on moto, whose speed is not what is being tested.
"""

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from billit_sync.observability import SERVICE_NAME
from tests.support.stack import Stack, running_stack

LIGHT_EXAMPLES = 100  # hypothesis' own default, so the other hypothesis tests keep theirs
FUZZ_EXAMPLES = 10_000

_SLOW_DATA = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]

settings.register_profile(
    "ci", max_examples=LIGHT_EXAMPLES, deadline=None, suppress_health_check=_SLOW_DATA
)
settings.register_profile("default", parent=settings.get_profile("ci"))
settings.register_profile(
    "fuzz",
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=_SLOW_DATA,
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# ------------------------------------------------------------------------ shared helpers
@contextmanager
def module_stack(*handler_modules: ModuleType) -> Iterator[Stack]:
    """One running stack (moto + fakes + handlers) for a whole test module: the handlers are
    called thousands of times, so it is built once, not per example. The service logger is
    kept at WARNING so the runs do not fill the captured output."""
    service_logger = logging.getLogger(SERVICE_NAME)
    previous = service_logger.level
    service_logger.setLevel(logging.WARNING)
    try:
        with pytest.MonkeyPatch.context() as patch, running_stack(patch, *handler_modules) as stack:
            yield stack
    finally:
        service_logger.setLevel(previous)


ROUTE_NOT_FOUND = "not_found"
"""The problem code of a path that matches no route at all (not a tenant that is unknown)."""


def answered_json(response: dict[str, Any], allowed: set[int]) -> dict[str, Any]:
    """The status is one of ``allowed`` (never a 5xx) and the body is a JSON object."""
    status = response["statusCode"]
    assert status in allowed, (status, response.get("body", "")[:300])
    body = json.loads(response["body"])
    assert isinstance(body, dict)
    if status >= 400:  # an RFC 9457 problem, whatever answered (the service or Powertools)
        assert response["headers"]["Content-Type"] == "application/problem+json"
        assert body["status"] == status and body["type"].endswith(body["code"])
        assert isinstance(body["code"], str) and body["detail"] and body["title"]
    return body
