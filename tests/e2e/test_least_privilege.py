"""Least privilege, both ways (issue 8, item 5).

The demo story runs on the local stack (``make demo``: moto's server, the fakes, the HTTP API,
the unchanged handlers) with a short epilogue (retry every failed export, then disconnect),
while ``AwsCallRecorder`` records every AWS operation each handler performs. Then, per
function, against its own role in ``template.yaml``:

(a) every recorded operation is allowed: its IAM action on its resource (table, index, queue,
    secret) is granted by an ``Allow`` statement, the template's ``!GetAtt``, ``!Ref`` and
    ``!Sub`` resolved to the local stack's physical resources;
(b) everything the role grants is needed: exercised by the story, or granted for the Lambda
    service (its logs, X-Ray, the SQS event source), or listed in ``NOT_REACHED_BY_THE_STORY``
    with the code that needs it.

``tests/unit/infrastructure/test_template.py`` keeps the wildcard rules (no wildcard action; a
wildcard resource only where documented).
"""

import io
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from billit_sync.tickets import TicketScope
from local.browser import SettingsPageVisitor
from local.dataset import SMALL, Problem
from local.functions import LocalFunction
from local.stack import STAGE, LocalStack, running_stack
from local.story import Story
from tests.support.aws_calls import (
    HARNESS,
    AwsCall,
    AwsCallRecorder,
    AwsNames,
    Permission,
    UnknownOperationError,
    iam_permissions,
)
from tests.support.template import load_template, resources_of_type

TEMPLATE = load_template()
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
FUNCTIONS = resources_of_type("AWS::Serverless::Function")
NAMES = AwsNames(region="eu-west-1", account="123456789012")  # moto's account

TENANT_SECRETS = "secret:outsmart-billit/${Stage}/tenants/*"
WEBHOOK_SECRETS = "secret:outsmart-billit/${Stage}/webhooks/*"

# What the Lambda service does with the function's role, not the function's code.
LAMBDA_SERVICE_SQS_ACTIONS = {
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
}  # the SQS event source mapping, on the queue the function consumes
LAMBDA_SERVICE_LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}  # its own log group
LAMBDA_SERVICE_XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}  # Tracing

