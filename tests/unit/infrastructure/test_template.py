"""The template declares the whole service as the design asks; these checks keep it that way."""

import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.template import load_template, resources_of_type

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = load_template()
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
FUNCTIONS = resources_of_type("AWS::Serverless::Function")
QUEUES = resources_of_type("AWS::SQS::Queue")
TABLES = resources_of_type("AWS::DynamoDB::Table")
ROLES = resources_of_type("AWS::IAM::Role")

# The design card's four functions must exist (more are allowed).
DESIGN_CARD_FUNCTIONS = {
    "OAuthFunction",
    "WebhookIngestionFunction",
    "ImportFunction",
    "ExportFunction",
}
# X-Ray has no resource-level permissions; this is the only wildcard resource allowed.
WILDCARD_RESOURCE_ALLOWED = {"XRayHasNoResourceLevelPermissions"}


def _policy_statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for policy in role["Properties"].get("Policies", []):
        statements.extend(policy["PolicyDocument"]["Statement"])
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_design_card_functions_exist_and_share_the_one_layer() -> None:
    assert FUNCTIONS.keys() >= DESIGN_CARD_FUNCTIONS
    layers = resources_of_type("AWS::Serverless::LayerVersion")
    assert list(layers) == ["CommonLayer"]
    layer = layers["CommonLayer"]
    assert layer["Properties"]["ContentUri"].rstrip("/") == "layers/common"
    assert layer["Metadata"]["BuildMethod"] == "makefile"  # layers/common/Makefile (issue 16)
    assert TEMPLATE["Globals"]["Function"]["Runtime"] == "python3.12"
    assert TEMPLATE["Globals"]["Function"]["Layers"] == [{"Ref": "CommonLayer"}]
    for name, function in FUNCTIONS.items():
        assert "Layers" not in function["Properties"], f"{name} must use the global layer only"


def test_every_function_has_a_handler_module_on_disk() -> None:
    for name, function in FUNCTIONS.items():
        code_dir = ROOT / function["Properties"]["CodeUri"]
        module, _, attribute = function["Properties"]["Handler"].rpartition(".")
        source = code_dir / f"{module}.py"
        assert source.is_file(), f"{name}: {source} missing"
        assert f"def {attribute}(" in source.read_text(encoding="utf-8")


def test_http_api_routes_of_the_design() -> None:
    routes = set()
    for function in FUNCTIONS.values():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi":
                assert event["Properties"]["ApiId"] == {"Ref": "HttpApi"}
                routes.add((event["Properties"]["Method"], event["Properties"]["Path"]))
    assert {
        ("GET", "/connect"),
        ("GET", "/oauth/callback"),
        ("POST", "/oauth/confirm"),
        ("POST", "/webhooks/billit/{tenant_id}"),
        ("POST", "/webhooks/outsmart/{tenant_id}"),
        ("GET", "/tenants/{tenant_id}/connection"),
        ("DELETE", "/tenants/{tenant_id}/connection"),
        ("GET", "/tenants/{tenant_id}/settings"),
        ("PUT", "/tenants/{tenant_id}/settings"),
        ("PATCH", "/tenants/{tenant_id}/settings"),
        ("GET", "/tenants/{tenant_id}/sync-log"),
        ("POST", "/tenants/{tenant_id}/sync"),
        ("POST", "/tenants/{tenant_id}/exports/retry"),
        ("GET", "/tenants/{tenant_id}/exports/{workorder}"),
    } <= routes


def _sqs_sources(function: dict[str, Any]) -> list[dict[str, Any]]:
    events = function["Properties"].get("Events", {}).values()
    return [event["Properties"] for event in events if event["Type"] == "SQS"]


@pytest.mark.parametrize(
    "function_name", [name for name, f in FUNCTIONS.items() if _sqs_sources(f)]
)
def test_sqs_consumers_report_partial_failures_under_a_concurrency_cap(function_name: str) -> None:
    function = FUNCTIONS[function_name]
    timeout = function["Properties"].get("Timeout", TEMPLATE["Globals"]["Function"]["Timeout"])
    for source in _sqs_sources(function):
        assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert "MaximumConcurrency" in source["ScalingConfig"]
        queue_name = source["Queue"]["Fn::GetAtt"][0]
        queue = QUEUES[queue_name]["Properties"]
        assert queue["VisibilityTimeout"] >= 6 * timeout, queue_name
        redrive = queue["RedrivePolicy"]
        assert redrive["maxReceiveCount"] >= 5
        dlq_name = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert QUEUES[dlq_name]["Properties"]["MessageRetentionPeriod"] == 1209600


