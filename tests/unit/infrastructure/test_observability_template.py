"""CloudWatch for operators, as the template declares it: the saved Logs Insights queries over
every function's log group, alarms (every dead-letter queue, every function's errors, expired
Billit logins) to the alarm topic, and a dashboard whose metrics the code really emits."""

import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from billit_sync.billit import BillitEndpoints, BillitHttp, StaticCredentials
from billit_sync.billit import http as billit_http
from billit_sync.observability import METRICS_NAMESPACE, SERVICE_NAME
from tests.support.log_capture import captured_service_logs
from tests.support.template import load_template, resources_of_type

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = load_template()
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
FUNCTIONS = resources_of_type("AWS::Serverless::Function")
QUEUES = resources_of_type("AWS::SQS::Queue")
QUERIES = resources_of_type("AWS::Logs::QueryDefinition")
ALARMS = resources_of_type("AWS::CloudWatch::Alarm")
DASHBOARDS = resources_of_type("AWS::CloudWatch::Dashboard")
ALARM_TOPIC = {"Ref": "AlarmTopic"}

FUNCTION_LOG_GROUPS = {
    function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for function in FUNCTIONS.values()
}
DEAD_LETTER_QUEUES = {
    queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    for queue in QUEUES.values()
    if "RedrivePolicy" in queue["Properties"]
}
# Emitted by the Billit webhook ingestion (issue 6, items 1-2: billit_sync/webhooks/), which
# lands separately; drop this once it is in.


def _query(suffix: str) -> dict[str, Any]:
    query: dict[str, Any]
    (query,) = [
        q["Properties"]
        for q in QUERIES.values()
        if q["Properties"]["Name"]["Fn::Sub"].endswith(suffix)
    ]
    return query


def _emitted_metric_names() -> set[str]:
    names: set[str] = set()
    for source in (ROOT / "layers/common/billit_sync").rglob("*.py"):
        text = source.read_text("utf-8")
        names |= set(re.findall(r'add_metric\(\s*name="(\w+)"', text))
        names |= set(re.findall(r'count_by\(\s*"(\w+)"', text))
    return names


def _alarms_on(namespace: str, metric: str) -> list[dict[str, Any]]:
    return [
        alarm["Properties"]
        for alarm in ALARMS.values()
        if alarm["Properties"]["Namespace"] == namespace
        and alarm["Properties"]["MetricName"] == metric
    ]


def _dimension(alarm: dict[str, Any], name: str) -> Any:
    (value,) = [d["Value"] for d in alarm["Dimensions"] if d["Name"] == name]
    return value


# ------------------------------------------------------------------ saved queries
def test_function_log_groups_are_the_names_the_functions_write_to() -> None:
    assert len(FUNCTION_LOG_GROUPS) == len(FUNCTIONS) == 9
    for function in FUNCTIONS.values():
        group = RESOURCES[function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]]
        function_name = function["Properties"]["FunctionName"]["Fn::Sub"]
        assert group["Properties"]["LogGroupName"]["Fn::Sub"] == f"/aws/lambda/{function_name}"
        assert function_name.startswith("outsmart-billit-${Stage}-")


@pytest.mark.parametrize(
    ("suffix", "must_mention"),
    [
        ("/errors-by-tenant", ['"ERROR"', '"WARNING"', "by tenant_id"]),
        ("/work-order-trail", ["row_id", "workorder_no", "sort @timestamp asc"]),
        ("/slowest-billit-calls", ['"Billit call"', "elapsed_ms", "sort elapsed_ms desc"]),
    ],
)
def test_the_three_saved_queries_cover_every_function_log_group(
    suffix: str, must_mention: list[str]
) -> None:
    query = _query(suffix)
    assert query["Name"]["Fn::Sub"] == f"outsmart-billit-${{Stage}}{suffix}"
    assert {group["Ref"] for group in query["LogGroupNames"]} == FUNCTION_LOG_GROUPS
    for text in must_mention:
        assert text in query["QueryString"], text


def test_the_slowest_calls_query_reads_what_the_billit_client_logs() -> None:
    """The query filters on the client's log line; both must keep the same names."""

    def billit(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json={"OrderID": 1})

    endpoints = BillitEndpoints(
        api_url="https://api.billit.test", login_url="https://my.billit.test/Account/Logon"
    )
    with (
        httpx.Client(transport=httpx.MockTransport(billit)) as client,
        captured_service_logs(logging.INFO) as logs,
    ):
        BillitHttp(client, endpoints, StaticCredentials("tok", 7)).request(
            "POST", "/v1/orders", json={}, unsafe=True
        )
    (line,) = [json.loads(raw) for raw in logs.getvalue().splitlines() if '"Billit call"' in raw]
    assert line["method"] == "POST"
    assert line["path"] == "/v1/orders"
    assert line["status"] == 201
    assert isinstance(line["elapsed_ms"], int)
    assert line["elapsed_ms"] >= 0
    assert "tok" not in json.dumps(line)
    fields = _query("/slowest-billit-calls")["QueryString"]
    for name in ("method", "path", "status", "elapsed_ms"):
        assert name in fields


