"""POST /webhooks/billit/{tenant_id} and /webhooks/outsmart/{tenant_id}: verify, dedupe, queue.

Thin handler: routing and response shaping only; the work happens in billit_sync. Each route
loads its own intake when it is built (``billit_sync.webhooks`` for Billit's events,
``billit_sync.sync.exports.triggers`` for OutSmart's work orders): a cold start pays for the
one the request needs (issue 16). Both refuse with ``billit_sync.errors``' webhook errors.
"""

import os
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from billit_sync.api.errors import problem, register_error_handlers
from billit_sync.api.responses import json_response
from billit_sync.config import RuntimeConfig
from billit_sync.errors import IntegrationError, WebhookBadRequestError, WebhookUnauthorizedError
from billit_sync.observability import logger, metrics
from billit_sync.tenancy import TENANT_ID_PATTERN
from billit_sync.wiring import Services

app = APIGatewayHttpResolver()
# Problems (RFC 9457) for what no route answers itself: 404, 405, a bug.
register_error_handlers(app)


@cache
def services() -> Services:
    return Services(RuntimeConfig.from_environ(os.environ))


@app.post("/webhooks/billit/<tenant_id>")
def billit_webhook(tenant_id: str) -> Response[str]:
    """One signed Billit event (contract in ``billit_sync.webhooks.ingestion``): verified,
    de-duplicated and queued for the webhook processor; nothing slow happens before the
    answer, since Billit's delivery timeout is undocumented."""
    event = app.current_event
    _tag_tenant(tenant_id)
    try:
        result = services().billit_webhooks.receive(
            tenant_id, event.headers, event.body, base64_encoded=bool(event.is_base64_encoded)
        )
    except WebhookUnauthorizedError as refused:
        # One answer for every reason (unknown tenant, no header, bad or stale signature).
        return problem(app, 401, "unauthorized", str(refused))
    except WebhookBadRequestError as bad:
        return problem(app, 400, "bad_request", str(bad))
    except IntegrationError as error:
        logger.warning("Billit webhook not queued", extra={"error": type(error).__name__})
        return problem(app, 503, "unavailable", "the event could not be queued; retry")
    logger.append_keys(delivery_id=result.delivery_id)
    logger.info("Billit webhook handled", extra={"outcome": result.outcome.value})
    if result.queued:
        return json_response(202, {"queued": True, "delivery_id": result.delivery_id})
    return json_response(
        200, {"queued": False, "outcome": result.outcome.value, "delivery_id": result.delivery_id}
    )


@app.post("/webhooks/outsmart/<tenant_id>")
def outsmart_webhook(tenant_id: str) -> Response[str]:
    """One completed work order from the tenant's OutSmart automation: queued for export
    (contract in ``billit_sync.sync.exports.triggers``). Answers before anything is exported."""
    event = app.current_event
    _tag_tenant(tenant_id)
    try:
        job = services().outsmart_webhook.receive(
            tenant_id, event.headers, event.body, base64_encoded=bool(event.is_base64_encoded)
        )
    except WebhookUnauthorizedError as refused:
        # One answer for a missing or wrong secret and an unknown tenant: nothing to probe.
        response = problem(app, 401, "unauthorized", str(refused))
        response.headers["WWW-Authenticate"] = 'Bearer realm="outsmart-webhook"'
        return response
    except WebhookBadRequestError as bad:
        return problem(app, 400, "bad_request", str(bad))
    except IntegrationError as error:
        logger.warning("OutSmart webhook not queued", extra={"error": type(error).__name__})
        return problem(app, 503, "unavailable", "the work order could not be queued; retry")
    return json_response(202, {"queued": True, "row_id": job.row_id})


def _tag_tenant(tenant_id: str) -> None:
    """Every log line of the request names the tenant (only a well-formed id: it is input)."""
    if TENANT_ID_PATTERN.fullmatch(tenant_id):
        logger.append_keys(tenant_id=tenant_id)


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