# Granted, needed by the code, but not reached by the story: (function, action, resource as the
# template names it) → the code that needs it. An entry the story does reach, or the role no
# longer grants, fails the test (keep this list true).
_TOKEN_REFRESH = (
    "Billit token refresh: TenantTokenProvider._refresh (connection/token_provider.py) holds "
    "TenantSecretLock (connection/secret_lock.py)"
)
_WEBHOOK_SECRET_CREATED = (
    "TenantSecretStore.write (store/secrets.py) calls CreateSecret when PutSecretValue finds no "
    "webhook secret: a tenant registered before webhook secrets had their own secret (issue 14) "
    "and not migrated yet; registration creates it for every newer tenant"
)
NOT_REACHED_BY_THE_STORY: dict[tuple[str, str, str], str] = {
    # --- OAuth callback
    ("OAuthFunction", "secretsmanager:CreateSecret", WEBHOOK_SECRETS): _WEBHOOK_SECRET_CREATED,
    # --- webhook ingestion
    ("WebhookIngestionFunction", "dynamodb:DeleteItem", "IntegrationTable"): (
        "BillitWebhookIngestion._forget → DeliveryLog.forget (webhooks/ingestion.py, "
        "store/deliveries.py): the de-duplication record is dropped when anything after it "
        "failed (the queue refused the message), so Billit's retry is accepted"
    ),
    ("WebhookIngestionFunction", "dynamodb:GetItem", "IntegrationTable"): (
        "WebhookConfirmationIntake.offer (webhooks/secret_capture.py): a delivery no stored "
        "secret verifies is checked against the connection's awaited webhook secrets; the "
        "demo's Billit answers the secret at registration, so none is awaited"
    ),
    # --- webhook processor: Billit calls (invoice status) may refresh the token
    # --- export worker: its steady state reads by BatchGetItem only (issue 16)
    ("ExportFunction", "dynamodb:GetItem", "IntegrationTable"): (
        "ExportLedger.get after a lost conditional step (store/ledger.py, the conflict's "
        "entry), WorkOrderSightings.record meeting a sighting written meanwhile "
        "(store/sightings.py), and the token refresh's connection check "
        f"({_TOKEN_REFRESH})"
    ),
    ("WebhookProcessorFunction", "dynamodb:PutItem", "IntegrationTable"): (
        f"{_TOKEN_REFRESH}: LeaseStore.acquire (store/leases.py)"
    ),
    ("WebhookProcessorFunction", "dynamodb:DeleteItem", "IntegrationTable"): (
        f"{_TOKEN_REFRESH}: LeaseStore.release (store/leases.py)"
    ),
    ("WebhookProcessorFunction", "secretsmanager:PutSecretValue", TENANT_SECRETS): (
        f"{_TOKEN_REFRESH}: the rotated token pair is stored"
    ),
    ("WebhookProcessorFunction", "secretsmanager:PutSecretValue", WEBHOOK_SECRETS): (
        "WebhookSecretCapture.store (webhooks/secret_capture.py): a webhook secret that arrives "
        "with Billit's signed confirmation delivery is stored; the demo's Billit answers the "
        "secret at registration, so none is awaited"
    ),
    # --- import worker
    ("ImportFunction", "secretsmanager:PutSecretValue", TENANT_SECRETS): (
        f"{_TOKEN_REFRESH}: the rotated token pair is stored"
    ),
    ("ImportFunction", "sqs:SendMessage", "ImportJobsQueue"): (
        "ImportService queues the rest of an import that runs out of time (send_job, "
        "sync/imports/service.py); the demo's import fits in one invocation"
    ),
    # --- export worker
    ("ExportFunction", "dynamodb:PutItem", "IntegrationTable"): (
        f"{_TOKEN_REFRESH}: LeaseStore.acquire (store/leases.py)"
    ),
    ("ExportFunction", "dynamodb:DeleteItem", "IntegrationTable"): (
        f"{_TOKEN_REFRESH}: LeaseStore.release (store/leases.py)"
    ),
    ("ExportFunction", "secretsmanager:PutSecretValue", TENANT_SECRETS): (
        f"{_TOKEN_REFRESH}: the rotated token pair is stored"
    ),
    # --- discovery worker: its PutItem grants are reached since the story's work order
    # completed before the connection is said once (issue 12: a notice marker and the entry).
    # --- scheduler
    ("SchedulerFunction", "sqs:SendMessage", "ImportJobsQueue"): (
        'the import schedule ({"job": "import"}): Scheduler.fan_out (sync/scheduler.py) queues '
        "the tenants whose import interval has elapsed"
    ),
}


# ---------------------------------------------------------------------- the template's roles
@dataclass(frozen=True)
class Grant:
    function: str
    sid: str
    action: str
    resource: str  # ARN pattern (IAM's * and ?)
    label: str  # the resource as the template names it
    # ``ForAllValues:StringLike`` ``dynamodb:LeadingKeys`` patterns, when the statement has one
    leading_keys: tuple[str, ...] | None = None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


