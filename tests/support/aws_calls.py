"""Record every AWS API operation the handlers perform, attributed to the function invoked.

``AwsCallRecorder.installed()`` wraps ``botocore.session.Session.create_client`` so every
client built afterwards (the handlers' ``Services`` build theirs lazily, inside an invocation)
reports each operation through botocore's ``before-parameter-build`` event, with the
parameters the code passed (``TableName``, ``IndexName``, ``QueueUrl``, ``SecretId``...).

A call is attributed to the function whose handler runs on the calling thread (the caller
wraps each invocation in ``recorder.invoking(logical_id)``); a call from another thread goes
to the function that was being invoked when its client was built; anything else (the local
stack's own set-up, its event source mappings) is ``HARNESS``.

``iam_permissions`` turns one call into the IAM actions and resources it is authorised
against (``SendMessageBatch`` needs ``sqs:SendMessage`` on the queue, a ``Query`` on an index
needs ``dynamodb:Query`` on ``table/<name>/index/<index>``...).
"""

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import botocore.session

HARNESS = "(local stack)"


@dataclass(frozen=True)
class AwsCall:
    function: str  # the logical id of the function invoked, or HARNESS
    service: str  # botocore's service name: dynamodb, sqs, secretsmanager...
    operation: str  # the API operation: PutItem, SendMessageBatch...
    params: Mapping[str, Any]


@dataclass(frozen=True, order=True)
class Permission:
    action: str  # IAM action, e.g. dynamodb:PutItem
    resource: str  # the ARN the request is authorised against
    # The partition key of a single-item DynamoDB request: what a ``dynamodb:LeadingKeys``
    # condition is evaluated against (None where the request has no single key).
    leading_key: str | None = None


@dataclass(frozen=True)
class AwsNames:
    """How physical names become ARNs: region, account, and the secrets' ARN suffix (Secrets
    Manager appends six random characters to a secret's name in its ARN)."""

    region: str
    account: str
    partition: str = "aws"
    secret_suffix: str = "-a1B2c3"

    def table_arn(self, table: str) -> str:
        return f"arn:{self.partition}:dynamodb:{self.region}:{self.account}:table/{table}"

    def queue_arn(self, queue_url: str) -> str:
        name = urlsplit(queue_url).path.rstrip("/").rpartition("/")[2]
        return f"arn:{self.partition}:sqs:{self.region}:{self.account}:{name}"

    def secret_arn(self, secret_id: str) -> str:
        if secret_id.startswith("arn:"):
            return secret_id
        return (
            f"arn:{self.partition}:secretsmanager:{self.region}:{self.account}:secret:"
            f"{secret_id}{self.secret_suffix}"
        )

    def log_group_arn(self, name: str) -> str:
        return f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:{name}:*"


class UnknownOperationError(LookupError):
    """The recorder does not know which IAM action an operation needs: teach it."""


def _table_resource(names: AwsNames, table: str, index: str | None) -> str:
    arn = names.table_arn(table)
    return f"{arn}/index/{index}" if index else arn


_DYNAMODB_SINGLE_TABLE = {
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "DescribeTable",
    "DescribeTimeToLive",
}
_DYNAMODB_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
_SQS_ACTIONS = {
    "SendMessage": "SendMessage",
    "SendMessageBatch": "SendMessage",
    "ReceiveMessage": "ReceiveMessage",
    "DeleteMessage": "DeleteMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibility": "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
    "GetQueueAttributes": "GetQueueAttributes",
    "PurgeQueue": "PurgeQueue",
}
_SECRET_BY_ID = {
    "GetSecretValue",
    "PutSecretValue",
    "DescribeSecret",
    "UpdateSecret",
    "DeleteSecret",
    "TagResource",
}


def _partition_key(params: Mapping[str, Any]) -> str | None:
    """``pk`` of ``Key`` (Get/Update/Delete) or ``Item`` (Put), typed or plain."""
    key = params.get("Key") or params.get("Item")
    if not isinstance(key, Mapping) or "pk" not in key:
        return None
    value = key["pk"]
    return str(value.get("S")) if isinstance(value, Mapping) else str(value)


