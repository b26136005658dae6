"""Ingestion without AWS: every webhook secret is tried every time, the answer never depends on
which check failed, and nothing secret reaches the logs or the queue."""

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from billit_sync.billit.signature import sign_billit_payload, verify_billit_signature
from billit_sync.store import TenantSecret
from billit_sync.webhooks import ingestion
from billit_sync.webhooks.events import WebhookEvent
from billit_sync.webhooks.ingestion import (
    BillitWebhookBadRequestError,
    BillitWebhookIngestion,
    BillitWebhookUnauthorizedError,
    IngestionOutcome,
    delivery_key,
    parse_envelope,
    raw_body,
    signature_header,
)
from tests.support.log_capture import captured_service_logs

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
SECRETS = {"101": "order-webhook-secret-3c9f", "102": "message-webhook-secret-8e1a"}
BODY = json.dumps(
    {
        "UpdatedEntityID": 690998,
        "UpdatedEntityType": "Message",
        "WebhookUpdateTypeTC": "U",
        "EntityDetail": {"OrderMessage": {"OrderID": 2731904, "Destination": "9925:BE04"}},
    }
).encode()


@dataclass
class Secrets:
    stored: dict[str, dict[str, str]] = field(default_factory=lambda: {"acme": SECRETS})
    reads: list[str] = field(default_factory=list)

    def read(self, tenant_id: str) -> TenantSecret:
        self.reads.append(tenant_id)
        found = self.stored.get(tenant_id, {})
        return TenantSecret(webhook_secrets={k: SecretStr(v) for k, v in found.items()})


@dataclass
class Deliveries:
    seen: set[tuple[str, str]] = field(default_factory=set)

    def first_time(self, tenant_id: str, key: str, ttl_seconds: int) -> bool:
        if (tenant_id, key) in self.seen:
            return False
        self.seen.add((tenant_id, key))
        return True

    def forget(self, tenant_id: str, key: str) -> None:
        self.seen.discard((tenant_id, key))


@dataclass
class Queue:
    sent: list[WebhookEvent] = field(default_factory=list)

    def send(self, event: WebhookEvent) -> None:
        self.sent.append(event)


@pytest.fixture
def parts() -> tuple[BillitWebhookIngestion, Secrets, Queue]:
    secrets, queue = Secrets(), Queue()
    service = BillitWebhookIngestion(
        secrets=secrets,  # type: ignore[arg-type]
        deliveries=Deliveries(),  # type: ignore[arg-type]
        events=queue,  # type: ignore[arg-type]
        clock=lambda: NOW,
    )
    return service, secrets, queue


def header(secret: str, body: bytes = BODY, at: datetime = NOW) -> dict[str, str]:
    return {"billit-signature": sign_billit_payload(body, secret, int(at.timestamp()))}


def test_each_webhook_secret_is_tried_and_all_of_them_every_time(
    parts: tuple[BillitWebhookIngestion, Secrets, Queue], monkeypatch: pytest.MonkeyPatch
) -> None:
    service, _, queue = parts
    tried: list[str] = []
    real = verify_billit_signature

    def counting(hdr: str | None, raw: bytes, secret: str | SecretStr, **kw: object) -> bool:
        tried.append(secret.get_secret_value() if isinstance(secret, SecretStr) else secret)
        return real(hdr, raw, secret, now=NOW.timestamp())

    monkeypatch.setattr(ingestion, "verify_billit_signature", counting)
    for secret in SECRETS.values():
        tried.clear()
        result = service.receive("acme", header(secret), BODY.decode())
        assert result.outcome in (IngestionOutcome.QUEUED, IngestionOutcome.DUPLICATE)
        assert sorted(tried) == sorted(SECRETS.values())
    assert len(queue.sent) == 1  # the same event signed by either webhook is one delivery


def test_a_tenant_without_webhooks_is_refused_like_a_bad_signature(
    parts: tuple[BillitWebhookIngestion, Secrets, Queue],
) -> None:
    service, secrets, queue = parts
    refusals = []
    for tenant_id, headers in [
        ("globex", header(SECRETS["101"])),  # no secret stored
        ("acme", header("wrong")),
        ("acme", {}),
        ("Not A Tenant", header(SECRETS["101"])),
        ("acme", header(SECRETS["101"], at=datetime(2026, 1, 15, 8, 54, 59, tzinfo=UTC))),
    ]:
        with pytest.raises(BillitWebhookUnauthorizedError) as refused:
            service.receive(tenant_id, headers, BODY.decode())
        refusals.append(str(refused.value))
    assert len(set(refusals)) == 1
    assert queue.sent == []
    assert "Not A Tenant" not in secrets.reads  # never used as a secret name


def test_the_body_is_checked_only_after_the_signature(
    parts: tuple[BillitWebhookIngestion, Secrets, Queue],
) -> None:
    service, _, _ = parts
    with pytest.raises(BillitWebhookUnauthorizedError):
        service.receive("acme", header("wrong", b"{oops"), "{oops")
    with pytest.raises(BillitWebhookBadRequestError):
        service.receive("acme", header(SECRETS["102"], b"{oops"), "{oops")


def test_nothing_secret_is_logged_or_queued(
    parts: tuple[BillitWebhookIngestion, Secrets, Queue],
) -> None:
    service, _, queue = parts
    good = header(SECRETS["102"])
    with captured_service_logs() as logs:
        service.receive("acme", good, BODY.decode())
        service.receive("acme", good, BODY.decode())
        with pytest.raises(BillitWebhookUnauthorizedError):
            service.receive("acme", header("wrong"), BODY.decode())
    output = logs.getvalue()
    signature = good["billit-signature"]
    for value in [*SECRETS.values(), signature, signature.split("s=")[1], BODY.decode()]:
        assert value not in output
        assert value not in queue.sent[0].model_dump_json()
    assert "9925:BE04" not in output  # nothing of the body either


def test_raw_body_decodes_base64_and_refuses_what_is_not() -> None:
    assert raw_body(base64.b64encode(BODY).decode(), base64_encoded=True) == BODY
    assert raw_body(BODY.decode(), base64_encoded=False) == BODY
    assert raw_body(None, base64_encoded=False) == b""
    with pytest.raises(BillitWebhookBadRequestError):
        raw_body("not base64!", base64_encoded=True)
    with pytest.raises(BillitWebhookBadRequestError):
        raw_body("x" * (64 * 1024 + 1), base64_encoded=False)


def test_a_400_names_fields_never_values() -> None:
    with pytest.raises(BillitWebhookBadRequestError) as bad:
        parse_envelope(b'{"UpdatedEntityID": "secret-looking-value", "UpdatedEntityType": "X"}')
    assert "UpdatedEntityID" in str(bad.value)
    assert "secret-looking-value" not in str(bad.value)


def test_the_delivery_key_covers_type_id_update_and_body() -> None:
    base = delivery_key("Message", 1, "U", BODY)
    assert base == delivery_key("Message", 1, "U", BODY)
    assert (
        len(
            {
                base,
                delivery_key("Order", 1, "U", BODY),
                delivery_key("Message", 2, "U", BODY),
                delivery_key("Message", 1, "I", BODY),
                delivery_key("Message", 1, "U", BODY + b" "),
            }
        )
        == 5
    )


def test_the_signature_header_is_found_whatever_its_case() -> None:
    assert signature_header({"Billit-Signature": "a"}) == "a"
    assert signature_header({"BILLIT-SIGNATURE": "b"}) == "b"
    assert signature_header({"billit-signature": "c"}) == "c"
    assert signature_header({}) is None
    assert signature_header(None) is None
