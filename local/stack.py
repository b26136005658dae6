"""The local stack: moto, the fakes, the HTTP API and the queue workers on 127.0.0.1.

``running_stack`` starts everything, sets this process's environment as the template sets
the functions' (with local URLs) and gives the handlers fresh ``services()``; on exit it stops
the servers and puts the environment back.
"""

import contextlib
import html
import json
import logging
import os
import secrets
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

import httpx

from billit_sync.observability import logger
from billit_sync.settings_ui.service import PAGE_PATH as SETTINGS_PAGE_PATH
from billit_sync.tickets import MAX_LIFETIME_SECONDS, TicketScope, mint_ticket
from local.api_gateway import LocalHttpApi, RouteTable
from local.aws import LocalAws, local_aws, point_boto3_at
from local.functions import LocalFunction, function_environment, local_functions
from local.queues import QueueWorkers
from local.tls import LocalCertificate, make_certificate
from tests.fakes.billit import BillitFake
from tests.fakes.outsmart import OutSmartFake
from tests.fakes.server import RunningServer, start

STAGE = "local"
CLIENT_ID = "outsmart-connector-local"
CLIENT_SECRET = "billit-client-secret-local"  # noqa: S105 - the fake's OAuth client
SOFTWARE_TOKEN = "outsmart-software-token-local"  # noqa: S105 - the fake's software token
RETURN_PATH = "/settings/integrations/billit"  # OutSmart's Billit settings page (a stand-in)
EMBED_PATH = "/settings/integrations/billit/embedded"  # the same, framing the service's page
DEFAULT_STATE_DIR = Path(".local")


@dataclass
class LocalStack:
    aws: LocalAws
    api: LocalHttpApi
    billit: BillitFake
    billit_server: RunningServer
    outsmart: OutSmartFake
    outsmart_server: RunningServer
    functions: dict[str, LocalFunction]
    workers: QueueWorkers
    certificate: LocalCertificate
    ticket_key: bytes
    state_dir: Path
    service_log: Path

    @property
    def return_url(self) -> str:
        return f"{self.outsmart_server.url}{RETURN_PATH}"

    def ticket(
        self, tenant_id: str, scope: TicketScope = TicketScope.TENANT, ttl: int | None = None
    ) -> str:
        """A ticket as OutSmart mints it; by default as long-lived as its scope allows."""
        lifetime = ttl or MAX_LIFETIME_SECONDS[scope]
        return mint_ticket(self.ticket_key, tenant_id, scope, now=time.time(), ttl_seconds=lifetime)

    def browser(self) -> httpx.Client:
        """An HTTP client that trusts the local API's certificate and follows no redirects
        by itself (the demo walks the redirect chain step by step)."""
        return httpx.Client(
            verify=self.certificate.client_context(), follow_redirects=False, timeout=30
        )

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """Invoke a function directly (what EventBridge does for the schedules)."""
        return self.functions[logical_id].invoke(event)

    def endpoints(self) -> dict[str, str]:
        return {
            "api": self.api.url,
            "billit": self.billit_server.url,
            "outsmart": f"{self.outsmart_server.url}/openapi/8",
            "aws": self.aws.endpoint,
            "api_certificate": str(self.certificate.cert_file.resolve()),
            "service_log": str(self.service_log.resolve()),
        }

    def write_endpoints(self, extra: dict[str, Any] | None = None) -> Path:
        path = self.state_dir / "endpoints.json"
        path.write_text(json.dumps(self.endpoints() | (extra or {}), indent=2) + "\n")
        return path


