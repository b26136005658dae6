"""Secret hygiene across every flow (issue 8, item 4): the demo's whole story (register,
browser connect, import, discovery, export, Billit webhooks, OutSmart webhook, log panel) runs
under a capturing log handler. No token, code, client secret, webhook secret, ticket or OutSmart
token may reach a log line, an HTTP answer of the service or an exception message.

Traces (issue 16): tracing is Lambda's active tracing without an SDK in the code
(``billit_sync.observability``), so a trace holds only what Lambda itself records (function,
timings, error flag), never a value of ours. What used to be checked here, annotations and
metadata a Tracer wrote, cannot exist any more; what is checked instead is that premise: after
the whole story ran, no tracing SDK was loaded, so no code path could have written into a
trace."""

import io
import json
import logging
import re
import sys
import traceback
from importlib import import_module
from pathlib import Path
from typing import Any

import httpx
import pytest

from billit_sync.connection.token_provider import NotConnectedError
from billit_sync.observability import SERVICE_NAME
from billit_sync.tickets import TicketScope
from local.dataset import SMALL
from local.stack import CLIENT_SECRET, SOFTWARE_TOKEN, LocalStack, running_stack
from local.story import Story, StoryResult
from tests.support.log_capture import captured_service_logs

DATA = SMALL
# The packages through which Python code writes into a trace: the X-Ray SDK (Powertools' Tracer
# uses it) and OpenTelemetry.
TRACING_SDKS = {"aws_xray_sdk", "opentelemetry"}