class TemplateResolver:
    """``!GetAtt``/``!Ref``/``!Sub`` of role statements → the local stack's ARNs."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.variables = {
            "AWS::Partition": NAMES.partition,
            "AWS::Region": NAMES.region,
            "AWS::AccountId": NAMES.account,
            "Stage": STAGE,
        }

    def get_att_arn(self, logical_id: str) -> str:
        kind = RESOURCES[logical_id]["Type"]
        if kind == "AWS::DynamoDB::Table":
            return NAMES.table_arn(self.stack.aws.tables[logical_id])
        if kind == "AWS::SQS::Queue":
            return self.stack.aws.queue_arns[logical_id]
        if kind == "AWS::Logs::LogGroup":
            # CloudFormation's Arn of a log group ends in ":*" (its streams).
            return NAMES.log_group_arn(
                self.sub(RESOURCES[logical_id]["Properties"]["LogGroupName"])
            )
        raise AssertionError(f"cannot resolve !GetAtt {logical_id}.Arn ({kind})")

    def sub(self, value: Any) -> str:
        text = str(value["Fn::Sub"] if isinstance(value, dict) else value)

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.endswith(".Arn"):
                return self.get_att_arn(name.removesuffix(".Arn"))
            return self.variables[name]

        resolved = re.sub(r"\$\{([^}]+)\}", replace, text)
        assert "${" not in resolved, text
        return resolved

    def resource(self, value: Any) -> tuple[str, str]:
        """(ARN pattern, label) of one statement resource."""
        if value == "*":
            return "*", "*"
        if "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            assert attribute == "Arn", value
            return self.get_att_arn(logical_id), logical_id
        if value == {"Ref": "AppSecret"}:  # a secret's Ref is its ARN
            return NAMES.secret_arn(self.stack.aws.app_secret_name), "AppSecret"
        if "Fn::Sub" in value:
            text = str(value["Fn::Sub"])
            label = re.sub(r"^arn:\$\{AWS::Partition\}:[^:]+:\$\{AWS::Region\}:"
                           r"\$\{AWS::AccountId\}:", "", text)  # fmt: skip
            label = re.sub(r"\$\{(\w+)\.Arn\}", r"\1", label)
            return self.sub(text), label
        raise AssertionError(f"cannot resolve the resource {value!r}")

    def grants(self, function: str) -> list[Grant]:
        role_id = FUNCTIONS[function]["Properties"]["Role"]["Fn::GetAtt"][0]
        grants: list[Grant] = []
        for policy in RESOURCES[role_id]["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                assert statement["Effect"] == "Allow", (role_id, statement["Sid"])
                assert "NotAction" not in statement and "NotResource" not in statement
                leading_keys = _leading_keys(statement)
                for resource in _as_list(statement["Resource"]):
                    pattern, label = self.resource(resource)
                    grants.extend(
                        Grant(function, statement["Sid"], action, pattern, label, leading_keys)
                        for action in _as_list(statement["Action"])
                    )
        return grants

    def describe(self, resource: str) -> str:
        """A recorded ARN as the template would name it (for failure messages)."""
        for logical_id, table in self.stack.aws.tables.items():
            arn = NAMES.table_arn(table)
            if resource == arn or resource.startswith(arn + "/"):
                return logical_id + resource.removeprefix(arn)
        for logical_id, arn in self.stack.aws.queue_arns.items():
            if resource == arn:
                return logical_id
        if resource == NAMES.secret_arn(self.stack.aws.app_secret_name):
            return "AppSecret"
        return resource


def _leading_keys(statement: dict[str, Any]) -> tuple[str, ...] | None:
    """The one condition this check evaluates: partition keys by pattern (issue 14)."""
    condition = statement.get("Condition")
    if condition is None:
        return None
    assert set(condition) == {"ForAllValues:StringLike"}, "only LeadingKeys is evaluated here"
    (only,) = condition["ForAllValues:StringLike"].items()
    assert only[0] == "dynamodb:LeadingKeys", only
    return tuple(_as_list(only[1]))


def _allows(grant: Grant, permission: Permission) -> bool:
    if grant.action != permission.action or not fnmatchcase(permission.resource, grant.resource):
        return False
    if grant.leading_keys is None:
        return True
    key = permission.leading_key
    return key is not None and any(fnmatchcase(key, pattern) for pattern in grant.leading_keys)


# ------------------------------------------------------------------------------- the story
@dataclass
class Recorded:
    stack: LocalStack
    resolver: TemplateResolver
    permissions: dict[str, set[Permission]]  # function → what its calls needed


def _record_invocations(recorder: AwsCallRecorder, monkeypatch: pytest.MonkeyPatch) -> None:
    invoke = LocalFunction.invoke

    def invoke_recorded(self: LocalFunction, event: dict[str, Any]) -> Any:
        with recorder.invoking(self.logical_id):
            return invoke(self, event)

    monkeypatch.setattr(LocalFunction, "invoke", invoke_recorded)


@contextmanager
def _fresh_moto() -> Iterator[None]:
    """moto's server keeps its state in this process's backends, after it stops too: another
    local stack run in this session (``test_demo``) would leave its tables behind. Start from
    nothing (what ``POST /moto-api/reset`` does) and leave nothing."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()
    try:
        yield
    finally:
        moto_api_backend.reset()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    recorder = AwsCallRecorder()
    state_dir: Path = tmp_path_factory.mktemp("least-privilege")
    with _fresh_moto(), pytest.MonkeyPatch.context() as monkeypatch, recorder.installed():
        _record_invocations(recorder, monkeypatch)
        with running_stack(state_dir) as stack:
            story = Story(stack, SMALL, io.StringIO())
            story.run()
            # Epilogue: the settings page (issue 15): opened with OutSmart's ticket, saved, one
            # failed work order synced again, an import, the power icon and a reconnect.
            page = SettingsPageVisitor(stack.browser(), stack.api.url)
            page.open(stack.ticket(SMALL.tenant_id, TicketScope.SETTINGS))
            page.post("/ui/settings", {"exports.payment_term_days": "21"})
            failed = next(w for w in SMALL.work_orders if w.problem is Problem.UNKNOWN_MATERIAL)
            page.post("/ui/retry", {"workorder_no": failed.workorder_no})
            page.post("/ui/sync")
            stack.workers.drain()
            page.post("/ui/disconnect")
            page.connect(SMALL.billit_user, SMALL.billit_password)
            # The JSON API: the log panel's Sync button for every failed export, then the
            # power icon.
            story.call("POST", f"/tenants/{SMALL.tenant_id}/exports/retry", body={}, expect=202)
            stack.workers.drain()
            story.call("DELETE", f"/tenants/{SMALL.tenant_id}/connection")
            permissions: dict[str, set[Permission]] = defaultdict(set)
            for call in recorder.calls:
                if call.function != HARNESS:
                    permissions[call.function].update(iam_permissions(call, NAMES))
            yield Recorded(stack, TemplateResolver(stack), dict(permissions))


