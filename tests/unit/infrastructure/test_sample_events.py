"""events/ holds a realistic sample event for every function and route of the template."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.template import resources_of_type

ROOT = Path(__file__).resolve().parents[3]
FUNCTIONS = resources_of_type("AWS::Serverless::Function")


def _code_dir(function: dict[str, Any]) -> str:
    return str(function["Properties"]["CodeUri"]).strip("/").split("/")[-1]


def _sample_events(code_dir: str) -> list[dict[str, Any]]:
    return [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((ROOT / "events" / code_dir).glob("*.json"))
    ]


@pytest.mark.parametrize("function_name", sorted(FUNCTIONS))
def test_every_function_has_sample_events(function_name: str) -> None:
    assert _sample_events(_code_dir(FUNCTIONS[function_name])), function_name


@pytest.mark.parametrize("function_name", sorted(FUNCTIONS))
def test_every_http_route_has_a_sample_event(function_name: str) -> None:
    function = FUNCTIONS[function_name]
    routes = {
        f"{e['Properties']['Method']} {e['Properties']['Path']}"
        for e in function["Properties"].get("Events", {}).values()
        if e["Type"] == "HttpApi"
    }
    sampled = {event.get("routeKey") for event in _sample_events(_code_dir(function))}
    assert routes <= sampled