def _dynamodb(call: AwsCall, names: AwsNames) -> list[Permission]:
    params = call.params
    if call.operation in _DYNAMODB_SINGLE_TABLE:
        resource = _table_resource(names, params["TableName"], params.get("IndexName"))
        return [Permission(f"dynamodb:{call.operation}", resource, _partition_key(params))]
    if call.operation in {"BatchGetItem", "BatchWriteItem"}:
        return [
            Permission(f"dynamodb:{call.operation}", names.table_arn(table))
            for table in params["RequestItems"]
        ]
    if call.operation in {"TransactWriteItems", "TransactGetItems"}:
        permissions = []
        for item in params["TransactItems"]:
            ((kind, request),) = item.items()
            action = _DYNAMODB_TRANSACT_ACTIONS[kind]
            permissions.append(
                Permission(f"dynamodb:{action}", names.table_arn(request["TableName"]))
            )
        return permissions
    raise UnknownOperationError(f"dynamodb {call.operation}")


def _sqs(call: AwsCall, names: AwsNames) -> list[Permission]:
    if call.operation == "GetQueueUrl":
        url = f"https://sqs.{names.region}.amazonaws.com/{names.account}/{call.params['QueueName']}"
        return [Permission("sqs:GetQueueUrl", names.queue_arn(url))]
    action = _SQS_ACTIONS.get(call.operation)
    if action is None:
        raise UnknownOperationError(f"sqs {call.operation}")
    return [Permission(f"sqs:{action}", names.queue_arn(call.params["QueueUrl"]))]


def _secretsmanager(call: AwsCall, names: AwsNames) -> list[Permission]:
    params = call.params
    if call.operation in _SECRET_BY_ID:
        arn = names.secret_arn(params["SecretId"])
        return [Permission(f"secretsmanager:{call.operation}", arn)]
    if call.operation == "CreateSecret":
        arn = names.secret_arn(params["Name"])
        permissions = [Permission("secretsmanager:CreateSecret", arn)]
        if params.get("Tags"):
            permissions.append(Permission("secretsmanager:TagResource", arn))
        if params.get("KmsKeyId"):
            raise UnknownOperationError("CreateSecret with a customer key needs kms permissions")
        return permissions
    if call.operation == "BatchGetSecretValue":
        ids = params.get("SecretIdList") or []
        return [Permission("secretsmanager:BatchGetSecretValue", "*")] + [
            Permission("secretsmanager:GetSecretValue", names.secret_arn(i)) for i in ids
        ]
    raise UnknownOperationError(f"secretsmanager {call.operation}")


_BY_SERVICE: dict[str, Callable[[AwsCall, AwsNames], list[Permission]]] = {
    "dynamodb": _dynamodb,
    "sqs": _sqs,
    "secretsmanager": _secretsmanager,
}


def iam_permissions(call: AwsCall, names: AwsNames) -> list[Permission]:
    """What IAM checks for ``call``: one or more (action, resource ARN)."""
    by_service = _BY_SERVICE.get(call.service)
    if by_service is None:
        raise UnknownOperationError(f"{call.service} {call.operation}")
    return by_service(call, names)


class AwsCallRecorder:
    def __init__(self) -> None:
        self.calls: list[AwsCall] = []
        self._lock = threading.Lock()
        self._local = threading.local()

    # ------------------------------------------------------------------ attribution
    def current(self) -> str | None:
        function: str | None = getattr(self._local, "function", None)
        return function

    @contextmanager
    def invoking(self, function: str) -> Iterator[None]:
        """Calls made on this thread until the block ends belong to ``function``."""
        previous = self.current()
        self._local.function = function
        try:
            yield
        finally:
            self._local.function = previous

    def calls_of(self, function: str) -> list[AwsCall]:
        with self._lock:
            return [call for call in self.calls if call.function == function]

    # ------------------------------------------------------------------ recording
    def _record(self, owner: str | None, model: Any, params: Mapping[str, Any], **_: Any) -> None:
        function = self.current() or owner or HARNESS
        call = AwsCall(
            function=function,
            service=str(model.service_model.service_name),
            operation=str(model.name),
            params=dict(params),
        )
        with self._lock:
            self.calls.append(call)

    @contextmanager
    def installed(self) -> Iterator["AwsCallRecorder"]:
        """Every botocore client created inside the block reports its calls here."""
        original = botocore.session.Session.create_client
        recorder = self

        def create_client(session: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
            client = original(session, *args, **kwargs)
            client.meta.events.register(
                "before-parameter-build", partial(recorder._record, recorder.current())
            )
            return client

        botocore.session.Session.create_client = create_client  # type: ignore[method-assign,assignment]
        try:
            yield self
        finally:
            botocore.session.Session.create_client = original  # type: ignore[method-assign]
