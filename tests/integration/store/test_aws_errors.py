"""AWS throttling and internal errors become TransientError; other failures stay visible."""

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from mypy_boto3_dynamodb.service_resource import Table

from billit_sync.errors import TransientError
from billit_sync.store.aws_errors import AwsTransientError
from billit_sync.store.leases import LeaseStore
from billit_sync.store.ledger import ExportLedger
from billit_sync.store.mappings import MappedEntity, MappingStore
from billit_sync.store.sync_log import SyncLogStore
from billit_sync.store.tenants import TenantStore
from tests.integration.store.conftest import FakeClock, RecordingSleep


@pytest.mark.parametrize(
    "code",
    [
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
    ],
)
def test_ledger_claim_throttled_is_transient(table: Table, clock: FakeClock, code: str) -> None:
    ledger = ExportLedger(table, clock)
    with Stubber(table.meta.client) as stubber:
        stubber.add_client_error("update_item", service_error_code=code, http_status_code=400)
        with pytest.raises(TransientError) as error:
            ledger.claim("acme", "wo-1", "2026-0042", "worker-a", 300)
    assert isinstance(error.value, AwsTransientError)
    assert error.value.code == code
    assert "ExportLedger.claim" in str(error.value)


def test_reads_and_conditional_writes_map_too(
    table: Table, sync_log_table: Table, clock: FakeClock
) -> None:
    with Stubber(table.meta.client) as stubber:
        stubber.add_client_error("get_item", service_error_code="RequestLimitExceeded")
        stubber.add_client_error("put_item", service_error_code="ThrottlingException")
        with pytest.raises(TransientError):
            TenantStore(table, clock).get("acme")
        with pytest.raises(TransientError):
            LeaseStore(table, clock).acquire("acme", "import", "worker-a", 30)
    with Stubber(sync_log_table.meta.client) as stubber:
        stubber.add_client_error(
            "query", service_error_code="InternalServerError", http_status_code=500
        )
        with pytest.raises(TransientError):
            SyncLogStore(sync_log_table, clock).page("acme")


def test_other_errors_are_not_disguised_as_transient(table: Table, clock: FakeClock) -> None:
    with Stubber(table.meta.client) as stubber:
        stubber.add_client_error("get_item", service_error_code="ResourceNotFoundException")
        with pytest.raises(ClientError) as error:
            TenantStore(table, clock).get("acme")
    assert not isinstance(error.value, TransientError)


def test_batch_get_throttled_is_transient(
    table: Table, clock: FakeClock, sleep: RecordingSleep
) -> None:
    store = MappingStore(table, clock, sleep=sleep)
    with Stubber(table.meta.client) as stubber:
        stubber.add_client_error(
            "batch_get_item", service_error_code="ProvisionedThroughputExceededException"
        )
        with pytest.raises(TransientError):
            store.get_many_by_billit_ids("acme", "1001", MappedEntity.CUSTOMER, ["1"])
