"""The one Logger and Metrics of the service: every module logs and counts through these.

Powertools reads ``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE`` and ``LOG_LEVEL``
from the function's environment; the defaults below serve tests and local runs.

Tracing is Lambda's active tracing (template.yaml, ``Tracing: Active``) without an SDK in the
code: Lambda records each invocation's segment (start, duration, init, errors) and the trace id
reaches every log line (Powertools' ``xray_trace_id`` key, read from ``_X_AMZN_TRACE_ID``), so a
trace and its logs join up. There is deliberately no Tracer here: Powertools' Tracer needs the
X-Ray SDK (aws-xray-sdk, in maintenance since 2026-02-25, out of support 2027-02-25), which also
brought a second botocore into the layer and cost every cold start about 150 ms. The price is
that AWS SDK and HTTP calls no longer appear as subsegments; the logs name every call's outcome.
Should per-call spans be wanted again, AWS's OpenTelemetry layer (ADOT) adds them to a function
from the template, without code here.
"""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

SERVICE_NAME = "outsmart-billit"
METRICS_NAMESPACE = "OutSmartBillit"

logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)


def count_by(name: str, *, value: int = 1, **dimensions: str) -> None:
    """A count with its own dimensions (e.g. export failures by ``kind``), published at once
    so the extra dimensions do not spill onto the invocation's other metrics."""
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=value,
        default_dimensions={"service": SERVICE_NAME},
    ) as metric:
        for key, dimension_value in dimensions.items():
            metric.add_dimension(name=key, value=dimension_value)
