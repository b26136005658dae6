"""AWS on 127.0.0.1: moto's server with the tables, queues and app secret of ``template.yaml``
(created from the template's own resource definitions, as the tests create them)."""

from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
from moto.server import ThreadedMotoServer

from tests.support.aws import (
    create_app_secret_from_template,
    create_queues_from_template,
    create_tables_from_template,
)

REGION = "eu-west-1"
LOOPBACK = "127.0.0.1"

# What boto3 needs to talk to moto and nothing else: fake credentials, no profile.
FAKE_CREDENTIALS: Mapping[str, str] = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
_DROPPED = ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_SECURITY_TOKEN")


@dataclass(frozen=True)
class LocalAws:
    endpoint: str
    stage: str
    tables: dict[str, str]  # logical id → physical name (what ``!Ref`` gives)
    queues: dict[str, str]  # logical id → queue URL (what ``!Ref`` gives)
    queue_arns: dict[str, str]  # logical id → ARN (``!GetAtt X.Arn``)
    app_secret_name: str

    @property
    def environ(self) -> dict[str, str]:
        """The variables that point boto3 (in this process) at moto."""
        return {"AWS_ENDPOINT_URL": self.endpoint, **FAKE_CREDENTIALS}

    def session(self) -> boto3.session.Session:
        return boto3.session.Session(
            region_name=REGION,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
        )


def point_boto3_at(endpoint: str, environ: MutableMapping[str, str]) -> None:
    """Set ``environ`` so every boto3 client goes to ``endpoint`` with fake credentials."""
    for name in _DROPPED:
        environ.pop(name, None)
    environ.update({"AWS_ENDPOINT_URL": endpoint, **FAKE_CREDENTIALS})


@contextmanager
def local_aws(app_secret_values: dict[str, str], stage: str = "local") -> Iterator[LocalAws]:
    """moto's server on 127.0.0.1 (a free port) with the template's resources.

    The caller must already have pointed boto3 at nothing real: the session built here names
    the endpoint explicitly, and ``LocalAws.environ`` is what the handlers' environment needs.
    """
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        session = boto3.session.Session(
            region_name=REGION,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        dynamodb = session.resource("dynamodb", endpoint_url=endpoint)
        tables = create_tables_from_template(dynamodb, name_prefix=stage)
        sqs = session.client("sqs", endpoint_url=endpoint)
        queues = create_queues_from_template(sqs, stage=stage)
        arns = {
            logical_id: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            for logical_id, url in queues.items()
        }
        secret_name = create_app_secret_from_template(
            session.client("secretsmanager", endpoint_url=endpoint), app_secret_values, stage
        )
        yield LocalAws(
            endpoint=endpoint,
            stage=stage,
            tables={logical_id: table.name for logical_id, table in tables.items()},
            queues=queues,
            queue_arns=arns,
            app_secret_name=secret_name,
        )
    finally:
        server.stop()