class ExceptionRecords(logging.Handler):
    """Every exception the service logs (``logger.exception``), message and traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            self.messages.append(
                f"{error!s} {error!r} {''.join(traceback.format_exception(error))}"
            )


class Played:
    def __init__(self) -> None:
        self.responses: list[dict[str, Any]] = []
        self.tickets: list[str] = []
        self.result: StoryResult | None = None
        self.webhook_secret = ""
        self.ticket_key = ""
        self.logs = ""
        self.service_log = ""
        self.exceptions: list[str] = []
        self.tracing_modules: list[str] = []
        self.scheduler_answers: list[Any] = []
        self.stack: LocalStack | None = None


def _recording_stack(patch: pytest.MonkeyPatch, played: Played, api_url: list[str]) -> None:
    mint = LocalStack.ticket
    browser = LocalStack.browser
    invoke = LocalStack.invoke

    def ticket(
        self: LocalStack,
        tenant_id: str,
        scope: TicketScope = TicketScope.TENANT,
        ttl: int | None = None,
    ) -> str:
        value = mint(self, tenant_id, scope, ttl)
        played.tickets.append(value)
        return value

    def keep(response: httpx.Response) -> None:
        if api_url and str(response.request.url).startswith(api_url[0]):
            response.read()
            played.responses.append(
                {
                    "request": f"{response.request.method} {response.request.url.path}",
                    "status": response.status_code,
                    "headers": dict(response.headers),
                    "body": response.text,
                }
            )

    def recording_browser(self: LocalStack) -> httpx.Client:
        client = browser(self)
        client.event_hooks["response"].append(keep)
        return client

    def recording_invoke(self: LocalStack, logical_id: str, event: dict[str, Any]) -> Any:
        answer = invoke(self, logical_id, event)
        played.scheduler_answers.append(answer)
        return answer

    patch.setattr(LocalStack, "ticket", ticket)
    patch.setattr(LocalStack, "browser", recording_browser)
    patch.setattr(LocalStack, "invoke", recording_invoke)


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Played:
    state_dir: Path = tmp_path_factory.mktemp("hygiene")
    played = Played()
    exceptions = ExceptionRecords()
    service = logging.getLogger(SERVICE_NAME)
    api_url: list[str] = []
    with (
        pytest.MonkeyPatch.context() as patch,
        captured_service_logs() as logs,
    ):
        _recording_stack(patch, played, api_url)
        service.addHandler(exceptions)
        try:
            with running_stack(state_dir) as stack:
                api_url.append(stack.api.url)
                story = Story(stack, DATA, io.StringIO())
                played.result = story.run()
                management = import_module(stack.functions["ManagementApiFunction"].module_name)
                # A failure path too: Billit revokes the user's tokens, an import runs into it
                # (the refresh is refused), then a caller asks the token provider for a token.
                stack.billit.revoke_user_tokens(DATA.billit_user)
                sync = f"/tenants/{DATA.tenant_id}/sync"
                story.call("POST", sync, body={"full": True}, expect=202)
                stack.workers.drain()
                story.call("GET", f"/tenants/{DATA.tenant_id}/connection")
                provider = management.services().token_provider(DATA.tenant_id, DATA.party_id)
                with pytest.raises(NotConnectedError) as refused:
                    provider.access_token(force_refresh=True)
                played.exceptions.append(f"{refused.value!s} {refused.value!r}")
                played.exceptions.append(str(refused.getrepr()))
                secret = management.services().tenant_secrets.read(DATA.tenant_id)
                played.webhook_secret = secret.outsmart_webhook_secret.get_secret_value()
                played.ticket_key = stack.ticket_key.decode()
                played.stack = stack
        finally:
            service.removeHandler(exceptions)
    played.logs = logs.getvalue()
    played.service_log = (state_dir / "service.log").read_text(encoding="utf-8")
    played.exceptions.extend(exceptions.messages)
    played.tracing_modules = sorted(
        name for name in sys.modules if name.split(".")[0] in TRACING_SDKS
    )
    return played


def secret_values(played: Played) -> set[str]:
    stack = played.stack
    assert stack is not None
    values = stack.billit.issued_secrets() | {CLIENT_SECRET, SOFTWARE_TOKEN, DATA.outsmart_token}
    values |= {hook["Secret"] for hook in stack.billit.webhooks(DATA.party_id)}
    values |= {played.webhook_secret, played.ticket_key, *played.tickets}
    return {value for value in values if value}


def test_the_capture_is_not_vacuous(played: Played) -> None:
    stack = played.stack
    assert stack is not None
    assert played.result is not None and played.result.connected_to
    assert "connected to Billit" in played.logs
    assert played.service_log.strip()
    assert any(r["request"].endswith("/sync-log") for r in played.responses)
    assert any("/webhooks/billit/" in r["request"] for r in played.responses)
    assert any("/webhooks/outsmart/" in r["request"] for r in played.responses)
    assert played.result.register["outsmart_webhook_secret"] == played.webhook_secret
    secrets = secret_values(played)
    assert len(stack.billit.webhooks(DATA.party_id)) >= 1
    assert len(played.tickets) >= 5
    assert played.exceptions  # the refused token's error, at least
    assert any(re.search(r'"status": ?"auth_expired"', r["body"]) for r in played.responses)
    assert len(secrets) >= 12


def test_no_secret_in_any_log_line_trace_answer_or_exception(played: Played) -> None:
    answers = []
    for response in played.responses:
        if response["request"] == f"PUT /tenants/{DATA.tenant_id}" and response["status"] == 200:
            # The registration answer is where the admin receives the OutSmart webhook secret
            # (once, by design): everything else in it is checked.
            body = json.loads(response["body"])
            assert body.pop("outsmart_webhook_secret") == played.webhook_secret
            answers.append(response | {"body": json.dumps(body)})
        else:
            answers.append(response)
    haystacks = {
        "service log lines": played.logs,
        "the functions' log file": played.service_log,
        "HTTP answers": json.dumps(answers),
        "scheduler answers": json.dumps(played.scheduler_answers, default=repr),
        "exception messages": "\n".join(played.exceptions),
    }
    leaks = [
        (where, secret[:6] + "…")
        for secret in secret_values(played)
        for where, text in haystacks.items()
        if secret in text
    ]
    assert not leaks


def test_no_tracing_sdk_ran_so_no_trace_holds_a_value_of_ours(played: Played) -> None:
    assert played.result is not None and played.result.connected_to  # the whole story ran
    # The dev venv has aws_xray_sdk (moto's server needs it), so an import would succeed here:
    # none happened. The layer cannot even have one (tests/unit/infrastructure/test_layer_lock.py).
    assert played.tracing_modules == []
