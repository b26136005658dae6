"""Management API for OutSmart's Billit settings page (tenant-authenticated routes).

Thin handler: routing and response shaping only; the work happens in billit_sync.
"""

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from billit_sync.api.responses import not_implemented
from billit_sync.observability import logger, metrics, tracer

app = APIGatewayHttpResolver()


@app.put("/tenants/<tenant_id>")
def register_tenant(tenant_id: str) -> Response[str]:
    return not_implemented("Tenant registration")


@app.get("/tenants/<tenant_id>/connection")
def get_connection(tenant_id: str) -> Response[str]:
    return not_implemented("Connection status")


@app.delete("/tenants/<tenant_id>/connection")
def disconnect(tenant_id: str) -> Response[str]:
    return not_implemented("Disconnecting")


@app.get("/tenants/<tenant_id>/settings")
def get_settings(tenant_id: str) -> Response[str]:
    return not_implemented("Settings")


@app.put("/tenants/<tenant_id>/settings")
def put_settings(tenant_id: str) -> Response[str]:
    return not_implemented("Settings")


@app.get("/tenants/<tenant_id>/sync-log")
def get_sync_log(tenant_id: str) -> Response[str]:
    return not_implemented("The log panel")


@app.post("/tenants/<tenant_id>/sync")
def sync_now(tenant_id: str) -> Response[str]:
    return not_implemented("Sync now")


@app.post("/tenants/<tenant_id>/exports/retry")
def retry_exports(tenant_id: str) -> Response[str]:
    return not_implemented("Retrying exports")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