# ------------------------------------------------------------------------------- the checks
def test_every_function_was_invoked_and_its_calls_attributed(recorded: Recorded) -> None:
    assert set(recorded.permissions) == set(FUNCTIONS)


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_the_role_allows_everything_the_function_did(recorded: Recorded, function: str) -> None:
    grants = recorded.resolver.grants(function)
    denied = sorted(
        f"{p.action} on {recorded.resolver.describe(p.resource)}"
        for p in recorded.permissions[function]
        if not any(_allows(grant, p) for grant in grants)
    )
    assert not denied, f"{function}'s role lacks: {denied}"


def _granted_for_the_lambda_service(grant: Grant) -> bool:
    properties = FUNCTIONS[grant.function]["Properties"]
    if grant.action in LAMBDA_SERVICE_XRAY_ACTIONS:
        return grant.resource == "*" and grant.sid == "XRayHasNoResourceLevelPermissions"
    if grant.action in LAMBDA_SERVICE_LOG_ACTIONS:
        return bool(grant.label == properties["LoggingConfig"]["LogGroup"]["Ref"])
    if grant.action in LAMBDA_SERVICE_SQS_ACTIONS:
        consumed = {
            event["Properties"]["Queue"]["Fn::GetAtt"][0]
            for event in properties.get("Events", {}).values()
            if event["Type"] == "SQS"
        }
        return grant.label in consumed
    return False


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_the_role_grants_nothing_the_function_does_not_need(
    recorded: Recorded, function: str
) -> None:
    used = recorded.permissions[function]
    unneeded = []
    for grant in recorded.resolver.grants(function):
        if _granted_for_the_lambda_service(grant):
            continue
        exercised = any(_allows(grant, permission) for permission in used)
        listed = (function, grant.action, grant.label) in NOT_REACHED_BY_THE_STORY
        if not exercised and not listed:
            unneeded.append(f"{grant.sid}: {grant.action} on {grant.label}")
    assert not unneeded, (
        f"{function}'s role grants what the story never used and no code path is listed for: "
        f"{unneeded} (remove it from template.yaml, or list the code that needs it)"
    )


