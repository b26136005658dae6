"""Capture the service's log lines exactly as CloudWatch would get them (Powertools JSON,
extra keys included), to check what they carry and what they must never carry."""

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from billit_sync.observability import SERVICE_NAME
from billit_sync.observability import logger as service_logger


@contextmanager
def captured_service_logs(level: int = logging.DEBUG) -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(service_logger.registered_formatter)
    target = logging.getLogger(SERVICE_NAME)
    previous = service_logger.log_level
    target.addHandler(handler)
    service_logger.setLevel(level)
    try:
        yield buffer
    finally:
        target.removeHandler(handler)
        service_logger.setLevel(previous)
