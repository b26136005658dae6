"""The template's functions as this process runs them: handler, environment, triggers.

Everything is read from ``template.yaml``: the handler module (``CodeUri`` + ``Handler``), the
environment variables (``Globals`` plus the function's own, with ``!Ref``/``!Sub``/
``!FindInMap`` resolved against local values), the HTTP routes and the SQS triggers.
"""

import importlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from tests.support.template import load_template, resources_of_type

Handler = Callable[[dict[str, Any], Any], Any]

# All handlers share this process (one Powertools logger and metrics object): one invocation at
# a time, as each Lambda execution environment runs one at a time.
INVOCATION_LOCK = threading.RLock()


@dataclass
class LocalContext:
    """The Lambda context: the function's name and a real deadline from its ``Timeout``."""

    function_name: str
    timeout_seconds: int
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:eu-west-1:123456789012:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self.started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str  # the template's path, e.g. /tenants/{tenant_id}

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class SqsTrigger:
    queue: str  # the queue's logical id
    batch_size: int


@dataclass(frozen=True)
class LocalFunction:
    logical_id: str
    properties: Mapping[str, Any]
    stage: str

    @property
    def module_name(self) -> str:
        code_dir = str(self.properties["CodeUri"]).strip("/").replace("/", ".")
        module, _, _ = str(self.properties["Handler"]).rpartition(".")
        return f"{code_dir}.{module}"

    @cached_property
    def handler(self) -> Handler:
        attribute = str(self.properties["Handler"]).rpartition(".")[2]
        handler: Handler = getattr(importlib.import_module(self.module_name), attribute)
        return handler

    @property
    def name(self) -> str:
        return str(self.properties["FunctionName"]["Fn::Sub"]).replace("${Stage}", self.stage)

    @property
    def timeout(self) -> int:
        globals_ = load_template().get("Globals", {}).get("Function", {})
        return int(self.properties.get("Timeout", globals_.get("Timeout", 3)))

    def _events(self, kind: str) -> list[Mapping[str, Any]]:
        events: Mapping[str, Any] = self.properties.get("Events", {})
        return [e["Properties"] for e in events.values() if e["Type"] == kind]

    @property
    def http_routes(self) -> list[HttpRoute]:
        return [
            HttpRoute(str(e["Method"]).upper(), str(e["Path"])) for e in self._events("HttpApi")
        ]

    @property
    def sqs_triggers(self) -> list[SqsTrigger]:
        return [
            SqsTrigger(queue=e["Queue"]["Fn::GetAtt"][0], batch_size=int(e.get("BatchSize", 10)))
            for e in self._events("SQS")
        ]

    @property
    def schedules(self) -> list[dict[str, Any]]:
        """The inputs of its EventBridge schedules (what the scheduler is invoked with)."""
        return [json.loads(e["Input"]) for e in self._events("Schedule") if "Input" in e]

    def invoke(self, event: dict[str, Any]) -> Any:
        with INVOCATION_LOCK:
            return self.handler(event, LocalContext(self.name, self.timeout))


def local_functions(stage: str) -> dict[str, LocalFunction]:
    return {
        logical_id: LocalFunction(logical_id, resource["Properties"], stage)
        for logical_id, resource in resources_of_type("AWS::Serverless::Function").items()
    }


def function_environment(
    parameters: Mapping[str, str],
    resources: Mapping[str, str],
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The union of the environment variables the template gives its functions, resolved.

    ``parameters`` override the template's parameter defaults; ``resources`` give what
    ``!Ref <logical id>`` of a table or queue is; ``overrides`` replace variables whose value
    is fixed in a mapping (the Billit URLs). Every variable must resolve.
    """
    template = load_template()
    values = {
        name: str(spec.get("Default", "")) for name, spec in template["Parameters"].items()
    } | dict(parameters)
    references = values | dict(resources)

    def resolve(value: Any) -> str:
        if isinstance(value, str | int | float):
            return str(value)
        if "Ref" in value:
            return references[value["Ref"]]
        if "Fn::Sub" in value:
            text = str(value["Fn::Sub"])
            for name, replacement in references.items():
                text = text.replace("${" + name + "}", replacement)
            if "${" in text:
                raise ValueError(f"unresolved !Sub {value['Fn::Sub']}")
            return text
        if "Fn::FindInMap" in value:
            mapping, key, attribute = value["Fn::FindInMap"]
            return str(template["Mappings"][mapping][resolve(key)][attribute])
        raise ValueError(f"cannot resolve {value!r} locally")

    declared: dict[str, Any] = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    for resource in resources_of_type("AWS::Serverless::Function").values():
        declared |= resource["Properties"].get("Environment", {}).get("Variables", {})
    environment = {name: resolve(value) for name, value in declared.items()}
    return environment | dict(overrides or {})