def test_the_not_reached_list_is_true(recorded: Recorded) -> None:
    """Each entry is still granted and still not reached (else it belongs out of the list)."""
    stale = []
    for function, action, label in NOT_REACHED_BY_THE_STORY:
        matching = [
            grant
            for grant in recorded.resolver.grants(function)
            if grant.action == action and grant.label == label
        ]
        if not matching:
            stale.append(f"{function} {action} {label}: not granted")
        elif any(_allows(g, p) for g in matching for p in recorded.permissions[function]):
            stale.append(f"{function} {action} {label}: the story does reach it")
    assert not stale, stale


def test_sqs_consumers_are_granted_exactly_the_event_source_actions() -> None:
    """The event source mapping (the Lambda service) polls and deletes with the function's
    role: the four actions on the queue it consumes, and no function consumes another queue."""
    for function, resource in FUNCTIONS.items():
        properties = resource["Properties"]
        consumed = {
            event["Properties"]["Queue"]["Fn::GetAtt"][0]
            for event in properties.get("Events", {}).values()
            if event["Type"] == "SQS"
        }
        role_id = properties["Role"]["Fn::GetAtt"][0]
        granted: dict[str, set[str]] = defaultdict(set)
        for policy in RESOURCES[role_id]["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                for action in set(_as_list(statement["Action"])) & LAMBDA_SERVICE_SQS_ACTIONS:
                    for queue in _as_list(statement["Resource"]):
                        granted[queue["Fn::GetAtt"][0]].add(action)
        assert set(granted) == consumed, function
        assert all(actions == LAMBDA_SERVICE_SQS_ACTIONS for actions in granted.values())


def test_index_statements_grant_only_index_actions() -> None:
    """An item action (GetItem, PutItem...) on a ``table/.../index/...`` ARN grants nothing;
    a statement naming an index should grant only what works on one."""
    for role_id, role in resources_of_type("AWS::IAM::Role").items():
        for policy in role["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                names_index = any("/index/" in str(r) for r in _as_list(statement["Resource"]))
                if names_index:
                    actions = set(_as_list(statement["Action"]))
                    assert actions <= {"dynamodb:Query", "dynamodb:Scan"}, (role_id, statement)


def test_operations_map_to_the_iam_actions_aws_checks() -> None:
    queue = f"https://sqs.eu-west-1.amazonaws.com/{NAMES.account}/outsmart-billit-local-export"
    table = NAMES.table_arn("local-IntegrationTable")

    def needs(service: str, operation: str, **params: Any) -> list[Permission]:
        return iam_permissions(AwsCall("F", service, operation, params), NAMES)

    assert needs("sqs", "SendMessageBatch", QueueUrl=queue, Entries=[]) == [
        Permission("sqs:SendMessage", NAMES.queue_arn(queue))
    ]
    assert needs("sqs", "DeleteMessageBatch", QueueUrl=queue, Entries=[]) == [
        Permission("sqs:DeleteMessage", NAMES.queue_arn(queue))
    ]
    assert needs("dynamodb", "Query", TableName="local-IntegrationTable", IndexName="gsi1") == [
        Permission("dynamodb:Query", f"{table}/index/gsi1")
    ]
    assert needs("dynamodb", "BatchGetItem", RequestItems={"local-IntegrationTable": {}}) == [
        Permission("dynamodb:BatchGetItem", table)
    ]
    created = needs("secretsmanager", "CreateSecret", Name="s/tenants/t", Tags=[{"Key": "k"}])
    assert [p.action for p in created] == [
        "secretsmanager:CreateSecret",
        "secretsmanager:TagResource",
    ]
    with pytest.raises(UnknownOperationError):
        needs("s3", "PutObject", Bucket="b", Key="k")


def test_the_edge_function_is_denied_every_token_read(recorded: Recorded) -> None:
    """Issue 14: the internet-facing ingestion function verifies webhook signatures with the
    tenant's *webhook* secret and cannot read the secret holding its Billit and OutSmart
    tokens; the workers can (so this check can fail)."""
    tenant = SMALL.tenant_id
    token_name = f"outsmart-billit/{STAGE}/tenants/{tenant}"
    webhook_name = f"outsmart-billit/{STAGE}/webhooks/{tenant}"
    token_secret, webhook_secret = NAMES.secret_arn(token_name), NAMES.secret_arn(webhook_name)

    def may_read(function: str, arn: str) -> bool:
        wanted = Permission("secretsmanager:GetSecretValue", arn)
        return any(_allows(grant, wanted) for grant in recorded.resolver.grants(function))

    assert not may_read("WebhookIngestionFunction", token_secret)
    assert may_read("WebhookIngestionFunction", webhook_secret)
    assert may_read("ExportFunction", token_secret)
    # What the story's ingestion calls read: webhook secrets, never the token secret.
    read = {
        p.resource
        for p in recorded.permissions["WebhookIngestionFunction"]
        if p.action == "secretsmanager:GetSecretValue"
    }
    assert read == {webhook_secret}
    # And the token secret does hold the tokens, the webhook secret none of them.
    client = recorded.stack.aws.session().client("secretsmanager")
    tokens = json.loads(client.get_secret_value(SecretId=token_name)["SecretString"])
    webhooks = json.loads(client.get_secret_value(SecretId=webhook_name)["SecretString"])
    assert tokens["outsmart_token"] and "webhook_secrets" not in tokens
    assert set(webhooks) == {"webhook_secrets", "outsmart_webhook_secret"}
    assert webhooks["outsmart_webhook_secret"]


def test_the_edge_function_writes_only_dedup_partitions(recorded: Recorded) -> None:
    """Issue 14: ingestion's table grant carries a ``dynamodb:LeadingKeys`` condition; the
    story's writes all fall under it, and a write to a tenant's own partition would not."""
    grants = [
        g
        for g in recorded.resolver.grants("WebhookIngestionFunction")
        if g.action.startswith("dynamodb:")
    ]
    writing = [g for g in grants if g.action in {"dynamodb:PutItem", "dynamodb:DeleteItem"}]
    assert writing and all(g.leading_keys == ("DELIVERY#*",) for g in writing)
    # Its one read (is a webhook secret awaited? issue 13) is the connection item: tenant
    # partitions only, and no write there.
    assert all(g.leading_keys == ("TENANT#*",) for g in grants if g not in writing)
    assert {g.action for g in grants} == {
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
    }
    writes = [
        p
        for p in recorded.permissions["WebhookIngestionFunction"]
        if p.action in {"dynamodb:PutItem", "dynamodb:DeleteItem"}
    ]
    assert writes and all(str(p.leading_key).startswith("DELIVERY#") for p in writes)
    table = writes[0].resource
    profile = Permission("dynamodb:PutItem", table, f"TENANT#{SMALL.tenant_id}")
    assert not any(_allows(g, profile) for g in grants)
    assert not any(_allows(g, Permission("dynamodb:PutItem", table)) for g in grants)
