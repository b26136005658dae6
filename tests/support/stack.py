"""The service wired as in AWS, inside one test process: moto for DynamoDB, SQS and Secrets
Manager (tables and queues from ``template.yaml``), the Billit fake behind respx, and the
handler modules pointed at one ``Services`` built from a test ``RuntimeConfig``.
"""

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from types import ModuleType
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import respx
from moto import mock_aws
from pydantic import SecretStr

from billit_sync.config import RuntimeConfig
from billit_sync.connection.connect_outcomes import ConfirmationNeeded
from billit_sync.sync.imports.jobs import ImportJob
from billit_sync.tickets import MAX_LIFETIME_SECONDS, TicketScope, mint_ticket
from billit_sync.wiring import Services
from tests.fakes.billit import BillitFake
from tests.fakes.outsmart import OutSmartFake
from tests.support.aws import (
    create_app_secret_from_template,
    create_queues_from_template,
    create_tables_from_template,
    drain_queue,
    queue_url,
)
from tests.support.clock import FakeClock
from tests.support.lambda_context import FakeLambdaContext

REGION = "eu-west-1"
STAGE = "test"
PUBLIC_BASE_URL = "https://connector.test"
REDIRECT_URI = f"{PUBLIC_BASE_URL}/oauth/callback"
OUTSMART_UI = "https://app.outsmart.test"
RETURN_URL = f"{OUTSMART_UI}/settings/integrations/billit"
BILLIT_API = "https://api.billit.test"
BILLIT_LOGIN = "https://my.billit.test/Account/Logon"
CLIENT_ID = "outsmart-connector"
CLIENT_SECRET = "billit-client-secret-5b1d0c"
SOFTWARE_TOKEN = "outsmart-software-token-77e1"
TICKET_KEY = "ticket-signing-key-0f9a8b7c6d5e4f3a2b1c"


BILLIT_USER = "an@claes.example"
BILLIT_COMPANY = 512340


def seed_billit_account(billit: BillitFake) -> None:
    """The Billit account most tests connect to: Claes BV with one customer (Peeters BV,
    C-1001), one material (MAT-00001) and one hour product (HT-001)."""
    billit.add_user(BILLIT_USER)
    billit.add_company(BILLIT_USER, "Claes BV", "BE0765432198", party_id=BILLIT_COMPANY)
    billit.add_party(
        BILLIT_COMPANY,
        Name="Peeters BV",
        Nr="C-1001",
        VATNumber="BE0411905847",
        Street="Kerkstraat",
        StreetNumber="12",
        Zipcode="2000",
        City="Antwerpen",
        CountryCode="BE",
        PartyType="Customer",
        Email="boekhouding@peeters.example",
    )
    billit.add_product(
        BILLIT_COMPANY,
        Reference="MAT-00001",
        Description="Koppelstuk 15 mm",
        AmountExcl=Decimal("4.55"),
        VAT=21,
        Unit="C62",
    )
    billit.add_product(
        BILLIT_COMPANY,
        Reference="HT-001",
        Description="Arbeid monteur",
        AmountExcl=Decimal("55.00"),
        VAT=21,
        Unit="HUR",
    )


def runtime_config() -> RuntimeConfig:
    return RuntimeConfig.from_environ(
        {
            "STAGE": STAGE,
            "INTEGRATION_TABLE": f"{STAGE}-IntegrationTable",
            "SYNC_LOG_TABLE": f"{STAGE}-SyncLogTable",
            "SYNC_LOG_RETENTION_DAYS": "90",
            "APP_SECRET_NAME": f"outsmart-billit/{STAGE}/app",
            "TENANT_SECRET_PREFIX": f"outsmart-billit/{STAGE}/tenants/",
            "WEBHOOK_SECRET_PREFIX": f"outsmart-billit/{STAGE}/webhooks/",
            "BILLIT_ENVIRONMENT": "sandbox",
            "BILLIT_API_URL": BILLIT_API,
            "BILLIT_LOGIN_URL": BILLIT_LOGIN,
            "OUTSMART_BASE_URL": "https://outsmart.test/openapi/8",
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "RETURN_URL_ALLOW_LIST": OUTSMART_UI,
            "EXPORT_QUEUE_URL": queue_url("ExportQueue", REGION, STAGE),
            "IMPORT_JOBS_QUEUE_URL": queue_url("ImportJobsQueue", REGION, STAGE),
            "DISCOVERY_JOBS_QUEUE_URL": queue_url("DiscoveryJobsQueue", REGION, STAGE),
            "WEBHOOK_EVENTS_QUEUE_URL": queue_url("WebhookEventsQueue", REGION, STAGE),
        }
    )


def http_event(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event, as the real API sends it."""
    raw_query = "&".join(f"{k}={v}" for k, v in (query or {}).items())
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": {"host": "connector.test", **(headers or {})},
        "requestContext": {
            "domainName": "connector.test",
            "http": {"method": method, "path": path, "sourceIp": "203.0.113.9"},
            "requestId": f"req-{time.monotonic_ns()}",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event


def sqs_event(*bodies: str, receive_count: int = 1, queue: str = "queue") -> dict[str, Any]:
    """An SQS event as Lambda's event source mapping delivers it (one record per body)."""
    return {
        "Records": [
            {
                "messageId": f"msg-{n}-{receive_count}-{time.monotonic_ns()}",
                "receiptHandle": f"receipt-{n}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": str(receive_count)},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:{queue}",
                "awsRegion": REGION,
            }
            for n, body in enumerate(bodies)
        ]
    }


