"""GET /connect starts the Billit login; GET /oauth/callback finishes it.

Thin handler: routing and response shaping only; the work happens in billit_sync.
"""

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from billit_sync.api.responses import not_implemented
from billit_sync.observability import logger, metrics, tracer

app = APIGatewayHttpResolver()


@app.get("/connect")
def connect() -> Response[str]:
    return not_implemented("Connecting to Billit")


@app.get("/oauth/callback")
def oauth_callback() -> Response[str]:
    return not_implemented("The Billit OAuth callback")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
