"""What a handler loads on a cold start (issue 16): a module that only some of its routes use is
loaded by those routes, not by the import Lambda runs before the first request. ``make bench``
measures the import's CPU; this keeps the boundaries that figure depends on from slipping back
one import at a time."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

NOT_AT_IMPORT: dict[str, tuple[str, ...]] = {
    # /connect needs a stored state and Billit's login URL; only the callback and the
    # confirmation call Billit (connection.connect_flow, httpx).
    "oauth": ("httpx", "billit_sync.connection.connect_flow", "billit_sync.billit.oauth"),
    # Powertools' OpenAPI models only build the document (make openapi, Swagger UI in make
    # dev); the connection routes alone build the lifecycle; no route takes OutSmart's webhook.
    "management_api": (
        "aws_lambda_powertools.event_handler.openapi.models",
        "billit_sync.connection.lifecycle",
        "billit_sync.sync.exports.triggers",
        "httpx",
    ),
    # A redirect (opening the page, every button) renders no template; only the buttons
    # that use them load the connect flow, the retry and the scheduler.
    "settings_page": (
        "jinja2",
        "httpx",
        "billit_sync.connection.connect_flow",
        "billit_sync.connection.lifecycle",
        "billit_sync.sync.exports.triggers",
        "billit_sync.sync.scheduler",
    ),
    # Each route loads its own intake (Billit's events, OutSmart's work orders); verifying
    # and queueing calls neither Billit nor OutSmart.
    "webhook_ingestion": (
        "billit_sync.webhooks.ingestion",
        "billit_sync.sync.exports.triggers",
        "httpx",
        "billit_sync.log_panel",
    ),
}

_PROBE = """
import json, sys
import app
print(json.dumps(sorted(sys.modules)))
"""


def _loaded_by_import(function: str) -> set[str]:
    code_dir = ROOT / "functions" / function
    done = subprocess.run(  # noqa: S603 - this interpreter, our own probe
        [sys.executable, "-c", _PROBE],
        cwd=code_dir,
        env={
            "PYTHONPATH": f"{code_dir}:{ROOT / 'layers' / 'common'}",
            "AWS_REGION": "eu-west-1",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "PYTHONDONTWRITEBYTECODE": "1",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("function", sorted(NOT_AT_IMPORT))
def test_the_handler_leaves_what_only_some_routes_use_to_those_routes(function: str) -> None:
    loaded = _loaded_by_import(function)
    assert "billit_sync.wiring" in loaded  # the probe imported the real handler
    assert sorted(set(NOT_AT_IMPORT[function]) & loaded) == []
