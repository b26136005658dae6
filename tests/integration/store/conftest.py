"""Fixtures: moto-backed tables and Secrets Manager in eu-west-1, and a clock tests can move."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws
from mypy_boto3_dynamodb.service_resource import Table
from mypy_boto3_secretsmanager import SecretsManagerClient

from tests.support.aws import create_tables_from_template

REGION = "eu-west-1"
START = datetime(2026, 1, 15, 9, 0, 0, tzinfo=UTC)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


class RecordingSleep:
    """Stands in for ``time.sleep``: records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials (never real ones) and moto for every AWS call in the test."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


@pytest.fixture
def tables(aws: None) -> dict[str, Table]:
    return create_tables_from_template(boto3.resource("dynamodb", region_name=REGION))


@pytest.fixture
def table(tables: dict[str, Table]) -> Table:
    return tables["IntegrationTable"]


@pytest.fixture
def sync_log_table(tables: dict[str, Table]) -> Table:
    return tables["SyncLogTable"]


@pytest.fixture
def secrets_client(aws: None) -> SecretsManagerClient:
    return boto3.client("secretsmanager", region_name=REGION)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()
