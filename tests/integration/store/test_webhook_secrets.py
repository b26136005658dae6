"""Webhook secrets in their own secret per tenant (issue 14): tokens and webhook secrets are
stored apart, older single secrets keep working until migrated, and the ingestion function's
reader sees only the webhook secret, cached briefly (misses included)."""

import json
from typing import Any

import pytest
from mypy_boto3_dynamodb.service_resource import Table
from mypy_boto3_secretsmanager import SecretsManagerClient
from pydantic import SecretStr

from billit_sync.store.clock import system_clock
from billit_sync.store.connect_confirmations import BillitCompanyOwners
from billit_sync.store.migrate import main as migrate_main
from billit_sync.store.secrets import TenantSecret, TenantSecretStore, WebhookSecretReader
from billit_sync.store.tenants import BillitCompany, TenantStore
from tests.integration.store.test_secrets import full_secret

TOKENS = "outsmart-billit/test/tenants/"
WEBHOOKS = "outsmart-billit/test/webhooks/"


@pytest.fixture
def store(secrets_client: SecretsManagerClient) -> TenantSecretStore:
    return TenantSecretStore(secrets_client, TOKENS, webhook_prefix=WEBHOOKS)


def stored(client: SecretsManagerClient, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(client.get_secret_value(SecretId=name)["SecretString"])
    return document


def test_tokens_and_webhook_secrets_are_stored_apart(
    store: TenantSecretStore, secrets_client: SecretsManagerClient
) -> None:
    store.write("acme", full_secret())
    tokens = stored(secrets_client, TOKENS + "acme")
    webhooks = stored(secrets_client, WEBHOOKS + "acme")
    assert tokens["billit"]["refresh_token"] == "refresh-1"
    assert tokens["outsmart_token"] == "os-token"
    assert "webhook_secrets" not in tokens and "outsmart_webhook_secret" not in tokens
    assert webhooks == {
        "webhook_secrets": {"wh-1": "whsec-1"},
        "outsmart_webhook_secret": "os-hook",
    }
    assert store.read("acme") == full_secret()


def test_a_token_refresh_does_not_touch_the_webhook_secret(
    store: TenantSecretStore, secrets_client: SecretsManagerClient
) -> None:
    store.write("acme", full_secret())
    versions = len(secrets_client.list_secret_version_ids(SecretId=WEBHOOKS + "acme")["Versions"])
    current = store.read("acme")
    store.write("acme", current.model_copy(update={"billit": full_secret("a2", "r2").billit}))
    after = secrets_client.list_secret_version_ids(SecretId=WEBHOOKS + "acme")["Versions"]
    assert len(after) == versions
    assert store.read("acme").billit == full_secret("a2", "r2").billit


def test_an_older_single_secret_keeps_working_and_migrates(
    store: TenantSecretStore, secrets_client: SecretsManagerClient
) -> None:
    """A tenant connected before the split: everything in the token secret."""
    secrets_client.create_secret(
        Name=TOKENS + "acme", SecretString=full_secret().to_secret_string()
    )
    assert store.read("acme") == full_secret()  # read from the old place
    # A refresh (webhooks unchanged) needs no webhook secret and keeps the old fields.
    store.write("acme", store.read("acme").model_copy(update={"billit": full_secret("a2").billit}))
    assert (
        secrets_client.list_secrets(Filters=[{"Key": "name", "Values": [WEBHOOKS]}])["SecretList"]
        == []
    )
    assert stored(secrets_client, TOKENS + "acme")["webhook_secrets"] == {"wh-1": "whsec-1"}
    # The migration moves them.
    assert store.migrate("acme") is True
    assert "webhook_secrets" not in stored(secrets_client, TOKENS + "acme")
    assert stored(secrets_client, WEBHOOKS + "acme")["webhook_secrets"] == {"wh-1": "whsec-1"}
    assert store.read("acme").webhook_secrets == full_secret().webhook_secrets
    assert store.read("acme").billit == full_secret("a2").billit
    assert store.migrate("acme") is False


def test_the_migration_command_moves_every_tenant_and_records_their_companies(
    secrets_client: SecretsManagerClient,
    table: Table,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tenants = TenantStore(table, system_clock)
    owners = BillitCompanyOwners(table, system_clock)
    company = [BillitCompany(party_id="512340", name="Claes BV")]
    for tenant in ("acme", "globex"):
        secrets_client.create_secret(
            Name=f"outsmart-billit/prod/tenants/{tenant}",
            SecretString=full_secret().to_secret_string(),
        )
        tenants.register(tenant, "nl")
    tenants.save_connected(
        "acme",
        party_id="512340",
        company_name="Claes BV",
        companies=company,
        environment="production",
    )
    command = ["--stage", "prod", "--table", table.name]
    assert migrate_main(command) == 0
    out = capsys.readouterr().out
    assert "2 tenant(s) migrated" in out and "CHECK" not in out
    webhook = stored(secrets_client, "outsmart-billit/prod/webhooks/globex")
    assert webhook["outsmart_webhook_secret"] == "os-hook"
    assert owners.owner("production", "512340") == "acme"
    # Before issue 14 a second tenant could connect to the same company: reported.
    tenants.save_connected(
        "globex",
        party_id="512340",
        company_name="Claes BV",
        companies=company,
        environment="production",
    )
    assert migrate_main(command) == 1
    out = capsys.readouterr().out
    assert "0 tenant(s) migrated" in out
    assert "CHECK: Billit company 512340 (production) is connected to both acme and globex" in out


class CountingClient:
    def __init__(self, client: SecretsManagerClient) -> None:
        self.client = client
        self.reads: list[str] = []

    def get_secret_value(self, SecretId: str) -> Any:
        self.reads.append(SecretId)
        return self.client.get_secret_value(SecretId=SecretId)


def test_the_ingestion_reader_reads_only_the_webhook_secret_cached_with_misses(
    secrets_client: SecretsManagerClient,
) -> None:
    TenantSecretStore(secrets_client, TOKENS, webhook_prefix=WEBHOOKS).write("acme", full_secret())
    counting = CountingClient(secrets_client)
    now = [1000.0]
    reader = WebhookSecretReader(
        TenantSecretStore(counting, TOKENS, webhook_prefix=WEBHOOKS),  # type: ignore[arg-type]
        lambda: now[0],
    )
    secret = reader.read("acme")
    assert secret == TenantSecret(
        webhook_secrets={"wh-1": SecretStr("whsec-1")}, outsmart_webhook_secret=SecretStr("os-hook")
    )
    assert secret.billit is None and secret.outsmart_token is None
    assert reader.read("nobody") == TenantSecret()
    for _ in range(50):  # a flood of deliveries, genuine or forged
        reader.read("acme")
        reader.read("nobody")
    assert counting.reads == [WEBHOOKS + "acme", WEBHOOKS + "nobody"]
    now[0] += 15
    reader.read("acme")
    assert counting.reads[-1] == WEBHOOKS + "acme" and len(counting.reads) == 3
    assert not any(name.startswith(TOKENS) for name in counting.reads)