def test_a_slow_read_is_logged_at_info_for_the_query(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(0.01)
        return httpx.Response(200, json=[])

    endpoints = BillitEndpoints(
        api_url="https://api.billit.test", login_url="https://my.billit.test/Account/Logon"
    )
    with (
        httpx.Client(transport=httpx.MockTransport(slow)) as client,
        captured_service_logs(logging.INFO) as logs,
    ):
        http = BillitHttp(client, endpoints, StaticCredentials("tok", 7))
        http.get_json("/v1/parties")
        assert '"Billit call"' not in logs.getvalue()  # a quick read stays at debug level
        monkeypatch.setattr(billit_http, "SLOW_CALL_MS", 5)
        http.get_json("/v1/parties")
    (line,) = [json.loads(raw) for raw in logs.getvalue().splitlines() if '"Billit call"' in raw]
    assert line["level"] == "INFO"
    assert line["elapsed_ms"] >= 5


# ------------------------------------------------------------------------- alarms
def test_every_dead_letter_queue_has_an_alarm_to_the_topic() -> None:
    assert len(DEAD_LETTER_QUEUES) == 4
    alarms = _alarms_on("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    watched = {_dimension(alarm, "QueueName")["Fn::GetAtt"][0] for alarm in alarms}
    assert watched == DEAD_LETTER_QUEUES
    for alarm in alarms:
        assert alarm["Threshold"] == 0
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["AlarmActions"] == [ALARM_TOPIC]


def test_every_function_has_an_errors_alarm_to_the_topic() -> None:
    alarms = _alarms_on("AWS/Lambda", "Errors")
    assert {_dimension(alarm, "FunctionName")["Ref"] for alarm in alarms} == set(FUNCTIONS)
    for alarm in alarms:
        assert alarm["Statistic"] == "Sum"
        assert alarm["Period"] == 300
        assert 1 <= alarm["Threshold"] <= 5  # a few per five minutes
        assert alarm["AlarmActions"] == [ALARM_TOPIC]
        assert alarm["TreatMissingData"] == "notBreaching"


def test_an_expired_billit_login_raises_the_auth_expired_alarm() -> None:
    assert "AuthExpired" in _emitted_metric_names()
    (alarm,) = _alarms_on(METRICS_NAMESPACE, "AuthExpired")
    assert alarm["Dimensions"] == [{"Name": "service", "Value": SERVICE_NAME}]
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["AlarmActions"] == [ALARM_TOPIC]
    # The metric is published under the namespace and service the functions are given.
    environment = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert environment["POWERTOOLS_METRICS_NAMESPACE"] == METRICS_NAMESPACE
    assert environment["POWERTOOLS_SERVICE_NAME"] == SERVICE_NAME


def test_every_alarm_has_a_stage_name_and_an_action() -> None:
    names = [alarm["Properties"]["AlarmName"]["Fn::Sub"] for alarm in ALARMS.values()]
    assert len(names) == len(set(names))
    for alarm in ALARMS.values():
        assert alarm["Properties"]["AlarmName"]["Fn::Sub"].startswith("outsmart-billit-${Stage}-")
        assert alarm["Properties"]["AlarmActions"] == [ALARM_TOPIC]
        assert alarm["Properties"]["AlarmDescription"].strip()


# ---------------------------------------------------------------------- dashboard
def _dashboard_body() -> tuple[dict[str, Any], set[str]]:
    (dashboard,) = DASHBOARDS.values()
    assert dashboard["Properties"]["DashboardName"] == {"Fn::Sub": "outsmart-billit-${Stage}"}
    template = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    references = set(re.findall(r"\$\{([^}]+)\}", template))
    body: dict[str, Any] = json.loads(re.sub(r"\$\{([^}]+)\}", r"SUB:\1", template))
    return body, references


def _metric_rows(body: dict[str, Any]) -> list[list[Any]]:
    return [
        row
        for widget in body["widgets"]
        if widget["type"] == "metric"
        for row in widget["properties"]["metrics"]
    ]


def test_the_dashboard_body_is_json_and_only_references_what_exists() -> None:
    body, references = _dashboard_body()
    assert body["widgets"]
    for reference in references:
        name = reference.split(".")[0]
        assert name in RESOURCES or name in TEMPLATE["Parameters"] or name.startswith("AWS::"), (
            reference
        )
    for widget in body["widgets"]:
        assert {"type", "x", "y", "width", "height", "properties"} <= widget.keys()


def test_the_dashboard_shows_the_key_metrics() -> None:
    body, _ = _dashboard_body()
    rows = _metric_rows(body)
    custom = {row[1] for row in rows if row[0] == METRICS_NAMESPACE}
    assert {
        "InvoicesCreated",
        "ExportFailures",
        "ImportedRecords",
        "AuthExpired",
        "OutSmartWebhookRefused",
        "BillitWebhookRefused",
    } <= custom
    assert custom <= _emitted_metric_names(), "a metric nobody emits"
    for row in rows:
        if row[0] == METRICS_NAMESPACE:
            assert row[2:4] == ["service", SERVICE_NAME]

    dlq_rows = [row for row in rows if row[:2] == ["AWS/SQS", "ApproximateNumberOfMessagesVisible"]]
    assert {row[3].removeprefix("SUB:").split(".")[0] for row in dlq_rows} == DEAD_LETTER_QUEUES
    for metric in ("Errors", "Duration"):
        functions = {
            row[3].removeprefix("SUB:") for row in rows if row[:2] == ["AWS/Lambda", metric]
        }
        assert functions == set(FUNCTIONS), metric
    api = {row[1] for row in rows if row[0] == "AWS/ApiGateway" and row[3] == "SUB:HttpApi"}
    assert api == {"4xx", "5xx"}
