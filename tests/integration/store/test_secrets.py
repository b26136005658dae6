import json
from datetime import UTC, datetime

import pytest
from botocore.stub import Stubber
from mypy_boto3_secretsmanager import SecretsManagerClient
from pydantic import SecretStr

from billit_sync.errors import TransientError
from billit_sync.store.secrets import (
    AppSecretReader,
    BillitTokenRecord,
    ConfigurationError,
    TenantSecret,
    TenantSecretStore,
)
from billit_sync.tenancy import InvalidTenantIdError

PREFIX = "outsmart-billit/test/tenants/"
APP_SECRET = "outsmart-billit/test/app"
EXPIRES = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


@pytest.fixture
def store(secrets_client: SecretsManagerClient) -> TenantSecretStore:
    return TenantSecretStore(secrets_client, PREFIX)


def full_secret(access: str = "access-1", refresh: str = "refresh-1") -> TenantSecret:
    return TenantSecret(
        outsmart_token=SecretStr("os-token"),
        billit=BillitTokenRecord(
            access_token=SecretStr(access), refresh_token=SecretStr(refresh), expires_at=EXPIRES
        ),
        webhook_secrets={"wh-1": SecretStr("whsec-1")},
        outsmart_webhook_secret=SecretStr("os-hook"),
    )


def test_missing_tenant_secret_reads_empty(store: TenantSecretStore) -> None:
    assert store.read("acme") == TenantSecret()


def test_create_then_update(store: TenantSecretStore, secrets_client: SecretsManagerClient) -> None:
    store.write("acme", full_secret())
    first = store.read("acme")
    assert first.outsmart_token is not None
    assert first.outsmart_token.get_secret_value() == "os-token"
    assert first.billit is not None
    assert first.billit.refresh_token.get_secret_value() == "refresh-1"
    assert first.billit.expires_at == EXPIRES
    assert first.webhook_secrets["wh-1"].get_secret_value() == "whsec-1"

    store.write("acme", full_secret(access="access-2", refresh="refresh-2"))
    second = store.read("acme")
    assert second.billit is not None
    assert second.billit.access_token.get_secret_value() == "access-2"
    assert second.billit.refresh_token.get_secret_value() == "refresh-2"

    assert store.secret_name("acme") == PREFIX + "acme"
    stored = secrets_client.get_secret_value(SecretId=PREFIX + "acme")["SecretString"]
    assert json.loads(stored)["billit"]["refresh_token"] == "refresh-2"
    versions = secrets_client.list_secret_version_ids(SecretId=PREFIX + "acme")["Versions"]
    assert len(versions) == 2


def test_secret_values_never_show_in_reprs_or_json(store: TenantSecretStore) -> None:
    secret = full_secret()
    for rendering in (repr(secret), str(secret), secret.model_dump_json()):
        for value in ("os-token", "access-1", "refresh-1", "whsec-1", "os-hook"):
            assert value not in rendering


def test_removing_tokens_on_disconnect(store: TenantSecretStore) -> None:
    store.write("acme", full_secret())
    store.write("acme", store.read("acme").model_copy(update={"billit": None}))
    after = store.read("acme")
    assert after.billit is None
    assert after.outsmart_token is not None


def test_tenants_have_their_own_secret(store: TenantSecretStore) -> None:
    store.write("acme", full_secret())
    assert store.read("other-co") == TenantSecret()
    with pytest.raises(InvalidTenantIdError):
        store.read("../app")


def test_throttled_read_is_transient(secrets_client: SecretsManagerClient) -> None:
    store = TenantSecretStore(secrets_client, PREFIX)
    with Stubber(secrets_client) as stubber:
        stubber.add_client_error("get_secret_value", service_error_code="ThrottlingException")
        with pytest.raises(TransientError):
            store.read("acme")


def put_app_secret(client: SecretsManagerClient, **values: str) -> None:
    document = {
        "billit_client_id": "",
        "billit_client_secret": "",
        "outsmart_software_token": "",
        "ticket_signing_key": "generated-signing-key",
        **values,
    }
    try:
        client.put_secret_value(SecretId=APP_SECRET, SecretString=json.dumps(document))
    except client.exceptions.ResourceNotFoundException:
        client.create_secret(Name=APP_SECRET, SecretString=json.dumps(document))


def test_app_secret_missing_fields_are_named(secrets_client: SecretsManagerClient) -> None:
    put_app_secret(secrets_client, billit_client_id="client-123")
    reader = AppSecretReader(secrets_client, APP_SECRET)

    with pytest.raises(ConfigurationError) as error:
        reader.get()

    message = str(error.value)
    assert "billit_client_secret" in message
    assert "outsmart_software_token" in message
    assert "billit_client_id" not in message
    assert "client-123" not in message
    assert "generated-signing-key" not in message

    # The operator fills it in: picked up at once, not after the cache's max age.
    put_app_secret(
        secrets_client,
        billit_client_id="client-123",
        billit_client_secret="s3cret",
        outsmart_software_token="sw-token",
    )
    app = reader.get()
    assert app.billit_client_id == "client-123"
    assert app.billit_client_secret.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(app)


def test_app_secret_is_cached(secrets_client: SecretsManagerClient) -> None:
    put_app_secret(
        secrets_client,
        billit_client_id="client-123",
        billit_client_secret="s3cret",
        outsmart_software_token="sw-token",
    )
    reader = AppSecretReader(secrets_client, APP_SECRET, max_age_seconds=300)
    assert reader.get().billit_client_id == "client-123"
    put_app_secret(
        secrets_client,
        billit_client_id="client-456",
        billit_client_secret="s3cret",
        outsmart_software_token="sw-token",
    )
    assert reader.get().billit_client_id == "client-123"
    fresh = AppSecretReader(secrets_client, APP_SECRET, max_age_seconds=0)
    assert fresh.get().billit_client_id == "client-456"


def test_app_secret_absent_or_not_json(secrets_client: SecretsManagerClient) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        AppSecretReader(secrets_client, APP_SECRET).get()
    secrets_client.create_secret(Name=APP_SECRET, SecretString="not json")
    with pytest.raises(ConfigurationError, match="not a JSON object"):
        AppSecretReader(secrets_client, APP_SECRET).get()