@dataclass
class Stack:
    services: Services
    billit: BillitFake
    outsmart: OutSmartFake
    clock: FakeClock
    router: respx.MockRouter
    connect_reconciles: list[str] = field(default_factory=list)

    def ticket(self, tenant_id: str, scope: TicketScope = TicketScope.TENANT) -> str:
        ttl = min(600, MAX_LIFETIME_SECONDS[scope])
        return mint_ticket(TICKET_KEY.encode(), tenant_id, scope, now=time.time(), ttl_seconds=ttl)

    def invoke(self, module: ModuleType, event: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = module.lambda_handler(event, FakeLambdaContext())
        return response

    def drain(self, queue_logical_id: str) -> list[str]:
        """Bodies of the messages now in one of the template's queues (they are removed)."""
        return drain_queue(self.services.sqs, queue_url(queue_logical_id, REGION, STAGE))

    def connect_tenant(
        self,
        tenant_id: str,
        *,
        user: str,
        outsmart_token: str,
        language: Literal["en", "nl"] = "nl",
    ) -> None:
        """Register the tenant and connect it to Billit as ``user`` (who must exist in the
        Billit fake), through the same services the handlers use."""
        lifecycle = self.services.connection_lifecycle(PUBLIC_BASE_URL)
        lifecycle.register_tenant(tenant_id, SecretStr(outsmart_token), language)
        if outsmart_token not in self.outsmart.tenants:
            self.outsmart.add_tenant(outsmart_token, name=tenant_id)
        started = self.services.login_start(PUBLIC_BASE_URL).start(tenant_id, RETURN_URL)
        flow = self.services.connect_flow(PUBLIC_BASE_URL)
        state = query_of(started.location)["state"]
        answer = query_of(self.billit.authorize(user, REDIRECT_URI, state))
        asked = flow.complete(
            state=answer["state"],
            code=answer["code"],
            error=None,
            browser_nonce=started.browser_nonce,
        )
        assert isinstance(asked, ConfirmationNeeded), asked
        done = flow.confirm(
            confirmation_id=asked.confirmation_id,
            browser_nonce=started.browser_nonce,
            party_id=asked.preselected or asked.choices[0].company.party_id,
            accept=True,
        )
        assert done.location.endswith("billit_connection=connected"), done.location
        # The connect queued the tenant's reconcile on the webhook events queue: keep it aside
        # (``connect_reconciles``) so tests see only the events they cause.
        url = queue_url("WebhookEventsQueue", REGION, STAGE)
        for body in self.drain("WebhookEventsQueue"):
            if '"job":"reconcile"' in body.replace(" ", ""):
                self.connect_reconciles.append(body)
            else:
                self.services.sqs.send_message(QueueUrl=url, MessageBody=body)

    def import_master_data(self, tenant_id: str) -> None:
        """Run the tenant's import to the end, so exports find their id mappings."""
        outcome = self.services.import_service(lambda: 900.0).run(ImportJob(tenant_id=tenant_id))
        assert outcome.value == "finished", outcome

    def call(
        self,
        module: ModuleType,
        method: str,
        path: str,
        *,
        tenant_id: str | None = None,
        scope: TicketScope = TicketScope.TENANT,
        ticket: str | None = None,
        body: Any = None,
        query: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """A management call with ``Authorization: Bearer <ticket>``."""
        token = ticket if ticket is not None else self.ticket(tenant_id or "*", scope)
        return self.invoke(
            module,
            http_event(
                method, path, body=body, query=query, headers={"authorization": f"Bearer {token}"}
            ),
        )


@contextmanager
def running_stack(monkeypatch: pytest.MonkeyPatch, *handler_modules: ModuleType) -> Iterator[Stack]:
    clock = FakeClock()
    with mock_aws(), respx.mock(assert_all_called=False) as router:
        session = boto3.session.Session(region_name=REGION)
        create_tables_from_template(session.resource("dynamodb"), name_prefix=STAGE)
        queues = create_queues_from_template(session.client("sqs"), stage=STAGE)
        config = runtime_config()
        assert queues["ImportJobsQueue"] == config.import_jobs_queue_url
        app_secret = create_app_secret_from_template(
            session.client("secretsmanager"),
            {
                "billit_client_id": CLIENT_ID,
                "billit_client_secret": CLIENT_SECRET,
                "outsmart_software_token": SOFTWARE_TOKEN,
                "ticket_signing_key": TICKET_KEY,
                "sync_log_cursor_key": "sync-log-cursor-key-7d1e0c",
            },
            stage=STAGE,
        )
        assert app_secret == config.app_secret_name
        billit = BillitFake(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            redirect_uris=(REDIRECT_URI,),
            clock=clock.epoch,
        )
        router.route(host="api.billit.test").mock(side_effect=billit.handle)
        router.route(host="my.billit.test").mock(side_effect=billit.handle)
        outsmart = OutSmartFake(software_token=SOFTWARE_TOKEN, pdf_host="https://outsmart.test")
        router.route(host="outsmart.test").mock(side_effect=outsmart.handle)
        services = Services(config, session=session, clock=clock)
        for module in handler_modules:
            if hasattr(module, "services"):  # handlers not wired yet have none
                monkeypatch.setattr(module, "services", lambda: services)
        yield Stack(services=services, billit=billit, outsmart=outsmart, clock=clock, router=router)


def query_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