def _settings_page(outsmart: OutSmartFake, api_url: str) -> Any:
    """OutSmart's answer, plus a stand-in for its Billit settings page, where the browser
    lands after a connection started from OutSmart (``?billit_connection=connected``): OutSmart
    shows the service's own settings page there, so the stand-in sends the browser on to it
    with the outcome."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == EMBED_PATH:
            # OutSmart's Software integrations screen: the settings page in an iframe, opened
            # with the settings ticket OutSmart minted (issue 15).
            ticket = request.url.params.get("ticket", "")
            source = html.escape(f"{api_url}/ui/open?{urlencode({'ticket': ticket})}")
            page = (
                "<!doctype html><html><head><meta charset='utf-8'><title>OutSmart</title></head>"
                "<body><h1>OutSmart - Software integrations - Billit</h1>"
                f"<iframe id='billit' src='{source}' width='1200' height='900'></iframe>"
                "</body></html>"
            )
            return httpx.Response(200, text=page, headers={"Content-Type": "text/html"})
        if request.url.path == RETURN_PATH:
            outcome = {
                name: value
                for name, value in request.url.params.items()
                if name in ("billit_connection", "billit_reason")
            }
            target = f"{api_url}{SETTINGS_PAGE_PATH}?{urlencode(outcome)}"
            return httpx.Response(303, headers={"Location": target})
        return outsmart.handle(request)

    return handle


def _reset_handler_services(functions: dict[str, LocalFunction]) -> None:
    """Each handler module builds ``services()`` once from ``os.environ``: start afresh."""
    for function in functions.values():
        cached = getattr(import_module(function.module_name), "services", None)
        if cached is not None and hasattr(cached, "cache_clear"):
            cached.cache_clear()


@contextlib.contextmanager
def _service_logs_to(stream: TextIO) -> Iterator[None]:
    """The functions' JSON log lines and metrics (EMF on stdout) go to ``stream``, as they go
    to CloudWatch in AWS; the caller keeps the terminal for the story."""
    handler = logger.registered_handler
    previous = getattr(handler, "stream", None)
    if hasattr(handler, "setStream"):
        handler.setStream(stream)
    try:
        with contextlib.redirect_stdout(stream):
            yield
    finally:
        if previous is not None and hasattr(handler, "setStream"):
            handler.setStream(previous)


def _quiet_libraries() -> None:
    """moto's server logs every request (werkzeug) and Powertools warns when an invocation
    published no metric: neither belongs in the story."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)


@contextlib.contextmanager
def running_stack(
    state_dir: Path = DEFAULT_STATE_DIR, log_level: str = "INFO"
) -> Iterator[LocalStack]:
    state_dir.mkdir(parents=True, exist_ok=True)
    _quiet_libraries()
    saved_environ = dict(os.environ)
    certificate = make_certificate(state_dir / "tls")
    app_secret = {
        "billit_client_id": CLIENT_ID,
        "billit_client_secret": CLIENT_SECRET,
        "outsmart_software_token": SOFTWARE_TOKEN,
        "sync_log_cursor_key": secrets.token_urlsafe(32),
    }
    functions = local_functions(STAGE)
    service_log = state_dir / "service.log"
    try:
        with (
            service_log.open("w", encoding="utf-8") as log_file,
            local_aws(app_secret, stage=STAGE) as aws,
            _service_logs_to(log_file),
        ):
            point_boto3_at(aws.endpoint, os.environ)
            os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"
            api = LocalHttpApi(RouteTable(functions.values()), certificate.server_context())
            billit = BillitFake(
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                redirect_uris=(f"{api.url}/oauth/callback",),
            )
            outsmart = OutSmartFake(software_token=SOFTWARE_TOKEN)
            billit_server = start(billit.handle)
            outsmart_server = start(_settings_page(outsmart, api.url))
            outsmart.pdf_host = outsmart_server.url  # work order PDFs on the local OutSmart
            os.environ.update(
                function_environment(
                    parameters={
                        "Stage": STAGE,
                        "LogLevel": log_level,
                        "PublicBaseUrl": api.url,
                        "ReturnUrlAllowList": outsmart_server.url,
                        "OutSmartBaseUrl": f"{outsmart_server.url}/openapi/8",
                    },
                    resources=aws.tables | aws.queues,
                    overrides={
                        "BILLIT_API_URL": billit_server.url,
                        "BILLIT_LOGIN_URL": f"{billit_server.url}/Account/Logon",
                    },
                )
            )
            _reset_handler_services(functions)
            session = aws.session()
            secret = session.client("secretsmanager", endpoint_url=aws.endpoint)
            document = json.loads(
                secret.get_secret_value(SecretId=aws.app_secret_name)["SecretString"]
            )
            workers = QueueWorkers(
                session.client("sqs", endpoint_url=aws.endpoint),
                functions,
                aws.queues,
                aws.queue_arns,
            )
            api.start()
            try:
                yield LocalStack(
                    aws=aws,
                    api=api,
                    billit=billit,
                    billit_server=billit_server,
                    outsmart=outsmart,
                    outsmart_server=outsmart_server,
                    functions=functions,
                    workers=workers,
                    certificate=certificate,
                    ticket_key=str(document["ticket_signing_key"]).encode(),
                    state_dir=state_dir,
                    service_log=service_log,
                )
            finally:
                workers.stop()
                api.stop()
                billit_server.stop()
                outsmart_server.stop()
    finally:
        _reset_handler_services(functions)
        os.environ.clear()
        os.environ.update(saved_environ)


def real_stdout() -> TextIO:
    """The terminal, even while service output is redirected."""
    return sys.__stdout__ or sys.stdout
