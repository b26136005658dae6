"""Every handler invoked with its sample events from events/, under moto and the fakes."""

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.stack import running_stack
from tests.support.template import resources_of_type

ROOT = Path(__file__).resolve().parents[3]
FUNCTIONS = resources_of_type("AWS::Serverless::Function")


def _code_dir(function_name: str) -> str:
    return str(FUNCTIONS[function_name]["Properties"]["CodeUri"]).strip("/").split("/")[-1]


def _events(function_name: str) -> list[dict[str, Any]]:
    folder = ROOT / "events" / _code_dir(function_name)
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))]


HTTP_FUNCTIONS = sorted(
    name
    for name, function in FUNCTIONS.items()
    if any(e["Type"] == "HttpApi" for e in function["Properties"].get("Events", {}).values())
)


@pytest.mark.parametrize("function_name", HTTP_FUNCTIONS)
def test_http_sample_events_reach_a_route(
    function_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Routing: each HTTP sample lands on a declared route, never the 404 fallback, and gets
    a JSON or HTML answer (their tickets and signatures are samples, so 401 is expected)."""
    module = importlib.import_module(f"functions.{_code_dir(function_name)}.app")
    http_events = [event for event in _events(function_name) if "routeKey" in event]
    assert http_events
    with running_stack(monkeypatch, module) as stack:
        for event in http_events:
            response = stack.invoke(module, event)
            # 404 = no route; 500 = an unhandled exception. (501 = route not built yet.)
            assert response["statusCode"] not in {404, 500}, event["routeKey"]


@pytest.mark.parametrize(
    ("code_dir", "model"),
    [
        ("export_worker", "billit_sync.sync.exports.jobs:ExportJob"),
        ("import_worker", "billit_sync.sync.imports.jobs:ImportJob"),
        ("discovery_worker", "billit_sync.sync.exports.jobs:DiscoveryJob"),
    ],
)
def test_worker_sample_messages_are_valid_jobs(code_dir: str, model: str) -> None:
    module_name, _, class_name = model.partition(":")
    job_model = getattr(importlib.import_module(module_name), class_name)
    folder = ROOT / "events" / code_dir
    for path in folder.glob("*.json"):
        for record in json.loads(path.read_text(encoding="utf-8"))["Records"]:
            job_model.model_validate_json(record["body"])


WORKER_FUNCTIONS = sorted(set(FUNCTIONS) - set(HTTP_FUNCTIONS))


@pytest.mark.parametrize("function_name", WORKER_FUNCTIONS)
def test_worker_handlers_take_their_sample_events(
    function_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The queue workers and the scheduler, invoked with their samples (as ``sam local invoke
    -e`` would) under moto and the fakes: every record is handled (the samples' tenant is not
    registered, so there is nothing to do), none fails, and the scheduler fans out."""
    module = importlib.import_module(f"functions.{_code_dir(function_name)}.app")
    events = _events(function_name)
    assert events
    with running_stack(monkeypatch, module) as stack:
        for event in events:
            response = stack.invoke(module, event)
            if "Records" in event:
                assert response == {"batchItemFailures": []}, event["Records"][0]["body"]
            else:
                assert response["job"] == event["job"] and response["failures"] == 0
