"""The management API's typed contract (issue 15, point 4): the committed OpenAPI document is
the one the code generates, it names the template's routes, every error of every path is an
RFC 9457 problem carrying the request id, the ticket is checked before validation speaks,
and Swagger UI exists only where ``make dev`` switches it on."""

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from billit_sync.api.openapi import SWAGGER_FLAG, SWAGGER_PATH, swagger_enabled
from billit_sync.api.openapi_document import openapi_text
from billit_sync.api.problems import PROBLEM_CONTENT_TYPE
from billit_sync.errors import IntegrationError
from billit_sync.store.aws_errors import AwsTransientError
from billit_sync.tickets import TicketScope
from functions.management_api import app as management_api
from local.functions import function_environment
from tests.support.stack import Stack, http_event, running_stack
from tests.support.template import resources_of_type

TENANT = "acme"
DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with running_stack(monkeypatch, management_api) as running:
        running.outsmart.add_tenant(f"token-{TENANT}", name=TENANT)
        registered = running.call(
            management_api,
            "PUT",
            f"/tenants/{TENANT}",
            scope=TicketScope.ADMIN,
            body={"outsmart_token": f"token-{TENANT}", "language": "en"},
        )
        assert registered["statusCode"] == 200
        yield running


def invoke(
    stack: Stack,
    method: str,
    path: str,
    *,
    ticket: str | None = "tenant",
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The raw answer and its JSON body; ``ticket="tenant"``: a valid one for TENANT."""
    sent = dict(headers or {})
    if ticket is not None:
        token = stack.ticket(TENANT) if ticket == "tenant" else ticket
        sent["authorization"] = f"Bearer {token}"
    event = http_event(method, path, body=body, headers=sent)
    response = stack.invoke(management_api, event)
    response["_request_id"] = event["requestContext"]["requestId"]
    return response, json.loads(response["body"])


def assert_problem(response: dict[str, Any], body: dict[str, Any], status: int, code: str) -> None:
    """RFC 9457 §3.1 members, our two extensions, and the media type (§6.1)."""
    assert response["statusCode"] == status, body
    assert response["headers"]["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:outsmart-billit:problem:{code}"
    assert body["title"] and body["detail"]
    assert body["request_id"] == response["_request_id"]
    assert body["instance"].startswith("/tenants/")


# ----------------------------------------------------------------------- the document
def test_the_committed_document_is_the_one_the_code_generates() -> None:
    """Fails when a route, parameter or model changed without ``make openapi``."""
    committed = DOCUMENT.read_text(encoding="utf-8")
    assert committed == openapi_text(management_api.app), "run make openapi"


def test_the_document_and_the_template_name_the_same_routes() -> None:
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    function = resources_of_type("AWS::Serverless::Function")["ManagementApiFunction"]
    events = function["Properties"]["Events"].values()
    routed = {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events}
    # The catch-all only carries unknown methods and paths to the function's 404/405 problems.
    assert routed - documented == {("ANY", "/tenants/{proxy+}")}
    assert documented <= routed


def test_the_document_declares_the_ticket_the_problems_and_the_servers() -> None:
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert document["info"]["title"] and document["info"]["version"]
    assert document["servers"]
    scheme = document["components"]["securitySchemes"]["ticket"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert document["security"] == [{"ticket": []}]
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance"} <= set(problem["required"])
    assert "HTTPValidationError" not in document["components"]["schemas"]  # one error format
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, answer in operation["responses"].items():
                if int(status) >= 400:
                    assert list(answer["content"]) == [PROBLEM_CONTENT_TYPE], (method, path)
                    examples = answer["content"][PROBLEM_CONTENT_TYPE]["examples"]
                    assert all(e["value"]["status"] == int(status) for e in examples.values())
            assert {"400", "401", "403", "422", "429", "500", "503"} <= set(operation["responses"])
    put = document["paths"]["/tenants/{tenant_id}/settings"]["put"]
    body = put["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    complete = document["components"]["schemas"][body.rsplit("/", 1)[-1]]
    assert complete["required"] == ["settings"]
    patch = document["paths"]["/tenants/{tenant_id}/settings"]["patch"]
    assert "application/merge-patch+json" in patch["requestBody"]["content"]


# -------------------------------------------------------------------------- Swagger UI
def _reload_with(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> Any:
    for name in [*environment, SWAGGER_FLAG]:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return importlib.reload(management_api)


@pytest.fixture
def reloaded(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    yield monkeypatch
    monkeypatch.undo()
    importlib.reload(management_api)  # the module as every other test imported it


def test_the_deployed_configuration_serves_no_swagger(reloaded: pytest.MonkeyPatch) -> None:
    """The environment the template gives the functions has no Swagger flag, so the
    function built from it answers /swagger with a 404 problem."""
    deployed = function_environment(
        parameters={"Stage": "prod"},
        resources={name: f"{name}-ref" for name in resources_of_type("AWS::DynamoDB::Table")}
        | {name: f"{name}-ref" for name in resources_of_type("AWS::SQS::Queue")},
    )
    assert not swagger_enabled(deployed)
    assert SWAGGER_FLAG not in (DOCUMENT.parents[1] / "template.yaml").read_text(encoding="utf-8")
    module = _reload_with(reloaded, deployed)
    answer = module.app.resolve(http_event("GET", SWAGGER_PATH), {})
    assert answer["statusCode"] == 404
    assert json.loads(answer["body"])["code"] == "not_found"


def test_make_devs_flag_serves_swagger_ui(reloaded: pytest.MonkeyPatch) -> None:
    module = _reload_with(reloaded, {SWAGGER_FLAG: "true"})
    answer = module.app.resolve(http_event("GET", SWAGGER_PATH), {})
    assert answer["statusCode"] == 200
    assert answer["headers"]["Content-Type"].startswith("text/html")
    assert "swagger" in answer["body"].lower()


# ------------------------------------------------------------- every error is a problem
def test_401_403_and_404_are_problems_with_the_request_id(stack: Stack) -> None:
    response, body = invoke(stack, "GET", f"/tenants/{TENANT}/settings", ticket=None)
    assert_problem(response, body, 401, "unauthorized")
    response, body = invoke(stack, "GET", "/tenants/globex/settings")
    assert_problem(response, body, 403, "forbidden")
    other = stack.ticket("initech")
    response, body = invoke(stack, "GET", "/tenants/initech/settings", ticket=other)
    assert_problem(response, body, 404, "unknown_tenant")
    response, body = invoke(stack, "GET", f"/tenants/{TENANT}/nothing-here")
    assert_problem(response, body, 404, "not_found")


def test_a_known_path_with_another_method_is_a_405_with_allow(stack: Stack) -> None:
    response, body = invoke(stack, "POST", f"/tenants/{TENANT}/settings", body={})
    assert_problem(response, body, 405, "method_not_allowed")
    assert response["headers"]["Allow"] == "GET, PATCH, PUT"


def test_powertools_validation_is_a_422_problem_naming_each_field(stack: Stack) -> None:
    response, body = invoke(
        stack,
        "PUT",
        f"/tenants/{TENANT}/connection/company",
        body={"party_id": "not a number", "colour": "blue"},
    )
    assert_problem(response, body, 422, "invalid_body")
    assert sorted((e["field"], e["in"]) for e in body["errors"]) == [
        ("colour", "body"),
        ("party_id", "body"),
    ]
    assert "not a number" not in response["body"]  # the value sent is never echoed


@pytest.mark.parametrize(
    "body", [{"party_id": "x"}, "{not json", "[]"], ids=["invalid", "not-json", "not-object"]
)
def test_the_ticket_is_checked_before_the_body_is_judged(stack: Stack, body: Any) -> None:
    """Powertools validates before a route's dependencies run; without a ticket the answer
    must still be the 401, so nothing about the body's shape leaks."""
    path = f"/tenants/{TENANT}/connection/company"
    response, answer = invoke(stack, "PUT", path, ticket=None, body=body)
    assert_problem(response, answer, 401, "unauthorized")
    response, answer = invoke(stack, "PUT", path, ticket=stack.ticket("globex"), body=body)
    assert_problem(response, answer, 403, "forbidden")


def test_a_body_in_another_media_type_is_a_415(stack: Stack) -> None:
    response, body = invoke(
        stack,
        "PUT",
        f"/tenants/{TENANT}/connection/company",
        body="party_id=5",
        headers={"content-type": "text/plain"},
    )
    assert_problem(response, body, 415, "unsupported_media_type")


def test_aws_throttling_is_a_429_with_retry_after(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def throttled(*_: object, **__: object) -> None:
        raise AwsTransientError("GetItem", "ProvisionedThroughputExceededException")

    monkeypatch.setattr(stack.services.settings_page, "read", throttled)
    response, body = invoke(stack, "GET", f"/tenants/{TENANT}/settings")
    assert_problem(response, body, 429, "too_many_requests")
    assert response["headers"]["Retry-After"] == "2"


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (RuntimeError("boom at /var/task/app.py line 3"), 500, "internal_error"),
        (IntegrationError("downstream down"), 503, "unavailable"),
    ],
)
def test_a_bug_or_an_outage_is_a_problem_that_hides_the_cause(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, error: Exception, status: int, code: str
) -> None:
    def failing(*_: object, **__: object) -> None:
        raise error

    monkeypatch.setattr(stack.services.settings_page, "read", failing)
    response, body = invoke(stack, "GET", f"/tenants/{TENANT}/settings")
    assert_problem(response, body, status, code)
    assert str(error) not in response["body"]