def test_export_concurrency_cap_is_a_parameter() -> None:
    (source,) = _sqs_sources(FUNCTIONS["ExportFunction"])
    assert source["ScalingConfig"]["MaximumConcurrency"] == {"Ref": "ExportMaxConcurrency"}
    assert TEMPLATE["Parameters"]["ExportMaxConcurrency"]["Type"] == "Number"


def test_tables_are_on_demand_with_ttl_and_point_in_time_recovery() -> None:
    assert {"IntegrationTable", "SyncLogTable"} <= TABLES.keys()
    for name, table in TABLES.items():
        properties = table["Properties"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST", name
        assert properties["TimeToLiveSpecification"] == {
            "AttributeName": "expires_at",
            "Enabled": True,
        }
        assert properties["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": True
        }
        assert table["DeletionPolicy"] == "Retain"


def test_schedules_take_their_rates_from_parameters() -> None:
    schedules = {
        name: event["Properties"]
        for function in FUNCTIONS.values()
        for name, event in function["Properties"].get("Events", {}).items()
        if event["Type"] == "Schedule"
    }
    assert schedules["ImportSchedule"]["Schedule"] == {"Ref": "ImportSchedule"}
    assert schedules["DiscoverySchedule"]["Schedule"] == {"Ref": "DiscoverySchedule"}
    assert TEMPLATE["Parameters"]["DiscoverySchedule"]["Default"] == "rate(5 minutes)"


def test_every_function_logs_to_its_own_log_group_with_retention() -> None:
    for name, function in FUNCTIONS.items():
        group_ref = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        group = RESOURCES[group_ref]
        assert group["Type"] == "AWS::Logs::LogGroup"
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name


def test_one_role_per_function_without_wildcard_actions() -> None:
    role_names = [f["Properties"]["Role"]["Fn::GetAtt"][0] for f in FUNCTIONS.values()]
    assert len(set(role_names)) == len(FUNCTIONS), "each function needs its own role"
    assert set(role_names) == set(ROLES), "no role without a function"
    for role_name in role_names:
        role = ROLES[role_name]["Properties"]
        assert "ManagedPolicyArns" not in role
        for statement in _policy_statements(ROLES[role_name]):
            for action in _as_list(statement["Action"]):
                assert "*" not in action, f"{role_name}: wildcard action {action}"
            if statement.get("Sid") not in WILDCARD_RESOURCE_ALLOWED:
                assert "*" not in _as_list(statement["Resource"]), (role_name, statement["Sid"])


def test_tenant_secrets_share_one_name_prefix() -> None:
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    prefix = variables["TENANT_SECRET_PREFIX"]
    assert prefix == {"Fn::Sub": "outsmart-billit/${Stage}/tenants/"}
    webhooks = variables["WEBHOOK_SECRET_PREFIX"]
    assert webhooks == {"Fn::Sub": "outsmart-billit/${Stage}/webhooks/"}
    for role_name, role in ROLES.items():
        for statement in _policy_statements(role):
            actions = _as_list(statement["Action"])
            if not any(a.startswith("secretsmanager:") for a in actions):
                continue
            for resource in _as_list(statement["Resource"]):
                if resource == {"Ref": "AppSecret"}:
                    continue
                text = resource["Fn::Sub"]
                assert text.endswith(
                    (
                        ":secret:outsmart-billit/${Stage}/tenants/*",
                        ":secret:outsmart-billit/${Stage}/webhooks/*",
                    )
                ), role_name


def _secret_grants(role_name: str) -> set[tuple[str, str]]:
    """(action, tenants|webhooks) the role is granted on tenant secrets."""
    grants = set()
    for statement in _policy_statements(ROLES[role_name]):
        for action in _as_list(statement["Action"]):
            for resource in _as_list(statement["Resource"]):
                if action.startswith("secretsmanager:") and resource != {"Ref": "AppSecret"}:
                    grants.add((action, resource["Fn::Sub"].split("/")[-2]))
    return grants


def test_the_edge_reads_webhook_secrets_only_and_workers_create_no_secret() -> None:
    """Issue 14: the internet-facing ingestion function cannot read a token; only the
    registration route (and the connect flow, for a webhook secret) creates secrets."""
    assert _secret_grants("WebhookIngestionFunctionRole") == {
        ("secretsmanager:GetSecretValue", "webhooks")
    }
    for worker in ("ExportFunctionRole", "ImportFunctionRole", "WebhookProcessorFunctionRole"):
        assert not {a for a, _ in _secret_grants(worker)} & {"secretsmanager:CreateSecret"}
    assert ("secretsmanager:CreateSecret", "tenants") not in _secret_grants("OAuthFunctionRole")
    assert ("secretsmanager:CreateSecret", "tenants") in _secret_grants("ManagementApiFunctionRole")


def test_only_functions_that_write_tenant_secrets_may() -> None:
    writers = set()
    for role_name, role in ROLES.items():
        for statement in _policy_statements(role):
            if "secretsmanager:PutSecretValue" in _as_list(statement["Action"]):
                writers.add(role_name)
    # Ingestion only verifies signatures and the scheduler only fans out: read-only or none.
    assert "WebhookIngestionFunctionRole" not in writers
    assert "SchedulerFunctionRole" not in writers
    assert "ExportFunctionRole" in writers  # token refresh stores the rotated pair


def test_billit_environment_parameter_selects_the_hosts() -> None:
    parameter = TEMPLATE["Parameters"]["BillitEnvironment"]
    assert parameter["AllowedValues"] == ["sandbox", "production"]
    hosts = TEMPLATE["Mappings"]["BillitEnvironments"]
    assert hosts["sandbox"]["LoginUrl"] == "https://my.sandbox.billit.be/Account/Logon"
    assert hosts["sandbox"]["ApiUrl"] == "https://api.sandbox.billit.be"
    assert hosts["production"]["LoginUrl"] == "https://my.billit.be/Account/Logon"
    assert hosts["production"]["ApiUrl"] == "https://api.billit.be"


def test_outputs_name_what_an_operator_needs() -> None:
    outputs = TEMPLATE["Outputs"]
    for name in (
        "ApiUrl",
        "OAuthRedirectUri",
        "ExportQueueUrl",
        "ExportDeadLetterQueueUrl",
        "IntegrationTableName",
        "SyncLogTableName",
        "AppSecretName",
    ):
        assert name in outputs
    redirect = outputs["OAuthRedirectUri"]["Value"]["Fn::If"]
    assert all(str(branch["Fn::Sub"]).endswith("/oauth/callback") for branch in redirect[1:])
    assert "?" not in str(redirect), "Billit refuses redirect URIs with a query string"


def test_access_log_format_leaks_no_query_string() -> None:
    api = RESOURCES["HttpApi"]["Properties"]
    log_format = api["AccessLogSettings"]["Format"]
    assert not re.search(r"querystring|\$context\.path|authorization", log_format, re.IGNORECASE)


def test_samconfig_has_dev_and_prod_deployments() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    for env in ("dev", "prod"):
        deploy = config[env]["deploy"]["parameters"]
        assert deploy["capabilities"] == "CAPABILITY_IAM"
        assert f'Stage="{env}"' in deploy["parameter_overrides"]
    assert (
        'BillitEnvironment="production"'
        in config["prod"]["deploy"]["parameters"]["parameter_overrides"]
    )


def test_the_export_dead_letter_queue_has_an_alarm() -> None:
    alarms = resources_of_type("AWS::CloudWatch::Alarm")
    watching = [
        alarm["Properties"]
        for alarm in alarms.values()
        if {"Name": "QueueName", "Value": {"Fn::GetAtt": ["ExportDeadLetterQueue", "QueueName"]}}
        in alarm["Properties"].get("Dimensions", [])
    ]
    (alarm,) = watching
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Threshold"] == 0
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


# Issue 16: safe deploys and one architecture.
def test_every_function_deploys_behind_an_alias_with_a_canary_its_errors_alarm_rolls_back() -> None:
    globals_ = TEMPLATE["Globals"]["Function"]
    assert globals_["AutoPublishAlias"] == "live"
    assert globals_["DeploymentPreference"]["Type"] == {"Ref": "DeploymentStrategy"}
    strategy = TEMPLATE["Parameters"]["DeploymentStrategy"]
    assert strategy["Default"].startswith("Canary")
    for name, function in FUNCTIONS.items():
        (alarm,) = function["Properties"]["DeploymentPreference"]["Alarms"]
        alarm_name = alarm["Ref"]
        dimensions = RESOURCES[alarm_name]["Properties"]["Dimensions"]
        assert {"Name": "FunctionName", "Value": {"Ref": name}} in dimensions, name
        assert RESOURCES[alarm_name]["Properties"]["MetricName"] == "Errors"


def test_functions_and_layer_share_one_architecture() -> None:
    (layer,) = resources_of_type("AWS::Serverless::LayerVersion").values()
    assert TEMPLATE["Globals"]["Function"]["Architectures"] == ["arm64"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"]["BuildArchitecture"] == "arm64"
    for name, function in FUNCTIONS.items():
        assert "Architectures" not in function["Properties"], name
    makefile = (ROOT / "layers/common/Makefile").read_text(encoding="utf-8")
    assert "LAYER_PLATFORM ?= manylinux2014_aarch64" in makefile


def test_internet_facing_routes_have_their_own_throttles() -> None:
    """Issue 14: one bucket for the whole API let forged webhooks push genuine calls into
    429s. Each webhook and browser route has its own; the management API keeps the default."""
    api = TEMPLATE["Resources"]["HttpApi"]["Properties"]
    routes = {
        f"{event['Properties']['Method']} {event['Properties']['Path']}"
        for function in FUNCTIONS.values()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "HttpApi"
    }
    own = api["RouteSettings"]
    edge = {
        "POST /webhooks/billit/{tenant_id}",
        "POST /webhooks/outsmart/{tenant_id}",
        "GET /connect",
        "GET /oauth/callback",
        "POST /oauth/confirm",
        *(f"{method} {path}" for method, path in SETTINGS_PAGE_ROUTES),
    }
    assert set(own) == edge
    assert edge <= routes  # each names a real route
    default = api["DefaultRouteSettings"]
    for settings in own.values():
        assert 0 < settings["ThrottlingRateLimit"] <= default["ThrottlingRateLimit"]
        assert settings["ThrottlingRateLimit"] <= settings["ThrottlingBurstLimit"]
    assert not any(
        route.startswith(("GET /tenants", "PUT /tenants", "POST /tenants")) for route in own
    )


SETTINGS_PAGE_ROUTES = {
    ("GET", "/ui/open"),
    ("GET", "/ui/settings"),
    ("POST", "/ui/settings"),
    ("POST", "/ui/connect"),
    ("POST", "/ui/company"),
    ("POST", "/ui/sync"),
    ("POST", "/ui/retry"),
    ("POST", "/ui/disconnect"),
    ("GET", "/ui/static/settings.css"),
}


def test_the_settings_page_has_its_own_function_and_role() -> None:
    """Issue 15: the browser pages live in their own function, with the return-URL allow-list
    (its CSP's frame-ancestors) and a role that cannot create secrets (registration's)."""
    function = FUNCTIONS["SettingsPageFunction"]["Properties"]
    routes = {
        (event["Properties"]["Method"], event["Properties"]["Path"])
        for event in function["Events"].values()
        if event["Type"] == "HttpApi"
    }
    assert routes == SETTINGS_PAGE_ROUTES
    assert function["Environment"]["Variables"]["RETURN_URL_ALLOW_LIST"] == {
        "Ref": "ReturnUrlAllowList"
    }
    assert function["Role"] == {"Fn::GetAtt": ["SettingsPageFunctionRole", "Arn"]}
    assert not any(
        action == "secretsmanager:CreateSecret"
        for action, _ in _secret_grants("SettingsPageFunctionRole")
    )
