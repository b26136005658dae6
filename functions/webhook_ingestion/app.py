"""POST /webhooks/billit/{tenant_id} and /webhooks/outsmart/{tenant_id}: verify, dedupe, queue.

Thin handler: routing and response shaping only; the work happens in billit_sync.
"""

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from billit_sync.api.responses import not_implemented
from billit_sync.observability import logger, metrics, tracer

app = APIGatewayHttpResolver()


@app.post("/webhooks/billit/<tenant_id>")
def billit_webhook(tenant_id: str) -> Response[str]:
    return not_implemented("Billit webhooks")


@app.post("/webhooks/outsmart/<tenant_id>")
def outsmart_webhook(tenant_id: str) -> Response[str]:
    return not_implemented("OutSmart webhooks")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
